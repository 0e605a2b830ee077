"""The packaged IDL copy must equal the server's (thrift/idl/heavy.thrift) and parse."""

from pathlib import Path

import thriftpy2

import udf_client
from udf_client._thrift import idl

REPO = Path(__file__).resolve().parents[2]
SERVER_IDL = REPO / "thrift" / "idl" / "heavy.thrift"
PACKAGED_IDL = Path(udf_client.__file__).resolve().parent / "heavy.thrift"


def test_packaged_idl_is_a_copy_of_the_servers():
    assert SERVER_IDL.is_file(), SERVER_IDL
    assert PACKAGED_IDL.read_bytes() == SERVER_IDL.read_bytes(), (
        "python/udf_client/heavy.thrift differs from thrift/idl/heavy.thrift; "
        "copy it: cp thrift/idl/heavy.thrift python/udf_client/heavy.thrift"
    )


def test_thriftpy2_parses_the_idl_with_what_the_client_calls():
    module = thriftpy2.load(str(PACKAGED_IDL), module_name="check_heavy_thrift")
    methods = set(module.Heavy.thrift_services)
    needed = {
        "connect", "disconnect", "get_version", "get_tables", "sql_execute",
        "sql_execute_df", "create_table", "load_table_binary_arrow",
        "get_device_parameters", "register_runtime_extension_functions",
    }
    assert needed <= methods, needed - methods
    # Field ids the client writes (the wire contract).
    assert module.TDatum.thrift_spec[2][1] == "is_null"
    assert module.TUserDefinedFunction.thrift_spec[2][1] == "argTypes"
    if "udf_call" in methods:
        assert {s[1] for s in module.TUdfCallResult.thrift_spec.values()} >= {
            "value", "type", "signature"
        }
    # The client's own loader gives the same service.
    assert set(idl().Heavy.thrift_services) == methods

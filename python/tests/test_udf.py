"""@client.udf against the real server: overloads, direct calls, NULLs, errors, describe."""

import math

import numpy as np
import pytest

import udf_client
from udf_client import (
    CompileError,
    NoMatchingOverload,
    RegistrationError,
    SignatureError,
)

INT64_MIN = -(2**63)


def expected_path(client):
    if client.call_mode == "sql" or "udf_call" not in client.thrift.Heavy.thrift_services:
        return "sql"
    return "udf_call"


def test_overloads_in_one_registration_and_direct_calls(any_client):
    c = any_client

    @c.udf("int64(int64, int64)", "f64(f64, f64)")
    def add(a, b):
        return a + b

    assert add(1, 2) == 3
    r = add.call(1, 2)
    assert (r.value, r.type, r.path) == (3, "BIGINT", expected_path(c))
    if r.path == "udf_call":
        assert r.signature == "add(BIGINT, BIGINT) -> BIGINT"
    r = add.call(1.5, 2.25)
    assert (r.value, r.type) == (3.75, "DOUBLE")
    assert add(2**40, 2**40) == 2**41
    assert add(-7, 0.5) == -6.5  # an int and a double: the DOUBLE overload
    # both overloads are one SQL name on the server
    rows = c.sql("SHOW FUNCTIONS")
    mine = rows[rows["name"] == "add"]
    assert sorted(mine["signature"]) == ["float64(float64, float64)", "int64(int64, int64)"]
    assert set(mine["origin"]) == {"heavydb:admin"}


def test_templates_cover_every_scalar_type(any_client):
    c = any_client

    @c.udf("T(T)", T=["bool", "i8", "i16", "i32", "i64", "f32", "f64"])
    def ident(x):
        return x

    cases = [
        (True, "bool", True, "BOOLEAN"),
        (False, "BOOLEAN", False, "BOOLEAN"),
        (-5, "int8", -5, "TINYINT"),
        (300, "i16", 300, "SMALLINT"),
        (70000, "INTEGER", 70000, "INTEGER"),
        (2**40, "i64", 2**40, "BIGINT"),
        (1.5, "f32", 1.5, "FLOAT"),
        (0.1, "double", 0.1, "DOUBLE"),
    ]
    for arg, typ, value, sql_type in cases:
        r = ident.call(arg, types=[typ])
        assert (r.value, r.type) == (value, sql_type), (arg, typ, r)
        assert type(r.value) is type(value)
    # without types: ints like SQL literals (narrowest), floats DOUBLE, bools BOOLEAN,
    # numpy scalars by dtype
    assert ident.call(5).type == "TINYINT"
    assert ident.call(5000).type == "SMALLINT"
    assert ident.call(2**33).type == "BIGINT"
    assert ident.call(2.5).type == "DOUBLE"  # a Python float is a double
    assert ident.call(0.1).type == "DOUBLE"
    r = ident.call(0.0)
    assert (r.value, r.type, type(r.value)) == (0.0, "DOUBLE", float)
    assert ident.call(-math.inf).value == -math.inf
    assert math.isnan(ident.call(math.nan).value)
    assert ident.call(True).type == "BOOLEAN"
    assert ident.call(np.int32(7)).type == "INTEGER"
    assert ident.call(np.float32(0.25)).type == "FLOAT"
    assert ident.call(np.float64(0.25)).type == "DOUBLE"
    assert ident.call(np.uint8(200)).type == "SMALLINT"


def test_overloads_chosen_by_column_type_in_sql(client, unique_name):
    import pandas as pd

    @client.udf("T(T, T)", T=["i32", "f64"])
    def add(a, b):
        return a + b

    t = unique_name("t")
    client.load_table(t, pd.DataFrame({"i": np.array([1, 2, 3], dtype="int32"),
                                       "x": [0.5, 1.5, -2.0]}))
    out = client.sql(
        f"SELECT add(i, i) AS ii, add(x, x) AS xx, add(i, x) AS ix FROM {t} ORDER BY i",
        arrow=True,
    )
    assert [str(f.type) for f in out.schema] == ["int32", "double", "double"]
    assert out.to_pydict() == {"ii": [2, 4, 6], "xx": [1.0, 3.0, -4.0], "ix": [1.5, 3.5, 1.0]}


def test_null_in_null_out(any_client, unique_name):
    import pandas as pd

    c = any_client

    @c.udf("int64(int64, int64)", "f64(f64, f64)")
    def add(a, b):
        return a + b

    @c.udf("bool(bool)")
    def negate(b):
        return not b

    r = add.call(None, 1)
    assert r.value is None and r.type == "BIGINT"  # NULL typed by the only fitting overload
    assert add.call(None, 1.5).value is None and add.call(None, 1.5).type == "DOUBLE"
    assert add(None, None) is None
    assert negate(None) is None and negate(True) is False and negate(False) is True

    t = unique_name("t")
    c.load_table(t, pd.DataFrame({
        "id": [1, 2, 3],
        "a": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.5, None, 2.5],
        "b": pd.array([True, None, False], dtype="boolean"),
    }))
    out = c.sql(f"SELECT add(a, a) AS a2, add(x, x) AS x2, negate(b) AS nb FROM {t} ORDER BY id",
                arrow=True).to_pydict()
    assert out == {"a2": [2, None, 6], "x2": [1.0, None, 5.0], "nb": [False, None, True]}


def test_exceptions_and_sentinels_become_null(any_client, unique_name):
    import pandas as pd

    c = any_client

    @c.udf("i64(i64)")
    def picky(x):
        if x == 3:
            raise ValueError("no threes")
        return x * 10

    @c.udf("i64(i64)", "f64(f64)")
    def sentinel(x):
        return -9223372036854775808 if x == 0 else x

    assert picky(2) == 20 and picky(3) is None
    assert sentinel(0) is None and sentinel(5) == 5
    t = unique_name("t")
    c.load_table(t, pd.DataFrame({"v": [1, 2, 3, 4]}))
    out = c.sql(f"SELECT picky(v) AS p FROM {t} ORDER BY v", arrow=True).to_pydict()
    assert out == {"p": [10, 20, None, 40]}


def test_division_by_zero_follows_numpys_error_model(client):
    @client.udf("i64(i64, i64)", "f64(f64, f64)")
    def div(a, b):
        return a // b if isinstance(a, int) else a / b

    assert div(7, 2) == 3
    assert div(7, 0) == 0
    assert div(1.0, 0.0) == math.inf


def test_no_matching_overload_lists_the_signatures(any_client):
    c = any_client

    @c.udf("int64(int64, int64)", "int32(int32, int32)")
    def add(a, b):
        return a + b

    with pytest.raises(NoMatchingOverload) as e:
        add(1.5, 2.5)
    msg = str(e.value)
    assert msg.startswith("No match found for function signature add(DOUBLE, DOUBLE)"), msg
    assert sorted(e.value.signatures) == ["add(int32, int32) -> int32",
                                          "add(int64, int64) -> int64"]
    with pytest.raises(NoMatchingOverload, match=r"add\(BOOLEAN, TINYINT\)"):
        add(True, 1)
    with pytest.raises(NoMatchingOverload, match=r"add\(BIGINT\)"):
        add(1)


def test_bad_signature_string_is_reported_before_compiling(client):
    with pytest.raises(SignatureError, match="unknown type `text`"):
        @client.udf("int64(int64, text)")
        def f(a, b):
            return a

    with pytest.raises(TypeError, match="needs signatures"):
        @client.udf
        def g(a):
            return a

    with pytest.raises(ValueError, match="cannot be a SQL function name"):
        @client.udf("i64(i64)", name="two__parts")
        def h(a):
            return a


def test_uncompilable_function_keeps_the_registered_ones(client):
    @client.udf("i64(i64)")
    def inc(x):
        return x + 1

    with pytest.raises(CompileError) as e:
        @client.udf("i64(i64)", "f64(f64)")
        def shout(x):
            return x.upper()
    assert "Numba cannot compile `shout` as int64(int64)" in str(e.value)
    assert "shout" not in client.functions
    assert inc(1) == 2


def test_ir_the_server_refuses_changes_nothing(client):
    @client.udf("i64(i64)")
    def inc(x):
        return x + 1

    with pytest.raises(RegistrationError) as e:
        @client.udf("f64(f64)")
        def gamma(x):
            return math.gamma(x)  # Numba calls its own helper numba_gamma, not libm
    assert "numba_gamma" in str(e.value)
    assert "gamma" not in client.functions
    assert inc(41) == 42


def test_functions_accumulate_and_redefinition_replaces(client):
    @client.udf("i64(i64, i64)")
    def add(a, b):
        return a + b

    @client.udf("i64(i64, i64)")
    def mul(a, b):
        return a * b

    assert (add(3, 4), mul(3, 4)) == (7, 12)
    assert set(client.functions) == {"add", "mul"}

    @client.udf("i64(i64, i64)")
    def add(a, b):  # noqa: F811 - a new body for the same SQL name
        return a + b + 100

    assert (add(3, 4), mul(3, 4)) == (107, 12)
    client.drop_function("mul")
    assert set(client.functions) == {"add"}
    with pytest.raises(udf_client.ServerError):
        client.sql("SELECT mul(3, 4)")
    assert add(1, 1) == 102


def test_describe_shows_signatures_server_facts_and_ir(client):
    @client.udf("int64(int64, int64)", "f64(f64, f64)")
    def add(a, b):
        return a + b

    add(1, 2)
    d = add.describe()
    text = str(d)
    assert "add(BIGINT, BIGINT) -> BIGINT" in text and "add(DOUBLE, DOUBLE) -> DOUBLE" in text
    assert "def add(a, b):" in text
    assert "define i64 @add__cpu_0(i64" in text and "define double @add__cpu_1(double" in text
    assert text.count("define ") == 2
    assert "Not served yet" in text and "PTX" in text
    rows = {r["signature"]: r for r in d.server_functions}
    assert set(rows) == {"int64(int64, int64)", "float64(float64, float64)"}
    assert rows["int64(int64, int64)"]["targets"].split(",")[0] == "cpu"
    assert rows["int64(int64, int64)"]["runs"].startswith("cpu 1")
    assert rows["float64(float64, float64)"]["runs"].startswith("cpu 0")
    assert d.ir == add.ir and f'target triple = "{client.target.triple}"' in d.ir


def test_compiled_for_the_servers_cpu(client):
    params = client.device_parameters
    settings = client.compiler.settings
    assert settings.target.triple == params["cpu_triple"]
    server_features = set(params["cpu_features"].split())
    assert set(settings.features) <= server_features
    # what is left out is explained
    if len(settings.features) < len(server_features):
        assert any("left out" in n for n in settings.notes)


def test_an_expired_session_is_renewed(client):
    old = client.session
    client._raw("disconnect", old)  # the server forgets the session
    assert client.sql("SELECT 1 AS one")["one"].tolist() == [1]
    assert client.session != old

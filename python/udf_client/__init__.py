"""udf_client: write SQL functions in Python, run them on a udf-server.

.. code-block:: python

    import udf_client

    client = udf_client.connect("localhost:6274", user="admin",
                                password="HyperInteractive", database="heavyai")

    @client.udf("int64(int64, int64)", "f64(f64, f64)")
    def add(a, b):
        return a + b

    add(1, 2)                                    # 3, computed on the server
    client.load_table("t", df)                   # pandas or pyarrow, in chunks
    client.sql("SELECT add(a, b) FROM t")        # pandas DataFrame (arrow=True: pyarrow)
    add.describe()                               # signatures, server facts, the IR sent

Functions are compiled by Numba on the client, for the server's CPU (from its
``get_device_parameters``), to LLVM IR that the server JIT-compiles into column kernels;
a server with a GPU builds the GPU variant from the same IR itself. The client speaks
HeavyDB's Thrift protocol (binary protocol, buffered transport) with thriftpy2 and the
server's IDL (``udf_client/heavy.thrift``).
"""

from .client import Client, connect
from .compiler import CompiledFunction, NumbaCompiler, Target
from .errors import (
    CompileError,
    ConnectionLost,
    NoMatchingOverload,
    RegistrationError,
    ServerError,
    SignatureError,
    UdfClientError,
)
from .function import CallResult, FunctionDescription, RemoteFunction
from .server import LocalServer, find_server_binary, start_local_server
from .types import ScalarType, Signature, parse_signature, parse_signatures

__version__ = "0.1.0"

__all__ = [
    "connect",
    "Client",
    "RemoteFunction",
    "CallResult",
    "FunctionDescription",
    "CompiledFunction",
    "NumbaCompiler",
    "Target",
    "ScalarType",
    "Signature",
    "parse_signature",
    "parse_signatures",
    "LocalServer",
    "start_local_server",
    "find_server_binary",
    "UdfClientError",
    "SignatureError",
    "CompileError",
    "ServerError",
    "RegistrationError",
    "NoMatchingOverload",
    "ConnectionLost",
    "__version__",
]

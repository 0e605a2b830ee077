"""The client: a session on a udf-server (HeavyDB's Thrift protocol) plus its UDFs."""

from __future__ import annotations

import math
import numbers
import os
import re
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import load as _load
from ._thrift import Connection
from .compiler import NumbaCompiler, Target, link_modules
from .errors import (
    ConnectionLost,
    NoMatchingOverload,
    RegistrationError,
    ServerError,
    UdfClientError,
)
from .function import CallResult, RemoteFunction
from .types import ScalarType, Signature, parse_signatures, scalar_type, sql_type_by_name

__all__ = ["Client", "connect", "DEFAULT_PORT"]

DEFAULT_PORT = 6274
_DEVICE_CPU = 0  # TDeviceType.CPU
_ARROW_WIRE = 1  # TArrowTransport.WIRE
_UNKNOWN_METHOD = 1  # TApplicationException.UNKNOWN_METHOD
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NO_MATCH = "No match found for function signature"
# TDatumType → SQL name of a result
_DATUM_SQL = {17: "TINYINT", 0: "SMALLINT", 1: "INTEGER", 2: "BIGINT", 3: "FLOAT",
              5: "DOUBLE", 10: "BOOLEAN"}

CallMode = str  # "auto" | "udf_call" | "sql"


def _parse_address(address: str) -> Tuple[str, int]:
    address = address.strip()
    if address.startswith("["):  # [::1]:6274
        host, _, rest = address[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port else DEFAULT_PORT
    if address.count(":") == 1:
        host, port = address.split(":")
        return host or "localhost", int(port)
    return address or "localhost", DEFAULT_PORT


def connect(
    address: str = "localhost:6274",
    *,
    user: str = "admin",
    password: Optional[str] = None,
    database: str = "heavyai",
    timeout: float = 600.0,
    call_mode: CallMode = "auto",
) -> "Client":
    """Opens a session on a udf-server (or any server speaking HeavyDB's Thrift protocol on
    its binary TCP port).

    ``address`` is ``host[:port]`` (default port 6274). ``password`` defaults to
    ``$UDF_PASSWORD``, else HeavyDB's default ``HyperInteractive``. ``timeout`` (seconds)
    bounds each call. ``call_mode`` picks how direct calls (``add(1, 2)``) reach the
    server: ``"udf_call"`` (the server's direct-call method), ``"sql"``
    (``SELECT add(1, 2)``) or ``"auto"`` (``udf_call`` when the IDL and the server have
    it, else SQL).
    """
    host, port = _parse_address(address)
    if password is None:
        password = os.environ.get("UDF_PASSWORD", "HyperInteractive")
    return Client(host, port, user=user, password=password, database=database,
                  timeout=timeout, call_mode=call_mode)


class Client:
    """A session on a udf-server and the UDFs registered through it.

    Runtime registration (``register_runtime_extension_functions``) replaces, on every
    call, the whole set of functions this *user* registered that way, so the client keeps
    all functions it defined and sends them all each time (in one module, one call).
    Functions created with SQL ``CREATE FUNCTION``, or by other users, are untouched; two
    clients of the same user replace each other's functions.
    """

    def __init__(self, host: str, port: int, *, user: str, password: str, database: str,
                 timeout: float = 600.0, call_mode: CallMode = "auto") -> None:
        if call_mode not in ("auto", "udf_call", "sql"):
            raise ValueError("call_mode must be 'auto', 'udf_call' or 'sql'")
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.call_mode = call_mode
        self._password = password
        self._conn = Connection(host, port, timeout)
        self._session: Optional[str] = None
        self._functions: Dict[str, RemoteFunction] = {}
        self._registry_lock = threading.RLock()
        self._params: Optional[Dict[str, str]] = None
        self._compiler: Optional[NumbaCompiler] = None
        self._udf_call_ok: Optional[bool] = None
        self._arrow_cast: Optional[bool] = None
        self._login()

    # ------------------------------------------------------------------ plumbing

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def thrift(self) -> Any:
        """The parsed IDL module (structs such as ``TDatum``, the ``Heavy`` service)."""
        return self._conn.module

    @property
    def session(self) -> str:
        """The session id from ``connect``."""
        assert self._session is not None
        return self._session

    def _login(self) -> None:
        self._session = self._raw("connect", self.user, self._password, self.database)

    def _raw(self, method: str, *args: Any) -> Any:
        """One Thrift call; TDBException → ServerError, transport errors → ConnectionLost."""
        from thriftpy2.transport import TTransportException

        try:
            return self._conn.call(method, *args)
        except self.thrift.TDBException as e:
            raise _server_error(method, e.error_msg) from None
        except (TTransportException, OSError, EOFError) as e:
            raise ConnectionLost(
                f"{method}: the connection to {self.address} failed ({e}); "
                f"the next call reconnects"
            ) from None

    def rpc(self, method: str, *args: Any) -> Any:
        """Calls a ``Heavy`` method with this session as its first argument. An expired
        session (idle timeout) is renewed once, transparently."""
        if self._session is None:
            raise UdfClientError("the client is closed")
        try:
            return self._raw(method, self._session, *args)
        except ServerError as e:
            if not str(e).startswith("Session not valid or expired"):
                raise
        self._login()
        return self._raw(method, self._session, *args)

    def close(self) -> None:
        """Ends the session (the registered functions stay on the server)."""
        if self._session is not None:
            try:
                self._raw("disconnect", self._session)
            except UdfClientError:
                pass
            self._session = None
        self._conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._session is None else f"{len(self._functions)} udf(s)"
        return f"<udf_client.Client {self.user}@{self.address}/{self.database}: {state}>"

    # ------------------------------------------------------------------ server facts

    @property
    def version(self) -> str:
        """The server's version string (``get_version``)."""
        return self._raw("get_version")

    @property
    def device_parameters(self) -> Dict[str, str]:
        """``get_device_parameters``: the server's CPU (and GPU) as compilers need it."""
        if self._params is None:
            self._params = dict(self.rpc("get_device_parameters"))
        return self._params

    @property
    def target(self) -> Target:
        """The CPU the functions are compiled for."""
        return Target.from_device_parameters(self.device_parameters)

    @property
    def compiler(self) -> NumbaCompiler:
        """Numba set up for the server's CPU (created on first use)."""
        if self._compiler is None:
            self._compiler = NumbaCompiler(self.target)
        return self._compiler

    # ------------------------------------------------------------------ SQL and data

    def sql(self, query: str, *, arrow: bool = False) -> Any:
        """Runs one SQL statement; returns a pandas DataFrame, or a pyarrow Table with
        ``arrow=True`` (Arrow IPC over the wire, ``sql_execute_df``). Statements without
        rows (DDL) give an empty frame."""
        import pyarrow as pa

        df = self.rpc("sql_execute_df", query, _DEVICE_CPU, 0, -1, _ARROW_WIRE)
        buf = df.df_buffer or b""
        table = pa.ipc.open_stream(pa.py_buffer(buf)).read_all() if buf else pa.table({})
        return table if arrow else table.to_pandas()

    def tables(self) -> List[str]:
        """Table names (``get_tables``)."""
        return list(self.rpc("get_tables"))

    def load_table(
        self,
        name: str,
        data: Any,
        *,
        create: Union[bool, str] = "auto",
        chunk_rows: Optional[int] = None,
        progress: Optional[bool] = None,
    ) -> int:
        """Loads a pandas DataFrame or pyarrow Table into table ``name``; returns the rows
        loaded.

        ``create``: ``"auto"`` creates the table when missing (column types from the
        frame: bool → BOOLEAN, int8..int64 → TINYINT..BIGINT, unsigned → the next wider
        signed type, float32/64 → FLOAT/DOUBLE, strings → TEXT ENCODING DICT(32),
        timestamps, dates, times, decimals) and appends otherwise; ``True`` requires
        that it does not exist, ``False`` that it does. Columns are matched by name
        (case-insensitively) when appending; table columns the frame lacks get NULL.

        Rows go in chunks of ``chunk_rows`` (default: about 1 MiB each) through
        ``load_table_binary_arrow``; each chunk is appended atomically, so a failure
        leaves the earlier chunks loaded (the error says how many rows). ``progress``
        shows a tqdm bar: None = when there is more than one chunk.
        """
        table = _load.to_arrow(data)
        row_desc, schema = _load.column_types(self.thrift, table)
        exists = name.lower() in (t.lower() for t in self.tables())
        if create is True and exists:
            raise UdfClientError(f"table `{name}` exists (pass create='auto' to append)")
        if create is False and not exists:
            raise UdfClientError(f"table `{name}` does not exist (pass create='auto')")
        if create not in (True, False, "auto"):
            raise ValueError("create must be True, False or 'auto'")
        if not exists:
            self.rpc("create_table", name, row_desc, self.thrift.TCreateParams(is_replicated=False))
        total = table.num_rows
        if total == 0:
            return 0
        rows = _load.chunk_rows_for(table, chunk_rows)
        chunks = -(-total // rows)
        bar = None
        if progress or (progress is None and chunks > 1):
            bar = _progress_bar(total=total, desc=f"load {name}", unit="rows")
        loaded = 0
        try:
            for n, payload in _load.ipc_chunks(table, schema, rows):
                try:
                    self.rpc("load_table_binary_arrow", name, payload, True)
                except ServerError as e:
                    raise type(e)(
                        f"{e} (table `{name}`: {loaded} of {total} rows were loaded before "
                        f"this chunk)",
                        method=e.method,
                        server_message=e.server_message,
                    ) from None
                loaded += n
                if bar is not None:
                    bar.update(n)
        finally:
            if bar is not None:
                bar.close()
        return loaded

    # ------------------------------------------------------------------ UDFs

    @property
    def functions(self) -> Dict[str, RemoteFunction]:
        """The functions this client registered, by SQL name."""
        return dict(self._functions)

    def udf(self, *signatures: str, name: Optional[str] = None,
            **templates: Sequence[str]) -> Callable[[Callable[..., Any]], RemoteFunction]:
        """Decorator: compiles a Python function with Numba for the server's CPU, one
        overload per signature, and registers all of them (one call, with every other
        function of this client).

        ``@client.udf("int64(int64, int64)", "f64(f64, f64)")`` or with a template
        ``@client.udf("T(T, T)", T=["i32", "f64"])``. Spellings: bool, int8..int64
        (i8..i64), float32/f32/float, float64/f64/double. ``name`` overrides the SQL
        name (default: the Python function's name).

        Raises :class:`SignatureError` (bad signature), :class:`CompileError` (Numba
        failed) or :class:`RegistrationError` (the server refused the IR). Only CPU IR is
        sent: a server with a GPU builds the GPU variant from it itself.
        """
        if len(signatures) == 1 and callable(signatures[0]) and not templates:
            raise TypeError(
                '@client.udf needs signatures, e.g. @client.udf("int64(int64, int64)")'
            )
        sigs = parse_signatures(signatures, templates)

        def decorate(py_func: Callable[..., Any]) -> RemoteFunction:
            fname: str = name or str(getattr(py_func, "__name__", ""))
            _check_name(fname)
            compiled = self.compiler.compile(py_func, fname, sigs)
            fn = RemoteFunction(self, fname, py_func, compiled)
            with self._registry_lock:
                functions = {k: v for k, v in self._functions.items() if k != fname.lower()}
                functions[fname.lower()] = fn
                self._register(functions)
                self._functions = functions
            return fn

        return decorate

    def drop_function(self, name: str) -> None:
        """Unregisters one of this client's functions (re-registers the others)."""
        with self._registry_lock:
            if name.lower() not in self._functions:
                raise KeyError(f"this client registered no function `{name}`")
            functions = {k: v for k, v in self._functions.items() if k != name.lower()}
            self._register(functions)
            self._functions = functions

    def register(self) -> None:
        """Sends this client's functions again (e.g. after another client of the same
        user replaced them)."""
        with self._registry_lock:
            self._register(self._functions)

    def _register(self, functions: Mapping[str, RemoteFunction]) -> None:
        T = self.thrift
        udfs = []
        modules = []
        for fn in functions.values():
            for sig, symbol in zip(fn.compiled.signatures, fn.compiled.symbols):
                udfs.append(T.TUserDefinedFunction(
                    name=symbol,
                    argTypes=[a.ext_arg_type for a in sig.args],
                    retType=sig.ret.ext_arg_type,
                    annotations=[{} for _ in range(len(sig.args) + 1)],
                ))
            modules.append(fn.compiled.ir)
        ir_map = {"cpu": link_modules(modules)} if modules else {}
        try:
            self.rpc("register_runtime_extension_functions", udfs, [], ir_map)
        except ServerError as e:
            if isinstance(e, NoMatchingOverload):
                raise
            raise RegistrationError(
                f"the server refused the functions: {e}", method=e.method,
                server_message=e.server_message,
            ) from None

    def _server_functions(self, name: str) -> List[Dict[str, Any]]:
        """``SHOW FUNCTIONS`` rows of one SQL name."""
        rows = self.sql("SHOW FUNCTIONS", arrow=True).to_pylist()
        return [r for r in rows if str(r.get("name", "")).lower() == name.lower()]

    # ------------------------------------------------------------------ direct calls

    def _use_udf_call(self) -> bool:
        if self.call_mode == "sql":
            return False
        if not self._conn.has_method("udf_call"):
            if self.call_mode == "udf_call":
                raise UdfClientError("this udf_client's IDL has no udf_call method")
            return False
        return self._udf_call_ok is not False

    def _call_function(self, fn: RemoteFunction, args: Sequence[Any],
                       types: Optional[Sequence[str]]) -> CallResult:
        if types is not None and len(types) != len(args):
            raise ValueError(f"{len(types)} types for {len(args)} arguments")
        typed = _argument_types(fn.signatures, args, types)
        if self._use_udf_call():
            from thriftpy2.thrift import TApplicationException

            try:
                return self._udf_call(fn.name, args, typed)
            except TApplicationException as e:
                if e.type != _UNKNOWN_METHOD:
                    raise
                if self.call_mode == "udf_call":
                    raise UdfClientError(
                        f"the server at {self.address} has no udf_call method (an older "
                        f"udf-server?); connect with call_mode='auto' or 'sql'"
                    ) from None
                self._udf_call_ok = False  # an older server: SQL from now on
        return self._sql_call(fn.name, args, typed)

    def _udf_call(self, name: str, args: Sequence[Any],
                  typed: Tuple[List[Optional[ScalarType]], bool]) -> CallResult:
        T = self.thrift
        types, explicit = typed
        datums = []
        for value, t in zip(args, types):
            if value is None:
                datums.append(T.TDatum(val=T.TDatumVal(), is_null=True))
            elif t is not None and t.kind == "float":
                datums.append(T.TDatum(val=T.TDatumVal(real_val=float(value)), is_null=False))
            else:
                datums.append(T.TDatum(val=T.TDatumVal(int_val=int(value)), is_null=False))
        arg_types = [t.sql for t in types] if explicit else []  # type: ignore[union-attr]
        r = self.rpc("udf_call", name, datums, arg_types)
        self._udf_call_ok = True
        return CallResult(_datum_value(r.value, r.type), r.type, r.signature or None, "udf_call")

    def _sql_call(self, name: str, args: Sequence[Any],
                  typed: Tuple[List[Optional[ScalarType]], bool]) -> CallResult:
        types, explicit = typed
        if self._arrow_cast is None:
            self._arrow_cast = "udf-server" in self.version
        literals = [_sql_literal(v, t, explicit, self._arrow_cast) for v, t in zip(args, types)]
        r = self.rpc("sql_execute", f"SELECT {name}({', '.join(literals)})", True, "", -1, -1)
        rs = r.row_set
        sql_type = _DATUM_SQL.get(rs.row_desc[0].col_type.type, str(rs.row_desc[0].col_type.type))
        col = rs.columns[0]
        if col.nulls[0]:
            value: Any = None
        elif sql_type in ("FLOAT", "DOUBLE"):
            value = col.data.real_col[0]
        elif sql_type == "BOOLEAN":
            value = bool(col.data.int_col[0])
        else:
            value = col.data.int_col[0]
        return CallResult(value, sql_type, None, "sql")


# ---------------------------------------------------------------------- helpers


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name) or "__" in name or name.endswith("_"):
        raise ValueError(
            f"`{name}` cannot be a SQL function name here: use letters, digits and single "
            f"underscores, starting with a letter (the server reads `name__cpu_N`); "
            f"name it with @client.udf(..., name=\"my_name\")"
        )


def _server_error(method: str, message: str) -> ServerError:
    if _NO_MATCH in message:
        return NoMatchingOverload(message[message.index(_NO_MATCH):], method=method,
                                  server_message=message)
    return ServerError(message, method=method)


def _progress_bar(**kwargs: Any) -> Any:
    try:
        import ipywidgets  # noqa: F401  (tqdm.notebook needs it)
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
            from tqdm.notebook import tqdm

            return tqdm(**kwargs)
    except ImportError:
        pass
    from tqdm import tqdm

    return tqdm(**kwargs)


def _value_type(value: Any) -> Tuple[Optional[ScalarType], bool]:
    """(type of a Python/numpy argument, whether the server must be told it)."""
    import numpy as np

    if value is None:
        return None, True
    if isinstance(value, (bool, np.bool_)):
        return scalar_type("bool"), True
    if isinstance(value, np.integer):
        dt = np.dtype(type(value))
        if dt.kind == "u":
            name = {1: "int16", 2: "int32", 4: "int64", 8: "int64"}[dt.itemsize]
        else:
            name = f"int{dt.itemsize * 8}"
        return scalar_type(name), True
    if isinstance(value, numbers.Integral):
        v = int(value)
        for bits in (8, 16, 32, 64):
            if -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
                return scalar_type(f"int{bits}"), False
        raise OverflowError(f"{v} does not fit in a BIGINT")
    if isinstance(value, np.floating):
        return scalar_type("float32" if np.dtype(type(value)).itemsize <= 4 else "float64"), True
    if isinstance(value, numbers.Real):
        # A Python float is a double: DOUBLE, sent explicitly (left to the server, a value
        # exact in 32 bits would be narrowed to FLOAT like the SQL literal 2.5).
        return scalar_type("float64"), True
    raise TypeError(
        f"udf arguments are bool, int, float, numpy scalars or None, not {type(value).__name__}"
    )


def _converts(src: ScalarType, dst: ScalarType) -> bool:
    """Whether the server's implicit casts take a ``src`` argument to ``dst``."""
    if src.kind == "bool" or dst.kind == "bool":
        return src.kind == dst.kind
    if src.kind == "int":
        return dst.kind == "float" or dst.bits >= src.bits
    return dst.kind == "float" and dst.bits >= src.bits


def _argument_types(signatures: Sequence[Signature], args: Sequence[Any],
                    types: Optional[Sequence[str]]) -> Tuple[List[Optional[ScalarType]], bool]:
    """Each argument's type and whether to send the types (a NULL, bool or numpy scalar
    needs them; plain ints/floats are typed by the server like SQL literals)."""
    if types is not None:
        out: List[Optional[ScalarType]] = []
        for value, t in zip(args, types):
            st = scalar_type(t) or sql_type_by_name(t)
            if st is None:
                raise ValueError(f"unknown type {t!r}")
            if value is not None:
                _value_type(value)  # a supported Python type
                if st.kind != "float" and not float(value).is_integer():
                    raise TypeError(f"{value!r} is not a {st.sql} value")
            out.append(st)
        return out, True
    typed = [_value_type(v) for v in args]
    explicit = any(e for _, e in typed)
    known = [t for t, _ in typed]
    if any(t is None for t in known):
        fits = [s for s in signatures if len(s.args) == len(args)]
        best = [s for s in fits
                if all(k is None or _converts(k, p) for k, p in zip(known, s.args))]
        picked = (best or fits)[:1]
        fallback = scalar_type("int64")  # no overload has this arity: the server says so
        known = [k if k is not None else (picked[0].args[i] if picked else fallback)
                 for i, k in enumerate(known)]
    return known, explicit


_ARROW_NAMES = {"bool": "Boolean", "int8": "Int8", "int16": "Int16", "int32": "Int32",
                "int64": "Int64", "float32": "Float32", "float64": "Float64"}


def _sql_literal(value: Any, t: Optional[ScalarType], typed: bool, arrow_cast: bool) -> str:
    """One argument of the SQL fallback, typed as udf_call types it: untyped ints and
    finite floats as literals (the server types them by value), the rest with their type.
    udf-server types a ``CAST`` of a literal by value too, so it gets ``arrow_cast``."""
    if value is None:
        return f"CAST(NULL AS {t.sql if t else 'BIGINT'})"
    if not typed and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if not typed and isinstance(value, float) and math.isfinite(value):
        return repr(float(value))
    assert t is not None
    if t.kind == "float":
        v = float(value)
        text = repr(v) if math.isfinite(v) else f"'{v}'"  # 'nan', 'inf', '-inf'
    elif t.kind == "bool":
        return "TRUE" if value else "FALSE"
    else:
        text = str(int(value))
    if arrow_cast:
        return f"arrow_cast({text}, '{_ARROW_NAMES[t.name]}')"
    return f"CAST({text} AS {t.sql})"


def _datum_value(datum: Any, sql_type: str) -> Any:
    if datum is None or datum.is_null:
        return None
    val = datum.val
    if sql_type in ("FLOAT", "DOUBLE"):
        return val.real_val
    if sql_type == "BOOLEAN":
        return bool(val.int_val)
    return val.int_val

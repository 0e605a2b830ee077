"""A registered function: call it directly, or describe what was compiled and sent."""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from .compiler import CompiledFunction
from .types import Signature

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["RemoteFunction", "CallResult", "FunctionDescription", "NOT_SERVED"]

NOT_SERVED = (
    "Not served yet: the server's optimised IR, its machine code (assembly) and GPU PTX; "
    "udf-server has no method that returns them. The IR below is what this client sent."
)


@dataclass(frozen=True)
class CallResult:
    """The outcome of one direct call."""

    value: Any
    """The result as a Python value (bool, int, float), None for SQL NULL."""
    type: str
    """SQL type of the result: BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE."""
    signature: Optional[str]
    """The overload that ran (``add(BIGINT, BIGINT) -> BIGINT``); None when the server
    was called through SQL (``SELECT add(…)``), which does not say."""
    path: str
    """``udf_call`` (the direct Thrift method) or ``sql`` (the SQL fallback)."""


@dataclass
class FunctionDescription:
    """What :meth:`RemoteFunction.describe` found; ``print()`` it or let a notebook show it."""

    name: str
    signatures: List[Signature]
    symbols: List[str]
    python_source: Optional[str]
    codegen: str
    compile_seconds: float
    ir: str
    server_functions: List[Dict[str, Any]] = field(default_factory=list)
    server_address: str = ""
    not_served: str = NOT_SERVED

    def __str__(self) -> str:
        out = [
            f"udf `{self.name}` on {self.server_address}: "
            f"{len(self.signatures)} overload(s)"
        ]
        width = max(len(s.sql(self.name)) for s in self.signatures)
        for sig, sym in zip(self.signatures, self.symbols):
            out.append(f"  {sig.sql(self.name):<{width}}   IR symbol @{sym}")
        if self.python_source:
            out += ["", "Python source:", textwrap.indent(self.python_source.rstrip(), "  ")]
        out += [
            "",
            f"Compiled on the client in {self.compile_seconds * 1000:.0f} ms:",
            textwrap.indent(self.codegen, "  "),
            "",
            "On the server (SHOW FUNCTIONS):",
        ]
        if self.server_functions:
            cols = ["signature", "targets", "origin", "compile_ms", "runs"]
            rows = [
                [
                    f"{r.get(c):.1f}" if isinstance(r.get(c), float) else str(r.get(c, ""))
                    for c in cols
                ]
                for r in self.server_functions
            ]
            widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
            for r in rows:
                out.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
        else:
            out.append("  (not listed: the function is not registered on the server)")
        out += [
            "  A server with a GPU builds the GPU variant from this CPU IR itself "
            "(targets then lists gpu).",
            "",
            self.not_served,
            "",
            f"IR sent ({len(self.ir.splitlines())} lines):",
            self.ir.rstrip(),
        ]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)


class RemoteFunction:
    """A Python function compiled by Numba and registered on the server as a SQL function.

    Call it like the Python function (``add(1, 2)``): the call runs on the server. Use it
    in SQL by name (``client.sql("SELECT add(a, b) FROM t")``).
    """

    def __init__(self, client: "Client", name: str, py_func: Callable[..., Any],
                 compiled: CompiledFunction) -> None:
        self.client = client
        self.name = name
        self.py_func = py_func
        self.compiled = compiled
        functools.update_wrapper(self, py_func)

    @property
    def signatures(self) -> List[Signature]:
        """The overloads, in the order given."""
        return list(self.compiled.signatures)

    @property
    def ir(self) -> str:
        """The LLVM IR module compiled for this function (what was sent for it)."""
        return self.compiled.ir

    def __call__(self, *args: Any) -> Any:
        """Runs the function on the server with these arguments and returns the value
        (None for NULL). Overloads are chosen by the server from the argument types:
        Python ints are typed like SQL literals (the narrowest integer type), floats as
        DOUBLE, bools as BOOLEAN, numpy scalars by their dtype."""
        return self.call(*args).value

    def call(self, *args: Any, types: Optional[Sequence[str]] = None) -> CallResult:
        """Like calling the function, but returns the value with its SQL type and the
        overload that ran. ``types`` gives each argument's type explicitly (``"int32"``,
        ``"DOUBLE"`` …), which picks the overload."""
        return self.client._call_function(self, args, types)

    def describe(self) -> FunctionDescription:
        """The signatures, the Python source, how it was compiled, what the server lists
        for it (``SHOW FUNCTIONS``: targets, compile time, runs) and the IR sent."""
        try:
            source: Optional[str] = textwrap.dedent(inspect.getsource(self.py_func))
        except (OSError, TypeError):
            source = None
        return FunctionDescription(
            name=self.name,
            signatures=self.signatures,
            symbols=list(self.compiled.symbols),
            python_source=source,
            codegen=self.client.compiler.settings.summary(),
            compile_seconds=self.compiled.compile_seconds,
            ir=self.ir,
            server_functions=self.client._server_functions(self.name),
            server_address=self.client.address,
        )

    def __repr__(self) -> str:
        sigs = ", ".join(str(s) for s in self.signatures)
        return f"<udf {self.name}: {sigs} on {self.client.address}>"

"""Scalar types and signature strings.

A signature is written ``RET(ARG, ARG, …)`` with these spellings (case-insensitive):

=========  ==============================  ========  =================================
canonical  also accepted                   SQL       NULL sentinel (HeavyDB's)
=========  ==============================  ========  =================================
bool       boolean                         BOOLEAN   -128 (bool travels as ``i8``)
int8       i8                              TINYINT   -128
int16      i16                             SMALLINT  -32768
int32      i32                             INTEGER   -2147483648
int64      i64                             BIGINT    -9223372036854775808
float32    f32, float                      FLOAT     FLT_MIN (1.1754944e-38), not NaN
float64    f64, double                     DOUBLE    DBL_MIN (2.2250738585072014e-308)
=========  ==============================  ========  =================================

Templates: ``parse_signatures(["T(T, T)"], {"T": ["i32", "f64"]})`` gives
``int32(int32, int32)`` and ``float64(float64, float64)``; several template variables
expand to every combination.
"""

from __future__ import annotations

import itertools
import re
import struct
import sys
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .errors import SignatureError

__all__ = [
    "ScalarType",
    "Signature",
    "SCALAR_TYPES",
    "scalar_type",
    "parse_signature",
    "parse_signatures",
    "sql_type_by_name",
]


@dataclass(frozen=True)
class ScalarType:
    """One scalar type of the UDF ABI (see ``shared/protocols/udf-abi.md`` §2–3)."""

    name: str
    """Canonical spelling: ``bool``, ``int8`` … ``int64``, ``float32``, ``float64``."""
    sql: str
    """SQL type name as HeavyDB prints it: ``BOOLEAN``, ``TINYINT`` … ``DOUBLE``."""
    ext_arg_type: int
    """HeavyDB ``TExtArgumentType`` code sent in ``TUserDefinedFunction``."""
    datum_type: int
    """HeavyDB ``TDatumType`` code used in result descriptors and ``create_table``."""
    kind: str
    """``"bool"``, ``"int"`` or ``"float"``."""
    bits: int
    """Width in the IR (``bool`` is ``i8``)."""
    null_sentinel: Any
    """The value that means SQL NULL when a UDF returns it."""

    @property
    def llvm(self) -> str:
        """The type in LLVM IR: ``i8`` … ``i64``, ``float``, ``double``."""
        if self.kind == "float":
            return "float" if self.bits == 32 else "double"
        return f"i{self.bits}"

    def numba_type(self) -> Any:
        """The Numba type the Python function is compiled with."""
        from numba.core import types as nt

        return {
            "bool": nt.boolean,
            "int8": nt.int8,
            "int16": nt.int16,
            "int32": nt.int32,
            "int64": nt.int64,
            "float32": nt.float32,
            "float64": nt.float64,
        }[self.name]

    def __str__(self) -> str:
        return self.name


_FLT_MIN = struct.unpack("<f", struct.pack("<I", 0x00800000))[0]

SCALAR_TYPES: Tuple[ScalarType, ...] = (
    ScalarType("bool", "BOOLEAN", 14, 10, "bool", 8, -128),
    ScalarType("int8", "TINYINT", 0, 17, "int", 8, -(2**7)),
    ScalarType("int16", "SMALLINT", 1, 0, "int", 16, -(2**15)),
    ScalarType("int32", "INTEGER", 2, 1, "int", 32, -(2**31)),
    ScalarType("int64", "BIGINT", 3, 2, "int", 64, -(2**63)),
    ScalarType("float32", "FLOAT", 4, 3, "float", 32, _FLT_MIN),
    ScalarType("float64", "DOUBLE", 5, 5, "float", 64, sys.float_info.min),
)

_BY_NAME: Dict[str, ScalarType] = {t.name: t for t in SCALAR_TYPES}
_ALIASES: Dict[str, str] = {
    "boolean": "bool",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "f32": "float32",
    "float": "float32",
    "f64": "float64",
    "double": "float64",
}
_BY_SQL: Dict[str, ScalarType] = {t.sql: t for t in SCALAR_TYPES}
_BY_SQL.update({"INT": _BY_NAME["int32"], "BOOL": _BY_NAME["bool"], "REAL": _BY_NAME["float32"]})

SPELLINGS = "bool/boolean, int8..int64 (i8..i64), float32/f32/float, float64/f64/double"


def scalar_type(spelling: str) -> Optional[ScalarType]:
    """The type a spelling names (``"i64"`` → int64), or None."""
    key = spelling.strip().lower()
    return _BY_NAME.get(_ALIASES.get(key, key))


def sql_type_by_name(sql: str) -> Optional[ScalarType]:
    """The type of a SQL type name (``BIGINT``, ``INT``, ``DOUBLE`` …), or None."""
    return _BY_SQL.get(sql.strip().upper())


@dataclass(frozen=True)
class Signature:
    """``ret(args…)`` of one overload."""

    ret: ScalarType
    args: Tuple[ScalarType, ...]

    def __str__(self) -> str:
        return f"{self.ret}({', '.join(str(a) for a in self.args)})"

    def sql(self, name: str) -> str:
        """``add(BIGINT, BIGINT) -> BIGINT``, the way the server names overloads."""
        return f"{name}({', '.join(a.sql for a in self.args)}) -> {self.ret.sql}"


_SIG_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _resolve(token: str, spec: str, bound: Mapping[str, ScalarType]) -> ScalarType:
    if token in bound:
        return bound[token]
    t = scalar_type(token)
    if t is None:
        hint = (
            f"; template variables here: {', '.join(sorted(bound))}"
            if bound
            else f" (or make `{token}` a template variable: {token}=[\"i32\", \"f64\"])"
        )
        raise SignatureError(
            f"unknown type `{token}` in signature `{spec}`: use {SPELLINGS}{hint}"
        )
    return t


def _split(spec: str) -> Tuple[str, List[str]]:
    if not isinstance(spec, str):
        raise SignatureError(
            f"a signature is a string such as \"int64(int64, int64)\", not {spec!r}"
        )
    m = _SIG_RE.match(spec)
    if m is None:
        raise SignatureError(
            f"cannot parse signature `{spec}`: expected RET(ARG, ...), "
            f"e.g. \"int64(int64, int64)\""
        )
    ret, inner = m.group(1), m.group(2).strip()
    args = [a.strip() for a in inner.split(",")] if inner else []
    for a in args:
        if not _IDENT_RE.match(a):
            raise SignatureError(
                f"cannot parse signature `{spec}`: `{a}` is not a type name "
                f"(scalar types only: {SPELLINGS})"
            )
    return ret, args


def parse_signature(spec: str) -> Signature:
    """Parses one signature without template variables."""
    sigs = parse_signatures([spec], {})
    return sigs[0]


def parse_signatures(
    specs: Iterable[str], templates: Optional[Mapping[str, Sequence[str]]] = None
) -> List[Signature]:
    """Parses signature strings, expanding template variables.

    Raises :class:`SignatureError` for unknown types, bad syntax, unused or empty template
    variables, and two overloads with the same argument types.
    """
    templates = dict(templates or {})
    choices: Dict[str, List[ScalarType]] = {}
    for var, values in templates.items():
        if scalar_type(var) is not None:
            raise SignatureError(f"template variable `{var}` is also a type name")
        if isinstance(values, str):
            values = [values]
        values = list(values)
        if not values:
            raise SignatureError(f"template variable `{var}` has no types")
        resolved = []
        for v in values:
            t = scalar_type(v) if isinstance(v, str) else None
            if t is None:
                raise SignatureError(
                    f"template variable `{var}`: unknown type {v!r}: use {SPELLINGS}"
                )
            resolved.append(t)
        choices[var] = resolved

    specs = list(specs)
    if not specs:
        raise SignatureError(
            'give at least one signature, e.g. @client.udf("int64(int64, int64)")'
        )
    used: set = set()
    out: List[Signature] = []
    for spec in specs:
        ret, args = _split(spec)
        tokens = [ret, *args]
        names = [v for v in choices if v in tokens]
        used.update(names)
        for combo in itertools.product(*(choices[v] for v in names)):
            bound = dict(zip(names, combo))
            sig = Signature(
                ret=_resolve(ret, spec, bound),
                args=tuple(_resolve(a, spec, bound) for a in args),
            )
            out.append(sig)
    unused = [v for v in choices if v not in used]
    if unused:
        raise SignatureError(
            f"template variable(s) {', '.join(unused)} not used by any signature"
        )
    seen: Dict[Tuple[ScalarType, ...], Signature] = {}
    unique: List[Signature] = []
    for sig in out:
        prev = seen.get(sig.args)
        if prev is not None:
            if prev == sig:
                continue  # the same overload spelled twice
            raise SignatureError(
                f"overloads `{prev}` and `{sig}` take the same arguments; "
                f"SQL chooses overloads by argument types only"
            )
        seen[sig.args] = sig
        unique.append(sig)
    return unique

"""Python functions → plain C-ABI LLVM IR with Numba, for the server's CPU.

For each overload Numba compiles the function (typing, lowering) into its own code
library; a small wrapper named ``<name>__cpu_<i>`` with the C ABI of the UDF contract
(``shared/protocols/udf-abi.md``: scalars by value, ``bool`` as ``i8``) calls it:

.. code-block:: llvm

    define i64 @add__cpu_0(i64 %a, i64 %b) {
      ; status = numba_add(&ret, &excinfo, a, b)
      ; ret i64 (status is an error ? INT64_MIN : ret)
    }

An exception raised inside the function (Numba's status code) makes the wrapper return
the type's NULL sentinel, so the row becomes SQL NULL; Numba's ``numpy`` error model is
used, so integer division by zero gives 0 and float division by zero gives inf/NaN
instead of raising. Numba's own C wrapper (``numba.cfunc``) is not used because its error
path calls the Python C API, which the server refuses.

The code generator is Numba's ahead-of-time one, set to the server's CPU name and feature
list from ``get_device_parameters`` (filtered to what this Numba's LLVM knows), and the
module carries the server's target triple. Only CPU IR is produced: a server with a GPU
builds the GPU variant from the same IR itself.
"""

from __future__ import annotations

import inspect
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Mapping, Sequence, Tuple

from .errors import CompileError, UdfClientError
from .types import Signature

__all__ = ["Target", "CompiledFunction", "NumbaCompiler", "link_modules", "symbol_name"]


def symbol_name(name: str, index: int) -> str:
    """The IR symbol of overload ``index`` of SQL function ``name`` (``add__cpu_0``)."""
    return f"{name}__cpu_{index}"


def _arch(triple: str) -> str:
    arch = triple.split("-", 1)[0].lower()
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(arch, arch)


@dataclass(frozen=True)
class Target:
    """The CPU the IR is compiled for (from the server's ``get_device_parameters``)."""

    triple: str
    cpu: str
    features: Tuple[str, ...]
    """LLVM features, each ``+name`` or ``-name``."""

    @classmethod
    def from_device_parameters(cls, params: Mapping[str, str]) -> "Target":
        """``cpu_triple``, ``cpu_name`` and ``cpu_features`` (`` +a -b``) of the server."""
        triple = params.get("cpu_triple", "")
        if not triple:
            raise UdfClientError("the server's get_device_parameters has no cpu_triple")
        features = tuple(
            f for f in params.get("cpu_features", "").replace(",", " ").split() if f[:1] in "+-"
        )
        return cls(triple=triple, cpu=params.get("cpu_name", ""), features=features)

    @classmethod
    def host(cls) -> "Target":
        """This machine, as llvmlite's LLVM sees it."""
        import llvmlite.binding as ll

        _initialize_llvm()
        features = tuple(
            f for f in ll.get_host_cpu_features().flatten().split(",") if f[:1] in "+-"
        )
        return cls(triple=ll.get_process_triple(), cpu=ll.get_host_cpu_name(), features=features)


@dataclass
class CompiledFunction:
    """A Python function compiled for every overload, as one LLVM IR module."""

    name: str
    signatures: List[Signature]
    symbols: List[str]
    ir: str
    """The module text: the ``<name>__cpu_<i>`` wrappers with the Numba code inlined."""
    compile_seconds: float
    libraries: List[Any] = field(default_factory=list, repr=False)


_LLVM_INIT = threading.Lock()
_llvm_ready = False


def _initialize_llvm() -> None:
    global _llvm_ready
    with _LLVM_INIT:
        if _llvm_ready:
            return
        from numba.core import codegen

        codegen.initialize_llvm()
        _llvm_ready = True


def _stderr_of(fn: Callable[[], Any]) -> str:
    """What ``fn`` writes to file descriptor 2 (LLVM reports unknown CPUs/features there)."""
    try:
        saved = os.dup(2)
    except OSError:
        fn()
        return ""
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode(errors="replace")


_UNKNOWN_FEATURE = re.compile(r"'([+-][^']+)' is not a recognized feature")
_UNKNOWN_CPU = re.compile(r"'([^']+)' is not a recognized processor")


@dataclass(frozen=True)
class CodegenSettings:
    """What Numba's code generator was actually set to, and why it differs from the target."""

    target: Target
    cpu: str
    features: Tuple[str, ...]
    notes: Tuple[str, ...]

    def summary(self) -> str:
        import llvmlite
        import llvmlite.binding as ll
        import numba

        llvm = ".".join(str(x) for x in ll.llvm_version_info)
        lines = [
            f"Numba {numba.__version__} (llvmlite {llvmlite.__version__}, LLVM {llvm}), "
            f"target {self.target.triple}, cpu {self.cpu or 'generic'}, "
            f"{sum(1 for f in self.features if f.startswith('+'))} features enabled",
        ]
        lines.extend(self.notes)
        return "\n".join(lines)


def _codegen_settings(target: Target) -> CodegenSettings:
    import llvmlite.binding as ll

    _initialize_llvm()
    host_triple = ll.get_process_triple()
    notes: List[str] = []
    if _arch(host_triple) != _arch(target.triple):
        notes.append(
            f"the server's architecture ({target.triple}) is not this machine's "
            f"({host_triple}): the IR is compiled for a generic {_arch(host_triple)} CPU "
            f"and stamped with the server's triple"
        )
        return CodegenSettings(target, "", (), tuple(notes))
    llvm_target = ll.Target.from_triple(host_triple)
    cpu = target.cpu
    features = list(target.features)
    msgs = _stderr_of(
        lambda: llvm_target.create_target_machine(cpu=cpu, features=",".join(features))
    )
    unknown_features = set(_UNKNOWN_FEATURE.findall(msgs))
    if _UNKNOWN_CPU.search(msgs):
        notes.append(
            f"cpu `{cpu}` is unknown to this Numba's LLVM: generic cpu with the "
            f"server's feature list instead"
        )
        cpu = ""
    if unknown_features:
        names = sorted(f[1:] for f in unknown_features)
        notes.append(
            f"{len(names)} server feature(s) unknown to this Numba's LLVM left out: "
            + ", ".join(names)
        )
        features = [f for f in features if f not in unknown_features]
    return CodegenSettings(target, cpu, tuple(features), tuple(notes))


class NumbaCompiler:
    """Compiles Python functions to the server's CPU with Numba (thread-safe)."""

    def __init__(self, target: Target) -> None:
        self.settings = _codegen_settings(target)
        self._ctx: Any = None
        self._lock = threading.Lock()

    @property
    def target(self) -> Target:
        return self.settings.target

    def _context(self) -> Any:
        with self._lock:
            if self._ctx is None:
                from numba.core.codegen import AOTCPUCodegen
                from numba.core.registry import cpu_target

                features = ",".join(self.settings.features)

                class _ServerCodegen(AOTCPUCodegen):  # type: ignore[misc, valid-type]
                    def _customize_tm_features(self) -> str:
                        return features

                # The host's context first: Numba's runtime (NRT) is built once, with it.
                host = cpu_target.target_context
                codegen = _ServerCodegen("udf_client", cpu_name=self.settings.cpu)
                self._ctx = host.subtarget(_internal_codegen=codegen)
            return self._ctx

    def compile(
        self, py_func: Callable[..., Any], name: str, signatures: Sequence[Signature]
    ) -> CompiledFunction:
        """Compiles every overload and links them into one module.

        Raises :class:`CompileError` naming the overload Numba failed on.
        """
        from numba.core import compiler
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target

        py_func = getattr(py_func, "py_func", py_func)  # an @njit dispatcher
        _check_arity(py_func, name, signatures)
        started = time.perf_counter()
        ctx = self._context()
        typing = cpu_target.typing_context
        flags: Any = compiler.Flags()
        flags.no_cpython_wrapper = True
        flags.no_cfunc_wrapper = True
        flags.no_compile = True
        flags.error_model = "numpy"
        symbols = [symbol_name(name, i) for i in range(len(signatures))]
        with global_compiler_lock:
            results = []
            for sig in signatures:
                try:
                    cres = compiler.compile_extra(
                        typing,
                        ctx,
                        py_func,
                        tuple(a.numba_type() for a in sig.args),
                        sig.ret.numba_type(),
                        flags,
                        {},
                    )
                except Exception as e:  # Numba raises many types; all mean "cannot compile"
                    raise CompileError(name, str(sig), f"{type(e).__name__}: {e}") from None
                results.append(cres)
            library = ctx.codegen().create_library(f"udf_client.{name}")
            module = ctx.create_module(f"udf_client.{name}.wrappers")
            for sig, symbol, cres in zip(signatures, symbols, results):
                _emit_wrapper(ctx, module, cres.fndesc, sig, symbol)
            library.add_ir_module(module)
            for cres in results:
                library.add_linking_library(cres.library)
            library.finalize()
            text = library.get_llvm_str()
        text = _retarget(text, self.target.triple)
        return CompiledFunction(
            name=name,
            signatures=list(signatures),
            symbols=symbols,
            ir=text,
            compile_seconds=time.perf_counter() - started,
            libraries=[library],
        )


def _check_arity(py_func: Callable[..., Any], name: str, signatures: Sequence[Signature]) -> None:
    try:
        params = inspect.signature(py_func).parameters.values()
    except (TypeError, ValueError):
        return
    kinds = [p.kind for p in params]
    if any(k in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) for k in kinds):
        return
    required = sum(1 for p in params if p.default is inspect.Parameter.empty)
    total = len(kinds)
    for sig in signatures:
        if not required <= len(sig.args) <= total:
            raise CompileError(
                name,
                str(sig),
                f"the Python function takes {total} argument(s), the signature has "
                f"{len(sig.args)}",
            )


def _emit_wrapper(ctx: Any, module: Any, fndesc: Any, sig: Signature, symbol: str) -> None:
    """``<ret> @symbol(<args>)``: calls Numba's function, NULL sentinel on an exception."""
    from llvmlite import ir

    i8 = ir.IntType(8)

    def abi_type(t: Any) -> Any:
        return i8 if t.kind == "bool" else ctx.get_value_type(t.numba_type())

    ret_ty = abi_type(sig.ret)
    fn = ir.Function(module, ir.FunctionType(ret_ty, [abi_type(a) for a in sig.args]), symbol)
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    args = []
    for t, value in zip(sig.args, fn.args):
        if t.kind == "bool":
            value = builder.icmp_unsigned("!=", value, ir.Constant(i8, 0))
        args.append(value)
    callee_ty = ctx.call_conv.get_function_type(fndesc.restype, fndesc.argtypes)
    callee = ir.Function(module, callee_ty, fndesc.llvm_func_name)
    status, out = ctx.call_conv.call_function(
        builder, callee, fndesc.restype, fndesc.argtypes, args
    )
    if sig.ret.kind == "bool":
        out = builder.zext(out, i8)
    sentinel = ir.Constant(ret_ty, sig.ret.null_sentinel)
    builder.ret(builder.select(status.is_error, sentinel, out))


_TRIPLE_RE = re.compile(r'^target triple = ".*"$', re.M)
_LAYOUT_RE = re.compile(r'^target datalayout = ".*"\n', re.M)


def _retarget(ir_text: str, triple: str) -> str:
    """Stamps the server's triple; drops the host's data layout when the arch differs
    (the server sets its own layout anyway)."""
    m = _TRIPLE_RE.search(ir_text)
    host_triple = m.group(0)[len('target triple = "') : -1] if m else ""
    if _arch(host_triple) != _arch(triple):
        ir_text = _LAYOUT_RE.sub("", ir_text)
    line = f'target triple = "{triple}"'
    return _TRIPLE_RE.sub(line, ir_text) if m else f"{line}\n{ir_text}"


def link_modules(modules: Sequence[str]) -> str:
    """Links IR modules into one (a registration sends one CPU module)."""
    if not modules:
        raise ValueError("no modules to link")
    if len(modules) == 1:
        return modules[0]
    import llvmlite.binding as ll

    _initialize_llvm()
    try:
        main = ll.parse_assembly(modules[0])
        for text in modules[1:]:
            main.link_in(ll.parse_assembly(text))
        main.verify()
    except RuntimeError as e:
        raise UdfClientError(f"linking the functions' IR failed: {e}") from None
    return str(main)

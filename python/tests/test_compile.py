"""Numba → C-ABI LLVM IR, without a server (the server-side behaviour is in test_udf.py)."""

import math
import re

import numba
import pytest

from udf_client import CompileError, NumbaCompiler, Target, parse_signatures
from udf_client.compiler import link_modules


@pytest.fixture(scope="module")
def compiler():
    return NumbaCompiler(Target.host())


def defined(ir):
    """{symbol: (return type, [argument types])} of every defined function."""
    out = {}
    for m in re.finditer(r"^define [^@]*?(\w+|double|float) @([\w.$]+)\(([^)]*)\)", ir, re.M):
        args = [a.strip().split(" ")[0] for a in m.group(3).split(",") if a.strip()]
        out[m.group(2)] = (m.group(1), args)
    return out


def declared(ir):
    return re.findall(r"^declare [^@]*@([\w.$]+)\(", ir, re.M)


def test_every_overload_gets_a_c_abi_wrapper(compiler):
    def add(a, b):
        return a + b

    sigs = parse_signatures(["int64(int64, int64)", "f64(f64, f64)", "i32(i32, i32)"])
    fn = compiler.compile(add, "add", sigs)
    assert fn.symbols == ["add__cpu_0", "add__cpu_1", "add__cpu_2"]
    defs = defined(fn.ir)
    assert defs["add__cpu_0"] == ("i64", ["i64", "i64"])
    assert defs["add__cpu_1"] == ("double", ["double", "double"])
    assert defs["add__cpu_2"] == ("i32", ["i32", "i32"])
    # Numba's inner functions are inlined: nothing external, no Python C API
    assert [d for d in declared(fn.ir) if not d.startswith("llvm.")] == []
    assert "Py" not in "".join(declared(fn.ir))


def test_bool_is_i8_in_both_directions(compiler):
    def positive_if(flag, x):
        return x > 0 if flag else x < 0

    fn = compiler.compile(positive_if, "positive_if", parse_signatures(["bool(bool, i16)"]))
    assert defined(fn.ir)["positive_if__cpu_0"] == ("i8", ["i8", "i16"])
    assert " i1 @" not in fn.ir


def test_math_and_njit_helpers_compile_to_intrinsics_or_libm(compiler):
    @numba.njit
    def square(v):
        return v * v

    def hypexp(x, y):
        return math.sqrt(square(x) + square(y)) * math.exp(-x)

    fn = compiler.compile(hypexp, "hypexp", parse_signatures(["f64(f64, f64)", "f32(f32, f32)"]))
    externals = [d for d in declared(fn.ir) if not d.startswith("llvm.")]
    assert set(externals) <= {"exp", "expf", "sqrt", "sqrtf"}, externals
    assert set(defined(fn.ir)) == {"hypexp__cpu_0", "hypexp__cpu_1"}


def test_an_njit_dispatcher_can_be_decorated(compiler):
    @numba.njit
    def twice(x):
        return 2 * x

    fn = compiler.compile(twice, "twice", parse_signatures(["i64(i64)"]))
    assert "twice__cpu_0" in defined(fn.ir)


def test_numba_failure_names_the_overload(compiler):
    def concat(a, b):
        return a + "suffix"

    with pytest.raises(CompileError) as e:
        compiler.compile(concat, "concat", parse_signatures(["i64(i64, i64)"]))
    assert e.value.signature == "int64(int64, int64)"
    assert "Numba cannot compile `concat` as int64(int64, int64)" in str(e.value)
    assert "TypingError" in str(e.value)


def test_arity_mismatch_is_reported_before_numba_runs(compiler):
    def one(x):
        return x

    with pytest.raises(CompileError, match=r"takes 1 argument\(s\), the signature has 2"):
        compiler.compile(one, "one", parse_signatures(["i64(i64, i64)"]))


def test_target_from_device_parameters():
    t = Target.from_device_parameters(
        {"cpu_triple": "x86_64-pc-linux-gnu", "cpu_name": "znver4",
         "cpu_features": " +avx2 -avx512f +sse4.2"}
    )
    assert t == Target("x86_64-pc-linux-gnu", "znver4", ("+avx2", "-avx512f", "+sse4.2"))


def test_unknown_cpu_and_features_are_left_out_with_a_note():
    host = Target.host()
    c = NumbaCompiler(Target(host.triple, "no-such-cpu", ("+avx2", "+no-such-feature")))
    assert c.settings.cpu == ""
    assert "+no-such-feature" not in c.settings.features
    notes = "\n".join(c.settings.notes)
    assert "cpu `no-such-cpu` is unknown" in notes and "no-such-feature" in notes

    def inc(x):
        return x + 1

    fn = c.compile(inc, "inc", parse_signatures(["i32(i32)"]))
    assert f'target triple = "{host.triple}"' in fn.ir


def test_another_architecture_gets_its_triple_and_no_host_layout():
    foreign = "x86_64-unknown-linux-gnu" if Target.host().triple.startswith("aarch64") \
        else "aarch64-unknown-linux-gnu"
    c = NumbaCompiler(Target(foreign, "generic", ()))
    assert "architecture" in "\n".join(c.settings.notes)

    def inc(x):
        return x + 1

    fn = c.compile(inc, "inc", parse_signatures(["i64(i64)"]))
    assert f'target triple = "{foreign}"' in fn.ir
    assert "target datalayout" not in fn.ir


def test_modules_of_several_functions_link_into_one(compiler):
    def add(a, b):
        return a + b

    def neg(x):
        return -x

    a = compiler.compile(add, "add", parse_signatures(["i64(i64, i64)", "f64(f64, f64)"]))
    n = compiler.compile(neg, "neg", parse_signatures(["f64(f64)"]))
    linked = link_modules([a.ir, n.ir])
    assert set(defined(linked)) == {"add__cpu_0", "add__cpu_1", "neg__cpu_0"}

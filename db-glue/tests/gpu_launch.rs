//! CPU and GPU kernels of the same UDFs agree, row for row, NULLs included.
//!
//! Every client sample with a CPU and a GPU form is a case: the rbc RemoteJIT pairs
//! (`remotejit/*.cpu.ll` + `*.nvptx.ll`), HeavyDB's `register2`/`register3` registrations
//! (`*.cpu.ll` + `*.gpu.ll`, every scalar UDF of the module compiled together, as a
//! registration does) and CPU IR that the GPU path retargets. Each case builds
//! 1,000,003 deterministic rows — the case's edge values first, the same edge values
//! again as NULL rows, then pseudo-random values with about one row in 16 NULL — and
//! checks:
//!
//! 1. the CPU kernel (`Compiler::compile`, `Kernel::run` with an Arrow validity bitmap)
//!    against a Rust model of the client's Python function. This runs everywhere, so that
//!    CI checks the inputs, the expectations and the comparison the GPU step relies on;
//! 2. the PTX (`Compiler::compile_ptx` for sm_80): one `.entry` per function in request
//!    order, libdevice linked exactly when the GPU IR does math, and accepted by `ptxas`
//!    when one is found (`$UDF_PTXAS`, the udf-server venv, `PATH`). Also everywhere, but
//!    math cases print `skipped:` when no libdevice is found;
//! 3. with a CUDA device: the GPU kernel (`compile_ptx` for the device's compute
//!    capability, `gpu::Gpu::run` with one validity byte per row) against the CPU kernel,
//!    once with NULL rows and once with every row valid (`valid` null). Without a device
//!    (CI, this repository's build machines) it prints `skipped: <reason>`.
//!
//! NULL: a row is NULL when an argument is NULL or when the function returns its type's
//! NULL sentinel. The GPU kernel writes the sentinel into NULL rows; the CPU kernel
//! writes 0 there (the bitmap says NULL) and returns how many valid rows hit the
//! sentinel. Both must describe the same rows; the raw bytes of NULL rows are checked
//! against each kernel's documented ABI too.
//!
//! How closely values must agree is [`Tolerance`]: integers, booleans and correctly
//! rounded float operations exactly, libm calls within 12 ulp of the magnitude the error
//! is relative to (derivation there). Each check prints the largest difference it saw,
//! so that a GPU run shows how much of the allowance real hardware uses.
//!
//! `UDF_GPU_LAUNCH_ROWS` overrides the row count. `bench/gpu.sh` runs this on GPU machines.

use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::sync::OnceLock;

use compiler::{
    CompileRequest, Compiler, CompilerOptions, FunctionSpec, Kernel, PtxOutput, PtxRequest,
    ScalarType, Signature,
};
use gpu::{Column, Gpu};

/// ptxas and libdevice from the pinned wheel, as the compiler's tests find them.
#[path = "../../compiler/tests/common/cuda_tools.rs"]
mod cuda_tools;

/// Not a multiple of 8 (validity bitmap tail) nor of 256 (last, partial block).
const DEFAULT_ROWS: usize = 1_000_003;

/// The compute capability the PTX is always compiled (and assembled) for.
const BASELINE_CC: u32 = 80;

// ---------------------------------------------------------------------------------------
// Values, tolerances, cases
// ---------------------------------------------------------------------------------------

/// One argument or result value: integers and booleans widened to i64, floats (float32
/// too, exactly) to f64.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V {
    I(i64),
    F(f64),
}

impl V {
    fn i(self) -> i64 {
        match self {
            V::I(v) => v,
            V::F(f) => panic!("expected an integer, got {f}"),
        }
    }

    fn f(self) -> f64 {
        match self {
            V::F(v) => v,
            V::I(i) => panic!("expected a float, got {i}"),
        }
    }
}

/// How closely a CPU and a GPU result (or a CPU result and the Rust model) must agree.
///
/// - Integers and booleans: equal, always.
/// - [`Tolerance::Exact`] floats: the same bits, except that any NaN equals any NaN (x86
///   and NVIDIA GPUs make different NaN payloads). For `+ - * /`, `sqrt` and comparisons
///   IEEE 754 fixes the result: both sides round correctly (the NVPTX kernels use `.rn`
///   instructions; the client IR has no `contract` flags, so neither back end fuses a
///   multiply and an add into an FMA), and both keep denormals (no `.ftz`).
/// - [`Tolerance::Ulps`]: libm calls are not correctly rounded, and the two sides use
///   different libraries. The CPU kernel, built with the engine's default options
///   (`vector_math`), calls glibc's libmvec vector variants, which glibc tests to ≤ 4 ulp
///   (glibc wiki, "libmvec"); the GPU kernel calls libdevice, whose double `exp` NVIDIA
///   lists at ≤ 1 ulp and `sin` at ≤ 2 ulp (CUDA C++ Programming Guide, "Mathematical
///   Functions"; also from extensive, not exhaustive, tests). Two results can differ by
///   both libraries' errors plus one rounding of the final operation on each side:
///   - `sin x + e^x`: (4 + 2) ulp of sin x and (4 + 1) ulp of e^x, each at most one ulp
///     of `|sin x| + e^x`, plus ½ + ½: ≤ 12 ulp of `|sin x| + e^x`;
///   - `sqrt(x² + y²) · e^−x` (the square root is exact on both sides): (4 + 1) ulp of
///     e^−x plus ½ + ½ ulp of the product, a relative difference ≤ 6 · 2⁻⁵², which is
///     ≤ 12 ulp of the product (one ulp is between 2⁻⁵³ and 2⁻⁵² of a value).
///
///   12 ulp is therefore the allowance ([`LIBM_ULPS`]): derived from the documented
///   bounds, not measured (this was written without a GPU; the printed largest
///   difference of a GPU run is what to tighten it with), and still far below what a
///   real defect produces: approximate `sqrt`/`exp` instructions, flushed denormals or
///   single-precision math are off by thousands to millions of ulp.
///
/// The ulp is taken of `scale(args)` (or of the larger result, if that is larger), the
/// magnitude the error is relative to, not of the result: `sin x + e^x` cancels near
/// x ≈ −0.5885, where the result is tiny but the error is still relative to the
/// summands; `sqrt(x² + y²) · e^−x` with `e^−x` subnormal has lost relative precision,
/// its absolute error is one subnormal step times `sqrt(x² + y²)`.
#[derive(Clone, Copy)]
enum Tolerance {
    Exact,
    Ulps { ulps: f64, scale: fn(&[V]) -> f64 },
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tolerance::Exact => f.write_str("exact"),
            Tolerance::Ulps { ulps, .. } => write!(f, "≤ {ulps} ulp of scale"),
        }
    }
}

/// See [`Tolerance`].
const LIBM_ULPS: f64 = 12.0;

/// One UDF as the CPU and the GPU module name it, and its signature.
struct Udf {
    cpu: &'static str,
    gpu: &'static str,
    signature: &'static str,
}

struct Case {
    name: &'static str,
    /// Sample files under `shared/ir-samples/`.
    cpu_ir: &'static str,
    gpu_ir: &'static str,
    /// Every scalar function compiled from the modules, in request order.
    functions: &'static [Udf],
    /// The one this case checks.
    which: usize,
    /// Whether the GPU module calls libdevice (math other than `sqrt`).
    gpu_libdevice: bool,
    tolerance: Tolerance,
    /// Argument tuples that must be covered (each once valid, once NULL).
    edges: &'static [&'static [V]],
    /// Pseudo-random arguments for the other rows.
    random: fn(&mut Rng) -> Vec<V>,
    /// The client's Python function, in Rust.
    model: fn(&[V]) -> V,
}

const fn i(v: i64) -> V {
    V::I(v)
}

const fn f(v: f64) -> V {
    V::F(v)
}

const ADD_I64: &[Udf] = &[Udf {
    cpu: "add_lallA",
    gpu: "add_lallA",
    signature: "int64(int64, int64)",
}];

/// `add nsw`: signed overflow is poison in LLVM IR, so the inputs never overflow.
const ADD_I64_EDGES: &[&[V]] = &[
    &[i(0), i(0)],
    &[i(-1), i(1)],
    &[i(i64::MAX), i(0)],
    &[i(i64::MIN + 1), i(0)],
    &[i(i64::MAX), i(i64::MIN)],
    // The sentinel as a valid result: NULL on both sides.
    &[i(i64::MIN), i(0)],
    &[i(i64::MIN + 5), i(-5)],
];

fn add_i64_random(r: &mut Rng) -> Vec<V> {
    vec![
        i(r.range(-(1 << 62), 1 << 62)),
        i(r.range(-(1 << 62), 1 << 62)),
    ]
}

fn add_i64_model(a: &[V]) -> V {
    i(a[0].i() + a[1].i())
}

const COLLATZ: &[Udf] = &[Udf {
    cpu: "collatz_steps_lalA",
    gpu: "collatz_steps_lalA",
    signature: "int64(int64)",
}];

/// Only n ≥ 1 terminates (0 and negative numbers loop forever: not even as NULL rows, a
/// kernel that evaluated NULL rows would hang instead of failing); `3n + 1` is `nsw`, so
/// no path may overflow.
const COLLATZ_EDGES: &[&[V]] = &[
    &[i(1)],
    &[i(2)],
    &[i(27)],
    &[i(97)],
    &[i(837_799)],    // the most steps below 10^6: 524
    &[i(1 << 62)],    // 62 halvings
    &[i(63_728_127)], // 949 steps, peaks near 4.6·10^13
];

fn collatz_random(r: &mut Rng) -> Vec<V> {
    vec![i(r.range(1, 1 << 20))]
}

fn collatz_model(a: &[V]) -> V {
    let (mut n, mut steps) = (a[0].i(), 0);
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    i(steps)
}

const HYPEXP: &[Udf] = &[Udf {
    cpu: "hypexp_daddA",
    gpu: "hypexp_daddA",
    signature: "float64(float64, float64)",
}];

const HYPEXP_EDGES: &[&[V]] = &[
    &[f(0.0), f(0.0)],
    &[f(-0.0), f(0.0)],
    &[f(3.0), f(4.0)],
    &[f(-1.0), f(-1.0)],
    &[f(1e-200), f(1e-200)],  // x² + y² underflows to 0
    &[f(5e-324), f(-5e-324)], // subnormal arguments
    &[f(f64::MIN_POSITIVE), f(0.0)],
    &[f(1e200), f(0.0)],  // ∞ · 0 = NaN
    &[f(-1e200), f(1.0)], // ∞ · ∞
    &[f(700.0), f(2.0)],  // e^−x near the bottom of the normal range
    &[f(740.0), f(3.0)],  // e^−x subnormal
    &[f(745.2), f(1e3)],  // e^−x rounds to 0 or the smallest subnormal
    &[f(-709.0), f(1.0)], // e^−x near overflow
    &[f(-710.0), f(0.5)], // e^−x overflows
    &[f(f64::NAN), f(1.0)],
    &[f(1.0), f(f64::NAN)],
    &[f(f64::INFINITY), f(0.0)],
    &[f(f64::NEG_INFINITY), f(0.0)],
    &[f(0.0), f(f64::INFINITY)],
    &[f(f64::MAX), f(f64::MAX)],
];

fn hypexp_random(r: &mut Rng) -> Vec<V> {
    match r.below(10) {
        0 => vec![f(r.wide()), f(r.wide())],
        1 => vec![f(r.uniform(-745.0, 745.0)), f(r.wide())],
        _ => vec![f(r.uniform(-30.0, 30.0)), f(r.uniform(-30.0, 30.0))],
    }
}

fn hypexp_model(a: &[V]) -> V {
    let (x, y) = (a[0].f(), a[1].f());
    f((x * x + y * y).sqrt() * (-x).exp())
}

fn hypexp_scale(a: &[V]) -> f64 {
    let (x, y) = (a[0].f(), a[1].f());
    (x * x + y * y).sqrt() * (-x).exp().max(f64::MIN_POSITIVE)
}

const HYPEXP_TOLERANCE: Tolerance = Tolerance::Ulps {
    ulps: LIBM_ULPS,
    scale: hypexp_scale,
};

const REGISTER2: &[Udf] = &[
    Udf {
        cpu: "incr__cpu_0",
        gpu: "incr__gpu_0",
        signature: "int32(int32)",
    },
    Udf {
        cpu: "mysin__cpu_0",
        gpu: "mysin__gpu_0",
        signature: "float64(float64)",
    },
];

/// Plain `add i32`: wraps, and `i32::MAX + 1` is the sentinel.
const INCR_EDGES: &[&[V]] = &[
    &[i(0)],
    &[i(-1)],
    &[i(i32::MAX as i64)],
    &[i(i32::MIN as i64)],
    &[i(i32::MIN as i64 + 1)],
];

fn incr_random(r: &mut Rng) -> Vec<V> {
    vec![i(r.next() as i32 as i64)]
}

fn incr_model(a: &[V]) -> V {
    i((a[0].i() as i32).wrapping_add(1) as i64)
}

const MYSIN_EDGES: &[&[V]] = &[
    &[f(0.0)],
    &[f(-0.0)],
    &[f(1.0)],
    &[f(std::f64::consts::PI)],
    &[f(-0.588_532_743_981_861_1)], // sin x + e^x ≈ 0: cancellation
    &[f(-0.588_532_743_981_861)],
    &[f(1e22)], // large argument reduction
    &[f(1e300)],
    &[f(-1e300)], // e^x = 0
    &[f(709.0)],
    &[f(710.0)], // e^x = ∞
    &[f(-745.0)],
    &[f(5e-324)],
    &[f(f64::MIN_POSITIVE)],
    &[f(f64::NAN)],
    &[f(f64::INFINITY)], // sin ∞ = NaN
    &[f(f64::NEG_INFINITY)],
];

fn mysin_random(r: &mut Rng) -> Vec<V> {
    match r.below(10) {
        0 => vec![f(r.wide())],
        1 => vec![f(r.uniform(-745.0, 709.0))],
        2 => vec![f(r.uniform(-0.6, -0.58))],
        _ => vec![f(r.uniform(-30.0, 30.0))],
    }
}

fn mysin_model(a: &[V]) -> V {
    let x = a[0].f();
    f(x.sin() + x.exp())
}

fn mysin_scale(a: &[V]) -> f64 {
    let x = a[0].f();
    x.sin().abs() + x.exp()
}

const REGISTER3: &[Udf] = &[
    Udf {
        cpu: "myadd__cpu_0",
        gpu: "myadd__gpu_0",
        signature: "int64(int64, int64)",
    },
    Udf {
        cpu: "myadd__cpu_1",
        gpu: "myadd__gpu_1",
        signature: "float64(float64, float64)",
    },
    Udf {
        cpu: "mysqrt__cpu_0",
        gpu: "mysqrt__gpu_0",
        signature: "float64(float64)",
    },
];

/// Float arithmetic edges for two-argument `+`/`*`: signed zeros, subnormals, overflow,
/// ∞ − ∞, NaN, and the sentinel as a result.
const F64_PAIR_EDGES: &[&[V]] = &[
    &[f(0.0), f(-0.0)],
    &[f(-0.0), f(-0.0)],
    &[f(1.5), f(-2.25)],
    &[f(5e-324), f(5e-324)],
    &[f(f64::MIN_POSITIVE), f(-5e-324)],
    &[f(f64::MIN_POSITIVE), f(0.0)],
    &[f(f64::MIN_POSITIVE), f(1.0)],
    &[f(f64::MAX), f(f64::MAX)],
    &[f(f64::MAX), f(-f64::MAX)],
    &[f(1e-300), f(1e-300)],
    &[f(f64::INFINITY), f(f64::NEG_INFINITY)],
    &[f(f64::INFINITY), f(0.0)],
    &[f(f64::NAN), f(1.0)],
    &[f(0.1), f(0.2)],
];

fn f64_pair_random(r: &mut Rng) -> Vec<V> {
    match r.below(4) {
        0 => vec![f(r.wide()), f(r.wide())],
        1 => vec![f(r.any_f64()), f(r.any_f64())],
        _ => vec![f(r.uniform(-1e6, 1e6)), f(r.uniform(-1e6, 1e6))],
    }
}

fn myadd_f64_model(a: &[V]) -> V {
    f(a[0].f() + a[1].f())
}

const MYSQRT_EDGES: &[&[V]] = &[
    &[f(0.0)],
    &[f(-0.0)],
    &[f(-1.0)], // NaN
    &[f(2.0)],
    &[f(5e-324)],
    &[f(f64::MIN_POSITIVE)],
    &[f(f64::MAX)],
    &[f(f64::INFINITY)],
    &[f(f64::NAN)],
];

fn mysqrt_random(r: &mut Rng) -> Vec<V> {
    match r.below(2) {
        0 => vec![f(r.any_f64())],
        _ => vec![f(r.uniform(0.0, 1e6))],
    }
}

fn mysqrt_model(a: &[V]) -> V {
    f(a[0].f().sqrt())
}

const IS_POS: &[Udf] = &[Udf {
    cpu: "is_pos_bafA",
    gpu: "is_pos_bafA",
    signature: "bool(float32)",
}];

/// float32 subnormals must stay positive on the GPU (no flush to zero).
const IS_POS_EDGES: &[&[V]] = &[
    &[f(0.0)],
    &[f(-0.0)],
    &[f(1e-45)],
    &[f(-1e-45)],
    &[f(f32::MIN_POSITIVE as f64)],
    &[f(f32::INFINITY as f64)],
    &[f(f32::NEG_INFINITY as f64)],
    &[f(f32::NAN as f64)],
];

fn is_pos_random(r: &mut Rng) -> Vec<V> {
    // Every bit pattern, NaNs and subnormals included.
    vec![f(f32::from_bits(r.next() as u32) as f64)]
}

fn is_pos_model(a: &[V]) -> V {
    i(i64::from(a[0].f() as f32 > 0.0))
}

const MUL_I32: &[Udf] = &[Udf {
    cpu: "mul_iaiiA",
    gpu: "mul_iaiiA",
    signature: "int32(int32, int32)",
}];

/// Plain `mul i32`: wraps.
const MUL_I32_EDGES: &[&[V]] = &[
    &[i(0), i(i32::MIN as i64)],
    &[i(-1), i(i32::MIN as i64)],
    &[i(i32::MAX as i64), i(i32::MAX as i64)],
    &[i(65_536), i(32_768)], // 2^31 wraps to the sentinel
    &[i(i32::MIN as i64), i(1)],
];

fn mul_i32_random(r: &mut Rng) -> Vec<V> {
    if r.below(2) == 0 {
        vec![i(r.next() as i32 as i64), i(r.next() as i32 as i64)]
    } else {
        vec![i(r.range(-50_000, 50_000)), i(r.range(-50_000, 50_000))]
    }
}

fn mul_i32_model(a: &[V]) -> V {
    i((a[0].i() as i32).wrapping_mul(a[1].i() as i32) as i64)
}

const MUL_F64: &[Udf] = &[Udf {
    cpu: "mul_daddA",
    gpu: "mul_daddA",
    signature: "float64(float64, float64)",
}];

fn mul_f64_model(a: &[V]) -> V {
    f(a[0].f() * a[1].f())
}

const SAFE_DIV: &[Udf] = &[Udf {
    cpu: "safe_div_lallA",
    gpu: "safe_div_lallA",
    signature: "int64(int64, int64)",
}];

const SAFE_DIV_EDGES: &[&[V]] = &[
    &[i(7), i(0)],         // ZeroDivisionError swallowed: 0
    &[i(i64::MIN), i(-1)], // overflow guarded: 0
    &[i(i64::MIN), i(1)],  // the sentinel: NULL
    &[i(-7), i(2)],        // floor: -4
    &[i(7), i(-2)],
    &[i(-7), i(-2)],
    &[i(i64::MAX), i(i64::MIN)],
];

fn safe_div_random(r: &mut Rng) -> Vec<V> {
    match r.below(3) {
        0 => vec![i(r.next() as i64), i(r.next() as i64)],
        1 => vec![i(r.next() as i64), i(r.range(-100, 100))],
        _ => vec![i(r.range(-1000, 1000)), i(r.range(-10, 10))],
    }
}

fn safe_div_model(a: &[V]) -> V {
    let (x, y) = (a[0].i(), a[1].i());
    if y == 0 || (x == i64::MIN && y == -1) {
        return i(0);
    }
    let (q, rem) = (x / y, x % y);
    i(if rem != 0 && ((rem < 0) != (y < 0)) {
        q - 1
    } else {
        q
    })
}

const SUMSQ: &[Udf] = &[Udf {
    cpu: "sumsq_alt_lalA",
    gpu: "sumsq_alt_lalA",
    signature: "int64(int64)",
}];

/// LLVM rewrote the loop into a closed form with `i65` arithmetic. `mul nsw` in the loop:
/// n stays below 3·10^6, where the sum of squares fits in an i64.
const SUMSQ_EDGES: &[&[V]] = &[
    &[i(i64::MIN)],
    &[i(-1)],
    &[i(0)],
    &[i(1)],
    &[i(2)],
    &[i(7)],
    &[i(8)],
    &[i(9)],
    &[i(3_000_000)],
];

fn sumsq_random(r: &mut Rng) -> Vec<V> {
    vec![i(r.range(-10, 3_000_000))]
}

fn sumsq_model(a: &[V]) -> V {
    // Σ (2k)² for 2k < n, minus Σ (2k + 1) for 2k + 1 < n.
    let n = a[0].i().max(0) as i128;
    let evens = (n + 1) / 2;
    let odds = n / 2;
    i((4 * (evens - 1) * evens * (2 * evens - 1) / 6 - odds * odds) as i64)
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn add_int64_numba061() {
    check(&Case {
        name: "add_int64_numba061",
        cpu_ir: "remotejit/numba061_add_lallA.cpu.ll",
        gpu_ir: "remotejit/numba061_add_lallA.nvptx.ll",
        functions: ADD_I64,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: ADD_I64_EDGES,
        random: add_i64_random,
        model: add_i64_model,
    });
}

#[test]
fn add_int64_numba068_cpu_ir() {
    check(&Case {
        name: "add_int64_numba068_cpu_ir",
        cpu_ir: "remotejit/numba068_add_lallA.cpu.ll",
        gpu_ir: "remotejit/numba068_add_lallA.cpu.ll",
        functions: ADD_I64,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: ADD_I64_EDGES,
        random: add_i64_random,
        model: add_i64_model,
    });
}

#[test]
fn collatz_numba061() {
    check(&Case {
        name: "collatz_numba061",
        cpu_ir: "remotejit/numba061_collatz_steps_lalA.cpu.ll",
        gpu_ir: "remotejit/numba061_collatz_steps_lalA.nvptx.ll",
        functions: COLLATZ,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: COLLATZ_EDGES,
        random: collatz_random,
        model: collatz_model,
    });
}

#[test]
fn collatz_numba068_cpu_ir() {
    check(&Case {
        name: "collatz_numba068_cpu_ir",
        cpu_ir: "remotejit/numba068_collatz_steps_lalA.cpu.ll",
        gpu_ir: "remotejit/numba068_collatz_steps_lalA.cpu.ll",
        functions: COLLATZ,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: COLLATZ_EDGES,
        random: collatz_random,
        model: collatz_model,
    });
}

#[test]
fn hypexp_numba061() {
    check(&Case {
        name: "hypexp_numba061",
        cpu_ir: "remotejit/numba061_hypexp_daddA.cpu.ll",
        gpu_ir: "remotejit/numba061_hypexp_daddA.nvptx.ll",
        functions: HYPEXP,
        which: 0,
        gpu_libdevice: true,
        tolerance: HYPEXP_TOLERANCE,
        edges: HYPEXP_EDGES,
        random: hypexp_random,
        model: hypexp_model,
    });
}

#[test]
fn hypexp_numba068_cpu_ir() {
    check(&Case {
        name: "hypexp_numba068_cpu_ir",
        cpu_ir: "remotejit/numba068_hypexp_daddA.cpu.ll",
        gpu_ir: "remotejit/numba068_hypexp_daddA.cpu.ll",
        functions: HYPEXP,
        which: 0,
        gpu_libdevice: true,
        tolerance: HYPEXP_TOLERANCE,
        edges: HYPEXP_EDGES,
        random: hypexp_random,
        model: hypexp_model,
    });
}

#[test]
fn hypexp_wire_cpu_vs_ghyp2_wire_nvptx() {
    // The same Python body captured on the wire, once for each device.
    check(&Case {
        name: "hypexp_wire_cpu_vs_ghyp2_wire_nvptx",
        cpu_ir: "remotejit/wire_numba061_hypexp_daddA.cpu.ll",
        gpu_ir: "remotejit/wire_numba061_ghyp2_daddA.nvptx.ll",
        functions: &[Udf {
            cpu: "hypexp_daddA",
            gpu: "ghyp2_daddA",
            signature: "float64(float64, float64)",
        }],
        which: 0,
        gpu_libdevice: true,
        tolerance: HYPEXP_TOLERANCE,
        edges: HYPEXP_EDGES,
        random: hypexp_random,
        model: hypexp_model,
    });
}

#[test]
fn heavydb_register2_incr() {
    check(&Case {
        name: "heavydb_register2_incr",
        cpu_ir: "heavydb/register2_cpu_gpu.cpu.ll",
        gpu_ir: "heavydb/register2_cpu_gpu.gpu.ll",
        functions: REGISTER2,
        which: 0,
        gpu_libdevice: true,
        tolerance: Tolerance::Exact,
        edges: INCR_EDGES,
        random: incr_random,
        model: incr_model,
    });
}

#[test]
fn heavydb_register2_mysin() {
    check(&Case {
        name: "heavydb_register2_mysin",
        cpu_ir: "heavydb/register2_cpu_gpu.cpu.ll",
        gpu_ir: "heavydb/register2_cpu_gpu.gpu.ll",
        functions: REGISTER2,
        which: 1,
        gpu_libdevice: true,
        tolerance: Tolerance::Ulps {
            ulps: LIBM_ULPS,
            scale: mysin_scale,
        },
        edges: MYSIN_EDGES,
        random: mysin_random,
        model: mysin_model,
    });
}

#[test]
fn heavydb_register3_myadd_int64() {
    check(&Case {
        name: "heavydb_register3_myadd_int64",
        cpu_ir: "heavydb/register3_myadd.cpu.ll",
        gpu_ir: "heavydb/register3_myadd.gpu.ll",
        functions: REGISTER3,
        which: 0,
        gpu_libdevice: true,
        tolerance: Tolerance::Exact,
        edges: ADD_I64_EDGES,
        random: add_i64_random,
        model: add_i64_model,
    });
}

#[test]
fn heavydb_register3_myadd_float64() {
    check(&Case {
        name: "heavydb_register3_myadd_float64",
        cpu_ir: "heavydb/register3_myadd.cpu.ll",
        gpu_ir: "heavydb/register3_myadd.gpu.ll",
        functions: REGISTER3,
        which: 1,
        gpu_libdevice: true,
        tolerance: Tolerance::Exact,
        edges: F64_PAIR_EDGES,
        random: f64_pair_random,
        model: myadd_f64_model,
    });
}

#[test]
fn heavydb_register3_mysqrt() {
    // libm `sqrt` on the CPU, `__nv_sqrt` on the GPU: both IEEE square roots.
    check(&Case {
        name: "heavydb_register3_mysqrt",
        cpu_ir: "heavydb/register3_myadd.cpu.ll",
        gpu_ir: "heavydb/register3_myadd.gpu.ll",
        functions: REGISTER3,
        which: 2,
        gpu_libdevice: true,
        tolerance: Tolerance::Exact,
        edges: MYSQRT_EDGES,
        random: mysqrt_random,
        model: mysqrt_model,
    });
}

#[test]
fn is_pos_float32_cpu_ir() {
    check(&Case {
        name: "is_pos_float32_cpu_ir",
        cpu_ir: "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        gpu_ir: "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        functions: IS_POS,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: IS_POS_EDGES,
        random: is_pos_random,
        model: is_pos_model,
    });
}

#[test]
fn mul_int32_cpu_ir() {
    check(&Case {
        name: "mul_int32_cpu_ir",
        cpu_ir: "remotejit/wire_numba061_mul_iaiiA.cpu.ll",
        gpu_ir: "remotejit/wire_numba061_mul_iaiiA.cpu.ll",
        functions: MUL_I32,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: MUL_I32_EDGES,
        random: mul_i32_random,
        model: mul_i32_model,
    });
}

#[test]
fn mul_float64_cpu_ir() {
    check(&Case {
        name: "mul_float64_cpu_ir",
        cpu_ir: "remotejit/wire_numba061_mul_daddA.cpu.ll",
        gpu_ir: "remotejit/wire_numba061_mul_daddA.cpu.ll",
        functions: MUL_F64,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: F64_PAIR_EDGES,
        random: f64_pair_random,
        model: mul_f64_model,
    });
}

#[test]
fn safe_div_cpu_ir() {
    check(&Case {
        name: "safe_div_cpu_ir",
        cpu_ir: "remotejit/numba061_safe_div_lallA.cpu.ll",
        gpu_ir: "remotejit/numba061_safe_div_lallA.cpu.ll",
        functions: SAFE_DIV,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: SAFE_DIV_EDGES,
        random: safe_div_random,
        model: safe_div_model,
    });
}

#[test]
fn sumsq_alt_i65_cpu_ir() {
    check(&Case {
        name: "sumsq_alt_i65_cpu_ir",
        cpu_ir: "remotejit/wire_numba061_sumsq_alt_lalA.cpu.ll",
        gpu_ir: "remotejit/wire_numba061_sumsq_alt_lalA.cpu.ll",
        functions: SUMSQ,
        which: 0,
        gpu_libdevice: false,
        tolerance: Tolerance::Exact,
        edges: SUMSQ_EDGES,
        random: sumsq_random,
        model: sumsq_model,
    });
}

// ---------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------

fn rows() -> usize {
    std::env::var("UDF_GPU_LAUNCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROWS)
}

/// The engine's compiler settings (libdevice found by discovery), shared by the tests.
fn compiler() -> &'static Compiler {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    COMPILER.get_or_init(|| Compiler::new(CompilerOptions::default()).expect("compiler"))
}

/// Device 0, opened once for all tests, or why there is none.
fn device() -> Result<&'static Gpu, &'static str> {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    GPU.get_or_init(|| Gpu::open(0).map_err(|e| format!("no CUDA device ({e})")))
        .as_ref()
        .map_err(String::as_str)
}

/// `shared/ir-samples/<rel>` beside the repository.
fn sample(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ir-samples")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read IR sample {} (is shared/ checked out?): {e}",
            path.display()
        )
    })
}

fn specs(case: &Case, gpu: bool) -> Vec<FunctionSpec> {
    case.functions
        .iter()
        .map(|u| {
            let symbol = if gpu { u.gpu } else { u.cpu };
            FunctionSpec::new(symbol, Signature::parse(u.signature).expect("signature"))
        })
        .collect()
}

/// The rows of one case: argument values, packed argument columns, validity.
struct Inputs {
    n: usize,
    /// Per row, the argument values.
    rows: Vec<Vec<V>>,
    /// Per argument, `n` packed values.
    columns: Vec<Vec<u8>>,
    valid: Vec<bool>,
}

impl Inputs {
    fn new(case: &Case, sig: &Signature, n: usize) -> Inputs {
        let edges = case.edges.len();
        assert!(
            2 * edges <= n,
            "{}: too few rows for the edge values",
            case.name
        );
        // FNV-1a of the case name: each case its own reproducible inputs.
        let seed = case.name.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut rng = Rng(seed);
        let mut rows = Vec::with_capacity(n);
        let mut valid = Vec::with_capacity(n);
        for row in 0..n {
            let args = if row < 2 * edges {
                case.edges[row % edges].to_vec()
            } else {
                (case.random)(&mut rng)
            };
            assert_eq!(args.len(), sig.args.len(), "{}: arity", case.name);
            rows.push(args);
            // Edge values valid, then the same values NULL, then about one in 16 NULL.
            valid.push(if row < 2 * edges {
                row < edges
            } else {
                rng.below(16) != 0
            });
        }
        let (_, arg_types) = sig.scalars().expect("the samples take scalars");
        let columns = arg_types
            .iter()
            .enumerate()
            .map(|(a, ty)| {
                let mut bytes = Vec::with_capacity(n * ty.width());
                for r in &rows {
                    encode(*ty, r[a], &mut bytes);
                }
                bytes
            })
            .collect();
        Inputs {
            n,
            rows,
            columns,
            valid,
        }
    }

    fn bitmap(&self) -> Vec<u8> {
        let mut b = vec![0u8; self.n.div_ceil(8)];
        for (i, v) in self.valid.iter().enumerate() {
            if *v {
                b[i / 8] |= 1 << (i % 8);
            }
        }
        b
    }

    fn valid_bytes(&self) -> Vec<u8> {
        self.valid.iter().map(|v| u8::from(*v)).collect()
    }
}

fn encode(ty: ScalarType, v: V, out: &mut Vec<u8>) {
    match (ty, v) {
        (ScalarType::Bool | ScalarType::Int8, V::I(x)) => out.push(x as i8 as u8),
        (ScalarType::Int16, V::I(x)) => out.extend((x as i16).to_le_bytes()),
        (ScalarType::Int32, V::I(x)) => out.extend((x as i32).to_le_bytes()),
        (ScalarType::Int64, V::I(x)) => out.extend(x.to_le_bytes()),
        (ScalarType::Float32, V::F(x)) => out.extend((x as f32).to_le_bytes()),
        (ScalarType::Float64, V::F(x)) => out.extend(x.to_le_bytes()),
        (ty, v) => panic!("{v:?} is not a {ty} value"),
    }
}

fn decode(ty: ScalarType, b: &[u8]) -> V {
    match ty {
        ScalarType::Bool | ScalarType::Int8 => i(b[0] as i8 as i64),
        ScalarType::Int16 => i(i16::from_le_bytes(b.try_into().unwrap()) as i64),
        ScalarType::Int32 => i(i32::from_le_bytes(b.try_into().unwrap()) as i64),
        ScalarType::Int64 => i(i64::from_le_bytes(b.try_into().unwrap())),
        ScalarType::Float32 => f(f32::from_le_bytes(b.try_into().unwrap()) as f64),
        ScalarType::Float64 => f(f64::from_le_bytes(b.try_into().unwrap())),
    }
}

fn sentinel(ty: ScalarType) -> Vec<u8> {
    ty.null_sentinel_bits().to_le_bytes()[..ty.width()].to_vec()
}

/// Each row's value, `None` for NULL, from a kernel's raw output.
fn logical(ty: ScalarType, out: &[u8], valid: Option<&[bool]>) -> Vec<Option<V>> {
    let w = ty.width();
    let s = sentinel(ty);
    out.chunks_exact(w)
        .enumerate()
        .map(|(row, b)| {
            let arg_null = valid.is_some_and(|v| !v[row]);
            (!arg_null && b != s.as_slice()).then(|| decode(ty, b))
        })
        .collect()
}

/// Runs the CPU kernel; checks its ABI (0 in NULL rows, the sentinel count).
fn run_cpu(k: &Kernel, inputs: &Inputs, masked: bool, ret: ScalarType) -> Vec<u8> {
    let width = ret.width();
    let args: Vec<&[u8]> = inputs.columns.iter().map(Vec::as_slice).collect();
    let bitmap = masked.then(|| inputs.bitmap());
    let mut out = vec![MaybeUninit::<u8>::uninit(); inputs.n * width];
    let hits = k
        .run(inputs.n, &args, bitmap.as_deref(), &mut out)
        .expect("CPU kernel run");
    // SAFETY: `Kernel::run` writes all n values.
    let out: Vec<u8> = out
        .into_iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    let s = sentinel(ret);
    let mut sentinels = 0;
    for (row, b) in out.chunks_exact(width).enumerate() {
        if masked && !inputs.valid[row] {
            assert!(
                b.iter().all(|x| *x == 0),
                "CPU kernel: NULL row {row} holds {b:?}, not 0"
            );
        } else if b == s.as_slice() {
            sentinels += 1;
        }
    }
    assert_eq!(hits, sentinels, "CPU kernel: sentinel count");
    out
}

/// What [`compare`] found.
#[derive(Default)]
struct Agreement {
    nulls: usize,
    max_ulps: f64,
    failures: usize,
    examples: Vec<String>,
}

/// Compares two logical results row by row; panics with examples on a disagreement.
fn compare(
    case: &Case,
    what: &str,
    ret: ScalarType,
    inputs: &Inputs,
    left: (&str, &[Option<V>]),
    right: (&str, &[Option<V>]),
) {
    let mut a = Agreement::default();
    for row in 0..inputs.n {
        let (l, r) = (left.1[row], right.1[row]);
        let verdict = match (l, r) {
            (None, None) => {
                a.nulls += 1;
                Ok(0.0)
            }
            (Some(V::I(x)), Some(V::I(y))) if x == y => Ok(0.0),
            (Some(V::F(x)), Some(V::F(y))) => {
                float_agreement(case.tolerance, ret, &inputs.rows[row], x, y)
            }
            _ => Err(()),
        };
        match verdict {
            Ok(ulps) => a.max_ulps = a.max_ulps.max(ulps),
            Err(()) => {
                a.failures += 1;
                if a.examples.len() < 10 {
                    a.examples.push(format!(
                        "row {row} args {:?} (valid {}): {} {l:?} vs {} {r:?}",
                        inputs.rows[row], inputs.valid[row], left.0, right.0
                    ));
                }
            }
        }
    }
    println!(
        "{} {what}: {} rows, {} NULL, {} differ; largest difference {:.3} ulp ({})",
        case.name, inputs.n, a.nulls, a.failures, a.max_ulps, case.tolerance
    );
    assert!(
        a.failures == 0,
        "{} {what}: {} of {} rows differ ({}):\n{}",
        case.name,
        a.failures,
        inputs.n,
        case.tolerance,
        a.examples.join("\n")
    );
}

/// `Ok(difference in ulps of the scale)` when `x` and `y` agree within `tol`.
fn float_agreement(tol: Tolerance, ret: ScalarType, args: &[V], x: f64, y: f64) -> Result<f64, ()> {
    if x.is_nan() && y.is_nan() || x.to_bits() == y.to_bits() {
        return Ok(0.0);
    }
    let Tolerance::Ulps { ulps, scale } = tol else {
        return Err(());
    };
    if x.is_nan() || y.is_nan() || !x.is_finite() || !y.is_finite() {
        return Err(());
    }
    let s = scale(args).abs();
    let s = if s.is_finite() { s } else { 0.0 };
    let s = s.max(x.abs()).max(y.abs());
    let d = (x - y).abs() / ulp(ret, s);
    if d <= ulps { Ok(d) } else { Err(()) }
}

/// The distance from `s` (≥ 0) to the next larger value of the result type.
fn ulp(ret: ScalarType, s: f64) -> f64 {
    match ret {
        ScalarType::Float32 => {
            let s = s as f32;
            (s.next_up() - s) as f64
        }
        _ => s.next_up() - s,
    }
}

fn check(case: &Case) {
    let c = compiler();
    let n = rows();
    let udf = &case.functions[case.which];
    let sig = Signature::parse(udf.signature).expect("signature");
    let (ret, _) = sig.scalars().expect("the samples take scalars");
    let inputs = Inputs::new(case, &sig, n);

    // 1. The CPU kernel against the Rust model.
    let cpu_specs = specs(case, false);
    let cpu_module = c
        .compile(CompileRequest {
            ir: &sample(case.cpu_ir),
            functions: &cpu_specs,
        })
        .unwrap_or_else(|e| panic!("{}: CPU compile: {e}", case.name));
    let cpu_kernel = &cpu_module.module.kernels()[case.which];
    assert_eq!(cpu_kernel.symbol(), udf.cpu);
    let s = sentinel(ret);
    let expected: Vec<Option<V>> = inputs
        .rows
        .iter()
        .map(|args| {
            let v = (case.model)(args);
            let mut bytes = Vec::new();
            encode(ret, v, &mut bytes);
            (bytes != s).then_some(v)
        })
        .collect();
    let expected_masked: Vec<Option<V>> = expected
        .iter()
        .zip(&inputs.valid)
        .map(|(e, v)| e.filter(|_| *v))
        .collect();
    let cpu_masked_raw = run_cpu(cpu_kernel, &inputs, true, ret);
    let cpu_masked = logical(ret, &cpu_masked_raw, Some(&inputs.valid));
    compare(
        case,
        "CPU vs model, NULL rows",
        ret,
        &inputs,
        ("CPU", &cpu_masked),
        ("model", &expected_masked),
    );
    let cpu_dense_raw = run_cpu(cpu_kernel, &inputs, false, ret);
    let cpu_dense = logical(ret, &cpu_dense_raw, None);
    compare(
        case,
        "CPU vs model, all valid",
        ret,
        &inputs,
        ("CPU", &cpu_dense),
        ("model", &expected),
    );

    // 2. The PTX, for sm_80 everywhere.
    let info = c.gpu_target_info().expect("GPU target info");
    if case.gpu_libdevice && info.libdevice.is_none() {
        println!(
            "skipped: {} PTX and GPU run (libdevice not found: run scripts/setup-python.sh \
             or set UDF_LIBDEVICE)",
            case.name
        );
        return;
    }
    let gpu_ir = sample(case.gpu_ir);
    let gpu_specs = specs(case, true);
    let baseline = compile_ptx(c, case, &gpu_ir, &gpu_specs, BASELINE_CC);
    check_ptx(case, &baseline);

    // 3. The GPU kernel against the CPU kernel.
    let gpu = match device() {
        Ok(gpu) => gpu,
        Err(why) => {
            println!("skipped: {} on the GPU: {why}", case.name);
            return;
        }
    };
    let (major, minor) = gpu.info().compute_capability;
    let device_cc = (major * 10 + minor) as u32;
    // PTX runs on its own and any later architecture: the newest one LLVM knows that is
    // not newer than the device.
    let cc = info
        .capability_for(device_cc)
        .unwrap_or_else(|| panic!("LLVM knows no compute capability ≤ {device_cc}"));
    let ptx = if cc == BASELINE_CC {
        baseline
    } else {
        compile_ptx(c, case, &gpu_ir, &gpu_specs, cc)
    };
    let module = gpu
        .load(&format!("{}.sm_{cc}", case.name), &ptx.ptx)
        .unwrap_or_else(|e| panic!("{}: loading the PTX for sm_{cc}: {e}", case.name));
    let kernel = module
        .kernel(&ptx.kernels[case.which])
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let columns: Vec<Column<'_>> = inputs
        .columns
        .iter()
        .zip(&sig.args)
        .map(|(bytes, ty)| Column {
            bytes,
            width: ty.scalar().expect("the samples take scalars").width(),
        })
        .collect();
    let valid_bytes = inputs.valid_bytes();
    for masked in [true, false] {
        let mut out = vec![0u8; n * ret.width()];
        let times = gpu
            .run(
                &kernel,
                n,
                &columns,
                masked.then_some(valid_bytes.as_slice()),
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{}: GPU run: {e}", case.name));
        if masked {
            for (row, b) in out.chunks_exact(ret.width()).enumerate() {
                assert!(
                    inputs.valid[row] || b == s.as_slice(),
                    "{}: GPU kernel: NULL row {row} holds {b:?}, not the sentinel {s:?}",
                    case.name
                );
            }
        }
        let gpu_logical = logical(ret, &out, None);
        let (what, cpu) = if masked {
            ("GPU vs CPU, NULL rows", &cpu_masked)
        } else {
            ("GPU vs CPU, all valid", &cpu_dense)
        };
        compare(
            case,
            what,
            ret,
            &inputs,
            ("GPU", &gpu_logical),
            ("CPU", cpu),
        );
        println!(
            "{} on {} (sm_{cc}): to device {:?}, kernel {:?}, to host {:?}",
            case.name,
            gpu.info().name,
            times.to_device,
            times.kernel,
            times.to_host
        );
    }
}

fn compile_ptx(
    c: &Compiler,
    case: &Case,
    ir: &[u8],
    functions: &[FunctionSpec],
    cc: u32,
) -> PtxOutput {
    c.compile_ptx(PtxRequest {
        ir,
        functions,
        compute_capability: cc,
    })
    .unwrap_or_else(|e| panic!("{}: PTX for sm_{cc}: {e}", case.name))
}

/// One `.entry` per function in request order, libdevice as expected, `ptxas` content.
fn check_ptx(case: &Case, out: &PtxOutput) {
    let names: Vec<String> = (0..case.functions.len())
        .map(|i| format!("udf_kernel_{i}"))
        .collect();
    assert_eq!(out.kernels, names, "{}", case.name);
    for k in &out.kernels {
        assert!(
            out.ptx.contains(&format!(".visible .entry {k}(")),
            "{}: no .entry {k}",
            case.name
        );
    }
    assert_eq!(out.target.cpu, format!("sm_{BASELINE_CC}"), "{}", case.name);
    assert_eq!(
        out.libdevice_linked, case.gpu_libdevice,
        "{}: libdevice linked",
        case.name
    );
    assert!(
        !out.ptx.contains(".extern"),
        "{}: unresolved calls",
        case.name
    );
    match cuda_tools::find_ptxas() {
        Ok(ptxas) => {
            cuda_tools::ptxas(&ptxas, &out.ptx, BASELINE_CC)
                .unwrap_or_else(|e| panic!("{}: ptxas refused the PTX:\n{e}", case.name));
            println!("{}: PTX for sm_{BASELINE_CC} assembled by ptxas", case.name);
        }
        Err(looked) => println!(
            "note: {}: ptxas not found ({looked}); PTX not assembled",
            case.name
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Deterministic inputs
// ---------------------------------------------------------------------------------------

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next() as u128 % span) as i128) as i64
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// ± 10^u with u uniform in [−300, 300]: every magnitude.
    fn wide(&mut self) -> f64 {
        let sign = if self.below(2) == 0 { 1.0 } else { -1.0 };
        sign * 10f64.powf(self.uniform(-300.0, 300.0))
    }

    /// Any bit pattern: NaNs, infinities, subnormals included.
    fn any_f64(&mut self) -> f64 {
        f64::from_bits(self.next())
    }
}

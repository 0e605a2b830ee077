//! Shared helpers for the compiler's integration tests.
#![allow(dead_code)]

use std::mem::MaybeUninit;
use std::path::PathBuf;

mod cuda_tools;
pub use cuda_tools::*;

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, Kernel, Signature};

/// `../shared/ir-samples/<rel>` beside the repository.
pub fn sample(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ir-samples")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn compiler() -> Compiler {
    Compiler::new(CompilerOptions::default()).expect("compiler")
}

pub fn spec(symbol: &str, sig: &str) -> FunctionSpec {
    FunctionSpec::new(symbol, Signature::parse(sig).expect("signature"))
}

/// Compiles one function and returns its kernel.
pub fn kernel(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> Kernel {
    let functions = [spec(symbol, sig)];
    let out = c
        .compile(CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        })
        .unwrap_or_else(|e| panic!("compiling {symbol}: {e}"));
    out.module.kernels()[0].clone()
}

pub fn compile_err(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> String {
    let functions = [spec(symbol, sig)];
    c.compile(CompileRequest {
        ir: ir.as_bytes(),
        functions: &functions,
    })
    .map(|_| ())
    .expect_err("compile should fail")
    .to_string()
}

pub trait Bytes: Copy + Default {
    fn to_bytes(v: &[Self]) -> Vec<u8>;
    fn from_bytes(b: &[u8]) -> Vec<Self>;
}

macro_rules! impl_bytes {
    ($($t:ty),*) => {$(
        impl Bytes for $t {
            fn to_bytes(v: &[Self]) -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() }
            fn from_bytes(b: &[u8]) -> Vec<Self> {
                b.chunks_exact(std::mem::size_of::<$t>())
                    .map(|c| <$t>::from_le_bytes(c.try_into().unwrap()))
                    .collect()
            }
        }
    )*};
}
impl_bytes!(i8, i16, i32, i64, f32, f64);

/// Runs `k` over columns of one element type; returns (outputs, sentinel hits).
pub fn run<A: Bytes, R: Bytes>(
    k: &Kernel,
    args: &[&[A]],
    validity: Option<&[u8]>,
) -> (Vec<R>, usize) {
    let n = args.first().map_or(0, |a| a.len());
    let bufs: Vec<Vec<u8>> = args.iter().map(|a| A::to_bytes(a)).collect();
    let refs: Vec<&[u8]> = bufs.iter().map(|b| b.as_slice()).collect();
    let mut out = vec![MaybeUninit::<u8>::uninit(); n * std::mem::size_of::<R>()];
    let hits = k.run(n, &refs, validity, &mut out).expect("run");
    // SAFETY: the kernel wrote all n values.
    let bytes: Vec<u8> = out
        .into_iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    (R::from_bytes(&bytes), hits)
}

/// An Arrow-style LSB bitmap from booleans.
pub fn bitmap(valid: &[bool]) -> Vec<u8> {
    let mut b = vec![0u8; valid.len().div_ceil(8)];
    for (i, v) in valid.iter().enumerate() {
        if *v {
            b[i / 8] |= 1 << (i % 8);
        }
    }
    b
}

/// Units in the last place between two finite doubles.
pub fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64).abs_diff(b.to_bits() as i64)
}

/// The libdevice of the pinned wheel: PTX golden files depend on the libdevice version,
/// so GPU tests use this one, not whatever discovery finds first.
pub fn pinned_libdevice() -> Option<PathBuf> {
    cuda_nvcc_wheel_file("nvvm/libdevice/libdevice.10.bc")
}

/// A compiler whose GPU math links the pinned libdevice (None: no libdevice at all).
pub fn gpu_compiler() -> (Compiler, bool) {
    let libdevice = pinned_libdevice();
    if libdevice.is_none() {
        eprintln!(
            "note: libdevice of nvidia-cuda-nvcc-cu12 not found in {} (run \
             scripts/setup-python.sh); GPU math cases are skipped",
            venv().display()
        );
    }
    let found = libdevice.is_some();
    let c = Compiler::new(CompilerOptions {
        libdevice,
        libdevice_discovery: false,
        ..Default::default()
    })
    .expect("compiler");
    (c, found)
}

/// [`gpu_compiler`] for a test that needs libdevice; `None` (with a `skipped:` line)
/// without it.
pub fn libdevice_compiler() -> Option<Compiler> {
    let (c, has_libdevice) = gpu_compiler();
    if !has_libdevice {
        eprintln!("skipped: libdevice not found");
        return None;
    }
    Some(c)
}

/// Compiles `functions` ((symbol, signature) pairs) of `ir` to PTX.
pub fn ptx(
    c: &Compiler,
    ir: &str,
    functions: &[(&str, &str)],
    compute_capability: u32,
) -> compiler::Result<compiler::PtxOutput> {
    let specs: Vec<FunctionSpec> = functions.iter().map(|(s, g)| spec(s, g)).collect();
    c.compile_ptx(compiler::PtxRequest {
        ir: ir.as_bytes(),
        functions: &specs,
        compute_capability,
    })
}

//! Compile latency of a real client module (the hypexp sample), cold and from the cache,
//! and of its GPU variant to PTX.

use std::path::PathBuf;

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, PtxRequest, Signature};
use criterion::{Criterion, criterion_group, criterion_main};

fn hypexp_ir() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ir-samples/remotejit/numba068_hypexp_daddA.cpu.ll");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compile_latency(c: &mut Criterion) {
    let compiler = Compiler::new(CompilerOptions::default()).expect("compiler");
    let ir = hypexp_ir();
    let functions = [FunctionSpec::new(
        "hypexp_daddA",
        Signature::parse("f64(f64, f64)").expect("signature"),
    )];
    let mut group = c.benchmark_group("compile_hypexp");
    let mut n = 0u64;
    group.bench_function("cold", |b| {
        b.iter(|| {
            // A distinct comment makes a distinct cache key: every iteration compiles.
            n += 1;
            let text = format!("{ir}\n; {n}\n");
            let out = compiler
                .compile(CompileRequest {
                    ir: text.as_bytes(),
                    functions: &functions,
                })
                .expect("compile");
            assert!(!out.cache_hit);
            out
        })
    });
    let held = compiler
        .compile(CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        })
        .expect("compile");
    group.bench_function("cache_hit", |b| {
        b.iter(|| {
            let out = compiler
                .compile(CompileRequest {
                    ir: ir.as_bytes(),
                    functions: &functions,
                })
                .expect("compile");
            assert!(out.cache_hit);
            out
        })
    });
    drop(held);
    group.finish();
}

/// PTX for the GPU variant of the same function (libdevice `__nv_exp`/`__nv_sqrt`
/// linked), when discovery finds libdevice.
fn ptx_latency(c: &mut Criterion) {
    let compiler = Compiler::new(CompilerOptions::default()).expect("compiler");
    if compiler.libdevice_path().is_none() {
        eprintln!("skipped compile_ptx_hypexp: libdevice not found");
        return;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ir-samples/remotejit/numba061_hypexp_daddA.nvptx.ll");
    let ir = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let functions = [FunctionSpec::new(
        "hypexp_daddA",
        Signature::parse("f64(f64, f64)").expect("signature"),
    )];
    let mut group = c.benchmark_group("compile_ptx_hypexp");
    for cc in [80, 90] {
        group.bench_function(format!("sm_{cc}"), |b| {
            b.iter(|| {
                compiler
                    .compile_ptx(PtxRequest {
                        ir: ir.as_bytes(),
                        functions: &functions,
                        compute_capability: cc,
                    })
                    .expect("compile_ptx")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compile_latency, ptx_latency);
criterion_main!(benches);

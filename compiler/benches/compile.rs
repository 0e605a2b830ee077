//! Compile latency of a real client module (the hypexp sample), cold and from the cache.

use std::path::PathBuf;

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, Signature};
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

criterion_group!(benches, compile_latency);
criterion_main!(benches);

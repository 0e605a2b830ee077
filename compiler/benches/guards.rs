//! What the interrupt checks cost: the same kernels compiled with and without
//! `interrupt_checks`, run over 1M rows, best of several interleaved runs each.
//! `cargo bench -p compiler --bench guards`.

use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, Kernel, Signature};

const ROWS: usize = 1 << 20;
const RUNS: usize = 15;

fn sample(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ir-samples")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kernel(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> Kernel {
    let functions = [FunctionSpec::new(
        symbol,
        Signature::parse(sig).expect("signature"),
    )];
    let out = c
        .compile(CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        })
        .expect("compile");
    out.module.kernels()[0].clone()
}

/// Time of one run over `ROWS` rows, averaged over `reps` runs.
fn time(k: &Kernel, args: &[&[u8]], out: &mut [MaybeUninit<u8>], reps: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..reps {
        k.run(ROWS, args, None, out).expect("run");
    }
    start.elapsed() / reps
}

fn compare(name: &str, ir: &str, symbol: &str, sig: &str, args: &[Vec<u8>], reps: u32) {
    let with = Compiler::new(CompilerOptions::default()).expect("compiler");
    let without = Compiler::new(CompilerOptions {
        interrupt_checks: false,
        ..Default::default()
    })
    .expect("compiler");
    let checked = kernel(&with, ir, symbol, sig);
    let plain = kernel(&without, ir, symbol, sig);
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let mut out = vec![MaybeUninit::<u8>::uninit(); ROWS * 8];
    let (mut best_checked, mut best_plain) = (Duration::MAX, Duration::MAX);
    for run in 0..RUNS {
        // Alternate which goes first, so neither always finds the caches warmer.
        if run % 2 == 0 {
            best_checked = best_checked.min(time(&checked, &refs, &mut out, reps));
            best_plain = best_plain.min(time(&plain, &refs, &mut out, reps));
        } else {
            best_plain = best_plain.min(time(&plain, &refs, &mut out, reps));
            best_checked = best_checked.min(time(&checked, &refs, &mut out, reps));
        }
    }
    println!(
        "{name:<28} checks {:>9.3} ms   no checks {:>9.3} ms   ratio {:.3}",
        best_checked.as_secs_f64() * 1e3,
        best_plain.as_secs_f64() * 1e3,
        best_checked.as_secs_f64() / best_plain.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs benches with `--bench`-less arguments: stay quick then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let numbers: Vec<u8> = (1..=ROWS as i64).flat_map(|x| x.to_le_bytes()).collect();
    compare(
        "collatz_steps (1M rows)",
        &sample("remotejit/numba068_collatz_steps_lalA.cpu.ll"),
        "collatz_steps_lalA",
        "int64(int64)",
        std::slice::from_ref(&numbers),
        1,
    );
    compare(
        "add int64 (1M rows)",
        &sample("remotejit/numba068_add_lallA.cpu.ll"),
        "add_lallA",
        "int64(int64, int64)",
        &[numbers.clone(), numbers],
        20,
    );
    // The fuzz target's entry point on a small real module.
    let ir = sample("remotejit/numba068_collatz_steps_lalA.cpu.ll");
    let limits = compiler::IrLimits::default();
    let calls = 2000;
    let start = Instant::now();
    for _ in 0..calls {
        compiler::check_ir(ir.as_bytes(), &limits).expect("check_ir");
    }
    println!(
        "check_ir (collatz module, {} bytes): {:.1} µs per call",
        ir.len(),
        start.elapsed().as_secs_f64() * 1e6 / calls as f64
    );
}

//! Golden files: the optimised kernel IR for the client IR samples, for a fixed target
//! (x86-64-v3) so the files do not depend on the machine running the tests.
//!
//! Re-bless after an intended change with `UDF_BLESS=1 cargo test -p compiler --test golden`
//! and review the diff.

mod common;
use common::*;
use compiler::{CompileRequest, TargetSpec};

const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "add_int64",
        "remotejit/numba061_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    ),
    (
        "add_int64_numba068",
        "remotejit/numba068_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    ),
    (
        "hypexp_numba061",
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "hypexp_daddA",
        "float64(float64, float64)",
    ),
    (
        "hypexp_numba068",
        "remotejit/numba068_hypexp_daddA.cpu.ll",
        "hypexp_daddA",
        "float64(float64, float64)",
    ),
    (
        "collatz_numba068",
        "remotejit/numba068_collatz_steps_lalA.cpu.ll",
        "collatz_steps_lalA",
        "int64(int64)",
    ),
    (
        "is_pos_float32",
        "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        "is_pos_bafA",
        "bool(float32)",
    ),
    (
        "mul_int32",
        "remotejit/wire_numba061_mul_iaiiA.cpu.ll",
        "mul_iaiiA",
        "int32(int32, int32)",
    ),
    (
        "heavydb_incr",
        "heavydb/register1_cpu_only.cpu.ll",
        "incr__cpu_0",
        "int32(int32)",
    ),
];

fn golden_target() -> TargetSpec {
    TargetSpec {
        triple: "x86_64-unknown-linux-gnu".into(),
        cpu: "x86-64-v3".into(),
        features: String::new(),
    }
}

fn kernel_ir(file: &str, symbol: &str, sig: &str) -> String {
    let c = compiler();
    let functions = [spec(symbol, sig)];
    c.kernel_ir(
        CompileRequest {
            ir: sample(file).as_bytes(),
            functions: &functions,
        },
        Some(&golden_target()),
    )
    .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn kernel_ir_matches_golden_files() {
    let bless = std::env::var_os("UDF_BLESS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut failures = Vec::new();
    for (name, file, symbol, sig) in CASES {
        let actual = kernel_ir(file, symbol, sig);
        let path = dir.join(format!("{name}.ll"));
        if bless {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(_) => failures.push(format!("{name}: differs from {}", path.display())),
            Err(e) => failures.push(format!("{name}: {}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (re-bless with UDF_BLESS=1 after reviewing):\n{}",
        failures.join("\n")
    );
}

#[test]
fn int64_add_kernel_is_vectorised() {
    let ir = kernel_ir(
        "remotejit/numba061_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    );
    assert!(ir.contains("add <4 x i64>"), "no <4 x i64> add in:\n{ir}");
}

#[test]
fn hypexp_kernel_calls_vector_math() {
    for file in [
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "remotejit/numba068_hypexp_daddA.cpu.ll",
    ] {
        let ir = kernel_ir(file, "hypexp_daddA", "float64(float64, float64)");
        assert!(
            ir.contains("@llvm.sqrt.v4f64"),
            "{file}: sqrt not vectorised:\n{ir}"
        );
        assert!(
            ir.contains("@_ZGVdN4v_exp"),
            "{file}: exp not mapped to libmvec:\n{ir}"
        );
        let c = compiler();
        let functions = [spec("hypexp_daddA", "float64(float64, float64)")];
        let asm = c
            .kernel_asm(
                CompileRequest {
                    ir: sample(file).as_bytes(),
                    functions: &functions,
                },
                Some(&golden_target()),
            )
            .unwrap();
        assert!(
            asm.contains("_ZGVdN4v_exp"),
            "{file}: exp not mapped to libmvec:\n{asm}"
        );
    }
}

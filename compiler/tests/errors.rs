//! Every bad input gets an error that names what was wrong, and nothing kills the process.

mod common;
use common::*;

#[test]
fn malformed_ir_reports_line_and_column() {
    let c = compiler();
    let ir = "define i64 @f(i64 %a) {\n  %r = add i64 %a, %nope\n  ret i64 %r\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.starts_with("malformed LLVM IR"), "{e}");
    assert!(e.contains(":2:"), "line missing: {e}");
    assert!(e.contains("nope"), "{e}");
}

#[test]
fn garbage_bytes_are_a_parse_error() {
    let c = compiler();
    let functions = [spec("f", "int64(int64)")];
    for bytes in [&b"\x00\x01\x02garbage"[..], b"BC\xC0\xDE\x00\x00\x00", b""] {
        let e = c
            .compile(compiler::CompileRequest {
                ir: bytes,
                functions: &functions,
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("malformed LLVM IR") || e.contains("not defined"),
            "{e}"
        );
    }
}

#[test]
fn verifier_failures_are_reported() {
    let c = compiler();
    // A block without a terminator parses but does not verify.
    let ir = "define i64 @f(i64 %a) {\nentry:\n  %r = add i64 %a, 1\n  br label %next\nnext:\n  %x = phi i64 [ %a, %entry ], [ %a, %entry ]\n  ret i64 %x\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.contains("LLVM IR"), "{e}");
}

#[test]
fn missing_symbol_names_what_the_ir_defines() {
    let c = compiler();
    let ir = "define i64 @g(i64 %a) {\n  ret i64 %a\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert_eq!(e, "symbol `f` is not defined in the IR (the IR defines: g)");
    let ir = "declare i64 @f(i64)\ndefine i64 @g(i64 %a) {\n  %r = call i64 @f(i64 %a)\n  ret i64 %r\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.contains("only declared"), "{e}");
}

#[test]
fn signature_mismatch_shows_both_types() {
    let c = compiler();
    let ir = "define i32 @foo(i32 %a) {\n  ret i32 %a\n}\n";
    let e = compile_err(&c, ir, "foo", "int64(int64, int64)");
    assert_eq!(
        e,
        "`foo` is declared int64(int64, int64) but the IR defines i32 (i32)"
    );
}

#[test]
fn external_calls_outside_the_allow_list_are_refused() {
    let c = compiler();
    let ir = "@cmd = private constant [3 x i8] c\"id\\00\"\ndeclare i32 @system(ptr)\ndefine i64 @f(i64 %a) {\n  %r = call i32 @system(ptr @cmd)\n  ret i64 %a\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.starts_with("refused:") && e.contains("`system`"), "{e}");
}

#[test]
fn external_globals_and_inline_asm_are_refused() {
    let c = compiler();
    let ir = "@environ = external global ptr\ndefine i64 @f(i64 %a) {\n  %p = load ptr, ptr @environ\n  ret i64 %a\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.contains("external global `environ`"), "{e}");
    let ir = "define i64 @f(i64 %a) {\n  %r = call i64 asm \"mov $1, $0\", \"=r,r\"(i64 %a)\n  ret i64 %r\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.contains("inline assembly"), "{e}");
    let ir = "module asm \".globl evil\"\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n";
    let e = compile_err(&c, ir, "f", "int64(int64)");
    assert!(e.contains("module-level inline assembly"), "{e}");
}

#[test]
fn unused_declarations_are_dropped_not_refused() {
    let c = compiler();
    let ir = "declare i32 @system(ptr)\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n";
    let k = kernel(&c, ir, "f", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[7]], None).0, vec![7]);
}

#[test]
fn libm_calls_are_allowed() {
    let c = compiler();
    let ir = "declare double @pow(double, double)\ndefine double @f(double %a) {\n  %r = call double @pow(double %a, double 2.0)\n  ret double %r\n}\n";
    let k = kernel(&c, ir, "f", "double(double)");
    assert_eq!(run::<f64, f64>(&k, &[&[3.0]], None).0, vec![9.0]);
}

#[test]
fn the_server_survives_many_bad_modules() {
    let c = compiler();
    for i in 0..50 {
        let ir = format!("define i64 @f(i64 %a) {{\n  %r = add i64 %a, %x{i}\n  ret i64 %r\n}}\n");
        let _ = compile_err(&c, &ir, "f", "int64(int64)");
    }
    let k = kernel(
        &c,
        "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
        "f",
        "int64(int64)",
    );
    assert_eq!(run::<i64, i64>(&k, &[&[1]], None).0, vec![1]);
}

#[test]
fn defined_functions_lists_definitions_not_declarations() {
    let ir = "; ModuleID = 'x'\n\
              declare double @exp(double)\n\
              define double @hypexp_daddA(double %x, double %y) local_unnamed_addr {\n\
              ret double 0.0\n}\n\
              define internal fastcc i64 @\"weird name\"(i64 %a) {\n  ret i64 %a\n}\n";
    assert_eq!(
        compiler::defined_functions(ir.as_bytes()).unwrap(),
        vec!["hypexp_daddA", "weird name"]
    );
    let e = compiler::defined_functions(b"definex i64 @not_this()")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("malformed LLVM IR"), "{e}");
}

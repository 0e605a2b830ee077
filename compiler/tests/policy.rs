//! The IR policy for hostile modules: each refusal names what it refused, real client IR
//! is still accepted, and `check_ir` survives any bytes.

mod common;
use common::*;
use compiler::{CompileRequest, Compiler, CompilerOptions, Error, IrLimits};

fn refused(ir: &str, symbol: &str, sig: &str) -> String {
    let e = compile_err(&compiler(), ir, symbol, sig);
    assert!(e.starts_with("refused:"), "not a refusal: {e}");
    e
}

#[test]
fn self_recursion_is_refused() {
    let ir = "define i64 @f(i64 %a) {\n  %c = icmp eq i64 %a, 0\n  br i1 %c, label %done, label %more\n\
              more:\n  %b = sub i64 %a, 1\n  %r = call i64 @f(i64 %b)\n  ret i64 %r\n\
              done:\n  ret i64 0\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("recursive call f → f"), "{e}");
    assert!(e.contains("recursion is not supported"), "{e}");
}

#[test]
fn mutual_recursion_is_refused() {
    let ir = "define i64 @f(i64 %a) {\n  %r = call i64 @g(i64 %a)\n  ret i64 %r\n}\n\
              define internal i64 @g(i64 %a) {\n  %r = call i64 @h(i64 %a)\n  ret i64 %r\n}\n\
              define internal i64 @h(i64 %a) {\n  %r = call i64 @g(i64 %a)\n  ret i64 %r\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("recursive call g → h → g"), "{e}");
}

#[test]
fn recursion_outside_the_requested_functions_does_not_matter() {
    // A table function's recursive helper must not make a scalar UDF beside it unusable.
    let ir = "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n\
              define i64 @other(i64 %a) {\n  %r = call i64 @other(i64 %a)\n  ret i64 %r\n}\n";
    let k = kernel(&compiler(), ir, "f", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[5]], None).0, vec![5]);
}

#[test]
fn indirect_calls_are_refused() {
    let ir = "define internal i64 @g(i64 %a) {\n  ret i64 %a\n}\n\
              define internal i64 @h(i64 %a) {\n  ret i64 0\n}\n\
              define i64 @f(i64 %a) {\n  %c = icmp sgt i64 %a, 0\n  %p = select i1 %c, ptr @g, ptr @h\n\
              %r = call i64 %p(i64 %a)\n  ret i64 %r\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("indirect call"), "{e}");
    assert!(
        e.contains("%r = call i64 %p(i64 %a)"),
        "instruction not shown: {e}"
    );
}

#[test]
fn dynamic_alloca_is_refused() {
    let ir = "define i64 @f(i64 %a) {\n  %buf = alloca i64, i64 %a\n  store i64 1, ptr %buf\n\
              %r = load i64, ptr %buf\n  ret i64 %r\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("dynamic alloca"), "{e}");
    assert!(e.contains("%buf = alloca i64, i64 %a"), "{e}");
}

#[test]
fn huge_static_alloca_is_over_the_limit() {
    let ir = "define i64 @f(i64 %a) {\n  %buf = alloca [1048576 x i8]\n  store i64 %a, ptr %buf\n\
              %r = load i64, ptr %buf\n  ret i64 %r\n}\n";
    let c = compiler();
    let functions = [spec("f", "int64(int64)")];
    let e = c
        .compile(CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        })
        .unwrap_err();
    match &e {
        Error::Limit {
            what,
            limit,
            actual,
        } => {
            assert!(what.contains("`f`") && what.contains("stack"), "{e}");
            assert_eq!(*limit, IrLimits::default().max_stack_bytes);
            assert_eq!(*actual, 1 << 20);
        }
        other => panic!("expected a limit error, got {other}"),
    }
    // A few KiB are fine.
    let ir = ir.replace("1048576", "4096");
    let k = kernel(&c, &ir, "f", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[9]], None).0, vec![9]);
}

#[test]
fn inttoptr_of_a_constant_is_refused() {
    let cases = [
        // instruction
        "define i64 @f(i64 %a) {\n  %p = inttoptr i64 4096 to ptr\n  %r = load i64, ptr %p\n  ret i64 %r\n}\n",
        // constant expression in a load
        "define i64 @f(i64 %a) {\n  %r = load i64, ptr inttoptr (i64 4096 to ptr)\n  ret i64 %r\n}\n",
        // constant expression in a store
        "define i64 @f(i64 %a) {\n  store i64 %a, ptr inttoptr (i64 4096 to ptr)\n  ret i64 %a\n}\n",
        // constant expression hidden in a global initialiser
        "@p = internal global ptr inttoptr (i64 4096 to ptr)\n\
         define i64 @f(i64 %a) {\n  %q = load ptr, ptr @p\n  %r = load i64, ptr %q\n  ret i64 %r\n}\n",
    ];
    for ir in cases {
        let e = refused(ir, "f", "int64(int64)");
        assert!(e.contains("inttoptr to constant address"), "{ir}: {e}");
        assert!(
            e.contains("inttoptr (i64 4096 to ptr)") || e.contains("inttoptr i64 4096"),
            "{e}"
        );
    }
    // A constant address reached by getelementptr on null is the same thing.
    let ir = "define i64 @f(i64 %a) {\n  %r = load i64, ptr getelementptr (i8, ptr null, i64 4096)\n  ret i64 %r\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("constant address"), "{e}");
}

#[test]
fn aliases_and_ifuncs_are_refused() {
    let ir = "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n@g = alias i64 (i64), ptr @f\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("alias `g`"), "{e}");
    let ir = "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n\
              define internal ptr @resolve() {\n  ret ptr @f\n}\n\
              @h = ifunc i64 (i64), ptr @resolve\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("ifunc `h`"), "{e}");
}

#[test]
fn defining_a_host_symbol_is_refused() {
    let ir = "define internal ptr @malloc(i64 %n) {\n  ret ptr null\n}\n\
              define i64 @f(i64 %a) {\n  %p = call ptr @malloc(i64 %a)\n  ret i64 %a\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("`malloc`") && e.contains("rename"), "{e}");
    // Even unused, and as a global variable.
    let ir = "@environ = global ptr null\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("global variable `environ`"), "{e}");
    // The requested function itself may have a libc name.
    let ir = "define i64 @labs(i64 %a) {\n  ret i64 %a\n}\n";
    let k = kernel(&compiler(), ir, "labs", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[-3]], None).0, vec![-3]);
}

#[test]
fn trap_intrinsics_are_refused() {
    for name in ["llvm.trap", "llvm.debugtrap"] {
        let ir = format!(
            "declare void @{name}()\ndefine i64 @f(i64 %a) {{\n  %c = icmp eq i64 %a, 0\n  br i1 %c, label %t, label %ok\n\
             t:\n  call void @{name}()\n  br label %ok\nok:\n  ret i64 %a\n}}\n"
        );
        let e = refused(&ir, "f", "int64(int64)");
        assert!(
            e.contains(&format!("`{name}`")) && e.contains("stop the server"),
            "{e}"
        );
    }
    let ir = "declare void @llvm.ubsantrap(i8)\ndefine i64 @f(i64 %a) {\n  call void @llvm.ubsantrap(i8 1)\n  ret i64 %a\n}\n";
    let e = refused(ir, "f", "int64(int64)");
    assert!(e.contains("`llvm.ubsantrap`"), "{e}");
}

#[test]
fn intrinsics_outside_the_allow_list_are_refused() {
    let cases = [
        (
            "llvm.frameaddress.p0",
            "declare ptr @llvm.frameaddress.p0(i32)\ndefine i64 @f(i64 %a) {\n  %p = call ptr @llvm.frameaddress.p0(i32 0)\n  %r = ptrtoint ptr %p to i64\n  ret i64 %r\n}\n",
        ),
        (
            "llvm.returnaddress",
            "declare ptr @llvm.returnaddress(i32)\ndefine i64 @f(i64 %a) {\n  %p = call ptr @llvm.returnaddress(i32 0)\n  %r = ptrtoint ptr %p to i64\n  ret i64 %r\n}\n",
        ),
        (
            "llvm.read_register.i64",
            "declare i64 @llvm.read_register.i64(metadata)\ndefine i64 @f(i64 %a) {\n  %r = call i64 @llvm.read_register.i64(metadata !0)\n  ret i64 %r\n}\n!0 = !{!\"rsp\"}\n",
        ),
        (
            "llvm.x86.rdtsc",
            "declare i64 @llvm.x86.rdtsc()\ndefine i64 @f(i64 %a) {\n  %r = call i64 @llvm.x86.rdtsc()\n  ret i64 %r\n}\n",
        ),
        (
            "llvm.clear_cache",
            "declare void @llvm.clear_cache(ptr, ptr)\ndefine i64 @f(i64 %a) {\n  call void @llvm.clear_cache(ptr null, ptr null)\n  ret i64 %a\n}\n",
        ),
    ];
    for (name, ir) in cases {
        let e = refused(ir, "f", "int64(int64)");
        assert!(
            e.contains(&format!("`{name}`")) && e.contains("allow-list"),
            "{name}: {e}"
        );
    }
    // Math, bit and overflow intrinsics stay usable.
    let ir = "declare i64 @llvm.smax.i64(i64, i64)\ndeclare i64 @llvm.ctpop.i64(i64)\n\
              declare { i64, i1 } @llvm.sadd.with.overflow.i64(i64, i64)\n\
              define i64 @f(i64 %a) {\n  %m = call i64 @llvm.smax.i64(i64 %a, i64 0)\n\
              %p = call i64 @llvm.ctpop.i64(i64 %m)\n\
              %s = call { i64, i1 } @llvm.sadd.with.overflow.i64(i64 %p, i64 1)\n\
              %r = extractvalue { i64, i1 } %s, 0\n  ret i64 %r\n}\n";
    let k = kernel(&compiler(), ir, "f", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[7, -1]], None).0, vec![4, 1]);
}

fn limited(limits: IrLimits) -> Compiler {
    Compiler::new(CompilerOptions {
        limits,
        ..Default::default()
    })
    .unwrap()
}

fn limit_err(c: &Compiler, ir: &str) -> (String, u64, u64) {
    let functions = [spec("f", "int64(int64)")];
    match c.compile(CompileRequest {
        ir: ir.as_bytes(),
        functions: &functions,
    }) {
        Err(Error::Limit {
            what,
            limit,
            actual,
        }) => (what, limit, actual),
        Err(other) => panic!("expected a limit error, got {other}"),
        Ok(_) => panic!("expected a limit error, compiled"),
    }
}

#[test]
fn size_limits_are_enforced() {
    let ir = "define i64 @f(i64 %a) {\n  %b = add i64 %a, 1\n  %c = add i64 %b, 1\n  ret i64 %c\n}\n\
              define i64 @g(i64 %a) {\n  ret i64 %a\n}\n";
    let (what, limit, actual) = limit_err(
        &limited(IrLimits {
            max_ir_bytes: 50,
            ..Default::default()
        }),
        ir,
    );
    assert!(what.contains("bytes"), "{what}");
    assert_eq!((limit, actual), (50, ir.len() as u64));
    let (what, limit, actual) = limit_err(
        &limited(IrLimits {
            max_functions: 1,
            ..Default::default()
        }),
        ir,
    );
    assert!(what.contains("functions"), "{what}");
    assert_eq!((limit, actual), (1, 2));
    let (what, limit, actual) = limit_err(
        &limited(IrLimits {
            max_instructions: 3,
            ..Default::default()
        }),
        ir,
    );
    assert!(what.contains("instructions"), "{what}");
    assert_eq!((limit, actual), (3, 4));
    // Just inside every limit.
    let c = limited(IrLimits {
        max_ir_bytes: ir.len(),
        max_functions: 2,
        max_instructions: 4,
        max_stack_bytes: 0,
    });
    let k = kernel(&c, ir, "f", "int64(int64)");
    assert_eq!(run::<i64, i64>(&k, &[&[1]], None).0, vec![3]);
}

#[test]
fn inlined_size_multiplies_along_call_paths() {
    // f calls g 4 times, g calls h 4 times, h has 11 instructions: 16 copies of h once
    // inlined, far more than the module's own 30-odd instructions.
    let mut ir = String::from("define internal i64 @h(i64 %a) {\n");
    for i in 0..10 {
        let prev = if i == 0 {
            "%a".to_string()
        } else {
            format!("%x{}", i - 1)
        };
        ir += &format!("  %x{i} = mul i64 {prev}, 3\n");
    }
    ir += "  ret i64 %x9\n}\n";
    for (caller, callee) in [("g", "h"), ("f", "g")] {
        let linkage = if caller == "f" { "" } else { "internal " };
        ir += &format!("define {linkage}i64 @{caller}(i64 %a) {{\n");
        for i in 0..4 {
            let prev = if i == 0 {
                "%a".to_string()
            } else {
                format!("%y{}", i - 1)
            };
            ir += &format!("  %y{i} = call i64 @{callee}(i64 {prev})\n");
        }
        ir += "  ret i64 %y3\n}\n";
    }
    let c = limited(IrLimits {
        max_instructions: 100,
        ..Default::default()
    });
    let (what, limit, actual) = limit_err(&c, &ir);
    assert!(what.contains("`f`") && what.contains("inlined"), "{what}");
    assert_eq!(limit, 100);
    assert_eq!(actual, 5 + 4 * (5 + 4 * 11));
    let k = kernel(&compiler(), &ir, "f", "int64(int64)");
    assert_eq!(
        run::<i64, i64>(&k, &[&[1]], None).0,
        vec![3i64.wrapping_pow(160)]
    );
}

#[test]
fn gpu_compiles_apply_the_same_policy() {
    let (c, _) = gpu_compiler();
    let cases = [
        (
            "recursive call f → f",
            "define i64 @f(i64 %a) {\n  %r = call i64 @f(i64 %a)\n  ret i64 %r\n}\n",
        ),
        (
            "`llvm.trap`",
            "declare void @llvm.trap()\ndefine i64 @f(i64 %a) {\n  call void @llvm.trap()\n  ret i64 %a\n}\n",
        ),
        (
            "dynamic alloca",
            "define i64 @f(i64 %a) {\n  %buf = alloca i64, i64 %a\n  %r = load i64, ptr %buf\n  ret i64 %r\n}\n",
        ),
        (
            "inttoptr to constant address",
            "define i64 @f(i64 %a) {\n  %r = load i64, ptr inttoptr (i64 4096 to ptr)\n  ret i64 %r\n}\n",
        ),
    ];
    for (what, ir) in cases {
        let e = ptx(&c, ir, &[("f", "int64(int64)")], 80)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("refused:") && e.contains(what), "{what}: {e}");
    }
}

/// Every CPU sample function with a scalar signature, as the clients register them.
const SAMPLE_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "remotejit/wire_numba061_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    ),
    (
        "remotejit/numba061_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    ),
    (
        "remotejit/numba068_add_lallA.cpu.ll",
        "add_lallA",
        "int64(int64, int64)",
    ),
    (
        "remotejit/wire_numba061_hypexp_daddA.cpu.ll",
        "hypexp_daddA",
        "f64(f64, f64)",
    ),
    (
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "hypexp_daddA",
        "f64(f64, f64)",
    ),
    (
        "remotejit/numba068_hypexp_daddA.cpu.ll",
        "hypexp_daddA",
        "f64(f64, f64)",
    ),
    (
        "remotejit/wire_numba061_sumsq_alt_lalA.cpu.ll",
        "sumsq_alt_lalA",
        "int64(int64)",
    ),
    (
        "remotejit/wire_numba061_mul_iaiiA.cpu.ll",
        "mul_iaiiA",
        "int32(int32, int32)",
    ),
    (
        "remotejit/wire_numba061_mul_daddA.cpu.ll",
        "mul_daddA",
        "f64(f64, f64)",
    ),
    (
        "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        "is_pos_bafA",
        "bool(float32)",
    ),
    (
        "remotejit/numba061_collatz_steps_lalA.cpu.ll",
        "collatz_steps_lalA",
        "int64(int64)",
    ),
    (
        "remotejit/numba068_collatz_steps_lalA.cpu.ll",
        "collatz_steps_lalA",
        "int64(int64)",
    ),
    (
        "remotejit/numba061_safe_div_lallA.cpu.ll",
        "safe_div_lallA",
        "int64(int64, int64)",
    ),
    (
        "heavydb/register1_cpu_only.cpu.ll",
        "incr__cpu_0",
        "int32(int32)",
    ),
    (
        "heavydb/register1_cpu_only.cpu.ll",
        "incr__cpu_1",
        "f64(f64)",
    ),
    (
        "heavydb/register2_cpu_gpu.cpu.ll",
        "incr__cpu_0",
        "int32(int32)",
    ),
    (
        "heavydb/register2_cpu_gpu.cpu.ll",
        "mysin__cpu_0",
        "f64(f64)",
    ),
    (
        "heavydb/register3_myadd.cpu.ll",
        "myadd__cpu_0",
        "int64(int64, int64)",
    ),
    (
        "heavydb/register3_myadd.cpu.ll",
        "myadd__cpu_1",
        "f64(f64, f64)",
    ),
    (
        "heavydb/register3_myadd.cpu.ll",
        "mysqrt__cpu_0",
        "f64(f64)",
    ),
];

#[test]
fn every_cpu_sample_still_compiles() {
    let c = compiler();
    for (file, symbol, sig) in SAMPLE_FUNCTIONS {
        let functions = [spec(symbol, sig)];
        c.compile(CompileRequest {
            ir: sample(file).as_bytes(),
            functions: &functions,
        })
        .unwrap_or_else(|e| panic!("{file} {symbol}: {e}"));
    }
}

#[test]
fn check_ir_accepts_the_cpu_samples() {
    let files = [
        "remotejit/wire_numba061_add_lallA.cpu.ll",
        "remotejit/numba061_add_lallA.cpu.ll",
        "remotejit/numba068_add_lallA.cpu.ll",
        "remotejit/wire_numba061_hypexp_daddA.cpu.ll",
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "remotejit/numba068_hypexp_daddA.cpu.ll",
        "remotejit/wire_numba061_sumsq_alt_lalA.cpu.ll",
        "remotejit/wire_numba061_mul_iaiiA.cpu.ll",
        "remotejit/wire_numba061_mul_daddA.cpu.ll",
        "remotejit/wire_numba061_cadd_DaDDA.cpu.ll",
        "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        "remotejit/numba061_collatz_steps_lalA.cpu.ll",
        "remotejit/numba068_collatz_steps_lalA.cpu.ll",
        "remotejit/numba061_psum_da_dPlA.cpu.ll",
        "remotejit/numba068_psum_da_dPlA.cpu.ll",
        "remotejit/numba061_safe_div_lallA.cpu.ll",
        "heavydb/register1_cpu_only.cpu.ll",
        "heavydb/register2_cpu_gpu.cpu.ll",
        "heavydb/register3_myadd.cpu.ll",
    ];
    for file in files {
        let names = compiler::check_ir(sample(file).as_bytes(), &IrLimits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!names.is_empty(), "{file}");
    }
    let names = compiler::check_ir(
        sample("remotejit/numba068_hypexp_daddA.cpu.ll").as_bytes(),
        &IrLimits::default(),
    )
    .unwrap();
    assert!(names.iter().any(|n| n == "hypexp_daddA"), "{names:?}");
}

#[test]
fn check_ir_refuses_what_registration_refuses() {
    let limits = IrLimits::default();
    let cases = [
        (
            "recursive call f → f",
            "define i64 @f(i64 %a) {\n  %r = call i64 @f(i64 %a)\n  ret i64 %r\n}\n",
        ),
        (
            "`llvm.trap`",
            "declare void @llvm.trap()\ndefine void @f() {\n  call void @llvm.trap()\n  ret void\n}\n",
        ),
        (
            "alias `g`",
            "define void @f() {\n  ret void\n}\n@g = alias void (), ptr @f\n",
        ),
        (
            "`malloc`",
            "define ptr @malloc(i64 %n) {\n  ret ptr null\n}\n",
        ),
        (
            "inline assembly",
            "define void @f() {\n  call void asm sideeffect \"ud2\", \"\"()\n  ret void\n}\n",
        ),
    ];
    for (what, ir) in cases {
        let e = compiler::check_ir(ir.as_bytes(), &limits)
            .unwrap_err()
            .to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
    let e = compiler::check_ir(
        b"define void @f() {\n ret void\n}\n",
        &IrLimits {
            max_ir_bytes: 8,
            ..limits
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Limit { limit: 8, .. }), "{e}");
}

/// Bitcode of `text`, made by `llvm-as`, if it is installed.
fn bitcode(text: &str) -> Option<Vec<u8>> {
    let llvm_as =
        std::path::Path::new(option_env!("LLVM_SYS_221_PREFIX").unwrap_or("/usr/lib/llvm-22"))
            .join("bin/llvm-as");
    if !llvm_as.exists() {
        eprintln!("skipped bitcode cases: {} not found", llvm_as.display());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("m.ll");
    std::fs::write(&src, text).unwrap();
    let out = dir.path().join("m.bc");
    let ok = std::process::Command::new(&llvm_as)
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap()
        .success();
    assert!(ok, "llvm-as failed");
    Some(std::fs::read(out).unwrap())
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn check_ir_survives_truncated_and_garbage_input() {
    let limits = IrLimits::default();
    let text = sample("remotejit/numba068_collatz_steps_lalA.cpu.ll");
    // Every prefix of a real module (on char boundaries).
    for (cut, _) in text.char_indices().step_by(7) {
        let _ = compiler::check_ir(&text.as_bytes()[..cut], &limits);
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for len in [0usize, 1, 3, 4, 5, 8, 16, 64, 256, 4096] {
        for _ in 0..20 {
            let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = compiler::check_ir(&noise, &limits);
            let mut magic = b"BC\xC0\xDE".to_vec();
            magic.extend_from_slice(&noise);
            assert!(compiler::check_ir(&magic, &limits).is_err());
            let mut wrapper = vec![0xDE, 0xC0, 0x17, 0x0B];
            wrapper.extend_from_slice(&noise);
            assert!(compiler::check_ir(&wrapper, &limits).is_err());
        }
    }
    if let Some(bc) = bitcode(&text) {
        // Bitcode is refused whole (it never reaches LLVM's reader), whatever it holds.
        assert!(compiler::check_ir(&bc, &limits).is_err());
        // Truncated bitcode, and bitcode with flipped bytes.
        for cut in (1..bc.len()).step_by(3) {
            assert!(
                compiler::check_ir(&bc[..cut], &limits).is_err(),
                "cut at {cut}"
            );
        }
        for _ in 0..300 {
            let mut bad = bc.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = 4 + (rng.next() as usize) % (bad.len() - 4);
                bad[at] ^= 1 << (rng.next() % 8);
            }
            let _ = compiler::check_ir(&bad, &limits);
        }
    }
    // Still working.
    assert!(compiler::check_ir(text.as_bytes(), &limits).is_ok());
}

#[test]
fn deeply_nested_text_is_refused_before_parsing() {
    // 200k nested array types overflow the stack of LLVM's recursive-descent parser.
    let n = 200_000;
    let ty = format!("{}i8{}", "[1 x ".repeat(n), "]".repeat(n));
    let ir = format!("@g = external global {ty}\ndefine i64 @f(i64 %a) {{\n  ret i64 %a\n}}\n");
    for e in [
        compiler::check_ir(ir.as_bytes(), &IrLimits::default()).unwrap_err(),
        compiler()
            .compile(CompileRequest {
                ir: ir.as_bytes(),
                functions: &[spec("f", "int64(int64)")],
            })
            .unwrap_err(),
    ] {
        match &e {
            Error::Limit { what, .. } => {
                assert!(what.contains("nesting") && what.contains("line 1"), "{e}")
            }
            other => panic!("expected a limit error, got {other}"),
        }
    }
    // Brackets in strings and comments do not count.
    let ir = format!(
        "; {}\n@s = constant [3 x i8] c\"{}\"\ndefine i64 @f(i64 %a) {{\n  ret i64 %a\n}}\n",
        "[".repeat(1000),
        "{{{"
    );
    compiler::check_ir(ir.as_bytes(), &IrLimits::default()).unwrap();
}

#[test]
fn fuzz_findings_do_not_crash_check_ir() {
    // Inputs the IR-intake fuzz target found crashing LLVM's readers: `check_ir` reads
    // them in the probe process first (probe.rs), so they are refused, not fatal.
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/ir_intake");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        // Whether LLVM crashes on them depends on the build (the text one segfaults
        // under AddressSanitizer); what matters is that this process survives.
        let _ = compiler::check_ir(&bytes, &IrLimits::default());
    }
}

#[test]
fn numbered_identifiers_llvm_mishandles_are_refused_before_parsing() {
    // LLVM 22's parser reads garbage for `%4294967295` (its maps' empty key): the probe
    // process need not crash where the server would, so the text is refused first.
    for (ir, id) in [
        (
            "define i32 @f() {\n  ret i32 %4294967295\n}\n",
            "%4294967295",
        ),
        (
            "define i32 @f() {\n  ret i32 %4294967294\n}\n",
            "%4294967294",
        ),
        (
            "@99999999999999999999999 = global i32 0\n",
            "@99999999999999999999999",
        ),
        (
            "define void @f() !dbg !4294967295 {\n  ret void\n}\n",
            "!4294967295",
        ),
    ] {
        let err = compiler::check_ir(ir.as_bytes(), &IrLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("the numbered identifier `{id}` is too large")),
            "{id}: {err}"
        );
    }
    // In strings and comments numbers are text.
    let ok = "; %4294967295\n@s = constant [12 x i8] c\"%4294967295\\00\"\n\
              define i64 @f(i64 %a) {\n  ret i64 %a\n}\n";
    compiler::check_ir(ok.as_bytes(), &IrLimits::default()).unwrap();
}

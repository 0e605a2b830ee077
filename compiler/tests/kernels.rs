//! Kernels built from real client IR compute what the client's function computes, with
//! HeavyDB's NULL semantics.

mod common;
use common::*;

const ADD_I64: &str = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";

#[test]
fn int64_add_dense_and_masked() {
    let c = compiler();
    let k = kernel(&c, ADD_I64, "add", "int64(int64, int64)");
    // 200 rows: three whole validity words and a tail, with every word kind present.
    let n = 200usize;
    let a: Vec<i64> = (0..n as i64).collect();
    let b: Vec<i64> = (0..n as i64).map(|x| x * 1000).collect();
    let (out, hits) = run::<i64, i64>(&k, &[&a, &b], None);
    assert_eq!(hits, 0);
    assert_eq!(out, (0..n as i64).map(|x| x + x * 1000).collect::<Vec<_>>());

    let valid: Vec<bool> = (0..n)
        .map(|i| !(64..128).contains(&i) && (i < 128 || i % 3 != 0))
        .collect();
    let (out, hits) = run::<i64, i64>(&k, &[&a, &b], Some(&bitmap(&valid)));
    assert_eq!(hits, 0);
    for i in 0..n {
        let expect = if valid[i] { a[i] + b[i] } else { 0 };
        assert_eq!(out[i], expect, "row {i}");
    }
}

#[test]
fn sentinel_results_are_counted_for_valid_rows_only() {
    let c = compiler();
    let k = kernel(&c, ADD_I64, "add", "int64(int64, int64)");
    let a = [i64::MIN, 1, i64::MIN, 5];
    let b = [0, 2, 0, i64::MIN.wrapping_sub(5)];
    let (_, hits) = run::<i64, i64>(&k, &[&a, &b], None);
    assert_eq!(hits, 3);
    let (_, hits) = run::<i64, i64>(&k, &[&a, &b], Some(&bitmap(&[true, true, false, true])));
    assert_eq!(hits, 2);
}

#[test]
fn null_rows_never_reach_the_function() {
    // collatz_steps(0) never terminates: a NULL row holding 0 must not be passed to it.
    let c = compiler();
    for file in [
        "remotejit/numba061_collatz_steps_lalA.cpu.ll",
        "remotejit/numba068_collatz_steps_lalA.cpu.ll",
    ] {
        let k = kernel(&c, &sample(file), "collatz_steps_lalA", "int64(int64)");
        let n: Vec<i64> = vec![27, 0, 1, 6, 0, 97];
        let valid = [true, false, true, true, false, true];
        let (out, hits) = run::<i64, i64>(&k, &[&n], Some(&bitmap(&valid)));
        assert_eq!(hits, 0);
        assert_eq!(out, vec![111, 0, 0, 8, 0, 118], "{file}");
    }
}

#[test]
fn hypexp_matches_the_python_function() {
    let c = compiler();
    for file in [
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "remotejit/numba068_hypexp_daddA.cpu.ll",
        "remotejit/wire_numba061_hypexp_daddA.cpu.ll",
    ] {
        let k = kernel(&c, &sample(file), "hypexp_daddA", "f64(f64, f64)");
        let x: Vec<f64> = (0..1000).map(|i| i as f64 / 100.0 - 3.0).collect();
        let y: Vec<f64> = (0..1000).map(|i| (i % 17) as f64 * 0.25).collect();
        let (out, hits) = run::<f64, f64>(&k, &[&x, &y], None);
        assert_eq!(hits, 0);
        for i in 0..x.len() {
            let expect = (x[i] * x[i] + y[i] * y[i]).sqrt() * (-x[i]).exp();
            // libmvec's vector exp is accurate to a few ulp, scalar libm to < 1.
            assert!(
                ulps(out[i], expect) <= 4,
                "{file} row {i}: {} vs {expect}",
                out[i]
            );
        }
    }
}

#[test]
fn every_scalar_type_round_trips() {
    let c = compiler();
    let cases: &[(&str, &str)] = &[
        (
            "int8(int8)",
            "define i8 @f(i8 %x) {\n %r = add i8 %x, 1\n ret i8 %r\n}",
        ),
        (
            "int16(int16)",
            "define i16 @f(i16 %x) {\n %r = add i16 %x, 1\n ret i16 %r\n}",
        ),
        (
            "int32(int32)",
            "define i32 @f(i32 %x) {\n %r = add i32 %x, 1\n ret i32 %r\n}",
        ),
        (
            "float32(float32)",
            "define float @f(float %x) {\n %r = fadd float %x, 1.0\n ret float %r\n}",
        ),
        (
            "bool(int8)",
            "define i8 @f(i8 %x) {\n %c = icmp sgt i8 %x, 0\n %r = zext i1 %c to i8\n ret i8 %r\n}",
        ),
    ];
    for (sig, ir) in cases {
        let k = kernel(&c, ir, "f", sig);
        match *sig {
            "int8(int8)" => assert_eq!(
                run::<i8, i8>(&k, &[&[1, -2, i8::MIN + 1]], None),
                (vec![2, -1, i8::MIN + 2], 0)
            ),
            "int16(int16)" => assert_eq!(
                run::<i16, i16>(&k, &[&[1, i16::MIN]], None),
                (vec![2, i16::MIN + 1], 0)
            ),
            "int32(int32)" => assert_eq!(
                run::<i32, i32>(&k, &[&[1, i32::MAX]], None),
                (vec![2, i32::MIN], 1)
            ),
            "float32(float32)" => assert_eq!(
                run::<f32, f32>(&k, &[&[1.5, -1.0]], None),
                (vec![2.5, 0.0], 0)
            ),
            "bool(int8)" => assert_eq!(run::<i8, i8>(&k, &[&[3, 0, -4]], None), (vec![1, 0, 0], 0)),
            _ => unreachable!(),
        }
    }
}

#[test]
fn float_sentinel_is_compared_bitwise() {
    let c = compiler();
    let ir = "define double @f(double %x) {\n ret double %x\n}";
    let k = kernel(&c, ir, "f", "double(double)");
    let (_, hits) = run::<f64, f64>(
        &k,
        &[&[
            f64::MIN_POSITIVE,
            0.0,
            -f64::MIN_POSITIVE,
            f64::MIN_POSITIVE,
        ]],
        None,
    );
    assert_eq!(hits, 2);
}

#[test]
fn several_functions_from_one_module() {
    let c = compiler();
    let ir = "define i64 @inc(i64 %x) {\n %r = add i64 %x, 1\n ret i64 %r\n}\ndefine double @half(double %x) {\n %r = fmul double %x, 0.5\n ret double %r\n}";
    let functions = [spec("inc", "int64(int64)"), spec("half", "double(double)")];
    let out = c
        .compile(compiler::CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        })
        .unwrap();
    let inc = out.module.kernel("inc").unwrap();
    let half = out.module.kernel("half").unwrap();
    assert_eq!(run::<i64, i64>(inc, &[&[1, 2]], None).0, vec![2, 3]);
    assert_eq!(
        run::<f64, f64>(half, &[&[1.0, 3.0]], None).0,
        vec![0.5, 1.5]
    );
}

#[test]
fn kernel_rejects_short_buffers() {
    let c = compiler();
    let k = kernel(&c, ADD_I64, "add", "int64(int64, int64)");
    let a = [0u8; 16];
    let mut out = vec![std::mem::MaybeUninit::uninit(); 16];
    let e = k.run(3, &[&a, &a], None, &mut out).unwrap_err().to_string();
    assert!(e.contains("argument 1"), "{e}");
    let e = k.run(2, &[&a], None, &mut out).unwrap_err().to_string();
    assert!(e.contains("takes 2 arguments"), "{e}");
}

#[test]
fn identical_ir_hits_the_cache_while_alive_and_is_freed_after() {
    let c = compiler();
    let functions = [spec("add", "int64(int64, int64)")];
    let req = compiler::CompileRequest {
        ir: ADD_I64.as_bytes(),
        functions: &functions,
    };
    let first = c.compile(req).unwrap();
    assert!(!first.cache_hit);
    let second = c.compile(req).unwrap();
    assert!(second.cache_hit);
    assert_eq!(
        run::<i64, i64>(&second.module.kernels()[0], &[&[1], &[2]], None).0,
        vec![3]
    );
    drop((first, second));
    let third = c.compile(req).unwrap();
    assert!(
        !third.cache_hit,
        "dropped code must not be kept by the cache"
    );
}

#[test]
fn bitcode_input_is_refused() {
    let llvm_as =
        std::path::Path::new(option_env!("LLVM_SYS_221_PREFIX").unwrap_or("/usr/lib/llvm-22"))
            .join("bin/llvm-as");
    if !llvm_as.exists() {
        eprintln!("skipped: {} not found", llvm_as.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("add.ll");
    std::fs::write(&src, ADD_I64).unwrap();
    let bc = dir.path().join("add.bc");
    let status = std::process::Command::new(&llvm_as)
        .arg(&src)
        .arg("-o")
        .arg(&bc)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&bc).unwrap();
    let c = compiler();
    let functions = [spec("add", "int64(int64, int64)")];
    let err = c
        .compile(compiler::CompileRequest {
            ir: &bytes,
            functions: &functions,
        })
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("LLVM bitcode is not accepted from clients: send LLVM IR text"),
        "{err}"
    );
    let err = compiler::check_ir(&bytes, &compiler::IrLimits::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bitcode is not accepted"), "{err}");
}

#[test]
fn without_vector_math_results_are_bit_identical_to_libm() {
    // What Python's `math` returns is glibc's scalar libm; with vector math off the
    // kernel calls the same functions, so every bit matches (Rust's f64::exp is libm's).
    let c = compiler::Compiler::new(compiler::CompilerOptions {
        vector_math: false,
        ..Default::default()
    })
    .unwrap();
    for file in [
        "remotejit/numba061_hypexp_daddA.cpu.ll",
        "remotejit/numba068_hypexp_daddA.cpu.ll",
    ] {
        let k = kernel(&c, &sample(file), "hypexp_daddA", "f64(f64, f64)");
        let x: Vec<f64> = (0..1000).map(|i| i as f64 / 37.0 - 3.0).collect();
        let y: Vec<f64> = (0..1000).map(|i| (i % 11) as f64 / 3.0).collect();
        let (out, _) = run::<f64, f64>(&k, &[&x, &y], None);
        for i in 0..x.len() {
            let expect = (x[i] * x[i] + y[i] * y[i]).sqrt() * (-x[i]).exp();
            assert_eq!(out[i].to_bits(), expect.to_bits(), "{file} row {i}");
        }
    }
}

#[test]
fn libm_calls_the_optimiser_introduces_link() {
    // sin(x) and cos(x) of one value become one `sincos` call, pow(10, x) becomes `exp10`:
    // functions the IR never declared, which the JIT must still resolve from libm.
    let ir = "declare double @sin(double)\ndeclare double @cos(double)\n\
              declare double @pow(double, double)\n\
              define double @f(double %x) {\n  %s = call double @sin(double %x)\n  \
              %c = call double @cos(double %x)\n  %p = call double @pow(double 10.0, double %x)\n  \
              %t = fadd double %s, %c\n  %r = fadd double %t, %p\n  ret double %r\n}\n";
    let c = compiler();
    let k = kernel(&c, ir, "f", "float64(float64)");
    let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.01).collect();
    let (out, _) = run::<f64, f64>(&k, &[&x], None);
    for (xi, yi) in x.iter().zip(&out) {
        let want = xi.sin() + xi.cos() + 10f64.powf(*xi);
        assert!(
            (yi - want).abs() <= want.abs() * 1e-14,
            "f({xi}) = {yi}, want {want}"
        );
    }
}

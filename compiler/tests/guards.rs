//! Run-time guards in generated kernels: a looping UDF stops when its `Interrupt` is set,
//! and integer division never raises SIGFPE (a fault is an error instead).

mod common;
use common::*;

use std::mem::MaybeUninit;
use std::sync::Arc;
use std::time::{Duration, Instant};

use compiler::{CompileRequest, Compiler, CompilerOptions, Error, Interrupt, Kernel};

/// Runs `k` over i64 columns with `interrupt`, returning the outputs or the error.
fn run_i64(
    k: &Kernel,
    args: &[&[i64]],
    validity: Option<&[u8]>,
    interrupt: &Interrupt,
) -> Result<Vec<i64>, Error> {
    let n = args.first().map_or(0, |a| a.len());
    let bufs: Vec<Vec<u8>> = args.iter().map(|a| i64::to_bytes(a)).collect();
    let refs: Vec<&[u8]> = bufs.iter().map(|b| b.as_slice()).collect();
    let mut out = vec![MaybeUninit::<u8>::uninit(); n * 8];
    k.run_interruptible(n, &refs, validity, &mut out, interrupt)?;
    // SAFETY: the kernel returned Ok, so it wrote all n values.
    let bytes: Vec<u8> = out
        .into_iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    Ok(i64::from_bytes(&bytes))
}

/// Runs `k` on another thread, interrupts it after 50 ms, and returns what the run
/// returned and how long after the interrupt it did. Fails (instead of hanging) when the
/// kernel does not stop within 10 s.
fn interrupt_after_50ms(
    k: Kernel,
    args: Vec<Vec<i64>>,
    validity: Option<Vec<u8>>,
) -> (Result<Vec<i64>, Error>, Duration) {
    let interrupt = Arc::new(Interrupt::new());
    let (tx, rx) = std::sync::mpsc::channel();
    let flag = Arc::clone(&interrupt);
    std::thread::spawn(move || {
        let refs: Vec<&[i64]> = args.iter().map(|a| a.as_slice()).collect();
        let r = run_i64(&k, &refs, validity.as_deref(), &flag);
        let _ = tx.send((r, Instant::now()));
    });
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        rx.try_recv().is_err(),
        "the kernel returned before the interrupt"
    );
    let at = Instant::now();
    interrupt.interrupt();
    assert!(interrupt.is_interrupted());
    let (r, done) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the kernel did not stop within 10 s of the interrupt");
    (r, done.saturating_duration_since(at))
}

const INFINITE_LOOPS: &[(&str, &str)] = &[
    (
        "self loop",
        "define i64 @f(i64 %a) {\nentry:\n  br label %loop\nloop:\n  br label %loop\n}\n",
    ),
    (
        "loop with a phi",
        "define i64 @f(i64 %a) {\nentry:\n  br label %loop\n\
         loop:\n  %i = phi i64 [ 0, %entry ], [ %n, %loop ]\n  %n = xor i64 %i, %a\n\
         %c = icmp eq i64 %n, 12345\n  br i1 %c, label %done, label %loop\n\
         done:\n  ret i64 %i\n}\n",
    ),
    (
        "nested loop",
        "define i64 @f(i64 %a) {\nentry:\n  br label %outer\n\
         outer:\n  %s = phi i64 [ 0, %entry ], [ %s2, %inner.done ]\n  br label %inner\n\
         inner:\n  %j = phi i64 [ 0, %outer ], [ %j2, %inner ]\n  %j2 = add i64 %j, 1\n\
         %more = icmp ult i64 %j2, 1000\n  br i1 %more, label %inner, label %inner.done\n\
         inner.done:\n  %s2 = add i64 %s, %j2\n  %stop = icmp eq i64 %s2, 7\n\
         br i1 %stop, label %done, label %outer\n\
         done:\n  ret i64 %s2\n}\n",
    ),
    (
        "irreducible loop",
        "define i64 @f(i64 %a) {\nentry:\n  %c = icmp sgt i64 %a, 0\n  br i1 %c, label %left, label %right\n\
         left:\n  %x = phi i64 [ %a, %entry ], [ %y2, %right ]\n  %x2 = xor i64 %x, 1\n  br label %right\n\
         right:\n  %y = phi i64 [ %a, %entry ], [ %x2, %left ]\n  %y2 = xor i64 %y, 2\n\
         %out = icmp eq i64 %y2, -99\n  br i1 %out, label %done, label %left\n\
         done:\n  ret i64 %y2\n}\n",
    ),
    (
        "loop in a called function",
        "define internal i64 @spin(i64 %a) {\nentry:\n  br label %loop\n\
         loop:\n  %i = phi i64 [ %a, %entry ], [ %n, %loop ]\n  %n = mul i64 %i, 3\n\
         %c = icmp eq i64 %n, 0\n  br i1 %c, label %done, label %loop\n\
         done:\n  ret i64 %n\n}\n\
         define i64 @f(i64 %a) {\n  %r = call i64 @spin(i64 1)\n  ret i64 %r\n}\n",
    ),
];

#[test]
fn infinite_loops_stop_when_interrupted() {
    let c = compiler();
    for (what, ir) in INFINITE_LOOPS {
        let k = kernel(&c, ir, "f", "int64(int64)");
        // Dense path, then the masked path (a NULL row first).
        for validity in [None, Some(vec![0b1111_1110u8])] {
            let (r, after) = interrupt_after_50ms(k.clone(), vec![vec![1; 8]], validity);
            assert!(matches!(r, Err(Error::Interrupted)), "{what}: {r:?}");
            assert!(
                after < Duration::from_secs(1),
                "{what}: stopped {after:?} after the interrupt"
            );
        }
    }
}

#[test]
fn an_interrupt_set_before_the_run_stops_it() {
    let c = compiler();
    let k = kernel(&c, INFINITE_LOOPS[0].1, "f", "int64(int64)");
    let interrupt = Interrupt::new();
    interrupt.interrupt();
    let r = run_i64(&k, &[&[1, 2, 3]], None, &interrupt);
    assert!(matches!(r, Err(Error::Interrupted)), "{r:?}");
    // Even a kernel without loops reports it: the caller asked to stop.
    let k = kernel(
        &c,
        "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
        "f",
        "int64(int64)",
    );
    let r = run_i64(&k, &[&[1, 2, 3]], None, &interrupt);
    assert!(matches!(r, Err(Error::Interrupted)), "{r:?}");
    assert_eq!(Error::Interrupted.to_string(), "interrupted");
}

#[test]
fn loops_that_end_give_the_same_results_with_checks() {
    let c = compiler();
    let unchecked = Compiler::new(CompilerOptions {
        interrupt_checks: false,
        ..Default::default()
    })
    .unwrap();
    let n: Vec<i64> = (1..=3000).collect();
    for file in [
        "remotejit/numba061_collatz_steps_lalA.cpu.ll",
        "remotejit/numba068_collatz_steps_lalA.cpu.ll",
    ] {
        let ir = sample(file);
        let checked = kernel(&c, &ir, "collatz_steps_lalA", "int64(int64)");
        let plain = kernel(&unchecked, &ir, "collatz_steps_lalA", "int64(int64)");
        let expect: Vec<i64> = n
            .iter()
            .map(|&x| {
                let (mut x, mut steps) = (x, 0);
                while x != 1 {
                    x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
                    steps += 1;
                }
                steps
            })
            .collect();
        let interrupt = Interrupt::new();
        assert_eq!(
            run_i64(&checked, &[&n], None, &interrupt).unwrap(),
            expect,
            "{file}"
        );
        assert_eq!(
            run_i64(&plain, &[&n], None, &interrupt).unwrap(),
            expect,
            "{file}"
        );
        assert!(!interrupt.is_interrupted());
    }
}

fn kernel_ir(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> String {
    let functions = [spec(symbol, sig)];
    c.kernel_ir(
        CompileRequest {
            ir: ir.as_bytes(),
            functions: &functions,
        },
        None,
    )
    .unwrap()
}

#[test]
fn interrupt_checks_are_on_user_back_edges_only() {
    let ir = sample("remotejit/numba068_collatz_steps_lalA.cpu.ll");
    let checked = kernel_ir(&compiler(), &ir, "collatz_steps_lalA", "int64(int64)");
    assert!(
        checked.contains("load atomic i32"),
        "no interrupt check:\n{checked}"
    );
    let unchecked = Compiler::new(CompilerOptions {
        interrupt_checks: false,
        ..Default::default()
    })
    .unwrap();
    let plain = kernel_ir(&unchecked, &ir, "collatz_steps_lalA", "int64(int64)");
    assert!(!plain.contains("load atomic"), "{plain}");
    // `n % 2` and `n // 2` divide by constants: no division guard.
    assert!(!checked.contains("store atomic"), "{checked}");
    // A loop-free UDF keeps a vectorised row loop and no check.
    let add = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";
    let ir = kernel_ir(&compiler(), add, "add", "int64(int64, int64)");
    assert!(!ir.contains("atomic"), "{ir}");
    assert!(
        ir.contains("<4 x i64>") || ir.contains("<8 x i64>") || ir.contains("<2 x i64>"),
        "{ir}"
    );
}

const DIVISIONS: &[(&str, &str)] = &[
    ("sdiv", "int64(int64, int64)"),
    ("srem", "int64(int64, int64)"),
    ("udiv", "int64(int64, int64)"),
    ("urem", "int64(int64, int64)"),
];

fn division_ir(op: &str, ty: &str) -> String {
    format!("define {ty} @f({ty} %a, {ty} %b) {{\n  %r = {op} {ty} %a, %b\n  ret {ty} %r\n}}\n")
}

#[test]
fn division_by_zero_is_an_error_not_a_signal() {
    let c = compiler();
    for (op, sig) in DIVISIONS {
        let k = kernel(&c, &division_ir(op, "i64"), "f", sig);
        let a = [10i64, 20, 30, 40];
        let ok = run_i64(&k, &[&a, &[3, 3, 3, 3]], None, &Interrupt::new()).unwrap();
        let expect: Vec<i64> = a
            .iter()
            .map(|&x| match *op {
                "sdiv" | "udiv" => x / 3,
                _ => x % 3,
            })
            .collect();
        assert_eq!(ok, expect, "{op}");
        let r = run_i64(&k, &[&a, &[3, 3, 0, 3]], None, &Interrupt::new());
        assert!(matches!(r, Err(Error::DivisionByZero)), "{op}: {r:?}");
        // The masked path: a zero divisor in a NULL row is never divided by.
        let valid = bitmap(&[true, true, false, true]);
        let ok = run_i64(&k, &[&a, &[3, 3, 0, 3]], Some(&valid), &Interrupt::new()).unwrap();
        assert_eq!((ok[0], ok[2], ok[3]), (expect[0], 0, expect[3]), "{op}");
        let r = run_i64(&k, &[&a, &[0, 3, 3, 3]], Some(&valid), &Interrupt::new());
        assert!(
            matches!(r, Err(Error::DivisionByZero)),
            "{op} masked: {r:?}"
        );
    }
    assert_eq!(Error::DivisionByZero.to_string(), "division by zero");
}

#[test]
fn signed_min_by_minus_one_is_an_overflow_error() {
    let c = compiler();
    for op in ["sdiv", "srem"] {
        let k = kernel(&c, &division_ir(op, "i64"), "f", "int64(int64, int64)");
        let r = run_i64(&k, &[&[7, i64::MIN], &[2, -1]], None, &Interrupt::new());
        assert!(matches!(r, Err(Error::DivisionOverflow)), "{op}: {r:?}");
        // MIN / -2 and 5 / -1 are fine.
        let ok = run_i64(&k, &[&[i64::MIN, 5], &[-2, -1]], None, &Interrupt::new()).unwrap();
        let expect = if op == "sdiv" {
            vec![i64::MIN / -2, -5]
        } else {
            vec![0, 0]
        };
        assert_eq!(ok, expect, "{op}");
    }
    // Unsigned division of the same bits is fine.
    let k = kernel(&c, &division_ir("udiv", "i64"), "f", "int64(int64, int64)");
    let ok = run_i64(&k, &[&[i64::MIN], &[-1]], None, &Interrupt::new()).unwrap();
    assert_eq!(ok, vec![0]);
    assert_eq!(
        Error::DivisionOverflow.to_string(),
        "integer overflow: MIN / -1"
    );
}

#[test]
fn narrow_and_vector_divisions_are_guarded() {
    let c = compiler();
    let k = kernel(&c, &division_ir("sdiv", "i32"), "f", "int32(int32, int32)");
    let (a, b) = (i32::to_bytes(&[i32::MIN, 1]), i32::to_bytes(&[-1, 1]));
    let mut out = vec![MaybeUninit::<u8>::uninit(); 8];
    let r = k.run(2, &[&a, &b], None, &mut out);
    assert!(matches!(r, Err(Error::DivisionOverflow)), "{r:?}");
    // Both lanes of a <2 x i64> division are checked.
    let ir = "define i64 @f(i64 %a, i64 %b) {\n\
              %va = insertelement <2 x i64> <i64 100, i64 0>, i64 %a, i32 1\n\
              %vb = insertelement <2 x i64> <i64 7, i64 0>, i64 %b, i32 1\n\
              %q = sdiv <2 x i64> %va, %vb\n  %x = extractelement <2 x i64> %q, i32 0\n\
              %y = extractelement <2 x i64> %q, i32 1\n  %r = add i64 %x, %y\n  ret i64 %r\n}\n";
    let k = kernel(&c, ir, "f", "int64(int64, int64)");
    assert_eq!(
        run_i64(&k, &[&[20], &[5]], None, &Interrupt::new()).unwrap(),
        vec![14 + 4]
    );
    let r = run_i64(&k, &[&[20], &[0]], None, &Interrupt::new());
    assert!(matches!(r, Err(Error::DivisionByZero)), "{r:?}");
    let r = run_i64(&k, &[&[i64::MIN], &[-1]], None, &Interrupt::new());
    assert!(matches!(r, Err(Error::DivisionOverflow)), "{r:?}");
}

#[test]
fn a_division_fault_inside_a_loop_stops_the_loop() {
    // for i in 0..a: s += 100 / (b - i) — reaches b - i == 0 when b < a.
    let ir = "define i64 @f(i64 %a, i64 %b) {\nentry:\n  br label %loop\n\
              loop:\n  %i = phi i64 [ 0, %entry ], [ %i2, %loop ]\n  %s = phi i64 [ 0, %entry ], [ %s2, %loop ]\n\
              %d = sub i64 %b, %i\n  %q = sdiv i64 100, %d\n  %s2 = add i64 %s, %q\n  %i2 = add i64 %i, 1\n\
              %more = icmp slt i64 %i2, %a\n  br i1 %more, label %loop, label %done\n\
              done:\n  ret i64 %s2\n}\n";
    let k = kernel(&compiler(), ir, "f", "int64(int64, int64)");
    assert_eq!(
        run_i64(&k, &[&[2], &[10]], None, &Interrupt::new()).unwrap(),
        vec![100 / 10 + 100 / 9]
    );
    let r = run_i64(&k, &[&[1, 20], &[10, 5]], None, &Interrupt::new());
    assert!(matches!(r, Err(Error::DivisionByZero)), "{r:?}");
}

#[test]
fn division_by_a_safe_constant_is_not_guarded() {
    let c = compiler();
    for (op, divisor) in [
        ("sdiv", "7"),
        ("srem", "-3"),
        ("udiv", "-1"),
        ("urem", "10"),
    ] {
        let ir =
            format!("define i64 @f(i64 %a) {{\n  %r = {op} i64 %a, {divisor}\n  ret i64 %r\n}}\n");
        let text = kernel_ir(&c, &ir, "f", "int64(int64)");
        assert!(!text.contains("atomic"), "{op} {divisor}:\n{text}");
    }
    // A variable divisor, or one that can fault, is.
    for (op, divisor) in [("sdiv", "%b"), ("sdiv", "-1"), ("udiv", "0")] {
        let ir = format!(
            "define i64 @f(i64 %a, i64 %b) {{\n  %r = {op} i64 %a, {divisor}\n  ret i64 %r\n}}\n"
        );
        let text = kernel_ir(&c, &ir, "f", "int64(int64, int64)");
        assert!(text.contains("store atomic i32"), "{op} {divisor}:\n{text}");
    }
}

#[test]
fn python_floor_division_keeps_its_own_zero_check() {
    // Numba's `a // b` returns 0 for b == 0 itself: the guard never fires.
    let k = kernel(
        &compiler(),
        &sample("remotejit/numba061_safe_div_lallA.cpu.ll"),
        "safe_div_lallA",
        "int64(int64, int64)",
    );
    let out = run_i64(
        &k,
        &[&[7, -7, 5, i64::MIN], &[2, 2, 0, 1]],
        None,
        &Interrupt::new(),
    )
    .unwrap();
    assert_eq!(out, vec![3, -4, 0, i64::MIN]);
}

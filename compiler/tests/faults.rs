//! A CPU fault in UDF code (an out-of-bounds access, a stack overflow) fails only that
//! kernel call with `Error::MemoryFault`; the process, the kernel and the thread go on.

mod common;
use common::*;
use std::sync::Arc;

use std::mem::MaybeUninit;

use compiler::{Compiler, CompilerOptions, Error, IrLimits, Kernel};

/// Runs `k` over one i64 column, returning the outputs or the error.
fn run_i64(k: &Kernel, x: &[i64]) -> Result<Vec<i64>, Error> {
    let bytes = i64::to_bytes(x);
    let mut out = vec![MaybeUninit::<u8>::uninit(); x.len() * 8];
    k.run(x.len(), &[&bytes], None, &mut out)?;
    // SAFETY: the kernel returned Ok, so it wrote all n values.
    let bytes: Vec<u8> = out
        .into_iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    Ok(i64::from_bytes(&bytes))
}

fn assert_segv(r: Result<Vec<i64>, Error>, what: &str) {
    match r {
        Err(e @ Error::MemoryFault { .. }) => {
            let Error::MemoryFault { signal } = &e else {
                unreachable!()
            };
            assert_eq!(signal, "SIGSEGV", "{what}");
            assert_eq!(
                e.to_string(),
                "memory access violation (SIGSEGV) in UDF code",
                "{what}"
            );
        }
        other => panic!("{what}: expected a memory fault, got {other:?}"),
    }
}

/// Loads byte `x` of a 16-byte private global: in bounds for 0..16, far outside for 2^40.
const OOB_LOAD: &str = "\
@g = private global [16 x i8] c\"\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0A\\0B\\0C\\0D\\0E\\0F\"
define i64 @f(i64 %x) {
  %p = getelementptr i8, ptr @g, i64 %x
  %v = load volatile i8, ptr %p
  %r = sext i8 %v to i64
  ret i64 %r
}
";

/// Stores to the null address (a GEP from a global back by the global's own address) when
/// `x` is negative, to the global otherwise; returns `x`.
const NULL_STORE: &str = "\
@g = private global i64 0
define i64 @f(i64 %x) {
  %a = ptrtoint ptr @g to i64
  %back = sub i64 0, %a
  %neg = icmp slt i64 %x, 0
  %off = select i1 %neg, i64 %back, i64 0
  %p = getelementptr i8, ptr @g, i64 %off
  store volatile i64 %x, ptr %p
  ret i64 %x
}
";

#[test]
fn an_out_of_bounds_load_is_a_memory_fault() {
    let c = compiler();
    let k = kernel(&c, OOB_LOAD, "f", "int64(int64)");
    assert_eq!(run_i64(&k, &[0, 5, 15]).unwrap(), vec![0, 5, 15]);
    assert_segv(run_i64(&k, &[1 << 40]), "load at @g + 2^40");
    // A fault in the middle of a column fails the whole call.
    assert_segv(run_i64(&k, &[1, 2, 1 << 40, 3]), "fault in row 3");
    assert_eq!(run_i64(&k, &[3, 7]).unwrap(), vec![3, 7]);
}

#[test]
fn a_null_store_is_a_memory_fault() {
    let c = compiler();
    let k = kernel(&c, NULL_STORE, "f", "int64(int64)");
    assert_eq!(run_i64(&k, &[1, 2, 3]).unwrap(), vec![1, 2, 3]);
    assert_segv(run_i64(&k, &[-1]), "store to null");
    assert_eq!(run_i64(&k, &[4]).unwrap(), vec![4]);
}

#[test]
fn the_kernel_keeps_working_after_many_faults() {
    let c = compiler();
    let k = kernel(&c, OOB_LOAD, "f", "int64(int64)");
    for i in 0..1000 {
        assert_segv(run_i64(&k, &[1 << 40]), &format!("fault {i}"));
    }
    assert_eq!(run_i64(&k, &[9]).unwrap(), vec![9]);
}

#[test]
fn faults_on_many_threads_at_once_stay_on_their_thread() {
    let c = compiler();
    let load = kernel(&c, OOB_LOAD, "f", "int64(int64)");
    let store = kernel(&c, NULL_STORE, "f", "int64(int64)");
    std::thread::scope(|s| {
        for t in 0..8i64 {
            let (load, store) = (&load, &store);
            s.spawn(move || {
                for i in 0..300i64 {
                    match (t + i) % 3 {
                        0 => assert_segv(run_i64(load, &[1 << 40]), "load"),
                        1 => assert_segv(run_i64(store, &[-t - 1]), "store"),
                        _ => {
                            let x = (t + i) % 16;
                            assert_eq!(run_i64(load, &[x]).unwrap(), vec![x]);
                            assert_eq!(run_i64(store, &[x + 1]).unwrap(), vec![x + 1]);
                        }
                    }
                }
            });
        }
    });
}

/// Touches `x` pages of a 16 MiB stack array from its top down, so the stack grows one
/// page at a time into the guard page below the thread's stack (no page is skipped).
const STACK_PAGES: &str = "\
define i64 @f(i64 %x) {
entry:
  %buf = alloca [16777216 x i8]
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i2, %loop ]
  %off = sub i64 16773120, %i
  %p = getelementptr i8, ptr %buf, i64 %off
  store volatile i8 1, ptr %p
  %i2 = add i64 %i, 4096
  %pages = mul i64 %x, 4096
  %more = icmp ult i64 %i2, %pages
  br i1 %more, label %loop, label %done
done:
  ret i64 %x
}
";

fn stack_kernel() -> (Compiler, Kernel) {
    let c = Compiler::new(CompilerOptions {
        limits: IrLimits {
            max_stack_bytes: 32 << 20,
            ..IrLimits::default()
        },
        ..CompilerOptions::default()
    })
    .unwrap();
    let k = kernel(&c, STACK_PAGES, "f", "int64(int64)");
    (c, k)
}

#[test]
fn a_stack_overflow_is_a_memory_fault() {
    let (_c, k) = stack_kernel();
    // The generated code probes its stack frame page by page on entry ("probe-stack"), so
    // a 16 MiB frame on a 1 MiB stack faults in the guard page whatever the input.
    let k = Arc::new(k);
    let small = Arc::clone(&k);
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for x in [16, 4096, 16] {
                assert_segv(run_i64(&small, &[x]), "stack overflow");
            }
        })
        .unwrap()
        .join()
        .unwrap();
    // The same kernel on a stack it fits in works.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            assert_eq!(run_i64(&k, &[16]).unwrap(), vec![16]);
            assert_eq!(run_i64(&k, &[4096]).unwrap(), vec![4096]);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[cfg(target_os = "linux")]
mod no_altstack {
    use super::*;

    /// `stack_t` of Linux (x86-64 and aarch64).
    #[repr(C)]
    struct StackT {
        ss_sp: *mut std::ffi::c_void,
        ss_flags: std::ffi::c_int,
        ss_size: usize,
    }
    const SS_DISABLE: std::ffi::c_int = 2;

    unsafe extern "C" {
        fn sigaltstack(ss: *const StackT, old: *mut StackT) -> std::ffi::c_int;
    }

    fn has_altstack() -> bool {
        let mut old = StackT {
            ss_sp: std::ptr::null_mut(),
            ss_flags: 0,
            ss_size: 0,
        };
        // SAFETY: only reads this thread's alternate stack setting into `old`.
        assert_eq!(unsafe { sigaltstack(std::ptr::null(), &mut old) }, 0);
        old.ss_flags & SS_DISABLE == 0
    }

    /// A thread without an alternate signal stack (one not started by Rust's std) gets one
    /// from the guard, so a stack overflow on it is caught too.
    #[test]
    fn a_stack_overflow_is_caught_on_a_thread_without_an_altstack() {
        let (_c, k) = stack_kernel();
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let off = StackT {
                    ss_sp: std::ptr::null_mut(),
                    ss_flags: SS_DISABLE,
                    ss_size: 0,
                };
                // SAFETY: switches this thread's alternate stack off; std's handler
                // tolerates that, and std frees its own mapping at thread exit.
                assert_eq!(unsafe { sigaltstack(&off, std::ptr::null_mut()) }, 0);
                assert!(!has_altstack());
                assert_segv(run_i64(&k, &[4096]), "stack overflow without an altstack");
                assert!(
                    has_altstack(),
                    "the guard did not install an alternate stack"
                );
                assert_segv(
                    run_i64(&k, &[16]),
                    "again, with the guard's alternate stack",
                );
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// Outside UDF code the guard's handler must step aside: a fault still kills the process
/// with its signal, and Rust's stack-overflow report (std's own SIGSEGV handler, which the
/// guard chains to) still runs. Checked in a child process running this test binary.
#[cfg(unix)]
#[test]
fn faults_outside_udf_code_still_kill_the_process() {
    use std::os::unix::process::ExitStatusExt;

    const CHILD: &str = "UDF_FAULTS_TEST_CHILD";
    fn recurse(depth: u64) -> u64 {
        if depth == u64::MAX {
            return 0;
        }
        let pad = std::hint::black_box([depth; 64]);
        std::hint::black_box(recurse(depth + 1)) + pad[0]
    }
    if let Ok(what) = std::env::var(CHILD) {
        // Install the guard first, as the server has by the time anything else faults.
        let c = compiler();
        let k = kernel(&c, OOB_LOAD, "f", "int64(int64)");
        assert_segv(run_i64(&k, &[1 << 40]), "child");
        match what.as_str() {
            "segv" => {
                // SAFETY: deliberately not: this child process is meant to die here.
                unsafe { std::ptr::without_provenance_mut::<u8>(16).write_volatile(1) };
            }
            _ => {
                std::hint::black_box(recurse(0));
            }
        }
        unreachable!("the child survived its fault");
    }
    for (what, signal, stderr_has) in [("segv", 11, ""), ("stack", 6, "has overflowed its stack")] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "faults_outside_udf_code_still_kill_the_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, what)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), Some(signal), "{what}: {stderr}");
        assert!(stderr.contains(stderr_has), "{what}: {stderr}");
    }
}

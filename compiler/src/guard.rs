//! Runs a kernel so that a CPU fault in it (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) fails
//! that call with [`Error::MemoryFault`] instead of killing the process — the approach of
//! Wasmtime's trap handling. `guard.c` (built by `build.rs`) holds the frame that calls
//! `sigsetjmp`, a process-wide handler that `siglongjmp`s back to it when the faulting
//! thread is inside a guarded call (and chains to the previously installed handler —
//! Rust's stack-overflow reporter, or the default action — otherwise), and a per-thread
//! alternate signal stack so that a kernel that overflows its stack can be caught too.
//!
//! What this does not guarantee: only *faults* are caught. An out-of-bounds store that
//! lands in mapped memory (the heap, another thread's stack, a column buffer) silently
//! corrupts it; the policy and the kernel's own bounds are what keep UDFs from doing that,
//! this is the last line for the accesses that leave mapped memory. Static `alloca`s of
//! more than a guard page can step over it without touching it (there are no stack
//! probes in generated code).

use std::ffi::{CStr, c_char, c_int};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::kernel::RawKernelFn;

unsafe extern "C" {
    fn udf_guard_install() -> c_int;
    fn udf_guarded_call(
        f: RawKernelFn,
        n: i64,
        args: *const *const u8,
        out: *mut u8,
        valid: *const u8,
        interrupt: *mut u32,
        signal_out: *mut c_int,
    ) -> i64;
    fn udf_guard_signal_name(sig: c_int) -> *const c_char;
}

/// Installs the signal handler the first time it is needed; `Err` holds the errno value of
/// a failed install (every later call reports the same).
fn installed() -> Result<()> {
    static INSTALL: OnceLock<c_int> = OnceLock::new();
    // SAFETY: `udf_guard_install` only calls pthread_key_create and sigaction (under
    // pthread_once) and saves the previous actions; it has no preconditions.
    let errno = *INSTALL.get_or_init(|| unsafe { udf_guard_install() });
    if errno == 0 {
        Ok(())
    } else {
        Err(Error::Internal(format!(
            "installing the UDF fault handler failed: {}",
            std::io::Error::from_raw_os_error(errno)
        )))
    }
}

/// Calls `f(n, args, out, valid, interrupt)` and returns what it returned, or
/// [`Error::MemoryFault`] when it faulted (whatever it wrote to `out` so far stays there).
///
/// # Safety
///
/// The same as calling `f` directly: `f` must be a live kernel and the pointers must be
/// what it expects (see [`crate::Kernel::run_interruptible`]).
pub(crate) unsafe fn call(
    f: RawKernelFn,
    n: i64,
    args: *const *const u8,
    out: *mut u8,
    valid: *const u8,
    interrupt: *mut u32,
) -> Result<i64> {
    installed()?;
    let mut signal: c_int = 0;
    // SAFETY: the caller guarantees the call of `f` itself is sound. What the guard adds
    // is the jump: on a fault, the handler `siglongjmp`s from the faulting frame back to
    // `udf_guarded_call`'s `sigsetjmp`. Every frame it skips is JIT code (the kernel, the
    // inlined UDF, libm/libmvec it calls): plain C-ABI code with no destructors, no
    // unwind tables that matter and no locks, so abandoning those frames leaks nothing
    // and leaves no Rust invariant half-updated — there is no Rust frame between the
    // `sigsetjmp` and the fault. The jump buffer lives in `udf_guarded_call`'s frame,
    // which is live for the whole kernel call, and the handler only jumps for a fault the
    // CPU raised on this very thread while its buffer pointer is set.
    let ret = unsafe { udf_guarded_call(f, n, args, out, valid, interrupt, &mut signal) };
    match signal {
        0 => Ok(ret),
        s if s < 0 => Err(Error::Internal(format!(
            "setting up an alternate signal stack for the UDF fault guard failed: {}",
            std::io::Error::from_raw_os_error(-s)
        ))),
        s => Err(Error::MemoryFault {
            signal: signal_name(s),
        }),
    }
}

fn signal_name(sig: c_int) -> String {
    // SAFETY: `udf_guard_signal_name` returns null or a pointer to a static C string.
    let name = unsafe { udf_guard_signal_name(sig) };
    if name.is_null() {
        format!("signal {sig}")
    } else {
        // SAFETY: non-null: a NUL-terminated string literal with static lifetime.
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    }
}

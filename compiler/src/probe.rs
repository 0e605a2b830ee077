//! Reading untrusted IR without letting LLVM's readers take the server down.
//!
//! LLVM's bitcode reader is not hardened against hostile input: a corrupt record can make
//! it allocate without bound and abort ("LLVM ERROR: out of memory", found by flipping
//! one bit in a 2 KB module) or overflow the stack. So bitcode from a client is first
//! read (and verified) in a forked child process; only if the child survives does the
//! server read it itself (the reader is deterministic: what did not crash the child will
//! not crash the server). Text IR goes through the same test read, since the IR parser is
//! not hardened either (the fuzzer found a segfault in `LLParser::checkValidVariableType`
//! on a malformed `ret`). Text IR is also parsed by recursive descent: a nesting of brackets
//! deeper than [`MAX_TEXT_NESTING`] is refused before LLVM sees it, since ~100k levels
//! overflow any thread's stack.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::llvm::{LlvmSession, parse};

/// The deepest nesting of `(`, `[`, `{`, `<` that text IR may have. Real modules stay
/// under 20 (nested struct types, constant expressions).
pub(crate) const MAX_TEXT_NESTING: usize = 128;

/// How long the child may take to read the bitcode (a 16 MiB module reads in well under
/// a second).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the probe reads (for its messages).
#[derive(Debug, Clone, Copy)]
pub(crate) enum IrKind {
    Bitcode,
    Text,
}

/// Exit codes of the child.
const CHILD_READ: i32 = 0;
const CHILD_REFUSED: i32 = 3;
const CHILD_PANICKED: i32 = 4;

/// Refuses text IR whose brackets nest deeper than [`MAX_TEXT_NESTING`]. String literals
/// and comments are skipped; unbalanced brackets only make the parse fail later.
pub(crate) fn check_text_nesting(ir: &[u8]) -> Result<()> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut i = 0;
    while i < ir.len() {
        match ir[i] {
            b'"' => {
                // LLVM strings escape `"` as `\22`: the next quote ends the string.
                i += 1;
                while i < ir.len() && ir[i] != b'"' {
                    line += (ir[i] == b'\n') as usize;
                    i += 1;
                }
            }
            b';' => {
                while i < ir.len() && ir[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\n' => line += 1,
            b'(' | b'[' | b'{' | b'<' => {
                depth += 1;
                if depth > MAX_TEXT_NESTING {
                    return Err(Error::Limit {
                        what: format!("nesting depth of brackets (at line {line})"),
                        limit: MAX_TEXT_NESTING as u64,
                        actual: depth as u64,
                    });
                }
            }
            b')' | b']' | b'}' | b'>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

mod sys {
    use std::ffi::c_int;

    pub const WNOHANG: c_int = 1;
    pub const SIGKILL: c_int = 9;
    pub const RLIMIT_CORE: c_int = 4;

    #[repr(C)]
    pub struct Rlimit {
        pub cur: u64,
        pub max: u64,
    }

    unsafe extern "C" {
        pub fn fork() -> c_int;
        pub fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
        pub fn kill(pid: c_int, sig: c_int) -> c_int;
        pub fn _exit(status: c_int) -> !;
        pub fn setrlimit(resource: c_int, limit: *const Rlimit) -> c_int;
    }
}

/// Reads (and verifies) `ir` (bitcode or text) in a child process. `Ok` when the child finished,
/// whether or not the bitcode was valid: the caller's own read reports what is wrong.
pub(crate) fn probe_read(ir: &[u8], kind: IrKind) -> Result<()> {
    let (what, reader) = match kind {
        IrKind::Bitcode => ("bitcode", "LLVM's bitcode reader"),
        IrKind::Text => ("IR", "LLVM's IR parser"),
    };
    // SAFETY: `fork` has no preconditions. The child only reads `ir` into a fresh
    // LLVM context (glibc's allocator is usable after fork; the child touches no lock
    // another thread of the parent could hold, except LLVM's own static initialisation,
    // which the timeout covers) and leaves with `_exit`, running no destructor or
    // `atexit` handler of the parent's state.
    let pid = unsafe { sys::fork() };
    if pid < 0 {
        return Err(Error::Internal(format!(
            "cannot fork to check the {what}: {}",
            std::io::Error::last_os_error()
        )));
    }
    if pid == 0 {
        // SAFETY: in the child: no core file for a crash of the reader, then exit with
        // what the read gave, without unwinding into the parent's frames.
        unsafe {
            let no_core = sys::Rlimit { cur: 0, max: 0 };
            sys::setrlimit(sys::RLIMIT_CORE, &no_core);
            let code = std::panic::catch_unwind(|| {
                let session = LlvmSession::new();
                let code = match parse(&session.context, ir) {
                    Ok(module) => {
                        let _ = module.verify();
                        std::mem::forget(module);
                        CHILD_READ
                    }
                    Err(_) => CHILD_REFUSED,
                };
                std::mem::forget(session);
                code
            })
            .unwrap_or(CHILD_PANICKED);
            sys::_exit(code);
        }
    }
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let mut pause = Duration::from_micros(50);
    let mut status = 0;
    loop {
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let r = unsafe { sys::waitpid(pid, &mut status, sys::WNOHANG) };
        if r == pid {
            break;
        }
        if r < 0 {
            return Err(Error::Internal(format!(
                "waiting for the {what} check: {}",
                std::io::Error::last_os_error()
            )));
        }
        if Instant::now() > deadline {
            // SAFETY: `pid` is our child, not yet reaped; the blocking wait reaps it.
            unsafe {
                sys::kill(pid, sys::SIGKILL);
                sys::waitpid(pid, &mut status, 0);
            }
            return Err(Error::Parse(format!(
                "{what}: {reader} did not finish reading it within {} s",
                PROBE_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
    let exited = status & 0x7f == 0;
    let code = (status >> 8) & 0xff;
    if exited && (code == CHILD_READ || code == CHILD_REFUSED) {
        return Ok(());
    }
    let how = if exited {
        format!("exit status {code}")
    } else {
        format!("signal {}", status & 0x7f)
    };
    Err(Error::Parse(format!(
        "{what}: it crashes {reader} ({how} in a test read); the server does not read it"
    )))
}

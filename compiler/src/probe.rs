//! Reading untrusted IR without letting LLVM's parser take the server down.
//!
//! LLVM's readers are not hardened against hostile input. Bitcode is therefore not
//! accepted from clients at all (`llvm::parse_untrusted`): flipping one bit of a module
//! made its reader allocate without bound or segfault, in ways that depend on heap
//! contents. Text IR is first read (and verified) in a separate process, and only if that
//! process survives does the server read it itself: the fuzzer found a segfault in
//! `LLParser::checkValidVariableType` on a malformed `ret`, contained this way. A crash that
//! depends on heap contents may spare the probe and not the server, so the known ones are
//! refused lexically before any read ([`check_text_nesting`]), as is a nesting of brackets
//! deeper than [`MAX_TEXT_NESTING`] (LLVM parses by recursive descent; ~100k levels
//! overflow any thread's stack).
//!
//! The probe is one long-lived worker process, forked on first use (or at start-up through
//! [`start_probe`]) and forked again only after it dies. A fork per module cost 2–4 ms in
//! a small process, almost all of it copying page tables, and grows with the server's
//! resident memory (tables held in memory); a request to the worker costs a pipe round trip.
//! If the worker dies on a module it had not seen fresh, the module is tried once more on a
//! new worker, so that damage left by an earlier module (or a worker killed from outside)
//! is not blamed on this one.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::llvm::{LlvmSession, parse};

/// The deepest nesting of `(`, `[`, `{`, `<` that text IR may have. Real modules stay
/// under 20 (nested struct types, constant expressions).
pub(crate) const MAX_TEXT_NESTING: usize = 128;

/// How long the worker may take to read one module (a 16 MiB module reads in well under a
/// second).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The worker's answers.
const READ: u8 = 0;
const REFUSED: u8 = 3;
const PANICKED: u8 = 4;

/// The smallest slot number LLVM's parser mishandles: it keeps numbered values, types,
/// metadata and attribute groups in maps keyed by `unsigned`, whose empty and tombstone
/// keys are `~0U` and `~0U - 1`, and looks `%4294967295` up as if it were an entry
/// (garbage, then a segfault in `LLParser::checkValidVariableType`). Larger numbers are
/// refused by its lexer.
const FIRST_BAD_SLOT: u64 = u32::MAX as u64 - 1;

/// Refuses text IR that LLVM's parser cannot read safely, before it sees it: brackets
/// nested deeper than [`MAX_TEXT_NESTING`], and numbered identifiers (`%N`, `@N`, `!N`,
/// `#N`, `^N`) from [`FIRST_BAD_SLOT`] up. String literals and comments are skipped;
/// unbalanced brackets only make the parse fail later.
///
/// The probe process catches crashes of the parser, but only when they happen there
/// too: a read of garbage can crash the server's parse and not the probe's (their heaps
/// differ), so what is known to read garbage is refused here.
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
            b'%' | b'@' | b'!' | b'#' | b'^' => {
                let digits = ir[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits > 0 {
                    let number = ir[i + 1..i + 1 + digits].iter().try_fold(0u64, |n, &d| {
                        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
                    });
                    if number.is_none_or(|n| n >= FIRST_BAD_SLOT) {
                        let id = String::from_utf8_lossy(&ir[i..i + 1 + digits]);
                        return Err(Error::Parse(format!(
                            "line {line}: the numbered identifier `{id}` is too large (at most \
                             {})",
                            FIRST_BAD_SLOT - 1
                        )));
                    }
                    i += digits;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

mod sys {
    use std::ffi::c_int;

    pub const SIGKILL: c_int = 9;
    pub const RLIMIT_CORE: c_int = 4;
    pub const O_CLOEXEC: c_int = 0o2000000;
    pub const POLLIN: i16 = 1;
    /// The signals a crash of LLVM raises: the worker dies of them at once, without the
    /// handlers it inherited (the kernel guard's, a fuzzer's crash reporter).
    pub const CRASH_SIGNALS: [c_int; 5] = [4, 6, 7, 8, 11];
    pub const SIG_DFL: usize = 0;

    #[repr(C)]
    pub struct Rlimit {
        pub cur: u64,
        pub max: u64,
    }

    #[repr(C)]
    pub struct PollFd {
        pub fd: c_int,
        pub events: i16,
        pub revents: i16,
    }

    unsafe extern "C" {
        pub fn fork() -> c_int;
        pub fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
        pub fn kill(pid: c_int, sig: c_int) -> c_int;
        pub fn _exit(status: c_int) -> !;
        pub fn setrlimit(resource: c_int, limit: *const Rlimit) -> c_int;
        pub fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
        pub fn poll(fds: *mut PollFd, nfds: u64, timeout: c_int) -> c_int;
        pub fn signal(sig: c_int, handler: usize) -> usize;
        pub fn syscall(number: i64, ...) -> i64;
    }

    pub const SYS_CLOSE_RANGE: i64 = 436;
}

/// The probe worker: its pid and the two ends of its pipes the server holds.
struct Worker {
    pid: i32,
    requests: File,
    answers: File,
    /// Modules it has read (0: fresh).
    served: u64,
}

/// How a request to the worker ended, short of an answer.
enum Failure {
    /// It died (its wait status).
    Died(i32),
    /// It ended but could not be reaped.
    Lost(std::io::Error),
    TimedOut,
    Io(std::io::Error),
}

static WORKER: Mutex<Option<Worker>> = Mutex::new(None);

/// Starts the probe worker now, while the process is small (the daemon calls this at
/// start-up; otherwise the first module read starts it).
pub fn start_probe() -> Result<()> {
    let mut worker = WORKER.lock();
    if worker.is_none() {
        *worker = Some(Worker::spawn()?);
    }
    Ok(())
}

fn pipe() -> std::io::Result<(File, File)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { sys::pipe2(fds.as_mut_ptr(), sys::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and owned by nothing else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

impl Worker {
    fn spawn() -> Result<Worker> {
        let internal =
            |e: std::io::Error| Error::Internal(format!("cannot start the IR probe: {e}"));
        let (request_reader, request_writer) = pipe().map_err(internal)?;
        let (answer_reader, answer_writer) = pipe().map_err(internal)?;
        // SAFETY: `fork` has no preconditions. The child only reads modules into fresh
        // LLVM contexts (glibc's allocator is usable after fork; the child touches no lock
        // another thread of the parent could hold, except LLVM's own static initialisation,
        // which the timeout covers) and leaves with `_exit`, running no destructor or
        // `atexit` handler of the parent's state.
        let pid = unsafe { sys::fork() };
        if pid < 0 {
            return Err(internal(std::io::Error::last_os_error()));
        }
        if pid == 0 {
            drop(request_writer);
            drop(answer_reader);
            serve(request_reader, answer_writer);
        }
        Ok(Worker {
            pid,
            requests: request_writer,
            answers: answer_reader,
            served: 0,
        })
    }

    /// Has the worker read `ir`; its answer byte.
    fn read(&mut self, ir: &[u8], deadline: Instant) -> std::result::Result<u8, Failure> {
        let header = (ir.len() as u64).to_le_bytes();
        self.served += 1;
        // A worker that died makes the write fail (EPIPE: Rust ignores SIGPIPE) or the
        // answer end at EOF; either way the wait below says how it died.
        let sent = self
            .requests
            .write_all(&header)
            .and_then(|()| self.requests.write_all(ir));
        if sent.is_ok() {
            match self.answer(deadline) {
                Ok(Some(answer)) => return Ok(answer),
                Ok(None) => {}
                Err(Failure::TimedOut) => return Err(Failure::TimedOut),
                Err(e) => return Err(e),
            }
        }
        let mut status = 0;
        // SAFETY: `pid` is our child; it has closed its end of the answers (or could not
        // take the request), so it is exiting: the blocking wait reaps it.
        if unsafe { sys::waitpid(self.pid, &mut status, 0) } == self.pid {
            Err(Failure::Died(status))
        } else {
            Err(Failure::Lost(std::io::Error::last_os_error()))
        }
    }

    /// The worker's answer byte, or `None` at EOF (it died).
    fn answer(&mut self, deadline: Instant) -> std::result::Result<Option<u8>, Failure> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fd = sys::PollFd {
                fd: self.answers.as_raw_fd(),
                events: sys::POLLIN,
                revents: 0,
            };
            let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX - 1) + 1;
            // SAFETY: `fd` is one valid pollfd for the duration of the call.
            let ready = unsafe { sys::poll(&mut fd, 1, ms) };
            if ready > 0 {
                let mut answer = [0u8; 1];
                return match self.answers.read(&mut answer) {
                    Ok(0) => Ok(None),
                    Ok(_) => Ok(Some(answer[0])),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(Failure::Io(e)),
                };
            }
            let error = std::io::Error::last_os_error();
            if ready < 0 && error.kind() != std::io::ErrorKind::Interrupted {
                return Err(Failure::Io(error));
            }
            if Instant::now() >= deadline {
                return Err(Failure::TimedOut);
            }
        }
    }

    /// Ends the worker and reaps it.
    fn kill(self) {
        let mut status = 0;
        // SAFETY: `pid` is our child, not yet reaped; the blocking wait reaps it.
        unsafe {
            sys::kill(self.pid, sys::SIGKILL);
            sys::waitpid(self.pid, &mut status, 0);
        }
    }
}

/// The worker's loop: reads each module it is sent into a fresh context and answers how
/// that went; exits when the server's end closes (the server exited, or replaced it).
fn serve(mut requests: File, mut answers: File) -> ! {
    // SAFETY: in the child: it keeps no descriptor but its pipes (not the server's
    // sockets, data files or the data directory's lock, which would outlive a killed
    // server while the worker finishes a read); no core file for a crash of a reader;
    // crash signals kill it at once (the server reports them).
    unsafe {
        let (a, b) = {
            let (r, w) = (requests.as_raw_fd() as u32, answers.as_raw_fd() as u32);
            (r.min(w), r.max(w))
        };
        let ranges = [(3, a.saturating_sub(1)), (a + 1, b - 1), (b + 1, u32::MAX)];
        for (first, last) in ranges {
            if first <= last {
                sys::syscall(sys::SYS_CLOSE_RANGE, first as i64, last as i64, 0i64);
            }
        }
        let no_core = sys::Rlimit { cur: 0, max: 0 };
        sys::setrlimit(sys::RLIMIT_CORE, &no_core);
        for signal in sys::CRASH_SIGNALS {
            sys::signal(signal, sys::SIG_DFL);
        }
    }
    let mut ir = Vec::new();
    loop {
        let mut header = [0u8; 8];
        if requests.read_exact(&mut header).is_err() {
            break;
        }
        let len = u64::from_le_bytes(header) as usize;
        ir.clear();
        ir.resize(len, 0);
        if requests.read_exact(&mut ir).is_err() {
            break;
        }
        let answer = std::panic::catch_unwind(|| {
            let session = LlvmSession::new();
            match parse(&session.context, &ir) {
                Ok(module) => {
                    let _ = module.verify();
                    READ
                }
                Err(_) => REFUSED,
            }
        })
        .unwrap_or(PANICKED);
        if answers.write_all(&[answer]).is_err() || answer == PANICKED {
            break;
        }
    }
    // SAFETY: leaves without unwinding into the parent's frames or running its handlers.
    unsafe { sys::_exit(0) }
}

/// Reads (and verifies) `ir` (bitcode or text) in the probe worker. `Ok` when the worker
/// survived, whether or not the IR was valid: the caller's own read reports what is wrong.
pub(crate) fn probe_read(ir: &[u8]) -> Result<()> {
    let (what, reader) = ("IR", "LLVM's IR reader");
    let mut slot = WORKER.lock();
    loop {
        let mut worker = match slot.take() {
            Some(worker) => worker,
            None => Worker::spawn()?,
        };
        let fresh = worker.served == 0;
        match worker.read(ir, Instant::now() + PROBE_TIMEOUT) {
            Ok(READ | REFUSED) => {
                *slot = Some(worker);
                return Ok(());
            }
            Ok(answer) => {
                worker.kill();
                let how = if answer == PANICKED {
                    "a panic".to_string()
                } else {
                    format!("answer {answer}")
                };
                return Err(Error::Parse(format!(
                    "{what}: it crashes {reader} ({how} in a test read); the server does not read it"
                )));
            }
            Err(Failure::TimedOut) => {
                worker.kill();
                return Err(Error::Parse(format!(
                    "{what}: {reader} did not finish reading it within {} s",
                    PROBE_TIMEOUT.as_secs()
                )));
            }
            Err(Failure::Died(_)) if !fresh => continue,
            Err(Failure::Died(status)) => {
                let exited = status & 0x7f == 0;
                let how = if exited {
                    format!("exit status {}", (status >> 8) & 0xff)
                } else {
                    format!("signal {}", status & 0x7f)
                };
                return Err(Error::Parse(format!(
                    "{what}: it crashes {reader} ({how} in a test read); the server does not read it"
                )));
            }
            Err(Failure::Lost(e)) => {
                return Err(Error::Internal(format!(
                    "the IR probe ended and could not be reaped: {e}"
                )));
            }
            Err(Failure::Io(e)) => {
                worker.kill();
                return Err(Error::Internal(format!(
                    "talking to the IR probe about the {what}: {e}"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &[u8] = b"define i64 @f(i64 %a) {\n  ret i64 %a\n}\n";

    fn worker_pid() -> Option<i32> {
        WORKER.lock().as_ref().map(|w| w.pid)
    }

    #[test]
    fn one_worker_reads_many_modules_and_a_dead_one_is_replaced() {
        probe_read(MODULE).unwrap();
        probe_read(b"not IR").unwrap();
        let killed = {
            // Held, so that no other test's read replaces the worker meanwhile.
            let slot = WORKER.lock();
            let pid = slot.as_ref().expect("a worker").pid;
            // SAFETY: `pid` is the worker this process forked, alive and not reaped.
            unsafe { sys::kill(pid, sys::SIGKILL) };
            pid
        };
        // Killed from outside: the read goes to a new worker instead of being refused.
        probe_read(MODULE).unwrap();
        assert_ne!(worker_pid(), Some(killed));
    }

    #[test]
    fn a_module_that_crashes_the_reader_is_refused_and_the_probe_goes_on() {
        // A tampered bitcode record the fuzzer found: LLVM 22's reader segfaults on it.
        let crash =
            include_bytes!("../../fuzz/regressions/ir_intake/llvm22-bitcode-reader-segv.bc");
        let err = probe_read(crash).unwrap_err().to_string();
        assert!(
            err.contains("it crashes LLVM's IR reader (signal 11 in a test read)"),
            "{err}"
        );
        probe_read(MODULE).unwrap();
    }
}

//! Statement time limits and cancellation.
//!
//! Every statement runs under a [`StatementControl`]: its `statement_timeout`, the
//! kernels it is running (each with the [`compiler::Interrupt`] it polls on every loop back
//! edge), and why it was stopped, if it was. One process-wide watchdog thread keeps the
//! deadlines of running statements in order; when one passes it sets the interrupt of each
//! of that statement's running kernels (they leave at their next back edge) and wakes the
//! task awaiting the statement, which then drops it even where no UDF runs (a slow sort, a
//! scan).
//!
//! The deadline is armed once per statement: an insert and a remove in an ordered map
//! under a mutex, the thread woken only when a new deadline is earlier than every other. A
//! kernel call (one per batch) only registers its interrupt with its statement — a push and
//! a remove in a short vector. Each call has a cell of its own because kernels also record
//! division faults in it: a shared cell would let one call's fault (even one DataFusion
//! swallowed while folding constants) fail another call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use compiler::Interrupt;
use datafusion::common::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};

const RUNNING: u8 = 0;
const TIMED_OUT: u8 = 1;
const CANCELLED: u8 = 2;

/// How long a stopped statement may take to fail on its own before it is dropped: its
/// kernels leave at their next loop back edge (microseconds), and their error, which names
/// the UDF, has to travel out of DataFusion's partitions.
const GRACE: Duration = Duration::from_millis(100);

/// One statement's time limit, interrupt and stop state. Shared (`Arc`) between the task
/// running the statement, its kernels, the watchdog and whoever may cancel it (a server's
/// session).
#[derive(Debug)]
pub struct StatementControl {
    /// Its kernel calls running now: call number, interrupt, function.
    running: Mutex<Vec<(u64, Arc<Interrupt>, String)>>,
    /// The UDF it was in when it was stopped (running, or starting a batch after): the
    /// timeout is reported as that UDF's interruption even when the statement has to be
    /// dropped before the kernel's own error comes out of DataFusion.
    stopped_in: Mutex<Option<String>>,
    next_call: AtomicU64,
    timeout: Option<Duration>,
    started: Instant,
    stop: AtomicU8,
    cancel_reason: Mutex<Option<String>>,
    /// Set [`GRACE`] after the stop: the task running the statement drops it.
    dropping: AtomicBool,
    dropped: tokio::sync::Notify,
}

impl StatementControl {
    /// A control for a statement starting now; `None` (or zero) is no time limit.
    pub fn new(timeout: Option<Duration>) -> Arc<StatementControl> {
        Arc::new(StatementControl {
            running: Mutex::new(Vec::new()),
            stopped_in: Mutex::new(None),
            next_call: AtomicU64::new(0),
            timeout: timeout.filter(|t| !t.is_zero()),
            started: Instant::now(),
            stop: AtomicU8::new(RUNNING),
            cancel_reason: Mutex::new(None),
            dropping: AtomicBool::new(false),
            dropped: tokio::sync::Notify::new(),
        })
    }

    /// The statement's `statement_timeout`; `None` is none.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stops the statement: its kernels leave at their next loop back edge and it fails
    /// with `statement cancelled: <reason>`. Callable from any thread; a statement already
    /// stopped keeps its first reason.
    pub fn cancel(self: &Arc<Self>, reason: &str) {
        {
            let mut first = self.cancel_reason.lock();
            if self.is_stopped() {
                return;
            }
            *first = Some(reason.to_string());
        }
        if self.stop_with(CANCELLED) {
            match watchdog() {
                Ok(watchdog) => {
                    let mut deadlines = watchdog.deadlines.lock();
                    watchdog.schedule(&mut deadlines, Instant::now() + GRACE, self, Stage::Drop);
                }
                Err(_) => self.drop_now(),
            }
        }
    }

    /// Whether the statement was timed out or cancelled.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire) != RUNNING
    }

    /// Runs a kernel call of `function`, `run`, with an interrupt of its own that stopping
    /// the statement sets.
    pub(crate) fn run_kernel<R>(&self, function: &str, run: impl FnOnce(&Interrupt) -> R) -> R {
        let interrupt = Arc::new(Interrupt::new());
        let call = self.next_call.fetch_add(1, Ordering::Relaxed);
        self.running
            .lock()
            .push((call, Arc::clone(&interrupt), function.to_string()));
        // A stop that walked the list before the push is seen here (it sets the flag before
        // taking the lock).
        if self.is_stopped() {
            interrupt.interrupt();
        }
        let result = run(&interrupt);
        let mut running = self.running.lock();
        if let Some(i) = running.iter().position(|(c, _, _)| *c == call) {
            running.swap_remove(i);
        }
        result
    }

    /// Stops the statement's kernels, and any it starts later; true when this call
    /// stopped it (not an earlier one).
    fn stop_with(&self, why: u8) -> bool {
        let first = self
            .stop
            .compare_exchange(RUNNING, why, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            let running = self.running.lock();
            for (_, interrupt, _) in running.iter() {
                interrupt.interrupt();
            }
            if let Some((_, _, function)) = running.first() {
                self.note_stopped_in(function);
            }
        }
        first
    }

    fn note_stopped_in(&self, function: &str) {
        self.stopped_in
            .lock()
            .get_or_insert_with(|| function.to_string());
    }

    fn drop_now(&self) {
        self.dropping.store(true, Ordering::Release);
        self.dropped.notify_waiters();
    }

    /// Resolves [`GRACE`] after the statement was timed out or cancelled, when it has not
    /// failed on its own: the statement is to be dropped.
    pub(crate) async fn stopped(&self) {
        loop {
            let notified = self.dropped.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a drop between the two still wakes us.
            notified.as_mut().enable();
            if self.dropping.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// Why the statement as a whole was stopped (when no kernel reported it first).
    pub(crate) fn stop_error(&self) -> Error {
        match self.stop.load(Ordering::Acquire) {
            CANCELLED => Error::Cancelled {
                reason: self.cancel_reason(),
            },
            _ => match self.stopped_in.lock().clone() {
                Some(function) => Error::UdfInterrupted {
                    function,
                    elapsed_ms: millis(self.elapsed()),
                    timeout_ms: self.timeout.map_or(0, millis),
                },
                None => Error::StatementTimeout {
                    elapsed_ms: millis(self.elapsed()),
                    timeout_ms: self.timeout.map_or(0, millis),
                },
            },
        }
    }

    fn cancel_reason(&self) -> String {
        self.cancel_reason
            .lock()
            .clone()
            .unwrap_or_else(|| "no reason given".into())
    }

    /// Starts watching the deadline, if there is one, until the returned guard drops.
    pub(crate) fn arm(self: &Arc<Self>) -> Result<Armed> {
        let Some(timeout) = self.timeout else {
            return Ok(Armed { key: None });
        };
        let watchdog = watchdog()?;
        let mut deadlines = watchdog.deadlines.lock();
        let key = watchdog.schedule(
            &mut deadlines,
            self.started + timeout,
            self,
            Stage::Deadline,
        );
        Ok(Armed { key: Some(key) })
    }
}

/// The error a kernel of `function` stopped with, in the statement's terms (why it was
/// interrupted, or the fault it recorded), or `None` when it is not an interrupt or a
/// fault. Without a control (a kernel called outside a statement) an interrupt has
/// no cause to report and is an internal error.
pub(crate) fn kernel_error(
    function: &str,
    error: &compiler::Error,
    control: Option<&StatementControl>,
) -> Option<Error> {
    Some(match error {
        compiler::Error::DivisionByZero => Error::UdfDivisionByZero {
            function: function.to_string(),
        },
        compiler::Error::DivisionOverflow => Error::UdfDivisionOverflow {
            function: function.to_string(),
        },
        compiler::Error::MemoryFault { signal } => Error::UdfFault {
            function: function.to_string(),
            detail: error
                .to_string()
                .strip_suffix(" in UDF code")
                .map_or_else(|| format!("fault ({signal})"), str::to_string),
        },
        compiler::Error::Interrupted => match control {
            Some(c) if c.stop.load(Ordering::Acquire) == CANCELLED => Error::Cancelled {
                reason: c.cancel_reason(),
            },
            Some(c) => {
                c.note_stopped_in(function);
                Error::UdfInterrupted {
                    function: function.to_string(),
                    elapsed_ms: millis(c.elapsed()),
                    timeout_ms: c.timeout.map_or(0, millis),
                }
            }
            None => Error::Internal(format!(
                "UDF `{function}` was interrupted outside of a statement"
            )),
        },
        _ => return None,
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Keeps a statement's deadline watched; dropping it (the statement ended) disarms.
#[derive(Debug)]
pub(crate) struct Armed {
    key: Option<(Instant, u64)>,
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // A later deadline becomes the earliest: the thread finds out when it wakes at
            // the removed one, which costs one spurious wake-up, not a notification here.
            WATCHDOG.deadlines.lock().remove(&key);
        }
    }
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(0);
static WATCHDOG: Watchdog = Watchdog {
    deadlines: Mutex::new(BTreeMap::new()),
    wake: Condvar::new(),
};
/// Whether the watchdog's thread started (once, on first use).
static THREAD: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// What the watchdog does to a statement at an instant.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Its `statement_timeout` passed: stop it.
    Deadline,
    /// [`GRACE`] after a stop: drop it.
    Drop,
}

type Deadlines = BTreeMap<(Instant, u64), (Weak<StatementControl>, Stage)>;

struct Watchdog {
    /// What to do when, by (instant, scheduling order).
    deadlines: Mutex<Deadlines>,
    wake: Condvar,
}

/// The process-wide watchdog, its thread started on first use.
fn watchdog() -> Result<&'static Watchdog> {
    let started = THREAD.get_or_init(|| {
        std::thread::Builder::new()
            .name("udf-watchdog".into())
            .spawn(|| WATCHDOG.run())
            .map(drop)
            .map_err(|e| e.to_string())
    });
    match started {
        Ok(()) => Ok(&WATCHDOG),
        Err(e) => Err(Error::Internal(format!(
            "cannot start the statement watchdog thread, so statement_timeout cannot be \
             enforced: {e}"
        ))),
    }
}

impl Watchdog {
    /// Schedules `stage` for `control` at `at` in `deadlines` (this watchdog's, locked),
    /// waking the thread when it comes first.
    fn schedule(
        &self,
        deadlines: &mut Deadlines,
        at: Instant,
        control: &Arc<StatementControl>,
        stage: Stage,
    ) -> (Instant, u64) {
        let key = (at, NEXT_KEY.fetch_add(1, Ordering::Relaxed));
        let earliest = deadlines.keys().next().is_none_or(|first| key < *first);
        deadlines.insert(key, (Arc::downgrade(control), stage));
        if earliest {
            self.wake.notify_one();
        }
        key
    }

    fn run(&self) {
        let mut deadlines = self.deadlines.lock();
        loop {
            let now = Instant::now();
            while let Some(entry) = deadlines.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let (control, stage) = entry.remove();
                // Gone: the statement ended (and its drop entry outlived it).
                let Some(control) = control.upgrade() else {
                    continue;
                };
                match stage {
                    Stage::Deadline => {
                        if control.stop_with(TIMED_OUT) {
                            self.schedule(&mut deadlines, now + GRACE, &control, Stage::Drop);
                        }
                    }
                    Stage::Drop => control.drop_now(),
                }
            }
            match deadlines.keys().next() {
                Some(&(deadline, _)) => {
                    self.wake.wait_until(&mut deadlines, deadline);
                }
                None => self.wake.wait(&mut deadlines),
            }
        }
    }
}

/// The statement a query runs for, carried in its session state's config so that UDF
/// calls (which only see `ScalarFunctionArgs::config_options`) find it. Not a
/// setting: `SET udf_statement.…` is refused and it lists no entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatementExtension {
    pub(crate) control: Option<Arc<StatementControl>>,
}

impl ConfigExtension for StatementExtension {
    const PREFIX: &'static str = "udf_statement";
}

impl ExtensionOptions for StatementExtension {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        // Sharing the control is the point: it is the statement's, not a setting.
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, _value: &str) -> datafusion::common::Result<()> {
        Err(datafusion::common::DataFusionError::Configuration(format!(
            "udf_statement.{key} is not a setting"
        )))
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        Vec::new()
    }
}

/// The statement-limit error somewhere in `error`'s chain (a kernel's interrupt or fault,
/// which DataFusion may have wrapped or shared between partitions), or a memory pool's
/// refusal when the statement had a pool of `memory_limit_mb`.
pub(crate) fn limit_error(
    error: &datafusion::common::DataFusionError,
    memory_limit_mb: Option<usize>,
) -> Option<Error> {
    use datafusion::common::DataFusionError;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut memory = None;
    while let Some(e) = current {
        if let Some(own) = e.downcast_ref::<Error>() {
            let copy = match own {
                Error::UdfInterrupted {
                    function,
                    elapsed_ms,
                    timeout_ms,
                } => Some(Error::UdfInterrupted {
                    function: function.clone(),
                    elapsed_ms: *elapsed_ms,
                    timeout_ms: *timeout_ms,
                }),
                Error::StatementTimeout {
                    elapsed_ms,
                    timeout_ms,
                } => Some(Error::StatementTimeout {
                    elapsed_ms: *elapsed_ms,
                    timeout_ms: *timeout_ms,
                }),
                Error::Cancelled { reason } => Some(Error::Cancelled {
                    reason: reason.clone(),
                }),
                Error::UdfDivisionByZero { function } => Some(Error::UdfDivisionByZero {
                    function: function.clone(),
                }),
                Error::UdfDivisionOverflow { function } => Some(Error::UdfDivisionOverflow {
                    function: function.clone(),
                }),
                Error::UdfFault { function, detail } => Some(Error::UdfFault {
                    function: function.clone(),
                    detail: detail.clone(),
                }),
                _ => None,
            };
            if copy.is_some() {
                return copy;
            }
        }
        if let Some(DataFusionError::ResourcesExhausted(detail)) =
            e.downcast_ref::<DataFusionError>()
        {
            memory.get_or_insert_with(|| detail.clone());
        }
        current = e.source();
    }
    let limit_mb = memory_limit_mb?;
    memory.map(|detail| Error::QueryMemoryLimit { limit_mb, detail })
}

/// `SET statement_timeout = 2000` (milliseconds), `= '2s'`, `TO '500ms'`, `= 0` (no
/// limit): the timeout it sets (`None` for no limit), or `None` when `sql` is another
/// statement. Units: `ms`, `s`, `min`, `h`; a bare number is milliseconds.
pub fn parse_set_statement_timeout(sql: &str) -> Option<Result<Option<Duration>>> {
    let text = sql.trim().trim_end_matches(';').trim_end();
    let rest = strip_word(text, "set")?;
    let rest = strip_word(rest, "session").unwrap_or(rest);
    let rest = strip_word(rest, "statement_timeout")?;
    let value = rest
        .strip_prefix('=')
        .or_else(|| strip_word(rest, "to"))?
        .trim();
    Some(parse_timeout(value))
}

/// `SHOW statement_timeout`.
pub(crate) fn is_show_statement_timeout(variable: &str) -> bool {
    variable.trim().eq_ignore_ascii_case("statement_timeout")
}

/// How `SHOW statement_timeout` prints a timeout.
pub(crate) fn show_timeout(timeout: Option<Duration>) -> String {
    match timeout {
        None => "0".into(),
        Some(t) => format!("{}ms", millis(t)),
    }
}

fn parse_timeout(value: &str) -> Result<Option<Duration>> {
    let unquoted = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value)
        .trim();
    let invalid = || {
        Error::InvalidSetting(format!(
            "statement_timeout must be milliseconds or a duration like '500ms', '2s', \
             '1min' (0: no limit), not {value}"
        ))
    };
    let digits = unquoted
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unquoted.len());
    let (number, unit) = unquoted.split_at(digits);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let unit_ms: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(invalid()),
    };
    let ms = number.checked_mul(unit_ms).ok_or_else(invalid)?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

/// `text` after a leading `word` (case-insensitive) and the spaces after it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    let boundary = rest
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '.');
    (head.eq_ignore_ascii_case(word) && boundary).then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_statement_timeout_forms() {
        let parse = |s| parse_set_statement_timeout(s).map(|r| r.map_err(|e| e.to_string()));
        let ms = |n| Some(Ok(Some(Duration::from_millis(n))));
        assert_eq!(parse("SET statement_timeout = 2000"), ms(2000));
        assert_eq!(parse("set STATEMENT_TIMEOUT to '2s';"), ms(2000));
        assert_eq!(parse("SET statement_timeout = '500ms'"), ms(500));
        assert_eq!(
            parse("SET SESSION statement_timeout TO '1 min'"),
            ms(60_000)
        );
        assert_eq!(parse("SET statement_timeout = 0"), Some(Ok(None)));
        assert_eq!(parse("SET statement_timeouts = 1"), None);
        assert_eq!(parse("SELECT 1"), None);
        let err = parse("SET statement_timeout = 'soon'")
            .unwrap()
            .unwrap_err();
        assert!(err.contains("statement_timeout must be"), "{err}");
        assert!(parse("SET statement_timeout = -5").unwrap().is_err());
        assert!(parse("SET statement_timeout = '2 weeks'").unwrap().is_err());
        assert!(
            parse("SET statement_timeout = 99999999999999999h")
                .unwrap()
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_watchdog_stops_a_statement_at_its_deadline() {
        let control = StatementControl::new(Some(Duration::from_millis(50)));
        let never = StatementControl::new(Some(Duration::from_secs(3600)));
        let _armed_never = never.arm().unwrap();
        let armed = control.arm().unwrap();
        let started = Instant::now();
        // A "kernel" polling its interrupt, as generated code does at back edges.
        let kernel = {
            let control = Arc::clone(&control);
            std::thread::spawn(move || {
                control.run_kernel("f", |interrupt| {
                    while !interrupt.is_interrupted() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    started.elapsed()
                })
            })
        };
        tokio::time::timeout(Duration::from_secs(10), control.stopped())
            .await
            .expect("the watchdog fired");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(45) + GRACE, "{waited:?}");
        let kernel_ran = kernel.join().unwrap();
        assert!(
            kernel_ran >= Duration::from_millis(45) && kernel_ran < waited,
            "{kernel_ran:?}"
        );
        assert!(control.running.lock().is_empty());
        // A kernel starting after the stop is interrupted from its start.
        assert!(control.run_kernel("f", |i| i.is_interrupted()));
        assert!(!never.is_stopped());
        assert!(!never.run_kernel("f", |i| i.is_interrupted()));
        // A kernel was running at the deadline: the timeout names its UDF.
        let message = control.stop_error().to_string();
        assert!(
            message.starts_with("UDF `f` interrupted after")
                && message.ends_with("(statement_timeout = 50 ms)"),
            "{message}"
        );
        drop(armed);

        // Disarmed before its deadline: nothing fires.
        let early = StatementControl::new(Some(Duration::from_millis(30)));
        drop(early.arm().unwrap());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!early.is_stopped());

        // Stopped outside any UDF.
        let idle = StatementControl::new(Some(Duration::from_millis(30)));
        let _armed = idle.arm().unwrap();
        tokio::time::timeout(Duration::from_secs(10), idle.stopped())
            .await
            .expect("the watchdog fired");
        let message = idle.stop_error().to_string();
        assert!(
            message.starts_with("statement timed out after")
                && message.ends_with("(statement_timeout = 30 ms)"),
            "{message}"
        );
    }

    #[test]
    fn a_cancel_keeps_its_reason_and_beats_a_later_timeout() {
        let control = StatementControl::new(Some(Duration::from_millis(10)));
        control.cancel("its session was ended");
        assert!(!control.stop_with(TIMED_OUT));
        control.cancel("a second reason");
        assert_eq!(
            control.stop_error().to_string(),
            "statement cancelled: its session was ended"
        );
        let e = kernel_error("f", &compiler::Error::Interrupted, Some(&control)).unwrap();
        assert_eq!(e.to_string(), "statement cancelled: its session was ended");
    }
}

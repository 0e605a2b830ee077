//! What the daemon's integration tests share: starting a real `udf-server` process on a
//! free port and logging in to it.

#![allow(dead_code)] // Each test binary uses its own part.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use udf_thrift::THeavySyncClient;
use udf_thrift::client::Client;

/// `admin`'s password when none is configured (HeavyDB's default, loopback only).
pub const PASSWORD: &str = "HyperInteractive";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `udf-server`, killed (SIGKILL) when dropped.
pub struct Daemon {
    pub child: Child,
    pub port: u16,
    /// From spawning the process to its "listening" line.
    pub started_in: Duration,
}

impl Daemon {
    /// Starts the daemon on loopback with data directory `data` and the flags `extra`, and
    /// waits until it listens (or panics with its log when it stops before).
    pub fn start(data: &Path, extra: &[&str]) -> Daemon {
        Daemon::start_logged(data, extra).0
    }

    /// A session of `user`.
    pub fn login(&self, user: &str, password: &str) -> (Client, String) {
        let mut c =
            udf_thrift::client::connect("127.0.0.1", self.port, Duration::from_secs(10)).unwrap();
        let session = c
            .connect(user.into(), password.into(), String::new())
            .unwrap();
        (c, session)
    }

    /// A session of `admin`.
    pub fn client(&self) -> (Client, String) {
        self.login("admin", PASSWORD)
    }

    /// SIGKILL, and waits for the process to end.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status (within 20 s).
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "udf-server did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

/// The newest lines a daemon started by [`Daemon::start_logged`] wrote to standard error.
pub type Log = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>;

/// How many lines a [`Log`] keeps.
pub const LOG_LINES_KEPT: usize = 4000;

impl Daemon {
    /// Like [`Daemon::start`], but the server's log stays readable while it runs (the
    /// newest [`LOG_LINES_KEPT`] lines), so that a test can show what the server said
    /// around a failure or a crash.
    pub fn start_logged(data: &Path, extra: &[&str]) -> (Daemon, Log) {
        let spawned = Instant::now();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_udf-server"))
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--data-dir",
            ])
            .arg(data)
            .args(extra)
            .env_remove("UDF_ADMIN_PASSWORD")
            .env_remove("UDF_CONFIG")
            .env("RUST_LOG", "info")
            // Plain text in reports.
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start udf-server");
        let stderr = child.stderr.take().unwrap();
        let log = Log::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("udf-server listening") {
                    let _ = tx.send(Ok(()));
                }
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == LOG_LINES_KEPT {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
            let _ = tx.send(Err(()));
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(())) => {}
            Ok(Err(())) => {
                let log = log.lock().unwrap_or_else(|e| e.into_inner());
                let text: Vec<&str> = log.iter().map(String::as_str).collect();
                panic!("udf-server stopped before listening:\n{}", text.join("\n"))
            }
            Err(_) => panic!("udf-server did not listen within 120 s"),
        }
        let daemon = Daemon {
            child,
            port,
            started_in: spawned.elapsed(),
        };
        (daemon, log)
    }

    /// `Err(status)` once the process has ended.
    pub fn alive(&mut self) -> Result<(), ExitStatus> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(status),
            _ => Ok(()),
        }
    }
}

/// The last `n` lines of `log`.
pub fn log_tail(log: &Log, n: usize) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    let skip = log.len().saturating_sub(n);
    log.iter()
        .skip(skip)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A finished command's standard output, as text.
pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A finished command's standard error, as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Fails with both outputs unless `o` (a `udf-sql` run) succeeded.
#[track_caller]
pub fn assert_success(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "udf-sql failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

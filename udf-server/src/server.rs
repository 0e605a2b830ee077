//! The accept loop: a thread per connection up to a limit, a clear refusal beyond it, and
//! a graceful stop.
//!
//! Why not the `thrift` crate's `TServer`: it blocks forever and pins a pool worker to a
//! connection for the connection's whole life, so a few idle pyheavydb connections would
//! starve everyone. Here an idle connection costs a parked thread, and a stop request is
//! noticed between calls: the loop stops accepting, calls in flight finish and are
//! answered, idle connections are closed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use udf_thrift::TProcessor;
use udf_thrift::connection::{Connection, Readiness, Served};
use udf_thrift::input::InputLimits;

/// How often an idle connection checks for a stop request.
const IDLE_POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub call_timeout: Duration,
    pub input: InputLimits,
}

/// Stops a running [`Server`] from another thread (a signal handler).
#[derive(Debug, Clone)]
pub struct StopHandle {
    stopping: Arc<AtomicBool>,
    wake: SocketAddr,
}

impl StopHandle {
    /// Asks the server to stop; returns at once.
    pub fn stop(&self) {
        if !self.stopping.swap(true, Ordering::SeqCst) {
            // Unblock accept() with a connection of our own.
            let _ = TcpStream::connect_timeout(&self.wake, Duration::from_secs(1));
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Counts live connection threads so that a stop can wait for them.
#[derive(Debug, Default)]
struct Live {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Live {
    fn enter(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    fn leave(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.changed.notify_all();
    }

    fn current(&self) -> usize {
        *self.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until no connection is live or `deadline` passes; returns how many remain.
    fn wait_idle(&self, deadline: Instant) -> usize {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *count > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            count = self
                .changed
                .wait_timeout(count, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *count
    }
}

pub struct Server {
    listener: TcpListener,
    processor: Arc<dyn TProcessor + Send + Sync>,
    limits: ServerLimits,
    stopping: Arc<AtomicBool>,
    live: Arc<Live>,
    refusing: Arc<AtomicUsize>,
    /// Runs between accepts and on idle ticks (session expiry).
    housekeeping: Option<Box<dyn Fn() + Send>>,
}

impl Server {
    pub fn bind(
        addr: SocketAddr,
        processor: Arc<dyn TProcessor + Send + Sync>,
        limits: ServerLimits,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        Ok(Server {
            listener,
            processor,
            limits,
            stopping: Arc::new(AtomicBool::new(false)),
            live: Arc::new(Live::default()),
            refusing: Arc::new(AtomicUsize::new(0)),
            housekeeping: None,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn with_housekeeping(mut self, task: impl Fn() + Send + 'static) -> Server {
        self.housekeeping = Some(Box::new(task));
        self
    }

    pub fn stop_handle(&self) -> std::io::Result<StopHandle> {
        let local = self.listener.local_addr()?;
        let wake_ip = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(StopHandle {
            stopping: Arc::clone(&self.stopping),
            wake: SocketAddr::new(wake_ip, local.port()),
        })
    }

    /// Serves until [`StopHandle::stop`]; then waits up to `grace` for calls in flight.
    pub fn run(self, grace: Duration) -> std::io::Result<()> {
        let mut next_id: u64 = 0;
        let mut last_housekeeping = Instant::now();
        loop {
            let accepted = self.listener.accept();
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            if last_housekeeping.elapsed() > Duration::from_secs(30) {
                if let Some(task) = &self.housekeeping {
                    task();
                }
                last_housekeeping = Instant::now();
            }
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            next_id += 1;
            if self.live.current() >= self.limits.max_connections {
                self.refuse(stream, peer);
                continue;
            }
            self.spawn_connection(next_id, stream, peer);
        }
        tracing::info!(
            connections = self.live.current(),
            "stopping: no longer accepting; finishing calls in flight"
        );
        drop(self.listener);
        let left = self.live.wait_idle(Instant::now() + grace);
        if left > 0 {
            tracing::warn!(
                connections = left,
                "stopped with calls still running after the grace period"
            );
        }
        Ok(())
    }

    fn spawn_connection(&self, id: u64, stream: TcpStream, peer: SocketAddr) {
        let processor = Arc::clone(&self.processor);
        let limits = self.limits.clone();
        let stopping = Arc::clone(&self.stopping);
        let live = Arc::clone(&self.live);
        live.enter();
        let spawned = std::thread::Builder::new()
            .name(format!("conn-{id}"))
            .spawn(move || {
                serve_connection(id, stream, peer, processor.as_ref(), &limits, &stopping);
                live.leave();
            });
        if let Err(e) = spawned {
            self.live.leave();
            tracing::error!(error = %e, %peer, "cannot start a connection thread");
        }
    }

    /// Answers the first call of a connection over the limit with a `TDBException`
    /// (every method declares one as field 1), so that clients show a clear message.
    fn refuse(&self, stream: TcpStream, peer: SocketAddr) {
        let limit = self.limits.max_connections;
        tracing::warn!(%peer, limit, "connection refused: too many connections");
        // Bound the refusers too: beyond that, just close.
        if self.refusing.fetch_add(1, Ordering::SeqCst) >= 16 {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let refusing = Arc::clone(&self.refusing);
        let spawned = std::thread::Builder::new()
            .name("refuse".into())
            .spawn(move || {
                let message =
                    format!("udf-server is at its limit of {limit} connections; try again later");
                if let Ok(mut conn) = Connection::new(stream, InputLimits::default()) {
                    if conn.wait(Duration::from_secs(2)).ok() == Some(Readiness::Call) {
                        conn.refuse_call(&message, Duration::from_secs(2));
                    }
                    conn.shutdown();
                }
                refusing.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve_connection(
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
    processor: &dyn TProcessor,
    limits: &ServerLimits,
    stopping: &AtomicBool,
) {
    let mut conn = match Connection::new(stream, limits.input) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "cannot set up connection");
            return;
        }
    };
    tracing::debug!(id, %peer, "connection opened");
    loop {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        match conn.wait(IDLE_POLL) {
            Ok(Readiness::Idle) => continue,
            Ok(Readiness::Closed) => break,
            Err(e) => {
                tracing::debug!(id, %peer, error = %e, "connection failed");
                break;
            }
            Ok(Readiness::Call) => {}
        }
        let started = Instant::now();
        match conn.serve_call(processor, limits.call_timeout) {
            Served::Call { method } => {
                tracing::debug!(id, %peer, method, elapsed_us = started.elapsed().as_micros() as u64, "call");
            }
            Served::UnknownMethod { method } => {
                tracing::warn!(id, %peer, method, "unknown method");
            }
            Served::Broken { method, reason } => {
                tracing::warn!(id, %peer, method = method.as_deref().unwrap_or("?"), reason, "closing connection after a bad call");
                break;
            }
        }
    }
    conn.shutdown();
    tracing::debug!(id, %peer, "connection closed");
}

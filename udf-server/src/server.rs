//! The accept loop: a thread per connection up to a limit, a clear refusal beyond it, and
//! a graceful stop.
//!
//! Why not the `thrift` crate's `TServer`: it blocks forever and pins a pool worker to a
//! connection for the connection's whole life, so a few idle pyheavydb connections would
//! starve everyone. Here an idle connection costs a parked thread, and a stop request is
//! noticed between calls: the loop stops accepting, calls in flight finish and are
//! answered, idle connections are closed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use udf_thrift::connection::{Connection, Readiness, Served, Service};
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
    service: Arc<dyn Service + Send + Sync>,
    limits: ServerLimits,
    /// Names the port in logs and thread names.
    port_name: &'static str,
    /// Closes a connection idle for this long (rbc's RemoteJIT opens one per call, so an
    /// idle one is someone holding a thread); `None` keeps idle connections (HeavyDB
    /// clients hold theirs for a session).
    idle_timeout: Option<Duration>,
    stopping: Arc<AtomicBool>,
    live: Arc<Live>,
    refusing: Arc<AtomicUsize>,
    /// Counts connections refused at `max_connections` (the metrics' counter).
    refused: Arc<AtomicU64>,
    /// Runs between accepts and on idle ticks (session expiry).
    housekeeping: Option<Box<dyn Fn() + Send>>,
}

impl Server {
    pub fn bind(
        addr: SocketAddr,
        service: Arc<dyn Service + Send + Sync>,
        limits: ServerLimits,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        Ok(Server {
            listener,
            service,
            limits,
            port_name: "heavydb",
            idle_timeout: None,
            stopping: Arc::new(AtomicBool::new(false)),
            live: Arc::new(Live::default()),
            refusing: Arc::new(AtomicUsize::new(0)),
            refused: Arc::new(AtomicU64::new(0)),
            housekeeping: None,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Names the port in logs and thread names (default `heavydb`).
    pub fn named(mut self, port_name: &'static str) -> Server {
        self.port_name = port_name;
        self
    }

    /// Closes connections idle for `timeout`.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Server {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Counts connections refused at `max_connections` in `counter` (shared with the
    /// metrics).
    pub fn with_refusal_counter(mut self, counter: Arc<AtomicU64>) -> Server {
        self.refused = counter;
        self
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
                    tracing::warn!(port = self.port_name, error = %e, "accept failed");
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
            port = self.port_name,
            connections = self.live.current(),
            "stopping: no longer accepting; finishing calls in flight"
        );
        drop(self.listener);
        let left = self.live.wait_idle(Instant::now() + grace);
        if left > 0 {
            tracing::warn!(
                port = self.port_name,
                connections = left,
                "stopped with calls still running after the grace period"
            );
        }
        Ok(())
    }

    fn spawn_connection(&self, id: u64, stream: TcpStream, peer: SocketAddr) {
        let connection = ConnectionContext {
            id,
            peer,
            port_name: self.port_name,
            service: Arc::clone(&self.service),
            limits: self.limits.clone(),
            idle_timeout: self.idle_timeout,
            stopping: Arc::clone(&self.stopping),
        };
        let live = Arc::clone(&self.live);
        live.enter();
        let spawned = std::thread::Builder::new()
            .name(format!("{}-{id}", self.port_name))
            .spawn(move || {
                connection.serve(stream);
                live.leave();
            });
        if let Err(e) = spawned {
            self.live.leave();
            tracing::error!(port = self.port_name, error = %e, %peer, "cannot start a connection thread");
        }
    }

    /// Answers the first call of a connection over the limit with the service's refusal
    /// (every method declares its exception as field 1), so that clients show a clear
    /// message.
    fn refuse(&self, stream: TcpStream, peer: SocketAddr) {
        let limit = self.limits.max_connections;
        let port = self.port_name;
        let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(port, %peer, limit, refused, "connection refused: too many connections (max_connections)");
        // Bound the refusers too: beyond that, just close.
        if self.refusing.fetch_add(1, Ordering::SeqCst) >= 16 {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let refusing = Arc::clone(&self.refusing);
        let service = Arc::clone(&self.service);
        let spawned = std::thread::Builder::new()
            .name(format!("{port}-refuse"))
            .spawn(move || {
                let message = format!(
                    "udf-server is at its limit of {limit} connections (max_connections); \
                     try again later"
                );
                if let Ok(mut conn) = Connection::new(stream, InputLimits::default()) {
                    if conn.wait(Duration::from_secs(2)).ok() == Some(Readiness::Call) {
                        conn.refuse_call(service.as_ref(), &message, Duration::from_secs(2));
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

/// What a connection's thread needs.
struct ConnectionContext {
    id: u64,
    peer: SocketAddr,
    port_name: &'static str,
    service: Arc<dyn Service + Send + Sync>,
    limits: ServerLimits,
    idle_timeout: Option<Duration>,
    stopping: Arc<AtomicBool>,
}

impl ConnectionContext {
    fn serve(self, stream: TcpStream) {
        let ConnectionContext {
            id,
            peer,
            port_name: port,
            ..
        } = self;
        let mut conn = match Connection::new(stream, self.limits.input) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(port, %peer, error = %e, "cannot set up connection");
                return;
            }
        };
        tracing::debug!(port, id, %peer, "connection opened");
        // Logins are throttled per address; the handlers see calls, not sockets.
        crate::auth::set_peer(Some(peer.ip()));
        let mut idle = Duration::ZERO;
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            match conn.wait(IDLE_POLL) {
                Ok(Readiness::Idle) => {
                    idle += IDLE_POLL;
                    if self.idle_timeout.is_some_and(|limit| idle >= limit) {
                        tracing::debug!(port, id, %peer, "closing an idle connection");
                        break;
                    }
                    continue;
                }
                Ok(Readiness::Closed) => break,
                Err(e) => {
                    tracing::debug!(port, id, %peer, error = %e, "connection failed");
                    break;
                }
                Ok(Readiness::Call) => idle = Duration::ZERO,
            }
            let started = Instant::now();
            match conn.serve_call(self.service.as_ref(), self.limits.call_timeout) {
                Served::Call { method } => {
                    tracing::debug!(port, id, %peer, method, elapsed_us = started.elapsed().as_micros() as u64, "call");
                }
                Served::UnknownMethod { method } => {
                    tracing::warn!(port, id, %peer, method, "unknown method");
                }
                Served::Broken { method, reason } => {
                    tracing::warn!(port, id, %peer, method = method.as_deref().unwrap_or("?"), reason, "closing connection after a bad call");
                    break;
                }
            }
        }
        conn.shutdown();
        tracing::debug!(port, id, %peer, "connection closed");
    }
}

//! The RemoteJIT port's accept loop: a thread per connection up to a limit, a clear
//! refusal beyond it, idle connections closed, and a graceful stop.
//!
//! Separate from [`crate::server`], which serves HeavyDB's unmultiplexed protocol: rbc's
//! client opens a connection per call and speaks `service:method` names, so connections
//! are short and each is served by [`RemoteJitConnection`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use udf_thrift::connection::{Readiness, Served};
use udf_thrift::input::InputLimits;
use udf_thrift::remotejit::{RemoteJitConnection, RemoteJitService};

use super::RemoteJit;
use crate::server::ServerLimits;

/// How often an idle connection checks for a stop request.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Most connections being refused at once; beyond that, excess connections are closed.
const MAX_REFUSING: usize = 16;

/// Stops a running [`RemoteJitServer`] from another thread.
#[derive(Debug, Clone)]
pub struct RemoteJitStop {
    stopping: Arc<AtomicBool>,
    wake: SocketAddr,
}

impl RemoteJitStop {
    /// Asks the server to stop; returns at once.
    pub fn stop(&self) {
        if !self.stopping.swap(true, Ordering::SeqCst) {
            // Unblock accept() with a connection of our own.
            let _ = TcpStream::connect_timeout(&self.wake, Duration::from_secs(1));
        }
    }
}

pub struct RemoteJitServer {
    listener: TcpListener,
    service: Arc<RemoteJitService<RemoteJit>>,
    limits: ServerLimits,
    stopping: Arc<AtomicBool>,
    live: Arc<AtomicUsize>,
    refusing: Arc<AtomicUsize>,
}

impl RemoteJitServer {
    pub fn bind(
        addr: SocketAddr,
        handler: RemoteJit,
        limits: ServerLimits,
    ) -> std::io::Result<Self> {
        Ok(RemoteJitServer {
            listener: TcpListener::bind(addr)?,
            service: Arc::new(RemoteJitService::new(handler)),
            limits,
            stopping: Arc::new(AtomicBool::new(false)),
            live: Arc::new(AtomicUsize::new(0)),
            refusing: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn stop_handle(&self) -> std::io::Result<RemoteJitStop> {
        let local = self.listener.local_addr()?;
        let wake_ip = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(RemoteJitStop {
            stopping: Arc::clone(&self.stopping),
            wake: SocketAddr::new(wake_ip, local.port()),
        })
    }

    /// Serves until [`RemoteJitStop::stop`]; then waits up to `grace` for calls in flight.
    pub fn run(self, grace: Duration) {
        let mut next_id: u64 = 0;
        loop {
            let accepted = self.listener.accept();
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "remotejit: accept failed");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            next_id += 1;
            if self.live.load(Ordering::SeqCst) >= self.limits.max_connections {
                self.refuse(stream, peer);
                continue;
            }
            self.spawn_connection(next_id, stream, peer);
        }
        drop(self.listener);
        let deadline = Instant::now() + grace;
        while self.live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let left = self.live.load(Ordering::SeqCst);
        if left > 0 {
            tracing::warn!(
                connections = left,
                "remotejit: stopped with calls still running after the grace period"
            );
        }
    }

    fn spawn_connection(&self, id: u64, stream: TcpStream, peer: SocketAddr) {
        let service = Arc::clone(&self.service);
        let limits = self.limits.clone();
        let stopping = Arc::clone(&self.stopping);
        let live = Arc::clone(&self.live);
        live.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name(format!("rjit-{id}"))
            .spawn(move || {
                serve_connection(id, stream, peer, &service, &limits, &stopping);
                live.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            self.live.fetch_sub(1, Ordering::SeqCst);
            tracing::error!(error = %e, %peer, "remotejit: cannot start a connection thread");
        }
    }

    fn refuse(&self, stream: TcpStream, peer: SocketAddr) {
        let limit = self.limits.max_connections;
        tracing::warn!(%peer, limit, "remotejit: connection refused: too many connections");
        if self.refusing.fetch_add(1, Ordering::SeqCst) >= MAX_REFUSING {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let refusing = Arc::clone(&self.refusing);
        let spawned = std::thread::Builder::new()
            .name("rjit-refuse".into())
            .spawn(move || {
                let message = format!(
                    "RuntimeError: udf-server is at its limit of {limit} RemoteJIT \
                     connections; try again later"
                );
                if let Ok(mut conn) = RemoteJitConnection::new(stream, InputLimits::default()) {
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
    service: &RemoteJitService<RemoteJit>,
    limits: &ServerLimits,
    stopping: &AtomicBool,
) {
    let mut conn = match RemoteJitConnection::new(stream, limits.input) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "remotejit: cannot set up connection");
            return;
        }
    };
    // rbc sends one call per connection; a connection idle for longer than a call may
    // take to arrive is someone holding a thread, and is closed.
    let mut idle = Duration::ZERO;
    loop {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        match conn.wait(IDLE_POLL) {
            Ok(Readiness::Idle) => {
                idle += IDLE_POLL;
                if idle >= limits.call_timeout {
                    tracing::debug!(id, %peer, "remotejit: closing an idle connection");
                    break;
                }
                continue;
            }
            Ok(Readiness::Closed) => break,
            Err(e) => {
                tracing::debug!(id, %peer, error = %e, "remotejit: connection failed");
                break;
            }
            Ok(Readiness::Call) => idle = Duration::ZERO,
        }
        let started = Instant::now();
        match conn.serve_call(service, limits.call_timeout) {
            Served::Call { method } => {
                tracing::debug!(id, %peer, method, elapsed_us = started.elapsed().as_micros() as u64, "remotejit: call");
            }
            Served::UnknownMethod { method } => {
                tracing::warn!(id, %peer, method, "remotejit: unknown method");
            }
            Served::Broken { method, reason } => {
                tracing::warn!(id, %peer, method = method.as_deref().unwrap_or("?"), reason, "remotejit: closing connection after a bad call");
                break;
            }
        }
    }
    conn.shutdown();
}

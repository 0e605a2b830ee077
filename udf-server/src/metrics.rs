//! Prometheus metrics: counters the daemon keeps, rendered in the text exposition format
//! (version 0.0.4) together with the compiler's and the session store's numbers, and a
//! tiny HTTP listener that serves them at `/metrics` (`--metrics-port`).
//!
//! The listener is deliberately minimal: one request per connection, GET only, a size and
//! time limit on the request head; anything else gets a 4xx and the connection closes. It
//! never blocks the Thrift ports: it has its own thread and handles one scrape at a time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Upper bounds (seconds) of the latency histograms' buckets; `+Inf` is implied.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A latency histogram with [`LATENCY_BUCKETS`].
#[derive(Debug, Default)]
pub struct Histogram {
    /// Per bucket (not cumulative), then the overflow bucket.
    counts: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Cumulative counts per bucket (the last is `+Inf`), and the sum in seconds.
    pub fn snapshot(&self) -> (Vec<u64>, f64) {
        let mut total = 0;
        let cumulative = self
            .counts
            .iter()
            .map(|c| {
                total += c.load(Ordering::Relaxed);
                total
            })
            .collect();
        (
            cumulative,
            self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        )
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct MethodCounts {
    calls: u64,
    errors: u64,
}

/// What the daemon counts itself. Shared by the handlers (`Arc`).
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    methods: Mutex<BTreeMap<String, MethodCounts>>,
    queries: AtomicU64,
    query_errors: AtomicU64,
    query_seconds: Histogram,
    sessions_opened: AtomicU64,
    authentication_failures: AtomicU64,
    logins_throttled: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            methods: Mutex::default(),
            queries: AtomicU64::new(0),
            query_errors: AtomicU64::new(0),
            query_seconds: Histogram::default(),
            sessions_opened: AtomicU64::new(0),
            authentication_failures: AtomicU64::new(0),
            logins_throttled: AtomicU64::new(0),
        }
    }
}

/// Numbers owned elsewhere that one exposition includes.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub sessions: usize,
    pub functions: usize,
    pub overloads: usize,
    pub tables: usize,
    pub resident_bytes: Option<u64>,
    /// In cluster mode: queries sent to the Ballista scheduler, and planned here.
    pub cluster_queries: Option<(u64, u64)>,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// One Thrift call of `method`, and whether it failed.
    pub fn call(&self, method: &str, failed: bool) {
        let mut methods = self.methods.lock();
        // The name is copied once per method, not per call.
        if !methods.contains_key(method) {
            methods.insert(method.to_string(), MethodCounts::default());
        }
        let Some(counts) = methods.get_mut(method) else {
            return;
        };
        counts.calls += 1;
        counts.errors += u64::from(failed);
    }

    /// One SQL statement run for a client.
    pub fn query(&self, elapsed: Duration, failed: bool) {
        self.queries.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.query_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.query_seconds.observe(elapsed);
    }

    pub fn session_opened(&self) {
        self.sessions_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub fn authentication_failed(&self) {
        self.authentication_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A login refused unchecked: its user or address had too many failures.
    pub fn login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// The daemon's own part of the exposition.
    pub fn render(&self, gauges: &Gauges, out: &mut String) {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        sample(
            out,
            "udf_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
            format!("{:.3}", self.uptime().as_secs_f64()),
        );
        let methods = self.methods.lock().clone();
        header(
            out,
            "udf_thrift_calls_total",
            "counter",
            "Thrift calls handled, by method.",
        );
        for (method, counts) in &methods {
            let _ = writeln!(
                out,
                "udf_thrift_calls_total{{method=\"{}\"}} {}",
                escape_label(method),
                counts.calls
            );
        }
        header(
            out,
            "udf_thrift_errors_total",
            "counter",
            "Thrift calls answered with an error, by method.",
        );
        for (method, counts) in &methods {
            let _ = writeln!(
                out,
                "udf_thrift_errors_total{{method=\"{}\"}} {}",
                escape_label(method),
                counts.errors
            );
        }
        sample(
            out,
            "udf_queries_total",
            "counter",
            "SQL statements run for clients.",
            load(&self.queries),
        );
        sample(
            out,
            "udf_query_errors_total",
            "counter",
            "SQL statements that failed.",
            load(&self.query_errors),
        );
        header(
            out,
            "udf_query_duration_seconds",
            "histogram",
            "Time to run a client's SQL statement.",
        );
        render_histogram(
            out,
            "udf_query_duration_seconds",
            &self.query_seconds.snapshot(),
        );
        sample(
            out,
            "udf_sessions",
            "gauge",
            "Live sessions.",
            gauges.sessions,
        );
        sample(
            out,
            "udf_sessions_opened_total",
            "counter",
            "Sessions opened since start.",
            load(&self.sessions_opened),
        );
        sample(
            out,
            "udf_authentication_failures_total",
            "counter",
            "Failed connect attempts.",
            load(&self.authentication_failures),
        );
        sample(
            out,
            "udf_logins_throttled_total",
            "counter",
            "Connect attempts refused because their user or address had too many failures.",
            load(&self.logins_throttled),
        );
        sample(
            out,
            "udf_functions",
            "gauge",
            "Registered function names.",
            gauges.functions,
        );
        sample(
            out,
            "udf_function_overloads",
            "gauge",
            "Registered overloads.",
            gauges.overloads,
        );
        sample(
            out,
            "udf_tables",
            "gauge",
            "Tables in the catalog.",
            gauges.tables,
        );
        if let Some((shipped, local)) = gauges.cluster_queries {
            header(
                out,
                "udf_cluster_queries_total",
                "counter",
                "Queries planned in cluster mode, by where they ran (`cluster`: sent to the \
                 Ballista scheduler; `local`: run by this server).",
            );
            let _ = writeln!(
                out,
                "udf_cluster_queries_total{{ran=\"cluster\"}} {shipped}"
            );
            let _ = writeln!(out, "udf_cluster_queries_total{{ran=\"local\"}} {local}");
        }
        if let Some(bytes) = gauges.resident_bytes {
            sample(
                out,
                "udf_resident_memory_bytes",
                "gauge",
                "Resident memory of the server process.",
                bytes,
            );
        }
    }
}

/// `# HELP` and `# TYPE` lines of a metric.
pub fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A metric without labels: its header and its one sample.
pub fn sample(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// `name_bucket{le=…}`, `name_sum`, `name_count` from a cumulative snapshot whose last
/// count is the `+Inf` bucket; `bounds` are the finite upper bounds.
pub fn render_histogram_with(
    out: &mut String,
    name: &str,
    bounds: &[f64],
    counts: &[u64],
    sum: f64,
) {
    for (le, count) in bounds.iter().zip(counts) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {count}");
    }
    let total = counts.last().copied().unwrap_or(0);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
    let _ = writeln!(out, "{name}_sum {sum:.6}");
    let _ = writeln!(out, "{name}_count {total}");
}

fn render_histogram(out: &mut String, name: &str, (counts, sum): &(Vec<u64>, f64)) {
    render_histogram_with(out, name, &LATENCY_BUCKETS, counts, *sum);
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Resident memory of this process, from `/proc/self/status` (Linux).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Serves `GET /metrics` on `listener` until `stop` is set; `render` makes the body.
pub struct MetricsEndpoint {
    listener: TcpListener,
}

/// The biggest request head accepted, and how long a client may take to send it.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

impl MetricsEndpoint {
    pub fn bind(addr: SocketAddr) -> std::io::Result<MetricsEndpoint> {
        let listener = TcpListener::bind(addr)?;
        Ok(MetricsEndpoint { listener })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves scrapes on a thread of its own; the listener lives as long as the process.
    pub fn spawn(
        self,
        render: impl Fn() -> String + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                for stream in self.listener.incoming() {
                    match stream {
                        Ok(stream) => {
                            if let Err(e) = answer(stream, &render) {
                                tracing::debug!(error = %e, "metrics request failed");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "metrics listener accept failed");
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            })
    }
}

fn answer(mut stream: TcpStream, render: &dyn Fn() -> String) -> std::io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let complete = loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            break true;
        }
        if head.len() > MAX_REQUEST_HEAD {
            break false;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break !head.is_empty();
        }
        head.extend_from_slice(&buf[..n]);
    };
    let request_line = String::from_utf8_lossy(&head);
    let mut words = request_line.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, content_type, body) = if !complete {
        (
            "431 Request Header Fields Too Large",
            "text/plain",
            "request head too large\n".to_string(),
        )
    } else if method != "GET" && method != "HEAD" {
        (
            "405 Method Not Allowed",
            "text/plain",
            "only GET is served\n".to_string(),
        )
    } else if path != "/metrics" && !path.starts_with("/metrics?") {
        (
            "404 Not Found",
            "text/plain",
            "metrics are at /metrics\n".to_string(),
        )
    } else {
        (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(),
        )
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let (counts, sum) = h.snapshot();
        assert_eq!(counts[0], 1);
        assert_eq!(counts[3], 2, "0.005 s bucket holds the first two");
        assert_eq!(*counts.last().unwrap(), 3);
        assert!((sum - 10.0031).abs() < 1e-6);
    }

    #[test]
    fn exposition_has_help_type_and_labels() {
        let m = Metrics::new();
        m.call("sql_execute", false);
        m.call("sql_execute", true);
        m.query(Duration::from_millis(2), false);
        let mut out = String::new();
        m.render(&Gauges::default(), &mut out);
        assert!(out.contains("# TYPE udf_thrift_calls_total counter"));
        assert!(out.contains("udf_thrift_calls_total{method=\"sql_execute\"} 2"));
        assert!(out.contains("udf_thrift_errors_total{method=\"sql_execute\"} 1"));
        assert!(out.contains("udf_query_duration_seconds_bucket{le=\"+Inf\"} 1"));
        assert!(out.contains("udf_query_duration_seconds_count 1"));
    }

    #[test]
    fn endpoint_serves_metrics_and_refuses_the_rest() {
        let endpoint = MetricsEndpoint::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = endpoint.local_addr().unwrap();
        endpoint.spawn(|| "udf_up 1\n".to_string()).unwrap();
        let get = |request: &[u8]| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(request).unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            reply
        };
        let ok = get(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        assert!(ok.ends_with("udf_up 1\n"));
        assert!(get(b"GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        assert!(get(b"POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        // Consumed whole before the refusal, so the reply is not lost to a reset.
        let garbage = vec![b'x'; 9_000];
        assert!(get(&garbage).starts_with("HTTP/1.1 431"));
        // Still serving after garbage.
        assert!(get(b"GET /metrics HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200"));
    }
}

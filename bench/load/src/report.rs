//! Counting, latency percentiles and the text report.

use std::fmt::Write as _;
use std::time::Duration;

use crate::Config;
use crate::client::Outcome;

/// The kinds of operation in the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// `CREATE OR REPLACE FUNCTION … LANGUAGE llvm`.
    CreateFunction,
    /// `register_runtime_extension_functions`.
    RegisterRuntime,
    /// `SELECT count(*), count(x), sum(x), sum(f(x))` over the client's own table.
    Query,
    /// The same over the shared table.
    QueryShared,
    /// `load_table_binary_columnar`.
    LoadColumnar,
    /// `INSERT INTO … VALUES …`.
    Insert,
    DropFunction,
    /// `DROP TABLE IF EXISTS` of the client's own table (a `CreateTable` follows).
    DropTable,
    CreateTable,
    /// Connecting and logging in (errors only; not an operation of the mix).
    Connect,
}

impl OpKind {
    pub const MIX: [OpKind; 9] = [
        OpKind::CreateFunction,
        OpKind::RegisterRuntime,
        OpKind::Query,
        OpKind::QueryShared,
        OpKind::LoadColumnar,
        OpKind::Insert,
        OpKind::DropFunction,
        OpKind::DropTable,
        OpKind::CreateTable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OpKind::CreateFunction => "create_function",
            OpKind::RegisterRuntime => "register_runtime",
            OpKind::Query => "query",
            OpKind::QueryShared => "query_shared",
            OpKind::LoadColumnar => "load_columnar",
            OpKind::Insert => "insert",
            OpKind::DropFunction => "drop_function",
            OpKind::DropTable => "drop_table",
            OpKind::CreateTable => "create_table",
            OpKind::Connect => "connect",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server answered with an error (`TDBException`).
    Server,
    /// The connection failed: no answer.
    Transport,
    /// The server answered, but not what the client's model says it must.
    WrongResult,
}

#[derive(Debug, Clone)]
pub struct OpError {
    pub client: Option<usize>,
    pub op: OpKind,
    /// The operation's number within its client.
    pub index: usize,
    pub kind: ErrorKind,
    pub message: String,
}

impl OpError {
    pub(crate) fn from_thrift(
        client: Option<usize>,
        op: OpKind,
        index: usize,
        what: &str,
        error: &udf_thrift::ThriftError,
    ) -> OpError {
        let kind = match error {
            udf_thrift::ThriftError::User(_) => ErrorKind::Server,
            _ => ErrorKind::Transport,
        };
        OpError {
            client,
            op,
            index,
            kind,
            message: format!("{what}: {}", udf_thrift::error_message(error)),
        }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let client = self
            .client
            .map_or_else(|| "setup".to_string(), |c| format!("client {c}"));
        let kind = match self.kind {
            ErrorKind::Server => "server error",
            ErrorKind::Transport => "transport error",
            ErrorKind::WrongResult => "wrong result",
        };
        write!(
            f,
            "{client}, op {} ({}): {kind}: {}",
            self.index,
            self.op.name(),
            self.message
        )
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub clients: usize,
    pub ops_per_client: usize,
    pub seed: u64,
    pub target: String,
    /// Operations attempted.
    pub ops: usize,
    pub errors: Vec<OpError>,
    pub wall: Duration,
    /// Latencies of the operations that got an answer, per kind (`OpKind::index`),
    /// sorted.
    latencies: Vec<Vec<Duration>>,
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Report {
    pub(crate) fn merge(config: &Config, wall: Duration, outcomes: Vec<Outcome>) -> Report {
        let mut latencies = vec![Vec::new(); OpKind::Connect.index() + 1];
        let mut errors = Vec::new();
        let mut ops = 0;
        for outcome in outcomes {
            ops += outcome.ops;
            for (kind, samples) in outcome.latencies.into_iter().enumerate() {
                latencies[kind].extend(samples);
            }
            errors.extend(outcome.errors);
        }
        for samples in &mut latencies {
            samples.sort();
        }
        Report {
            clients: config.clients,
            ops_per_client: config.ops,
            seed: config.seed,
            target: format!("{}:{}", config.host, config.port),
            ops,
            errors,
            wall,
            latencies,
        }
    }

    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Sorted latencies of one kind of operation.
    pub fn latencies(&self, kind: OpKind) -> &[Duration] {
        &self.latencies[kind.index()]
    }

    /// (p50, p99, max) of one kind.
    pub fn summary(&self, kind: OpKind) -> (Duration, Duration, Duration) {
        let s = self.latencies(kind);
        (
            percentile(s, 0.50),
            percentile(s, 0.99),
            s.last().copied().unwrap_or_default(),
        )
    }

    pub fn render(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "udf-load: {} clients × {} ops against {}, seed {}",
            self.clients, self.ops_per_client, self.target, self.seed
        );
        let _ = writeln!(
            out,
            "ops {}, errors {}, wall {:.2} s, throughput {:.1} ops/s",
            self.ops,
            self.errors.len(),
            self.wall.as_secs_f64(),
            self.throughput()
        );
        let _ = writeln!(
            out,
            "{:<17} {:>7} {:>9} {:>9} {:>9}",
            "op", "count", "p50 ms", "p99 ms", "max ms"
        );
        let row = |out: &mut String, name: &str, s: &[Duration]| {
            let _ = writeln!(
                out,
                "{name:<17} {:>7} {:>9.2} {:>9.2} {:>9.2}",
                s.len(),
                ms(percentile(s, 0.50)),
                ms(percentile(s, 0.99)),
                ms(s.last().copied().unwrap_or_default())
            );
        };
        for kind in OpKind::MIX {
            row(&mut out, kind.name(), self.latencies(kind));
        }
        let mut all: Vec<Duration> = OpKind::MIX
            .iter()
            .flat_map(|k| self.latencies(*k).iter().copied())
            .collect();
        all.sort();
        row(&mut out, "all", &all);
        for error in &self.errors {
            let _ = writeln!(out, "error: {error}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&s, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&s, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&s[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}

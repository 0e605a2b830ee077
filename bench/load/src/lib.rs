//! A concurrent mixed load against a udf-server over HeavyDB's Thrift protocol: N clients
//! (threads, one connection and session each) × M operations each — register functions
//! (SQL `CREATE OR REPLACE FUNCTION … LANGUAGE llvm` and runtime registration), query them
//! over tables with the results checked, load rows (`load_table_binary_columnar`,
//! `INSERT`), drop functions and re-create tables.
//!
//! Each client works on names of its own (`<prefix>_c<id>_…`), so no operation conflicts
//! with another by design and every result is predictable; all clients also read one
//! shared table. The one exception is the runtime set: a registration replaces the user's
//! whole set. With one user for all clients they share one set, and each registration
//! (under a lock) sends every client's runtime function with its own one updated — what a
//! real client with several functions does; with `user_per_client` each client is a user
//! of its own (`<user><id>`) with a set of its own.
//!
//! A [`Journal`] records every effect when it is sent and when it is acknowledged: after a
//! crash, what was acknowledged must be there, and what was only sent may or may not be.
//! The operation sequence of each client is a function of `--seed` and the client id.

mod client;
mod journal;
mod report;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use udf_thrift::{TColumn, TColumnData, THeavySyncClient};

pub use client::first_row;
pub use journal::{Effect, Entry, Journal, RuntimeFunction};
pub use report::{ErrorKind, OpError, OpKind, Report};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to {addr}: {message}")]
    Connect { addr: String, message: String },
    #[error("setting up the shared table `{table}` failed: {message}")]
    Setup { table: String, message: String },
    #[error("cannot write the journal {}: {source}", path.display())]
    Journal {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub clients: usize,
    /// Operations per client.
    pub ops: usize,
    pub seed: u64,
    /// Every name starts with it (`[a-z][a-z0-9]*`): runs with different prefixes against
    /// one server leave each other's tables and functions alone.
    pub prefix: String,
    /// A client stops at its first error of any kind (it always stops at a transport
    /// error: its connection is gone).
    pub stop_on_error: bool,
    /// Client `i` logs in as `<user><i>` (same password), so that each has a runtime set
    /// of its own; the shared table is set up as `user`.
    pub user_per_client: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: 6274,
            user: "admin".into(),
            password: "HyperInteractive".into(),
            clients: 32,
            ops: 1000,
            seed: 1,
            prefix: "load".into(),
            stop_on_error: false,
            user_per_client: false,
        }
    }
}

impl Config {
    fn check(&self) -> Result<()> {
        let mut chars = self.prefix.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !valid {
            // Names are SQL identifiers, and a runtime function's SQL name ends at its
            // first `__`.
            return Err(Error::Config(format!(
                "prefix `{}` must match [a-z][a-z0-9]*",
                self.prefix
            )));
        }
        if self.clients == 0 {
            return Err(Error::Config("at least one client is needed".into()));
        }
        Ok(())
    }

    pub fn shared_table(&self) -> String {
        format!("{}_shared", self.prefix)
    }

    /// The user client `id` logs in as.
    pub fn client_user(&self, id: usize) -> String {
        if self.user_per_client {
            format!("{}{id}", self.user)
        } else {
            self.user.clone()
        }
    }
}

/// Rows of the shared table: `x = i`, NULL for every tenth row.
pub const SHARED_ROWS: i64 = 1000;

/// What the shared table holds: (rows, non-NULL x, sum of x).
pub fn shared_contents() -> (i64, i64, i64) {
    let values = shared_values();
    let non_null = values.iter().flatten().count() as i64;
    (SHARED_ROWS, non_null, values.iter().flatten().sum())
}

fn shared_values() -> Vec<Option<i64>> {
    (0..SHARED_ROWS)
        .map(|i| (i % 10 != 9).then_some(i))
        .collect()
}

/// State all clients share.
pub(crate) struct Shared {
    /// Each user's runtime set as last acknowledged (SQL name → function): one for all
    /// clients, or one per client with `user_per_client`. The lock is held across a
    /// registration, so registrations of one user replace the set one after another.
    runtime: Vec<Mutex<BTreeMap<String, RuntimeFunction>>>,
    shared_table: (i64, i64, i64),
}

/// Runs the load and returns its report; errors of single operations are in the report,
/// an `Err` means the load could not start.
pub fn run(config: &Config, journal: Option<&Journal>) -> Result<Report> {
    config.check()?;
    setup(config, journal)?;
    let shared = Shared {
        runtime: (0..if config.user_per_client {
            config.clients
        } else {
            1
        })
            .map(|_| Mutex::new(BTreeMap::new()))
            .collect(),
        shared_table: shared_contents(),
    };
    let started = Instant::now();
    let outcomes: Vec<client::Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..config.clients)
            .map(|id| {
                let shared = &shared;
                scope.spawn(move || client::run(id, config, shared, journal))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a load client panicked"))
            .collect()
    });
    let wall = started.elapsed();
    Ok(Report::merge(config, wall, outcomes))
}

/// Connects and logs in.
pub(crate) fn login(
    config: &Config,
    user: &str,
) -> std::result::Result<(udf_thrift::client::Client, String), OpError> {
    let addr = format!("{}:{}", config.host, config.port);
    let mut c = udf_thrift::client::connect(&config.host, config.port, Duration::from_secs(10))
        .map_err(|e| OpError {
            client: None,
            op: OpKind::Connect,
            index: 0,
            kind: ErrorKind::Transport,
            message: format!("cannot connect to {addr}: {e}"),
        })?;
    let session = c
        .connect(user.to_string(), config.password.clone(), String::new())
        .map_err(|e| {
            OpError::from_thrift(None, OpKind::Connect, 0, &format!("login as `{user}`"), &e)
        })?;
    Ok((c, session))
}

/// (Re-)creates the shared table with its known contents.
fn setup(config: &Config, journal: Option<&Journal>) -> Result<()> {
    let table = config.shared_table();
    let (mut c, session) = login(config, &config.user).map_err(|e| Error::Connect {
        addr: format!("{}:{}", config.host, config.port),
        message: e.message,
    })?;
    let (rows, non_null, sum) = shared_contents();
    let steps = [
        Effect::TableDropped {
            table: table.clone(),
        },
        Effect::TableCreated {
            table: table.clone(),
        },
        Effect::Rows {
            table: table.clone(),
            batch: 0,
            rows,
            non_null,
            sum,
        },
    ];
    for effect in steps {
        let id = journal.map(|j| j.sent(None, effect.clone()));
        let s = session.clone();
        let result = match effect {
            Effect::TableDropped { .. } => c
                .sql_execute(
                    s,
                    format!("DROP TABLE IF EXISTS {table}"),
                    true,
                    String::new(),
                    -1,
                    -1,
                )
                .map(drop),
            Effect::TableCreated { .. } => c
                .sql_execute(
                    s,
                    format!("CREATE TABLE {table} (batch BIGINT NOT NULL, x BIGINT)"),
                    true,
                    String::new(),
                    -1,
                    -1,
                )
                .map(drop),
            _ => c.load_table_binary_columnar(
                s,
                table.clone(),
                columns(0, &shared_values()),
                Vec::new(),
            ),
        };
        result.map_err(|e| Error::Setup {
            table: table.clone(),
            message: udf_thrift::error_message(&e),
        })?;
        if let (Some(journal), Some(id)) = (journal, id) {
            journal.acknowledged(id);
        }
    }
    let _ = c.disconnect(session);
    Ok(())
}

/// The columns `(batch, x)` of one load.
pub(crate) fn columns(batch: i64, values: &[Option<i64>]) -> Vec<TColumn> {
    let n = values.len();
    vec![
        TColumn::new(
            TColumnData::new(vec![batch; n], Vec::new(), Vec::new(), Vec::new()),
            vec![false; n],
        ),
        TColumn::new(
            TColumnData::new(
                values.iter().map(|v| v.unwrap_or(0)).collect::<Vec<_>>(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            ),
            values.iter().map(Option::is_none).collect::<Vec<_>>(),
        ),
    ]
}

/// `name(x) = x * mul + version` as an LLVM IR function of symbol `symbol`.
pub fn function_ir(symbol: &str, mul: i64, version: i64) -> String {
    format!(
        "define i64 @{symbol}(i64 %x) {{\n  %m = mul i64 %x, {mul}\n  %r = add i64 %m, {version}\n  ret i64 %r\n}}\n"
    )
}

/// xorshift64*, seeded through splitmix64 so that nearby seeds give unrelated sequences.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut z = seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(z | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

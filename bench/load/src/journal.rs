//! What the load changed, as the clients saw it: every effect is entered when its request
//! is sent and marked when the server acknowledges it. After a crash the acknowledged
//! entries must all be there; an entry sent but never acknowledged (at most one per
//! client, its last) may be there entirely or not at all.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::{Error, Result};

/// A function of the user's runtime set: `name(x) = x * mul + version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFunction {
    pub name: String,
    pub mul: i64,
    pub version: i64,
}

/// One change to the server's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `CREATE OR REPLACE FUNCTION name(BIGINT)`: `name(x) = x * mul + version`.
    Function {
        name: String,
        mul: i64,
        version: i64,
    },
    FunctionDropped {
        name: String,
    },
    /// A runtime registration: `user`'s whole runtime set afterwards.
    RuntimeSet {
        user: String,
        functions: Vec<RuntimeFunction>,
    },
    /// An empty `(batch BIGINT NOT NULL, x BIGINT)` table.
    TableCreated {
        table: String,
    },
    /// Absent afterwards (`DROP TABLE IF EXISTS`).
    TableDropped {
        table: String,
    },
    /// One load or `INSERT`: `rows` rows with `batch = batch`, `non_null` of them with a
    /// non-NULL `x`, summing to `sum`.
    Rows {
        table: String,
        batch: i64,
        rows: i64,
        non_null: i64,
        sum: i64,
    },
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Function { name, mul, version } => {
                write!(
                    f,
                    "function {name} version {version} (x * {mul} + {version})"
                )
            }
            Effect::FunctionDropped { name } => write!(f, "drop function {name}"),
            Effect::RuntimeSet { user, functions } => {
                write!(f, "runtime set of {user}:")?;
                for func in functions {
                    write!(f, " {} version {}", func.name, func.version)?;
                }
                Ok(())
            }
            Effect::TableCreated { table } => write!(f, "create table {table}"),
            Effect::TableDropped { table } => write!(f, "drop table {table}"),
            Effect::Rows {
                table,
                batch,
                rows,
                non_null,
                sum,
            } => write!(
                f,
                "rows {table} batch {batch}: {rows} rows, {non_null} non-NULL, sum {sum}"
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// `None`: the set-up before the clients start.
    pub client: Option<usize>,
    pub effect: Effect,
    pub acknowledged: bool,
}

/// Entries in the order they were sent (the id of an entry is its index). A client's
/// entries are in its order; runtime sets, sent under one lock, in theirs.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<Vec<Entry>>,
    file: Option<Mutex<FileSink>>,
}

#[derive(Debug)]
struct FileSink {
    path: PathBuf,
    out: BufWriter<File>,
    /// The first write error; later writes are skipped.
    failed: Option<std::io::Error>,
}

impl Journal {
    /// A journal kept in memory only.
    pub fn new() -> Journal {
        Journal::default()
    }

    /// A journal also written to `path`, one line per event: `sent <id> <client> <effect>`
    /// and `ack <id> <client> <effect>`.
    pub fn with_file(path: &Path) -> Result<Journal> {
        let file = File::create(path).map_err(|source| Error::Journal {
            path: path.to_owned(),
            source,
        })?;
        Ok(Journal {
            entries: Mutex::default(),
            file: Some(Mutex::new(FileSink {
                path: path.to_owned(),
                out: BufWriter::new(file),
                failed: None,
            })),
        })
    }

    /// Enters `effect` as sent; returns its id.
    pub fn sent(&self, client: Option<usize>, effect: Effect) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let id = entries.len();
        self.write("sent", id, client, &effect);
        entries.push(Entry {
            client,
            effect,
            acknowledged: false,
        });
        id
    }

    /// Marks entry `id` acknowledged by the server.
    pub fn acknowledged(&self, id: usize) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(id) {
            entry.acknowledged = true;
            let (client, effect) = (entry.client, entry.effect.clone());
            self.write("ack", id, client, &effect);
        }
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Flushes the file; the first write error, if any.
    pub fn finish(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        if file.failed.is_none()
            && let Err(e) = file.out.flush()
        {
            file.failed = Some(e);
        }
        match file.failed.take() {
            Some(source) => Err(Error::Journal {
                path: file.path.clone(),
                source,
            }),
            None => Ok(()),
        }
    }

    fn write(&self, event: &str, id: usize, client: Option<usize>, effect: &Effect) {
        let Some(file) = &self.file else {
            return;
        };
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        if file.failed.is_some() {
            return;
        }
        let client = client.map_or_else(|| "setup".to_string(), |c| format!("client {c}"));
        // Flushed per line: the file is read after a crash of the server, and the line of
        // an acknowledgement must not wait in a buffer.
        let result =
            writeln!(file.out, "{event} {id} {client}: {effect}").and_then(|()| file.out.flush());
        if let Err(e) = result {
            file.failed = Some(e);
        }
    }
}

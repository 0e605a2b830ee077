//! The acceptance test of the data directory: a client streams changes through the Thrift
//! API while the daemon is killed with SIGKILL at a random moment, round after round.
//! After each restart every acknowledged change must be there (functions callable with the
//! right result, every acknowledged row), every acknowledged drop must have stayed dropped,
//! and the one change in flight at the kill must be all there or not at all.
//!
//! `UDF_DURABILITY_SEED=<n>` replays a run (the seed is printed); `UDF_DURABILITY_ROUNDS`
//! changes the number of rounds (default 24). `--nocapture` shows per-round statistics.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use db_glue::arrow::array::{Int64Array, RecordBatch};
use db_glue::arrow::ipc::writer::StreamWriter;
use udf_thrift::client::Client;
use udf_thrift::{THeavySyncClient, TQueryResult, TStringRow, TStringValue, ThriftError};

mod common;
use common::{Daemon, PASSWORD};

/// xorshift64*: enough randomness for delays and choices, and replayable from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One change the client sends.
#[derive(Debug, Clone)]
enum Change {
    /// `name(a) = a + add`.
    CreateFunction {
        name: String,
        add: i64,
    },
    DropFunction {
        name: String,
    },
    CreateTable {
        name: String,
    },
    DropTable {
        name: String,
    },
    /// Rows `(batch, v)` for v in `values`, through SQL, `load_table` or Arrow.
    Insert {
        table: String,
        batch: i64,
        values: Vec<i64>,
        how: Load,
    },
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::CreateFunction { .. } => "create function",
            Change::DropFunction { .. } => "drop function",
            Change::CreateTable { .. } => "create table",
            Change::DropTable { .. } => "drop table",
            Change::Insert { how: Load::Sql, .. } => "INSERT",
            Change::Insert {
                how: Load::Rows, ..
            } => "load_table",
            Change::Insert {
                how: Load::Arrow, ..
            } => "arrow load",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Load {
    Sql,
    Rows,
    Arrow,
}

/// What must be true after a restart.
#[derive(Debug, Default)]
struct Model {
    functions: BTreeMap<String, i64>,
    dropped_functions: BTreeSet<String>,
    /// Each table's batches: id → (rows, sum of v).
    tables: BTreeMap<String, BTreeMap<i64, (i64, i64)>>,
    dropped_tables: BTreeSet<String>,
}

impl Model {
    fn apply(&mut self, change: &Change) {
        match change {
            Change::CreateFunction { name, add } => {
                self.dropped_functions.remove(name);
                self.functions.insert(name.clone(), *add);
            }
            Change::DropFunction { name } => {
                self.functions.remove(name);
                self.dropped_functions.insert(name.clone());
            }
            Change::CreateTable { name } => {
                self.dropped_tables.remove(name);
                self.tables.insert(name.clone(), BTreeMap::new());
            }
            Change::DropTable { name } => {
                self.tables.remove(name);
                self.dropped_tables.insert(name.clone());
            }
            Change::Insert {
                table,
                batch,
                values,
                ..
            } => {
                if let Some(batches) = self.tables.get_mut(table) {
                    batches.insert(*batch, (values.len() as i64, values.iter().sum()));
                }
            }
        }
    }
}

/// What the client thread saw: changes acknowledged, in order, and the one in flight when
/// the connection died.
#[derive(Debug, Default)]
struct Log {
    acknowledged: Vec<Change>,
    in_flight: Option<Change>,
    /// A change the live server refused: a bug.
    refused: Option<String>,
}

fn ir(name: &str, add: i64) -> String {
    format!("define i64 @{name}(i64 %a) {{\n  %r = add i64 %a, {add}\n  ret i64 %r\n}}\n")
}

fn arrow_stream(batch: i64, values: &[i64]) -> Vec<u8> {
    let batch = RecordBatch::try_from_iter(vec![
        (
            "batch",
            Arc::new(Int64Array::from(vec![batch; values.len()])) as _,
        ),
        ("v", Arc::new(Int64Array::from(values.to_vec())) as _),
    ])
    .unwrap();
    let mut bytes = Vec::new();
    let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    bytes
}

fn sql(c: &mut Client, session: &str, sql: String) -> Result<TQueryResult, ThriftError> {
    c.sql_execute(session.into(), sql, true, String::new(), -1, -1)
}

fn send(c: &mut Client, session: &str, change: &Change) -> Result<(), ThriftError> {
    match change {
        Change::CreateFunction { name, add } => sql(
            c,
            session,
            format!(
                "CREATE FUNCTION {name}(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${}$$",
                ir(name, *add)
            ),
        )
        .map(drop),
        Change::DropFunction { name } => sql(c, session, format!("DROP FUNCTION {name}")).map(drop),
        Change::CreateTable { name } => sql(
            c,
            session,
            format!("CREATE TABLE {name} (batch BIGINT NOT NULL, v BIGINT)"),
        )
        .map(drop),
        Change::DropTable { name } => sql(c, session, format!("DROP TABLE {name}")).map(drop),
        Change::Insert {
            table,
            batch,
            values,
            how: Load::Sql,
        } => {
            let rows: Vec<String> = values.iter().map(|v| format!("({batch}, {v})")).collect();
            sql(
                c,
                session,
                format!("INSERT INTO {table} VALUES {}", rows.join(", ")),
            )
            .map(drop)
        }
        Change::Insert {
            table,
            batch,
            values,
            how: Load::Rows,
        } => {
            let text = |s: String| TStringValue {
                str_val: Some(s),
                is_null: Some(false),
            };
            let rows = values
                .iter()
                .map(|v| TStringRow {
                    cols: Some(vec![text(batch.to_string()), text(v.to_string())]),
                })
                .collect();
            c.load_table(session.into(), table.clone(), rows, Vec::new())
        }
        Change::Insert {
            table,
            batch,
            values,
            how: Load::Arrow,
        } => c.load_table_binary_arrow(
            session.into(),
            table.clone(),
            arrow_stream(*batch, values),
            false,
        ),
    }
}

/// The client of one round: changes until the connection dies.
fn client(port: u16, round: usize, seed: u64, model: &Model, log: &Mutex<Log>) {
    let mut rng = Rng(seed | 1);
    // Killed before the login went through: nothing to do this round.
    let Ok(mut c) = udf_thrift::client::connect("127.0.0.1", port, Duration::from_secs(5)) else {
        return;
    };
    let Ok(session) = c.connect("admin".into(), PASSWORD.into(), String::new()) else {
        return;
    };
    let mut functions: Vec<String> = model.functions.keys().cloned().collect();
    let mut tables: Vec<String> = model.tables.keys().cloned().collect();
    let mut next_batch = (round as i64) * 1_000_000;
    for i in 0.. {
        // Per ten changes: two functions created and (once there are a few) two dropped,
        // a table created and one dropped, the rest inserts of all three kinds.
        let change = match i % 10 {
            0 | 4 => Change::CreateFunction {
                name: format!("f_{round}_{i}"),
                add: (round * 1000 + i) as i64,
            },
            1 => Change::CreateTable {
                name: format!("t_{round}_{i}"),
            },
            5 | 9 if functions.len() > 6 => Change::DropFunction {
                name: functions.remove(rng.below(functions.len() as u64) as usize),
            },
            7 if tables.len() > 6 => Change::DropTable {
                // Not the newest: inserts go there.
                name: tables.remove(rng.below(tables.len() as u64 - 1) as usize),
            },
            _ => {
                let Some(table) = tables.last().cloned() else {
                    continue;
                };
                next_batch += 1;
                let n = 1 + rng.below(50) as usize;
                let values = (0..n).map(|_| rng.below(1_000_000) as i64).collect();
                let how = [Load::Sql, Load::Rows, Load::Arrow][rng.below(3) as usize];
                Change::Insert {
                    table,
                    batch: next_batch,
                    values,
                    how,
                }
            }
        };
        log.lock().unwrap().in_flight = Some(change.clone());
        match send(&mut c, &session, &change) {
            Ok(()) => {
                let mut log = log.lock().unwrap();
                log.in_flight = None;
                log.acknowledged.push(change.clone());
                match &change {
                    Change::CreateFunction { name, .. } => functions.push(name.clone()),
                    Change::CreateTable { name } => tables.push(name.clone()),
                    _ => {}
                }
            }
            Err(ThriftError::User(e)) => {
                log.lock().unwrap().refused = Some(format!("{change:?}: {e}"));
                return;
            }
            // Killed.
            Err(_) => return,
        }
    }
}

fn integers(result: &TQueryResult, column: usize) -> Vec<Option<i64>> {
    let columns = result.row_set.as_ref().unwrap().columns.as_ref().unwrap();
    let column = &columns[column];
    let values = column
        .data
        .as_ref()
        .unwrap()
        .int_col
        .clone()
        .unwrap_or_default();
    let nulls = column.nulls.clone().unwrap_or_default();
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| (!nulls.get(i).copied().unwrap_or(false)).then_some(v))
        .collect()
}

/// Checks the restarted server against `model`, accepting `in_flight` done or not done
/// (whole, and then added to `model`); returns whether it was done.
fn verify(server: &Daemon, model: &mut Model, in_flight: Option<&Change>, round: usize) -> bool {
    let mut in_flight_done = false;
    let (mut c, session) = server.client();
    let listed = c.udf_list_functions(session.clone()).unwrap();
    let present: BTreeSet<String> = listed.into_iter().filter_map(|f| f.name).collect();
    // The change in flight: done or not, but never half.
    if let Some(change) = in_flight {
        let done = match change {
            Change::CreateFunction { name, .. } => present.contains(name),
            Change::DropFunction { name } => !present.contains(name),
            Change::CreateTable { name } => c.get_tables(session.clone()).unwrap().contains(name),
            Change::DropTable { name } => !c.get_tables(session.clone()).unwrap().contains(name),
            Change::Insert {
                table,
                batch,
                values,
                ..
            } => {
                let found = sql(
                    &mut c,
                    &session,
                    format!("SELECT count(*), sum(v) FROM {table} WHERE batch = {batch}"),
                )
                .unwrap();
                let count = integers(&found, 0)[0].unwrap_or(0);
                assert!(
                    count == 0 || count == values.len() as i64,
                    "round {round}: the insert in flight is partly there ({count} of {} rows): {change:?}",
                    values.len()
                );
                if count > 0 {
                    assert_eq!(integers(&found, 1)[0], Some(values.iter().sum()));
                }
                count > 0
            }
        };
        if done {
            model.apply(change);
        }
        in_flight_done = done;
    }
    let expected: BTreeSet<String> = model.functions.keys().cloned().collect();
    assert_eq!(
        present, expected,
        "round {round}: the functions differ from the acknowledged ones"
    );
    for (name, add) in &model.functions {
        let result = sql(&mut c, &session, format!("SELECT {name}(1)"))
            .unwrap_or_else(|e| panic!("round {round}: {name}: {}", udf_thrift::error_message(&e)));
        assert_eq!(
            integers(&result, 0),
            [Some(1 + add)],
            "round {round}: {name}(1)"
        );
    }
    let tables: BTreeSet<String> = c.get_tables(session.clone()).unwrap().into_iter().collect();
    let expected: BTreeSet<String> = model.tables.keys().cloned().collect();
    assert_eq!(tables, expected, "round {round}: the tables differ");
    for (table, batches) in &model.tables {
        let result = sql(
            &mut c,
            &session,
            format!("SELECT batch, count(*), sum(v) FROM {table} GROUP BY batch ORDER BY batch"),
        )
        .unwrap();
        let found: BTreeMap<i64, (i64, i64)> = integers(&result, 0)
            .into_iter()
            .zip(integers(&result, 1))
            .zip(integers(&result, 2))
            .map(|((b, n), s)| (b.unwrap(), (n.unwrap(), s.unwrap())))
            .collect();
        assert_eq!(&found, batches, "round {round}: the rows of {table} differ");
    }
    let _ = c.disconnect(session);
    in_flight_done
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    let seed = std::env::var("UDF_DURABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let rounds: usize = std::env::var("UDF_DURABILITY_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    println!("seed {seed} (UDF_DURABILITY_SEED={seed} replays the kill times and choices)");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut model = Model::default();
    let (mut acknowledged, mut in_flight_done, mut in_flight_total) = (0usize, 0usize, 0usize);
    let mut restarts = Vec::new();
    let started = Instant::now();
    // No GPU: the rounds measure the data directory, not device start-up.
    let start = || Daemon::start(&data, &["--no-gpu"]);
    let mut server = start();
    println!("first start {:?}", server.started_in);
    for round in 0..rounds {
        let delay = Duration::from_millis(5 + rng.below(300));
        let client_seed = rng.next();
        let log = Mutex::new(Log::default());
        let port = server.port;
        std::thread::scope(|scope| {
            let client = scope.spawn(|| client(port, round, client_seed, &model, &log));
            std::thread::sleep(delay);
            // SIGKILL: no chance to finish anything.
            server.kill();
            client.join().unwrap();
        });
        let log = log.into_inner().unwrap();
        assert!(
            log.refused.is_none(),
            "round {round}: the server refused {:?}",
            log.refused
        );
        for change in &log.acknowledged {
            model.apply(change);
        }
        server = start();
        let took = server.started_in;
        restarts.push(took);
        let done = verify(&server, &mut model, log.in_flight.as_ref(), round);
        acknowledged += log.acknowledged.len();
        let in_flight = match &log.in_flight {
            Some(change) => {
                in_flight_total += 1;
                in_flight_done += usize::from(done);
                format!(
                    "{} ({})",
                    change.kind(),
                    if done { "done" } else { "not done" }
                )
            }
            None => "none".to_string(),
        };
        let rows: i64 = model
            .tables
            .values()
            .flat_map(|b| b.values().map(|(n, _)| n))
            .sum();
        println!(
            "round {round:2}: killed after {delay:>5?}, {:3} changes acknowledged, in flight: \
             {in_flight:<27} restart {took:>7.1?}; now {} functions, {} tables, {rows} rows",
            log.acknowledged.len(),
            model.functions.len(),
            model.tables.len(),
        );
    }
    server.kill();
    restarts.sort();
    let total: Duration = restarts.iter().sum();
    println!(
        "totals: {rounds} kills, {acknowledged} changes acknowledged and all found after \
         restarts; {in_flight_total} changes in flight at a kill ({in_flight_done} done, the \
         rest absent, none partial); restart to listening: min {:?}, median {:?}, max {:?}, \
         mean {:?}; whole run {:?}",
        restarts[0],
        restarts[restarts.len() / 2],
        restarts[restarts.len() - 1],
        total / restarts.len() as u32,
        started.elapsed()
    );
    assert!(
        acknowledged > rounds,
        "too few changes got through to test anything"
    );
}

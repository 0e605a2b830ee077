//! kill -9 under concurrent load: `udf-load`'s clients (8 × 200 operations: functions
//! created, replaced, registered at run time and dropped, tables loaded, dropped and
//! re-created, queries checked) run against the daemon, which is SIGKILLed 1–3 s into the
//! load (chosen by the seed), round after round on the same data directory. After each restart everything
//! any client saw acknowledged, in this round or an earlier one, must be there: every
//! function with its acknowledged version (its value says which), none that an
//! acknowledged drop removed, the runtime set as last acknowledged, every table with
//! exactly its acknowledged batches — plus, for the one operation per client that was in
//! flight, either all of it or nothing.
//!
//! `UDF_LOAD_KILL_SEED=<n>` replays the clients' choices (the seed is printed);
//! `UDF_LOAD_KILL_ROUNDS` sets the number of rounds (default 5). `--nocapture` shows the
//! numbers per round.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use udf_load::{Config, Effect, ErrorKind, Journal, first_row};
use udf_thrift::THeavySyncClient;
use udf_thrift::client::Client;

mod common;
use common::{Daemon, PASSWORD};

/// (rows, non-NULL x, sum of x) of one batch.
type Batch = (i64, i64, i64);

/// What the server must hold: the acknowledged effects of every round, applied in order.
#[derive(Debug, Default)]
struct Model {
    /// SQL functions: name → (mul, version); `name(x) = x * mul + version`.
    functions: BTreeMap<String, (i64, i64)>,
    /// The runtime set of each user that registered one: name → (mul, version).
    runtime: BTreeMap<String, BTreeMap<String, (i64, i64)>>,
    tables: BTreeMap<String, BTreeMap<i64, Batch>>,
}

impl Model {
    fn apply(&mut self, effect: &Effect) {
        match effect {
            Effect::Function { name, mul, version } => {
                self.functions.insert(name.clone(), (*mul, *version));
            }
            Effect::FunctionDropped { name } => {
                self.functions.remove(name);
            }
            Effect::RuntimeSet { user, functions } => {
                let set = functions
                    .iter()
                    .map(|f| (f.name.clone(), (f.mul, f.version)))
                    .collect();
                self.runtime.insert(user.clone(), set);
            }
            Effect::TableCreated { table } => {
                self.tables.insert(table.clone(), BTreeMap::new());
            }
            Effect::TableDropped { table } => {
                self.tables.remove(table);
            }
            Effect::Rows {
                table,
                batch,
                rows,
                non_null,
                sum,
            } => {
                let batches = self.tables.get_mut(table).unwrap_or_else(|| {
                    panic!("rows acknowledged for `{table}`, which does not exist")
                });
                batches.insert(*batch, (*rows, *non_null, *sum));
            }
        }
    }
}

fn kind(effect: &Effect) -> &'static str {
    match effect {
        Effect::Function { .. } => "create function",
        Effect::FunctionDropped { .. } => "drop function",
        Effect::RuntimeSet { .. } => "runtime registration",
        Effect::TableCreated { .. } => "create table",
        Effect::TableDropped { .. } => "drop table",
        Effect::Rows { .. } => "rows",
    }
}

/// The restarted server, looked at.
struct Observed {
    /// SQL functions → `f(1)`, `None` when the call failed.
    functions: BTreeMap<String, Option<i64>>,
    /// User → their runtime functions → `f(1)`.
    runtime: BTreeMap<String, BTreeMap<String, Option<i64>>>,
    tables: BTreeMap<String, BTreeMap<i64, Batch>>,
}

fn row(c: &mut Client, session: &str, sql: &str) -> Result<Vec<Option<i64>>, String> {
    let result = c
        .sql_execute(session.into(), sql.into(), true, String::new(), -1, -1)
        .map_err(|e| format!("`{sql}`: {}", udf_thrift::error_message(&e)))?;
    first_row(&result).map_err(|e| format!("`{sql}`: {e}"))
}

fn observe(c: &mut Client, session: &str) -> Observed {
    let mut functions = BTreeMap::new();
    let mut runtime = BTreeMap::new();
    for f in c.udf_list_functions(session.into()).unwrap() {
        let name = f.name.unwrap();
        let value = row(c, session, &format!("SELECT {name}(1)"))
            .ok()
            .and_then(|r| r[0]);
        let origin = f.origin.unwrap_or_default();
        if let Some(user) = origin.strip_prefix("heavydb:") {
            runtime
                .entry(user.to_string())
                .or_insert_with(BTreeMap::new)
                .insert(name, value);
        } else {
            functions.insert(name, value);
        }
    }
    let mut tables = BTreeMap::new();
    for table in c.get_tables(session.into()).unwrap() {
        let sql = format!(
            "SELECT batch, count(*), count(x), coalesce(sum(x), 0) FROM {table} GROUP BY batch"
        );
        let result = c
            .sql_execute(session.into(), sql, true, String::new(), -1, -1)
            .unwrap_or_else(|e| panic!("{table}: {}", udf_thrift::error_message(&e)));
        let columns = result.row_set.unwrap().columns.unwrap();
        let ints = |i: usize| {
            columns[i]
                .data
                .as_ref()
                .unwrap()
                .int_col
                .clone()
                .unwrap_or_default()
        };
        let (batch, rows, non_null, sum) = (ints(0), ints(1), ints(2), ints(3));
        let batches = (0..batch.len())
            .map(|i| (batch[i], (rows[i], non_null[i], sum[i])))
            .collect();
        tables.insert(table, batches);
    }
    Observed {
        functions,
        runtime,
        tables,
    }
}

/// Whether the in-flight `effect` happened, given the state before it (`model`) and after
/// the restart (`seen`); `Err` if it is neither all there nor absent.
fn resolve(effect: &Effect, model: &Model, seen: &Observed) -> Result<bool, String> {
    match effect {
        Effect::Function { name, mul, version } => {
            let found = seen.functions.get(name).copied().flatten();
            let before = model.functions.get(name).map(|(m, v)| m + v);
            if found == Some(mul + version) {
                Ok(true)
            } else if found == before {
                Ok(false)
            } else {
                Err(format!(
                    "{name}(1) = {found:?}: neither the version in flight ({}) nor the one before ({before:?})",
                    mul + version
                ))
            }
        }
        Effect::FunctionDropped { name } => Ok(!seen.functions.contains_key(name)),
        Effect::RuntimeSet { user, functions } => {
            let value =
                |set: &mut dyn Iterator<Item = (String, i64)>| -> BTreeMap<String, Option<i64>> {
                    set.map(|(n, v)| (n, Some(v))).collect()
                };
            let after = value(
                &mut functions
                    .iter()
                    .map(|f| (f.name.clone(), f.mul + f.version)),
            );
            let before = value(
                &mut model
                    .runtime
                    .get(user)
                    .into_iter()
                    .flatten()
                    .map(|(n, (m, v))| (n.clone(), m + v)),
            );
            let found = seen.runtime.get(user).cloned().unwrap_or_default();
            if found == after {
                Ok(true)
            } else if found == before {
                Ok(false)
            } else {
                Err(format!(
                    "the runtime set of {user} is {found:?}: neither the set in flight {after:?} \
                     nor the one before {before:?}"
                ))
            }
        }
        Effect::TableCreated { table } => match seen.tables.get(table) {
            Some(batches) if batches.is_empty() => Ok(true),
            Some(batches) => Err(format!("{table}, created in flight, has rows: {batches:?}")),
            None => Ok(false),
        },
        Effect::TableDropped { table } => Ok(!seen.tables.contains_key(table)),
        Effect::Rows {
            table,
            batch,
            rows,
            non_null,
            sum,
        } => match seen.tables.get(table).and_then(|b| b.get(batch)) {
            None => Ok(false),
            Some(found) if *found == (*rows, *non_null, *sum) => Ok(true),
            Some(found) => Err(format!(
                "{table} batch {batch} is partly there: {found:?} of {:?}",
                (rows, non_null, sum)
            )),
        },
    }
}

/// Every difference between the server and the model (acknowledged effects lost, dropped
/// ones back, wrong versions or rows).
fn differences(model: &Model, seen: &Observed) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = |set: &BTreeMap<String, (i64, i64)>| -> BTreeMap<String, Option<i64>> {
        set.iter()
            .map(|(n, (m, v))| (n.clone(), Some(m + v)))
            .collect()
    };
    let mut sets = vec![(
        "SQL function".to_string(),
        expect(&model.functions),
        seen.functions.clone(),
    )];
    let users: BTreeSet<&String> = model.runtime.keys().chain(seen.runtime.keys()).collect();
    for user in users {
        sets.push((
            format!("runtime function of {user}"),
            model.runtime.get(user).map(expect).unwrap_or_default(),
            seen.runtime.get(user).cloned().unwrap_or_default(),
        ));
    }
    for (what, expected, found) in &sets {
        let names: BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
        for name in names {
            let (e, f) = (expected.get(name), found.get(name));
            if e != f {
                problems.push(format!("{what} {name}: f(1) expected {e:?}, found {f:?}"));
            }
        }
    }
    let names: BTreeSet<&String> = model.tables.keys().chain(seen.tables.keys()).collect();
    for name in names {
        let (e, f) = (model.tables.get(name), seen.tables.get(name));
        if e != f {
            problems.push(format!("table {name}: expected {e:?}, found {f:?}"));
        }
    }
    problems
}

/// Each SQL function over its client's table: the kernels still run on stored rows.
fn functions_run_over_tables(c: &mut Client, session: &str, model: &Model) -> usize {
    let mut checked = 0;
    for (name, (mul, version)) in &model.functions {
        // `<round>_c<client>_f<k>` → `<round>_c<client>_t`.
        let table = format!("{}_t", &name[..name.rfind('_').unwrap()]);
        let Some(batches) = model.tables.get(&table) else {
            continue;
        };
        let (non_null, sum) = batches
            .values()
            .fold((0, 0), |(n, s), (_, bn, bs)| (n + bn, s + bs));
        let found = row(
            c,
            session,
            &format!("SELECT count(x), coalesce(sum({name}(x)), 0) FROM {table}"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            found,
            [Some(non_null), Some(mul * sum + version * non_null)],
            "{name} over {table}"
        );
        checked += 1;
    }
    checked
}

const CLIENTS: usize = 8;

#[test]
fn acknowledged_effects_survive_sigkill_under_load() {
    let seed: u64 = std::env::var("UDF_LOAD_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let rounds: usize = std::env::var("UDF_LOAD_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    println!("seed {seed} (UDF_LOAD_KILL_SEED={seed} replays the clients' choices)");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Users `admin0`…`admin7` for the rounds where each client is a user of its own
    // (`admin` keeps its default password).
    let config_file = dir.path().join("udf-server.toml");
    let users: String = (0..CLIENTS)
        .map(|i| format!("[users.admin{i}]\npassword = \"{PASSWORD}\"\nsuperuser = true\n"))
        .collect();
    std::fs::write(&config_file, users).unwrap();
    let config_arg = config_file.to_str().unwrap();
    // No GPU: the rounds measure the data directory, not device start-up.
    let start = || Daemon::start(&data, &["--no-gpu", "--config", config_arg]);
    let mut server = start();
    let mut model = Model::default();
    let (mut acknowledged_total, mut in_flight_total, mut done_total) = (0, 0, 0);
    let mut killed_mid_load = 0;
    let mut rng = udf_load::Rng::new(seed, u64::MAX);
    for round in 0..rounds {
        let config = Config {
            port: server.port,
            password: PASSWORD.into(),
            clients: CLIENTS,
            ops: 200,
            seed: seed.wrapping_add(round as u64),
            prefix: format!("r{round}"),
            // Even rounds: one user, one runtime set shared by all clients (registrations
            // take turns); odd rounds: a user and a set per client.
            user_per_client: round % 2 == 1,
            ..Config::default()
        };
        let journal = Journal::new();
        let kill_after = Duration::from_millis(1000 + rng.below(2000));
        let load_started = Instant::now();
        let (report, finished_first) = std::thread::scope(|scope| {
            let load = scope.spawn(|| udf_load::run(&config, Some(&journal)));
            while load_started.elapsed() < kill_after && !load.is_finished() {
                std::thread::sleep(Duration::from_millis(10));
            }
            let finished_first = load.is_finished();
            // SIGKILL: no chance to finish anything.
            server.kill();
            (load.join().unwrap(), finished_first)
        });
        let killed_after = load_started.elapsed();
        let report =
            report.unwrap_or_else(|e| panic!("round {round}: the load did not start: {e}"));
        // A live server never refuses or answers wrongly; after the kill, the clients see
        // their connections fail.
        let bad: Vec<String> = report
            .errors
            .iter()
            .filter(|e| e.kind != ErrorKind::Transport)
            .map(|e| e.to_string())
            .collect();
        assert!(
            bad.is_empty(),
            "round {round}: errors before the kill:\n{}",
            bad.join("\n")
        );

        let entries = journal.entries();
        let mut in_flight = Vec::new();
        let mut last_of_client = BTreeMap::new();
        for (id, entry) in entries.iter().enumerate() {
            last_of_client.insert(entry.client, id);
        }
        let mut acknowledged = 0;
        for (id, entry) in entries.iter().enumerate() {
            if entry.acknowledged {
                model.apply(&entry.effect);
                acknowledged += 1;
            } else {
                // A client stops at its first failure: only its last request can be open.
                assert_eq!(
                    last_of_client[&entry.client], id,
                    "round {round}: client {:?} went on after an unacknowledged {}",
                    entry.client, entry.effect
                );
                in_flight.push(entry.effect.clone());
            }
        }

        server = start();
        let restart = server.started_in;
        let (mut c, session) = server.client();
        let seen = observe(&mut c, &session);
        let mut resolved: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        // Resolved against the state before any of them: in-flight effects of different
        // clients touch different names (the runtime set has at most one in flight).
        let mut done_effects = Vec::new();
        for effect in &in_flight {
            let done = resolve(effect, &model, &seen)
                .unwrap_or_else(|e| panic!("round {round}: in flight: {effect}: {e}"));
            let counts = resolved.entry(kind(effect)).or_default();
            if done {
                counts.0 += 1;
                done_effects.push(effect.clone());
            } else {
                counts.1 += 1;
            }
        }
        for effect in &done_effects {
            model.apply(effect);
        }
        let problems = differences(&model, &seen);
        let lost = problems.len();
        assert!(
            problems.is_empty(),
            "round {round}: the restarted server differs from the acknowledged effects:\n{}",
            problems.join("\n")
        );
        let over_tables = functions_run_over_tables(&mut c, &session, &model);
        let _ = c.disconnect(session);

        acknowledged_total += acknowledged;
        in_flight_total += in_flight.len();
        done_total += done_effects.len();
        killed_mid_load += usize::from(!finished_first);
        let resolved: Vec<String> = resolved
            .iter()
            .map(|(k, (done, not))| format!("{k}: {done} done, {not} not"))
            .collect();
        let rows: i64 = model
            .tables
            .values()
            .flat_map(|b| b.values().map(|(n, _, _)| n))
            .sum();
        println!(
            "round {round} ({}): killed after {killed_after:.2?}{} ({} ops, {} transport errors); \
             {acknowledged} effects acknowledged, lost {lost}; in flight {} ({}); \
             restart {restart:.2?}; now {} SQL + {} runtime functions, {} tables, {rows} rows; \
             {over_tables} functions checked over their tables",
            if config.user_per_client {
                "a user per client"
            } else {
                "one user"
            },
            if finished_first {
                " (the load had finished)"
            } else {
                ""
            },
            report.ops,
            report.errors.len(),
            in_flight.len(),
            if resolved.is_empty() {
                "none".to_string()
            } else {
                resolved.join("; ")
            },
            model.functions.len(),
            model.runtime.values().map(BTreeMap::len).sum::<usize>(),
            model.tables.len(),
        );
    }
    server.kill();
    println!(
        "totals: {rounds} kills ({killed_mid_load} mid-load), {acknowledged_total} acknowledged \
         effects all found (lost 0), {in_flight_total} in flight ({done_total} done, the rest \
         absent, none partial); whole run {:.1?}",
        started.elapsed()
    );
    assert!(
        acknowledged_total > rounds * 20,
        "too few effects got through to test anything"
    );
    assert!(
        killed_mid_load > 0,
        "every load had finished before its kill: nothing was tested under load"
    );
}

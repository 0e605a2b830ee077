//! One load client: its own connection, session, names and model of what the server holds
//! for it, and the operation mix.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use udf_thrift::client::Client as Thrift;
use udf_thrift::{TExtArgumentType, THeavySyncClient, TQueryResult, TUserDefinedFunction};

use crate::journal::{Effect, Journal, RuntimeFunction};
use crate::report::{ErrorKind, OpError, OpKind};
use crate::{Config, Rng, Shared, columns, function_ir, login};

/// SQL functions per client (`<prefix>_c<id>_f<k>`, `f<k>(x) = x * (2 + k) + version`).
const SLOTS: usize = 4;
/// The multiplier of each client's runtime function.
const RUNTIME_MUL: i64 = 7;
/// Largest load or `INSERT`.
const MAX_ROWS: u64 = 64;

/// The mix, in percent (drawn in this order); `CreateTable` only follows a `DropTable`.
const WEIGHTS: [(OpKind, u64); 8] = [
    (OpKind::Query, 29),
    (OpKind::QueryShared, 12),
    (OpKind::LoadColumnar, 16),
    (OpKind::Insert, 14),
    (OpKind::CreateFunction, 14),
    (OpKind::RegisterRuntime, 2),
    (OpKind::DropFunction, 10),
    (OpKind::DropTable, 3),
];

/// What one client did.
pub(crate) struct Outcome {
    pub ops: usize,
    /// Per `OpKind::index`.
    pub latencies: Vec<Vec<Duration>>,
    pub errors: Vec<OpError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    /// At the start: left over from an earlier run, or not there.
    Unknown,
    Absent,
    Present {
        rows: i64,
        non_null: i64,
        sum: i64,
    },
}

/// A function the client may call: (SQL name, mul, version).
type Callable = (String, i64, i64);

struct Load<'a> {
    id: usize,
    config: &'a Config,
    shared: &'a Shared,
    journal: Option<&'a Journal>,
    rng: Rng,
    c: Thrift,
    session: String,
    table: Table,
    /// Version of each SQL function slot, if it exists.
    functions: [Option<i64>; SLOTS],
    /// Version of the client's runtime function, once registered.
    runtime: Option<i64>,
    next_version: i64,
    next_batch: i64,
    /// The operation under way (for errors).
    index: usize,
}

pub(crate) fn run(
    id: usize,
    config: &Config,
    shared: &Shared,
    journal: Option<&Journal>,
) -> Outcome {
    let mut outcome = Outcome {
        ops: 0,
        latencies: vec![Vec::new(); OpKind::Connect.index() + 1],
        errors: Vec::new(),
    };
    let (c, session) = match login(config, &config.client_user(id)) {
        Ok(login) => login,
        Err(mut e) => {
            e.client = Some(id);
            outcome.errors.push(e);
            return outcome;
        }
    };
    let mut load = Load {
        id,
        config,
        shared,
        journal,
        rng: Rng::new(config.seed, id as u64),
        c,
        session,
        table: Table::Unknown,
        functions: [None; SLOTS],
        runtime: None,
        // Unique per client and run; a function's value names its version.
        next_version: 1,
        next_batch: 1,
        index: 0,
    };
    for index in 0..config.ops {
        load.index = index;
        let kind = load.choose();
        outcome.ops += 1;
        let started = Instant::now();
        let result = load.perform(kind);
        let took = started.elapsed();
        match result {
            Ok(()) => outcome.latencies[kind.index()].push(took),
            Err(e) => {
                let stop = e.kind == ErrorKind::Transport || config.stop_on_error;
                if e.kind != ErrorKind::Transport {
                    outcome.latencies[kind.index()].push(took);
                }
                outcome.errors.push(e);
                if stop {
                    return outcome;
                }
            }
        }
    }
    let _ = load.c.disconnect(load.session.clone());
    outcome
}

impl Load<'_> {
    fn table_name(&self) -> String {
        format!("{}_c{}_t", self.config.prefix, self.id)
    }

    fn function_name(&self, slot: usize) -> String {
        format!("{}_c{}_f{slot}", self.config.prefix, self.id)
    }

    fn runtime_name(&self) -> String {
        format!("{}_c{}_rt", self.config.prefix, self.id)
    }

    /// Every function the client has and may call, in a fixed order.
    fn callables(&self) -> Vec<Callable> {
        let mut all: Vec<Callable> = self
            .functions
            .iter()
            .enumerate()
            .filter_map(|(slot, v)| v.map(|v| (self.function_name(slot), 2 + slot as i64, v)))
            .collect();
        if let Some(v) = self.runtime {
            all.push((self.runtime_name(), RUNTIME_MUL, v));
        }
        all
    }

    /// The next operation: drawn from the mix, or what the state calls for first.
    fn choose(&mut self) -> OpKind {
        match self.table {
            Table::Unknown => return OpKind::DropTable,
            Table::Absent => return OpKind::CreateTable,
            Table::Present { .. } => {}
        }
        let total: u64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.below(total);
        let mut kind = OpKind::Query;
        for (k, w) in WEIGHTS {
            if roll < w {
                kind = k;
                break;
            }
            roll -= w;
        }
        match kind {
            OpKind::Query | OpKind::QueryShared if self.callables().is_empty() => {
                OpKind::CreateFunction
            }
            OpKind::DropFunction if self.functions.iter().all(Option::is_none) => {
                OpKind::CreateFunction
            }
            kind => kind,
        }
    }

    fn perform(&mut self, kind: OpKind) -> Result<(), OpError> {
        match kind {
            OpKind::CreateFunction => self.create_function(),
            OpKind::RegisterRuntime => self.register_runtime(),
            OpKind::Query => self.query(false),
            OpKind::QueryShared => self.query(true),
            OpKind::LoadColumnar => self.load(true),
            OpKind::Insert => self.load(false),
            OpKind::DropFunction => self.drop_function(),
            OpKind::DropTable => self.drop_table(),
            OpKind::CreateTable => self.create_table(),
            OpKind::Connect => unreachable!("not an operation of the mix"),
        }
    }

    fn error(&self, op: OpKind, what: &str, e: &udf_thrift::ThriftError) -> OpError {
        OpError::from_thrift(Some(self.id), op, self.index, what, e)
    }

    fn wrong(&self, op: OpKind, message: String) -> OpError {
        OpError {
            client: Some(self.id),
            op,
            index: self.index,
            kind: ErrorKind::WrongResult,
            message,
        }
    }

    /// Sends `effect`'s request with `send`; the journal has it as sent before and
    /// acknowledged after a success.
    fn journaled<T>(
        &mut self,
        effect: Effect,
        send: impl FnOnce(&mut Thrift, String) -> udf_thrift::Result<T>,
    ) -> udf_thrift::Result<T> {
        let id = self.journal.map(|j| j.sent(Some(self.id), effect));
        let result = send(&mut self.c, self.session.clone());
        if result.is_ok()
            && let (Some(journal), Some(id)) = (self.journal, id)
        {
            journal.acknowledged(id);
        }
        result
    }

    fn sql(&mut self, sql: String) -> udf_thrift::Result<TQueryResult> {
        self.c
            .sql_execute(self.session.clone(), sql, true, String::new(), -1, -1)
    }

    fn create_function(&mut self) -> Result<(), OpError> {
        let slot = self.rng.below(SLOTS as u64) as usize;
        let version = self.next_version;
        self.next_version += 1;
        let name = self.function_name(slot);
        let mul = 2 + slot as i64;
        let sql = format!(
            "CREATE OR REPLACE FUNCTION {name}(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${}$$",
            function_ir(&name, mul, version)
        );
        let effect = Effect::Function {
            name: name.clone(),
            mul,
            version,
        };
        self.journaled(effect, |c, s| {
            c.sql_execute(s, sql, true, String::new(), -1, -1)
        })
        .map_err(|e| {
            self.error(
                OpKind::CreateFunction,
                &format!("CREATE OR REPLACE FUNCTION {name} (version {version})"),
                &e,
            )
        })?;
        self.functions[slot] = Some(version);
        Ok(())
    }

    fn register_runtime(&mut self) -> Result<(), OpError> {
        let version = self.next_version;
        self.next_version += 1;
        let name = self.runtime_name();
        let shared = self.shared;
        let user = self.config.client_user(self.id);
        // Held until the answer: the set sent must be the set acknowledged, and another
        // client's registration would replace it.
        let lock = &shared.runtime[if self.config.user_per_client {
            self.id
        } else {
            0
        }];
        let mut set = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = set.clone();
        next.insert(
            name.clone(),
            RuntimeFunction {
                name: name.clone(),
                mul: RUNTIME_MUL,
                version,
            },
        );
        let udfs: Vec<TUserDefinedFunction> = next
            .keys()
            .map(|n| TUserDefinedFunction {
                name: Some(format!("{n}__cpu_0")),
                arg_types: Some(vec![TExtArgumentType::INT64]),
                ret_type: Some(TExtArgumentType::INT64),
                annotations: Some(vec![BTreeMap::new(); 2]),
            })
            .collect();
        let ir: String = next
            .values()
            .map(|f| function_ir(&format!("{}__cpu_0", f.name), f.mul, f.version))
            .collect();
        let device_ir_map = [("cpu".to_string(), ir)].into_iter().collect();
        let effect = Effect::RuntimeSet {
            user,
            functions: next.values().cloned().collect(),
        };
        let count = next.len();
        self.journaled(effect, |c, s| {
            c.register_runtime_extension_functions(s, udfs, Vec::new(), device_ir_map)
        })
        .map_err(|e| {
            self.error(
                OpKind::RegisterRuntime,
                &format!("register_runtime_extension_functions ({count} functions, {name} version {version})"),
                &e,
            )
        })?;
        *set = next;
        self.runtime = Some(version);
        Ok(())
    }

    fn query(&mut self, shared_table: bool) -> Result<(), OpError> {
        let op = if shared_table {
            OpKind::QueryShared
        } else {
            OpKind::Query
        };
        let callables = self.callables();
        let (f, mul, version) = callables[self.rng.below(callables.len() as u64) as usize].clone();
        let (table, (rows, non_null, sum)) = if shared_table {
            (self.config.shared_table(), self.shared.shared_table)
        } else {
            match self.table {
                Table::Present {
                    rows,
                    non_null,
                    sum,
                } => (self.table_name(), (rows, non_null, sum)),
                _ => unreachable!("queries are chosen only while the table exists"),
            }
        };
        let sql = format!("SELECT count(*), count(x), sum(x), sum({f}(x)) FROM {table}");
        let result = self
            .sql(sql.clone())
            .map_err(|e| self.error(op, &sql, &e))?;
        let found = first_row(&result).map_err(|m| self.wrong(op, format!("`{sql}`: {m}")))?;
        let some = |v: i64| (non_null > 0).then_some(v);
        let expected = vec![
            Some(rows),
            Some(non_null),
            some(sum),
            some(mul * sum + version * non_null),
        ];
        if found != expected {
            return Err(self.wrong(
                op,
                format!(
                    "`{sql}` returned {found:?}, expected {expected:?} ({f} is version {version})"
                ),
            ));
        }
        Ok(())
    }

    fn load(&mut self, columnar: bool) -> Result<(), OpError> {
        let op = if columnar {
            OpKind::LoadColumnar
        } else {
            OpKind::Insert
        };
        let Table::Present {
            rows,
            non_null,
            sum,
        } = self.table
        else {
            unreachable!("loads are chosen only while the table exists")
        };
        let n = 1 + self.rng.below(MAX_ROWS) as usize;
        let values: Vec<Option<i64>> = (0..n)
            .map(|_| {
                let v = self.rng.below(10_000) as i64;
                (self.rng.below(10) != 0).then_some(v)
            })
            .collect();
        let batch = self.next_batch;
        self.next_batch += 1;
        let table = self.table_name();
        let added = (
            n as i64,
            values.iter().flatten().count() as i64,
            values.iter().flatten().sum::<i64>(),
        );
        let effect = Effect::Rows {
            table: table.clone(),
            batch,
            rows: added.0,
            non_null: added.1,
            sum: added.2,
        };
        let what;
        let result = if columnar {
            what = format!("load_table_binary_columnar {table} ({n} rows)");
            let cols = columns(batch, &values);
            let t = table.clone();
            self.journaled(effect, |c, s| {
                c.load_table_binary_columnar(s, t, cols, Vec::new())
            })
        } else {
            let tuples: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Some(v) => format!("({batch}, {v})"),
                    None => format!("({batch}, NULL)"),
                })
                .collect();
            what = format!("INSERT INTO {table} ({n} rows)");
            let sql = format!("INSERT INTO {table} VALUES {}", tuples.join(", "));
            self.journaled(effect, |c, s| {
                c.sql_execute(s, sql, true, String::new(), -1, -1).map(drop)
            })
        };
        result.map_err(|e| self.error(op, &what, &e))?;
        self.table = Table::Present {
            rows: rows + added.0,
            non_null: non_null + added.1,
            sum: sum + added.2,
        };
        Ok(())
    }

    fn drop_function(&mut self) -> Result<(), OpError> {
        let present: Vec<usize> = (0..SLOTS)
            .filter(|s| self.functions[*s].is_some())
            .collect();
        let slot = present[self.rng.below(present.len() as u64) as usize];
        let name = self.function_name(slot);
        let sql = format!("DROP FUNCTION {name}");
        self.journaled(Effect::FunctionDropped { name }, |c, s| {
            c.sql_execute(s, sql.clone(), true, String::new(), -1, -1)
        })
        .map_err(|e| {
            self.error(
                OpKind::DropFunction,
                &format!("DROP FUNCTION {}", self.function_name(slot)),
                &e,
            )
        })?;
        self.functions[slot] = None;
        Ok(())
    }

    fn drop_table(&mut self) -> Result<(), OpError> {
        let table = self.table_name();
        let sql = format!("DROP TABLE IF EXISTS {table}");
        self.journaled(Effect::TableDropped { table }, |c, s| {
            c.sql_execute(s, sql.clone(), true, String::new(), -1, -1)
        })
        .map_err(|e| {
            self.error(
                OpKind::DropTable,
                &format!("DROP TABLE IF EXISTS {}", self.table_name()),
                &e,
            )
        })?;
        self.table = Table::Absent;
        Ok(())
    }

    fn create_table(&mut self) -> Result<(), OpError> {
        let table = self.table_name();
        let sql = format!("CREATE TABLE {table} (batch BIGINT NOT NULL, x BIGINT)");
        self.journaled(Effect::TableCreated { table }, |c, s| {
            c.sql_execute(s, sql.clone(), true, String::new(), -1, -1)
        })
        .map_err(|e| {
            self.error(
                OpKind::CreateTable,
                &format!("CREATE TABLE {}", self.table_name()),
                &e,
            )
        })?;
        self.table = Table::Present {
            rows: 0,
            non_null: 0,
            sum: 0,
        };
        Ok(())
    }
}

/// The one row of an integer result (`None` for NULL), or what is wrong with it.
pub fn first_row(result: &TQueryResult) -> Result<Vec<Option<i64>>, String> {
    let columns = result
        .row_set
        .as_ref()
        .and_then(|r| r.columns.as_ref())
        .ok_or("the result has no columns")?;
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let values = column
                .data
                .as_ref()
                .and_then(|d| d.int_col.as_ref())
                .ok_or(format!("column {i} is not an integer column"))?;
            if values.len() != 1 {
                return Err(format!("column {i} has {} rows, expected 1", values.len()));
            }
            let null = column
                .nulls
                .as_ref()
                .and_then(|n| n.first())
                .copied()
                .unwrap_or(false);
            Ok((!null).then_some(values[0]))
        })
        .collect()
}

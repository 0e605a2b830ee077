//! The HeavyDB-compatible `Heavy` service over the engine.
//!
//! Every method checks its session (except `connect` and `get_version`), runs inside a
//! panic guard, and answers failures with a `TDBException` whose first line is what the
//! real clients match on. Sessions are global (see `sessions`).

mod admin;
mod call;
pub mod functions;
pub mod load;
pub mod results;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use db_glue::arrow::array::{RecordBatch, StringArray};
use db_glue::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use db_glue::{Engine, QueryResult, ResultNames, StatementControl, StatementOptions};
use udf_thrift::connection::panic_message;
use udf_thrift::*;

use crate::config::{Config, RuntimeUdfPolicy};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::sessions::{ExecutionMode, Session, SessionStore};

/// The one database this server has; HeavyDB's default name.
pub const DATABASE: &str = "heavyai";

/// The version reported to clients. Clients gate features on the HeavyDB version (rbc
/// needs ≥ 6.4 and a suffix after `X.Y.Z`; heavyai ≥ 7.0 for Arrow loads of geo), so
/// this is the HeavyDB protocol level served, followed by our own version.
pub fn version_string() -> String {
    format!("8.0.1-udf-server-{}", env!("CARGO_PKG_VERSION"))
}

/// HeavyDB (Calcite) names unaliased expressions `EXPR$<n>`; clients show those names.
const CALCITE_NAMES: StatementOptions = StatementOptions {
    result_names: ResultNames::Calcite,
    device: None,
    cluster: None,
    owner: None,
};

/// Arrow type of a TEXT column (what the engine's `CREATE TABLE … TEXT` makes).
pub const TEXT_TYPE: DataType = DataType::Utf8View;

pub struct HeavyService {
    engine: Engine,
    sessions: Arc<SessionStore>,
    config: Arc<Config>,
    runtime: tokio::runtime::Handle,
    started: SystemTime,
    host_name: String,
    metrics: Arc<Metrics>,
    /// Refusals by a limit, for the metrics: connections beyond `max_connections` (counted
    /// by the accept loops, see [`HeavyService::connections_refused`]) and connects beyond
    /// the session caps.
    connections_refused: Arc<AtomicU64>,
    sessions_refused: Arc<AtomicU64>,
    /// Password checks and login throttling.
    auth: crate::auth::Authenticator,
}

/// Who runs a statement: the session, its user (who owns the functions it creates), its
/// device preference and its `statement_timeout`.
#[derive(Clone, Copy)]
struct Caller<'a> {
    session: &'a str,
    user: &'a str,
    mode: ExecutionMode,
    cluster: Option<db_glue::cluster::ClusterPreference>,
    statement_timeout: Option<std::time::Duration>,
}

/// What kind of statement a query is, for `TQueryResult.query_type`.
fn query_type(sql: &str) -> TQueryType {
    let first = sql
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match first.as_str() {
        "SELECT" | "WITH" | "VALUES" | "SHOW" | "EXPLAIN" | "DESCRIBE" => TQueryType::READ,
        "INSERT" | "UPDATE" | "DELETE" | "COPY" => TQueryType::WRITE,
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" => TQueryType::SCHEMA_WRITE,
        _ => TQueryType::UNKNOWN,
    }
}

fn millis(elapsed: std::time::Duration) -> i64 {
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

impl HeavyService {
    /// The service; the configured users are brought into the engine's catalog first
    /// (see [`crate::auth::bootstrap_users`]), a failure to store them only logged.
    pub fn new(
        engine: Engine,
        sessions: Arc<SessionStore>,
        config: Arc<Config>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        if let Err(error) = crate::auth::bootstrap_users(&engine, &config) {
            tracing::error!(%error, "cannot store the configured users");
        }
        Self::without_bootstrap(engine, sessions, config, runtime)
    }

    /// [`HeavyService::new`], failing when the configured users cannot be stored.
    pub fn try_new(
        engine: Engine,
        sessions: Arc<SessionStore>,
        config: Arc<Config>,
        runtime: tokio::runtime::Handle,
    ) -> db_glue::Result<Self> {
        crate::auth::bootstrap_users(&engine, &config)?;
        Ok(Self::without_bootstrap(engine, sessions, config, runtime))
    }

    fn without_bootstrap(
        engine: Engine,
        sessions: Arc<SessionStore>,
        config: Arc<Config>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        HeavyService {
            engine,
            sessions,
            runtime,
            started: SystemTime::now(),
            host_name,
            metrics: Arc::new(Metrics::new()),
            connections_refused: Arc::new(AtomicU64::new(0)),
            sessions_refused: Arc::new(AtomicU64::new(0)),
            auth: crate::auth::Authenticator::new(config.login),
            config,
        }
    }

    /// The counter the accept loops add a connection refused at `max_connections` to
    /// ([`crate::server::Server::with_refusal_counter`]); rendered with the metrics.
    pub fn connections_refused(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.connections_refused)
    }

    /// A connect a session cap refused, counted and logged.
    fn session_refused(&self, error: crate::sessions::OpenError) -> Error {
        if !matches!(error, crate::sessions::OpenError::Random(_)) {
            self.sessions_refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "connect refused");
        }
        Error::OpenSession(error)
    }

    /// The daemon's counters (shared with the metrics endpoint).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Runs `f` as the body of `method`: errors become `TDBException`s, a panic becomes an
    /// internal error reply instead of taking the connection down.
    fn call<T>(&self, method: &str, f: impl FnOnce() -> Result<T>) -> udf_thrift::Result<T> {
        let outcome = catch_unwind(AssertUnwindSafe(f));
        self.metrics.call(method, !matches!(outcome, Ok(Ok(_))));
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                tracing::info!(method, %error, "call failed");
                Err(db_exception(error.to_string()))
            }
            Err(panic) => {
                let what = panic_message(panic.as_ref());
                tracing::error!(method, panic = what, "handler panicked");
                Err(db_exception(
                    Error::Internal(format!("`{method}` panicked: {what}")).to_string(),
                ))
            }
        }
    }

    /// The live session `id`, checked against its user as the catalog has them now: a
    /// session of a dropped user, or of one whose password changed since its login, ends
    /// (with the others like it); the superuser flag is the catalog's.
    fn session(&self, id: &str) -> Result<Session> {
        let mut session = self.sessions.check(id).map_err(|reason| match reason {
            // HeavyDB's exact text for what never existed (or was closed by its client).
            crate::sessions::Ended::Unknown => Error::InvalidSession,
            other => Error::SessionEnded(other),
        })?;
        match self.engine.user(&session.user) {
            Some(record) if crate::auth::credential(&record) == session.credential => {
                session.superuser = record.superuser;
                Ok(session)
            }
            _ => {
                self.end_stale_sessions();
                Err(Error::SessionEnded(
                    self.sessions
                        .check(id)
                        .err()
                        .unwrap_or(crate::sessions::Ended::Unknown),
                ))
            }
        }
    }

    /// Ends the sessions whose user was dropped or changed password since their login.
    fn end_stale_sessions(&self) {
        let ended = self
            .sessions
            .end_where(|s| match self.engine.user(&s.user) {
                None => Some(crate::sessions::Ended::UserDropped(s.user.clone())),
                Some(record) if crate::auth::credential(&record) != s.credential => {
                    Some(crate::sessions::Ended::PasswordChanged(s.user.clone()))
                }
                Some(_) => None,
            });
        if ended > 0 {
            tracing::info!(
                ended,
                "sessions of dropped users or changed passwords ended"
            );
        }
    }

    /// After a statement that changed a user: the caller's own session keeps going with
    /// its new password; others of a dropped user or an old password end now (their
    /// running statements stop) rather than at their next call.
    fn after_user_change(&self, caller: Caller<'_>, message: &str) {
        if !(message.starts_with("altered user `") || message.starts_with("dropped user `")) {
            return;
        }
        if message == format!("altered user `{}`", caller.user)
            && let Some(record) = self.engine.user(caller.user)
        {
            self.sessions
                .set_credential(caller.session, crate::auth::credential(&record));
        }
        self.end_stale_sessions();
    }

    /// One statement of `session`, with HeavyDB's result column names and the session's
    /// device for UDFs. `SET udf_device = …` sets the session's device, not the engine's
    /// (and `SET udf.cluster = …` where its queries run in cluster mode);
    /// `SET statement_timeout = …` likewise the session's timeout. The statement is
    /// registered with its session while it runs, so that ending the session stops it.
    fn run_sql(&self, caller: Caller<'_>, sql: &str) -> Result<QueryResult> {
        if let Some(timeout) = db_glue::parse_set_statement_timeout(sql) {
            let timeout = timeout.map_err(sql_error)?;
            if !self.sessions.set_statement_timeout(caller.session, timeout) {
                return Err(Error::InvalidSession);
            }
            return Ok(QueryResult::message(format!(
                "statement_timeout = {} for this session",
                timeout.map_or_else(
                    || "0 (no limit)".into(),
                    |t| format!("{} ms", t.as_millis())
                )
            )));
        }
        if let Some(mode) = db_glue::parse_set_device(sql) {
            let mode = mode.map_err(sql_error)?;
            self.set_mode(caller.session, mode)?;
            return Ok(QueryResult::message(format!(
                "udf_device = '{mode}' for this session"
            )));
        }
        if let Some(cluster) = db_glue::cluster::parse_set_cluster(sql) {
            let cluster = cluster.map_err(sql_error)?;
            if !self.sessions.set_cluster(caller.session, cluster) {
                return Err(Error::InvalidSession);
            }
            return Ok(QueryResult::message(format!(
                "udf.cluster = '{cluster}' for this session"
            )));
        }
        let options = StatementOptions {
            device: Some(caller.mode),
            cluster: caller.cluster,
            owner: Some(caller.user.to_string()),
            ..CALCITE_NAMES
        };
        let started = Instant::now();
        let control = StatementControl::new(caller.statement_timeout);
        let _running = self.sessions.start_statement(caller.session, &control);
        let result = self
            .runtime
            .block_on(self.engine.execute_one_with_control(sql, options, &control));
        self.metrics.query(started.elapsed(), result.is_err());
        if let Ok(QueryResult {
            message: Some(message),
            ..
        }) = &result
        {
            self.after_user_change(caller, message);
        }
        result.map_err(sql_error)
    }

    /// Whether the session's user may load rows into `table` (INSERT).
    fn may_insert(&self, session: &Session, table: &str) -> Result<()> {
        self.engine
            .check_table_privilege(&session.user, table, db_glue::TablePrivilege::Insert)
            .map_err(sql_error)
    }

    fn table_schema(&self, table: &str) -> Result<SchemaRef> {
        self.runtime
            .block_on(self.engine.table_schema(table))
            .map_err(sql_error)
    }

    fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        self.runtime
            .block_on(self.engine.append(table, batches))
            .map_err(sql_error)?;
        tracing::debug!(table, rows, "rows loaded");
        Ok(())
    }

    /// Runs one statement and shapes its result the way HeavyDB answers: statements
    /// without rows give an empty result; our own statements (CREATE FUNCTION, …) say
    /// what they did in a one-row `Result` column.
    fn shaped_result(
        &self,
        caller: Caller<'_>,
        sql: &str,
    ) -> Result<(SchemaRef, Vec<RecordBatch>, TQueryType)> {
        let result = self.run_sql(caller, sql)?;
        let kind = query_type(sql);
        Ok(match (&result.message, kind) {
            (Some(message), _) => {
                let schema = Arc::new(Schema::new(vec![Field::new(
                    "Result",
                    DataType::Utf8,
                    false,
                )]));
                let column = Arc::new(StringArray::from(vec![message.as_str()]));
                let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column])
                    .map_err(|e| Error::Internal(e.to_string()))?;
                (schema, vec![batch], kind)
            }
            (None, TQueryType::WRITE | TQueryType::SCHEMA_WRITE) => {
                (Arc::new(Schema::empty()), Vec::new(), kind)
            }
            (None, _) => (result.schema, result.batches, kind),
        })
    }

    fn query_result(
        &self,
        caller: Caller<'_>,
        sql: &str,
        column_format: bool,
        nonce: String,
        first_n: i32,
        at_most_n: i32,
    ) -> Result<TQueryResult> {
        let started = Instant::now();
        let (schema, batches, kind) = self.shaped_result(caller, sql)?;
        let execution_time = started.elapsed();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if at_most_n >= 0 && rows > at_most_n as usize {
            return Err(Error::TooManyRows(at_most_n));
        }
        let batches = results::truncate(batches, usize::try_from(first_n).ok());
        let row_desc = results::row_descriptor(&schema)?;
        let (columns, rows) = if column_format {
            (results::columns(&schema, &batches)?, Vec::new())
        } else {
            (Vec::new(), results::rows(&schema, &batches)?)
        };
        Ok(TQueryResult {
            row_set: Some(TRowSet {
                row_desc: Some(row_desc),
                rows: Some(rows),
                columns: Some(columns),
                is_columnar: Some(column_format),
            }),
            execution_time_ms: Some(millis(execution_time)),
            total_time_ms: Some(millis(started.elapsed())),
            nonce: Some(nonce),
            debug: Some(String::new()),
            success: Some(true),
            query_type: Some(kind),
        })
    }

    /// A session's device preference. GPU is refused up front when there is no GPU, with
    /// the reason: HeavyDB would silently run on the CPU instead.
    fn set_mode(&self, session: &str, mode: ExecutionMode) -> Result<()> {
        if mode == ExecutionMode::Gpu
            && let db_glue::GpuState::Absent(reason) = self.engine.gpu()
        {
            return Err(Error::Unsupported(format!(
                "GPU execution: no GPU ({reason})"
            )));
        }
        self.sessions.set_mode(session, mode);
        Ok(())
    }

    fn server_status(&self) -> TServerStatus {
        TServerStatus {
            read_only: Some(false),
            version: Some(version_string()),
            rendering_enabled: Some(false),
            start_time: Some(
                self.started
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            ),
            edition: Some("udf-server".into()),
            host_name: Some(self.host_name.clone()),
            poly_rendering_enabled: Some(false),
            role: Some(TRole::SERVER),
            renderer_status_json: Some(String::new()),
            host_id: Some(String::new()),
        }
    }

    /// Names of the table functions registered at run time (`runtime`) or otherwise.
    fn table_function_names(&self, runtime: bool) -> Vec<String> {
        let mut names: Vec<String> = self
            .engine
            .table_functions()
            .into_iter()
            .filter(|f| functions::is_runtime(&f.origin) == runtime)
            .map(|f| f.name)
            .collect();
        names.dedup();
        names
    }

    fn function_infos(&self) -> Vec<db_glue::FunctionInfo> {
        self.engine.functions()
    }
}

/// A SQL failure, except the few whose HeavyDB text is not "SQL Error: …".
fn sql_error(error: db_glue::Error) -> Error {
    match error {
        db_glue::Error::MultipleStatements => Error::MultipleStatements,
        e @ db_glue::Error::TableFunction { .. } => Error::TableFunction(e),
        other => Error::Sql(other),
    }
}

/// A registration failure in HeavyDB's words where clients know them.
fn registration_error(error: db_glue::Error) -> Error {
    match &error {
        db_glue::Error::Compile {
            source: compiler::Error::Parse(detail),
            ..
        } => Error::IrParse(detail.clone()),
        _ => Error::Registration(error.to_string()),
    }
}

impl HeavySyncHandler for HeavyService {
    fn handle_connect(
        &self,
        user: String,
        passwd: String,
        dbname: String,
    ) -> udf_thrift::Result<TSessionId> {
        self.call("connect", || {
            let peer = crate::auth::current_peer();
            let account = match self.auth.login(&self.engine, &user, &passwd, peer) {
                Ok(account) => account,
                Err(e @ (Error::LoginThrottled { .. } | Error::LoginThrottledFrom { .. })) => {
                    tracing::warn!(user, ?peer, "login refused: too many failures");
                    self.metrics.login_throttled();
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(user, ?peer, "authentication failed");
                    self.metrics.authentication_failed();
                    return Err(e);
                }
            };
            if !dbname.is_empty() && !dbname.eq_ignore_ascii_case(DATABASE) {
                return Err(Error::UnknownDatabase(dbname));
            }
            let id = self
                .sessions
                .open(&user, DATABASE, account.superuser)
                .map_err(|e| self.session_refused(e))?;
            self.sessions
                .set_credential(&id, crate::auth::credential(&account));
            self.metrics.session_opened();
            tracing::info!(user, sessions = self.sessions.len(), "session opened");
            Ok(id)
        })
    }

    fn handle_disconnect(&self, session: TSessionId) -> udf_thrift::Result<()> {
        self.call("disconnect", || {
            if self.sessions.close(&session) {
                Ok(())
            } else {
                Err(Error::InvalidSession)
            }
        })
    }

    fn handle_get_version(&self) -> udf_thrift::Result<String> {
        Ok(version_string())
    }

    fn handle_get_server_status(&self, session: TSessionId) -> udf_thrift::Result<TServerStatus> {
        self.call("get_server_status", || {
            self.session(&session)?;
            Ok(self.server_status())
        })
    }

    fn handle_get_status(&self, session: TSessionId) -> udf_thrift::Result<Vec<TServerStatus>> {
        self.call("get_status", || {
            self.session(&session)?;
            Ok(vec![self.server_status()])
        })
    }

    fn handle_get_hardware_info(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<TClusterHardwareInfo> {
        self.call("get_hardware_info", || {
            self.session(&session)?;
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            Ok(TClusterHardwareInfo {
                hardware_info: Some(vec![THardwareInfo {
                    num_gpu_hw: Some(0),
                    num_cpu_hw: Some(i16::try_from(cpus).unwrap_or(i16::MAX)),
                    num_gpu_allocated: Some(0),
                    start_gpu: Some(0),
                    host_name: Some(self.host_name.clone()),
                    gpu_info: Some(Vec::new()),
                }]),
            })
        })
    }

    fn handle_get_databases(&self, session: TSessionId) -> udf_thrift::Result<Vec<TDBInfo>> {
        self.call("get_databases", || {
            self.session(&session)?;
            Ok(vec![TDBInfo {
                db_name: Some(DATABASE.into()),
                db_owner: Some(crate::config::ADMIN_USER.into()),
                immerse_metadata_json: Some(String::new()),
            }])
        })
    }

    fn handle_get_tables(&self, session: TSessionId) -> udf_thrift::Result<Vec<String>> {
        self.call("get_tables", || {
            self.session(&session)?;
            Ok(self.engine.table_names())
        })
    }

    fn handle_get_physical_tables(&self, session: TSessionId) -> udf_thrift::Result<Vec<String>> {
        self.call("get_physical_tables", || {
            self.session(&session)?;
            Ok(self.engine.table_names())
        })
    }

    fn handle_get_views(&self, session: TSessionId) -> udf_thrift::Result<Vec<String>> {
        self.call("get_views", || {
            self.session(&session)?;
            Ok(Vec::new())
        })
    }

    fn handle_get_tables_meta(&self, session: TSessionId) -> udf_thrift::Result<Vec<TTableMeta>> {
        self.call("get_tables_meta", || {
            self.session(&session)?;
            let names = self.engine.table_names();
            let count = names.len() as i64;
            names
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let schema = self.table_schema(&name)?;
                    let types = schema
                        .fields()
                        .iter()
                        .map(|f| results::field_wire_type(f).map(|w| w.type_info(f.is_nullable())))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(TTableMeta {
                        table_name: Some(name),
                        num_cols: Some(schema.fields().len() as i64),
                        is_view: Some(false),
                        is_replicated: Some(false),
                        shard_count: Some(0),
                        max_rows: Some(1 << 62),
                        table_id: Some(i as i64 + 1),
                        max_table_id: Some(count),
                        col_types: Some(types),
                        col_names: Some(schema.fields().iter().map(|f| f.name().clone()).collect()),
                    })
                })
                .collect()
        })
    }

    fn handle_get_table_details(
        &self,
        session: TSessionId,
        table_name: String,
    ) -> udf_thrift::Result<TTableDetails> {
        self.call("get_table_details", || {
            self.session(&session)?;
            let schema = self.table_schema(&table_name)?;
            Ok(TTableDetails {
                row_desc: Some(results::row_descriptor(&schema)?),
                fragment_size: Some(32_000_000),
                page_size: Some(2_097_152),
                max_rows: Some(1 << 62),
                view_sql: Some(String::new()),
                shard_count: Some(0),
                key_metainfo: Some("[]".into()),
                is_temporary: Some(false),
                partition_detail: Some(TPartitionDetail::DEFAULT),
                table_type: Some(TTableType::DEFAULT),
                refresh_info: Some(TTableRefreshInfo {
                    update_type: Some(TTableRefreshUpdateType::ALL),
                    timing_type: Some(TTableRefreshTimingType::MANUAL),
                    start_date_time: Some(String::new()),
                    interval_type: Some(TTableRefreshIntervalType::NONE),
                    interval_count: Some(0),
                    last_refresh_time: Some(String::new()),
                    next_refresh_time: Some(String::new()),
                }),
                sharded_column_name: Some(String::new()),
                comment: None,
            })
        })
    }

    fn handle_get_session_info(&self, session: TSessionId) -> udf_thrift::Result<TSessionInfo> {
        self.call("get_session_info", || {
            let s = self.session(&session)?;
            Ok(TSessionInfo {
                user: Some(s.user),
                database: Some(s.database),
                start_time: Some(
                    s.started
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64),
                ),
                is_super: Some(s.superuser),
            })
        })
    }

    fn handle_sql_execute(
        &self,
        session: TSessionId,
        query: String,
        column_format: bool,
        nonce: String,
        first_n: i32,
        at_most_n: i32,
    ) -> udf_thrift::Result<TQueryResult> {
        self.call("sql_execute", || {
            let s = self.session(&session)?;
            let caller = Caller {
                session: &session,
                user: &s.user,
                mode: s.mode,
                cluster: s.cluster,
                statement_timeout: s.statement_timeout,
            };
            self.query_result(caller, &query, column_format, nonce, first_n, at_most_n)
        })
    }

    fn handle_sql_execute_df(
        &self,
        session: TSessionId,
        query: String,
        device_type: TDeviceType,
        _device_id: i32,
        first_n: i32,
        transport_method: TArrowTransport,
    ) -> udf_thrift::Result<TDataFrame> {
        self.call("sql_execute_df", || {
            let s = self.session(&session)?;
            let caller = Caller {
                session: &session,
                user: &s.user,
                mode: s.mode,
                cluster: s.cluster,
                statement_timeout: s.statement_timeout,
            };
            if device_type == TDeviceType::GPU {
                return Err(Error::Unsupported(
                    "sql_execute_df with device_type=GPU (CUDA IPC handles); use device_type=CPU"
                        .into(),
                ));
            }
            if transport_method != TArrowTransport::WIRE {
                return Err(Error::Unsupported(
                    "Arrow results through shared memory; use transport_method=WIRE \
                     (heavyai: select_ipc(..., transport_method=1))"
                        .into(),
                ));
            }
            let started = Instant::now();
            let (schema, batches, _) = self.shaped_result(caller, &query)?;
            let execution = started.elapsed();
            let batches = results::truncate(batches, usize::try_from(first_n).ok());
            let buffer = results::ipc_stream(&schema, &batches)?;
            Ok(TDataFrame {
                sm_handle: Some(Vec::new()),
                sm_size: Some(0),
                df_handle: Some(Vec::new()),
                df_size: Some(buffer.len() as i64),
                execution_time_ms: Some(millis(execution)),
                arrow_conversion_time_ms: Some(millis(started.elapsed() - execution)),
                df_buffer: Some(buffer),
            })
        })
    }

    fn handle_sql_execute_gdf(
        &self,
        session: TSessionId,
        _query: String,
        _device_id: i32,
        _first_n: i32,
    ) -> udf_thrift::Result<TDataFrame> {
        self.call("sql_execute_gdf", || {
            self.session(&session)?;
            Err(Error::Unsupported(
                "sql_execute_gdf (GPU data frames over CUDA IPC) cannot cross machines; use sql_execute_df".into(),
            ))
        })
    }

    fn handle_deallocate_df(
        &self,
        session: TSessionId,
        _df: TDataFrame,
        _device_type: TDeviceType,
        _device_id: i32,
    ) -> udf_thrift::Result<()> {
        // WIRE results own no server memory: nothing to free.
        self.call("deallocate_df", || self.session(&session).map(|_| ()))
    }

    fn handle_interrupt(
        &self,
        query_session: TSessionId,
        interrupt_session: TSessionId,
    ) -> udf_thrift::Result<()> {
        self.call("interrupt", || {
            let caller = self.session(&interrupt_session)?;
            // A user interrupts their own sessions' statements; a superuser anyone's.
            let target = self
                .sessions
                .touch(&query_session)
                .ok_or(Error::InvalidSession)?;
            if target.user != caller.user && !caller.superuser {
                return Err(Error::NeedsSuperuser("interrupt"));
            }
            let stopped = self
                .sessions
                .cancel_statements(&query_session, &format!("interrupted by `{}`", caller.user));
            tracing::info!(user = caller.user, statements = stopped, "interrupt");
            Ok(())
        })
    }

    fn handle_sql_validate(
        &self,
        session: TSessionId,
        query: String,
    ) -> udf_thrift::Result<TRowDescriptor> {
        self.call("sql_validate", || {
            let s = self.session(&session)?;
            let options = StatementOptions {
                owner: Some(s.user),
                ..CALCITE_NAMES
            };
            let schema = self
                .runtime
                .block_on(self.engine.describe_with(&query, options))
                .map_err(sql_error)?;
            results::row_descriptor(&schema)
        })
    }

    fn handle_set_execution_mode(
        &self,
        session: TSessionId,
        mode: TExecuteMode,
    ) -> udf_thrift::Result<()> {
        self.call("set_execution_mode", || {
            self.session(&session)?;
            let mode = match mode {
                TExecuteMode::CPU => ExecutionMode::Cpu,
                TExecuteMode::GPU => ExecutionMode::Gpu,
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "unknown execution mode {} (GPU = 1, CPU = 2)",
                        other.0
                    )));
                }
            };
            self.set_mode(&session, mode)
        })
    }

    fn handle_create_table(
        &self,
        session: TSessionId,
        table_name: String,
        row_desc: TRowDescriptor,
        _create_params: TCreateParams,
    ) -> udf_thrift::Result<()> {
        self.call("create_table", || {
            let s = self.session(&session)?;
            let schema = load::schema_of(&row_desc, &TEXT_TYPE)?;
            self.engine
                .create_table_as(Some(&s.user), &table_name, schema, false)
                .map_err(sql_error)
        })
    }

    fn handle_load_table(
        &self,
        session: TSessionId,
        table_name: String,
        rows: Vec<TStringRow>,
        column_names: Vec<String>,
    ) -> udf_thrift::Result<()> {
        self.call("load_table", || {
            let s = self.session(&session)?;
            self.may_insert(&s, &table_name)?;
            let schema = self.table_schema(&table_name)?;
            let batch = load::string_rows(&schema, &rows, &column_names)?;
            self.append(&table_name, vec![batch])
        })
    }

    fn handle_load_table_binary(
        &self,
        session: TSessionId,
        _table_name: String,
        _rows: Vec<TRow>,
        _column_names: Vec<String>,
    ) -> udf_thrift::Result<()> {
        self.call("load_table_binary", || {
            self.session(&session)?;
            Err(Error::Unsupported(
                "load_table_binary (row-wise TDatum loading); use load_table_binary_columnar or load_table_binary_arrow".into(),
            ))
        })
    }

    fn handle_load_table_binary_columnar(
        &self,
        session: TSessionId,
        table_name: String,
        cols: Vec<TColumn>,
        column_names: Vec<String>,
    ) -> udf_thrift::Result<()> {
        self.call("load_table_binary_columnar", || {
            let s = self.session(&session)?;
            self.may_insert(&s, &table_name)?;
            let schema = self.table_schema(&table_name)?;
            let batch = load::columnar(&schema, &cols, &column_names)?;
            self.append(&table_name, vec![batch])
        })
    }

    fn handle_load_table_binary_arrow(
        &self,
        session: TSessionId,
        table_name: String,
        arrow_stream: Vec<u8>,
        use_column_names: bool,
    ) -> udf_thrift::Result<()> {
        self.call("load_table_binary_arrow", || {
            let s = self.session(&session)?;
            self.may_insert(&s, &table_name)?;
            let schema = self.table_schema(&table_name)?;
            let batches = load::arrow_stream(&schema, &arrow_stream, use_column_names)?;
            self.append(&table_name, batches)
        })
    }

    fn handle_get_device_parameters(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<BTreeMap<String, String>> {
        self.call("get_device_parameters", || {
            self.session(&session)?;
            let compiler = self.engine.compiler();
            let host = compiler.host_target();
            let gpu = self.engine.gpu().device().map(|device| {
                let info = device.info();
                let target = compiler.gpu_target_info().ok();
                functions::GpuParams {
                    name: info.name.clone(),
                    count: 1,
                    compute_capability: info.compute_capability,
                    data_layout: target
                        .as_ref()
                        .map(|t| t.data_layout.clone())
                        .unwrap_or_default(),
                    driver: info.driver_version,
                    has_libdevice: target.is_some_and(|t| t.libdevice.is_some()),
                }
            });
            Ok(functions::device_parameters(
                &functions::HostCpu {
                    name: &host.cpu,
                    triple: &host.triple,
                    features: &host.features,
                    llvm_version: compiler.llvm_version(),
                },
                gpu.as_ref(),
            ))
        })
    }

    fn handle_register_runtime_extension_functions(
        &self,
        session: TSessionId,
        udfs: Vec<TUserDefinedFunction>,
        udtfs: Vec<TUserDefinedTableFunction>,
        device_ir_map: BTreeMap<String, String>,
    ) -> udf_thrift::Result<()> {
        self.call("register_runtime_extension_functions", || {
            let s = self.session(&session)?;
            match self.config.runtime_udfs {
                RuntimeUdfPolicy::Enabled => {}
                RuntimeUdfPolicy::SuperuserOnly if s.superuser => {}
                RuntimeUdfPolicy::SuperuserOnly => return Err(Error::RegistrationNeedsSuperuser),
                RuntimeUdfPolicy::Disabled => return Err(Error::RegistrationDisabled),
            }
            // Within the policy, registering needs what CREATE FUNCTION needs (removing
            // one's own set, an empty registration, does not).
            if !udfs.is_empty() || !udtfs.is_empty() {
                self.engine
                    .check_create_function(&s.user)
                    .map_err(registration_error)?;
            }
            let set = functions::runtime_set(&udfs, &udtfs, &device_ir_map)?;
            let origin = functions::runtime_origin(&s.user);
            let count = set.cpu.len() + set.tables.len();
            let gpu = set.gpu_ir.map(|ir| db_glue::ClientGpuModule {
                ir,
                functions: set.gpu,
            });
            let summary = self
                .engine
                .replace_function_set_with_tables(
                    &origin,
                    set.cpu_ir.unwrap_or_default(),
                    set.cpu,
                    set.tables,
                    gpu,
                )
                .map_err(registration_error)?;
            tracing::info!(
                user = s.user,
                functions = count,
                ?summary,
                "runtime functions registered"
            );
            Ok(())
        })
    }

    fn handle_get_function_names(&self, session: TSessionId) -> udf_thrift::Result<Vec<String>> {
        self.call("get_function_names", || {
            self.session(&session)?;
            let mut names: Vec<String> = self
                .function_infos()
                .into_iter()
                .filter(|f| !functions::is_runtime(&f.origin))
                .map(|f| f.name)
                .collect();
            names.dedup();
            Ok(names)
        })
    }

    fn handle_get_runtime_function_names(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<String>> {
        self.call("get_runtime_function_names", || {
            self.session(&session)?;
            let mut names: Vec<String> = self
                .function_infos()
                .into_iter()
                .filter(|f| functions::is_runtime(&f.origin))
                .map(|f| f.name)
                .collect();
            names.dedup();
            Ok(names)
        })
    }

    fn handle_get_function_details(
        &self,
        session: TSessionId,
        udf_names: Vec<String>,
    ) -> udf_thrift::Result<Vec<TUserDefinedFunction>> {
        self.call("get_function_details", || {
            self.session(&session)?;
            Ok(self
                .function_infos()
                .iter()
                .filter(|f| udf_names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)))
                .map(functions::details)
                .collect())
        })
    }

    fn handle_get_table_function_names(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<String>> {
        self.call("get_table_function_names", || {
            self.session(&session)?;
            Ok(self.table_function_names(false))
        })
    }

    fn handle_get_runtime_table_function_names(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<String>> {
        self.call("get_runtime_table_function_names", || {
            self.session(&session)?;
            Ok(self.table_function_names(true))
        })
    }

    fn handle_get_table_function_details(
        &self,
        session: TSessionId,
        udtf_names: Vec<String>,
    ) -> udf_thrift::Result<Vec<TUserDefinedTableFunction>> {
        self.call("get_table_function_details", || {
            self.session(&session)?;
            Ok(self
                .engine
                .table_functions()
                .iter()
                .filter(|f| udtf_names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)))
                .map(functions::table_details)
                .collect())
        })
    }

    fn handle_udf_call(
        &self,
        session: TSessionId,
        name: String,
        arguments: Vec<TDatum>,
        argument_types: Vec<String>,
    ) -> udf_thrift::Result<TUdfCallResult> {
        self.call("udf_call", || {
            let session = self.session(&session)?;
            let (values, literals) = call::arguments(&arguments, &argument_types)?;
            let result = self
                .engine
                .call_function(&name, &values, literals, session.statement_timeout)
                .map_err(Error::Call)?;
            call::reply(result)
        })
    }

    fn handle_udf_list_functions(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<TUdfFunctionInfo>> {
        self.call("udf_list_functions", || {
            self.session(&session)?;
            Ok(self
                .function_infos()
                .into_iter()
                .map(|f| TUdfFunctionInfo {
                    signature: Some(f.signature.to_string()),
                    name: Some(f.name),
                    symbol: Some(f.symbol),
                    targets: Some(f.targets),
                    origin: Some(f.origin),
                    compile_time_us: Some(
                        i64::try_from(f.compile_time.as_micros()).unwrap_or(i64::MAX),
                    ),
                })
                .collect())
        })
    }

    fn handle_udf_server_status(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<TUdfServerStatus> {
        self.call("udf_server_status", || {
            self.session(&session)?;
            self.udf_server_status()
        })
    }

    fn handle_udf_list_sessions(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<TUdfSessionInfo>> {
        self.call("udf_list_sessions", || {
            let caller = self.session(&session)?;
            Ok(self.udf_list_sessions(&session, &caller))
        })
    }

    fn handle_udf_kill_session(&self, session: TSessionId, id: String) -> udf_thrift::Result<()> {
        self.call("udf_kill_session", || {
            self.superuser(&session, "udf_kill_session")?;
            self.udf_kill_session(&id)
        })
    }

    fn handle_udf_list_tables(
        &self,
        session: TSessionId,
    ) -> udf_thrift::Result<Vec<TUdfTableInfo>> {
        self.call("udf_list_tables", || {
            self.session(&session)?;
            self.udf_list_tables()
        })
    }

    fn handle_udf_function_details(
        &self,
        session: TSessionId,
        name: String,
        texts: Vec<String>,
    ) -> udf_thrift::Result<Vec<TUdfKernelDetails>> {
        self.call("udf_function_details", || {
            self.session(&session)?;
            self.udf_function_details(&name, &texts)
        })
    }

    fn handle_udf_cache_stats(&self, session: TSessionId) -> udf_thrift::Result<TUdfCacheStats> {
        self.call("udf_cache_stats", || {
            self.session(&session)?;
            Ok(self.udf_cache_stats())
        })
    }

    fn handle_udf_cache_clear(&self, session: TSessionId) -> udf_thrift::Result<TUdfCacheStats> {
        self.call("udf_cache_clear", || {
            self.superuser(&session, "udf_cache_clear")?;
            self.udf_cache_clear()
        })
    }

    fn handle_udf_metrics(&self, session: TSessionId) -> udf_thrift::Result<String> {
        self.call("udf_metrics", || {
            self.session(&session)?;
            Ok(self.render_metrics())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_types() {
        assert_eq!(query_type("  select 1"), TQueryType::READ);
        assert_eq!(query_type("(SELECT 1)"), TQueryType::READ);
        assert_eq!(query_type("INSERT INTO t VALUES (1)"), TQueryType::WRITE);
        assert_eq!(
            query_type("create table t (a int)"),
            TQueryType::SCHEMA_WRITE
        );
    }

    #[test]
    fn version_has_the_shape_clients_parse() {
        let v = version_string();
        let (numbers, suffix) = v.split_once('-').unwrap();
        assert_eq!(numbers.split('.').count(), 3);
        assert!(!suffix.is_empty());
    }
}

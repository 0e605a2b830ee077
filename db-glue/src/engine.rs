//! The engine: one DataFusion session, the IR function catalog and the compiler.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use compiler::{
    CompileRequest, Compiler, CompilerOptions, FunctionSpec, TableFunctionSpec, ValueType,
};
use datafusion::arrow::array::{
    ArrayRef, Float64Array, RecordBatch, RecordBatchOptions, StringArray,
};
use datafusion::arrow::compute::{filter_record_batch, ilike, like};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::config::{ConfigNonZeroUsize, ConfigOptions};
use datafusion::common::{
    Constraints, DFSchema, DataFusionError, ScalarValue, SchemaError, TableReference,
};
use datafusion::datasource::{MemTable, TableProvider, ViewTable};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::TaskContext;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::memory_pool::{GreedyMemoryPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::{
    CreateExternalTable, CreateMemoryTable, CreateView, DdlStatement, Expr, LogicalPlan, ScalarUDF,
};
use datafusion::optimizer::Analyzer;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{ShowStatementFilter, Statement as SqlStatement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use parking_lot::Mutex;

use crate::access::{self, AccessStatement, Principal, TablePrivilege};
use crate::analyzer::BindIrCalls;
use crate::calcite;
use crate::catalog::{
    FunctionCatalog, FunctionDefinition, FunctionInfo, InMemoryFunctionCatalog, RegisteredFunction,
    arg_list,
};
use crate::cluster;
use crate::ddl::{self, DropTarget};
use crate::device::{self, DevicePreference, GpuState, UdfOptions};
use crate::dialect;
use crate::error::{Error, Result};
use crate::introspect::{self, CodeInfo, DetailTexts, FunctionDetails};
use crate::overload::{Overload, candidate_list};
use crate::store::{
    Catalog, DefinitionEntry, DefinitionKind, FunctionEntry, Loaded, Store, TableEntry,
    TableFunctionEntry, UserRecord,
};
use crate::stored_table::StoredTable;
use crate::table_function::{
    RegisteredTableFunction, TableFunctionInfo, TableFunctions, UdtfQueryPlanner,
    UdtfRelationPlanner,
};
use crate::tables::{self, TEXT_ENCODING_KEY};
use crate::udf::{ArgTypeProbe, IrFunction};
use crate::watchdog::{self, StatementControl, StatementExtension};

/// How to build an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// The data directory: tables, views, functions and users are kept there and come
    /// back when an engine opens it again (see `store.rs` for the layout and guarantees).
    /// It also holds the compiler's code cache (`code-cache/`) unless
    /// `compiler.cache_dir` names another folder. `None`: everything lives in memory and
    /// ends with the process.
    pub data_dir: Option<PathBuf>,
    /// Partitions DataFusion splits work into; `None` keeps its default (the CPU count).
    pub target_partitions: Option<usize>,
    pub compiler: CompilerOptions,
    /// Never use a GPU, even when one is present.
    pub no_gpu: bool,
    /// The owner of functions created without naming one ([`StatementOptions::owner`],
    /// [`FunctionDefinition::owner`]); `None`: `$USER`, else `local`.
    pub owner: Option<String>,
    /// How long a statement may run before it is stopped (UDF kernels at their next loop
    /// back edge, the rest at its next await); `None`: no limit. Engine-wide: `SET
    /// statement_timeout` changes it for later statements ([`Engine::set_statement_timeout`]);
    /// a server passes each session's own value with [`Engine::execute_one_with_control`].
    pub statement_timeout: Option<Duration>,
    /// Memory (MiB) each statement may hold in DataFusion's memory pool: every statement
    /// gets a pool of its own of this size, so that one query cannot starve the others.
    /// Operators that can spill to disk do so at the limit; others fail with
    /// [`Error::QueryMemoryLimit`]. `None`: unlimited.
    pub query_memory_mb: Option<usize>,
    /// Check privileges: statements run for a named user ([`StatementOptions::owner`])
    /// get only what the catalog's users and grants allow them (see `access.rs`). Off,
    /// every statement may do anything (embedded use, where the only user is the owner).
    pub access_control: bool,
    /// Cluster mode: the Ballista scheduler (`ballista://HOST:PORT`) that queries go to
    /// (see `cluster/mod.rs`); `None`: every query runs in this process.
    pub cluster: Option<String>,
}

/// How the columns of a result are named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResultNames {
    /// DataFusion's: an expression is named by its text (`incr(t.i)`, `Int64(1)`).
    #[default]
    DataFusion,
    /// HeavyDB's, which its clients show: an unaliased select-list expression that is not a
    /// column reference is `EXPR$<n>`, n its 0-based position in the select list after
    /// wildcards expand; columns and aliases keep their names. `VALUES` columns are all
    /// `EXPR$<n>`.
    Calcite,
}

/// How to run one statement ([`Engine::execute_one_with`], [`Engine::describe_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementOptions {
    pub result_names: ResultNames,
    /// Where UDFs of this statement run; `None` keeps the engine's `udf.device`.
    pub device: Option<DevicePreference>,
    /// In cluster mode, whether it may go to the cluster; `None` keeps the engine's
    /// `udf.cluster`.
    pub cluster: Option<cluster::ClusterPreference>,
    /// Who runs it: the owner of a function or table it creates, and with
    /// [`EngineConfig::access_control`] the user whose privileges apply (a superuser's,
    /// per the catalog, allow everything). `None`: the engine's owner
    /// ([`EngineConfig::owner`]), a superuser.
    pub owner: Option<String>,
}

/// What [`Engine::with_catalog`] brought back from the data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreSummary {
    pub tables: usize,
    /// Rows of all tables.
    pub rows: u64,
    /// Views and external tables whose statements ran again.
    pub definitions: usize,
    /// Views and external tables whose statement failed at start (a file gone, a table
    /// they read dropped), each with why. They stay in the catalog: a later start may
    /// succeed, and `DROP VIEW`/`DROP TABLE` removes them.
    pub unrestored: Vec<String>,
    /// Function names.
    pub functions: usize,
    pub overloads: usize,
    pub users: usize,
    /// Files no committed change referenced (what a crash left behind), deleted.
    pub garbage_removed: usize,
    pub elapsed: Duration,
}

/// A client's own GPU module for a runtime registration: NVPTX IR and the GPU variants
/// it defines (SQL name, symbol and signature each).
#[derive(Debug, Clone)]
pub struct ClientGpuModule {
    pub ir: Vec<u8>,
    pub functions: Vec<(String, FunctionSpec)>,
}

/// What [`Engine::replace_function_set`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplaceSummary {
    /// Overloads of the origin's previous set.
    pub removed: usize,
    /// Overloads of the new set.
    pub added: usize,
}

/// One table as [`Engine::table_stats`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStats {
    pub name: String,
    /// `x DOUBLE, y DOUBLE`.
    pub columns: String,
    pub rows: u64,
    /// Memory the rows take.
    pub bytes: u64,
    /// Record batches holding them.
    pub batches: usize,
}

/// What [`Engine::call_function`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub value: ScalarValue,
    /// The overload that ran, as `add(BIGINT, BIGINT) -> BIGINT`.
    pub signature: String,
}

/// What one statement produced.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The columns; empty for statements that return no rows (DDL).
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// What a statement without rows did, e.g. `created function myadd(int64, int64)`.
    pub message: Option<String>,
}

impl QueryResult {
    /// A result without rows that only says what a statement did.
    pub fn message(message: String) -> Self {
        QueryResult {
            schema: Arc::new(Schema::empty()),
            batches: Vec::new(),
            message: Some(message),
        }
    }

    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// A SQL engine over in-memory tables and files (CSV, Parquet) whose functions include
/// user-defined ones compiled from LLVM IR. Cheap to clone; clones share everything.
///
/// It speaks DataFusion's SQL (generic dialect) plus `CREATE [OR REPLACE] FUNCTION … LANGUAGE
/// llvm`, `DROP FUNCTION [IF EXISTS] name[(types)]` and `SHOW FUNCTIONS [LIKE 'pattern']`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("session_id", &self.inner.ctx.session_id())
            .field("catalog", &self.inner.catalog)
            .finish_non_exhaustive()
    }
}

struct EngineInner {
    ctx: SessionContext,
    compiler: Arc<Compiler>,
    catalog: Arc<dyn FunctionCatalog>,
    /// Table functions (`table_function.rs`); a name is in this or in `catalog`, not both.
    table_functions: Arc<TableFunctions>,
    /// Held while the catalog changes and the session's UDFs are updated to match, so that
    /// concurrent changes cannot interleave the two.
    ddl: Mutex<()>,
    /// Tells successive definitions of one name apart (see `IrFunction`).
    generation: AtomicU64,
    /// The CUDA device functions are also built for, or why there is none.
    gpu: GpuState,
    /// The catalog of tables, views, functions and users, and with a data directory its
    /// files. Changes are written here before they are applied to the session.
    store: Arc<Store>,
    /// Held while a table, view or external table is created or dropped: the existence
    /// check, the store's commit and the session's registration go together. Never held
    /// across an `await`.
    tables: Mutex<()>,
    /// The owner of functions created without one.
    owner: String,
    /// [`EngineConfig::access_control`].
    access_control: bool,
    restored: OnceLock<RestoreSummary>,
    /// The engine-wide `statement_timeout` in milliseconds; 0: none.
    statement_timeout_ms: AtomicU64,
    /// Bytes of each statement's own memory pool; `None`: unlimited (the shared pool).
    query_memory: Option<usize>,
    /// Cluster mode's query planner (its scheduler and counters).
    cluster: Option<Arc<cluster::ClusterPlanner>>,
}

/// One row of `SHOW FUNCTIONS`: a scalar or a table function overload.
struct ShownFunction {
    name: String,
    signature: String,
    targets: Vec<String>,
    origin: String,
    compile_time: Duration,
    runs: String,
    owner: String,
    created_at: SystemTime,
}

fn stored_table_function(f: &RegisteredTableFunction, sha: &str) -> TableFunctionEntry {
    TableFunctionEntry {
        name: f.name.clone(),
        symbol: f.symbol.clone(),
        signature: f.signature.clone(),
        origin: f.origin.clone(),
        owner: f.owner.clone(),
        created_at: f.created_at,
        ir: sha.to_string(),
    }
}

/// Bytes a table function call may take for its outputs and allocations without
/// `query_memory_mb`.
const TABLE_FUNCTION_BUDGET: usize = 1 << 30;

/// The compiler's code cache inside a data directory (unless configured elsewhere).
const CODE_CACHE_DIR: &str = "code-cache";

/// A statement's context below `run_statement`.
struct Run<'a> {
    /// Its time limit and interrupt (reaches UDF calls through the session config).
    control: &'a Arc<StatementControl>,
    device: Option<DevicePreference>,
    cluster: Option<cluster::ClusterPreference>,
    owner: &'a str,
    /// Whose privileges apply.
    who: Principal,
    /// HeavyDB's `ENCODING NONE` text columns of the `CREATE TABLE` being run.
    none_encoded: &'a [String],
}

/// A table [`Engine::install_table`] makes.
struct NewTable<'a> {
    name: &'a str,
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
    constraints: Constraints,
    defaults: Vec<(String, Expr)>,
    if_not_exists: bool,
    or_replace: bool,
    /// Who makes it (its owner in the catalog).
    owner: &'a str,
}

/// The owner of functions when no one is named: the OS user of an embedded engine.
fn default_owner() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "local".to_string())
}

/// A DDL statement done, as DataFusion reports one: no columns, no rows.
fn ddl_done() -> QueryResult {
    QueryResult {
        schema: Arc::new(Schema::empty()),
        batches: Vec::new(),
        message: None,
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn execution_error(message: String) -> Error {
    Error::DataFusion(DataFusionError::Execution(message))
}

/// A one-row `SHOW` result, in DataFusion's `name`, `value` columns.
fn show_setting(name: &str, value: &str) -> Result<QueryResult> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec![name])),
            Arc::new(StringArray::from(vec![value])),
        ],
    )
    .map_err(|e| Error::Internal(format!("SHOW {name}: {e}")))?;
    Ok(QueryResult {
        schema,
        batches: vec![batch],
        message: None,
    })
}

/// DataFusion's check before it makes a table or view: qualifiers are dropped, so
/// unqualified names must differ.
fn ensure_unique_column_names(schema: &DFSchema) -> Result<()> {
    let mut seen = BTreeSet::new();
    for field in schema.fields() {
        if !seen.insert(field.name().as_str()) {
            return Err(Error::DataFusion(DataFusionError::SchemaError(
                Box::new(SchemaError::DuplicateUnqualifiedField {
                    name: field.name().to_string(),
                }),
                Box::new(None),
            )));
        }
    }
    Ok(())
}

/// `batches` relabelled with `schema` (which differs at most in field metadata).
fn relabel(batches: Vec<Vec<RecordBatch>>, schema: &SchemaRef) -> Result<Vec<Vec<RecordBatch>>> {
    batches
        .into_iter()
        .map(|partition| {
            partition
                .into_iter()
                .map(|b| {
                    RecordBatch::try_new_with_options(
                        Arc::clone(schema),
                        b.columns().to_vec(),
                        &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
                    )
                    .map_err(|e| Error::Internal(format!("relabelling rows: {e}")))
                })
                .collect()
        })
        .collect()
}

/// `schema` with HeavyDB's `ENCODING NONE` recorded on the text columns named.
fn mark_none_encoded(schema: SchemaRef, columns: &[String]) -> SchemaRef {
    if columns.is_empty() {
        return schema;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            if columns.iter().any(|c| c == f.name()) {
                let mut metadata = field.metadata().clone();
                metadata.insert(TEXT_ENCODING_KEY.to_string(), "NONE".to_string());
                field.with_metadata(metadata)
            } else {
                field
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The record the store keeps of a registered overload.
fn stored_function(
    f: &RegisteredFunction,
    ir: &str,
    gpu: Option<(String, String)>,
) -> FunctionEntry {
    FunctionEntry {
        name: f.name.clone(),
        symbol: f.symbol.clone(),
        signature: f.signature.clone(),
        origin: f.origin.clone(),
        owner: f.owner.clone(),
        created_at: f.created_at,
        ir: ir.to_string(),
        gpu,
    }
}

impl Engine {
    /// An engine with an empty in-memory function catalog.
    pub fn new(config: EngineConfig) -> Result<Engine> {
        Self::with_catalog(config, Arc::new(InMemoryFunctionCatalog::new()))
    }

    /// An engine over `catalog`; the functions it already holds are registered.
    ///
    /// With a data directory, the engine opens it (creating it when new): it brings back
    /// every table with its rows, every view and external table, and every function —
    /// compiled again, for the GPU too — and deletes what a crash left uncommitted. A
    /// catalog file that cannot be read is an error naming it; a missing one is a new,
    /// empty database. Functions `catalog` holds that the directory lacks are added to
    /// it. [`Engine::restore_summary`] says what came back.
    pub fn with_catalog(config: EngineConfig, catalog: Arc<dyn FunctionCatalog>) -> Result<Engine> {
        let started = Instant::now();
        let (store, loaded) = match &config.data_dir {
            Some(dir) => {
                let (store, loaded) = Store::open(dir)?;
                (store, Some(loaded))
            }
            None => (Store::in_memory(), None),
        };
        let mut compiler_options = config.compiler.clone();
        if let Some(dir) = &config.data_dir
            && compiler_options.cache_dir.is_none()
        {
            // Restarts then link the stored functions' code instead of compiling it.
            compiler_options.cache_dir = Some(dir.join(CODE_CACHE_DIR));
        }
        let compiler = Compiler::new(compiler_options).map_err(Error::CompilerStart)?;
        let mut session = SessionConfig::new()
            .with_information_schema(true)
            .with_option_extension(UdfOptions::default());
        if let Some(partitions) = config.target_partitions {
            session = session.with_target_partitions(partitions.max(1));
        }
        let cluster = match &config.cluster {
            Some(address) => {
                session = cluster::cluster_session_config(session);
                Some(Arc::new(cluster::ClusterPlanner::new(
                    cluster::scheduler_url(address)?,
                    Arc::new(UdtfQueryPlanner),
                    Arc::default(),
                )))
            }
            None => None,
        };
        let query_planner: Arc<dyn QueryPlanner + Send + Sync> = match &cluster {
            Some(planner) => Arc::clone(planner) as _,
            None => Arc::new(UdtfQueryPlanner),
        };
        let mut analyzer_rules = Analyzer::new().rules;
        // Ahead of TypeCoercion: bound calls have nothing left for it to coerce.
        analyzer_rules.insert(0, Arc::new(BindIrCalls));
        let table_functions = Arc::new(TableFunctions::default());
        let query_memory = config
            .query_memory_mb
            .filter(|&mb| mb > 0)
            .map(|mb| mb.saturating_mul(1 << 20));
        let state = SessionStateBuilder::new()
            .with_config(session)
            .with_default_features()
            .with_analyzer_rules(analyzer_rules)
            .with_relation_planners(vec![Arc::new(UdtfRelationPlanner {
                functions: Arc::clone(&table_functions),
                budget: query_memory.unwrap_or(TABLE_FUNCTION_BUDGET),
            })])
            .with_query_planner(query_planner)
            .build();
        let engine = Engine {
            inner: Arc::new(EngineInner {
                ctx: SessionContext::new_with_state(state),
                compiler: Arc::new(compiler),
                catalog,
                table_functions,
                ddl: Mutex::new(()),
                generation: AtomicU64::new(0),
                gpu: GpuState::open(!config.no_gpu),
                store: Arc::new(store),
                tables: Mutex::new(()),
                owner: config.owner.clone().unwrap_or_else(default_owner),
                access_control: config.access_control,
                restored: OnceLock::new(),
                statement_timeout_ms: AtomicU64::new(
                    config.statement_timeout.map_or(0, duration_ms),
                ),
                query_memory,
                cluster,
            }),
        };
        engine.inner.ctx.register_udtf(
            introspect::DETAILS_FUNCTION,
            Arc::new(introspect::DetailsTableFunction {
                catalog: Arc::clone(&engine.inner.catalog),
                tables: Arc::clone(&engine.inner.table_functions),
                compiler: Arc::clone(&engine.inner.compiler),
            }),
        );
        let mut summary = RestoreSummary::default();
        if let Some(loaded) = loaded {
            engine.restore(loaded, &mut summary)?;
        }
        engine.store_catalog_only_functions()?;
        let names: BTreeSet<String> = engine
            .inner
            .catalog
            .list()
            .into_iter()
            .map(|f| f.name)
            .collect();
        for name in names {
            engine.sync_udf(&name);
        }
        summary.elapsed = started.elapsed();
        if config.data_dir.is_some() {
            tracing::debug!(
                tables = summary.tables,
                rows = summary.rows,
                views_and_external_tables = summary.definitions,
                functions = summary.functions,
                overloads = summary.overloads,
                elapsed_ms = summary.elapsed.as_millis() as u64,
                "data directory opened"
            );
        }
        let _ = engine.inner.restored.set(summary);
        Ok(engine)
    }

    /// What opening the data directory brought back (all zero without one).
    pub fn restore_summary(&self) -> RestoreSummary {
        self.inner.restored.get().cloned().unwrap_or_default()
    }

    /// Brings back what the data directory holds: functions first (views may call
    /// them), then tables, then views and external tables in the order they were made.
    fn restore(&self, loaded: Loaded, summary: &mut RestoreSummary) -> Result<()> {
        let stored = self.inner.store.catalog();
        summary.garbage_removed = loaded.garbage;
        self.restore_functions(&stored, &loaded.ir)?;
        self.restore_table_functions(&stored, &loaded.ir)?;
        summary.overloads = stored.functions.len() + stored.table_functions.len();
        summary.functions = stored
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .chain(stored.table_functions.iter().map(|f| f.name.as_str()))
            .collect::<BTreeSet<_>>()
            .len();
        let partitions = self.inner.ctx.copied_config().target_partitions().max(1);
        for (table, segments) in stored.tables.iter().zip(loaded.rows) {
            let rows: u64 = table.segments.iter().map(|s| s.rows).sum();
            // Whole segments per partition, round robin, so that scans run in parallel.
            let count = segments.len().clamp(1, partitions);
            let mut spread = vec![Vec::new(); count];
            for (i, segment) in segments.into_iter().enumerate() {
                spread[i % count].extend(segment);
            }
            self.register_restored_table(table, spread)
                .map_err(|e| Error::Restore {
                    what: format!("table `{}`", table.name),
                    source: Box::new(e),
                })?;
            summary.tables += 1;
            summary.rows += rows;
        }
        summary.unrestored = self.replay_definitions(&stored.definitions);
        summary.definitions = stored.definitions.len() - summary.unrestored.len();
        summary.users = stored.users.len();
        Ok(())
    }

    /// Compiles the stored table functions again, one compile per module and origin.
    fn restore_table_functions(
        &self,
        stored: &Catalog,
        ir: &HashMap<String, Arc<[u8]>>,
    ) -> Result<()> {
        let mut groups: BTreeMap<(&str, &str), Vec<&TableFunctionEntry>> = BTreeMap::new();
        for f in &stored.table_functions {
            groups
                .entry((f.origin.as_str(), f.ir.as_str()))
                .or_default()
                .push(f);
        }
        for ((origin, sha), entries) in groups {
            let module = ir.get(sha).cloned().ok_or_else(|| {
                Error::Internal(format!("IR blob {sha} was not loaded with the catalog"))
            })?;
            let tables: Vec<(String, TableFunctionSpec)> = entries
                .iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        TableFunctionSpec::new(e.symbol.clone(), e.signature.clone()),
                    )
                })
                .collect();
            let mut compiled = self
                .compile_table_set(origin, "", &module, &tables)
                .map_err(|e| Error::Restore {
                    what: format!("table functions of IR {sha}"),
                    source: Box::new(e),
                })?;
            for (f, entry) in compiled.iter_mut().zip(&entries) {
                f.owner = entry.owner.clone();
                f.created_at = entry.created_at;
            }
            self.inner.table_functions.insert(compiled);
        }
        Ok(())
    }

    /// Compiles the stored functions again, one compile per module as they were
    /// registered, with the client's GPU modules where they sent one.
    fn restore_functions(&self, stored: &Catalog, ir: &HashMap<String, Arc<[u8]>>) -> Result<()> {
        let module = |sha: &str| {
            ir.get(sha).cloned().ok_or_else(|| {
                Error::Internal(format!("IR blob {sha} was not loaded with the catalog"))
            })
        };
        let mut groups: BTreeMap<(&str, &str), Vec<&FunctionEntry>> = BTreeMap::new();
        for f in &stored.functions {
            groups
                .entry((f.origin.as_str(), f.ir.as_str()))
                .or_default()
                .push(f);
        }
        let mut registered = Vec::with_capacity(stored.functions.len());
        for ((origin, sha), entries) in groups {
            let functions: Vec<(String, FunctionSpec)> = entries
                .iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        FunctionSpec::new(e.symbol.clone(), e.signature.clone()),
                    )
                })
                .collect();
            let restore_error = |e: Error| {
                let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                Error::Restore {
                    what: format!(
                        "function `{}` (IR {sha})",
                        names.into_iter().collect::<Vec<_>>().join("`, `")
                    ),
                    source: Box::new(e),
                }
            };
            let mut compiled = self
                .compile_set(origin, "", &module(sha)?, &functions)
                .map_err(restore_error)?;
            for (f, entry) in compiled.iter_mut().zip(&entries) {
                f.owner = entry.owner.clone();
                f.created_at = entry.created_at;
            }
            registered.extend(compiled);
        }
        if self.inner.gpu.device().is_some() {
            let mut gpu_groups: BTreeMap<&str, Vec<&FunctionEntry>> = BTreeMap::new();
            for f in &stored.functions {
                if let Some((sha, _)) = &f.gpu {
                    gpu_groups.entry(sha.as_str()).or_default().push(f);
                }
            }
            for (sha, entries) in gpu_groups {
                let specs: Vec<FunctionSpec> = entries
                    .iter()
                    .filter_map(|e| {
                        let (_, symbol) = e.gpu.as_ref()?;
                        Some(FunctionSpec::new(symbol.clone(), e.signature.clone()))
                    })
                    .collect();
                let builds = device::build_for_gpu(
                    &self.inner.gpu,
                    &self.inner.compiler,
                    &module(sha)?,
                    &specs,
                );
                for (entry, build) in entries.iter().zip(builds) {
                    match build {
                        Ok(build) => {
                            if let Some(f) = registered
                                .iter_mut()
                                .find(|f| f.name == entry.name && f.signature == entry.signature)
                            {
                                f.gpu = Ok(build);
                            }
                        }
                        Err(reason) => tracing::warn!(
                            function = entry.name,
                            %reason,
                            "the client's GPU variant did not build; using the CPU module's"
                        ),
                    }
                }
            }
        }
        self.inner.catalog.insert(registered, true)
    }

    /// Adds to the store the functions the engine's catalog held before it opened the
    /// data directory (a catalog passed to [`Engine::with_catalog`]).
    fn store_catalog_only_functions(&self) -> Result<()> {
        let missing: Vec<RegisteredFunction> = {
            let stored = self.inner.store.catalog();
            self.inner
                .catalog
                .list()
                .into_iter()
                .filter(|f| {
                    !stored
                        .functions
                        .iter()
                        .any(|s| s.name == f.name && s.signature.args == f.signature.args)
                })
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let mut txn = self.inner.store.begin()?;
        for f in &missing {
            let sha = txn.write_ir(&f.ir)?;
            txn.next.functions.push(stored_function(f, &sha, None));
        }
        txn.commit()
    }

    fn register_restored_table(
        &self,
        table: &TableEntry,
        partitions: Vec<Vec<RecordBatch>>,
    ) -> Result<()> {
        let schema = Arc::clone(&table.schema);
        let df_schema = DFSchema::try_from(Arc::clone(&schema))?;
        let defaults = table
            .defaults
            .iter()
            .map(|(column, sql)| {
                Ok((
                    column.clone(),
                    self.inner.ctx.parse_sql_expr(sql, &df_schema)?,
                ))
            })
            .collect::<Result<HashMap<String, Expr>>>()?;
        let mem = MemTable::try_new(schema, partitions)?
            .with_constraints(table.constraints.clone())
            .with_column_defaults(defaults);
        let provider = StoredTable::new(
            table.id,
            table.name.clone(),
            mem,
            Arc::clone(&self.inner.store),
        );
        self.inner
            .ctx
            .register_table(TableReference::bare(table.name.clone()), Arc::new(provider))?;
        Ok(())
    }

    /// Runs the kept statements of views and external tables again, in order; returns
    /// those that failed, with why.
    fn replay_definitions(&self, definitions: &[DefinitionEntry]) -> Vec<String> {
        if definitions.is_empty() {
            return Vec::new();
        }
        let ctx = &self.inner.ctx;
        let run = || -> Vec<String> {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    return definitions
                        .iter()
                        .map(|d| format!("`{}`: no runtime to run it: {e}", d.name))
                        .collect();
                }
            };
            runtime.block_on(async {
                let mut failed = Vec::new();
                for d in definitions {
                    if let Err(e) = ctx.sql(&d.sql).await {
                        tracing::warn!(name = d.name, kind = d.kind_name(), error = %e, "cannot restore");
                        failed.push(format!("{} `{}`: {}", d.kind_name(), d.name, e.strip_backtrace()));
                    }
                }
                failed
            })
        };
        // Planning is async, and the caller may be inside a runtime (where blocking on
        // one is refused): a thread of its own runs it.
        std::thread::scope(|scope| {
            scope
                .spawn(run)
                .join()
                .unwrap_or_else(|_| vec!["restoring views and external tables panicked".into()])
        })
    }

    pub fn compiler(&self) -> &Arc<Compiler> {
        &self.inner.compiler
    }

    /// The session state a query runs with: the engine's, with `udf.device` as the
    /// statement asks, and — when a GPU may run UDFs — batches big enough to be worth the
    /// copies (DataFusion's 8192 rows would drown a GPU in round trips).
    fn query_state(
        &self,
        device: Option<DevicePreference>,
        cluster: Option<cluster::ClusterPreference>,
    ) -> SessionState {
        let mut state = self.inner.ctx.state();
        let options = state.config_mut().options_mut();
        let Some(udf) = options.extensions.get_mut::<UdfOptions>() else {
            state.mark_start_execution();
            return state;
        };
        if let Some(device) = device {
            udf.device = device.to_string();
        }
        if let Some(cluster) = cluster {
            udf.cluster = cluster.to_string();
        }
        let gpu_may_run =
            self.inner.gpu.device().is_some() && !udf.device.eq_ignore_ascii_case("cpu");
        let min_rows = udf.gpu_min_rows;
        if gpu_may_run
            && usize::from(options.execution.batch_size) < min_rows
            && let Ok(size) = ConfigNonZeroUsize::try_new(min_rows)
        {
            options.execution.batch_size = size;
        }
        // Physical expressions take their options from the execution start.
        state.mark_start_execution();
        state
    }

    /// In cluster mode, the scheduler and how many queries went there or stayed here.
    pub fn cluster_status(&self) -> Option<cluster::ClusterStatus> {
        self.inner.cluster.as_ref().map(|c| c.status())
    }

    /// The CUDA device UDFs are also built for, or why there is none.
    pub fn gpu(&self) -> &GpuState {
        &self.inner.gpu
    }

    /// Sets `udf.device` for every later statement of this engine (embedded use; a server
    /// passes each session's preference in [`StatementOptions`] instead).
    pub fn set_device(&self, device: DevicePreference) -> Result<()> {
        if device == DevicePreference::Gpu
            && let GpuState::Absent(reason) = &self.inner.gpu
        {
            return Err(Error::GpuUnavailable {
                function: "udf.device = 'gpu'".into(),
                reason: format!("no GPU: {reason}"),
            });
        }
        self.set_option(|o| o.device = device.to_string());
        Ok(())
    }

    /// Changes the engine's `udf.*` settings for every later statement.
    fn set_option(&self, change: impl FnOnce(&mut UdfOptions)) {
        let state = self.inner.ctx.state_ref();
        let mut state = state.write();
        if let Some(options) = state
            .config_mut()
            .options_mut()
            .extensions
            .get_mut::<UdfOptions>()
        {
            change(options);
        }
    }

    /// The engine-wide `statement_timeout` (`None`: no limit): what statements run with
    /// unless the caller passes its own ([`Engine::execute_one_with_control`]).
    pub fn statement_timeout(&self) -> Option<Duration> {
        match self.inner.statement_timeout_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Sets the engine-wide `statement_timeout` for later statements (embedded use, `SET
    /// statement_timeout`; a server keeps one per session instead).
    pub fn set_statement_timeout(&self, timeout: Option<Duration>) {
        self.inner
            .statement_timeout_ms
            .store(timeout.map_or(0, duration_ms), Ordering::Relaxed);
    }

    /// `state` carrying the statement's control to its UDF calls. Physical expressions
    /// take their config at the execution start, hence the new mark.
    fn statement_state(
        &self,
        mut state: SessionState,
        control: &Arc<StatementControl>,
    ) -> SessionState {
        state
            .config_mut()
            .options_mut()
            .extensions
            .insert(StatementExtension {
                control: Some(Arc::clone(control)),
            });
        state.mark_start_execution();
        state
    }

    /// `task` with a memory pool of the statement's own, when statements are limited.
    fn statement_task(&self, task: TaskContext) -> Result<TaskContext> {
        let Some(bytes) = self.inner.query_memory else {
            return Ok(task);
        };
        let pool = TrackConsumersPool::new(
            GreedyMemoryPool::new(bytes),
            NonZeroUsize::new(3).unwrap_or(NonZeroUsize::MIN),
        );
        let runtime = RuntimeEnvBuilder::from_runtime_env(&task.runtime_env())
            .with_memory_pool(Arc::new(pool))
            .build_arc()?;
        Ok(task.with_runtime(runtime))
    }

    /// Runs `statement` under `control`: its deadline watched, and the whole statement
    /// dropped when it is timed out or cancelled (UDF kernels stop on their own at their
    /// next loop back edge; the rest stops at its next await). Limit errors come out
    /// unwrapped, with the memory limit named.
    async fn run_controlled(
        &self,
        statement: DfStatement,
        options: &StatementOptions,
        none_encoded: &[String],
        control: &Arc<StatementControl>,
    ) -> Result<QueryResult> {
        let _armed = control.arm()?;
        let run = self.run_statement(statement, options, none_encoded, control);
        let result = tokio::select! {
            biased;
            result = run => result,
            () = control.stopped() => Err(control.stop_error()),
        };
        result.map_err(|e| match &e {
            Error::DataFusion(df) => watchdog::limit_error(df, self.query_memory_mb()).unwrap_or(e),
            _ => e,
        })
    }

    /// The per-statement memory limit in MiB, if any.
    fn query_memory_mb(&self) -> Option<usize> {
        self.inner.query_memory.map(|bytes| bytes >> 20)
    }

    /// Runs one or more `;`-separated statements in order, returning one result per
    /// statement. On an error, the statements before the failing one have taken effect.
    ///
    /// HeavyDB's storage clauses in `CREATE TABLE` (`ENCODING DICT(32)`, `WITH (…)`) are
    /// accepted and ignored.
    pub async fn execute(&self, sql: &str) -> Result<Vec<QueryResult>> {
        let sql = dialect::heavydb_to_datafusion(sql);
        if let Some(pieces) = access_pieces(&sql) {
            return self.execute_pieces(&sql, pieces).await;
        }
        let statements = parse(&sql)?;
        let numbered = statements.len() > 1;
        let mut results = Vec::with_capacity(statements.len());
        for (i, statement) in statements.into_iter().enumerate() {
            // Each statement's clock starts with it; a `SET statement_timeout` before it
            // in the same text applies.
            let control = StatementControl::new(self.statement_timeout());
            match self
                .run_controlled(statement, &StatementOptions::default(), &[], &control)
                .await
            {
                Ok(result) => results.push(result),
                Err(e) => {
                    let e = self.refine_error(e, &sql, i, numbered).await;
                    return Err(if numbered {
                        Error::Statement {
                            index: i + 1,
                            source: Box::new(e),
                        }
                    } else {
                        e
                    });
                }
            }
        }
        Ok(results)
    }

    /// Runs exactly one statement (a trailing `;` is fine): what a client that sends one
    /// query per request, and wants several refused, needs. Several statements are
    /// [`Error::MultipleStatements`], none an [`Error::Parse`].
    pub async fn execute_one(&self, sql: &str) -> Result<QueryResult> {
        self.execute_one_with(sql, StatementOptions::default())
            .await
    }

    /// [`Engine::execute_one`] with options (HeavyDB's result column names).
    pub async fn execute_one_with(
        &self,
        sql: &str,
        options: StatementOptions,
    ) -> Result<QueryResult> {
        let control = StatementControl::new(self.statement_timeout());
        self.execute_one_with_control(sql, options, &control).await
    }

    /// [`Engine::execute_one_with`] under the caller's [`StatementControl`]: a server
    /// passes its session's `statement_timeout` and keeps the control to cancel the
    /// statement (ending a session stops what it runs). `SHOW statement_timeout` shows the
    /// control's timeout.
    pub async fn execute_one_with_control(
        &self,
        sql: &str,
        options: StatementOptions,
        control: &Arc<StatementControl>,
    ) -> Result<QueryResult> {
        let original = sql;
        let sql = dialect::heavydb_to_datafusion(sql);
        if let Some(statement) = single_access_statement(&sql)? {
            return self.run_access(statement, options.owner.as_deref());
        }
        let mut statement = parse_one(&sql)?;
        // HeavyDB's column types where they differ from DataFusion's (see `heavydb_table`).
        let none_encoded = if options.result_names == ResultNames::Calcite {
            heavydb_table(&mut statement, original).unwrap_or_default()
        } else {
            Vec::new()
        };
        match self
            .run_controlled(statement, &options, &none_encoded, control)
            .await
        {
            Ok(result) => Ok(result),
            Err(e) => Err(self.refine_error(e, &sql, 0, false).await),
        }
    }

    /// The columns one statement would return, without running it: it is parsed, planned
    /// and checked, nothing more, so it has no effect. A statement that returns no rows
    /// (`CREATE TABLE`, `CREATE FUNCTION`, `DROP …`, `SET`) describes as an empty schema,
    /// an `INSERT` as its `count` column. A query calling a function that does not exist
    /// or cannot take its arguments is the same error as when it runs.
    pub async fn describe(&self, sql: &str) -> Result<SchemaRef> {
        self.describe_with(sql, StatementOptions::default()).await
    }

    /// [`Engine::describe`] with options (HeavyDB's result column names).
    pub async fn describe_with(&self, sql: &str, options: StatementOptions) -> Result<SchemaRef> {
        let sql = dialect::heavydb_to_datafusion(sql);
        if let Some(statement) = single_access_statement(&sql)? {
            return Ok(match statement {
                AccessStatement::ShowUsers => access::show_users_schema(),
                _ => Arc::new(Schema::empty()),
            });
        }
        let statement = parse_one(&sql)?;
        let who = self.principal(options.owner.as_deref());
        match self
            .describe_statement(statement, options.result_names, &who)
            .await
        {
            Ok(schema) => Ok(schema),
            Err(e) => Err(self.refine_error(e, &sql, 0, false).await),
        }
    }

    async fn run_statement(
        &self,
        statement: DfStatement,
        options: &StatementOptions,
        none_encoded: &[String],
        control: &Arc<StatementControl>,
    ) -> Result<QueryResult> {
        let run = Run {
            control,
            device: options.device,
            cluster: options.cluster,
            owner: options.owner.as_deref().unwrap_or(&self.inner.owner),
            who: self.principal(options.owner.as_deref()),
            none_encoded,
        };
        if options.result_names == ResultNames::DataFusion || !calcite::is_query(&statement) {
            return self.execute_statement(statement, &run).await;
        }
        let (plan, renaming) = self.plan_with_calcite_names(statement).await?;
        let result = self.execute_plan(plan, &run).await?;
        let Some(schema) = renaming.and_then(|r| calcite::rename(&result.schema, &r)) else {
            return Ok(result);
        };
        let batches = result
            .batches
            .iter()
            .map(|b| {
                RecordBatch::try_new_with_options(
                    Arc::clone(&schema),
                    b.columns().to_vec(),
                    &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Internal(format!("renaming result columns: {e}")))?;
        Ok(QueryResult {
            schema,
            batches,
            message: result.message,
        })
    }

    /// Plans a query so that its unnamed result columns can get Calcite's names: with them
    /// marked, or as written when marking is impossible or stops it from planning (see
    /// [`calcite`]).
    async fn plan_with_calcite_names(
        &self,
        statement: DfStatement,
    ) -> Result<(LogicalPlan, Option<calcite::Renaming>)> {
        let state = self.inner.ctx.state();
        let mut marked = statement.clone();
        if let Some(renaming) = calcite::mark_unnamed(&mut marked)
            && let Ok(plan) = state.statement_to_plan(marked).await
        {
            return Ok((plan, Some(renaming)));
        }
        let plan = state.statement_to_plan(statement.clone()).await?;
        let renaming = calcite::unnamed_positions(&statement, plan.schema().fields().len());
        Ok((plan, renaming))
    }

    async fn describe_statement(
        &self,
        statement: DfStatement,
        names: ResultNames,
        who: &Principal,
    ) -> Result<SchemaRef> {
        if let DfStatement::Statement(sql) = &statement {
            match sql.as_ref() {
                SqlStatement::CreateFunction(_) | SqlStatement::DropFunction(_) => {
                    return Ok(Arc::new(Schema::empty()));
                }
                SqlStatement::ShowFunctions { .. } => return Ok(self.show_functions(None)?.schema),
                _ => {}
            }
        }
        let state = self.inner.ctx.state();
        let (plan, renaming) = if names == ResultNames::Calcite && calcite::is_query(&statement) {
            self.plan_with_calcite_names(statement).await?
        } else {
            (state.statement_to_plan(statement).await?, None)
        };
        // A description shows what a table holds: the same privileges as running it.
        self.authorize(who, &plan)?;
        let schema: SchemaRef = match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => Arc::new(Schema::empty()),
            LogicalPlan::Dml(_) => Arc::clone(plan.schema().inner()),
            query => {
                // The analyzer binds IR calls and coerces types: what running would do first.
                let analyzed =
                    state
                        .analyzer()
                        .execute_and_check(query, state.config_options(), |_, _| {})?;
                Arc::clone(analyzed.schema().inner())
            }
        };
        Ok(renaming
            .and_then(|r| calcite::rename(&schema, &r))
            .unwrap_or(schema))
    }

    /// Our own errors raised inside DataFusion callbacks come back wrapped; unwrap them,
    /// and turn an unknown function into [`Error::NoMatchingFunction`] with the types of
    /// its arguments. A call is located in statement `index` of `sql` for the message.
    async fn refine_error(&self, error: Error, sql: &str, index: usize, multiple: bool) -> Error {
        let Error::DataFusion(df) = error else {
            return error;
        };
        let statement_range = || {
            if multiple {
                dialect::statement_ranges(sql).and_then(|r| r.get(index).cloned())
            } else {
                Some(0..sql.len())
            }
        };
        let df = match take_own_error(df) {
            Ok(Error::NoMatchingFunction {
                name,
                args,
                span,
                detail,
            }) => {
                let span = span.or_else(|| {
                    dialect::find_call(sql, statement_range()?, &name, Some(args.len()))
                        .map(|c| c.span)
                });
                return Error::NoMatchingFunction {
                    name,
                    args,
                    span,
                    detail,
                };
            }
            Ok(own) => return own,
            Err(df) => df,
        };
        let Some((name, detail)) = unknown_function(&df) else {
            return Error::DataFusion(df);
        };
        let site = statement_range().and_then(|r| dialect::find_call(sql, r, &name, None));
        let args = match self.probe_arg_types(sql, index, &name).await {
            Some(types) => types.iter().map(calcite::type_name).collect(),
            None => vec!["<ANY>".to_string(); site.map_or(0, |s| s.arity)],
        };
        Error::NoMatchingFunction {
            name,
            args,
            span: site.map(|s| s.span),
            detail,
        }
    }

    /// The argument types of the first call of the unknown function `name` in statement
    /// `index` of `sql`, learnt by planning it again in a copy of the session where a probe
    /// stands in for the function. `None` when planning fails before reaching the call.
    async fn probe_arg_types(&self, sql: &str, index: usize, name: &str) -> Option<Vec<DataType>> {
        let statement = parse(sql).ok()?.into_iter().nth(index)?;
        let seen = Arc::new(Mutex::new(None));
        let mut state = self.inner.ctx.state();
        state
            .register_udf(Arc::new(ScalarUDF::new_from_impl(ArgTypeProbe::new(
                name.to_string(),
                Arc::clone(&seen),
            ))))
            .ok()?;
        // The probe stops planning with an error once it has seen the call.
        let _ = state.statement_to_plan(statement).await;
        seen.lock().take()
    }

    async fn execute_statement(
        &self,
        statement: DfStatement,
        run: &Run<'_>,
    ) -> Result<QueryResult> {
        if let DfStatement::Statement(sql) = &statement {
            match sql.as_ref() {
                SqlStatement::Set(set) => {
                    if let Some(preference) = device::parse_set_device(&set.to_string()) {
                        let preference = preference?;
                        self.set_device(preference)?;
                        return Ok(QueryResult::message(format!("udf.device = '{preference}'")));
                    }
                    if let Some(preference) = cluster::parse_set_cluster(&set.to_string()) {
                        let preference = preference?;
                        self.set_option(|o| o.cluster = preference.to_string());
                        return Ok(QueryResult::message(format!(
                            "udf.cluster = '{preference}'"
                        )));
                    }
                    if let Some(timeout) = watchdog::parse_set_statement_timeout(&set.to_string()) {
                        let timeout = timeout?;
                        self.set_statement_timeout(timeout);
                        return Ok(QueryResult::message(format!(
                            "statement_timeout = {}",
                            watchdog::show_timeout(timeout)
                        )));
                    }
                }
                SqlStatement::ShowVariable { variable }
                    if watchdog::is_show_statement_timeout(
                        &variable
                            .iter()
                            .map(|i| i.value.as_str())
                            .collect::<Vec<_>>()
                            .join("."),
                    ) =>
                {
                    return show_setting(
                        "statement_timeout",
                        &watchdog::show_timeout(run.control.timeout()),
                    );
                }
                SqlStatement::CreateFunction(create) => {
                    return self.sql_create_function(create, &run.who);
                }
                SqlStatement::DropFunction(drop) => {
                    let targets = ddl::drop_function(drop)?;
                    let dropped = self.drop_functions(&targets, drop.if_exists, Some(&run.who))?;
                    return Ok(QueryResult::message(format!(
                        "dropped {dropped} function overload{}",
                        if dropped == 1 { "" } else { "s" }
                    )));
                }
                SqlStatement::ShowFunctions { filter } => {
                    return self.show_functions(filter.as_ref());
                }
                // DataFusion plans no ALTER TABLE yet; who may is settled first all the same.
                SqlStatement::AlterTable(alter) if !run.who.unrestricted => {
                    let reference = TableReference::from(alter.name.to_string().as_str());
                    if let Some(name) = self.default_schema_name(&reference) {
                        access::authorize_owner(
                            &run.who,
                            &self.inner.store.catalog(),
                            &name,
                            "alter",
                        )?;
                    }
                }
                _ => {}
            }
        }
        let plan = self.inner.ctx.state().statement_to_plan(statement).await?;
        self.execute_plan(plan, run).await
    }

    async fn execute_plan(&self, plan: LogicalPlan, run: &Run<'_>) -> Result<QueryResult> {
        self.authorize(&run.who, &plan)?;
        if let LogicalPlan::Ddl(ddl) = &plan
            && let Some(done) = self
                .table_ddl(ddl, run.none_encoded, run.control, run.owner)
                .await?
        {
            return Ok(done);
        }
        let frame = match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => {
                self.inner.ctx.execute_logical_plan(plan).await?
            }
            // What `execute_logical_plan` does for these, plus the statement's control for
            // the UDFs they run.
            LogicalPlan::Dml(_) | LogicalPlan::Copy(_) => DataFrame::new(
                self.statement_state(self.inner.ctx.state(), run.control),
                plan,
            ),
            query => DataFrame::new(
                self.statement_state(self.query_state(run.device, run.cluster), run.control),
                query,
            ),
        };
        let task_ctx = Arc::new(self.statement_task(frame.task_ctx())?);
        let physical = frame.create_physical_plan().await?;
        // A statement stopped while its job runs on the cluster cancels the job.
        let cancel = self
            .inner
            .cluster
            .as_ref()
            .and_then(|c| cluster::JobCancel::watch(&physical, &c.scheduler));
        // The physical plan's schema is the one the batches carry.
        let schema = physical.schema();
        let batches = datafusion::physical_plan::collect(physical, task_ctx).await?;
        if let Some(cancel) = cancel {
            cancel.disarm();
        }
        Ok(QueryResult {
            schema,
            batches,
            message: None,
        })
    }

    /// Compiles `definition` and registers its overloads under its name. Without
    /// `or_replace`, an overload whose argument types already exist is an error; with it,
    /// that overload is replaced. Other overloads of the name stay. With a data directory
    /// the function is stored before this returns.
    pub fn create_function(&self, definition: FunctionDefinition, or_replace: bool) -> Result<()> {
        self.create_function_as(definition, or_replace, None)
    }

    /// [`Engine::create_function`] for `who` (`None`: no checks): unless unrestricted,
    /// they need CREATE FUNCTION, and every existing overload of the name must be theirs.
    fn create_function_as(
        &self,
        definition: FunctionDefinition,
        or_replace: bool,
        who: Option<&Principal>,
    ) -> Result<()> {
        let name = ddl::normalize_name(&definition.name)?;
        let who = who.filter(|w| !w.unrestricted);
        if let Some(who) = who {
            access::authorize_create_function(who, &self.inner.store.catalog())?;
            // Checked again under the lock; this only spares a compile that would be refused.
            self.check_function_owner(&name, &definition.overloads, who)?;
        }
        if definition.overloads.is_empty() {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` has no overloads"
            )));
        }
        for (i, a) in definition.overloads.iter().enumerate() {
            if definition.overloads[..i]
                .iter()
                .any(|b| b.signature.args == a.signature.args)
            {
                return Err(Error::InvalidDefinition(format!(
                    "`{name}` lists two overloads taking ({})",
                    arg_list(&a.signature.args)
                )));
            }
        }
        self.check_not_builtin(&name)?;
        self.check_not_table_function(&name)?;
        if !or_replace {
            // Checked again on insert; this only spares a compile that would be thrown away.
            let existing = self.inner.catalog.get(&name);
            if let Some(spec) = definition.overloads.iter().find(|s| {
                existing
                    .iter()
                    .any(|e| e.signature.args == s.signature.args)
            }) {
                return Err(Error::FunctionExists {
                    name,
                    args: arg_list(&spec.signature.args),
                });
            }
        }
        let functions: Vec<(String, FunctionSpec)> = definition
            .overloads
            .iter()
            .map(|spec| (name.clone(), spec.clone()))
            .collect();
        let owner = definition.owner.as_deref().unwrap_or(&self.inner.owner);
        let registered = self.compile_set(&definition.origin, owner, &definition.ir, &functions)?;
        let _ddl = self.inner.ddl.lock();
        if let Some(who) = who {
            self.check_function_owner(&name, &definition.overloads, who)?;
        }
        if !or_replace {
            // Under the lock this time: the store must not take what the catalog refuses.
            let existing = self.inner.catalog.get(&name);
            if let Some(f) = registered.iter().find(|f| {
                existing
                    .iter()
                    .any(|e| e.signature.args == f.signature.args)
            }) {
                return Err(Error::FunctionExists {
                    name,
                    args: arg_list(&f.signature.args),
                });
            }
        }
        let mut txn = self.inner.store.begin()?;
        let sha = txn.write_ir(&definition.ir)?;
        for f in &registered {
            txn.next.remove_function(&f.name, &f.signature);
            txn.next.functions.push(stored_function(f, &sha, None));
        }
        txn.commit()?;
        tracing::info!(function = %name, overloads = registered.len(), "function registered");
        self.inner.catalog.insert(registered, or_replace)?;
        self.sync_udf(&name);
        Ok(())
    }

    /// Refuses `who` a definition of `name` when an overload of it is someone else's: one
    /// taking the same arguments would be replaced, and any other would change which code
    /// a call of the name runs.
    fn check_function_owner(
        &self,
        name: &str,
        overloads: &[FunctionSpec],
        who: &Principal,
    ) -> Result<()> {
        let existing = self.inner.catalog.get(name);
        let Some(other) = existing.iter().find(|f| f.owner != who.name) else {
            return Ok(());
        };
        let replacing = existing.iter().any(|f| {
            f.owner != who.name
                && overloads
                    .iter()
                    .any(|s| s.signature.args == f.signature.args)
        });
        Err(Error::NotOwner {
            kind: "function",
            name: name.to_string(),
            owner: other.owner.clone(),
            action: if replacing {
                "replace"
            } else {
                "add overloads to"
            },
        })
    }

    /// Drops the overload of `name` taking `args`, or all its overloads when `args` is
    /// `None`; returns how many were dropped. A function that does not exist is an error
    /// unless `if_exists`.
    pub fn drop_function(
        &self,
        name: &str,
        args: Option<&[ValueType]>,
        if_exists: bool,
    ) -> Result<usize> {
        let target = DropTarget {
            name: ddl::normalize_name(name)?,
            args: args.map(<[ValueType]>::to_vec),
            table_args: None,
        };
        self.drop_functions(std::slice::from_ref(&target), if_exists, None)
    }

    /// Every registered overload, ordered by name, then signature text.
    /// Every table function overload, ordered by name, then signature.
    pub fn table_functions(&self) -> Vec<TableFunctionInfo> {
        let mut all: Vec<TableFunctionInfo> = self
            .inner
            .table_functions
            .list()
            .iter()
            .map(|f| f.info())
            .collect();
        all.sort_by_cached_key(|f| (f.name.clone(), f.signature.to_string()));
        all
    }

    /// Compiles the table functions `tables` (SQL name and spec each) of one module.
    fn compile_table_set(
        &self,
        origin: &str,
        owner: &str,
        ir: &[u8],
        tables: &[(String, TableFunctionSpec)],
    ) -> Result<Vec<RegisteredTableFunction>> {
        let specs: Vec<TableFunctionSpec> = tables.iter().map(|(_, s)| s.clone()).collect();
        let output = self
            .inner
            .compiler
            .compile_with_tables(CompileRequest { ir, functions: &[] }, &specs)
            .map_err(|source| Error::Compile {
                function: tables
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join("`, `"),
                source,
            })?;
        let created_at = crate::store::now();
        let ir: Arc<[u8]> = ir.into();
        tables
            .iter()
            .map(|(name, spec)| {
                let kernel = output.module.table_kernel(&spec.symbol).ok_or_else(|| {
                    Error::Internal(format!(
                        "the compiler returned no table kernel for `{}`",
                        spec.symbol
                    ))
                })?;
                Ok(RegisteredTableFunction {
                    name: name.clone(),
                    symbol: spec.symbol.clone(),
                    signature: spec.signature.clone(),
                    origin: origin.to_string(),
                    owner: owner.to_string(),
                    created_at,
                    ir: Arc::clone(&ir),
                    kernel: kernel.clone(),
                    compile_time: output.module.compile_time(),
                    code: CodeInfo::new(output.source, output.module.stats(), &spec.symbol),
                    runs: Arc::default(),
                })
            })
            .collect()
    }

    /// `CREATE [OR REPLACE] FUNCTION … RETURNS TABLE(…)`.
    fn create_table_function(
        &self,
        name: &str,
        ir: Vec<u8>,
        spec: TableFunctionSpec,
        or_replace: bool,
        who: &Principal,
    ) -> Result<()> {
        if !self.inner.catalog.get(name).is_empty() {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` is a scalar function; a name is a scalar or a table function, not both"
            )));
        }
        self.check_not_builtin(name)?;
        let check_existing = || -> Result<()> {
            let existing = self.inner.table_functions.get(name);
            if let Some(f) = existing
                .iter()
                .find(|f| !who.unrestricted && f.owner != who.name)
            {
                return Err(Error::NotOwner {
                    kind: "function",
                    name: f.name.clone(),
                    owner: f.owner.clone(),
                    action: "replace",
                });
            }
            if !or_replace
                && existing
                    .iter()
                    .any(|f| f.signature.args == spec.signature.args)
            {
                return Err(Error::FunctionExists {
                    name: name.to_string(),
                    args: spec.signature.args_text(),
                });
            }
            Ok(())
        };
        check_existing()?;
        let registered =
            self.compile_table_set("sql", &who.name, &ir, &[(name.to_string(), spec.clone())])?;
        let _ddl = self.inner.ddl.lock();
        check_existing()?;
        let mut txn = self.inner.store.begin()?;
        let sha = txn.write_ir(&ir)?;
        for f in &registered {
            txn.next
                .table_functions
                .retain(|e| !(e.name == f.name && e.signature.args == f.signature.args));
            txn.next
                .table_functions
                .push(stored_table_function(f, &sha));
        }
        txn.commit()?;
        tracing::info!(function = %name, "table function registered");
        self.inner.table_functions.insert(registered);
        Ok(())
    }

    /// Drops table function overloads; for `who` (unless unrestricted) only theirs.
    fn drop_table_functions(
        &self,
        targets: &[&DropTarget],
        if_exists: bool,
        who: Option<&Principal>,
    ) -> Result<usize> {
        let _ddl = self.inner.ddl.lock();
        let mut going: Vec<RegisteredTableFunction> = Vec::new();
        for target in targets {
            let existing = self.inner.table_functions.get(&target.name);
            let matching: Vec<RegisteredTableFunction> = existing
                .iter()
                .filter(|f| match (&target.table_args, &target.args) {
                    (Some(args), _) => &f.signature.args == args,
                    (None, Some(_)) => false,
                    (None, None) => true,
                })
                .cloned()
                .collect();
            if matching.is_empty() && !if_exists {
                let candidates: Vec<String> = existing
                    .iter()
                    .map(|f| crate::table_function::describe(&f.name, &f.signature))
                    .collect();
                return Err(Error::InvalidDefinition(format!(
                    "no table function `{}` takes those arguments (there is {})",
                    target.name,
                    candidates.join(", ")
                )));
            }
            going.extend(matching);
        }
        if let Some(who) = who.filter(|w| !w.unrestricted)
            && let Some(f) = going.iter().find(|f| f.owner != who.name)
        {
            return Err(Error::NotOwner {
                kind: "function",
                name: f.name.clone(),
                owner: f.owner.clone(),
                action: "drop",
            });
        }
        if going.is_empty() {
            return Ok(0);
        }
        let mut txn = self.inner.store.begin()?;
        for f in &going {
            txn.next
                .table_functions
                .retain(|e| !(e.name == f.name && e.signature.args == f.signature.args));
        }
        txn.commit()?;
        for f in &going {
            self.inner
                .table_functions
                .remove(&f.name, Some(&f.signature.args));
        }
        Ok(going.len())
    }

    pub fn functions(&self) -> Vec<FunctionInfo> {
        let mut all: Vec<FunctionInfo> =
            self.inner.catalog.list().iter().map(|f| f.info()).collect();
        all.sort_by_cached_key(|f| (f.name.clone(), f.signature.to_string()));
        all
    }

    /// What the compiler did for every overload of `name` (every function when `None`),
    /// per target, with the texts `texts` asks for (IR, optimised IR, assembly, PTX).
    /// Optimised IR and assembly are regenerated for the request: nothing of them is kept.
    pub fn function_details(
        &self,
        name: Option<&str>,
        texts: DetailTexts,
    ) -> Result<Vec<FunctionDetails>> {
        introspect::all_details(
            &self.inner.compiler,
            self.inner.catalog.as_ref(),
            &self.inner.table_functions,
            name,
            texts,
        )
    }

    /// Rows, in-memory size and column list of every table of the default schema whose
    /// rows the engine holds (external tables are skipped: their files are not ours).
    pub async fn table_stats(&self) -> Vec<TableStats> {
        let mut out = Vec::new();
        for name in self.table_names() {
            let Ok(provider) = self
                .inner
                .ctx
                .table_provider(TableReference::bare(name.clone()))
                .await
            else {
                continue;
            };
            let mem = match provider.downcast_ref::<StoredTable>() {
                Some(stored) => stored.mem(),
                None => match provider.downcast_ref::<MemTable>() {
                    Some(mem) => mem,
                    None => continue,
                },
            };
            let (mut rows, mut bytes, mut batches) = (0u64, 0u64, 0usize);
            for partition in &mem.batches {
                for batch in partition.read().await.iter() {
                    rows += batch.num_rows() as u64;
                    bytes += batch.get_array_memory_size() as u64;
                    batches += 1;
                }
            }
            let columns = mem
                .schema()
                .fields()
                .iter()
                .map(|f| format!("{} {}", f.name(), calcite::type_name(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(TableStats {
                name,
                columns,
                rows,
                bytes,
                batches,
            });
        }
        out
    }

    /// Names of the tables in the default schema, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let ctx = &self.inner.ctx;
        let options = ctx.copied_config();
        let defaults = &options.options().catalog;
        let mut names = ctx
            .catalog(&defaults.default_catalog)
            .and_then(|c| c.schema(&defaults.default_schema))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Replaces the functions registered by `origin` with `functions` (SQL name and IR
    /// symbol with signature each), all compiled from the one module `ir`: HeavyDB's
    /// runtime registration, where each call replaces a client's whole set. The set's
    /// owner is the user `origin` names after its first `:` (`heavydb:alice` → `alice`),
    /// else the engine's owner. With a data directory the new set is stored before this
    /// returns.
    ///
    /// All or nothing: when the module does not compile, a name is a built-in, or an
    /// overload (name and argument types) belongs to another origin, nothing changes and
    /// the old set stays live. Functions of other origins stay. An empty `functions` only
    /// removes the set; `ir` is then not looked at (clients unregister with a module that
    /// defines nothing).
    pub fn replace_function_set(
        &self,
        origin: &str,
        ir: Vec<u8>,
        functions: Vec<(String, FunctionSpec)>,
    ) -> Result<ReplaceSummary> {
        self.replace_function_set_with_gpu(origin, ir, functions, None)
    }

    /// [`Engine::replace_function_set`] with the client's own GPU module: `gpu` is its IR
    /// (NVPTX) and the GPU variants it defines (SQL name and symbol with signature each,
    /// HeavyDB's `name__gpu_N`). A function's GPU build comes from the variant with the same
    /// SQL name and signature; functions without one are built from the CPU module.
    pub fn replace_function_set_with_gpu(
        &self,
        origin: &str,
        ir: Vec<u8>,
        functions: Vec<(String, FunctionSpec)>,
        gpu: Option<ClientGpuModule>,
    ) -> Result<ReplaceSummary> {
        self.replace_function_set_with_tables(origin, ir, functions, Vec::new(), gpu)
    }

    /// [`Engine::replace_function_set_with_gpu`] whose set also holds table functions
    /// (SQL name and spec each), compiled from the same module and replaced with the rest
    /// of the origin's set.
    pub fn replace_function_set_with_tables(
        &self,
        origin: &str,
        ir: Vec<u8>,
        functions: Vec<(String, FunctionSpec)>,
        tables: Vec<(String, TableFunctionSpec)>,
        gpu: Option<ClientGpuModule>,
    ) -> Result<ReplaceSummary> {
        let tables = tables
            .into_iter()
            .map(|(name, spec)| Ok((ddl::normalize_name(&name)?, spec)))
            .collect::<Result<Vec<_>>>()?;
        for (name, _) in &tables {
            self.check_not_builtin(name)?;
            if functions.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                return Err(Error::InvalidDefinition(format!(
                    "`{name}` is both a scalar and a table function in this set"
                )));
            }
            if let Some(f) = self
                .inner
                .table_functions
                .get(name)
                .into_iter()
                .find(|f| f.origin != origin)
            {
                return Err(Error::FunctionOwned {
                    name: name.clone(),
                    args: f.signature.args_text(),
                    owner: f.origin,
                });
            }
        }
        let functions = functions
            .into_iter()
            .map(|(name, spec)| Ok((ddl::normalize_name(&name)?, spec)))
            .collect::<Result<Vec<_>>>()?;
        for (i, (name, spec)) in functions.iter().enumerate() {
            if functions[..i]
                .iter()
                .any(|(n, s)| n == name && s.signature.args == spec.signature.args)
            {
                return Err(Error::InvalidDefinition(format!(
                    "`{name}` is listed twice taking ({})",
                    arg_list(&spec.signature.args)
                )));
            }
        }
        let names: BTreeSet<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
        for name in &names {
            self.check_not_builtin(name)?;
            self.check_not_table_function(name)?;
        }
        // Checked again under the lock; this only spares a compile that would be refused.
        self.check_owner(origin, &functions)?;
        let owner = origin
            .split_once(':')
            .map(|(_, user)| user)
            .filter(|user| !user.is_empty())
            .unwrap_or(&self.inner.owner);
        let new_tables = if tables.is_empty() {
            Vec::new()
        } else {
            self.compile_table_set(origin, owner, &ir, &tables)?
        };
        let mut registered = if functions.is_empty() {
            Vec::new()
        } else {
            self.compile_set(origin, owner, &ir, &functions)?
        };
        let gpu = gpu.filter(|m| !m.functions.is_empty() && !registered.is_empty());
        if let Some(ClientGpuModule {
            ir: gpu_ir,
            functions: gpu_functions,
        }) = &gpu
            && self.inner.gpu.device().is_some()
        {
            let specs: Vec<FunctionSpec> = gpu_functions.iter().map(|(_, s)| s.clone()).collect();
            let builds =
                device::build_for_gpu(&self.inner.gpu, &self.inner.compiler, gpu_ir, &specs);
            for ((name, spec), build) in gpu_functions.iter().zip(builds) {
                let name = name.to_lowercase();
                match build {
                    Ok(build) => {
                        if let Some(f) = registered
                            .iter_mut()
                            .find(|f| f.name == name && f.signature == spec.signature)
                        {
                            f.gpu = Ok(build);
                        }
                    }
                    Err(reason) => tracing::warn!(
                        symbol = spec.symbol,
                        %reason,
                        "the client's GPU variant did not build; using the CPU module's"
                    ),
                }
            }
        }
        let added = registered.len();
        let catalog = &self.inner.catalog;
        let _ddl = self.inner.ddl.lock();
        self.check_owner(origin, &functions)?;
        let old: Vec<RegisteredFunction> = catalog
            .list()
            .into_iter()
            .filter(|f| f.origin == origin)
            .collect();
        let old_tables = self
            .inner
            .table_functions
            .list()
            .into_iter()
            .filter(|f| f.origin == origin)
            .count();
        if !(old.is_empty() && registered.is_empty() && old_tables == 0 && new_tables.is_empty()) {
            let mut txn = self.inner.store.begin()?;
            txn.next.functions.retain(|f| f.origin != origin);
            txn.next.table_functions.retain(|f| f.origin != origin);
            if !new_tables.is_empty() {
                let sha = txn.write_ir(&ir)?;
                for f in &new_tables {
                    txn.next
                        .table_functions
                        .retain(|e| !(e.name == f.name && e.signature.args == f.signature.args));
                    txn.next
                        .table_functions
                        .push(stored_table_function(f, &sha));
                }
            }
            if !registered.is_empty() {
                let sha = txn.write_ir(&ir)?;
                // The client's GPU module is kept even without a GPU here, so that the
                // directory serves a server that has one.
                let gpu_sha = gpu.as_ref().map(|m| txn.write_ir(&m.ir)).transpose()?;
                for f in &registered {
                    let variant = gpu.as_ref().zip(gpu_sha.as_ref()).and_then(|(m, sha)| {
                        m.functions
                            .iter()
                            .find(|(n, s)| {
                                n.eq_ignore_ascii_case(&f.name) && s.signature == f.signature
                            })
                            .map(|(_, s)| (sha.clone(), s.symbol.clone()))
                    });
                    txn.next.remove_function(&f.name, &f.signature);
                    txn.next.functions.push(stored_function(f, &sha, variant));
                }
            }
            txn.commit()?;
        }
        let mut removed = Vec::with_capacity(old.len());
        let swap = || -> Result<()> {
            for f in &old {
                removed.extend(catalog.remove(&f.name, Some(&f.signature.args))?);
            }
            catalog.insert(registered, false)
        };
        let outcome = swap();
        if let Err(e) = outcome {
            // Put the old set back; what failed is reported, not this.
            let _ = catalog.insert(removed, true);
            return Err(e);
        }
        let mut touched: BTreeSet<&str> = names;
        touched.extend(old.iter().map(|f| f.name.as_str()));
        for name in &touched {
            self.sync_udf(name);
        }
        let removed_tables = self.inner.table_functions.remove_origin(origin).len();
        let added_tables = new_tables.len();
        self.inner.table_functions.insert(new_tables);
        tracing::info!(
            origin,
            removed = old.len() + removed_tables,
            added = added + added_tables,
            "function set replaced"
        );
        Ok(ReplaceSummary {
            removed: old.len() + removed_tables,
            added: added + added_tables,
        })
    }

    /// Refuses a set taking over an overload registered by another origin.
    fn check_owner(&self, origin: &str, functions: &[(String, FunctionSpec)]) -> Result<()> {
        for (name, spec) in functions {
            if let Some(owned) = self
                .inner
                .catalog
                .get(name)
                .into_iter()
                .find(|f| f.signature.args == spec.signature.args && f.origin != origin)
            {
                return Err(Error::FunctionOwned {
                    name: name.clone(),
                    args: arg_list(&spec.signature.args),
                    owner: owned.origin,
                });
            }
        }
        Ok(())
    }

    /// Compiles `ir` once for every function of a set (for the CPU, and for the GPU when
    /// there is one).
    fn compile_set(
        &self,
        origin: &str,
        owner: &str,
        ir: &[u8],
        functions: &[(String, FunctionSpec)],
    ) -> Result<Vec<RegisteredFunction>> {
        // One symbol may serve several SQL names; compile it once.
        let mut specs: Vec<FunctionSpec> = Vec::new();
        for (_, spec) in functions {
            if !specs.contains(spec) {
                specs.push(spec.clone());
            }
        }
        let described = || {
            let names: BTreeSet<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
            names.into_iter().collect::<Vec<_>>().join("`, `")
        };
        let output = self
            .inner
            .compiler
            .compile(CompileRequest {
                ir,
                functions: &specs,
            })
            .map_err(|source| Error::Compile {
                function: described(),
                source,
            })?;
        let compile_time = output.module.compile_time();
        let created_at = crate::store::now();
        let gpu_builds = device::build_for_gpu(&self.inner.gpu, &self.inner.compiler, ir, &specs);
        let ir: Arc<[u8]> = ir.into();
        functions
            .iter()
            .map(|(name, spec)| {
                let gpu = specs
                    .iter()
                    .position(|s| s == spec)
                    .and_then(|i| gpu_builds.get(i).cloned())
                    .unwrap_or_else(|| Err("not built for the GPU".into()));
                let kernel = output.module.kernel(&spec.symbol).ok_or_else(|| {
                    Error::Internal(format!(
                        "the compiler returned no kernel for `{}`",
                        spec.symbol
                    ))
                })?;
                Ok(RegisteredFunction {
                    name: name.clone(),
                    symbol: spec.symbol.clone(),
                    signature: spec.signature.clone(),
                    origin: origin.to_string(),
                    owner: owner.to_string(),
                    created_at,
                    ir: Arc::clone(&ir),
                    kernel: kernel.clone(),
                    gpu,
                    runs: Arc::default(),
                    compile_time,
                    code: CodeInfo::new(output.source, output.module.stats(), &spec.symbol),
                })
            })
            .collect()
    }

    /// Creates an empty in-memory table, as `CREATE TABLE` does: the name and the column
    /// names are lowercased (as unquoted SQL identifiers are, so that SQL finds them), and
    /// a field that is not nullable is a NOT NULL column. A table of that name is an
    /// [`Error::TableExists`] unless `if_not_exists`, which keeps it as it is.
    pub fn create_table(&self, name: &str, schema: SchemaRef, if_not_exists: bool) -> Result<()> {
        self.create_table_as(None, name, schema, if_not_exists)
    }

    /// [`Engine::create_table`] for `user` (its owner; `None`: the engine's owner), as a
    /// server's `create_table` call does it.
    pub fn create_table_as(
        &self,
        user: Option<&str>,
        name: &str,
        schema: SchemaRef,
        if_not_exists: bool,
    ) -> Result<()> {
        let name = name.trim().to_lowercase();
        if name.is_empty() {
            return Err(Error::InvalidTable("empty table name".into()));
        }
        let schema = tables::table_schema(&name, &schema)?;
        self.install_table(NewTable {
            name: &name,
            schema,
            partitions: Vec::new(),
            constraints: Constraints::default(),
            defaults: Vec::new(),
            if_not_exists,
            or_replace: false,
            owner: user.unwrap_or(&self.inner.owner),
        })
        .map(drop)
    }

    /// The columns of a table; a field that is not nullable is a NOT NULL column.
    pub async fn table_schema(&self, name: &str) -> Result<SchemaRef> {
        let reference = self.find_table(name)?;
        Ok(self.inner.ctx.table_provider(reference).await?.schema())
    }

    /// Appends rows to an in-memory table (one made by `CREATE TABLE` or
    /// [`Engine::create_table`]); returns how many.
    ///
    /// Columns are taken by position and converted to the table's types where that loses
    /// nothing: integers narrow with an overflow check, strings change representation
    /// (`Utf8` → `Utf8View`), floats narrow, timestamps change unit. An integer is not
    /// taken as an epoch count for a DATE, TIME or TIMESTAMP column: the caller converts
    /// (HeavyDB clients send dates in seconds, not days). A NULL in a NOT NULL column is
    /// [`Error::NullForColumn`]; any error leaves the table unchanged.
    ///
    /// The rows of one call become visible together: a query running meanwhile sees all of
    /// them or none.
    pub async fn append(&self, name: &str, batches: Vec<RecordBatch>) -> Result<u64> {
        let reference = self.find_table(name)?;
        let table_name = reference.table().to_string();
        let provider = self.inner.ctx.table_provider(reference).await?;
        let Some(table) = provider.downcast_ref::<StoredTable>() else {
            return Err(Error::Unsupported(format!(
                "appending to `{table_name}`: only tables made by CREATE TABLE take rows"
            )));
        };
        let schema = table.schema();
        let conformed = batches
            .iter()
            .map(|batch| tables::conform(&table_name, &schema, batch))
            .collect::<Result<Vec<_>>>()?;
        table.append(conformed).await
    }

    /// Makes a stored table: checks the name under the table lock, stores the table with
    /// its rows (one segment per partition), then registers it. Returns whether it was
    /// made (`false`: it existed and `if_not_exists`). A name taken (without
    /// `or_replace` or `if_not_exists`) is [`Error::TableExists`].
    fn install_table(&self, new: NewTable<'_>) -> Result<bool> {
        let ctx = &self.inner.ctx;
        let store = &self.inner.store;
        let reference = TableReference::bare(new.name.to_string());
        let mut default_sql = Vec::with_capacity(new.defaults.len());
        if store.dir().is_some() {
            for (column, expr) in &new.defaults {
                let sql = datafusion::sql::unparser::expr_to_sql(expr).map_err(|e| {
                    Error::Unsupported(format!(
                        "the default of column `{column}` cannot be kept in the data directory: {}",
                        e.strip_backtrace()
                    ))
                })?;
                default_sql.push((column.clone(), sql.to_string()));
            }
        }
        let _tables = self.inner.tables.lock();
        let exists = ctx.table_exist(reference.clone())?;
        if exists && !new.or_replace {
            return if new.if_not_exists {
                Ok(false)
            } else {
                Err(Error::TableExists(new.name.to_string()))
            };
        }
        let mut txn = store.begin()?;
        let id = txn.next.allocate_id();
        let mut segments = Vec::new();
        for partition in &new.partitions {
            segments.extend(txn.write_segment(id, &new.schema, partition)?);
        }
        txn.next.remove_name(new.name);
        txn.next.tables.push(TableEntry {
            id,
            name: new.name.to_string(),
            schema: Arc::clone(&new.schema),
            segments,
            constraints: new.constraints.clone(),
            defaults: default_sql,
            owner: Some(new.owner.to_string()),
        });
        let mut partitions = new.partitions;
        if partitions.is_empty() {
            partitions.push(Vec::new());
        }
        let mem = MemTable::try_new(new.schema, partitions)?
            .with_constraints(new.constraints)
            .with_column_defaults(new.defaults.into_iter().collect());
        txn.commit()?;
        if exists {
            ctx.deregister_table(reference.clone())?;
        }
        let table = StoredTable::new(id, new.name.to_string(), mem, Arc::clone(store));
        ctx.register_table(reference, Arc::new(table))?;
        Ok(true)
    }

    /// The name `reference` has in the default schema, `None` when it names another.
    fn default_schema_name(&self, reference: &TableReference) -> Option<String> {
        let config = self.inner.ctx.copied_config();
        let defaults = &config.options().catalog;
        let default_catalog = || {
            reference
                .catalog()
                .is_none_or(|c| c == defaults.default_catalog)
        };
        let default_schema = || {
            reference
                .schema()
                .is_none_or(|s| s == defaults.default_schema)
        };
        (default_catalog() && default_schema()).then(|| reference.table().to_string())
    }

    /// For a table or view outside the default schema: DataFusion's own handling in
    /// memory; refused with a data directory, which keeps the default schema only.
    fn outside_default_schema(&self, reference: &TableReference) -> Result<Option<QueryResult>> {
        if self.inner.store.dir().is_some() {
            return Err(Error::Unsupported(format!(
                "`{reference}` is outside the default schema; only tables and views of the \
                 default schema are kept in the data directory"
            )));
        }
        Ok(None)
    }

    /// Table, view and external table DDL, done here so that it reaches the store before
    /// it is acknowledged. `None`: DataFusion does it (an object outside the default
    /// schema, in memory).
    async fn table_ddl(
        &self,
        ddl: &DdlStatement,
        none_encoded: &[String],
        control: &Arc<StatementControl>,
        owner: &str,
    ) -> Result<Option<QueryResult>> {
        match ddl {
            DdlStatement::CreateMemoryTable(cmd) => {
                self.sql_create_table(cmd, none_encoded, control, owner)
                    .await
            }
            DdlStatement::DropTable(cmd) => self.sql_drop(&cmd.name, cmd.if_exists, false),
            DdlStatement::DropView(cmd) => self.sql_drop(&cmd.name, cmd.if_exists, true),
            DdlStatement::CreateView(cmd) => self.sql_create_view(cmd, owner),
            DdlStatement::CreateExternalTable(cmd) => {
                self.sql_create_external_table(cmd, owner).await
            }
            _ => Ok(None),
        }
    }

    /// `CREATE TABLE` and `CREATE TABLE … AS`, as DataFusion does them (same checks and
    /// messages), into a stored table.
    async fn sql_create_table(
        &self,
        cmd: &CreateMemoryTable,
        none_encoded: &[String],
        control: &Arc<StatementControl>,
        owner: &str,
    ) -> Result<Option<QueryResult>> {
        let Some(name) = self.default_schema_name(&cmd.name) else {
            return self.outside_default_schema(&cmd.name);
        };
        if cmd.temporary {
            return Err(
                DataFusionError::NotImplemented("Temporary tables not supported".into()).into(),
            );
        }
        let ctx = &self.inner.ctx;
        match (
            cmd.if_not_exists,
            cmd.or_replace,
            ctx.table_exist(cmd.name.clone())?,
        ) {
            (true, false, true) => return Ok(Some(ddl_done())),
            (true, true, true) => {
                return Err(execution_error(
                    "'IF NOT EXISTS' cannot coexist with 'REPLACE'".into(),
                ));
            }
            (false, false, true) => {
                return Err(execution_error(format!(
                    "Table '{}' already exists",
                    cmd.name
                )));
            }
            _ => {}
        }
        ensure_unique_column_names(cmd.input.schema())?;
        let state = self.statement_state(ctx.state(), control);
        let input = state.optimize(&cmd.input)?;
        let schema = mark_none_encoded(Arc::clone(input.schema().inner()), none_encoded);
        let task = Arc::new(self.statement_task(TaskContext::from(&state))?);
        let physical = state.create_physical_plan(&input).await?;
        let partitions = datafusion::physical_plan::collect_partitioned(physical, task).await?;
        let partitions = relabel(partitions, &schema)?;
        let made = self.install_table(NewTable {
            name: &name,
            schema,
            partitions,
            constraints: cmd.constraints.clone(),
            defaults: cmd.column_defaults.clone(),
            if_not_exists: cmd.if_not_exists,
            or_replace: cmd.or_replace,
            owner,
        });
        match made {
            Ok(_) => Ok(Some(ddl_done())),
            // Made meanwhile by another statement.
            Err(Error::TableExists(_)) => Err(execution_error(format!(
                "Table '{}' already exists",
                cmd.name
            ))),
            Err(e) => Err(e),
        }
    }

    /// `DROP TABLE` (a stored or external table) and `DROP VIEW`, as DataFusion does
    /// them, removed from the store first.
    fn sql_drop(
        &self,
        reference: &TableReference,
        if_exists: bool,
        view: bool,
    ) -> Result<Option<QueryResult>> {
        let Some(name) = self.default_schema_name(reference) else {
            return Ok(None);
        };
        let ctx = &self.inner.ctx;
        let _tables = self.inner.tables.lock();
        let mut txn = self.inner.store.begin()?;
        let current = txn.current();
        // Whether the store has it as a view (stored and external tables are both base
        // tables to DataFusion's DROP TABLE), or `None` when it does not have it.
        let stored_as_view = match (current.table(&name), current.definition(&name)) {
            (Some(_), _) => Some(false),
            (None, Some(d)) => Some(d.kind == DefinitionKind::View),
            (None, None) => None,
        };
        if stored_as_view != Some(view) {
            if stored_as_view.is_none() && ctx.table_exist(reference.clone())? {
                // Not made through this engine's SQL: DataFusion's to drop.
                return Ok(None);
            }
            return if if_exists {
                Ok(Some(ddl_done()))
            } else if view {
                Err(execution_error(format!(
                    "View '{reference}' doesn't exist."
                )))
            } else {
                Err(execution_error(format!(
                    "Table '{reference}' doesn't exist."
                )))
            };
        }
        txn.next.remove_name(&name);
        txn.commit()?;
        ctx.deregister_table(TableReference::bare(name))?;
        Ok(Some(ddl_done()))
    }

    /// `CREATE [OR REPLACE] VIEW`, as DataFusion does it, kept as its statement.
    fn sql_create_view(&self, cmd: &CreateView, owner: &str) -> Result<Option<QueryResult>> {
        let Some(name) = self.default_schema_name(&cmd.name) else {
            return self.outside_default_schema(&cmd.name);
        };
        if cmd.temporary {
            return Err(
                DataFusionError::NotImplemented("Temporary views not supported".into()).into(),
            );
        }
        let exists_error = || execution_error(format!("Table '{}' already exists", cmd.name));
        if !cmd.or_replace && self.inner.ctx.table_exist(cmd.name.clone())? {
            return Err(exists_error());
        }
        // What DataFusion does to a view's plan before it keeps it.
        let input = Analyzer::with_rules(vec![Arc::new(TypeCoercion::new())]).execute_and_check(
            Arc::unwrap_or_clone(Arc::clone(&cmd.input)),
            &ConfigOptions::default(),
            |_, _| {},
        )?;
        ensure_unique_column_names(input.schema())?;
        let view = Arc::new(ViewTable::new(input, cmd.definition.clone()));
        match self.install_definition(
            &name,
            view,
            DefinitionKind::View,
            cmd.definition.as_deref(),
            cmd.or_replace,
            owner,
        ) {
            Err(Error::TableExists(_)) => Err(exists_error()),
            other => other.map(|()| Some(ddl_done())),
        }
    }

    /// `CREATE EXTERNAL TABLE`, as DataFusion does it, kept as its statement.
    async fn sql_create_external_table(
        &self,
        cmd: &CreateExternalTable,
        owner: &str,
    ) -> Result<Option<QueryResult>> {
        let Some(name) = self.default_schema_name(&cmd.name) else {
            return self.outside_default_schema(&cmd.name);
        };
        if cmd.temporary {
            return Err(
                DataFusionError::NotImplemented("Temporary tables not supported".into()).into(),
            );
        }
        let ctx = &self.inner.ctx;
        let exists_error =
            || execution_error(format!("External table '{}' already exists", cmd.name));
        match (
            cmd.if_not_exists,
            cmd.or_replace,
            ctx.table_exist(cmd.name.clone())?,
        ) {
            (true, false, true) => return Ok(Some(ddl_done())),
            (true, true, true) => {
                return Err(execution_error(
                    "'IF NOT EXISTS' cannot coexist with 'REPLACE'".into(),
                ));
            }
            (false, false, true) => return Err(exists_error()),
            _ => {}
        }
        let state = ctx.state();
        let factory = state
            .table_factories()
            .get(cmd.file_type.to_uppercase().as_str())
            .ok_or_else(|| {
                execution_error(format!("Unable to find factory for {}", cmd.file_type))
            })?;
        let table = factory.create(&state, cmd).await?;
        match self.install_definition(
            &name,
            table,
            DefinitionKind::External,
            cmd.definition.as_deref(),
            cmd.or_replace,
            owner,
        ) {
            Err(Error::TableExists(_)) if cmd.if_not_exists => Ok(Some(ddl_done())),
            Err(Error::TableExists(_)) => Err(exists_error()),
            other => other.map(|()| Some(ddl_done())),
        }
    }

    /// Registers a view or external table whose statement is `sql`, stored first.
    fn install_definition(
        &self,
        name: &str,
        provider: Arc<dyn TableProvider>,
        kind: DefinitionKind,
        sql: Option<&str>,
        or_replace: bool,
        owner: &str,
    ) -> Result<()> {
        let ctx = &self.inner.ctx;
        let reference = TableReference::bare(name.to_string());
        let _tables = self.inner.tables.lock();
        let exists = ctx.table_exist(reference.clone())?;
        if exists && !or_replace {
            return Err(Error::TableExists(name.to_string()));
        }
        let mut txn = self.inner.store.begin()?;
        txn.next.remove_name(name);
        match sql {
            Some(sql) => txn.next.definitions.push(DefinitionEntry {
                name: name.to_string(),
                kind,
                sql: sql.to_string(),
                owner: Some(owner.to_string()),
            }),
            None if self.inner.store.dir().is_some() => {
                return Err(Error::Unsupported(format!(
                    "{} `{name}` has no SQL text to keep in the data directory",
                    if kind == DefinitionKind::View {
                        "view"
                    } else {
                        "external table"
                    }
                )));
            }
            None => {}
        }
        txn.commit()?;
        if exists {
            ctx.deregister_table(reference.clone())?;
        }
        ctx.register_table(reference, provider)?;
        Ok(())
    }

    /// Runs the statements of a text that holds user or privilege statements, in order,
    /// as the engine's owner (see [`Engine::execute`]).
    async fn execute_pieces(&self, sql: &str, pieces: Pieces) -> Result<Vec<QueryResult>> {
        let numbered = pieces.len() > 1;
        let mut results = Vec::with_capacity(pieces.len());
        for (i, (range, access)) in pieces.into_iter().enumerate() {
            let outcome = match access {
                Some(statement) => statement.and_then(|s| self.run_access(s, None)),
                None => self.execute_one(&only_statement(sql, range)).await,
            };
            match outcome {
                Ok(result) => results.push(result),
                Err(e) if numbered => {
                    return Err(Error::Statement {
                        index: i + 1,
                        source: Box::new(e),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(results)
    }

    /// Whose privileges a statement for `owner` runs with (see [`StatementOptions::owner`]).
    fn principal(&self, owner: Option<&str>) -> Principal {
        Principal::resolve(
            owner,
            &self.inner.owner,
            self.inner.access_control,
            &self.inner.store.catalog(),
        )
    }

    /// Whether `who` may run `plan` (see [`access::authorize_plan`]).
    fn authorize(&self, who: &Principal, plan: &LogicalPlan) -> Result<()> {
        if who.unrestricted {
            return Ok(());
        }
        access::authorize_plan(who, &self.inner.store.catalog(), plan, &|reference| {
            self.default_schema_name(reference)
        })
    }

    fn run_access(&self, statement: AccessStatement, owner: Option<&str>) -> Result<QueryResult> {
        let who = self.principal(owner);
        access::execute(statement, &who, &self.inner.store)
    }

    /// Whether `user` may create functions (SQL or a runtime registration): with
    /// [`EngineConfig::access_control`], a superuser or a user granted CREATE FUNCTION.
    /// The error says who may grant it.
    pub fn check_create_function(&self, user: &str) -> Result<()> {
        access::authorize_create_function(&self.principal(Some(user)), &self.inner.store.catalog())
    }

    /// Whether `user` may use `privilege` on `table` (its owner, a superuser, a grantee),
    /// for writes a server does without SQL (loading rows). A table that does not exist is
    /// [`Error::TableNotFound`].
    pub fn check_table_privilege(
        &self,
        user: &str,
        table: &str,
        privilege: TablePrivilege,
    ) -> Result<()> {
        let reference = self.find_table(table)?;
        let who = self.principal(Some(user));
        if who.unrestricted {
            return Ok(());
        }
        access::authorize_table(
            &who,
            &self.inner.store.catalog(),
            reference.table(),
            privilege,
        )
    }

    /// The user `name`, if the catalog has one.
    pub fn user(&self, name: &str) -> Option<UserRecord> {
        self.inner.store.catalog().user(name).cloned()
    }

    /// Grants (or revokes) CREATE FUNCTION to the user `name`, stored before this returns:
    /// what a server's configuration says of its users. An unknown user is
    /// [`Error::UnknownUser`].
    pub fn set_create_function(&self, name: &str, granted: bool) -> Result<()> {
        let mut txn = self.inner.store.begin()?;
        if txn.next.user(name).is_none() {
            return Err(Error::UnknownUser(name.to_string()));
        }
        let changed = if granted {
            txn.next.function_creators.insert(name.to_string())
        } else {
            txn.next.function_creators.remove(name)
        };
        if changed {
            txn.commit()?;
        }
        Ok(())
    }

    /// The users section, ordered by name.
    pub fn users(&self) -> Vec<UserRecord> {
        let mut users = self.inner.store.catalog().users.clone();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        users
    }

    /// Adds the user `user.name`, or replaces it; stored before this returns.
    pub fn put_user(&self, user: UserRecord) -> Result<()> {
        access::check_user_name(&user.name)?;
        let mut txn = self.inner.store.begin()?;
        txn.next.users.retain(|u| u.name != user.name);
        txn.next.users.push(user);
        txn.commit()
    }

    /// Removes the user `name` and their grants (what they own stays); whether there was
    /// one.
    pub fn remove_user(&self, name: &str) -> Result<bool> {
        let mut txn = self.inner.store.begin()?;
        if !txn.next.remove_user(name) {
            return Ok(false);
        }
        txn.commit()?;
        Ok(true)
    }

    /// A table by name: as given, else lowercased (what unquoted SQL names become).
    fn find_table(&self, name: &str) -> Result<TableReference> {
        let ctx = &self.inner.ctx;
        let name = name.trim();
        for candidate in [name.to_string(), name.to_lowercase()] {
            let reference = TableReference::bare(candidate);
            if !name.is_empty() && ctx.table_exist(reference.clone())? {
                return Ok(reference);
            }
        }
        Err(Error::TableNotFound(name.to_string()))
    }

    fn sql_create_function(
        &self,
        statement: &datafusion::sql::sqlparser::ast::CreateFunction,
        who: &Principal,
    ) -> Result<QueryResult> {
        // Before the IR is looked at: the refusal does not depend on it.
        access::authorize_create_function(who, &self.inner.store.catalog())?;
        let create = ddl::create_function(statement)?;
        let symbol = ddl::choose_symbol(&create)?;
        if let Some(signature) = create.table.clone() {
            let described = crate::table_function::describe(&create.name, &signature);
            self.create_table_function(
                &create.name,
                create.ir.into_bytes(),
                TableFunctionSpec::new(symbol, signature),
                create.or_replace,
                who,
            )?;
            return Ok(QueryResult::message(format!(
                "created table function {described}"
            )));
        }
        let described = format!("{}({})", create.name, arg_list(&create.signature.args));
        self.create_function_as(
            FunctionDefinition {
                name: create.name.clone(),
                ir: create.ir.into_bytes(),
                overloads: vec![FunctionSpec::new(symbol, create.signature)],
                origin: "sql".into(),
                owner: Some(who.name.clone()),
            },
            create.or_replace,
            Some(who),
        )?;
        Ok(QueryResult::message(format!(
            "created function {described}"
        )))
    }

    /// Drops `targets`; for `who` (unless unrestricted) only overloads they own.
    fn drop_functions(
        &self,
        targets: &[DropTarget],
        if_exists: bool,
        who: Option<&Principal>,
    ) -> Result<usize> {
        let (tables, scalars): (Vec<&DropTarget>, Vec<&DropTarget>) = targets
            .iter()
            .partition(|t| self.inner.table_functions.contains(&t.name));
        let mut dropped = 0;
        if !tables.is_empty() {
            dropped += self.drop_table_functions(&tables, if_exists, who)?;
        }
        if scalars.is_empty() {
            return Ok(dropped);
        }
        let targets: Vec<DropTarget> = scalars
            .into_iter()
            .map(|t| DropTarget {
                name: t.name.clone(),
                args: t.args.clone(),
                table_args: None,
            })
            .collect();
        let targets = &targets[..];
        let catalog = &self.inner.catalog;
        let _ddl = self.inner.ddl.lock();
        // All or nothing: find every target before dropping any.
        if !if_exists {
            for target in targets {
                let existing = catalog.get(&target.name);
                let found = match &target.args {
                    Some(args) => existing.iter().any(|f| &f.signature.args == args),
                    None => !existing.is_empty(),
                };
                if !found {
                    return Err(not_found(target, &existing));
                }
            }
        }
        let going: Vec<RegisteredFunction> = targets
            .iter()
            .flat_map(|target| {
                catalog.get(&target.name).into_iter().filter(|f| {
                    target
                        .args
                        .as_ref()
                        .is_none_or(|args| &f.signature.args == args)
                })
            })
            .collect();
        if let Some(who) = who.filter(|w| !w.unrestricted)
            && let Some(f) = going.iter().find(|f| f.owner != who.name)
        {
            return Err(Error::NotOwner {
                kind: "function",
                name: f.name.clone(),
                owner: f.owner.clone(),
                action: "drop",
            });
        }
        if !going.is_empty() {
            let mut txn = self.inner.store.begin()?;
            for f in &going {
                txn.next.remove_function(&f.name, &f.signature);
            }
            txn.commit()?;
        }
        for target in targets {
            dropped += catalog.remove(&target.name, target.args.as_deref())?.len();
            self.sync_udf(&target.name);
        }
        Ok(dropped)
    }

    fn show_functions(&self, filter: Option<&ShowStatementFilter>) -> Result<QueryResult> {
        let mut functions: Vec<ShownFunction> = self
            .functions()
            .into_iter()
            .map(|f| ShownFunction {
                signature: f.signature.to_string(),
                targets: f.targets,
                name: f.name,
                origin: f.origin,
                compile_time: f.compile_time,
                runs: f.runs,
                owner: f.owner,
                created_at: f.created_at,
            })
            .collect();
        functions.extend(self.table_functions().into_iter().map(|f| ShownFunction {
            signature: f.signature.to_string(),
            // Table functions run on the CPU only.
            targets: vec!["cpu".to_string()],
            name: f.name,
            origin: f.origin,
            compile_time: f.compile_time,
            runs: f.runs,
            owner: f.owner,
            created_at: f.created_at,
        }));
        functions.sort_by(|a, b| (&a.name, &a.signature).cmp(&(&b.name, &b.signature)));
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("signature", DataType::Utf8, false),
            Field::new("targets", DataType::Utf8, false),
            Field::new("origin", DataType::Utf8, false),
            Field::new("compile_ms", DataType::Float64, false),
            // Batches each device ran (`cpu N, gpu M`): where the function actually ran.
            Field::new("runs", DataType::Utf8, false),
            // Who created it, and when (RFC 3339, UTC).
            Field::new("owner", DataType::Utf8, false),
            Field::new("created_at", DataType::Utf8, false),
        ]));
        let names = StringArray::from_iter_values(functions.iter().map(|f| &f.name));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(names.clone()),
            Arc::new(StringArray::from_iter_values(
                functions.iter().map(|f| f.signature.to_string()),
            )),
            Arc::new(StringArray::from_iter_values(
                functions.iter().map(|f| f.targets.join(",")),
            )),
            Arc::new(StringArray::from_iter_values(
                functions.iter().map(|f| &f.origin),
            )),
            Arc::new(Float64Array::from_iter_values(
                functions.iter().map(|f| f.compile_time.as_secs_f64() * 1e3),
            )),
            Arc::new(StringArray::from_iter_values(
                functions.iter().map(|f| &f.runs),
            )),
            Arc::new(StringArray::from_iter_values(
                functions.iter().map(|f| &f.owner),
            )),
            Arc::new(StringArray::from_iter_values(
                functions
                    .iter()
                    .map(|f| crate::store::rfc3339(f.created_at)),
            )),
        ];
        let mut batch = RecordBatch::try_new(Arc::clone(&schema) as SchemaRef, columns)
            .map_err(|e| Error::Internal(format!("SHOW FUNCTIONS batch: {e}")))?;
        if let Some(filter) = filter {
            let (pattern, case_insensitive) = match filter {
                ShowStatementFilter::Like(p) => (p, false),
                ShowStatementFilter::ILike(p) => (p, true),
                other => {
                    return Err(Error::Unsupported(format!(
                        "SHOW FUNCTIONS {other}: filter with LIKE or ILIKE"
                    )));
                }
            };
            let pattern = StringArray::new_scalar(pattern);
            let keep = if case_insensitive {
                ilike(&names, &pattern)
            } else {
                like(&names, &pattern)
            }
            .and_then(|keep| filter_record_batch(&batch, &keep))
            .map_err(|e| Error::Internal(format!("SHOW FUNCTIONS filter: {e}")))?;
            batch = keep;
        }
        Ok(QueryResult {
            schema,
            batches: vec![batch],
            message: None,
        })
    }

    /// Calls function `name` once on scalar values, without SQL (HeavyDB clients'
    /// `udf_call`, the notebook client's direct calls): the overload is chosen as for a SQL
    /// call — with `literals`, the values are typed as SQL literals would be — and its CPU
    /// kernel runs on one row. NULL in, NULL out. The call is bounded like a statement by
    /// `timeout` (a session's `statement_timeout`; `None`: no limit).
    pub fn call_function(
        &self,
        name: &str,
        args: &[ScalarValue],
        literals: bool,
        timeout: Option<Duration>,
    ) -> Result<CallResult> {
        let lower = name.to_ascii_lowercase();
        let udf = self.inner.ctx.udf(&lower).ok();
        let Some(function) = udf
            .as_ref()
            .and_then(|f| f.inner().downcast_ref::<IrFunction>())
        else {
            return Err(Error::FunctionNotFound {
                function: lower,
                hint: " (udf_call runs user-defined functions only)".into(),
            });
        };
        let control = StatementControl::new(timeout);
        let _armed = control.arm()?;
        let (value, signature) = function
            .call(args, literals, &control)
            .map_err(|e| take_own_error(e).unwrap_or_else(Error::DataFusion))?;
        Ok(CallResult { value, signature })
    }

    /// Refuses names of DataFusion's own functions: registering one would shadow it, and
    /// dropping it would leave the session without it.
    fn check_not_builtin(&self, name: &str) -> Result<()> {
        let ctx = &self.inner.ctx;
        let scalar_builtin = ctx
            .udf(name)
            .is_ok_and(|f| f.inner().downcast_ref::<IrFunction>().is_none());
        if scalar_builtin || ctx.udaf(name).is_ok() || ctx.udwf(name).is_ok() {
            return Err(Error::BuiltinFunction(name.to_string()));
        }
        Ok(())
    }

    /// Refuses a scalar function named like a table function: a name is one or the other.
    fn check_not_table_function(&self, name: &str) -> Result<()> {
        if self.inner.table_functions.contains(name) {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` is a table function; a name is a scalar or a table function, not both"
            )));
        }
        Ok(())
    }

    /// Makes the session's UDF for `name` match the catalog: one `IrFunction` with all the
    /// catalog's overloads, or none.
    fn sync_udf(&self, name: &str) {
        let overloads: Vec<Arc<Overload>> = self
            .inner
            .catalog
            .get(name)
            .into_iter()
            .map(|f| {
                Arc::new(Overload {
                    signature: f.signature,
                    symbol: f.symbol,
                    ir: f.ir,
                    kernel: f.kernel,
                    gpu: f.gpu,
                    runs: f.runs,
                    content: OnceLock::new(),
                })
            })
            .collect();
        let ctx = &self.inner.ctx;
        if overloads.is_empty() {
            ctx.deregister_udf(name);
        } else {
            let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
            ctx.register_udf(ScalarUDF::new_from_impl(IrFunction::new(
                name.to_string(),
                overloads,
                generation,
            )));
        }
    }
}

fn parse(sql: &str) -> Result<VecDeque<DfStatement>> {
    DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
        .map_err(|e| Error::Parse(e.strip_backtrace()))
}

/// The statements of a text that holds a user or privilege statement: each one's byte
/// range and, for those statements (which DataFusion does not parse), what it says.
type Pieces = Vec<(std::ops::Range<usize>, Option<Result<AccessStatement>>)>;

/// `sql` cut into [`Pieces`] when one of its statements manages users or privileges;
/// `None` when none does (the usual case, decided without tokenizing most texts).
fn access_pieces(sql: &str) -> Option<Pieces> {
    if !access::may_contain(sql) {
        return None;
    }
    let pieces: Pieces = dialect::statement_ranges(sql)?
        .into_iter()
        .map(|range| {
            let parsed = access::parse(&sql[range.clone()]);
            (range, parsed)
        })
        .collect();
    pieces.iter().any(|(_, p)| p.is_some()).then_some(pieces)
}

/// The user or privilege statement that `sql` is, for calls that take one statement:
/// `None` when it is another kind; several statements are [`Error::MultipleStatements`].
fn single_access_statement(sql: &str) -> Result<Option<AccessStatement>> {
    let Some(mut pieces) = access_pieces(sql) else {
        return Ok(None);
    };
    if pieces.len() > 1 {
        return Err(Error::MultipleStatements);
    }
    pieces
        .pop()
        .and_then(|(_, statement)| statement)
        .transpose()
}

/// `sql` with everything outside `range` blanked, line breaks kept: that one statement,
/// at the line and column it has in the whole text (for positions in messages).
fn only_statement(sql: &str, range: std::ops::Range<usize>) -> String {
    let blank = |text: &str| -> String {
        text.chars()
            .map(|c| if c == '\n' || c == '\r' { c } else { ' ' })
            .collect()
    };
    let mut out = blank(&sql[..range.start]);
    out.push_str(&sql[range.clone()]);
    out.push_str(&blank(&sql[range.end..]));
    out
}

/// For a `CREATE TABLE` (without `AS`) in HeavyDB mode: rewrites HeavyDB's column types
/// where DataFusion reads the same words differently — `TIMESTAMP` without a precision is
/// seconds in HeavyDB, nanoseconds in DataFusion — and returns the table's `ENCODING NONE`
/// columns.
fn heavydb_table(statement: &mut DfStatement, sql: &str) -> Option<Vec<String>> {
    use datafusion::sql::sqlparser::ast::DataType as SqlType;
    let DfStatement::Statement(inner) = statement else {
        return None;
    };
    let SqlStatement::CreateTable(create) = inner.as_mut() else {
        return None;
    };
    if create.query.is_some() {
        return None;
    }
    for column in &mut create.columns {
        if let SqlType::Timestamp(precision @ None, _) = &mut column.data_type {
            *precision = Some(0);
        }
    }
    Some(dialect::none_encoded_columns(sql))
}

fn parse_one(sql: &str) -> Result<DfStatement> {
    let mut statements = parse(sql)?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        (Some(_), false) => Err(Error::MultipleStatements),
        (None, _) => Err(Error::Parse("no SQL statement".into())),
    }
}

/// One of our errors raised inside DataFusion (a UDF's planning callback, the analyzer
/// rule), out of the wrapping DataFusion adds; the DataFusion error as it was otherwise.
fn take_own_error(error: DataFusionError) -> Result<Error, DataFusionError> {
    match error {
        DataFusionError::External(inner) => inner
            .downcast::<Error>()
            .map(|own| *own)
            .map_err(DataFusionError::External),
        DataFusionError::Context(context, inner) => {
            take_own_error(*inner).map_err(|e| DataFusionError::Context(context, Box::new(e)))
        }
        DataFusionError::Diagnostic(diagnostic, inner) => {
            take_own_error(*inner).map_err(|e| DataFusionError::Diagnostic(diagnostic, Box::new(e)))
        }
        other => Err(other),
    }
}

/// The name in DataFusion's "Invalid function 'name'" planning error, with its suggestion
/// ("Did you mean 'cos'?").
fn unknown_function(error: &DataFusionError) -> Option<(String, Option<String>)> {
    match error {
        DataFusionError::Plan(message) => {
            let rest = message.strip_prefix("Invalid function '")?;
            let (name, rest) = rest.split_once('\'')?;
            let detail = rest
                .trim_start_matches('.')
                .trim()
                .lines()
                .next()
                .filter(|d| !d.is_empty())
                .map(str::to_string);
            Some((name.to_string(), detail))
        }
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            unknown_function(inner)
        }
        _ => None,
    }
}

fn not_found(target: &DropTarget, existing: &[RegisteredFunction]) -> Error {
    let Some(args) = &target.args else {
        return Error::FunctionNotFound {
            function: target.name.clone(),
            hint: String::new(),
        };
    };
    let hint = if existing.is_empty() {
        String::new()
    } else {
        format!(
            " (overloads: {})",
            candidate_list(&target.name, existing.iter().map(|f| &f.signature))
        )
    };
    Error::FunctionNotFound {
        function: format!("{}({})", target.name, arg_list(args)),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use compiler::Signature;
    use datafusion::arrow::array::{AsArray, Int64Array};
    use datafusion::arrow::datatypes::Int64Type;

    use super::*;

    const MYADD_IR: &str = "define i64 @myadd_lallA(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n\
        define double @myadd_daddA(double %a, double %b) {\n  %r = fadd double %a, %b\n  ret double %r\n}\n";

    fn myadd_definition() -> FunctionDefinition {
        FunctionDefinition {
            name: "MyAdd".into(),
            ir: MYADD_IR.as_bytes().to_vec(),
            overloads: vec![
                FunctionSpec::new(
                    "myadd_lallA",
                    Signature::parse("int64(int64, int64)").unwrap(),
                ),
                FunctionSpec::new("myadd_daddA", Signature::parse("f64(f64, f64)").unwrap()),
            ],
            origin: "heavydb".into(),
            owner: None,
        }
    }

    #[test]
    fn engine_is_shareable() {
        fn shareable<T: Send + Sync>(_: &T) {}
        fn sendable<T: Send>(_: T) {}
        let engine = Engine::new(EngineConfig::default()).unwrap();
        shareable(&engine);
        sendable(engine.execute("SELECT 1"));
    }

    #[tokio::test]
    async fn registers_and_drops_programmatically() {
        let engine = Engine::new(EngineConfig::default()).unwrap();
        engine.create_function(myadd_definition(), false).unwrap();

        let functions = engine.functions();
        let listed: Vec<(String, String, String)> = functions
            .iter()
            .map(|f| (f.name.clone(), f.signature.to_string(), f.origin.clone()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (
                    "myadd".into(),
                    "float64(float64, float64)".into(),
                    "heavydb".into()
                ),
                (
                    "myadd".into(),
                    "int64(int64, int64)".into(),
                    "heavydb".into()
                ),
            ]
        );
        assert_eq!(functions[1].symbol, "myadd_lallA");
        assert_eq!(functions[1].targets, vec!["cpu".to_string()]);

        let e = engine
            .create_function(myadd_definition(), false)
            .unwrap_err();
        assert!(matches!(e, Error::FunctionExists { .. }), "{e}");
        engine.create_function(myadd_definition(), true).unwrap();

        let results = engine
            .execute("SELECT myadd(a, 2) AS s FROM (VALUES (1), (NULL), (40)) AS v(a)")
            .await
            .unwrap();
        let column = results[0].batches[0].column(0).as_primitive::<Int64Type>();
        assert_eq!(column, &Int64Array::from(vec![Some(3), None, Some(42)]));

        assert_eq!(
            engine
                .drop_function(
                    "myadd",
                    Some(&[
                        compiler::ScalarType::Int64.into(),
                        compiler::ScalarType::Int64.into()
                    ]),
                    false
                )
                .unwrap(),
            1
        );
        assert_eq!(engine.functions().len(), 1);
        assert_eq!(engine.drop_function("MYADD", None, false).unwrap(), 1);
        assert!(engine.functions().is_empty());
        let e = engine.drop_function("myadd", None, false).unwrap_err();
        assert_eq!(e.to_string(), "function `myadd` does not exist");
        assert_eq!(engine.drop_function("myadd", None, true).unwrap(), 0);
    }

    #[test]
    fn rejects_bad_definitions_before_compiling() {
        let engine = Engine::new(EngineConfig::default()).unwrap();
        let mut twice = myadd_definition();
        twice.overloads[1].signature = twice.overloads[0].signature.clone();
        let e = engine.create_function(twice, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid function definition: `myadd` lists two overloads taking (int64, int64)"
        );
        let mut none = myadd_definition();
        none.overloads.clear();
        assert!(engine.create_function(none, false).is_err());
        let mut builtin = myadd_definition();
        builtin.name = "ABS".into();
        let e = engine.create_function(builtin, false).unwrap_err();
        assert!(matches!(e, Error::BuiltinFunction(_)), "{e}");
    }

    #[tokio::test]
    async fn a_new_engine_registers_what_its_catalog_holds() {
        let catalog: Arc<dyn FunctionCatalog> = Arc::new(InMemoryFunctionCatalog::new());
        let first = Engine::with_catalog(EngineConfig::default(), Arc::clone(&catalog)).unwrap();
        first.create_function(myadd_definition(), false).unwrap();
        let second = Engine::with_catalog(EngineConfig::default(), catalog).unwrap();
        let results = second.execute("SELECT myadd(1.5, 2)").await.unwrap();
        assert_eq!(results[0].num_rows(), 1);
    }

    #[tokio::test]
    async fn lists_tables_and_reports_statements() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(EngineConfig {
            data_dir: Some(dir.path().join("data")),
            target_partitions: Some(2),
            ..EngineConfig::default()
        })
        .unwrap();
        assert!(dir.path().join("data").is_dir());
        let results = engine
            .execute("CREATE TABLE b (v INT); CREATE TABLE a AS SELECT 1 AS v; SHOW FUNCTIONS")
            .await
            .unwrap();
        assert_eq!(results.len(), 3);
        assert!(results[0].schema.fields().is_empty());
        assert_eq!(results[2].schema.field(4).name(), "compile_ms");
        assert_eq!(results[2].num_rows(), 0);
        assert_eq!(engine.table_names(), vec!["a".to_string(), "b".to_string()]);
        assert!(engine.execute("  ").await.unwrap().is_empty());
    }
}

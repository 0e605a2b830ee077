//! The engine: one DataFusion session, the IR function catalog and the compiler.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, ScalarType};
use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::{filter_record_batch, ilike, like};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::ScalarUDF;
use datafusion::optimizer::Analyzer;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{ShowStatementFilter, Statement as SqlStatement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use parking_lot::Mutex;

use crate::analyzer::BindIrCalls;
use crate::catalog::{
    FunctionCatalog, FunctionDefinition, FunctionInfo, InMemoryFunctionCatalog, RegisteredFunction,
    arg_list,
};
use crate::ddl::{self, DropTarget};
use crate::error::{Error, Result};
use crate::overload::{Overload, candidate_list};
use crate::udf::IrFunction;

/// How to build an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Where durable state will live. Tables and functions are in memory for now; the
    /// directory is created so that a bad path fails at start.
    pub data_dir: Option<PathBuf>,
    /// Partitions DataFusion splits work into; `None` keeps its default (the CPU count).
    pub target_partitions: Option<usize>,
    pub compiler: CompilerOptions,
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
    fn message(message: String) -> Self {
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
    /// Held while the catalog changes and the session's UDFs are updated to match, so that
    /// concurrent changes cannot interleave the two.
    ddl: Mutex<()>,
    /// Tells successive definitions of one name apart (see `IrFunction`).
    generation: AtomicU64,
}

impl Engine {
    /// An engine with an empty in-memory function catalog.
    pub fn new(config: EngineConfig) -> Result<Engine> {
        Self::with_catalog(config, Arc::new(InMemoryFunctionCatalog::new()))
    }

    /// An engine over `catalog`; the functions it already holds are registered.
    pub fn with_catalog(config: EngineConfig, catalog: Arc<dyn FunctionCatalog>) -> Result<Engine> {
        if let Some(dir) = &config.data_dir {
            std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
        let compiler = Compiler::new(config.compiler.clone()).map_err(Error::CompilerStart)?;
        let mut session = SessionConfig::new().with_information_schema(true);
        if let Some(partitions) = config.target_partitions {
            session = session.with_target_partitions(partitions.max(1));
        }
        let mut analyzer_rules = Analyzer::new().rules;
        // Ahead of TypeCoercion: bound calls have nothing left for it to coerce.
        analyzer_rules.insert(0, Arc::new(BindIrCalls));
        let state = SessionStateBuilder::new()
            .with_config(session)
            .with_default_features()
            .with_analyzer_rules(analyzer_rules)
            .build();
        let engine = Engine {
            inner: Arc::new(EngineInner {
                ctx: SessionContext::new_with_state(state),
                compiler: Arc::new(compiler),
                catalog,
                ddl: Mutex::new(()),
                generation: AtomicU64::new(0),
            }),
        };
        let names: std::collections::BTreeSet<String> = engine
            .inner
            .catalog
            .list()
            .into_iter()
            .map(|f| f.name)
            .collect();
        for name in names {
            engine.sync_udf(&name);
        }
        Ok(engine)
    }

    pub fn compiler(&self) -> &Arc<Compiler> {
        &self.inner.compiler
    }

    /// Runs one or more `;`-separated statements in order, returning one result per
    /// statement. On an error, the statements before the failing one have taken effect.
    pub async fn execute(&self, sql: &str) -> Result<Vec<QueryResult>> {
        let statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
            .map_err(|e| Error::Parse(e.strip_backtrace()))?;
        let numbered = statements.len() > 1;
        let mut results = Vec::with_capacity(statements.len());
        for (i, statement) in statements.into_iter().enumerate() {
            match self.execute_statement(statement).await {
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

    async fn execute_statement(&self, statement: DfStatement) -> Result<QueryResult> {
        if let DfStatement::Statement(sql) = &statement {
            match sql.as_ref() {
                SqlStatement::CreateFunction(create) => return self.sql_create_function(create),
                SqlStatement::DropFunction(drop) => {
                    let targets = ddl::drop_function(drop)?;
                    let dropped = self.drop_functions(&targets, drop.if_exists)?;
                    return Ok(QueryResult::message(format!(
                        "dropped {dropped} function overload{}",
                        if dropped == 1 { "" } else { "s" }
                    )));
                }
                SqlStatement::ShowFunctions { filter } => {
                    return self.show_functions(filter.as_ref());
                }
                _ => {}
            }
        }
        let ctx = &self.inner.ctx;
        let plan = ctx.state().statement_to_plan(statement).await?;
        let frame = ctx.execute_logical_plan(plan).await?;
        let task_ctx = Arc::new(frame.task_ctx());
        let physical = frame.create_physical_plan().await?;
        // The physical plan's schema is the one the batches carry.
        let schema = physical.schema();
        let batches = datafusion::physical_plan::collect(physical, task_ctx).await?;
        Ok(QueryResult {
            schema,
            batches,
            message: None,
        })
    }

    /// Compiles `definition` and registers its overloads under its name. Without
    /// `or_replace`, an overload whose argument types already exist is an error; with it,
    /// that overload is replaced. Other overloads of the name stay.
    pub fn create_function(&self, definition: FunctionDefinition, or_replace: bool) -> Result<()> {
        let name = ddl::normalize_name(&definition.name)?;
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
        let output = self
            .inner
            .compiler
            .compile(CompileRequest {
                ir: &definition.ir,
                functions: &definition.overloads,
            })
            .map_err(|source| Error::Compile {
                function: name.clone(),
                source,
            })?;
        let compile_time = output.module.compile_time();
        let ir: Arc<[u8]> = definition.ir.into();
        let registered = definition
            .overloads
            .iter()
            .map(|spec| {
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
                    origin: definition.origin.clone(),
                    ir: Arc::clone(&ir),
                    kernel: kernel.clone(),
                    compile_time,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        tracing::info!(function = %name, overloads = registered.len(), cache_hit = output.cache_hit, "function registered");
        let _ddl = self.inner.ddl.lock();
        self.inner.catalog.insert(registered, or_replace)?;
        self.sync_udf(&name);
        Ok(())
    }

    /// Drops the overload of `name` taking `args`, or all its overloads when `args` is
    /// `None`; returns how many were dropped. A function that does not exist is an error
    /// unless `if_exists`.
    pub fn drop_function(
        &self,
        name: &str,
        args: Option<&[ScalarType]>,
        if_exists: bool,
    ) -> Result<usize> {
        let target = DropTarget {
            name: ddl::normalize_name(name)?,
            args: args.map(<[ScalarType]>::to_vec),
        };
        self.drop_functions(std::slice::from_ref(&target), if_exists)
    }

    /// Every registered overload, ordered by name, then signature text.
    pub fn functions(&self) -> Vec<FunctionInfo> {
        let mut all: Vec<FunctionInfo> =
            self.inner.catalog.list().iter().map(|f| f.info()).collect();
        all.sort_by_cached_key(|f| (f.name.clone(), f.signature.to_string()));
        all
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

    fn sql_create_function(
        &self,
        statement: &datafusion::sql::sqlparser::ast::CreateFunction,
    ) -> Result<QueryResult> {
        let create = ddl::create_function(statement)?;
        let described = format!("{}({})", create.name, arg_list(&create.signature.args));
        let symbol = ddl::choose_symbol(&create)?;
        self.create_function(
            FunctionDefinition {
                name: create.name.clone(),
                ir: create.ir.into_bytes(),
                overloads: vec![FunctionSpec::new(symbol, create.signature)],
                origin: "sql".into(),
            },
            create.or_replace,
        )?;
        Ok(QueryResult::message(format!(
            "created function {described}"
        )))
    }

    fn drop_functions(&self, targets: &[DropTarget], if_exists: bool) -> Result<usize> {
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
        let mut dropped = 0;
        for target in targets {
            dropped += catalog.remove(&target.name, target.args.as_deref())?.len();
            self.sync_udf(&target.name);
        }
        Ok(dropped)
    }

    fn show_functions(&self, filter: Option<&ShowStatementFilter>) -> Result<QueryResult> {
        let functions = self.functions();
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("signature", DataType::Utf8, false),
            Field::new("targets", DataType::Utf8, false),
            Field::new("origin", DataType::Utf8, false),
            Field::new("compile_ms", DataType::Float64, false),
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
                    kernel: f.kernel,
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
                    Some(&[ScalarType::Int64, ScalarType::Int64]),
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

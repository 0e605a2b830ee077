//! The SQL engine of udf-server: Apache DataFusion plus user-defined functions compiled
//! from LLVM IR.
//!
//! SQL goes in, Arrow record batches come out. [`Engine::execute`] runs DataFusion's SQL
//! (tables in memory, CSV and Parquet files) and handles the function statements itself:
//! `CREATE FUNCTION … LANGUAGE llvm AS $$<IR>$$`, `DROP FUNCTION`, `SHOW FUNCTIONS`.
//! [`Engine::create_function`] registers functions without SQL (the Thrift server's path).
//!
//! What a HeavyDB server needs besides: [`Engine::execute_one_with`] (one statement,
//! HeavyDB's result column names), [`Engine::describe`] (a result's columns without
//! running), [`Engine::create_table`] and [`Engine::append`] (tables loaded without SQL),
//! [`Engine::replace_function_set`] (runtime registration, a whole set at a time), and
//! errors a server can map to HeavyDB's texts without parsing them
//! ([`Error::NoMatchingFunction`], [`Error::NullForColumn`], [`Error::MultipleStatements`]).
//! HeavyDB's `CREATE TABLE` storage clauses (`ENCODING DICT(32)`, `WITH (…)`) are accepted
//! everywhere.
//!
//! With a data directory ([`EngineConfig::data_dir`]) tables, views, external tables,
//! functions and users outlive the process: every change is written and fsync'd before it
//! is acknowledged, and [`Engine::with_catalog`] brings everything back
//! ([`Engine::restore_summary`]).
//!
//! **Architecture Invariant:** acknowledged ⇒ durable; `catalog.json` is the commit point.
//!
//! **API Boundary:** this is the only crate that knows DataFusion. It re-exports
//! [`arrow`] so that callers can read results without depending on DataFusion.
//!
//! **Architecture Invariant:** one DataFusion scalar UDF per SQL name holds all of its
//! overloads; an analyzer rule binds every call to one overload before execution, and a
//! kernel always runs on whole arrays, never per row.
//!
//! Code map: `engine` (the facade), `catalog` (the [`FunctionCatalog`] interface and its
//! in-memory implementation), `ddl` (function statements from the SQL AST), `overload`
//! (overload resolution with HeavyDB's implicit casts), `udf` and `analyzer` (the DataFusion
//! side of a function), `invoke` (Arrow arrays ⇄ kernel buffers), `dialect` (HeavyDB's
//! storage clauses, positions in SQL text), `calcite` (HeavyDB's result and type names),
//! `tables` (tables filled through the API), `store` (the data directory: catalog, files,
//! commits), `stored_table` (the table provider whose writes go through the store),
//! `access` (users, password hashes, privileges and the SQL that manages them).
//!
//! Privileges: with [`EngineConfig::access_control`], a statement run for a named user
//! ([`StatementOptions::owner`]) is checked against the users and grants of the catalog:
//! superusers may do anything; others need CREATE FUNCTION to make functions, may replace
//! or drop only what they own, and need a grant for every table a statement reads or
//! writes that they do not own. Statements without a named user run as the engine's owner,
//! a superuser.

mod access;
mod analyzer;
mod calcite;
mod catalog;
pub mod cluster;
mod ddl;
mod device;
mod dialect;
mod engine;
mod error;
mod introspect;
mod invoke;
mod overload;
mod store;
mod stored_table;
mod table_function;
mod tables;
mod udf;
mod watchdog;

pub use datafusion::arrow;
pub use datafusion::common::ScalarValue;

pub use access::{TablePrivilege, hash_password, verify_password};
pub use calcite::type_name as sql_type_name;
pub use catalog::{
    FunctionCatalog, FunctionDefinition, FunctionInfo, InMemoryFunctionCatalog, RegisteredFunction,
};
pub use compiler::{
    ColumnType, CompilerOptions, FunctionSpec, OutputColumn, ScalarType, Signature, Sizer,
    TableArg, TableFunctionSpec, TableSignature,
};
pub use device::{DevicePreference, GpuBuild, GpuState, UdfOptions, parse_set_device};
pub use engine::{
    CallResult, ClientGpuModule, Engine, EngineConfig, QueryResult, ReplaceSummary, RestoreSummary,
    ResultNames, StatementOptions, TableStats,
};
pub use error::{Error, Result, SqlSpan};
pub use introspect::{CodeInfo, DetailTexts, FunctionDetails};
pub use store::{UserRecord, UtcTime};
pub use table_function::{RegisteredTableFunction, TableFunctionInfo};
pub use tables::TEXT_ENCODING_KEY;
pub use watchdog::{StatementControl, parse_set_statement_timeout};

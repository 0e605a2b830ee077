//! The SQL engine of udf-server: Apache DataFusion plus user-defined functions compiled
//! from LLVM IR.
//!
//! SQL goes in, Arrow record batches come out. [`Engine::execute`] runs DataFusion's SQL
//! (tables in memory, CSV and Parquet files) and handles the function statements itself:
//! `CREATE FUNCTION … LANGUAGE llvm AS $$<IR>$$`, `DROP FUNCTION`, `SHOW FUNCTIONS`.
//! [`Engine::create_function`] registers functions without SQL (the Thrift server's path).
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
//! side of a function), `invoke` (Arrow arrays ⇄ kernel buffers).

mod analyzer;
mod catalog;
mod ddl;
mod engine;
mod error;
mod invoke;
mod overload;
mod udf;

pub use datafusion::arrow;

pub use catalog::{
    FunctionCatalog, FunctionDefinition, FunctionInfo, InMemoryFunctionCatalog, RegisteredFunction,
};
pub use compiler::{CompilerOptions, FunctionSpec, ScalarType, Signature};
pub use engine::{Engine, EngineConfig, QueryResult};
pub use error::{Error, Result};

//! The crate's one error type. Messages name what was wrong (the function, the signature,
//! the statement) so that a client can fix its input; `Internal` marks a bug in udf-server.

use datafusion::error::DataFusionError;

/// Errors from running SQL or managing functions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text could not be parsed.
    #[error("SQL parse error: {0}")]
    Parse(String),
    /// A statement is understood but asks for something this engine does not do.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A function definition is malformed (types, language, symbol, duplicates).
    #[error("invalid function definition: {0}")]
    InvalidDefinition(String),
    /// The compiler refused or failed to compile a function's IR.
    #[error("cannot compile `{function}`: {source}")]
    Compile {
        function: String,
        #[source]
        source: compiler::Error,
    },
    /// Creating an overload that exists, without `OR REPLACE`.
    #[error("function {name}({args}) already exists (use CREATE OR REPLACE to replace it)")]
    FunctionExists { name: String, args: String },
    /// Dropping a function or overload that does not exist, without `IF EXISTS`.
    #[error("function `{function}` does not exist{hint}")]
    FunctionNotFound { function: String, hint: String },
    /// Replacing a function set would take over an overload another origin registered.
    #[error("function {name}({args}) is registered by `{owner}`; drop it there first")]
    FunctionOwned {
        name: String,
        args: String,
        owner: String,
    },
    /// No function of this name, or none of its overloads accepts the argument types.
    ///
    /// The first line is HeavyDB's (Calcite's) wording, so that a HeavyDB server need only
    /// prefix `SQL Error: ` for clients that match on it; `detail` (candidates, a
    /// suggestion) follows on a line of its own, which those clients ignore.
    #[error(
        "{}No match found for function signature {name}({}){}",
        .span.map(|s| format!("{s}: ")).unwrap_or_default(),
        .args.join(", "),
        .detail.as_ref().map(|d| format!("\n{d}")).unwrap_or_default()
    )]
    NoMatchingFunction {
        /// Lowercase SQL name.
        name: String,
        /// Argument types as HeavyDB prints them (`BIGINT`, `INTEGER`, `DOUBLE`, `TEXT`,
        /// …), `<ANY>` where unknown.
        args: Vec<String>,
        /// Where the call is in the SQL text, when it could be found.
        span: Option<SqlSpan>,
        /// What would have matched, or a similarly named function.
        detail: Option<String>,
    },
    /// A table function failed: the message it set (`TableFunctionManager_error_message`,
    /// `table_function_error`), or what was wrong with its output. Worded as HeavyDB does,
    /// which clients match on.
    #[error("Error executing table function: {message}")]
    TableFunction { function: String, message: String },
    /// Several overloads fit a call equally well.
    #[error("{0}")]
    AmbiguousCall(String),
    /// The name belongs to a function built into the engine.
    #[error("`{0}` is a built-in function; choose another name")]
    BuiltinFunction(String),
    /// A request that takes one statement got several.
    #[error("multiple SQL statements not allowed")]
    MultipleStatements,
    /// A table schema given through the API cannot make a table.
    #[error("invalid table definition: {0}")]
    InvalidTable(String),
    /// No table of this name.
    #[error("table `{0}` does not exist")]
    TableNotFound(String),
    /// Creating a table whose name is taken, without `if_not_exists`.
    #[error("table `{0}` already exists")]
    TableExists(String),
    /// Rows for a NOT NULL column hold a NULL. HeavyDB's wording, which clients show.
    #[error("NULL for column {column}")]
    NullForColumn { column: String },
    /// Rows cannot go into a table: wrong column count, a type without a lossless
    /// conversion, a value out of range.
    #[error("cannot load into table `{table}`: {message}")]
    Load { table: String, message: String },
    /// DataFusion failed to plan or execute a statement.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    /// One statement of a multi-statement request failed; earlier ones took effect.
    #[error("statement {index}: {source}")]
    Statement {
        index: usize,
        #[source]
        source: Box<Error>,
    },
    /// The compiler could not start (LLVM target initialisation).
    #[error("cannot start the compiler: {0}")]
    CompilerStart(#[source] compiler::Error),
    /// The data directory cannot be created.
    #[error("data directory {}: {source}", path.display())]
    DataDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing a file of the data directory failed; the change it was part of
    /// did not happen.
    #[error("cannot {action} {}: {source}", path.display())]
    Storage {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file of the data directory is not what the catalog says it is (truncated,
    /// garbled, from a newer release). Nothing was loaded; the file is left as it is.
    #[error("{} is corrupt: {detail}", path.display())]
    CorruptFile {
        path: std::path::PathBuf,
        detail: String,
    },
    /// Another process (or engine) has the data directory open.
    #[error(
        "data directory {} is in use by another process (it holds {}/lock)",
        path.display(),
        path.display()
    )]
    DataDirInUse { path: std::path::PathBuf },
    /// A commit may not have reached the disk; the store refuses changes until a restart.
    #[error("the data directory refuses changes: {0}")]
    StoreFailed(String),
    /// What the data directory holds could not be brought back at start.
    #[error("cannot restore {what} from the data directory: {source}")]
    Restore {
        what: String,
        #[source]
        source: Box<Error>,
    },
    /// A user name that names no user.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// Creating a user whose name is taken.
    #[error("user `{0}` exists")]
    UserExists(String),
    /// The statement's user lacks a privilege; the message says which and how to get it.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Replacing or dropping an object someone else owns, without being a superuser.
    #[error("{kind} `{name}` is owned by `{owner}`; only its owner or a superuser may {action} it")]
    NotOwner {
        kind: &'static str,
        name: String,
        owner: String,
        /// `replace`, `drop`, `alter`, `add overloads to`.
        action: &'static str,
    },
    /// A Ballista scheduler or executor could not start or stopped with an error.
    #[error("cluster: {0}")]
    Cluster(String),
    /// A setting with a value it cannot take.
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// `udf.device = 'gpu'` for a call that cannot run on a GPU; never a silent CPU run.
    #[error("`{function}` cannot run on the GPU: {reason}")]
    GpuUnavailable { function: String, reason: String },
    /// A UDF's kernel was stopped because its statement ran past `statement_timeout`.
    #[error(
        "UDF `{function}` interrupted after {elapsed_ms} ms (statement_timeout = {timeout_ms} ms)"
    )]
    UdfInterrupted {
        function: String,
        elapsed_ms: u64,
        timeout_ms: u64,
    },
    /// A statement ran past `statement_timeout` (stopped outside any UDF).
    #[error("statement timed out after {elapsed_ms} ms (statement_timeout = {timeout_ms} ms)")]
    StatementTimeout { elapsed_ms: u64, timeout_ms: u64 },
    /// A statement was stopped from outside (its server session was ended).
    #[error("statement cancelled: {reason}")]
    Cancelled { reason: String },
    /// An integer division or remainder by zero in a UDF: the statement fails (there is
    /// no NULL-on-error mode).
    #[error("division by zero in UDF `{function}`")]
    UdfDivisionByZero { function: String },
    /// A signed integer `MIN / -1` (or remainder) in a UDF.
    #[error("integer overflow (MIN / -1) in UDF `{function}`")]
    UdfDivisionOverflow { function: String },
    /// UDF code faulted (an out-of-bounds access caught by the kernel guard); only this
    /// statement failed.
    #[error("{detail} in UDF `{function}`; the statement was stopped, nothing else is affected")]
    UdfFault { function: String, detail: String },
    /// A query needed more memory than its own pool holds (`EngineConfig::query_memory_mb`).
    #[error("query exceeded its memory limit of {limit_mb} MiB (query_memory_mb): {detail}")]
    QueryMemoryLimit { limit_mb: usize, detail: String },
    /// A bug in udf-server, not in the input.
    #[error("internal error (a bug in udf-server): {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where something is in a SQL text: 1-based lines and columns (characters), the end
/// inclusive, as Calcite reports positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlSpan {
    pub start_line: u64,
    pub start_column: u64,
    pub end_line: u64,
    pub end_column: u64,
}

impl std::fmt::Display for SqlSpan {
    /// `From line 1, column 8 to line 1, column 16`, Calcite's form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "From line {}, column {} to line {}, column {}",
            self.start_line, self.start_column, self.end_line, self.end_column
        )
    }
}

impl From<Error> for DataFusionError {
    /// Errors raised inside DataFusion callbacks (planning, kernels) travel as
    /// `DataFusionError`; keep our message as is rather than nesting `Display`s.
    fn from(err: Error) -> Self {
        match err {
            Error::DataFusion(e) => e,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}

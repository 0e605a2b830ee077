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
    /// The name belongs to a function built into the engine.
    #[error("`{0}` is a built-in function; choose another name")]
    BuiltinFunction(String),
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
    /// A bug in udf-server, not in the input.
    #[error("internal error (a bug in udf-server): {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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

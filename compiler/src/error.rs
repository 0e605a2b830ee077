//! The compiler's one error type. Every variant names what was wrong so that a client
//! seeing the message can fix its input; `Internal` marks a bug in udf-server itself.

/// Errors from checking, compiling, linking or running a UDF.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The signature text or code could not be understood.
    #[error("signature error: {0}")]
    Signature(String),
    /// The IR did not parse; LLVM's message carries `line:column`.
    #[error("malformed LLVM IR: {0}")]
    Parse(String),
    /// The module parsed but failed LLVM's verifier.
    #[error("invalid LLVM IR: {0}")]
    Verify(String),
    /// A declared function is missing from the module or only declared there.
    #[error("symbol `{symbol}` is not defined in the IR{hint}")]
    MissingSymbol { symbol: String, hint: String },
    /// The LLVM type of a function does not match its declared signature.
    #[error("`{symbol}` is declared {declared} but the IR defines {found}")]
    SignatureMismatch {
        symbol: String,
        declared: String,
        found: String,
    },
    /// The IR references something outside the allow-list (e.g. `system`, inline asm).
    #[error("refused: {0}")]
    Refused(String),
    /// GPU math needs libdevice, which was not found or does not load.
    #[error("libdevice unavailable: {0}")]
    Libdevice(String),
    /// Optimisation, code generation or JIT linking failed.
    #[error("code generation failed: {0}")]
    Codegen(String),
    /// A kernel was called with buffers that do not fit its signature.
    #[error("kernel call error: {0}")]
    Call(String),
    /// The persistent code cache folder could not be created or cleared. (Reading or
    /// writing single entries never fails a compile: it is logged and counted.)
    #[error("code cache {}: {source}", path.display())]
    CacheIo {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The IR is over a size limit of [`crate::IrLimits`] (`what` names which).
    #[error("{what} over the limit: {actual} > {limit}")]
    Limit {
        what: String,
        limit: u64,
        actual: u64,
    },
    /// The kernel stopped because its [`crate::Interrupt`] was set.
    #[error("interrupted")]
    Interrupted,
    /// An integer division or remainder by zero in the UDF (no row result is kept).
    #[error("division by zero")]
    DivisionByZero,
    /// A signed integer division or remainder of the type's minimum by -1.
    #[error("integer overflow: MIN / -1")]
    DivisionOverflow,
    /// The UDF's machine code faulted (an out-of-bounds or null access, a stack overflow,
    /// a trap); `signal` names the signal (`SIGSEGV`). Only that call failed.
    #[error("{} ({signal}) in UDF code", fault_kind(signal))]
    MemoryFault { signal: String },
    /// A table function reported an error (its message, or what was wrong with its
    /// arguments or outputs).
    #[error("{0}")]
    TableFunction(String),
    /// A table function that sizes its own output returned rows without calling
    /// `set_output_row_size`.
    #[error(
        "`{0}` returned rows without setting its output size (TableFunctionManager_set_output_row_size)"
    )]
    OutputRowsUnset(String),
    /// A table function returned more rows than its output columns hold.
    #[error("`{function}` returned {returned} rows, but its output columns hold {capacity}")]
    TooManyRows {
        function: String,
        returned: usize,
        capacity: usize,
    },
    /// A bug in udf-server, not in the input.
    #[error("internal error (a bug in udf-server): {0}")]
    Internal(String),
}

/// What a fault signal means, for [`Error::MemoryFault`]'s message.
fn fault_kind(signal: &str) -> &'static str {
    match signal {
        "SIGILL" => "illegal instruction",
        "SIGFPE" => "arithmetic exception",
        "SIGTRAP" => "trap",
        _ => "memory access violation",
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

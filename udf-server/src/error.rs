//! The crate's one error type. Handler errors become `TDBException`s whose first line is
//! what HeavyDB clients match on (shared/protocols/heavydb-thrift.md §8).

use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- settings -----------------------------------------------------------------------
    #[error("cannot read config file {}: {source}", path.display())]
    ConfigRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {}: {message}", path.display())]
    ConfigFile { path: PathBuf, message: String },
    #[error("{name}: {message}")]
    Setting { name: String, message: String },
    #[error(
        "refusing to listen on {bind} with HeavyDB's public default password for `admin`; \
         set users.admin.password in the config file or UDF_ADMIN_PASSWORD"
    )]
    DefaultPasswordOffLoopback { bind: IpAddr },

    // --- calls --------------------------------------------------------------------------
    /// Unknown or expired session: HeavyDB's exact text.
    #[error("Session not valid or expired.")]
    InvalidSession,
    /// A session that existed and ended, with why: HeavyDB's text first, which clients
    /// match on.
    #[error("Session not valid or expired: {0}")]
    SessionEnded(crate::sessions::Ended),
    /// The same text for a wrong password and an unknown user.
    #[error("Authentication failure: wrong user name or password for `{0}`")]
    Authentication(String),
    #[error("too many failed logins for `{user}`; try again in {seconds} s")]
    LoginThrottled { user: String, seconds: u64 },
    #[error("too many failed logins from {peer}; try again in {seconds} s")]
    LoginThrottledFrom { peer: IpAddr, seconds: u64 },
    #[error("Database `{0}` does not exist (this server has one database, `heavyai`)")]
    UnknownDatabase(String),
    /// SQL that failed to parse, plan or run.
    #[error("SQL Error: {}", sql_detail(.0))]
    Sql(#[source] db_glue::Error),
    /// A direct call (`udf_call`) that found no function or overload, or failed to run.
    #[error("{0}")]
    Call(#[source] db_glue::Error),
    #[error("SQL Error: multiple SQL statements not allowed")]
    MultipleStatements,
    /// A table function's error, which HeavyDB reports without the `SQL Error: ` prefix
    /// (clients match on `Error executing table function: <msg>`).
    #[error("{0}")]
    TableFunction(#[source] db_glue::Error),
    #[error("The result contains more rows than the specified cap of {0}")]
    TooManyRows(i32),
    #[error("column `{column}`: {message}")]
    Column { column: String, message: String },
    #[error("HeavyDB clients cannot receive values of type {0}")]
    UnsupportedResultType(String),
    #[error("Unsupported type: {0}")]
    UnsupportedColumnType(String),
    #[error("cannot convert data: {0}")]
    Conversion(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The IR of a registration does not parse: HeavyDB's wording, which rbc shows.
    #[error("LLVM IR ParseError: {0}")]
    IrParse(String),
    #[error("Runtime UDF registration failed: {0}")]
    Registration(String),
    #[error("Runtime UDF and UDTF function registration is disabled.")]
    RegistrationDisabled,
    #[error("Server is configured to require superuser privilege to register UDFs and UDTFs.")]
    RegistrationNeedsSuperuser,
    #[error("`{0}` needs a superuser session")]
    NeedsSuperuser(&'static str),
    #[error("cannot end session `{id}`: {reason}")]
    KillSession {
        id: String,
        reason: crate::sessions::KillError,
    },
    /// A session cap (`max_sessions`, `max_sessions_per_user`) refused a connect.
    #[error("{0}")]
    OpenSession(crate::sessions::OpenError),
    #[error("internal error (a bug in udf-server): {0}")]
    Internal(String),

    // --- rbc RemoteJIT (the `--remotejit-port` listener) --------------------------------
    #[error("cannot unpickle the arguments of `{function}`: {message}")]
    Unpickle { function: String, message: String },
    #[error("unsupported signature `{mangled}` for `{name}`: {message}")]
    RemoteJitSignature {
        name: String,
        mangled: String,
        message: String,
    },
    #[error("cannot compile `{name}`: {source}")]
    RemoteJitCompile {
        name: String,
        #[source]
        source: compiler::Error,
    },
    #[error("no such compiled function `{name}`. Available functions: {available}")]
    NoSuchFunction { name: String, available: String },
    /// A call whose arguments do not fit the compiled signature.
    #[error("`{function}` {message}")]
    RemoteJitArguments { function: String, message: String },
    #[error("remote python execution is disabled on udf-server")]
    RemotePythonDisabled,

    // --- udf-sql: `LANGUAGE c`, compiled on the client -----------------------------------
    #[error(
        "LANGUAGE c needs clang on this machine (looked for {looked_for}); install clang \
         (Debian: apt-get install clang-22) or send LANGUAGE llvm"
    )]
    ClangNotFound { looked_for: String },
    #[error("cannot run {clang} for `{function}`: {source}")]
    ClangRun {
        clang: String,
        function: String,
        source: std::io::Error,
    },
    /// clang refused the C source; `diagnostics` is what it printed.
    #[error("clang cannot compile the C source of `{function}`:\n{diagnostics}")]
    CCompile {
        function: String,
        diagnostics: String,
    },
    /// A `LANGUAGE c` statement whose shape udf-sql cannot rewrite.
    #[error("{0}")]
    CFunction(String),
}

impl Error {
    /// Prefixes a data error with the column it concerns.
    pub fn for_column(self, column: &str) -> Error {
        match self {
            Error::Column { .. } => self,
            other => Error::Column {
                column: column.to_string(),
                message: other.to_string(),
            },
        }
    }
}

/// The detail of a SQL failure. db-glue already words a missing function as Calcite
/// does ("From line …: No match found for function signature f(…)"), on the first line.
fn sql_detail(error: &db_glue::Error) -> String {
    error.to_string()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! `udf-admin`: look into and manage a running udf-server — status, sessions, functions
//! (with what the compiler made of them), tables, devices, the code cache.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use udf_server::admin::{self, ShowTexts};
use udf_thrift::client::{Client, connect};
use udf_thrift::{THeavySyncClient, error_message};

/// Look into and manage a running udf-server.
///
/// Connects like `udf-sql --host`: the password comes from UDF_PASSWORD, else a prompt.
/// Output is aligned tables; --json prints JSON for scripts.
#[derive(Debug, Parser)]
#[command(name = "udf-admin", version)]
struct Args {
    /// Host of the server.
    #[arg(long, short = 'H', default_value = "127.0.0.1", env = "UDF_HOST")]
    host: String,

    /// Port of the server.
    #[arg(long, short = 'p', default_value_t = 6274, env = "UDF_PORT")]
    port: u16,

    /// User to log in as (most commands need a superuser).
    #[arg(long, short = 'U', default_value = "admin")]
    user: String,

    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Version, uptime, LLVM, devices, sessions, functions, tables, memory.
    Status,
    /// Live sessions; `sessions kill ID` ends one.
    Sessions {
        #[command(subcommand)]
        action: Option<SessionAction>,
    },
    /// Registered functions; `functions show NAME` shows what the compiler did.
    Functions {
        #[command(subcommand)]
        action: Option<FunctionAction>,
    },
    /// Tables: rows, size, columns.
    Tables,
    /// The CPU and GPUs functions run on.
    Devices,
    /// The compiled-code cache.
    Cache {
        #[command(subcommand)]
        action: Option<CacheAction>,
    },
    /// The Prometheus metrics text.
    Metrics,
}

#[derive(Debug, Subcommand)]
enum SessionAction {
    /// List sessions (the default).
    List,
    /// End a session: its id or a unique prefix of at least 8 hex digits.
    Kill { id: String },
}

#[derive(Debug, Subcommand)]
enum FunctionAction {
    /// One row per overload and target (the default).
    List,
    /// Every overload and target of NAME in full.
    Show {
        name: String,
        /// The IR as received.
        #[arg(long)]
        ir: bool,
        /// The optimised kernel IR.
        #[arg(long)]
        opt_ir: bool,
        /// The kernel's machine code.
        #[arg(long)]
        asm: bool,
        /// The PTX (functions with a GPU build).
        #[arg(long)]
        ptx: bool,
    },
    /// Drop every overload of NAME, or one: `drop NAME --args "BIGINT, BIGINT"`.
    Drop {
        name: String,
        #[arg(long)]
        args: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Hits, misses, entries, size (the default).
    Stats,
    /// Forget cached code; loaded functions keep theirs.
    Clear,
}

struct Admin {
    client: Client,
    session: String,
}

impl Admin {
    fn open(args: &Args) -> Result<Admin> {
        let password = match std::env::var("UDF_PASSWORD") {
            Ok(p) => p,
            Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
                rpassword::prompt_password(format!("Password for {}@{}: ", args.user, args.host))
                    .context("cannot read the password")?
            }
            Err(_) => bail!(
                "no password: set UDF_PASSWORD (standard input is not a terminal to prompt on)"
            ),
        };
        let mut client = connect(&args.host, args.port, Duration::from_secs(10))
            .with_context(|| format!("cannot connect to {}:{}", args.host, args.port))?;
        let session = client
            .connect(args.user.clone(), password, String::new())
            .map_err(|e| anyhow::anyhow!("{}", error_message(&e)))?;
        Ok(Admin { client, session })
    }
}

/// A Thrift call's error as the server worded it.
fn call<T>(result: udf_thrift::Result<T>) -> Result<T> {
    result.map_err(|e| anyhow::anyhow!("{}", error_message(&e)))
}

fn run(args: &Args) -> Result<String> {
    let mut admin = Admin::open(args)?;
    let s = admin.session.clone();
    let c = &mut admin.client;
    let json = args.json;
    let out = match &args.command {
        Command::Status => admin::status(&call(c.udf_server_status(s.clone()))?, json),
        Command::Devices => admin::devices(&call(c.udf_server_status(s.clone()))?, json),
        Command::Sessions { action } => match action {
            None | Some(SessionAction::List) => {
                admin::sessions(&call(c.udf_list_sessions(s.clone()))?, json)
            }
            Some(SessionAction::Kill { id }) => {
                call(c.udf_kill_session(s.clone(), id.clone()))?;
                format!("session {id} ended\n")
            }
        },
        Command::Functions { action } => match action {
            None | Some(FunctionAction::List) => admin::function_list(
                &call(c.udf_function_details(s.clone(), String::new(), Vec::new()))?,
                json,
            ),
            Some(FunctionAction::Show {
                name,
                ir,
                opt_ir,
                asm,
                ptx,
            }) => {
                let texts = ShowTexts {
                    ir: *ir,
                    opt_ir: *opt_ir,
                    asm: *asm,
                    ptx: *ptx,
                };
                let details =
                    call(c.udf_function_details(s.clone(), name.clone(), texts.wire_names()))?;
                if details.is_empty() {
                    bail!("no function named `{name}`");
                }
                admin::function_show(&details, json)
            }
            Some(FunctionAction::Drop { name, args }) => {
                let target = match args {
                    Some(a) => format!("{name}({a})"),
                    None => name.clone(),
                };
                let result = call(c.sql_execute(
                    s.clone(),
                    format!("DROP FUNCTION {target}"),
                    true,
                    String::new(),
                    -1,
                    -1,
                ))?;
                let message = result
                    .row_set
                    .and_then(|r| r.columns)
                    .and_then(|cols| cols.into_iter().next())
                    .and_then(|col| col.data)
                    .and_then(|d| d.str_col)
                    .and_then(|v| v.into_iter().next());
                format!(
                    "{}\n",
                    message.unwrap_or_else(|| format!("dropped {target}"))
                )
            }
        },
        Command::Tables => admin::tables(&call(c.udf_list_tables(s.clone()))?, json),
        Command::Cache { action } => match action {
            None | Some(CacheAction::Stats) => {
                admin::cache(&call(c.udf_cache_stats(s.clone()))?, json)
            }
            Some(CacheAction::Clear) => admin::cache(&call(c.udf_cache_clear(s.clone()))?, json),
        },
        Command::Metrics => call(c.udf_metrics(s.clone()))?,
    };
    let _ = admin.client.disconnect(s);
    Ok(out)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("udf-admin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

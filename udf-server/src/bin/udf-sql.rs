//! `udf-sql`: run SQL — including `CREATE FUNCTION … LANGUAGE llvm`, and `LANGUAGE c`
//! compiled here by clang — on an engine embedded in this process, like `psql` or
//! `duckdb FILE`, or on a server (`--host`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser};
use db_glue::{Engine, EngineConfig};
use rustyline::error::ReadlineError;
use tracing_subscriber::EnvFilter;
use udf_server::remote::RemoteSession;
use udf_server::render::OutputFormat;
use udf_server::shell::{Backend, Flow, Shell, ShellOptions};

const HISTORY_FILE: &str = ".udf_sql_history";

/// Run SQL on an embedded udf-server engine.
///
/// Statements come from -c and -f in the order given; with neither, from an interactive
/// prompt (or from standard input when it is not a terminal). Statements end with `;`; a
/// `$$ … $$` body (LLVM IR) may contain `;` and newlines.
///
/// `CREATE FUNCTION … LANGUAGE c AS $$<C source>$$` compiles the C here with clang
/// ($UDF_CLANG, else clang-22, else clang) and sends the IR as LANGUAGE llvm.
///
/// Exit status: 0 when every statement succeeded, 1 when any failed (the rest still run
/// unless --stop-on-error) or udf-sql itself could not run.
#[derive(Debug, Parser)]
#[command(name = "udf-sql", version)]
struct Args {
    /// The database directory, created if missing: tables, functions and compiled code
    /// are kept here (as a server keeps its data directory) and found again next time;
    /// the prompt history is DIR/.udf_sql_history. One process at a time may open it.
    /// Required in embedded mode (without --host).
    #[arg(long, short = 'D', value_name = "DIR", env = "UDF_DATA_DIR")]
    data_dir: Option<PathBuf>,

    /// Run statements on the udf-server (or HeavyDB) at HOST instead of in-process.
    /// The password comes from UDF_PASSWORD, else a prompt.
    #[arg(long, short = 'H', value_name = "HOST")]
    host: Option<String>,

    /// Port of the server (with --host).
    #[arg(long, short = 'p', default_value_t = 6274)]
    port: u16,

    /// User to log in as (with --host).
    #[arg(long, short = 'U', default_value = "admin")]
    user: String,

    /// Database to use (with --host).
    #[arg(long, default_value = "heavyai")]
    database: String,

    /// Run SQL (one or more `;`-separated statements); may be repeated.
    #[arg(long = "command", short = 'c', value_name = "SQL")]
    command: Vec<String>,

    /// Run the SQL script FILE (`-` = standard input); may be repeated.
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    file: Vec<String>,

    /// Print the time each statement takes (`Time: N.NNN ms`).
    #[arg(long)]
    timing: bool,

    /// Stop at the first failed statement (psql's ON_ERROR_STOP).
    #[arg(long, alias = "bail")]
    stop_on_error: bool,

    /// How result sets are printed.
    #[arg(long, value_enum, default_value_t = Format::Aligned)]
    format: Format,

    /// How NULL is shown in aligned output.
    #[arg(long, value_name = "TEXT", default_value = "NULL")]
    null: String,

    /// Partitions (threads) each query is split into; default: the number of CPUs.
    #[arg(long, value_name = "N")]
    target_partitions: Option<usize>,

    /// Use scalar libm for `exp`, `sin`, … in UDFs instead of vector variants (which can
    /// differ in the last bits but let loops vectorise).
    #[arg(long)]
    no_vector_math: bool,

    /// How long a statement may run before it is stopped, in milliseconds; 0 = no limit
    /// (embedded mode; `SET statement_timeout = …` changes it) [default: 0].
    #[arg(long, value_name = "MS")]
    statement_timeout_ms: Option<u64>,

    /// Memory each statement may use, in MiB; 0 = unlimited (embedded mode) [default: 0].
    #[arg(long, value_name = "MIB")]
    query_memory_mb: Option<usize>,

    /// Never use a GPU, even when one is present (embedded mode).
    #[arg(long)]
    no_gpu: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// psql-style padded table with a row count.
    Aligned,
    /// CSV with a header line.
    Csv,
}

/// A `-c` or `-f` argument, kept in command-line order.
enum Source {
    Command(String),
    File(String),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("udf-sql: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches)?;
    let sources = sources_in_order(&matches);
    init_tracing();

    let interactive = sources.is_empty() && io::stdin().is_terminal();
    let options = ShellOptions {
        timing: args.timing,
        // As psql's ON_ERROR_STOP: a typo at the prompt does not end the session.
        stop_on_error: args.stop_on_error && !interactive,
        format: match args.format {
            Format::Aligned => OutputFormat::Aligned,
            Format::Csv => OutputFormat::Csv,
        },
        null: args.null.clone(),
        interactive,
    };
    let out = Box::new(BufWriter::new(io::stdout()));
    let err = Box::new(io::stderr());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let engine;
    let (backend, history_dir) = match &args.host {
        Some(host) => {
            let password = match std::env::var("UDF_PASSWORD") {
                Ok(p) => p,
                Err(_) if io::stdin().is_terminal() => {
                    rpassword::prompt_password(format!("Password for {}@{host}: ", args.user))
                        .context("cannot read the password")?
                }
                Err(_) => anyhow::bail!(
                    "no password: set UDF_PASSWORD (standard input is not a terminal to prompt on)"
                ),
            };
            let remote =
                RemoteSession::open(host, args.port, &args.user, &password, &args.database)
                    .map_err(anyhow::Error::msg)?;
            let home = std::env::var_os("HOME").map(PathBuf::from);
            (Backend::Remote(remote), home)
        }
        None => {
            let data_dir = args.data_dir.clone().context(
                "embedded mode needs --data-dir DIR (or UDF_DATA_DIR); use --host to run on a server",
            )?;
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
            let mut config = EngineConfig {
                data_dir: Some(data_dir.clone()),
                target_partitions: args.target_partitions,
                no_gpu: args.no_gpu,
                statement_timeout: args
                    .statement_timeout_ms
                    .filter(|&ms| ms > 0)
                    .map(std::time::Duration::from_millis),
                query_memory_mb: args.query_memory_mb.filter(|&mb| mb > 0),
                ..EngineConfig::default()
            };
            if args.no_vector_math {
                config.compiler.vector_math = false;
            }
            engine = {
                // The engine may spawn background work while it starts.
                let _guard = runtime.enter();
                Engine::new(config).context("cannot start the engine")?
            };
            (
                Backend::Embedded {
                    engine: &engine,
                    runtime: &runtime,
                },
                Some(data_dir),
            )
        }
    };
    let mut shell = Shell::new(backend, options, out, err);

    let outcome = if interactive {
        run_interactive(&mut shell, history_dir.as_deref())
    } else if sources.is_empty() {
        run_script(&mut shell, "-").map(drop)
    } else {
        run_sources(&mut shell, &sources)
    };
    match outcome {
        Ok(()) => {}
        // The reader went away (`udf-sql … | head`): nothing more can be shown.
        Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::FAILURE),
        Err(e) => return Err(e),
    }
    // As psql: an interactive session's errors were seen by the user, not a script's
    // caller, so only scripts report them in the exit status.
    Ok(if shell.failures() > 0 && !interactive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .init();
}

/// clap keeps `-c` and `-f` values apart; psql runs them interleaved as given, so
/// put them back in order by their positions on the command line.
fn sources_in_order(matches: &clap::ArgMatches) -> Vec<Source> {
    let mut sources: Vec<(usize, Source)> = Vec::new();
    for (id, make) in [
        ("command", Source::Command as fn(String) -> Source),
        ("file", Source::File),
    ] {
        if let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        {
            sources.extend(indices.zip(values.map(|v| make(v.clone()))));
        }
    }
    sources.sort_by_key(|(index, _)| *index);
    sources.into_iter().map(|(_, s)| s).collect()
}

fn run_sources(shell: &mut Shell<'_>, sources: &[Source]) -> Result<()> {
    for source in sources {
        let flow = match source {
            Source::Command(sql) => {
                // Each -c is complete on its own: a last statement needs no `;`.
                match shell.feed(sql)? {
                    Flow::Quit => Flow::Quit,
                    Flow::Continue => shell.finish()?,
                }
            }
            Source::File(path) => run_script(shell, path)?,
        };
        if flow == Flow::Quit {
            break;
        }
    }
    Ok(())
}

/// Runs a script line by line, so statements from a pipe run as they arrive. `Quit`
/// means `\q` or a failure under --stop-on-error: nothing after it should run.
fn run_script(shell: &mut Shell<'_>, path: &str) -> Result<Flow> {
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
        Box::new(BufReader::new(file))
    };
    let name = if path == "-" { "standard input" } else { path };
    for line in reader.lines() {
        let mut line = line.with_context(|| format!("cannot read {name}"))?;
        line.push('\n');
        if shell.feed(&line)? == Flow::Quit {
            return Ok(Flow::Quit);
        }
    }
    Ok(shell.finish()?)
}

fn run_interactive(shell: &mut Shell<'_>, history_dir: Option<&Path>) -> Result<()> {
    let place = match shell.server_version() {
        Some(version) => format!("connected to a server, version {version}"),
        None => format!(
            "embedded engine, data directory {}",
            history_dir.map_or_else(String::new, |d| d.display().to_string())
        ),
    };
    println!(
        "udf-sql {} ({place})\n\
         Tables are kept in memory only. Type \\? for help, \\q to quit.\n",
        env!("CARGO_PKG_VERSION"),
    );
    let mut editor = rustyline::DefaultEditor::new().context("cannot open the terminal")?;
    let history = history_dir.unwrap_or(Path::new(".")).join(HISTORY_FILE);
    if history.exists()
        && let Err(e) = editor.load_history(&history)
    {
        tracing::warn!("cannot load history from {}: {e}", history.display());
    }
    // The lines of the statement being typed; it goes into the history as one entry,
    // so recalling it brings back the whole multi-line statement.
    let mut entry = String::new();
    loop {
        match editor.readline(shell.prompt()) {
            Ok(line) => {
                entry.push_str(&line);
                entry.push('\n');
                let flow = shell.feed(&format!("{line}\n"))?;
                if shell.at_statement_start() || flow == Flow::Quit {
                    let text = std::mem::take(&mut entry);
                    if !text.trim().is_empty() {
                        editor.add_history_entry(text.trim_end())?;
                        // Saved after every entry so that a killed session keeps its
                        // history.
                        if let Err(e) = editor.save_history(&history) {
                            tracing::warn!("cannot save history to {}: {e}", history.display());
                        }
                    }
                }
                if flow == Flow::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                // As psql: Ctrl-C at the prompt throws away the statement being typed.
                shell.reset();
                entry.clear();
            }
            Err(ReadlineError::Eof) => {
                println!();
                break;
            }
            Err(e) => return Err(e).context("cannot read from the terminal"),
        }
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

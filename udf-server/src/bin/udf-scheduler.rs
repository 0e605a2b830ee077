//! `udf-scheduler`: an Apache Ballista scheduler whose plans may carry udf-server's IR
//! functions (see db-glue's `cluster` module). udf-server sends queries to it with
//! `--cluster ballista://HOST:PORT`; `udf-executor`s register with it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use db_glue::CompilerOptions;
use db_glue::cluster::{SchedulerOptions, run_scheduler};
use udf_server::daemon;

/// Ballista scheduler for udf-server's cluster mode.
///
/// Logs go to standard error; RUST_LOG sets the level (default info). It keeps no state
/// that outlives it: jobs in flight fail when it stops.
#[derive(Debug, Parser)]
#[command(name = "udf-scheduler", version)]
struct Args {
    /// Address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1",
        env = "UDF_SCHEDULER_BIND"
    )]
    bind: String,

    /// gRPC port for udf-server and the executors.
    #[arg(long, default_value_t = 50050, env = "UDF_SCHEDULER_PORT")]
    port: u16,

    /// Host name executors and udf-server reach this scheduler by [default: the bind
    /// address].
    #[arg(long, value_name = "HOST")]
    external_host: Option<String>,

    /// How each stage's tasks go to executors: `round-robin` (one per executor in turn,
    /// so every executor works) or `bias` (fill one executor's task slots first: fewer
    /// shuffle transfers, Ballista's default).
    #[arg(long, value_name = "POLICY", default_value = "round-robin", value_parser = ["round-robin", "bias"])]
    task_distribution: String,

    /// Seconds without a heartbeat after which an executor is dead: its running tasks
    /// go to other executors, and stages whose shuffle output it held run again.
    #[arg(long, value_name = "S", default_value_t = 30)]
    executor_timeout_s: u64,

    /// Folder of the compiler's code cache (the scheduler compiles each new function
    /// once, to check it) [default: none].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    daemon::init_logging();
    daemon::exit_code("udf-scheduler", run(Args::parse()))
}

fn run(args: Args) -> Result<()> {
    let bind: SocketAddr = format!("{}:{}", args.bind, args.port)
        .parse()
        .with_context(|| format!("bad listen address {}:{}", args.bind, args.port))?;
    // Before any thread exists (see compiler/src/probe.rs).
    compiler::start_probe().context("cannot start the IR probe")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("scheduler")
        .build()
        .context("cannot start the tokio runtime")?;
    let options = SchedulerOptions {
        bind,
        external_host: args.external_host.unwrap_or(args.bind),
        round_robin: args.task_distribution == "round-robin",
        executor_timeout: std::time::Duration::from_secs(args.executor_timeout_s),
        compiler: CompilerOptions {
            cache_dir: args.cache_dir,
            ..CompilerOptions::default()
        },
    };
    tracing::info!(%bind, "udf-scheduler listening");
    runtime.block_on(async {
        tokio::select! {
            result = run_scheduler(options) => result.context("scheduler stopped"),
            _ = tokio::signal::ctrl_c() => Ok(()),
            () = terminated() => Ok(()),
        }
    })
}

/// Resolves on SIGTERM.
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

//! `udf-executor`: an Apache Ballista executor that compiles the IR functions shipped in
//! its tasks' plans (CPU, and GPU when it has one) and caches them by content hash (see
//! db-glue's `cluster` module). It keeps no catalog: udf-server does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use db_glue::CompilerOptions;
use db_glue::cluster::{ExecutorOptions, run_executor};
use udf_server::daemon;

/// Ballista executor for udf-server's cluster mode.
///
/// Logs go to standard error; RUST_LOG sets the level (default info).
#[derive(Debug, Parser)]
#[command(name = "udf-executor", version)]
struct Args {
    /// The scheduler, ballista://HOST:PORT.
    #[arg(
        long,
        value_name = "URL",
        default_value = "ballista://127.0.0.1:50050",
        env = "UDF_CLUSTER"
    )]
    scheduler: String,

    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: String,

    /// Host name the scheduler and other executors reach this one by [default: the bind
    /// address].
    #[arg(long, value_name = "HOST")]
    external_host: Option<String>,

    /// Arrow Flight port (shuffle data and results).
    #[arg(long, default_value_t = 50051)]
    flight_port: u16,

    /// gRPC port for the scheduler.
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,

    /// Tasks run at once [default: the CPU count].
    #[arg(long, value_name = "N")]
    concurrent_tasks: Option<usize>,

    /// Folder for shuffle files [default: a temporary folder].
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,

    /// Folder of the compiler's code cache, kept across restarts; its keys include this
    /// machine's CPU features and LLVM version [default: none].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Never use a GPU, even when one is present.
    #[arg(long)]
    no_gpu: bool,

    /// Seconds between heartbeats to the scheduler (keep well under its
    /// --executor-timeout-s).
    #[arg(long, value_name = "S", default_value_t = 5)]
    heartbeat_interval_s: u64,
}

fn main() -> ExitCode {
    daemon::init_logging();
    daemon::exit_code("udf-executor", run(Args::parse()))
}

fn run(args: Args) -> Result<()> {
    let (scheduler_host, scheduler_port) = db_glue::cluster::scheduler_address(&args.scheduler)?;
    // Before any thread exists (see compiler/src/probe.rs).
    compiler::start_probe().context("cannot start the IR probe")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("executor")
        .build()
        .context("cannot start the tokio runtime")?;
    let options = ExecutorOptions {
        external_host: args.external_host.or_else(|| Some(args.bind.clone())),
        bind_host: args.bind,
        flight_port: args.flight_port,
        grpc_port: args.grpc_port,
        scheduler_host,
        scheduler_port,
        concurrent_tasks: args.concurrent_tasks,
        work_dir: args.work_dir,
        compiler: CompilerOptions {
            cache_dir: args.cache_dir,
            ..CompilerOptions::default()
        },
        no_gpu: args.no_gpu,
        heartbeat_interval: std::time::Duration::from_secs(args.heartbeat_interval_s),
    };
    runtime
        .block_on(run_executor(options))
        .context("executor stopped")
}

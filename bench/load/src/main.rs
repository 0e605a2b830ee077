//! `udf-load`: a concurrent mixed load against a udf-server (see the library's docs).
//! Prints total operations, every error with its message, wall time, throughput and
//! p50/p99/max latency per operation kind; exits 1 if any operation failed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use udf_load::{Config, Journal};

#[derive(Parser)]
#[command(
    version,
    about = "Concurrent mixed load (functions, queries, loads, drops) against a udf-server"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 6274)]
    port: u16,
    #[arg(long, default_value = "admin")]
    user: String,
    /// Default: HeavyDB's default admin password, which udf-server accepts on loopback
    /// when none is configured.
    #[arg(
        long,
        env = "UDF_PASSWORD",
        default_value = "HyperInteractive",
        hide_env_values = true
    )]
    password: String,
    /// Concurrent clients (threads, one connection and session each).
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Operations per client.
    #[arg(long, default_value_t = 1000)]
    ops: usize,
    /// Chooses every client's operation sequence.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Start of every table and function name ([a-z][a-z0-9]*).
    #[arg(long, default_value = "load")]
    prefix: String,
    /// Client i logs in as `<user><i>` (same password): a runtime set per client instead
    /// of one shared set whose registrations take turns.
    #[arg(long)]
    user_per_client: bool,
    /// Stop each client at its first error.
    #[arg(long)]
    stop_on_error: bool,
    /// Record every effect sent and acknowledged (function + version, table + rows).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Also write the report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let config = Config {
        host: args.host,
        port: args.port,
        user: args.user,
        password: args.password,
        clients: args.clients,
        ops: args.ops,
        seed: args.seed,
        prefix: args.prefix,
        stop_on_error: args.stop_on_error,
        user_per_client: args.user_per_client,
    };
    let journal = args
        .journal
        .as_deref()
        .map(Journal::with_file)
        .transpose()?;
    let report = udf_load::run(&config, journal.as_ref())?;
    if let Some(journal) = &journal {
        journal.finish()?;
    }
    let text = report.render();
    print!("{text}");
    if let Some(out) = &args.out {
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

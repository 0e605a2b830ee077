//! `udf-server`: the daemon. Serves HeavyDB's Thrift protocol (port 6274) over an engine
//! whose SQL functions include user-defined ones compiled from LLVM IR, and, with
//! `--remotejit-port`, rbc's RemoteJIT protocol.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use db_glue::{Engine, EngineConfig};
use udf_server::config::{Config, Overrides};
use udf_server::daemon;
use udf_server::heavy::{HeavyService, version_string};
use udf_server::metrics::MetricsEndpoint;
use udf_server::remotejit::RemoteJit;
use udf_server::server::{Server, ServerLimits};
use udf_server::sessions::{SessionLimits, SessionStore};
use udf_thrift::HeavySyncProcessor;
use udf_thrift::input::InputLimits;
use udf_thrift::remotejit::RemoteJitService;

/// How long a stop waits for calls in flight.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Serve user-defined SQL functions (LLVM IR) over HeavyDB's Thrift protocol.
///
/// Settings come from built-in defaults, then --config FILE (TOML), then environment
/// variables, then flags. Logs go to standard error; RUST_LOG sets the level (default
/// info). SIGINT or SIGTERM stops the server gracefully: it stops accepting, finishes the
/// calls in flight and exits 0.
#[derive(Debug, Parser)]
#[command(name = "udf-server", version)]
struct Args {
    /// TOML settings file (see the README for its keys).
    #[arg(long, value_name = "FILE", env = "UDF_CONFIG")]
    config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1]. Binding beyond loopback requires a
    /// configured admin password.
    #[arg(long, value_name = "ADDR", env = "UDF_BIND")]
    bind: Option<String>,

    /// Port to listen on [default: 6274, HeavyDB's].
    #[arg(long, env = "UDF_PORT")]
    port: Option<u16>,

    /// Directory for the server's data [default: ./data].
    #[arg(long, value_name = "DIR", env = "UDF_DATA_DIR")]
    data_dir: Option<PathBuf>,

    /// Most simultaneous connections; more are answered with an error [default: 256].
    #[arg(long, value_name = "N", env = "UDF_MAX_CONNECTIONS")]
    max_connections: Option<usize>,

    /// Most live sessions in all; a connect beyond is refused [default: 1024].
    #[arg(long, value_name = "N", env = "UDF_MAX_SESSIONS")]
    max_sessions: Option<usize>,

    /// Most live sessions of one user [default: 64].
    #[arg(long, value_name = "N", env = "UDF_MAX_SESSIONS_PER_USER")]
    max_sessions_per_user: Option<usize>,

    /// How long a statement may run before it is stopped; 0 = no limit [default: 0].
    /// Sessions change their own with `SET statement_timeout = …`.
    #[arg(long, value_name = "MS", env = "UDF_STATEMENT_TIMEOUT_MS")]
    statement_timeout_ms: Option<u64>,

    /// Memory each statement may use (its own pool); 0 = unlimited [default: 4096].
    #[arg(long, value_name = "MIB", env = "UDF_QUERY_MEMORY_MB")]
    query_memory_mb: Option<usize>,

    /// Largest string or binary value one call may carry [default: 64].
    #[arg(long, value_name = "MIB", env = "UDF_MAX_STRING_MB")]
    max_string_mb: Option<u64>,

    /// Most elements of one list, set or map in a call [default: 16777216].
    #[arg(long, value_name = "N", env = "UDF_MAX_COLLECTION_LEN")]
    max_collection_len: Option<u64>,

    /// Never use a GPU, even when one is present.
    #[arg(long)]
    no_gpu: bool,

    /// Also serve rbc's RemoteJIT protocol (`rbc.RemoteJIT(host=..., port=PORT)`) on this
    /// port [default: off]. It has no authentication: keep it on loopback.
    #[arg(long, value_name = "PORT", env = "UDF_REMOTEJIT_PORT")]
    remotejit_port: Option<u16>,

    /// Address of the RemoteJIT listener [default: 127.0.0.1]. Anyone who can reach it
    /// can run native code on this machine.
    #[arg(long, value_name = "ADDR", env = "UDF_REMOTEJIT_BIND")]
    remotejit_bind: Option<String>,

    /// Serve Prometheus metrics at http://ADDR:PORT/metrics [default: off].
    #[arg(long, value_name = "PORT", env = "UDF_METRICS_PORT")]
    metrics_port: Option<u16>,

    /// Address of the metrics endpoint [default: 127.0.0.1].
    #[arg(long, value_name = "ADDR", env = "UDF_METRICS_BIND")]
    metrics_bind: Option<String>,

    /// Cluster mode: run queries on the Apache Ballista scheduler at
    /// ballista://HOST:PORT (started with `udf-scheduler`, executors with
    /// `udf-executor`) [default: off, the embedded engine runs them].
    #[arg(long, value_name = "URL", env = "UDF_CLUSTER")]
    cluster: Option<String>,
}

fn main() -> ExitCode {
    daemon::init_logging();
    daemon::exit_code("udf-server", run(Args::parse()))
}

fn run(args: Args) -> Result<()> {
    let overrides = Overrides {
        bind: args.bind,
        port: args.port,
        data_dir: args.data_dir,
        max_connections: args.max_connections,
        max_sessions: args.max_sessions,
        max_sessions_per_user: args.max_sessions_per_user,
        statement_timeout_ms: args.statement_timeout_ms,
        query_memory_mb: args.query_memory_mb,
        max_string_mb: args.max_string_mb,
        max_collection_len: args.max_collection_len,
        admin_password: std::env::var("UDF_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        no_gpu: args.no_gpu,
        remotejit_port: args.remotejit_port,
        remotejit_bind: args.remotejit_bind,
        metrics_port: args.metrics_port,
        metrics_bind: args.metrics_bind,
        cluster: args.cluster,
    };
    let config = Arc::new(Config::load(args.config.as_deref(), &overrides)?);
    if config.default_admin_password {
        tracing::warn!(
            "user `admin` has HeavyDB's public default password `HyperInteractive`; set \
             UDF_ADMIN_PASSWORD or users.admin.password before listening beyond loopback"
        );
    }
    // The process that test-reads client IR is forked now, while this one is small and
    // single-threaded (see compiler/src/probe.rs).
    compiler::start_probe().context("cannot start the IR probe")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("engine")
        .build()
        .context("cannot start the tokio runtime")?;
    let engine = Engine::new(EngineConfig {
        data_dir: Some(config.data_dir.clone()),
        no_gpu: !config.gpu,
        // Sessions start with this timeout and may SET their own; statements and direct
        // calls (`udf_call`) run with their session's.
        statement_timeout: config.statement_timeout,
        query_memory_mb: config.query_memory_mb,
        // Sessions run as their users: privileges apply.
        access_control: true,
        cluster: config.cluster.clone(),
        ..EngineConfig::default()
    })?;
    if let Some(cluster) = &config.cluster {
        tracing::info!(%cluster, "cluster mode: queries go to the Ballista scheduler");
    }
    let restored = engine.restore_summary();
    tracing::info!(
        data_dir = %config.data_dir.display(),
        tables = restored.tables,
        rows = restored.rows,
        views_and_external_tables = restored.definitions,
        functions = restored.functions,
        overloads = restored.overloads,
        users = restored.users,
        leftovers_removed = restored.garbage_removed,
        elapsed_ms = u64::try_from(restored.elapsed.as_millis()).unwrap_or(u64::MAX),
        "data directory restored"
    );
    for failure in &restored.unrestored {
        tracing::warn!(failure, "not restored; kept in the data directory");
    }
    match engine.gpu() {
        db_glue::GpuState::Present(device) => {
            let info = device.info();
            tracing::info!(gpu = info.name, compute_capability = ?info.compute_capability, "UDFs are also built for the GPU");
        }
        db_glue::GpuState::Absent(reason) => tracing::info!(%reason, "UDFs run on the CPU only"),
    }
    let sessions = Arc::new(
        SessionStore::with_limits(
            config.session_idle_timeout,
            SessionLimits {
                max_sessions: config.max_sessions,
                max_sessions_per_user: config.max_sessions_per_user,
                statement_timeout: config.statement_timeout,
            },
        )
        .with_max_lifetime(config.session_max_lifetime),
    );
    // RemoteJIT compiles with the engine's compiler: one cache, one IR policy.
    let compiler = Arc::clone(engine.compiler());
    // The configured users are written to the catalog first: logins check them there.
    let service = HeavyService::try_new(
        engine,
        Arc::clone(&sessions),
        Arc::clone(&config),
        runtime.handle().clone(),
    )
    .context("cannot store the configured users")?;
    let connections_refused = service.connections_refused();
    if let Some(port) = config.metrics_port {
        let addr = SocketAddr::new(config.metrics_bind, port);
        let endpoint = MetricsEndpoint::bind(addr)
            .with_context(|| format!("cannot listen for metrics on {addr}"))?;
        tracing::info!(address = %endpoint.local_addr()?, "metrics at /metrics");
        endpoint
            .spawn(service.metrics_renderer())
            .context("cannot start the metrics endpoint")?;
    }
    let limits = ServerLimits {
        max_connections: config.max_connections,
        call_timeout: config.call_timeout,
        input: InputLimits {
            max_message_bytes: config.max_message_bytes,
            max_string_bytes: config.max_string_bytes,
            max_collection_len: config.max_collection_len,
            ..InputLimits::default()
        },
    };
    // Both ports are bound before either serves, so a port in use fails the whole start.
    let remotejit = match config.remotejit_port {
        None => None,
        Some(port) => {
            let addr = SocketAddr::new(config.remotejit_bind, port);
            if !config.remotejit_bind.is_loopback() {
                tracing::warn!(
                    address = %addr,
                    "the RemoteJIT listener has no authentication: anyone who reaches it can \
                     run native code on this machine"
                );
            }
            let service = Arc::new(RemoteJitService::new(RemoteJit::new(compiler)));
            let server = Server::bind(addr, service, limits.clone())
                .with_context(|| format!("cannot listen for RemoteJIT on {addr}"))?
                .named("remotejit")
                .with_refusal_counter(Arc::clone(&connections_refused))
                // rbc sends one call per connection: one idle for longer than a call may
                // take to arrive is someone holding a thread.
                .with_idle_timeout(limits.call_timeout);
            Some(server)
        }
    };
    let addr = SocketAddr::new(config.bind, config.port);
    let server = Server::bind(addr, Arc::new(HeavySyncProcessor::new(service)), limits)
        .with_context(|| format!("cannot listen on {addr}"))?
        .with_refusal_counter(connections_refused)
        .with_housekeeping(move || {
            let expired = sessions.expire();
            if expired > 0 {
                tracing::info!(expired, "idle sessions expired");
            }
        });
    let remotejit = match remotejit {
        None => None,
        Some(rjit) => {
            tracing::info!(address = %rjit.local_addr()?, "rbc RemoteJIT listening");
            let stop = rjit.stop_handle()?;
            let thread = std::thread::Builder::new()
                .name("remotejit".into())
                .spawn(move || rjit.run(STOP_GRACE))
                .context("cannot start the RemoteJIT listener")?;
            Some((stop, thread))
        }
    };
    let stop = server.stop_handle()?;
    let remotejit_stop = remotejit.as_ref().map(|(stop, _)| stop.clone());
    runtime.spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot watch SIGTERM");
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
            _ = term.recv() => tracing::info!("SIGTERM received"),
        }
        stop.stop();
        if let Some(stop) = remotejit_stop {
            stop.stop();
        }
    });
    tracing::info!(
        address = %server.local_addr()?,
        version = version_string(),
        data_dir = %config.data_dir.display(),
        max_connections = config.max_connections,
        "udf-server listening"
    );
    server.run(STOP_GRACE)?;
    if let Some((stop, thread)) = remotejit {
        stop.stop();
        match thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the RemoteJIT listener failed"),
            Err(_) => tracing::error!("the RemoteJIT listener panicked"),
        }
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    tracing::info!("udf-server stopped");
    Ok(())
}

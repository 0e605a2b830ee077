//! Cluster mode: queries run on an Apache Ballista cluster, with IR functions shipped in
//! their plans.
//!
//! Three processes take part. udf-server keeps sessions, the Thrift API and the catalog;
//! its engine's query planner ([`ClusterPlanner`]) sends each query that reads only
//! tables the executors can read to the Ballista scheduler, and plans the rest here.
//! `udf-scheduler` ([`run_scheduler`]) and `udf-executor` ([`run_executor`]) are
//! Ballista's scheduler and executor with our plan codecs ([`codec`]), so that IR calls
//! travel with their code and are compiled where they run.
//!
//! What executors can read: external tables (`CREATE EXTERNAL TABLE … LOCATION`, a
//! `ListingTable`: Parquet, CSV, … at a path every executor sees) and tables the engine
//! stores, whose Arrow segment files in the data directory are shipped as a listing of
//! exactly the files the table has when the query is planned. Table functions, system
//! tables and tables of an engine without a data directory stay in udf-server.

pub mod codec;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use ballista_core::config::BallistaConfig;
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::extension::SessionConfigExt;
use ballista_core::planner::BallistaQueryPlanner;
use ballista_core::serde::protobuf::CancelJobParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use datafusion::catalog::Session;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::datasource::file_format::arrow::ArrowFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{LogicalPlan, TableScan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::LogicalPlanNode;

pub(crate) use codec::content_hash;
pub use codec::{IrLogicalCodec, IrPhysicalCodec, ShippedCode, ShippedCodeStats};

use crate::device::UdfOptions;
use crate::error::{Error, Result};
use crate::stored_table::StoredTable;

/// Where queries go, the `udf.cluster` setting (cluster mode only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterPreference {
    /// Every query the executors can run goes to the cluster; the rest runs here.
    Auto,
    /// Every query goes to the cluster, or fails saying why it cannot.
    On,
    /// Everything runs here.
    Off,
}

impl std::str::FromStr for ClusterPreference {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ClusterPreference::Auto),
            "on" => Ok(ClusterPreference::On),
            "off" => Ok(ClusterPreference::Off),
            other => Err(Error::InvalidSetting(format!(
                "udf.cluster must be 'auto', 'on' or 'off', not '{other}'"
            ))),
        }
    }
}

impl std::fmt::Display for ClusterPreference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClusterPreference::Auto => "auto",
            ClusterPreference::On => "on",
            ClusterPreference::Off => "off",
        })
    }
}

/// The value of `SET udf.cluster = …` (also `udf_cluster`, HeavyDB-style), if `sql` is
/// that statement.
pub fn parse_set_cluster(sql: &str) -> Option<Result<ClusterPreference>> {
    Some(crate::device::set_value(sql, &["udf.cluster", "udf_cluster"])?.parse())
}

/// The scheduler's host and port from `ballista://HOST:PORT` (also `df://`, `http://`).
pub fn scheduler_address(address: &str) -> Result<(String, u16)> {
    let expected = || {
        Error::InvalidSetting(format!(
            "cluster address `{address}`: expected ballista://HOST:PORT"
        ))
    };
    let rest = ["ballista://", "df://", "http://"]
        .iter()
        .find_map(|scheme| address.strip_prefix(scheme))
        .ok_or_else(expected)?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .ok_or_else(|| Error::InvalidSetting(format!("cluster address `{address}`: no port")))?;
    match port.parse::<u16>() {
        Ok(port) if !host.is_empty() => Ok((host.to_string(), port)),
        _ => Err(expected()),
    }
}

/// The scheduler's gRPC URL, as Ballista's client wants it.
pub fn scheduler_url(address: &str) -> Result<String> {
    let (host, port) = scheduler_address(address)?;
    Ok(format!("http://{host}:{port}"))
}

/// Queries sent to the cluster and planned here, since the engine started.
#[derive(Debug, Default)]
pub struct ClusterCounters {
    shipped: AtomicU64,
    local: AtomicU64,
}

/// What [`crate::Engine::cluster_status`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterStatus {
    /// The scheduler's address.
    pub scheduler: String,
    pub shipped: u64,
    pub local: u64,
}

/// The engine's query planner in cluster mode: Ballista's for queries the executors can
/// run, `local` for the rest.
pub(crate) struct ClusterPlanner {
    pub(crate) scheduler: String,
    local: Arc<dyn QueryPlanner + Send + Sync>,
    remote: BallistaQueryPlanner<LogicalPlanNode>,
    pub(crate) counters: Arc<ClusterCounters>,
}

impl std::fmt::Debug for ClusterPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterPlanner")
            .field("scheduler", &self.scheduler)
            .finish_non_exhaustive()
    }
}

impl ClusterPlanner {
    pub(crate) fn new(
        scheduler: String,
        local: Arc<dyn QueryPlanner + Send + Sync>,
        counters: Arc<ClusterCounters>,
    ) -> Self {
        let codec = Arc::new(IrLogicalCodec::new(
            Arc::new(BallistaLogicalExtensionCodec::default()),
            None,
        ));
        let remote = BallistaQueryPlanner::with_extension(
            scheduler.clone(),
            BallistaConfig::default(),
            codec,
        );
        ClusterPlanner {
            scheduler,
            local,
            remote,
            counters,
        }
    }
}

impl ClusterPlanner {
    pub(crate) fn status(&self) -> ClusterStatus {
        ClusterStatus {
            scheduler: self.scheduler.clone(),
            shipped: self.counters.shipped.load(Ordering::Relaxed),
            local: self.counters.local.load(Ordering::Relaxed),
        }
    }
}

/// Cancels a plan's Ballista job when dropped armed: a statement stopped (timeout,
/// `interrupt`, a killed session) or failed while its job runs would otherwise leave the
/// job running on the executors to its end.
pub(crate) struct JobCancel {
    plan: Arc<dyn ExecutionPlan>,
    scheduler: String,
    armed: bool,
}

impl JobCancel {
    /// `None` unless `plan` is a query sent to the cluster.
    pub(crate) fn watch(plan: &Arc<dyn ExecutionPlan>, scheduler: &str) -> Option<JobCancel> {
        plan.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>()?;
        Some(JobCancel {
            plan: Arc::clone(plan),
            scheduler: scheduler.to_string(),
            armed: true,
        })
    }

    /// The job ended and its results were read: nothing to cancel.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for JobCancel {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let job = self
            .plan
            .downcast_ref::<DistributedQueryExec<LogicalPlanNode>>()
            .and_then(|exec| exec.job_id());
        let runtime = tokio::runtime::Handle::try_current();
        let (Some(job), Ok(runtime)) = (job, runtime) else {
            return;
        };
        let scheduler = self.scheduler.clone();
        let job_id = job.as_str().to_owned();
        runtime.spawn(async move {
            let cancelled = async {
                let mut client = SchedulerGrpcClient::connect(scheduler).await?;
                client
                    .cancel_job(CancelJobParams {
                        job_id: job_id.clone(),
                    })
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            };
            match cancelled.await {
                Ok(()) => tracing::info!(%job_id, "cancelled the job of a stopped statement"),
                Err(e) => tracing::warn!(%job_id, error = %e, "cannot cancel the job of a stopped statement"),
            }
        });
    }
}

/// The session config of an engine in cluster mode: Ballista's settings (which the
/// scheduler enforces anyway) on every query, local or not, so both plan alike.
/// Job tracking is Ballista's pull mode: the client learns a job's id as soon as it is
/// submitted, so a stopped statement can cancel it ([`JobCancel`]); in push mode the id
/// arrives with the first status change, which can be the job's end.
pub(crate) fn cluster_session_config(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .set_bool(ballista_core::config::BALLISTA_CLIENT_PULL, true)
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        state: &dyn Session,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let preference = state
            .config_options()
            .extensions
            .get::<UdfOptions>()
            .map(|o| o.cluster.parse::<ClusterPreference>())
            .transpose()?
            .unwrap_or(ClusterPreference::Auto);
        if preference != ClusterPreference::Off {
            match shippable(plan) {
                Ok(Some(shipped)) => {
                    self.counters.shipped.fetch_add(1, Ordering::Relaxed);
                    return self.remote.create_physical_plan(&shipped, state).await;
                }
                Ok(None) => {}
                Err(reason) if preference == ClusterPreference::On => {
                    return Err(DataFusionError::Plan(format!(
                        "this query cannot run on the cluster: {reason} \
                         (SET udf.cluster = 'auto' runs such queries in udf-server)"
                    )));
                }
                Err(reason) => tracing::debug!(%reason, "query planned locally"),
            }
        }
        self.counters.local.fetch_add(1, Ordering::Relaxed);
        self.local.create_physical_plan(plan, state).await
    }
}

/// `plan` as executors can run it (stored tables as listings of their segment files),
/// `Ok(None)` when there is nothing to distribute (no table scan: constants, `SHOW`, …),
/// or why it cannot go.
fn shippable(plan: &LogicalPlan) -> std::result::Result<Option<LogicalPlan>, String> {
    match plan {
        LogicalPlan::Dml(_)
        | LogicalPlan::Ddl(_)
        | LogicalPlan::Copy(_)
        | LogicalPlan::Statement(_)
        | LogicalPlan::DescribeTable(_)
        | LogicalPlan::Explain(_)
        | LogicalPlan::Analyze(_) => return Ok(None),
        _ => {}
    }
    let mut scans = 0usize;
    let rewritten = plan
        .clone()
        .transform_up_with_subqueries(|node| match node {
            LogicalPlan::TableScan(scan) => {
                scans += 1;
                ship_scan(scan).map_err(DataFusionError::Plan)
            }
            LogicalPlan::Extension(extension) => Err(DataFusionError::Plan(format!(
                "`{}` runs in udf-server only (table functions are not distributed)",
                extension.node.name()
            ))),
            other => Ok(Transformed::no(other)),
        })
        .map_err(|e| match e {
            DataFusionError::Plan(reason) => reason,
            other => other.to_string(),
        })?;
    Ok((scans > 0).then_some(rewritten.data))
}

fn ship_scan(mut scan: TableScan) -> std::result::Result<Transformed<LogicalPlan>, String> {
    let provider = source_as_provider(&scan.source).map_err(|e| e.to_string())?;
    if provider.downcast_ref::<ListingTable>().is_some() {
        return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
    }
    let Some(stored) = provider.downcast_ref::<StoredTable>() else {
        return Err(format!(
            "`{}` lives in udf-server only (executors read stored and external tables)",
            scan.table_name
        ));
    };
    let files = stored.segment_paths().ok_or_else(|| {
        format!(
            "`{}` is kept in memory only (start udf-server with a data directory the \
             executors can read)",
            scan.table_name
        )
    })?;
    if files.is_empty() {
        return Err(format!("`{}` has no rows to distribute", scan.table_name));
    }
    let listing = segment_listing(&files, stored.schema_ref()).map_err(|e| e.to_string())?;
    scan.source = provider_as_source(Arc::new(listing));
    Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
}

/// A listing of exactly `files` (Arrow IPC files), read with `schema`.
fn segment_listing(
    files: &[PathBuf],
    schema: datafusion::arrow::datatypes::SchemaRef,
) -> DfResult<ListingTable> {
    let urls = files
        .iter()
        .map(|f| ListingTableUrl::parse(f.to_string_lossy()))
        .collect::<DfResult<Vec<_>>>()?;
    let options = ListingOptions::new(Arc::new(ArrowFormat)).with_file_extension(".arrow");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    ListingTable::try_new(config)
}

/// The session config of a cluster process: Ballista's, plus our `udf.*` settings so the
/// ones a client sends are understood.
fn process_session_config() -> SessionConfig {
    SessionConfig::new_with_ballista().with_option_extension(UdfOptions::default())
}

/// How to run `udf-scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub bind: SocketAddr,
    /// The host executors and clients reach it by.
    pub external_host: String,
    /// Spread each stage's tasks one per executor in turn (`true`), or fill one
    /// executor's task slots before the next (Ballista's default, fewer transfers).
    pub round_robin: bool,
    /// An executor silent (no heartbeat) this long is dead: its running tasks run again
    /// elsewhere, and so do the stages whose shuffle output it held.
    pub executor_timeout: std::time::Duration,
    pub compiler: compiler::CompilerOptions,
}

/// Runs a Ballista scheduler that understands shipped IR calls until it fails. It
/// compiles each new function once (CPU only) to plan it, so bad IR is refused before
/// any task starts.
pub async fn run_scheduler(options: SchedulerOptions) -> Result<()> {
    let code = Arc::new(ShippedCode::new(options.compiler, false)?);
    let mut config = SchedulerConfig::default()
        .with_hostname(options.external_host)
        .with_port(options.bind.port())
        .with_override_config_producer(Arc::new(process_session_config));
    config.bind_host = options.bind.ip().to_string();
    config.executor_timeout_seconds = options.executor_timeout.as_secs().max(2);
    // Dead executors are looked for this often; keep it under the timeout.
    config.expire_dead_executor_interval_seconds =
        (config.executor_timeout_seconds / 3).clamp(1, 15);
    config.no_executors_grace_period_seconds = config.executor_timeout_seconds;
    config.task_distribution = if options.round_robin {
        TaskDistributionPolicy::RoundRobin
    } else {
        TaskDistributionPolicy::Bias
    };
    config.override_logical_codec = Some(Arc::new(IrLogicalCodec::new(
        Arc::new(BallistaLogicalExtensionCodec::default()),
        Some(Arc::clone(&code)),
    )));
    config.override_physical_codec = Some(Arc::new(IrPhysicalCodec::new(
        Arc::new(BallistaPhysicalExtensionCodec::default()),
        code,
    )));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| Error::Cluster(e.to_string()))?;
    ballista_scheduler::scheduler_process::start_server(cluster, options.bind, Arc::new(config))
        .await
        .map_err(|e| Error::Cluster(e.to_string()))
}

/// How to run `udf-executor`.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub bind_host: String,
    /// The host the scheduler and other executors reach it by.
    pub external_host: Option<String>,
    /// Arrow Flight (shuffle and results) port.
    pub flight_port: u16,
    /// gRPC port for the scheduler's calls.
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Tasks run at once; `None`: the CPU count.
    pub concurrent_tasks: Option<usize>,
    /// Shuffle files; `None`: a temporary directory.
    pub work_dir: Option<PathBuf>,
    pub compiler: compiler::CompilerOptions,
    /// Never use a GPU, even when one is present.
    pub no_gpu: bool,
    /// How often it tells the scheduler it is alive (keep well under the scheduler's
    /// executor timeout).
    pub heartbeat_interval: std::time::Duration,
}

/// Runs a Ballista executor that compiles shipped IR calls (CPU, and GPU when it has
/// one), until it is stopped.
pub async fn run_executor(options: ExecutorOptions) -> Result<()> {
    let code = Arc::new(ShippedCode::new(options.compiler, !options.no_gpu)?);
    if let crate::device::GpuState::Absent(reason) = code.gpu() {
        tracing::info!(%reason, "shipped functions run on the CPU");
    }
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host,
        external_host: options.external_host,
        port: options.flight_port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        vcores: options.concurrent_tasks.unwrap_or(defaults.vcores).max(1),
        work_dir: options.work_dir.map(|d| d.to_string_lossy().into_owned()),
        executor_heartbeat_interval_seconds: options.heartbeat_interval.as_secs().max(1),
        override_config_producer: Some(Arc::new(process_session_config)),
        override_logical_codec: Some(Arc::new(IrLogicalCodec::new(
            Arc::new(BallistaLogicalExtensionCodec::default()),
            Some(Arc::clone(&code)),
        ))),
        override_physical_codec: Some(Arc::new(IrPhysicalCodec::new(
            Arc::new(BallistaPhysicalExtensionCodec::default()),
            code,
        ))),
        ..defaults
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| Error::Cluster(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses() {
        assert_eq!(
            scheduler_url("ballista://127.0.0.1:50050").unwrap(),
            "http://127.0.0.1:50050"
        );
        assert_eq!(scheduler_url("df://h:1/").unwrap(), "http://h:1");
        for bad in [
            "127.0.0.1:50050",
            "ballista://host",
            "ballista://:1",
            "ballista://h:x",
        ] {
            let e = scheduler_url(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn preferences() {
        assert_eq!(
            "ON".parse::<ClusterPreference>().unwrap(),
            ClusterPreference::On
        );
        let e = "maybe"
            .parse::<ClusterPreference>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("'auto', 'on' or 'off'"), "{e}");
    }
}

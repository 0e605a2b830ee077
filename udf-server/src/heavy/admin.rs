//! udf-server's operator methods (`udf_server_status`, `udf_list_sessions`,
//! `udf_kill_session`, `udf_list_tables`, `udf_function_details`, `udf_cache_*`,
//! `udf_metrics`): what `udf-admin` shows, and the Prometheus exposition.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::UNIX_EPOCH;

use udf_thrift::*;

use super::{HeavyService, millis, version_string};
use crate::error::{Error, Result};
use crate::metrics::{self, Gauges};
use crate::sessions::{Session, SessionStore};

fn unix_millis(time: std::time::SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn count(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

impl HeavyService {
    /// The session, if it is a superuser's; `method` names what was refused.
    pub(super) fn superuser(&self, session: &str, method: &'static str) -> Result<Session> {
        let caller = self.session(session)?;
        if !caller.superuser {
            return Err(Error::NeedsSuperuser(method));
        }
        Ok(caller)
    }

    fn devices(&self) -> Vec<String> {
        let host = self.engine.compiler().host_target();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut devices = vec![format!(
            "cpu: {} ({}, {cpus} threads)",
            host.cpu, host.triple
        )];
        devices.push(match self.engine.gpu() {
            db_glue::GpuState::Present(device) => {
                let info = device.info();
                let (major, minor) = info.compute_capability;
                format!("gpu 0: {} (compute capability {major}.{minor})", info.name)
            }
            db_glue::GpuState::Absent(reason) => format!("gpu: none ({reason})"),
        });
        devices
    }

    pub(super) fn udf_server_status(&self) -> Result<TUdfServerStatus> {
        let gauges = gauges(&self.engine, &self.sessions);
        let compiler = self.engine.compiler();
        let host = compiler.host_target();
        let tables = self.runtime.block_on(self.engine.table_stats());
        Ok(TUdfServerStatus {
            version: Some(version_string()),
            started_at_ms: Some(unix_millis(self.started)),
            uptime_ms: Some(millis(self.metrics.uptime())),
            llvm_version: Some(compiler.llvm_version().to_string()),
            host_triple: Some(host.triple.clone()),
            host_cpu: Some(host.cpu.clone()),
            devices: Some(self.devices()),
            sessions: Some(count(gauges.sessions) as i32),
            functions: Some(count(gauges.functions) as i32),
            overloads: Some(count(gauges.overloads) as i32),
            tables: Some(count(gauges.tables) as i32),
            table_rows: Some(count(tables.iter().map(|t| t.rows).sum::<u64>())),
            table_bytes: Some(count(tables.iter().map(|t| t.bytes).sum::<u64>())),
            memory_rss_bytes: Some(gauges.resident_bytes.map_or(-1, count)),
            data_dir: Some(self.config.data_dir.display().to_string()),
            code_cache_dir: Some(
                compiler
                    .cache_dir()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
        })
    }

    pub(super) fn udf_list_sessions(&self, own_id: &str, caller: &Session) -> Vec<TUdfSessionInfo> {
        self.sessions
            .list()
            .into_iter()
            .filter(|(id, s, _)| caller.superuser || id == own_id || s.user == caller.user)
            .map(|(id, s, idle)| {
                let current = id == own_id;
                TUdfSessionInfo {
                    // A whole id is a credential: only its owner sees it.
                    id: Some(if current {
                        id
                    } else {
                        id[..8.min(id.len())].to_string()
                    }),
                    user: Some(s.user),
                    database: Some(s.database),
                    started_at_ms: Some(unix_millis(s.started)),
                    idle_ms: Some(millis(idle)),
                    execution_mode: Some(s.mode.to_string()),
                    current: Some(current),
                }
            })
            .collect()
    }

    pub(super) fn udf_kill_session(&self, id: &str) -> Result<()> {
        let killed = self
            .sessions
            .kill(id)
            .map_err(|reason| Error::KillSession {
                id: id.to_string(),
                reason,
            })?;
        // `kill` has cancelled them: they fail with "statement cancelled" at once (UDF
        // kernels at their next loop back edge).
        tracing::info!(
            user = killed.user,
            statements_cancelled = killed.running_statements(),
            "session ended by an administrator"
        );
        Ok(())
    }

    pub(super) fn udf_list_tables(&self) -> Result<Vec<TUdfTableInfo>> {
        Ok(self
            .runtime
            .block_on(self.engine.table_stats())
            .into_iter()
            .map(|t| TUdfTableInfo {
                name: Some(t.name),
                columns: Some(t.columns),
                rows: Some(count(t.rows)),
                bytes: Some(count(t.bytes)),
                batches: Some(count(t.batches) as i32),
            })
            .collect())
    }

    pub(super) fn udf_function_details(
        &self,
        name: &str,
        texts: &[String],
    ) -> Result<Vec<TUdfKernelDetails>> {
        let mut wanted = db_glue::DetailTexts::default();
        for text in texts {
            // `opt-ir` as the command line spells it.
            if !wanted.add(&text.replace('-', "_")) {
                return Err(Error::InvalidArgument(format!(
                    "unknown text `{text}`: ask for any of {}",
                    db_glue::DetailTexts::KINDS.join(", ")
                )));
            }
        }
        let name = name.trim();
        let details = self
            .engine
            .function_details((!name.is_empty()).then_some(name), wanted)
            .map_err(Error::Call)?;
        Ok(details.into_iter().map(kernel_details).collect())
    }

    pub(super) fn udf_cache_stats(&self) -> TUdfCacheStats {
        cache_stats(self.engine.compiler())
    }

    pub(super) fn udf_cache_clear(&self) -> Result<TUdfCacheStats> {
        let cleared = self
            .engine
            .compiler()
            .clear_cache()
            .map_err(|e| Error::Internal(format!("clearing the code cache: {e}")))?;
        tracing::info!(?cleared, "code cache cleared");
        Ok(self.udf_cache_stats())
    }

    /// The whole Prometheus exposition: the daemon's counters and the compiler's.
    pub fn render_metrics(&self) -> String {
        self.metrics_renderer()()
    }

    /// What the metrics endpoint calls for each scrape (it outlives no part of it).
    pub fn metrics_renderer(&self) -> impl Fn() -> String + Send + 'static {
        let engine = self.engine.clone();
        let sessions = Arc::clone(&self.sessions);
        let metrics = Arc::clone(&self.metrics);
        let connections_refused = Arc::clone(&self.connections_refused);
        let sessions_refused = Arc::clone(&self.sessions_refused);
        move || {
            let mut out = String::with_capacity(4096);
            metrics.render(&gauges(&engine, &sessions), &mut out);
            metrics::sample(
                &mut out,
                "udf_connections_refused_total",
                "counter",
                "Connections refused at max_connections.",
                connections_refused.load(Ordering::Relaxed),
            );
            metrics::sample(
                &mut out,
                "udf_sessions_refused_total",
                "counter",
                "Connects refused at max_sessions or max_sessions_per_user.",
                sessions_refused.load(Ordering::Relaxed),
            );
            compiler_metrics(engine.compiler(), &mut out);
            out
        }
    }
}

fn gauges(engine: &db_glue::Engine, sessions: &SessionStore) -> Gauges {
    let functions = engine.functions();
    let tables = engine.table_functions();
    let names: BTreeSet<&str> = functions
        .iter()
        .map(|f| f.name.as_str())
        .chain(tables.iter().map(|f| f.name.as_str()))
        .collect();
    Gauges {
        sessions: sessions.len(),
        functions: names.len(),
        overloads: functions.len() + tables.len(),
        tables: engine.table_names().len(),
        resident_bytes: metrics::resident_bytes(),
        cluster_queries: engine.cluster_status().map(|c| (c.shipped, c.local)),
    }
}

fn kernel_details(d: db_glue::FunctionDetails) -> TUdfKernelDetails {
    let text = |t: Option<String>| Some(t.unwrap_or_default());
    TUdfKernelDetails {
        name: Some(d.name),
        signature: Some(d.signature),
        symbol: Some(d.symbol),
        target: Some(d.target),
        target_name: Some(d.target_name),
        origin: Some(d.origin),
        owner: Some(d.owner),
        created_at_ms: Some(unix_millis(d.created_at)),
        instructions: Some(count(d.instructions)),
        basic_blocks: Some(count(d.basic_blocks)),
        vector_width: Some(d.vector_width.map_or(0, |w| w as i32)),
        interleave: Some(d.interleave.map_or(0, |w| w as i32)),
        phase_us: Some(
            d.phases
                .into_iter()
                .map(|(phase, time)| (phase.to_string(), count(time.as_micros())))
                .collect(),
        ),
        code_source: Some(d.code_source),
        cache_hits: Some(count(d.cache_hits)),
        invocations: Some(count(d.invocations)),
        rows: Some(count(d.rows)),
        ir: text(d.ir),
        optimized_ir: text(d.optimized_ir),
        assembly: text(d.assembly),
        ptx: text(d.ptx),
        note: Some(d.note.unwrap_or_default()),
    }
}

fn cache_stats(compiler: &compiler::Compiler) -> TUdfCacheStats {
    let s = compiler.stats();
    TUdfCacheStats {
        cache_dir: Some(
            compiler
                .cache_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        compiles: Some(count(s.compiles)),
        ptx_compiles: Some(count(s.ptx_compiles)),
        memory_hits: Some(count(s.memory_hits)),
        disk_hits: Some(count(s.disk_hits)),
        disk_misses: Some(count(s.disk_misses)),
        disk_rejected_foreign: Some(count(s.disk_rejected_foreign)),
        disk_corrupt: Some(count(s.disk_corrupt)),
        disk_writes: Some(count(s.disk_writes)),
        disk_entries: Some(count(s.disk_entries)),
        disk_bytes: Some(count(s.disk_bytes)),
        memory_entries: Some(count(s.memory_entries)),
    }
}

/// The compiler's counters in the exposition format.
fn compiler_metrics(compiler: &compiler::Compiler, out: &mut String) {
    use std::fmt::Write as _;
    let s = compiler.stats();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        "udf_compiles_total",
        "LLVM compiles of CPU code (cache misses).",
        s.compiles,
    );
    counter(
        "udf_ptx_compiles_total",
        "LLVM compiles of PTX.",
        s.ptx_compiles,
    );
    counter(
        "udf_code_cache_memory_hits_total",
        "Compiles answered by code still loaded.",
        s.memory_hits,
    );
    counter(
        "udf_code_cache_disk_hits_total",
        "Compiles answered by the persistent code cache.",
        s.disk_hits,
    );
    counter(
        "udf_code_cache_disk_misses_total",
        "Persistent code cache lookups that found nothing usable.",
        s.disk_misses,
    );
    counter(
        "udf_code_cache_corrupt_total",
        "Persistent cache entries found corrupt and rebuilt.",
        s.disk_corrupt,
    );
    counter(
        "udf_code_cache_foreign_total",
        "Persistent cache entries for another CPU or LLVM version, ignored.",
        s.disk_rejected_foreign,
    );
    let _ = writeln!(
        out,
        "# HELP udf_compile_duration_seconds Time of LLVM compiles (CPU and PTX).\n\
         # TYPE udf_compile_duration_seconds histogram"
    );
    let h = &s.compile_seconds;
    metrics::render_histogram_with(
        out,
        "udf_compile_duration_seconds",
        &h.bounds,
        &h.cumulative,
        h.sum_seconds,
    );
}

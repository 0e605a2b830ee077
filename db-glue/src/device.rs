//! Where UDFs run: the CPU kernel, or the same function built for a CUDA device.
//!
//! The choice is a setting, `udf.device` (`SET udf.device = 'gpu'`, `SET udf_device = …`
//! for HeavyDB habits, or per statement from a server session):
//! - `cpu`: always the CPU kernel.
//! - `gpu`: the GPU build, or an error saying why there is none — never a silent CPU
//!   fallback.
//! - `auto` (the default): the GPU when the function has a GPU build, a device is present
//!   and the batch has at least `udf.gpu_min_rows` rows (below that the copies cost more
//!   than the CPU kernel), else the CPU.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use compiler::{Compiler, FunctionSpec, PtxRequest};
use datafusion::common::config::ConfigExtension;
use datafusion::common::extensions_options;

use crate::error::{Error, Result};
use crate::introspect::CodeInfo;

extensions_options! {
    /// Session settings of udf-server's functions (`SET udf.<name> = …`).
    pub struct UdfOptions {
        /// `cpu`, `gpu` or `auto`.
        pub device: String, default = "auto".to_string()
        /// Fewest rows in a batch for `auto` to choose the GPU.
        pub gpu_min_rows: usize, default = 1_000_000
        /// In cluster mode: `auto`, `on` or `off` (see `cluster::ClusterPreference`).
        pub cluster: String, default = "auto".to_string()
    }
}

impl ConfigExtension for UdfOptions {
    const PREFIX: &'static str = "udf";
}

/// A device preference, as `udf.device` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicePreference {
    Cpu,
    Gpu,
    Auto,
}

impl FromStr for DevicePreference {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(DevicePreference::Cpu),
            "gpu" => Ok(DevicePreference::Gpu),
            "auto" => Ok(DevicePreference::Auto),
            other => Err(Error::InvalidSetting(format!(
                "udf.device must be 'cpu', 'gpu' or 'auto', not '{other}'"
            ))),
        }
    }
}

impl std::fmt::Display for DevicePreference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DevicePreference::Cpu => "cpu",
            DevicePreference::Gpu => "gpu",
            DevicePreference::Auto => "auto",
        })
    }
}

/// The engine's CUDA device, or why it has none.
#[derive(Debug, Clone)]
pub enum GpuState {
    Present(Arc<gpu::Gpu>),
    Absent(String),
}

impl GpuState {
    /// Opens device 0 when asked to; never panics.
    pub(crate) fn open(enabled: bool) -> GpuState {
        if !enabled {
            return GpuState::Absent("GPU use is turned off in the engine's configuration".into());
        }
        match gpu::Gpu::open(0) {
            Ok(device) => GpuState::Present(Arc::new(device)),
            Err(e) => {
                tracing::info!(reason = %e, "no GPU: UDFs run on the CPU");
                GpuState::Absent(e.to_string())
            }
        }
    }

    pub fn device(&self) -> Option<&Arc<gpu::Gpu>> {
        match self {
            GpuState::Present(g) => Some(g),
            GpuState::Absent(_) => None,
        }
    }
}

/// A function's build for a CUDA device.
#[derive(Debug, Clone)]
pub struct GpuBuild {
    pub device: Arc<gpu::Gpu>,
    pub kernel: gpu::GpuKernel,
    /// Name of the `.entry` in the PTX.
    pub entry: String,
    /// `nvptx64-nvidia-cuda sm_90`: what the PTX was generated for.
    pub target: String,
    /// The module's PTX (shared by the overloads it holds), for introspection.
    pub ptx: Arc<str>,
    pub code: CodeInfo,
}

/// Why a function has no GPU build (shown when `udf.device = 'gpu'` asks for one).
pub type GpuBuildResult = std::result::Result<GpuBuild, String>;

/// Builds `specs` from `ir` for the engine's device: one result per spec, in order. With
/// no device every result is the reason.
pub(crate) fn build_for_gpu(
    state: &GpuState,
    compiler: &Compiler,
    ir: &[u8],
    specs: &[FunctionSpec],
) -> Vec<GpuBuildResult> {
    let device = match state {
        GpuState::Present(d) => d,
        GpuState::Absent(reason) => return vec![Err(format!("no GPU: {reason}")); specs.len()],
    };
    // A function returning an array or text allocates its result through a runtime
    // function of the CPU: it has no GPU build, and must not cost the others theirs.
    if specs.iter().any(|s| s.signature.ret.is_buffer()) {
        let buildable: Vec<FunctionSpec> = specs
            .iter()
            .filter(|s| !s.signature.ret.is_buffer())
            .cloned()
            .collect();
        let mut built = if buildable.is_empty() {
            Vec::new()
        } else {
            build_for_gpu(state, compiler, ir, &buildable)
        }
        .into_iter();
        return specs
            .iter()
            .map(|s| {
                if s.signature.ret.is_buffer() {
                    Err(format!(
                        "`{}` returns {}, which runs on the CPU only (its result is allocated \
                         with allocate_varlen_buffer, a runtime function of the CPU)",
                        s.symbol, s.signature.ret
                    ))
                } else {
                    built
                        .next()
                        .unwrap_or_else(|| Err("not built for the GPU".into()))
                }
            })
            .collect();
    }
    let (major, minor) = device.info().compute_capability;
    let device_capability = (major * 10 + minor) as u32;
    let built = compiler
        .gpu_target_info()
        .map_err(|e| format!("cannot build for the GPU: {e}"))
        .and_then(|target| {
            target.capability_for(device_capability).ok_or_else(|| {
                format!("LLVM knows no GPU architecture as old as sm_{device_capability}")
            })
        })
        .and_then(|capability| {
            compiler
                .compile_ptx(PtxRequest {
                    ir,
                    functions: specs,
                    compute_capability: capability,
                })
                .map_err(|e| format!("cannot build for the GPU: {e}"))
        })
        .and_then(|output| {
            let mut hasher = DefaultHasher::new();
            output.ptx.hash(&mut hasher);
            let key = format!("{:016x}", hasher.finish());
            let module = device
                .load(&key, &output.ptx)
                .map_err(|e| format!("cannot load the GPU build: {e}"))?;
            Ok((module, output))
        });
    match built {
        Ok((module, output)) => {
            let ptx: Arc<str> = output.ptx.as_str().into();
            let target = format!("{} {}", output.target.triple, output.target.cpu);
            let entries = &output.kernels;
            specs
                .iter()
                .enumerate()
                .map(|(i, spec)| {
                    let entry = entries
                        .get(i)
                        .ok_or_else(|| format!("no GPU kernel for `{}`", spec.symbol))?;
                    let kernel = module.kernel(entry).map_err(|e| {
                        format!("cannot find the GPU kernel of `{}`: {e}", spec.symbol)
                    })?;
                    Ok(GpuBuild {
                        device: Arc::clone(device),
                        kernel,
                        entry: entry.clone(),
                        target: target.clone(),
                        ptx: Arc::clone(&ptx),
                        code: CodeInfo::new(output.source, &output.stats, &spec.symbol),
                    })
                })
                .collect()
        }
        Err(reason) => {
            tracing::warn!(%reason, "functions registered for the CPU only");
            vec![Err(reason); specs.len()]
        }
    }
}

/// How many batches, and rows, each device ran for one overload (what `SHOW FUNCTIONS`
/// and the function details report).
#[derive(Debug, Default)]
pub struct RunCounts {
    pub cpu: AtomicU64,
    pub gpu: AtomicU64,
    pub cpu_rows: AtomicU64,
    pub gpu_rows: AtomicU64,
}

impl RunCounts {
    pub fn record(&self, on_gpu: bool, rows: usize) {
        let (batches, counted) = if on_gpu {
            (&self.gpu, &self.gpu_rows)
        } else {
            (&self.cpu, &self.cpu_rows)
        };
        batches.fetch_add(1, Ordering::Relaxed);
        counted.fetch_add(rows as u64, Ordering::Relaxed);
    }

    pub fn describe(&self) -> String {
        format!(
            "cpu {}, gpu {}",
            self.cpu.load(Ordering::Relaxed),
            self.gpu.load(Ordering::Relaxed)
        )
    }
}

/// `SET udf_device = 'gpu'` (HeavyDB-style) or `SET udf.device TO gpu`: the preference it
/// sets, or `None` when `sql` is another statement.
pub fn parse_set_device(sql: &str) -> Option<Result<DevicePreference>> {
    Some(set_value(sql, &["udf_device", "udf.device"])?.parse())
}

/// The value of `SET <one of names> = 'value'` (or `TO value`), quotes removed.
pub(crate) fn set_value<'a>(sql: &'a str, names: &[&str]) -> Option<&'a str> {
    let text = sql.trim().trim_end_matches(';').trim_end();
    let rest = strip_word(text, "set")?;
    let rest = names.iter().find_map(|name| strip_word(rest, name))?;
    let value = rest
        .strip_prefix('=')
        .or_else(|| strip_word(rest, "to"))?
        .trim();
    Some(
        value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or(value),
    )
}

/// `text` after a leading `word` (case-insensitive) and the spaces after it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    let boundary = rest
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '.');
    (head.eq_ignore_ascii_case(word) && boundary).then(|| rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_device_statements() {
        let parse = |s| parse_set_device(s).map(|r| r.map_err(|e| e.to_string()));
        assert_eq!(
            parse("SET udf_device = 'gpu'"),
            Some(Ok(DevicePreference::Gpu))
        );
        assert_eq!(
            parse("set UDF.DEVICE to cpu;"),
            Some(Ok(DevicePreference::Cpu))
        );
        assert_eq!(
            parse("SET udf_device='auto'"),
            Some(Ok(DevicePreference::Auto))
        );
        assert!(matches!(parse("SET udf_device = 'tpu'"), Some(Err(e)) if e.contains("'tpu'")));
        assert_eq!(parse("SET udf_devices = 'gpu'"), None);
        assert_eq!(parse("SELECT 1"), None);
        assert_eq!(parse("SET datafusion.execution.batch_size = 10"), None);
    }
}

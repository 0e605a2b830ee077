//! What a compile cost and produced (per module and kernel), and the compiler's counters
//! for metrics and the admin interface.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where the code of a [`crate::CompileOutput`] or [`crate::PtxOutput`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeSource {
    /// LLVM compiled it in this call.
    Compiled,
    /// A live module with the same key was handed out again (no LLVM work, no link).
    MemoryCache,
    /// The persistent cache supplied the object (or PTX): linked, not compiled.
    DiskCache,
}

impl CodeSource {
    /// Whether a cache supplied the code, i.e. no LLVM compile was done.
    pub fn is_cache_hit(self) -> bool {
        self != CodeSource::Compiled
    }

    /// `compiled`, `memory`, `disk`: for logs and admin output.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeSource::Compiled => "compiled",
            CodeSource::MemoryCache => "memory",
            CodeSource::DiskCache => "disk",
        }
    }
}

impl std::fmt::Display for CodeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kernel of the optimised module: its size and how its dense loop vectorised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KernelStats {
    /// The requested function's IR symbol.
    pub symbol: String,
    /// The kernel's entry symbol (`udf_kernel_<i>`).
    pub kernel: String,
    /// Instructions of the kernel and of the internal functions it calls (its `dense` and
    /// `checked` range functions, and what they did not inline), each function once.
    pub instructions: usize,
    /// Basic blocks of the same functions.
    pub basic_blocks: usize,
    /// Lanes of the widest vector the vectorised dense loop computes with (`4` for
    /// `<4 x double>`); `None` when the loop did not vectorise (always on the GPU, where
    /// each thread computes one row).
    pub vector_width: Option<u32>,
    /// Vector stores of that width per iteration of the vectorised loop: the interleave
    /// count, since the kernel stores one result per row. `None` when not vectorised.
    pub interleave: Option<u32>,
}

/// Phase times and kernel statistics of a module's original compile. A cache hit reports
/// the numbers of the compile that produced the code (persisted with a disk entry), plus
/// its own `link` time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleStats {
    /// Reading the IR (text or bitcode).
    pub parse: Duration,
    /// LLVM's verifier, the symbol/signature checks, pruning unreachable code and the
    /// allow-list of external references.
    pub verify: Duration,
    /// Kernel generation (and, for the GPU, linking libdevice).
    pub generate: Duration,
    /// The O3 pipeline (including vectorisation and vector-math mapping).
    pub optimise: Duration,
    /// Target machine set-up and machine code (object or PTX) emission.
    pub codegen: Duration,
    /// Linking the object into the JIT for the load that produced this code: the original
    /// compile's link, or the disk load's (zero for PTX, which the GPU crate loads).
    pub link: Duration,
    /// Wall time of the original compile call (parse to link); the phases add up to at
    /// most this.
    pub compile_time: Duration,
    /// Size of the object file (CPU) or PTX text (GPU) in bytes.
    pub code_size: usize,
    /// Per requested function, in request order.
    pub kernels: Vec<KernelStats>,
}

impl ModuleStats {
    /// The sum of the phase times (parse … link).
    pub fn phases_total(&self) -> Duration {
        self.parse + self.verify + self.generate + self.optimise + self.codegen + self.link
    }
}

/// Upper bounds (seconds) of the compile latency histogram's buckets; `+Inf` follows.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A latency histogram as Prometheus wants it: cumulative bucket counts, sum and count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyHistogram {
    /// Bucket upper bounds in seconds, ascending ([`LATENCY_BUCKETS`]); `+Inf` is implied.
    pub bounds: Vec<f64>,
    /// Observations ≤ each bound, then the `+Inf` bucket (= `count`): `bounds.len() + 1`.
    pub cumulative: Vec<u64>,
    /// Sum of all observations in seconds.
    pub sum_seconds: f64,
    /// Number of observations.
    pub count: u64,
}

/// Counters of a [`crate::Compiler`] since it was created (the disk figures are a scan of
/// the cache folder at the time of the call).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompilerStats {
    /// CPU modules LLVM actually compiled (cache misses that succeeded).
    pub compiles: u64,
    /// GPU (PTX) modules LLVM actually compiled.
    pub ptx_compiles: u64,
    /// CPU compiles answered by a live module of the in-memory cache.
    pub memory_hits: u64,
    /// Compiles (CPU or PTX) answered by a valid disk entry.
    pub disk_hits: u64,
    /// Disk lookups that found no entry.
    pub disk_misses: u64,
    /// Disk entries ignored because their header names another target, CPU, LLVM version
    /// or entry format (they are replaced by the recompiled entry).
    pub disk_rejected_foreign: u64,
    /// Disk entries that were truncated, corrupt or did not link; they are deleted.
    pub disk_corrupt: u64,
    /// Entries written to disk.
    pub disk_writes: u64,
    /// Entries that could not be written (logged; the compile still succeeded).
    pub disk_write_errors: u64,
    /// Entries in the cache folder now.
    pub disk_entries: u64,
    /// Their total size in bytes.
    pub disk_bytes: u64,
    /// Modules of the in-memory cache whose code is loaded now.
    pub memory_entries: u64,
    /// Wall time of the LLVM compiles (CPU and PTX; cache hits are not observed).
    pub compile_seconds: LatencyHistogram,
}

/// What [`crate::Compiler::clear_cache`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClearedCache {
    /// Entries dropped from the in-memory index (their code stays loaded while in use).
    pub memory_entries: u64,
    /// Files deleted from the cache folder.
    pub disk_entries: u64,
    /// Their total size in bytes.
    pub disk_bytes: u64,
}

/// The live counters behind [`CompilerStats`]: lock-free, so that counting never
/// serialises compiles.
#[derive(Default)]
pub(crate) struct Counters {
    pub compiles: AtomicU64,
    pub ptx_compiles: AtomicU64,
    pub memory_hits: AtomicU64,
    pub disk_hits: AtomicU64,
    pub disk_misses: AtomicU64,
    pub disk_rejected_foreign: AtomicU64,
    pub disk_corrupt: AtomicU64,
    pub disk_writes: AtomicU64,
    pub disk_write_errors: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_compile(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// A snapshot; `disk_entries`/`disk_bytes` are left for the caller to fill.
    pub fn snapshot(&self) -> CompilerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut cumulative = Vec::with_capacity(self.buckets.len());
        let mut running = 0u64;
        for b in &self.buckets {
            running += get(b);
            cumulative.push(running);
        }
        CompilerStats {
            compiles: get(&self.compiles),
            ptx_compiles: get(&self.ptx_compiles),
            memory_hits: get(&self.memory_hits),
            disk_hits: get(&self.disk_hits),
            disk_misses: get(&self.disk_misses),
            disk_rejected_foreign: get(&self.disk_rejected_foreign),
            disk_corrupt: get(&self.disk_corrupt),
            disk_writes: get(&self.disk_writes),
            disk_write_errors: get(&self.disk_write_errors),
            disk_entries: 0,
            disk_bytes: 0,
            memory_entries: 0,
            compile_seconds: LatencyHistogram {
                bounds: LATENCY_BUCKETS.to_vec(),
                count: running,
                cumulative,
                sum_seconds: get(&self.sum_nanos) as f64 * 1e-9,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_with_an_inf_bucket() {
        let c = Counters::default();
        c.observe_compile(Duration::from_micros(500));
        c.observe_compile(Duration::from_millis(30));
        c.observe_compile(Duration::from_secs(10));
        let h = c.snapshot().compile_seconds;
        assert_eq!(h.cumulative.len(), LATENCY_BUCKETS.len() + 1);
        assert_eq!(h.cumulative[0], 1);
        assert_eq!(h.cumulative[4], 1, "≤ 25 ms");
        assert_eq!(h.cumulative[5], 2, "≤ 50 ms");
        assert_eq!(h.cumulative[LATENCY_BUCKETS.len() - 1], 2);
        assert_eq!(*h.cumulative.last().unwrap(), 3);
        assert_eq!(h.count, 3);
        assert!((h.sum_seconds - 10.0305).abs() < 1e-9);
    }
}

//! The compiler facade: check → generate kernels → optimise → emit object → link (CPU),
//! or → link libdevice → emit PTX (GPU); with an in-memory and an optional persistent
//! code cache in front.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::{CacheKey, CachedModule, CompileCache, Guards};
use crate::disk_cache::{CpuEntry, DiskCache, EntryKind, EntryTarget, Lookup, PtxEntry};
use crate::error::{Error, Result};
use crate::jit::{self, LinkedObject};
use crate::kernel::{CompiledModule, Kernel, RawKernelFn};
use crate::libdevice::{self, Libdevice};
use crate::llvm::{self, BuildMode};
use crate::nvptx;
use crate::stats::{ClearedCache, CodeSource, CompilerStats, Counters, ModuleStats};
use crate::table_kernel::{TableFunctionSpec, TableKernel};
use crate::types::Signature;

/// One function to register from a module: the IR symbol and its declared signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionSpec {
    pub symbol: String,
    pub signature: Signature,
}

impl FunctionSpec {
    pub fn new(symbol: impl Into<String>, signature: Signature) -> Self {
        FunctionSpec {
            symbol: symbol.into(),
            signature,
        }
    }
}

/// What to compile: a module (LLVM text, or bitcode — detected by its magic) and the
/// functions to build kernels for.
#[derive(Debug, Clone, Copy)]
pub struct CompileRequest<'a> {
    pub ir: &'a [u8],
    pub functions: &'a [FunctionSpec],
}

/// The machine code is generated for: triple, CPU name and feature string
/// (`+avx2,+fma,...`), as LLVM spells them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetSpec {
    pub triple: String,
    pub cpu: String,
    pub features: String,
}

/// Compiler settings.
#[derive(Debug, Clone)]
pub struct CompilerOptions {
    /// Map `exp`, `sin`, … to glibc's libmvec vector variants so math loops vectorise.
    /// Vector variants may differ from scalar libm in the last bits (≤ 4 ulp).
    pub vector_math: bool,
    /// How many compiled objects the in-memory cache keeps.
    pub cache_capacity: usize,
    /// libdevice (`libdevice.10.bc`, or a folder holding it) for GPU math. Tried first;
    /// when it does not exist, discovery goes on (if enabled).
    pub libdevice: Option<PathBuf>,
    /// Look for libdevice when `libdevice` is unset or missing: `$UDF_LIBDEVICE`,
    /// `$CUDA_HOME/nvvm/libdevice/`, `/usr/local/cuda/nvvm/libdevice/`, then the
    /// `nvidia-cuda-nvcc-cu12` wheel in the udf-server venv (`$UDF_VENV`, default
    /// `~/.cache/udf-server/venv`) and other Python package folders.
    pub libdevice_discovery: bool,
    /// The persistent code cache folder (created `0700` if missing): compiled objects and
    /// PTX are kept there, one checked file per module, so that a restarted process links
    /// instead of compiling. `None`: in-memory cache only. Whoever can write the folder
    /// can run code in the server: keep it private to the server's user.
    pub cache_dir: Option<PathBuf>,
    /// Size limits checked on every module before it is compiled.
    pub limits: IrLimits,
    /// Poll the kernel's [`crate::Interrupt`] on every loop back edge in user code. Turn off
    /// only to measure what the checks cost: without them a looping UDF cannot be stopped.
    pub interrupt_checks: bool,
}

/// Size limits for client IR, so that a module cannot make the compiler (or a kernel's
/// stack) arbitrarily large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IrLimits {
    /// Bytes of IR (text or bitcode), checked before parsing.
    pub max_ir_bytes: usize,
    /// Functions defined or declared in the module.
    pub max_functions: usize,
    /// Instructions in the module, and in each kernel once user code is inlined into it.
    pub max_instructions: usize,
    /// Bytes of static `alloca`s per function.
    pub max_stack_bytes: u64,
}

impl Default for IrLimits {
    fn default() -> Self {
        IrLimits {
            max_ir_bytes: 16 << 20,
            max_functions: 10_000,
            max_instructions: 1_000_000,
            max_stack_bytes: 256 << 10,
        }
    }
}

impl Default for CompilerOptions {
    fn default() -> Self {
        CompilerOptions {
            vector_math: true,
            cache_capacity: 1024,
            libdevice: None,
            libdevice_discovery: true,
            cache_dir: None,
            limits: IrLimits::default(),
            interrupt_checks: true,
        }
    }
}

/// What to compile for an NVIDIA GPU: a module (LLVM text or bitcode; the client's GPU IR
/// with triple `nvptx64-nvidia-cuda`, or target-neutral/CPU IR, which is retargeted), the
/// functions to build kernels for, and the device's compute capability (`80` for 8.0).
#[derive(Debug, Clone, Copy)]
pub struct PtxRequest<'a> {
    pub ir: &'a [u8],
    pub functions: &'a [FunctionSpec],
    pub compute_capability: u32,
}

/// The result of [`Compiler::compile_ptx`].
///
/// Each kernel is `.entry name(u64 n, u64 arg0, …, u64 out, u64 valid)`: column buffers in
/// device global memory (distinct, not overlapping `out`), `valid` one byte per row
/// (non-zero = no argument is NULL) or null when every row is valid. Launch it with any
/// 1-D grid: a grid-stride loop covers the `n` rows. Valid rows get `f(args…)`, the others
/// the return type's NULL sentinel; a valid row whose result is the sentinel is NULL too
/// (the kernel does not count those: the host finds them).
#[derive(Debug, Clone)]
pub struct PtxOutput {
    /// The PTX module text (deterministic: no paths, no timestamps).
    pub ptx: String,
    /// The kernel entry name of each requested function, in request order.
    pub kernels: Vec<String>,
    /// Triple, `sm_XX` and PTX ISA feature (`+ptx70`) the PTX was generated for.
    pub target: TargetSpec,
    /// Whether libdevice functions were linked in.
    pub libdevice_linked: bool,
    /// `Compiled`, or `DiskCache` when the persistent cache supplied the PTX.
    pub source: CodeSource,
    /// Phase times of the original compile (`link` is zero) and per-kernel statistics.
    pub stats: ModuleStats,
    /// Wall time of this call.
    pub elapsed: Duration,
}

impl PtxOutput {
    /// True when the persistent cache supplied the PTX (no LLVM work was done).
    pub fn cache_hit(&self) -> bool {
        self.source.is_cache_hit()
    }
}

/// What a GPU-capable server advertises about code generation (e.g. in HeavyDB's
/// `get_device_parameters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuTargetInfo {
    /// `nvptx64-nvidia-cuda`.
    pub triple: String,
    /// The data layout LLVM uses for that triple.
    pub data_layout: String,
    /// The libdevice file math calls link against, if one was found.
    pub libdevice: Option<PathBuf>,
    /// The compute capabilities [`Compiler::compile_ptx`] accepts, ascending.
    pub compute_capabilities: Vec<u32>,
}

impl GpuTargetInfo {
    /// The capability to compile for a device of capability `device` (e.g. 90): PTX runs
    /// on its own and every later architecture, so the newest one LLVM knows that is not
    /// newer than the device. `None` when the device is older than all of them.
    pub fn capability_for(&self, device: u32) -> Option<u32> {
        self.compute_capabilities
            .iter()
            .copied()
            .filter(|&cc| cc <= device)
            .max()
    }
}

/// The result of [`Compiler::compile`].
#[derive(Debug, Clone)]
pub struct CompileOutput {
    pub module: Arc<CompiledModule>,
    /// True when a cache supplied the code (no LLVM work was done): `source` is not
    /// `Compiled`.
    pub cache_hit: bool,
    /// Where the code came from: compiled now, a live module, or the disk cache.
    pub source: CodeSource,
    /// Phase times of the original compile (with this load's `link` for a disk hit) and
    /// per-kernel statistics; the same as `module.stats()`.
    pub stats: ModuleStats,
    /// Wall time of this call.
    pub elapsed: Duration,
}

/// Compiles IR modules into column kernels for the host CPU. `Send + Sync`: share one per
/// process behind an `Arc`; compiles run in parallel (each uses its own LLVM context).
pub struct Compiler {
    options: CompilerOptions,
    host: TargetSpec,
    llvm_version: String,
    cache: CompileCache,
    disk: Option<DiskCache>,
    counters: Counters,
    libdevice: Libdevice,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("host", &self.host)
            .field("llvm_version", &self.llvm_version)
            .finish_non_exhaustive()
    }
}

impl Compiler {
    /// A compiler for the host CPU.
    pub fn new(options: CompilerOptions) -> Result<Self> {
        llvm::initialize_native_target().map_err(Error::Codegen)?;
        let search = libdevice::discover(options.libdevice.as_deref(), options.libdevice_discovery);
        match &search.found {
            Some(path) => tracing::debug!(path = %path.display(), "libdevice found"),
            None => tracing::debug!(looked = ?search.looked, "libdevice not found"),
        }
        let disk = options
            .cache_dir
            .as_deref()
            .map(|dir| {
                DiskCache::open(dir).map_err(|source| Error::CacheIo {
                    path: dir.to_path_buf(),
                    source,
                })
            })
            .transpose()?;
        Ok(Compiler {
            cache: CompileCache::new(options.cache_capacity.max(1)),
            disk,
            counters: Counters::default(),
            options,
            host: llvm::host_target(),
            llvm_version: llvm::llvm_version(),
            libdevice: Libdevice::new(search),
        })
    }

    /// The target kernels are compiled for: the host's triple, CPU and features.
    pub fn host_target(&self) -> &TargetSpec {
        &self.host
    }

    /// The LLVM version compiling the kernels, `major.minor.patch`.
    pub fn llvm_version(&self) -> &str {
        &self.llvm_version
    }

    pub fn options(&self) -> &CompilerOptions {
        &self.options
    }

    /// The libdevice file GPU math links against, if one was found.
    pub fn libdevice_path(&self) -> Option<&Path> {
        self.libdevice.path()
    }

    /// The NVPTX triple and data layout, whether libdevice was found, and the compute
    /// capabilities [`Compiler::compile_ptx`] accepts.
    pub fn gpu_target_info(&self) -> Result<GpuTargetInfo> {
        Ok(GpuTargetInfo {
            triple: nvptx::TRIPLE.to_string(),
            data_layout: nvptx::data_layout()?,
            libdevice: self.libdevice.path().map(Path::to_path_buf),
            compute_capabilities: nvptx::COMPUTE_CAPABILITIES
                .iter()
                .map(|(cc, _)| *cc)
                .collect(),
        })
    }

    /// The persistent cache folder, if one is configured.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.disk.as_ref().map(DiskCache::dir)
    }

    /// Counters since this compiler was created; the disk figures are a scan of the
    /// cache folder now (it may be shared with other processes).
    pub fn stats(&self) -> CompilerStats {
        let mut stats = self.counters.snapshot();
        stats.memory_entries = self.cache.live();
        if let Some(disk) = &self.disk {
            (stats.disk_entries, stats.disk_bytes) = disk.scan();
        }
        stats
    }

    /// Empties the in-memory cache index and deletes every disk entry. Loaded code is
    /// never unloaded: kernels in use keep it, and the next compile of their module
    /// compiles (or loads) it again.
    pub fn clear_cache(&self) -> Result<ClearedCache> {
        let memory_entries = self.cache.clear();
        let (disk_entries, disk_bytes) = match &self.disk {
            None => (0, 0),
            Some(disk) => disk.clear().map_err(|source| Error::CacheIo {
                path: disk.dir().to_path_buf(),
                source,
            })?,
        };
        tracing::info!(
            memory_entries,
            disk_entries,
            disk_bytes,
            "cleared the code cache"
        );
        Ok(ClearedCache {
            memory_entries,
            disk_entries,
            disk_bytes,
        })
    }

    /// Checks the module and compiles one GPU kernel per requested function to PTX for
    /// `request.compute_capability`: the client's scalar functions are inlined into
    /// grid-stride loops, math calls are linked from libdevice, and only the kernels stay
    /// visible. With a cache folder the PTX is kept on disk (keyed also by the compute
    /// capability and the libdevice file's content); nothing is cached in memory: the
    /// caller keeps the PTX (or what the driver made of it).
    pub fn compile_ptx(&self, request: PtxRequest<'_>) -> Result<PtxOutput> {
        let start = Instant::now();
        let target = nvptx::target(request.compute_capability)?;
        let entry_target = EntryTarget::new(&target, &self.llvm_version);
        let disk = self.disk.as_ref().map(|disk| {
            let key = CompileCache::ptx_key(
                request.ir,
                request.functions,
                &target,
                &self.llvm_version,
                self.libdevice.identity(),
                &self.options.limits,
            );
            (disk, key)
        });
        if let Some((disk, key)) = &disk
            && let Some(payload) = self.disk_lookup(disk, key, EntryKind::Ptx, &entry_target)
        {
            match PtxEntry::decode(&payload).filter(|e| e.kernels.len() == request.functions.len())
            {
                Some(entry) => {
                    Counters::bump(&self.counters.disk_hits);
                    return Ok(PtxOutput {
                        ptx: entry.ptx,
                        kernels: entry.kernels,
                        target,
                        libdevice_linked: entry.libdevice_linked,
                        source: CodeSource::DiskCache,
                        stats: entry.stats,
                        elapsed: start.elapsed(),
                    });
                }
                None => self.reject_corrupt(disk, key, "the payload does not decode"),
            }
        }
        let built = nvptx::build(
            request.ir,
            request.functions,
            request.compute_capability,
            &self.libdevice,
            &self.options.limits,
        )?;
        let elapsed = start.elapsed();
        Counters::bump(&self.counters.ptx_compiles);
        self.counters.observe_compile(elapsed);
        let mut stats = built.stats;
        stats.compile_time = elapsed;
        tracing::debug!(
            functions = request.functions.len(),
            cpu = %built.target.cpu,
            ms = elapsed.as_secs_f64() * 1e3,
            "compiled PTX"
        );
        let output = PtxOutput {
            ptx: built.ptx,
            kernels: built.kernels,
            target: built.target,
            libdevice_linked: built.libdevice_linked,
            source: CodeSource::Compiled,
            stats,
            elapsed,
        };
        if let Some((disk, key)) = &disk {
            let entry = PtxEntry {
                ptx: output.ptx.clone(),
                kernels: output.kernels.clone(),
                libdevice_linked: output.libdevice_linked,
                stats: output.stats.clone(),
            };
            self.disk_store(disk, key, EntryKind::Ptx, &entry_target, &entry.encode());
        }
        Ok(output)
    }

    /// Checks the module, builds one kernel per requested function and links them.
    /// A module identical to one whose code is still alive is not compiled again; with a
    /// cache folder, neither is one compiled before (by this or another process): its
    /// object is linked from the disk entry.
    pub fn compile(&self, request: CompileRequest<'_>) -> Result<CompileOutput> {
        self.compile_with_tables(request, &[])
    }

    /// [`Compiler::compile`] that also builds the table functions `tables` of the module
    /// ([`CompiledModule::table_kernel`]), in the same compile.
    pub fn compile_with_tables(
        &self,
        request: CompileRequest<'_>,
        tables: &[TableFunctionSpec],
    ) -> Result<CompileOutput> {
        let start = Instant::now();
        let key = CompileCache::key(
            request.ir,
            request.functions,
            tables,
            &self.host,
            &self.llvm_version,
            self.options.vector_math,
            &Guards {
                interrupt_checks: self.options.interrupt_checks,
                limits: self.options.limits,
            },
        );
        if let Some((code, cached)) = self.cache.get(&key) {
            Counters::bump(&self.counters.memory_hits);
            return Ok(self.output(
                (request.functions, tables),
                &cached.entries,
                &code,
                cached.stats,
                CodeSource::MemoryCache,
                start,
            ));
        }
        if let Some(disk) = &self.disk
            && let Some((code, entries, stats)) =
                self.load_cpu_entry(disk, &key, request.functions.len() + tables.len())
        {
            let code = Arc::new(code);
            let stats = Arc::new(stats);
            self.remember(key, &code, &entries, &stats);
            return Ok(self.output(
                (request.functions, tables),
                &entries,
                &code,
                stats,
                CodeSource::DiskCache,
                start,
            ));
        }
        let built = llvm::build(
            request.ir,
            request.functions,
            tables,
            &self.host,
            BuildMode {
                emit_object: true,
                emit_ir: false,
                emit_asm: false,
                vector_math: self.options.vector_math,
                interrupt_checks: self.options.interrupt_checks,
                limits: self.options.limits,
            },
        )?;
        let object = built
            .object
            .ok_or_else(|| Error::Internal("no object was emitted".into()))?;
        let link_start = Instant::now();
        let (linked, entries) = jit::link(&object, &built.kernel_symbols)?;
        let mut stats = built.stats;
        stats.link = link_start.elapsed();
        stats.compile_time = start.elapsed();
        Counters::bump(&self.counters.compiles);
        self.counters.observe_compile(stats.compile_time);
        tracing::debug!(
            functions = request.functions.len(),
            ms = stats.compile_time.as_secs_f64() * 1e3,
            link_ms = stats.link.as_secs_f64() * 1e3,
            "compiled"
        );
        if let Some(disk) = &self.disk {
            let entry = CpuEntry {
                object,
                kernel_symbols: built.kernel_symbols,
                stats,
            };
            let target = EntryTarget::new(&self.host, &self.llvm_version);
            self.disk_store(disk, &key, EntryKind::Cpu, &target, &entry.encode());
            stats = entry.stats;
        }
        let code = Arc::new(linked);
        let stats = Arc::new(stats);
        self.remember(key, &code, &entries, &stats);
        Ok(self.output(
            (request.functions, tables),
            &entries,
            &code,
            stats,
            CodeSource::Compiled,
            start,
        ))
    }

    fn remember(
        &self,
        key: CacheKey,
        code: &Arc<LinkedObject>,
        entries: &[usize],
        stats: &Arc<ModuleStats>,
    ) {
        self.cache.insert(
            key,
            CachedModule {
                code: Arc::downgrade(code),
                entries: entries.to_vec(),
                stats: Arc::clone(stats),
            },
        );
    }

    fn output(
        &self,
        (functions, tables): (&[FunctionSpec], &[TableFunctionSpec]),
        entries: &[usize],
        code: &Arc<LinkedObject>,
        stats: Arc<ModuleStats>,
        source: CodeSource,
        start: Instant,
    ) -> CompileOutput {
        let module = Arc::new(CompiledModule {
            kernels: make_kernels(functions, entries, code),
            table_kernels: make_table_kernels(
                tables,
                &entries[functions.len().min(entries.len())..],
                code,
            ),
            stats: Arc::clone(&stats),
            source,
        });
        CompileOutput {
            module,
            cache_hit: source.is_cache_hit(),
            source,
            stats: (*stats).clone(),
            elapsed: start.elapsed(),
        }
    }

    /// Links the disk entry of `key`, if there is a good one for this host; a bad one is
    /// counted (and deleted when corrupt) and `None` returned, so the caller compiles.
    fn load_cpu_entry(
        &self,
        disk: &DiskCache,
        key: &CacheKey,
        kernels: usize,
    ) -> Option<(LinkedObject, Vec<usize>, ModuleStats)> {
        let target = EntryTarget::new(&self.host, &self.llvm_version);
        let payload = self.disk_lookup(disk, key, EntryKind::Cpu, &target)?;
        let Some(entry) = CpuEntry::decode(&payload).filter(|e| e.kernel_symbols.len() == kernels)
        else {
            self.reject_corrupt(disk, key, "the payload does not decode");
            return None;
        };
        let link_start = Instant::now();
        match jit::link(&entry.object, &entry.kernel_symbols) {
            Ok((linked, entries)) => {
                Counters::bump(&self.counters.disk_hits);
                let mut stats = entry.stats;
                stats.link = link_start.elapsed();
                tracing::debug!(
                    key = %hex::encode(key),
                    link_ms = stats.link.as_secs_f64() * 1e3,
                    "linked kernels from the disk cache"
                );
                Some((linked, entries, stats))
            }
            // E.g. libmvec, which the object calls, is not loaded in this process: the
            // recompile will not use it.
            Err(e) => {
                self.reject_corrupt(disk, key, &format!("the object does not link: {e}"));
                None
            }
        }
    }

    /// The checked payload of `key`'s disk entry; misses and rejections are counted.
    fn disk_lookup(
        &self,
        disk: &DiskCache,
        key: &CacheKey,
        kind: EntryKind,
        target: &EntryTarget,
    ) -> Option<Vec<u8>> {
        match disk.load(key, kind, target) {
            Lookup::Hit(payload) => Some(payload),
            Lookup::Missing => {
                Counters::bump(&self.counters.disk_misses);
                None
            }
            Lookup::Foreign(why) => {
                Counters::bump(&self.counters.disk_rejected_foreign);
                tracing::warn!(
                    path = %disk.entry_path(key).display(),
                    "ignoring a code cache entry from elsewhere: {why}"
                );
                None
            }
            Lookup::Corrupt(why) => {
                Counters::bump(&self.counters.disk_corrupt);
                tracing::warn!(
                    path = %disk.entry_path(key).display(),
                    "deleted a corrupt code cache entry: {why}"
                );
                None
            }
        }
    }

    fn reject_corrupt(&self, disk: &DiskCache, key: &CacheKey, why: &str) {
        Counters::bump(&self.counters.disk_corrupt);
        disk.remove_corrupt(key);
        tracing::warn!(
            path = %disk.entry_path(key).display(),
            "deleted a corrupt code cache entry: {why}"
        );
    }

    /// Writes an entry; a failure is logged and counted, never the compile's error.
    fn disk_store(
        &self,
        disk: &DiskCache,
        key: &CacheKey,
        kind: EntryKind,
        target: &EntryTarget,
        payload: &[u8],
    ) {
        match disk.store(key, kind, target, payload) {
            Ok(_) => Counters::bump(&self.counters.disk_writes),
            Err(e) => {
                Counters::bump(&self.counters.disk_write_errors);
                tracing::warn!(
                    path = %disk.entry_path(key).display(),
                    "writing a code cache entry failed: {e}"
                );
            }
        }
    }

    /// The optimised module text with its kernels, for `target` (the host when `None`),
    /// without linking anything: what golden tests and `EXPLAIN` show.
    pub fn kernel_ir(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
    ) -> Result<String> {
        self.build_text(request, &[], target, false)
    }

    /// The machine code of the kernels as assembly text, for `target` (the host when
    /// `None`). Unlike [`Compiler::kernel_ir`] it shows code generation's last rewrites,
    /// such as vector math intrinsics becoming libmvec calls.
    pub fn kernel_asm(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
    ) -> Result<String> {
        self.build_text(request, &[], target, true)
    }

    /// [`Compiler::kernel_ir`] (or, with `asm`, [`Compiler::kernel_asm`]) for the host
    /// of the table kernels of `tables` defined by `ir`.
    pub fn table_kernel_text(
        &self,
        ir: &[u8],
        tables: &[TableFunctionSpec],
        asm: bool,
    ) -> Result<String> {
        let request = CompileRequest { ir, functions: &[] };
        self.build_text(request, tables, None, asm)
    }

    /// Phase times and per-kernel statistics (size, vector width) of the optimised
    /// kernels for `target` (the host when `None`), without emitting or linking code
    /// (`codegen` then covers only the target machine).
    pub fn kernel_stats(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
    ) -> Result<ModuleStats> {
        let start = Instant::now();
        let mut stats = llvm::build(
            request.ir,
            request.functions,
            &[],
            target.unwrap_or(&self.host),
            BuildMode {
                emit_object: false,
                emit_ir: false,
                emit_asm: false,
                vector_math: self.options.vector_math,
                interrupt_checks: self.options.interrupt_checks,
                limits: self.options.limits,
            },
        )?
        .stats;
        stats.compile_time = start.elapsed();
        Ok(stats)
    }

    fn build_text(
        &self,
        request: CompileRequest<'_>,
        tables: &[TableFunctionSpec],
        target: Option<&TargetSpec>,
        asm: bool,
    ) -> Result<String> {
        let built = llvm::build(
            request.ir,
            request.functions,
            tables,
            target.unwrap_or(&self.host),
            BuildMode {
                emit_object: false,
                emit_ir: !asm,
                emit_asm: asm,
                vector_math: self.options.vector_math,
                interrupt_checks: self.options.interrupt_checks,
                limits: self.options.limits,
            },
        )?;
        built
            .optimized_ir
            .or(built.assembly)
            .ok_or_else(|| Error::Internal("no text was emitted".into()))
    }
}

/// The functions `ir` (LLVM text or bitcode) defines, for choosing which symbol a SQL
/// name refers to. Parsing only: nothing is checked or compiled.
pub fn defined_functions(ir: &[u8]) -> Result<Vec<String>> {
    llvm::defined_functions(ir)
}

/// Checks `ir` (LLVM text or bitcode) the way registration does — size limits, parse,
/// verify, and the whole-module policy (externals, intrinsics, inline asm, aliases, host
/// symbol definitions, `inttoptr` of constants, dynamic or oversized `alloca`, indirect
/// calls, recursion) — without optimising or generating code. Returns the defined
/// function names. Never panics, whatever the bytes.
pub fn check_ir(ir: &[u8], limits: &IrLimits) -> Result<Vec<String>> {
    llvm::check_ir(ir, limits)
}

fn make_table_kernels(
    tables: &[TableFunctionSpec],
    entries: &[usize],
    code: &Arc<LinkedObject>,
) -> Vec<TableKernel> {
    tables
        .iter()
        .zip(entries)
        .map(|(spec, &addr)| TableKernel {
            symbol: spec.symbol.clone(),
            signature: spec.signature.clone(),
            // SAFETY: `addr` is the JIT address of a table kernel generated with the
            // `RawKernelFn` signature, and `code` keeps it mapped while the kernel lives.
            entry: unsafe { std::mem::transmute::<usize, RawKernelFn>(addr) },
            _code: Arc::clone(code),
        })
        .collect()
}

fn make_kernels(
    functions: &[FunctionSpec],
    entries: &[usize],
    code: &Arc<LinkedObject>,
) -> Vec<Kernel> {
    functions
        .iter()
        .zip(entries)
        .map(|(spec, &addr)| Kernel {
            symbol: spec.symbol.clone(),
            signature: spec.signature.clone(),
            // SAFETY: `addr` is the JIT address of a kernel generated with the
            // `RawKernelFn` signature, and `code` keeps it mapped while the kernel lives.
            entry: unsafe { std::mem::transmute::<usize, RawKernelFn>(addr) },
            _code: Arc::clone(code),
        })
        .collect()
}

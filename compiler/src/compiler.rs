//! The compiler facade: check → generate kernels → optimise → emit object → link (CPU),
//! or → link libdevice → emit PTX (GPU).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::{CachedModule, CompileCache};
use crate::error::{Error, Result};
use crate::jit::{self, LinkedObject};
use crate::kernel::{CompiledModule, Kernel, RawKernelFn};
use crate::libdevice::{self, Libdevice};
use crate::llvm::{self, BuildMode};
use crate::nvptx;
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
}

impl Default for CompilerOptions {
    fn default() -> Self {
        CompilerOptions {
            vector_math: true,
            cache_capacity: 1024,
            libdevice: None,
            libdevice_discovery: true,
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
    /// Wall time of this call.
    pub elapsed: Duration,
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
    /// True when the compile cache supplied the code (no LLVM work was done).
    pub cache_hit: bool,
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
        Ok(Compiler {
            cache: CompileCache::new(options.cache_capacity.max(1)),
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

    /// Checks the module and compiles one GPU kernel per requested function to PTX for
    /// `request.compute_capability`: the client's scalar functions are inlined into
    /// grid-stride loops, math calls are linked from libdevice, and only the kernels stay
    /// visible. Nothing is cached: the caller keeps the PTX (or what the driver made of it).
    pub fn compile_ptx(&self, request: PtxRequest<'_>) -> Result<PtxOutput> {
        let start = Instant::now();
        let built = nvptx::build(
            request.ir,
            request.functions,
            request.compute_capability,
            &self.libdevice,
        )?;
        let elapsed = start.elapsed();
        tracing::debug!(
            functions = request.functions.len(),
            cpu = %built.target.cpu,
            ms = elapsed.as_secs_f64() * 1e3,
            "compiled PTX"
        );
        Ok(PtxOutput {
            ptx: built.ptx,
            kernels: built.kernels,
            target: built.target,
            libdevice_linked: built.libdevice_linked,
            elapsed,
        })
    }

    /// Checks the module, builds one kernel per requested function and links them.
    /// A module identical to one whose code is still alive is not compiled again.
    pub fn compile(&self, request: CompileRequest<'_>) -> Result<CompileOutput> {
        let start = Instant::now();
        let key = CompileCache::key(
            request.ir,
            request.functions,
            &self.host,
            &self.llvm_version,
            self.options.vector_math,
        );
        if let Some((code, cached)) = self.cache.get(&key) {
            let module = Arc::new(CompiledModule {
                kernels: make_kernels(request.functions, &cached.entries, &code),
                compile_time: cached.compile_time,
                object_size: cached.object_size,
            });
            return Ok(CompileOutput {
                module,
                cache_hit: true,
                elapsed: start.elapsed(),
            });
        }
        let built = llvm::build(
            request.ir,
            request.functions,
            &self.host,
            BuildMode {
                emit_object: true,
                emit_ir: false,
                emit_asm: false,
                vector_math: self.options.vector_math,
                link_id: jit::next_link_id(),
            },
        )?;
        let object = built
            .object
            .ok_or_else(|| Error::Internal("no object was emitted".into()))?;
        let link_start = Instant::now();
        let (linked, entries) = jit::link(&object, &built.kernel_symbols)?;
        tracing::debug!(
            ms = link_start.elapsed().as_secs_f64() * 1e3,
            "linked kernels"
        );
        let code = Arc::new(linked);
        let compile_time = start.elapsed();
        self.cache.insert(
            key,
            CachedModule {
                code: Arc::downgrade(&code),
                entries: entries.clone(),
                compile_time,
                object_size: object.len(),
            },
        );
        tracing::debug!(
            functions = request.functions.len(),
            ms = compile_time.as_secs_f64() * 1e3,
            "compiled"
        );
        let module = Arc::new(CompiledModule {
            kernels: make_kernels(request.functions, &entries, &code),
            compile_time,
            object_size: object.len(),
        });
        Ok(CompileOutput {
            module,
            cache_hit: false,
            elapsed: compile_time,
        })
    }

    /// The optimised module text with its kernels, for `target` (the host when `None`),
    /// without linking anything: what golden tests and `EXPLAIN` show.
    pub fn kernel_ir(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
    ) -> Result<String> {
        self.build_text(request, target, false)
    }

    /// The machine code of the kernels as assembly text, for `target` (the host when
    /// `None`). Unlike [`Compiler::kernel_ir`] it shows code generation's last rewrites,
    /// such as vector math intrinsics becoming libmvec calls.
    pub fn kernel_asm(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
    ) -> Result<String> {
        self.build_text(request, target, true)
    }

    fn build_text(
        &self,
        request: CompileRequest<'_>,
        target: Option<&TargetSpec>,
        asm: bool,
    ) -> Result<String> {
        let built = llvm::build(
            request.ir,
            request.functions,
            target.unwrap_or(&self.host),
            BuildMode {
                emit_object: false,
                emit_ir: !asm,
                emit_asm: asm,
                vector_math: self.options.vector_math,
                link_id: 0,
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

//! The compiler facade: check → generate kernels → optimise → emit object → link.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::{CachedModule, CompileCache};
use crate::error::{Error, Result};
use crate::jit::{self, LinkedObject};
use crate::kernel::{CompiledModule, Kernel, RawKernelFn};
use crate::llvm::{self, BuildMode};
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
}

impl Default for CompilerOptions {
    fn default() -> Self {
        CompilerOptions {
            vector_math: true,
            cache_capacity: 1024,
        }
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
        Ok(Compiler {
            cache: CompileCache::new(options.cache_capacity.max(1)),
            options,
            host: llvm::host_target(),
            llvm_version: llvm::llvm_version(),
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

//! Everything that touches LLVM objects: a context with a diagnostic handler, parsing,
//! the checks, kernel generation, optimisation and object emission. Nothing here leaks out
//! of the crate: callers get bytes and strings.

use std::ffi::{CStr, CString, c_void};
use std::sync::OnceLock;

use inkwell::OptimizationLevel;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::context::{AsContextRef, Context};
use inkwell::intrinsics::Intrinsic;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::{Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple,
};
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum};
use inkwell::values::{
    AsValueRef, BasicMetadataValueEnum, BasicValue, FunctionValue, InstructionOpcode,
    InstructionValue, IntValue, Operand, PointerValue, ValueKind,
};
use inkwell::{AddressSpace, IntPredicate};
use llvm_sys::core::{
    LLVMContextSetDiagnosticHandler, LLVMCountBasicBlocks,
    LLVMCreateMemoryBufferWithMemoryRangeCopy, LLVMDisposeMessage, LLVMGetCalledValue,
    LLVMGetDiagInfoDescription, LLVMGetDiagInfoSeverity, LLVMGetElementType,
    LLVMGetFirstBasicBlock, LLVMGetFirstInstruction, LLVMGetInstructionOpcode, LLVMGetIntTypeWidth,
    LLVMGetMDKindIDInContext, LLVMGetMDNodeNumOperands, LLVMGetMDNodeOperands, LLVMGetMDString,
    LLVMGetMetadata, LLVMGetModuleInlineAsm, LLVMGetNextBasicBlock, LLVMGetNextInstruction,
    LLVMGetNumOperands, LLVMGetOperand, LLVMGetTypeKind, LLVMGetVectorSize, LLVMIsACallInst,
    LLVMIsAFunction, LLVMIsAInlineAsm, LLVMIsAInvokeInst, LLVMIsAMDNode, LLVMIsAMDString,
    LLVMIsATerminatorInst, LLVMReplaceAllUsesWith, LLVMSetValueName2, LLVMTypeOf,
};
use llvm_sys::prelude::{
    LLVMBasicBlockRef, LLVMDiagnosticInfoRef, LLVMMemoryBufferRef, LLVMTypeRef, LLVMValueRef,
};
use llvm_sys::{LLVMDiagnosticSeverity, LLVMOpcode, LLVMTypeKind};
use parking_lot::Mutex;

use crate::compiler::{FunctionSpec, IrLimits, TargetSpec};
use crate::error::{Error, Result};
use crate::instrument;
use crate::policy;
use crate::probe;
use crate::stats::{KernelStats, ModuleStats};
use crate::table_kernel::TableFunctionSpec;
use crate::table_signature::IrParam;
use crate::types::{ScalarType, ValueType};

/// libm functions a UDF may call. They are pure apart from `errno`, which SQL cannot see.
const LIBM: &[&str] = &[
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "exp10",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "pow",
    "sqrt",
    "cbrt",
    "hypot",
    "fabs",
    "floor",
    "ceil",
    "trunc",
    "round",
    "rint",
    "nearbyint",
    "fmod",
    "remainder",
    "fmin",
    "fmax",
    "fma",
    "copysign",
    "erf",
    "erfc",
    "tgamma",
    "lgamma",
    "ldexp",
    "fdim",
];

/// Helpers LLVM's code generator itself may call (128-bit arithmetic, powi, memory
/// intrinsics lowered to libc).
const CODEGEN_HELPERS: &[&str] = &[
    "memcpy",
    "memmove",
    "memset",
    "__powidf2",
    "__powisf2",
    "__multi3",
    "__divti3",
    "__udivti3",
    "__modti3",
    "__umodti3",
    "__muloti4",
    "__udivmodti4",
    "__divmodti4",
    "__floattidf",
    "__floattisf",
    "__floatuntidf",
    "__floatuntisf",
    "__fixdfti",
    "__fixsfti",
    "__fixunsdfti",
    "__fixunssfti",
    "__ashlti3",
    "__ashrti3",
    "__lshrti3",
    // The optimiser merges sin(x) and cos(x) of one value into one call, and turns
    // pow(10, x) into exp10: libm functions the IR never named.
    "sincos",
    "sincosf",
    "exp10",
    "exp10f",
    "__exp10",
    "__exp10f",
    "__truncdfhf2",
    "__truncsfhf2",
    "__extendhfsf2",
];

/// libm calls that have an LLVM intrinsic twin. Rewriting the call to the intrinsic drops
/// the `errno` write, which is what lets the loop vectoriser map it to libmvec.
const LIBM_INTRINSICS: &[(&str, &str)] = &[
    ("sqrt", "llvm.sqrt"),
    ("exp", "llvm.exp"),
    ("exp2", "llvm.exp2"),
    ("exp10", "llvm.exp10"),
    ("log", "llvm.log"),
    ("log2", "llvm.log2"),
    ("log10", "llvm.log10"),
    ("sin", "llvm.sin"),
    ("cos", "llvm.cos"),
    ("tan", "llvm.tan"),
    ("asin", "llvm.asin"),
    ("acos", "llvm.acos"),
    ("atan", "llvm.atan"),
    ("sinh", "llvm.sinh"),
    ("cosh", "llvm.cosh"),
    ("tanh", "llvm.tanh"),
    ("pow", "llvm.pow"),
    ("fabs", "llvm.fabs"),
    ("floor", "llvm.floor"),
    ("ceil", "llvm.ceil"),
    ("trunc", "llvm.trunc"),
    ("round", "llvm.round"),
    ("rint", "llvm.rint"),
    ("nearbyint", "llvm.nearbyint"),
    ("fma", "llvm.fma"),
    ("copysign", "llvm.copysign"),
    ("fmin", "llvm.minnum"),
    ("fmax", "llvm.maxnum"),
];

/// `exp` or `expf` → `exp`.
pub(crate) fn libm_base(name: &str) -> Option<&'static str> {
    LIBM.iter()
        .copied()
        .find(|&f| name == f || name.strip_suffix('f') == Some(f))
}

/// LLVM intrinsic families a CPU UDF may call (exact name or name prefix before `.`, e.g.
/// `sqrt` covers `llvm.sqrt.f64`): pure math and bit operations, overflow arithmetic,
/// memory copies within what the UDF may already address, and hints without effect at run
/// time. Everything else is refused, in particular what stops the process (`trap`,
/// `debugtrap`, `ubsantrap` raise SIGILL/SIGTRAP), reads or writes machine state
/// (`frameaddress`, `returnaddress`, `read_register`, `write_register`, `clear_cache`,
/// `set.rounding`), unwinds or jumps (`eh.*`, `setjmp`, `longjmp`, `coro.*`), and
/// target-specific intrinsics (`x86.*`, `aarch64.*`, `nvvm.*`, …).
const CPU_INTRINSICS: &[&str] = &[
    // floating point math
    "sqrt",
    "powi",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "pow",
    "exp",
    "exp2",
    "exp10",
    "log",
    "log2",
    "log10",
    "fma",
    "fmuladd",
    "fabs",
    "minnum",
    "maxnum",
    "minimum",
    "maximum",
    "minimumnum",
    "maximumnum",
    "copysign",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "nearbyint",
    "round",
    "roundeven",
    "lround",
    "llround",
    "lrint",
    "llrint",
    "canonicalize",
    "is.fpclass",
    "ldexp",
    "frexp",
    "modf",
    "sincos",
    "sincospi",
    "fptosi.sat",
    "fptoui.sat",
    "convert.to.fp16",
    "convert.from.fp16",
    "experimental.constrained",
    // memory within the UDF's own reach
    "memcpy",
    "memcpy.inline",
    "memmove",
    "memset",
    "memset.inline",
    "masked.load",
    "masked.store",
    "masked.gather",
    "masked.scatter",
    "prefetch",
    "ptrmask",
    "stacksave",
    "stackrestore",
    // hints, annotations, debug info
    "lifetime.start",
    "lifetime.end",
    "invariant.start",
    "invariant.end",
    "launder.invariant.group",
    "strip.invariant.group",
    "assume",
    "expect",
    "expect.with.probability",
    "experimental.noalias.scope.decl",
    "dbg.declare",
    "dbg.value",
    "dbg.label",
    "dbg.assign",
    "donothing",
    "sideeffect",
    "fake.use",
    "objectsize",
    "is.constant",
    "annotation",
    "var.annotation",
    "ptr.annotation",
    "codeview.annotation",
    "allow.runtime.check",
    "allow.ubsan.check",
    // vectors
    "vector.reduce",
    "vector.insert",
    "vector.extract",
    "vector.reverse",
    "vector.splice",
    "vector.interleave2",
    "vector.deinterleave2",
];

/// Integer and bit intrinsics, allowed on the CPU and the GPU alike (NVPTX selects them
/// all).
pub(crate) const INTEGER_INTRINSICS: &[&str] = &[
    "abs",
    "smax",
    "smin",
    "umax",
    "umin",
    "scmp",
    "ucmp",
    "ctpop",
    "ctlz",
    "cttz",
    "bswap",
    "bitreverse",
    "fshl",
    "fshr",
    "sadd.with.overflow",
    "uadd.with.overflow",
    "ssub.with.overflow",
    "usub.with.overflow",
    "smul.with.overflow",
    "umul.with.overflow",
    "sadd.sat",
    "uadd.sat",
    "ssub.sat",
    "usub.sat",
    "sshl.sat",
    "ushl.sat",
];

/// Intrinsics refused with their own explanation: they stop or crash the server.
const TRAP_INTRINSICS: &[&str] = &["trap", "debugtrap", "ubsantrap"];

/// Whether `name` is `llvm.trap`, `llvm.debugtrap` or `llvm.ubsantrap` (any overload).
pub(crate) fn is_trap_intrinsic(name: &str) -> bool {
    name.strip_prefix("llvm.")
        .is_some_and(|rest| TRAP_INTRINSICS.iter().any(|f| in_family(rest, f)))
}

/// Whether `rest` (an intrinsic name without `llvm.`) is `family` or `family.<suffix>`.
pub(crate) fn in_family(rest: &str, family: &str) -> bool {
    rest == family
        || rest
            .strip_prefix(family)
            .is_some_and(|s| s.starts_with('.'))
}

/// Why a UDF may not call the intrinsic `name` (`llvm.…`), or `None` when it may.
pub(crate) fn intrinsic_refusal(name: &str) -> Option<String> {
    let rest = name.strip_prefix("llvm.")?;
    if is_trap_intrinsic(name) {
        return Some(format!(
            "the IR calls intrinsic `{name}`, which UDFs may not use: it raises a signal \
             that would stop the server"
        ));
    }
    if CPU_INTRINSICS
        .iter()
        .chain(INTEGER_INTRINSICS)
        .any(|f| in_family(rest, f))
    {
        return None;
    }
    Some(format!(
        "the IR calls intrinsic `{name}`, which is not on the allow-list of intrinsics UDFs \
         may use (math, bit operations, overflow arithmetic, memcpy/memset, hints)"
    ))
}

/// May the IR declare (and call) this external function?
pub(crate) fn is_allowed_external(name: &str) -> bool {
    if name.starts_with("llvm.") {
        return intrinsic_refusal(name).is_none();
    }
    libm_base(name).is_some() || crate::runtime::is_runtime_symbol(name)
}

/// May the JIT resolve this symbol from the process? The IR checks already ran; this is
/// the same allow-list plus what code generation introduces (libmvec variants, helpers).
pub(crate) fn is_allowed_link_symbol(name: &str) -> bool {
    if libm_base(name).is_some() || CODEGEN_HELPERS.contains(&name) {
        return true;
    }
    // libmvec's vector variants: _ZGV<isa><mask><vlen><params>_<libm name>
    name.strip_prefix("_ZGV")
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(_, base)| libm_base(base).is_some())
}

static INIT: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// Initialises LLVM's native and NVPTX targets and loads glibc's libmvec, once per process.
pub(crate) fn initialize_native_target() -> std::result::Result<(), String> {
    INIT.get_or_init(|| {
        Target::initialize_native(&InitializationConfig::default())?;
        Target::initialize_nvptx(&InitializationConfig::default());
        // Vector math: kernels call libmvec's variants (see `map_vector_math`), which the
        // JIT resolves from the process, so the library must be loaded into it.
        let libmvec = std::path::Path::new("libmvec.so.1");
        if inkwell::support::load_library_permanently(libmvec).is_err() {
            tracing::warn!("libmvec.so.1 not found: math functions will not vectorise");
        }
        Ok(())
    })
    .clone()
}

/// The host's triple, CPU name and CPU features, as LLVM detects them.
pub(crate) fn host_target() -> TargetSpec {
    TargetSpec {
        triple: TargetMachine::get_default_triple()
            .as_str()
            .to_string_lossy()
            .into_owned(),
        cpu: TargetMachine::get_host_cpu_name().to_string(),
        features: TargetMachine::get_host_cpu_features().to_string(),
    }
}

pub(crate) fn llvm_version() -> String {
    let (major, minor, patch) = inkwell::support::get_llvm_version();
    format!("{major}.{minor}.{patch}")
}

/// A copy of `bytes` in an LLVM memory buffer; the caller takes ownership.
pub(crate) fn memory_buffer_copy(bytes: &[u8], name: &str) -> LLVMMemoryBufferRef {
    let name = CString::new(name).unwrap_or_default();
    // SAFETY: LLVM copies `bytes` (adding a NUL terminator) before returning.
    unsafe {
        LLVMCreateMemoryBufferWithMemoryRangeCopy(bytes.as_ptr().cast(), bytes.len(), name.as_ptr())
    }
}

/// Errors LLVM reported through the context's diagnostic handler.
#[derive(Default)]
pub(crate) struct Diagnostics {
    errors: Mutex<Vec<String>>,
}

impl Diagnostics {
    pub(crate) fn check(&self, step: &str) -> Result<()> {
        let errors = std::mem::take(&mut *self.errors.lock());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Codegen(format!("{step}: {}", errors.join("; "))))
        }
    }
}

/// LLVM's default handler prints and calls `exit(1)` on an error diagnostic; this one
/// records it for the step that caused it to report.
extern "C" fn on_diagnostic(info: LLVMDiagnosticInfoRef, ctx: *mut c_void) {
    // SAFETY: `ctx` is the `Diagnostics` registered with this context, alive for as long
    // as the context (see `LlvmSession`); `info` is valid during the call.
    unsafe {
        let sink = &*(ctx as *const Diagnostics);
        if LLVMGetDiagInfoSeverity(info) == LLVMDiagnosticSeverity::LLVMDSError {
            let desc = LLVMGetDiagInfoDescription(info);
            let text = CStr::from_ptr(desc).to_string_lossy().into_owned();
            LLVMDisposeMessage(desc);
            sink.errors.lock().push(text);
        }
    }
}

/// An LLVM context whose diagnostics are captured instead of killing the process.
/// Field order matters: the context must drop before the sink it points at.
pub(crate) struct LlvmSession {
    pub(crate) context: Context,
    pub(crate) diagnostics: Box<Diagnostics>,
}

impl LlvmSession {
    pub(crate) fn new() -> Self {
        let context = Context::create();
        let diagnostics = Box::<Diagnostics>::default();
        // SAFETY: the boxed sink has a stable address and outlives `context` (field order).
        unsafe {
            LLVMContextSetDiagnosticHandler(
                (&context).as_ctx_ref(),
                Some(on_diagnostic),
                &*diagnostics as *const Diagnostics as *mut c_void,
            );
        }
        LlvmSession {
            context,
            diagnostics,
        }
    }
}

/// What [`build`] should produce.
pub(crate) struct BuildOutput {
    /// The object file, when asked for.
    pub object: Option<Vec<u8>>,
    /// The optimised module text, when asked for.
    pub optimized_ir: Option<String>,
    /// The target assembly, when asked for.
    pub assembly: Option<String>,
    /// Kernel entry symbols, in the order of the requested functions.
    pub kernel_symbols: Vec<String>,
    /// Phase times and kernel statistics (`link` and `compile_time` are the caller's).
    pub stats: ModuleStats,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildMode {
    pub emit_object: bool,
    pub emit_ir: bool,
    pub emit_asm: bool,
    pub vector_math: bool,
    /// Check the interrupt cell on every back edge of user code.
    pub interrupt_checks: bool,
    pub limits: IrLimits,
}

/// Kernel entry names: `udf_kernel_0`, `udf_kernel_1`, … in request order, on both
/// targets. A module is linked (or a PTX module loaded) on its own, so names need to be
/// unique within it only.
pub(crate) const KERNEL_PREFIX: &str = "udf_kernel_";

/// Renames the client's functions and globals whose names could clash with a kernel's.
/// Their names are free to change: all are internal by now, except the requested
/// functions, whose handles are held and which become internal once their kernel exists.
pub(crate) fn rename_clashing_symbols(module: &Module<'_>) {
    let values: Vec<_> = module
        .get_functions()
        .map(|f| f.as_value_ref())
        .chain(module.get_globals().map(|g| g.as_value_ref()))
        .collect();
    for v in values {
        let mut len = 0usize;
        // SAFETY: `v` is a live global value; its name is copied before renaming.
        let name = unsafe {
            let p = llvm_sys::core::LLVMGetValueName2(v, &mut len);
            String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len)).into_owned()
        };
        if name.starts_with(KERNEL_PREFIX) {
            let renamed = format!("client.{name}");
            // SAFETY: as above; LLVM copies the new name (and uniquifies it if taken).
            unsafe { LLVMSetValueName2(v, renamed.as_ptr().cast(), renamed.len()) };
        }
    }
}

/// The entry symbol of the `i`-th requested function's kernel. Every module is linked
/// into a JITDylib of its own (`jit.rs`), so names repeat across modules; being fixed,
/// they keep objects (and disk cache entries) independent of the process.
pub(crate) fn kernel_symbol(i: usize) -> String {
    format!("{KERNEL_PREFIX}{i}")
}

/// [`crate::check_ir`]: size limit, parse, verify, and the policy over the whole module
/// (every defined function is a root), without the per-function library allow-list.
pub(crate) fn check_ir(ir: &[u8], limits: &IrLimits) -> Result<Vec<String>> {
    policy::check_size(ir, limits)?;
    let session = LlvmSession::new();
    let module = parse_untrusted(&session.context, ir)?;
    session.diagnostics.check("parsing")?;
    module
        .verify()
        .map_err(|e| Error::Verify(e.to_string().trim().to_string()))?;
    let raw = module.as_mut_ptr();
    policy::check_module(raw, limits, &[])?;
    check_externals(&module, &MODULE_EXTERNALS)?;
    let roots: Vec<LLVMValueRef> = policy::functions(raw)
        .filter(|f| policy::is_defined(*f))
        .collect();
    policy::check_code(raw, &roots, limits)?;
    Ok(roots.into_iter().map(value_name).collect())
}

/// The functions a module defines (not those it only declares), in module order.
pub(crate) fn defined_functions(ir: &[u8]) -> Result<Vec<String>> {
    let session = LlvmSession::new();
    let module = parse_untrusted(&session.context, ir)?;
    session.diagnostics.check("parsing")?;
    Ok(module
        .get_functions()
        .filter(|f| f.count_basic_blocks() > 0)
        .map(|f| f.get_name().to_string_lossy().into_owned())
        .collect())
}

/// Parses, checks, generates kernels, optimises, and emits what `mode` asks for.
pub(crate) fn build(
    ir: &[u8],
    functions: &[FunctionSpec],
    tables: &[TableFunctionSpec],
    target: &TargetSpec,
    mode: BuildMode,
) -> Result<BuildOutput> {
    initialize_native_target().map_err(Error::Codegen)?;
    if functions.is_empty() && tables.is_empty() {
        return Err(Error::Signature("no functions to compile".into()));
    }
    policy::check_size(ir, &mode.limits)?;
    let mut stats = ModuleStats::default();
    let mut clock = PhaseClock::new();
    let session = LlvmSession::new();
    let diags = &session.diagnostics;
    let module = parse_untrusted(&session.context, ir)?;
    diags.check("parsing")?;
    stats.parse = clock.lap();
    module
        .verify()
        .map_err(|e| Error::Verify(e.to_string().trim().to_string()))?;
    let scalar_fns = functions
        .iter()
        .map(|spec| check_function(&module, spec))
        .collect::<Result<Vec<_>>>()?;
    let table_fns = tables
        .iter()
        .map(|spec| check_table_function(&module, spec))
        .collect::<Result<Vec<_>>>()?;
    let requested: Vec<&str> = functions
        .iter()
        .map(|f| f.symbol.as_str())
        .chain(tables.iter().map(|t| t.symbol.as_str()))
        .collect();
    policy::check_module(module.as_mut_ptr(), &mode.limits, &requested)?;
    stats.verify = clock.lap();
    let machine = target_machine(target, RelocMode::PIC, CodeModel::Small)?;
    stats.codegen = clock.lap();
    // Only what the requested functions can reach is checked and compiled: a HeavyDB
    // registration sends one module for all its functions, and a table function's
    // helpers must not make a scalar UDF beside it unusable.
    internalize(&module, &requested);
    module
        .run_passes("globaldce", &machine, PassBuilderOptions::create())
        .map_err(|e| Error::Internal(format!("dead code removal: {e}")))?;
    check_externals(&module, &CPU_EXTERNALS)?;
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    let roots: Vec<LLVMValueRef> = scalar_fns
        .iter()
        .chain(&table_fns)
        .map(|f| f.as_value_ref())
        .collect();
    policy::check_code(module.as_mut_ptr(), &roots, &mode.limits)?;
    stats.verify += clock.lap();

    // Debug info is of no use in JIT kernels, and moving instructions between blocks
    // (division guards) is simpler without debug records attached to them.
    module.strip_debug_info();
    if mode.vector_math {
        rewrite_libm_to_intrinsics(&module, |_| true);
    }
    rename_clashing_symbols(&module);
    let user_fns: Vec<FunctionValue<'_>> = module
        .get_functions()
        .filter(|f| f.count_basic_blocks() > 0)
        .collect();
    let fault_marker = instrument::declare_fault_marker(module.as_mut_ptr());
    let mut divisions = 0;
    for f in &user_fns {
        divisions += instrument::guard_divisions(f.as_value_ref(), fault_marker);
    }
    let mut kernel_symbols = Vec::with_capacity(functions.len());
    let mut ranges = Vec::with_capacity(2 * functions.len());
    for (i, (spec, f)) in functions.iter().zip(&scalar_fns).enumerate() {
        let name = kernel_symbol(i);
        f.set_linkage(Linkage::Internal);
        let built = KernelBuilder::new(&session.context, &module, *f, spec)?
            .emit(&name)
            .map_err(|e| Error::Internal(format!("building the kernel of {}: {e}", spec.symbol)))?;
        ranges.extend(built);
        kernel_symbols.push(name);
    }
    for (i, (spec, f)) in tables.iter().zip(&table_fns).enumerate() {
        let name = format!("{TABLE_KERNEL_PREFIX}{i}");
        f.set_linkage(Linkage::Internal);
        let range = emit_table_kernel(&session.context, &module, *f, spec, &name)
            .map_err(|e| Error::Internal(format!("building the kernel of {}: {e}", spec.symbol)))?;
        ranges.push(range);
        kernel_symbols.push(name);
    }
    inline_user_code(&session.context, &module, &machine, &user_fns, &ranges)?;
    let mut back_edges = 0;
    for range in &ranges {
        instrument::lower_faults(range, fault_marker);
        if mode.interrupt_checks {
            back_edges += instrument::check_back_edges(range);
        }
    }
    instrument::remove_fault_marker(fault_marker);
    // User allocas end up in the range functions; without probes a frame bigger than the
    // guard page could step over it into another mapping instead of faulting (which the
    // kernel guard turns into an error).
    for f in module
        .get_functions()
        .filter(|f| f.count_basic_blocks() > 0)
    {
        f.add_attribute(
            AttributeLoc::Function,
            session
                .context
                .create_string_attribute("probe-stack", "inline-asm"),
        );
    }
    tracing::trace!(divisions, back_edges, "guards added");
    module
        .verify()
        .map_err(|e| Error::Internal(format!("generated kernel does not verify: {e}")))?;
    diags.check("kernel generation")?;
    stats.generate = clock.lap();

    let options = PassBuilderOptions::create();
    options.set_loop_vectorization(true);
    options.set_loop_slp_vectorization(true);
    options.set_loop_unrolling(true);
    // Interleaving (unrolling vector loops ×4) nearly doubled compile time (42 → 24 ms
    // for hypexp) and bought nothing measurable: the kernels are memory-bound or bound by
    // opaque vector math calls.
    options.set_loop_interleaving(false);
    module
        .run_passes("default<O3>", &machine, options)
        .map_err(|e| Error::Codegen(format!("optimisation: {e}")))?;
    if mode.vector_math {
        map_vector_math(&module, target);
    }
    diags.check("optimisation")?;
    stats.optimise = clock.lap();
    // Read off the module code generation is about to consume; not a phase of its own.
    stats.kernels = kernel_stats(&module, functions, &kernel_symbols);
    clock.skip();

    let optimized_ir = mode.emit_ir.then(|| module.print_to_string().to_string());
    let object = if mode.emit_object {
        let buffer = machine
            .write_to_memory_buffer(&module, FileType::Object)
            .map_err(|e| Error::Codegen(format!("object emission: {e}")))?;
        diags.check("object emission")?;
        Some(buffer.as_slice().to_vec())
    } else {
        None
    };
    let assembly = if mode.emit_asm {
        let buffer = machine
            .write_to_memory_buffer(&module, FileType::Assembly)
            .map_err(|e| Error::Codegen(format!("assembly emission: {e}")))?;
        diags.check("assembly emission")?;
        Some(String::from_utf8_lossy(buffer.as_slice()).into_owned())
    } else {
        None
    };
    stats.codegen += clock.lap();
    stats.code_size = object.as_ref().map_or(0, Vec::len);
    tracing::debug!(stages = %PhaseLog(&stats), "built kernels");
    Ok(BuildOutput {
        object,
        optimized_ir,
        assembly,
        kernel_symbols,
        stats,
    })
}

/// Wall time since the previous lap, for phase times.
pub(crate) struct PhaseClock {
    last: std::time::Instant,
}

impl PhaseClock {
    pub(crate) fn new() -> Self {
        PhaseClock {
            last: std::time::Instant::now(),
        }
    }

    /// The time since the last lap (or the start).
    pub(crate) fn lap(&mut self) -> std::time::Duration {
        let now = std::time::Instant::now();
        let d = now - self.last;
        self.last = now;
        d
    }

    /// Starts the next phase now, leaving what ran since the last lap uncounted.
    pub(crate) fn skip(&mut self) {
        self.last = std::time::Instant::now();
    }
}

/// Phase times for the debug log.
pub(crate) struct PhaseLog<'a>(pub &'a ModuleStats);

impl std::fmt::Display for PhaseLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "parse {:.2} ms, verify {:.2} ms, generate {:.2} ms, optimise {:.2} ms, \
             codegen {:.2} ms",
            ms(s.parse),
            ms(s.verify),
            ms(s.generate),
            ms(s.optimise),
            ms(s.codegen)
        )
    }
}

/// Size and vectorisation of each kernel of the optimised `module` (request order).
pub(crate) fn kernel_stats(
    module: &Module<'_>,
    functions: &[FunctionSpec],
    kernels: &[String],
) -> Vec<KernelStats> {
    functions
        .iter()
        .zip(kernels)
        .map(|(spec, name)| {
            let mut stats = KernelStats {
                symbol: spec.symbol.clone(),
                kernel: name.clone(),
                instructions: 0,
                basic_blocks: 0,
                vector_width: None,
                interleave: None,
            };
            let Some(kernel) = module.get_function(name) else {
                return stats;
            };
            for f in reachable_definitions(kernel.as_value_ref()) {
                for block in blocks(f) {
                    stats.basic_blocks += 1;
                    stats.instructions += instructions(block).count();
                }
            }
            if let Some(dense) = module.get_function(&format!("{name}.dense")) {
                (stats.vector_width, stats.interleave) =
                    vectorisation(module, dense.as_value_ref());
            }
            stats
        })
        .collect()
}

/// The name of a global value (empty when it has none).
pub(crate) fn value_name(v: LLVMValueRef) -> String {
    let mut len = 0usize;
    // SAFETY: `v` is a live value; LLVM returns a borrowed pointer and its length, copied
    // before anything can change the name.
    unsafe {
        let p = llvm_sys::core::LLVMGetValueName2(v, &mut len);
        if p.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len)).into_owned()
    }
}

/// `f` and the defined functions it calls, directly or not, each once.
fn reachable_definitions(f: LLVMValueRef) -> Vec<LLVMValueRef> {
    let mut seen = vec![f];
    let mut next = 0;
    while next < seen.len() {
        let current = seen[next];
        next += 1;
        for block in blocks(current) {
            for inst in instructions(block) {
                // SAFETY: `inst` is a live instruction; the called operand of a call is a
                // live value (or null for other instructions, checked first).
                let callee = unsafe {
                    if LLVMIsACallInst(inst).is_null() && LLVMIsAInvokeInst(inst).is_null() {
                        continue;
                    }
                    LLVMIsAFunction(LLVMGetCalledValue(inst))
                };
                // SAFETY: `callee` is a live function.
                let defined = !callee.is_null() && unsafe { LLVMCountBasicBlocks(callee) } > 0;
                if defined && !seen.contains(&callee) {
                    seen.push(callee);
                }
            }
        }
    }
    seen
}

/// The basic blocks of the function `f`.
pub(crate) fn blocks(f: LLVMValueRef) -> impl Iterator<Item = LLVMBasicBlockRef> {
    // SAFETY: `f` is a live function; blocks are read while the module is unchanged.
    let first = unsafe { LLVMGetFirstBasicBlock(f) };
    std::iter::successors((!first.is_null()).then_some(first), |b| {
        // SAFETY: `b` is a live block of `f`.
        let n = unsafe { LLVMGetNextBasicBlock(*b) };
        (!n.is_null()).then_some(n)
    })
}

/// The instructions of `block`.
pub(crate) fn instructions(block: LLVMBasicBlockRef) -> impl Iterator<Item = LLVMValueRef> {
    // SAFETY: `block` is a live block; instructions are read while it is unchanged.
    let first = unsafe { LLVMGetFirstInstruction(block) };
    std::iter::successors((!first.is_null()).then_some(first), |i| {
        // SAFETY: `i` is a live instruction of `block`.
        let n = unsafe { LLVMGetNextInstruction(*i) };
        (!n.is_null()).then_some(n)
    })
}

/// For a `dense` range function: the lanes of its widest vector, and the vector stores of
/// the widest stored width (the interleave count), if the loop vectoriser widened its
/// loop (which marks it `llvm.loop.isvectorized`; SLP vectors alone do not count).
fn vectorisation(module: &Module<'_>, dense: LLVMValueRef) -> (Option<u32>, Option<u32>) {
    const LOOP_KIND: &str = "llvm.loop";
    // SAFETY: the context is live; LLVM copies the name.
    let loop_kind = unsafe {
        LLVMGetMDKindIDInContext(
            module.get_context().as_ctx_ref(),
            LOOP_KIND.as_ptr().cast(),
            LOOP_KIND.len() as u32,
        )
    };
    let mut vectorised = false;
    let mut widest = 0u32;
    let mut stores: Vec<u32> = Vec::new();
    for block in blocks(dense) {
        for inst in instructions(block) {
            // SAFETY: `inst` is a live instruction; types and metadata are read only.
            unsafe {
                if let Some(lanes) = vector_lanes(LLVMTypeOf(inst)) {
                    widest = widest.max(lanes);
                }
                if LLVMGetInstructionOpcode(inst) == LLVMOpcode::LLVMStore
                    && let Some(lanes) = vector_lanes(LLVMTypeOf(LLVMGetOperand(inst, 0)))
                {
                    widest = widest.max(lanes);
                    stores.push(lanes);
                }
                if !LLVMIsATerminatorInst(inst).is_null() {
                    let md = LLVMGetMetadata(inst, loop_kind);
                    vectorised |= !md.is_null() && loop_is_vectorised(md);
                }
            }
        }
    }
    if !vectorised || widest < 2 {
        return (None, None);
    }
    let store_width = stores.iter().copied().max();
    let interleave = store_width.map(|w| stores.iter().filter(|&&l| l == w).count() as u32);
    (Some(widest), interleave.filter(|&n| n > 0))
}

/// Lanes of a fixed vector type.
fn vector_lanes(ty: LLVMTypeRef) -> Option<u32> {
    // SAFETY: `ty` is a live type.
    unsafe {
        (LLVMGetTypeKind(ty) == LLVMTypeKind::LLVMVectorTypeKind).then(|| LLVMGetVectorSize(ty))
    }
}

/// Whether a loop ID node carries `!{!"llvm.loop.isvectorized", …}`.
fn loop_is_vectorised(loop_id: LLVMValueRef) -> bool {
    // SAFETY: `loop_id` is the metadata of a live instruction; operands are only read
    // after checking they are MD nodes and strings.
    unsafe {
        if LLVMIsAMDNode(loop_id).is_null() {
            return false;
        }
        let n = LLVMGetMDNodeNumOperands(loop_id) as usize;
        let mut ops = vec![std::ptr::null_mut(); n];
        LLVMGetMDNodeOperands(loop_id, ops.as_mut_ptr());
        ops.into_iter().any(|op| {
            if op.is_null() || op == loop_id || LLVMIsAMDNode(op).is_null() {
                return false;
            }
            let m = LLVMGetMDNodeNumOperands(op) as usize;
            if m == 0 {
                return false;
            }
            let mut inner = vec![std::ptr::null_mut(); m];
            LLVMGetMDNodeOperands(op, inner.as_mut_ptr());
            let first = inner[0];
            if first.is_null() || LLVMIsAMDString(first).is_null() {
                return false;
            }
            let mut len = 0u32;
            let p = LLVMGetMDString(first, &mut len);
            !p.is_null()
                && std::slice::from_raw_parts(p.cast::<u8>(), len as usize)
                    == b"llvm.loop.isvectorized"
        })
    }
}

fn is_bitcode(ir: &[u8]) -> bool {
    const BITCODE_MAGIC: [u8; 4] = [b'B', b'C', 0xC0, 0xDE];
    const WRAPPER_MAGIC: [u8; 4] = [0xDE, 0xC0, 0x17, 0x0B];
    ir.starts_with(&BITCODE_MAGIC) || ir.starts_with(&WRAPPER_MAGIC)
}

/// [`parse`] for IR from a client: text only, and what could crash LLVM's parser is
/// refused first (`probe.rs`). Bitcode is refused: its reader crashes on corrupt records
/// in ways that depend on heap contents, so a probe read that survived does not make the
/// server's read safe (seen in CI); clients send text anyway (Thrift strings are UTF-8).
pub(crate) fn parse_untrusted<'ctx>(context: &'ctx Context, ir: &[u8]) -> Result<Module<'ctx>> {
    if is_bitcode(ir) {
        return Err(Error::Parse(
            "LLVM bitcode is not accepted from clients: send LLVM IR text (LLVM's bitcode \
             reader is not hardened against malformed input)"
                .into(),
        ));
    }
    probe::check_text_nesting(ir)?;
    probe::probe_read(ir)?;
    parse(context, ir)
}

/// Parses LLVM text or bitcode; trusted input only (libdevice), see [`parse_untrusted`].
pub(crate) fn parse<'ctx>(context: &'ctx Context, ir: &[u8]) -> Result<Module<'ctx>> {
    if is_bitcode(ir) {
        let buffer = MemoryBuffer::create_from_memory_range_copy(ir, "udf.bc");
        Module::parse_bitcode_from_buffer(&buffer, context)
            .map_err(|e| Error::Parse(format!("bitcode: {}", e.to_string().trim())))
    } else {
        parse_text(context, ir)
    }
}

/// Parses text IR. Not `Context::create_module_from_ir`: with LLVM 22 it calls
/// `LLVMParseIRInContext2`, which leaves the buffer to the caller, and then forgets the
/// buffer, leaking a copy of every module read.
fn parse_text<'ctx>(context: &'ctx Context, ir: &[u8]) -> Result<Module<'ctx>> {
    let buffer = MemoryBuffer::create_from_memory_range_copy(ir, "udf.ll");
    let mut module = std::ptr::null_mut();
    let mut message = std::ptr::null_mut();
    // SAFETY: the context and buffer are live; the call only reads the buffer (which
    // `buffer` disposes of when dropped) and on failure sets `message`, which is copied
    // and then disposed of here.
    unsafe {
        let failed = llvm_sys::ir_reader::LLVMParseIRInContext2(
            context.as_ctx_ref(),
            buffer.as_mut_ptr(),
            &mut module,
            &mut message,
        ) != 0;
        if failed {
            let text = if message.is_null() {
                "the IR parser failed without a message".to_string()
            } else {
                let text = CStr::from_ptr(message).to_string_lossy().trim().to_string();
                LLVMDisposeMessage(message);
                text
            };
            return Err(Error::Parse(text));
        }
        Ok(Module::new(module))
    }
}

/// The function named by `spec`: defined, and of the declared type.
pub(crate) fn check_function<'ctx>(
    module: &Module<'ctx>,
    spec: &FunctionSpec,
) -> Result<FunctionValue<'ctx>> {
    let f = defined_function(module, &spec.symbol)?;
    let fn_type = f.get_type();
    let found = fn_type.print_to_string().to_string();
    // An array or text is passed as a pointer to its `{ptr, size, is_null}`; one returned
    // is written through a pointer before the arguments (`udf-abi.md` §4).
    let (ret, out_param) = match spec.signature.ret {
        ValueType::Scalar(t) => (Some(t.llvm_name()), None),
        ValueType::Array(_) | ValueType::Text => (None, Some("ptr")),
    };
    let ret_ok = match (fn_type.get_return_type(), ret) {
        (Some(t), Some(name)) => t.print_to_string().to_string() == name,
        (None, None) => true,
        _ => false,
    };
    let expected: Vec<&str> = out_param
        .into_iter()
        .chain(spec.signature.args.iter().map(|a| match a {
            ValueType::Scalar(t) => t.llvm_name(),
            ValueType::Array(_) | ValueType::Text => "ptr",
        }))
        .collect();
    if !(ret_ok && params_match(fn_type, &expected)) {
        return Err(Error::SignatureMismatch {
            symbol: spec.symbol.clone(),
            declared: spec.signature.to_string(),
            found,
        });
    }
    Ok(f)
}

/// Whether `fn_type` takes exactly the parameters `expected` (LLVM spellings), no varargs.
fn params_match(fn_type: inkwell::types::FunctionType<'_>, expected: &[&str]) -> bool {
    let params = fn_type.get_param_types();
    !fn_type.is_var_arg()
        && params.len() == expected.len()
        && params
            .iter()
            .zip(expected)
            .all(|(p, e)| p.print_to_string().to_string() == *e)
}

/// The by-value LLVM type of a scalar (`udf-abi.md` §1: bool is `i8`).
pub(crate) fn scalar_llvm_type(context: &Context, t: ScalarType) -> BasicTypeEnum<'_> {
    match t {
        ScalarType::Bool | ScalarType::Int8 => context.i8_type().into(),
        ScalarType::Int16 => context.i16_type().into(),
        ScalarType::Int32 => context.i32_type().into(),
        ScalarType::Int64 => context.i64_type().into(),
        ScalarType::Float32 => context.f32_type().into(),
        ScalarType::Float64 => context.f64_type().into(),
    }
}

/// The function `symbol` the module defines (with a body).
fn defined_function<'ctx>(module: &Module<'ctx>, symbol: &str) -> Result<FunctionValue<'ctx>> {
    let Some(f) = module.get_function(symbol) else {
        let defined: Vec<String> = module
            .get_functions()
            .filter(|f| f.count_basic_blocks() > 0 && f.get_linkage() != Linkage::Private)
            .map(|f| f.get_name().to_string_lossy().into_owned())
            .collect();
        let hint = if defined.is_empty() {
            " (the IR defines no functions)".to_string()
        } else {
            format!(" (the IR defines: {})", defined.join(", "))
        };
        return Err(Error::MissingSymbol {
            symbol: symbol.to_string(),
            hint,
        });
    };
    if f.count_basic_blocks() == 0 {
        return Err(Error::MissingSymbol {
            symbol: symbol.to_string(),
            hint: " (it is only declared, without a body)".into(),
        });
    }
    Ok(f)
}

/// The table function `spec` names, checked against its signature: `i32 f([ptr mgr,]
/// inputs…, outputs…)` with every column, column list and output passed by pointer.
pub(crate) fn check_table_function<'ctx>(
    module: &Module<'ctx>,
    spec: &TableFunctionSpec,
) -> Result<FunctionValue<'ctx>> {
    let f = defined_function(module, &spec.symbol)?;
    let fn_type = f.get_type();
    let expected: Vec<&str> = spec
        .signature
        .ir_params()
        .iter()
        .map(|p| match p {
            IrParam::Pointer => "ptr",
            IrParam::Value(t) => t.llvm_name(),
        })
        .collect();
    let ret_ok = fn_type
        .get_return_type()
        .is_some_and(|t| t.print_to_string().to_string() == "i32");
    if !(ret_ok && params_match(fn_type, &expected)) {
        let by_value = fn_type.get_param_types().iter().any(|p| p.is_struct_type());
        return Err(Error::SignatureMismatch {
            symbol: spec.symbol.clone(),
            declared: if by_value {
                format!(
                    "{} (columns are passed by pointer: compile with the module flag \
                     pass_column_arguments_by_value = 0, as rbc does)",
                    spec.signature
                )
            } else {
                spec.signature.to_string()
            },
            found: fn_type.print_to_string().to_string(),
        });
    }
    Ok(f)
}

/// Prefix of the generated table function kernels.
pub(crate) const TABLE_KERNEL_PREFIX: &str = "udf_table_kernel_";

/// Emits `i64 name(i64 _, ptr args, ptr out, ptr _, ptr interrupt)` (the
/// `kernel::RawKernelFn` shape, so the fault guard calls it like a column kernel): `args[j]`
/// points at the table function's parameter j — a by-value parameter is loaded from
/// there, a pointer parameter is that address — and the function's `i32` result is
/// stored sign-extended to `*out`. The kernel is itself the range function its user code
/// is inlined into, with no loop of its own: the function's loops get interrupt checks
/// and its divisions guards, like a scalar UDF's.
fn emit_table_kernel<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    f: FunctionValue<'ctx>,
    spec: &TableFunctionSpec,
    name: &str,
) -> BuildResult<instrument::RangeFunction> {
    let ptr = context.ptr_type(AddressSpace::default());
    let i64t = context.i64_type();
    let kernel_type = i64t.fn_type(
        &[i64t.into(), ptr.into(), ptr.into(), ptr.into(), ptr.into()],
        false,
    );
    let kernel = module.add_function(name, kernel_type, Some(Linkage::External));
    let nounwind = Attribute::get_named_enum_kind_id("nounwind");
    kernel.add_attribute(
        AttributeLoc::Function,
        context.create_enum_attribute(nounwind, 0),
    );
    let params = kernel.get_params();
    let args_ptr = params[1].into_pointer_value();
    let out = params[2].into_pointer_value();
    let interrupt = params[4].into_pointer_value();
    let builder = context.create_builder();
    builder.position_at_end(context.append_basic_block(kernel, "entry"));
    let mut values: Vec<BasicMetadataValueEnum> = Vec::new();
    for (j, param) in spec.signature.ir_params().iter().enumerate() {
        // SAFETY (IR semantics): `args` holds one pointer per parameter (TableKernel::run).
        let slot = unsafe {
            builder.build_in_bounds_gep(
                ptr,
                args_ptr,
                &[i64t.const_int(j as u64, false)],
                "param.slot",
            )?
        };
        let at = builder
            .build_load(ptr, slot, "param.at")?
            .into_pointer_value();
        values.push(match param {
            IrParam::Pointer => at.into(),
            IrParam::Value(t) => builder
                .build_load(scalar_llvm_type(context, *t), at, "param")?
                .into(),
        });
    }
    let call = builder.build_call(f, &values, "rows")?;
    let rows = match call.try_as_basic_value() {
        ValueKind::Basic(v) => v.into_int_value(),
        ValueKind::Instruction(_) => return Err(inkwell::builder::BuilderError::UnsetPosition),
    };
    let wide = builder.build_int_s_extend(rows, i64t, "rows.i64")?;
    builder.build_store(out, wide)?;
    builder.build_return(Some(&i64t.const_zero()))?;
    Ok(instrument::RangeFunction {
        function: kernel.as_value_ref(),
        interrupt: interrupt.as_value_ref(),
        own_loop_headers: Vec::new(),
    })
}

/// What a target lets a module reference.
pub(crate) struct ExternalPolicy {
    /// `None` when the module may call the declared function `name`, else why not.
    pub refusal: fn(name: &str) -> Option<String>,
    /// Refuse what the NVPTX back end cannot compile and, instead of reporting an error,
    /// aborts the process on ("unsupported library call operation"): `x86_fp80`,
    /// `fp128` and `ppc_fp128` values, and conversions between floating point and
    /// integers wider than 64 bits.
    pub nvptx_checks: bool,
    /// Refuse external globals (the library allow-list is part of `refusal`).
    pub libraries: bool,
}

/// The CPU allow-list: the intrinsics of `CPU_INTRINSICS` and `INTEGER_INTRINSICS`, and
/// libm.
pub(crate) const CPU_EXTERNALS: ExternalPolicy = ExternalPolicy {
    refusal: |name| {
        if name.starts_with("llvm.") {
            return intrinsic_refusal(name);
        }
        (!is_allowed_external(name)).then(|| {
            format!(
                "the IR calls external function `{name}`, which UDFs may not use \
                 (allowed: LLVM intrinsics, libm math functions such as sqrt, exp, sin, pow, \
                 and allocate_varlen_buffer)"
            )
        })
    },
    nvptx_checks: false,
    libraries: true,
};

/// What [`crate::check_ir`] applies to a whole module: the intrinsic allow-list and
/// inline assembly only. Which library functions and external globals a module may use is
/// decided per registered function (a HeavyDB module also carries table functions that
/// call the HeavyDB runtime, which scalar UDFs never reach).
pub(crate) const MODULE_EXTERNALS: ExternalPolicy = ExternalPolicy {
    refusal: |name| {
        if name.starts_with("llvm.") {
            intrinsic_refusal(name)
        } else {
            None
        }
    },
    nvptx_checks: false,
    libraries: false,
};

/// Refuses references outside the allow-list: undeclared-library functions, external
/// globals, inline assembly (in a function or at module level). Unused declarations are
/// dropped instead.
pub(crate) fn check_externals(module: &Module<'_>, policy: &ExternalPolicy) -> Result<()> {
    let mut unused = Vec::new();
    for f in module.get_functions() {
        if f.count_basic_blocks() > 0 {
            continue;
        }
        let name = f.get_name().to_string_lossy().into_owned();
        let Some(why) = (policy.refusal)(&name) else {
            continue;
        };
        if f.as_global_value()
            .as_pointer_value()
            .get_first_use()
            .is_none()
        {
            unused.push(f);
            continue;
        }
        return Err(Error::Refused(why));
    }
    for f in unused {
        // SAFETY: the declaration has no uses, so deleting it leaves no dangling reference.
        unsafe { f.delete() };
    }
    for g in module.get_globals() {
        if policy.libraries && g.get_initializer().is_none() {
            return Err(Error::Refused(format!(
                "the IR references external global `{}`; UDFs may not read or write \
                 host memory",
                g.get_name().to_string_lossy()
            )));
        }
    }
    let mut asm_len = 0usize;
    // SAFETY: `module` is live; LLVM returns a borrowed pointer and its length.
    unsafe { LLVMGetModuleInlineAsm(module.as_mut_ptr(), &mut asm_len) };
    if asm_len > 0 {
        return Err(Error::Refused(
            "the IR contains module-level inline assembly, which UDFs may not use".into(),
        ));
    }
    for f in module.get_functions() {
        for block in f.get_basic_block_iter() {
            for inst in block.get_instructions() {
                if policy.nvptx_checks {
                    check_nvptx_types(&f, &inst)?;
                }
                let op = inst.get_opcode();
                if !matches!(
                    op,
                    InstructionOpcode::Call | InstructionOpcode::CallBr | InstructionOpcode::Invoke
                ) {
                    continue;
                }
                let n = inst.get_num_operands();
                let Some(callee) = n.checked_sub(1).and_then(|i| inst.get_operand(i)) else {
                    continue;
                };
                let Operand::Value(callee) = callee else {
                    continue;
                };
                // SAFETY: `callee` is a live value of this module.
                let is_asm = unsafe { !LLVMIsAInlineAsm(callee.as_value_ref()).is_null() };
                if is_asm {
                    return Err(Error::Refused(format!(
                        "function `{}` contains inline assembly, which UDFs may not use",
                        f.get_name().to_string_lossy()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Refuses an instruction that produces or takes an `x86_fp80`, `fp128` or `ppc_fp128`
/// value (or a vector of them), or converts between floating point and an integer wider
/// than 64 bits: the NVPTX back end would call a library that does not exist on the GPU
/// and, failing to, abort the process.
fn check_nvptx_types(f: &FunctionValue<'_>, inst: &InstructionValue<'_>) -> Result<()> {
    fn wide(ty: LLVMTypeRef) -> Option<&'static str> {
        // SAFETY: `ty` is a live type of the module's context.
        unsafe {
            match LLVMGetTypeKind(ty) {
                LLVMTypeKind::LLVMX86_FP80TypeKind => Some("x86_fp80"),
                LLVMTypeKind::LLVMFP128TypeKind => Some("fp128"),
                LLVMTypeKind::LLVMPPC_FP128TypeKind => Some("ppc_fp128"),
                LLVMTypeKind::LLVMVectorTypeKind | LLVMTypeKind::LLVMScalableVectorTypeKind => {
                    wide(LLVMGetElementType(ty))
                }
                _ => None,
            }
        }
    }
    /// The bit width of an integer type (or of a vector's elements), else 0.
    fn int_bits(ty: LLVMTypeRef) -> u32 {
        // SAFETY: `ty` is a live type of the module's context.
        unsafe {
            match LLVMGetTypeKind(ty) {
                LLVMTypeKind::LLVMIntegerTypeKind => LLVMGetIntTypeWidth(ty),
                LLVMTypeKind::LLVMVectorTypeKind | LLVMTypeKind::LLVMScalableVectorTypeKind => {
                    int_bits(LLVMGetElementType(ty))
                }
                _ => 0,
            }
        }
    }
    let name = || f.get_name().to_string_lossy().into_owned();
    let value = inst.as_value_ref();
    // SAFETY: `value` is a live instruction; operand indices stay below its count.
    let types: Vec<LLVMTypeRef> = unsafe {
        std::iter::once(value)
            .chain((0..LLVMGetNumOperands(value).max(0) as u32).map(|i| LLVMGetOperand(value, i)))
            .filter(|v| !v.is_null())
            .map(|v| LLVMTypeOf(v))
            .collect()
    };
    if let Some(ty) = types.iter().find_map(|t| wide(*t)) {
        return Err(Error::Refused(format!(
            "function `{}` computes with `{ty}`, which the NVPTX back end cannot compile",
            name()
        )));
    }
    let converts = match inst.get_opcode() {
        InstructionOpcode::FPToSI
        | InstructionOpcode::FPToUI
        | InstructionOpcode::SIToFP
        | InstructionOpcode::UIToFP => true,
        // `llvm.fptosi.sat.*` / `llvm.fptoui.sat.*`: the callee is the last operand.
        InstructionOpcode::Call => inst
            .get_operand(inst.get_num_operands().saturating_sub(1))
            .and_then(|op| op.value())
            .and_then(|callee| {
                let callee = callee.as_value_ref();
                let mut len = 0usize;
                // SAFETY: `callee` is a live value; the name is borrowed for this call.
                let bytes = unsafe {
                    let p = llvm_sys::core::LLVMGetValueName2(callee, &mut len);
                    (!p.is_null()).then(|| std::slice::from_raw_parts(p.cast::<u8>(), len))
                };
                bytes
                    .map(|b| b.starts_with(b"llvm.fptosi.sat") || b.starts_with(b"llvm.fptoui.sat"))
            })
            .unwrap_or(false),
        _ => false,
    };
    if converts && types.iter().any(|t| int_bits(*t) > 64) {
        return Err(Error::Refused(format!(
            "function `{}` converts between floating point and an integer wider than 64 \
             bits, which the NVPTX back end cannot compile",
            name()
        )));
    }
    Ok(())
}

/// A target machine for `target`; the JIT wants position-independent, small-model code,
/// PTX emission LLVM's defaults.
pub(crate) fn target_machine(
    target: &TargetSpec,
    reloc: RelocMode,
    code_model: CodeModel,
) -> Result<TargetMachine> {
    let triple = TargetTriple::create(&target.triple);
    let t = Target::from_triple(&triple)
        .map_err(|e| Error::Codegen(format!("target `{}`: {e}", target.triple)))?;
    t.create_target_machine(
        &triple,
        &target.cpu,
        &target.features,
        OptimizationLevel::Aggressive,
        reloc,
        code_model,
    )
    .ok_or_else(|| {
        Error::Codegen(format!(
            "cannot create a target machine for {} / {} / {}",
            target.triple, target.cpu, target.features
        ))
    })
}

/// Replaces calls to libm functions by their LLVM intrinsics (same type, no `errno`), for
/// the libm names `which` accepts.
pub(crate) fn rewrite_libm_to_intrinsics(module: &Module<'_>, which: impl Fn(&str) -> bool) {
    let functions: Vec<_> = module.get_functions().collect();
    for f in functions {
        if f.count_basic_blocks() > 0 {
            continue;
        }
        let name = f.get_name().to_string_lossy().into_owned();
        let Some(base) = libm_base(&name).filter(|b| which(b)) else {
            continue;
        };
        let Some(&(_, intrinsic_name)) = LIBM_INTRINSICS.iter().find(|(l, _)| *l == base) else {
            continue;
        };
        let fn_type = f.get_type();
        let Some(ret) = fn_type.get_return_type() else {
            continue;
        };
        let is_float = ret.is_float_type();
        let params = fn_type.get_param_types();
        if !is_float || params.iter().any(|p| *p != ret.into()) {
            continue;
        }
        let Some(intrinsic) = Intrinsic::find(intrinsic_name) else {
            continue;
        };
        let Some(decl) = intrinsic.get_declaration(module, &[ret]) else {
            continue;
        };
        if decl.get_type() != fn_type {
            continue;
        }
        // SAFETY: both are functions of the same type in the same module, so every call
        // site stays well-typed after the replacement.
        unsafe { LLVMReplaceAllUsesWith(f.as_value_ref(), decl.as_value_ref()) };
        // SAFETY: all uses were just moved to the intrinsic.
        unsafe { f.delete() };
    }
}

/// Redirects vector math intrinsics (`llvm.exp.v4f64`) to glibc's libmvec variants
/// (`_ZGVdN4v_exp`), named by the x86 vector function ABI: `_ZGV`, the ISA letter
/// (b = SSE, c = AVX, d = AVX2, e = AVX-512), `N` (unmasked), the lane count, one `v` per
/// vector parameter, `_`, the libm name. Only variants this process can resolve are used;
/// the rest stay intrinsics, which code generation scalarises into libm calls.
///
/// LLVM's vectoriser knows these mappings too (`-vector-library=LIBMVEC`), but through
/// its C API the library info never sees that option, so the mapping is done here.
fn map_vector_math(module: &Module<'_>, target: &TargetSpec) {
    if !target.triple.starts_with("x86_64") {
        return;
    }
    let avx2 = target.features.contains("+avx2")
        || matches!(target.cpu.as_str(), "x86-64-v3" | "x86-64-v4");
    let functions: Vec<_> = module.get_functions().collect();
    for f in functions {
        let name = f.get_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("llvm.") else {
            continue;
        };
        let Some((op, vector)) = rest.split_once(".v") else {
            continue;
        };
        let Some(base) = LIBM_INTRINSICS
            .iter()
            .find(|(_, i)| i.strip_prefix("llvm.") == Some(op))
            .map(|(l, _)| *l)
        else {
            continue;
        };
        let (lanes, elem_bits, suffix) = if let Some(l) = vector.strip_suffix("f64") {
            (l, 64, "")
        } else if let Some(l) = vector.strip_suffix("f32") {
            (l, 32, "f")
        } else {
            continue;
        };
        let Ok(lanes) = lanes.parse::<u32>() else {
            continue;
        };
        let isa = match lanes * elem_bits {
            128 => 'b',
            256 if avx2 => 'd',
            256 => 'c',
            512 => 'e',
            _ => continue,
        };
        let params = "v".repeat(f.count_params() as usize);
        let variant = format!("_ZGV{isa}N{lanes}{params}_{base}{suffix}");
        if inkwell::support::search_for_address_of_symbol(&variant).is_none() {
            continue;
        }
        let decl = module.get_function(&variant).unwrap_or_else(|| {
            module.add_function(&variant, f.get_type(), Some(Linkage::External))
        });
        // SAFETY: the variant is declared with the intrinsic's own type, so every call
        // site stays well-typed.
        unsafe { LLVMReplaceAllUsesWith(f.as_value_ref(), decl.as_value_ref()) };
        // SAFETY: all uses were just moved to the variant.
        unsafe { f.delete() };
    }
}

/// Makes every definition but the requested functions internal, so that only kernels end
/// up exported: Numba helpers of different modules cannot clash, and code the requested
/// functions do not reach is dropped.
pub(crate) fn internalize(module: &Module<'_>, keep: &[&str]) {
    for f in module.get_functions() {
        let name = f.get_name().to_bytes();
        if f.count_basic_blocks() > 0 && !keep.iter().any(|k| k.as_bytes() == name) {
            f.set_linkage(Linkage::Internal);
        }
    }
    for g in module.get_globals() {
        if g.get_initializer().is_some() {
            g.set_linkage(Linkage::Internal);
        }
    }
}

/// Inlines every user function (`user_fns`) into the range functions, so that all user
/// code is there for the instrumentation; the call graph is a DAG (`policy::check_code`
/// refused recursion) and its inlined size was checked. A call that could not be inlined
/// is refused.
fn inline_user_code(
    context: &Context,
    module: &Module<'_>,
    machine: &TargetMachine,
    user_fns: &[FunctionValue<'_>],
    ranges: &[instrument::RangeFunction],
) -> Result<()> {
    for f in user_fns {
        prepare_for_inlining(context, *f);
    }
    module
        .run_passes("always-inline", machine, PassBuilderOptions::create())
        .map_err(|e| Error::Internal(format!("inlining: {e}")))?;
    let user: std::collections::HashSet<LLVMValueRef> =
        user_fns.iter().map(|f| f.as_value_ref()).collect();
    for range in ranges {
        for block in blocks(range.function) {
            for inst in instructions(block) {
                // SAFETY: `inst` is a live instruction; a call's called operand is live.
                let callee = unsafe {
                    if LLVMIsACallInst(inst).is_null() {
                        continue;
                    }
                    LLVMGetCalledValue(inst)
                };
                if user.contains(&callee) {
                    return Err(policy::refused_instruction(
                        &value_name(callee),
                        inst,
                        "this call cannot be inlined into the kernel (all user code must be, \
                         for the interrupt and division checks)",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The scalar function is inlined into its kernel loop: that is what lets it vectorise.
pub(crate) fn prepare_for_inlining(context: &Context, f: FunctionValue<'_>) {
    for name in ["noinline", "optnone"] {
        let kind = Attribute::get_named_enum_kind_id(name);
        f.remove_enum_attribute(AttributeLoc::Function, kind);
    }
    let always = Attribute::get_named_enum_kind_id("alwaysinline");
    f.add_attribute(
        AttributeLoc::Function,
        context.create_enum_attribute(always, 0),
    );
}

pub(crate) type BuildResult<T> = std::result::Result<T, inkwell::builder::BuilderError>;

/// Emits, for one scalar function `f(a1..ak) -> r`, the kernel
/// `i64 name(i64 n, ptr args, ptr out, ptr validity, ptr interrupt)` (see
/// `kernel::RawKernelFn`):
///
/// * dense path (`validity == null`): one branch-free loop over all rows;
/// * masked path: per 64-row word of the validity bitmap, an all-valid word runs the
///   dense loop, an all-NULL word is zero-filled, a mixed word tests each bit, and the
///   rows after the last whole word are tested bit by bit.
///
/// Both count how many computed results equal the return type's NULL sentinel. The rows
/// are computed in two range functions (dense, checked) that user code is inlined into;
/// when one of them stops early (interrupt, division fault: `instrument.rs`) it returns
/// a negative marker, which the kernel returns at once.
struct KernelBuilder<'a, 'ctx> {
    context: &'ctx Context,
    module: &'a Module<'ctx>,
    builder: Builder<'ctx>,
    scalar: FunctionValue<'ctx>,
    spec: &'a FunctionSpec,
    /// The return type: a scalar, or `None` for an array or text, which the function
    /// writes through a pointer to the row's `{ptr, i64, i8}` in `out`.
    ret: Option<ScalarType>,
    /// Headers of the loops `emit_loop` made, for the instrumentation to leave alone.
    loop_headers: std::cell::RefCell<Vec<LLVMBasicBlockRef>>,
}

/// Where one argument's rows are.
#[derive(Clone, Copy)]
enum ArgColumn<'ctx> {
    /// Packed scalars.
    Values(PointerValue<'ctx>),
    /// An array or text column (`KernelArg::Buffers`): elements, `i32` offsets, NULL
    /// bitmap (never null: the host passes an all-valid one). In a range function, `slot`
    /// is the `{ptr, i64, i8}` the function gets a pointer to, rebuilt for every row.
    Buffers {
        values: PointerValue<'ctx>,
        offsets: PointerValue<'ctx>,
        nulls: PointerValue<'ctx>,
        slot: Option<PointerValue<'ctx>>,
    },
}

impl<'ctx> ArgColumn<'ctx> {
    fn pointers(&self) -> Vec<PointerValue<'ctx>> {
        match *self {
            ArgColumn::Values(p) => vec![p],
            ArgColumn::Buffers {
                values,
                offsets,
                nulls,
                ..
            } => vec![values, offsets, nulls],
        }
    }
}

/// Where the loops of one kernel read and write.
struct Columns<'ctx> {
    args: Vec<ArgColumn<'ctx>>,
    out: PointerValue<'ctx>,
    validity: PointerValue<'ctx>,
    interrupt: PointerValue<'ctx>,
}

impl<'a, 'ctx> KernelBuilder<'a, 'ctx> {
    fn new(
        context: &'ctx Context,
        module: &'a Module<'ctx>,
        scalar: FunctionValue<'ctx>,
        spec: &'a FunctionSpec,
    ) -> Result<Self> {
        let ret = spec.signature.ret.scalar();
        Ok(KernelBuilder {
            context,
            module,
            builder: context.create_builder(),
            scalar,
            spec,
            ret,
            loop_headers: Default::default(),
        })
    }

    /// Pointers per row range in `args`: one per scalar argument, three per buffer.
    fn slot_count(&self) -> usize {
        self.spec
            .signature
            .args
            .iter()
            .map(|a| if a.is_buffer() { 3 } else { 1 })
            .sum()
    }

    /// The argument columns over consecutive `pointers` (as `slot_count` counts them).
    fn arg_columns(&self, pointers: &[PointerValue<'ctx>]) -> Vec<ArgColumn<'ctx>> {
        let null = self.context.ptr_type(AddressSpace::default()).const_null();
        let mut next = pointers.iter().copied();
        let mut take = || next.next().unwrap_or(null);
        self.spec
            .signature
            .args
            .iter()
            .map(|a| {
                if a.is_buffer() {
                    ArgColumn::Buffers {
                        values: take(),
                        offsets: take(),
                        nulls: take(),
                        slot: None,
                    }
                } else {
                    ArgColumn::Values(take())
                }
            })
            .collect()
    }

    /// The type of one row of `out`: the scalar, or an array's or text's struct.
    fn out_type(&self) -> BasicTypeEnum<'ctx> {
        match self.ret {
            Some(t) => self.llvm_type(t),
            None => self.buffer_type().into(),
        }
    }

    fn buffer_type(&self) -> inkwell::types::StructType<'ctx> {
        buffer_struct_type(self.context)
    }

    fn i64(&self, v: u64) -> IntValue<'ctx> {
        self.context.i64_type().const_int(v, false)
    }

    fn llvm_type(&self, t: ScalarType) -> BasicTypeEnum<'ctx> {
        scalar_llvm_type(self.context, t)
    }

    /// Emits the kernel `name`; returns its two range functions.
    fn emit(&self, name: &str) -> BuildResult<[instrument::RangeFunction; 2]> {
        let ctx = self.context;
        let ptr = ctx.ptr_type(AddressSpace::default());
        let i64t = ctx.i64_type();
        // The scalar function is inlined into these two only; the kernel calls them per
        // range, so the optimiser vectorises the function once, not once per caller.
        let (dense, dense_range) = self.emit_range_function(&format!("{name}.dense"), false)?;
        let (checked, checked_range) =
            self.emit_range_function(&format!("{name}.checked"), true)?;

        let kernel_type = i64t.fn_type(
            &[i64t.into(), ptr.into(), ptr.into(), ptr.into(), ptr.into()],
            false,
        );
        let kernel = self
            .module
            .add_function(name, kernel_type, Some(Linkage::External));
        for i in 1..=3u32 {
            self.add_attribute(kernel, AttributeLoc::Param(i), "noalias");
        }
        self.add_attribute(kernel, AttributeLoc::Function, "nounwind");

        let params = kernel.get_params();
        let n = params[0].into_int_value();
        let args_ptr = params[1].into_pointer_value();
        let out = params[2].into_pointer_value();
        let validity = params[3].into_pointer_value();
        let interrupt = params[4].into_pointer_value();

        let entry = ctx.append_basic_block(kernel, "entry");
        self.builder.position_at_end(entry);
        let mut pointers = Vec::with_capacity(self.slot_count());
        for i in 0..self.slot_count() {
            // SAFETY (IR semantics): `args` holds `slot_count` pointers (Kernel::run_args).
            let slot = unsafe {
                self.builder.build_in_bounds_gep(
                    ptr,
                    args_ptr,
                    &[self.i64(i as u64)],
                    "arg.slot",
                )?
            };
            pointers.push(
                self.builder
                    .build_load(ptr, slot, "arg.col")?
                    .into_pointer_value(),
            );
        }
        let cols = Columns {
            args: self.arg_columns(&pointers),
            out,
            validity,
            interrupt,
        };

        let dense_block = ctx.append_basic_block(kernel, "dense");
        let masked_block = ctx.append_basic_block(kernel, "masked");
        let no_validity = self.builder.build_is_null(validity, "no.validity")?;
        self.builder
            .build_conditional_branch(no_validity, dense_block, masked_block)?;

        self.builder.position_at_end(dense_block);
        let hits = self.call_range(dense, &cols, self.i64(0), n, false)?;
        self.builder.build_return(Some(&hits))?;

        self.builder.position_at_end(masked_block);
        let hits = self.emit_masked(kernel, &cols, n, dense, checked)?;
        self.builder.build_return(Some(&hits))?;
        Ok([dense_range, checked_range])
    }

    fn add_attribute(&self, f: FunctionValue<'ctx>, loc: AttributeLoc, name: &str) {
        let kind = Attribute::get_named_enum_kind_id(name);
        f.add_attribute(loc, self.context.create_enum_attribute(kind, 0));
    }

    /// `i64 name(i64 lo, i64 hi, ptr arg1, …, ptr out[, ptr validity], ptr interrupt)`:
    /// the rows `lo..hi`, all of them (dense) or those whose validity bit is set
    /// (checked). Returns the number of NULL-sentinel results.
    fn emit_range_function(
        &self,
        name: &str,
        checked: bool,
    ) -> BuildResult<(FunctionValue<'ctx>, instrument::RangeFunction)> {
        let ctx = self.context;
        let ptr = ctx.ptr_type(AddressSpace::default());
        let i64t = ctx.i64_type();
        let slots = self.slot_count();
        let pointers = slots + 1 + checked as usize;
        let mut param_types: Vec<BasicMetadataTypeEnum> = vec![i64t.into(), i64t.into()];
        param_types.extend(std::iter::repeat_n(
            BasicMetadataTypeEnum::from(ptr),
            pointers + 1,
        ));
        let f = self.module.add_function(
            name,
            i64t.fn_type(&param_types, false),
            Some(Linkage::Internal),
        );
        for i in 2..2 + pointers as u32 {
            self.add_attribute(f, AttributeLoc::Param(i), "noalias");
        }
        self.add_attribute(f, AttributeLoc::Function, "nounwind");
        self.add_attribute(f, AttributeLoc::Function, "noinline");

        let params = f.get_params();
        let lo = params[0].into_int_value();
        let hi = params[1].into_int_value();
        let k = slots;
        let slot_pointers: Vec<PointerValue<'ctx>> = params[2..2 + k]
            .iter()
            .map(|p| p.into_pointer_value())
            .collect();
        let mut cols = Columns {
            args: self.arg_columns(&slot_pointers),
            out: params[2 + k].into_pointer_value(),
            validity: if checked {
                params[3 + k].into_pointer_value()
            } else {
                ptr.const_null()
            },
            interrupt: params[2 + pointers].into_pointer_value(),
        };
        self.builder
            .position_at_end(ctx.append_basic_block(f, "entry"));
        // One struct per buffer argument, in the entry block (a static alloca, which SROA
        // can split into registers once the function is inlined).
        for arg in &mut cols.args {
            if let ArgColumn::Buffers { slot, .. } = arg {
                *slot = Some(self.builder.build_alloca(self.buffer_type(), "arg.buf")?);
            }
        }
        self.loop_headers.borrow_mut().clear();
        let hits = self.emit_range_loop(f, &cols, lo, hi, checked)?;
        self.builder.build_return(Some(&hits))?;
        let range = instrument::RangeFunction {
            function: f.as_value_ref(),
            interrupt: cols.interrupt.as_value_ref(),
            own_loop_headers: std::mem::take(&mut *self.loop_headers.borrow_mut()),
        };
        Ok((f, range))
    }

    fn call_range(
        &self,
        f: FunctionValue<'ctx>,
        cols: &Columns<'ctx>,
        lo: IntValue<'ctx>,
        hi: IntValue<'ctx>,
        checked: bool,
    ) -> BuildResult<IntValue<'ctx>> {
        let mut args: Vec<BasicMetadataValueEnum> = vec![lo.into(), hi.into()];
        args.extend(
            cols.args
                .iter()
                .flat_map(|a| a.pointers())
                .map(BasicMetadataValueEnum::from),
        );
        args.push(cols.out.into());
        if checked {
            args.push(cols.validity.into());
        }
        args.push(cols.interrupt.into());
        let call = self.builder.build_call(f, &args, "range.hits")?;
        match call.try_as_basic_value() {
            ValueKind::Basic(v) => Ok(v.into_int_value()),
            ValueKind::Instruction(_) => Err(inkwell::builder::BuilderError::UnsetPosition),
        }
    }

    /// Computes row `i`: loads the arguments, calls the function, stores the result.
    /// Returns 1 (i64) when the result is the NULL sentinel, else 0.
    fn emit_row(&self, cols: &Columns<'ctx>, i: IntValue<'ctx>) -> BuildResult<IntValue<'ctx>> {
        let mut values: Vec<BasicMetadataValueEnum> = Vec::with_capacity(cols.args.len());
        for (col, ty) in cols.args.iter().zip(&self.spec.signature.args) {
            match (*col, ty.scalar()) {
                (ArgColumn::Values(col), Some(t)) => {
                    let t = self.llvm_type(t);
                    // SAFETY (IR semantics): `i < n` and each column holds n values.
                    let p = unsafe { self.builder.build_in_bounds_gep(t, col, &[i], "a.p")? };
                    values.push(self.builder.build_load(t, p, "a")?.into());
                }
                (
                    ArgColumn::Buffers {
                        values: elements,
                        offsets,
                        nulls,
                        slot: Some(slot),
                    },
                    None,
                ) => {
                    let element = ty.element().unwrap_or(ScalarType::Int8);
                    self.emit_buffer(elements, offsets, nulls, slot, element, i)?;
                    values.push(slot.into());
                }
                _ => return Err(inkwell::builder::BuilderError::UnsetPosition),
            }
        }
        let Some(ret) = self.ret else {
            // An array or text: the function writes the row's struct, the host checks it.
            // SAFETY (IR semantics): `out` holds n result structs.
            let slot = unsafe {
                self.builder
                    .build_in_bounds_gep(self.buffer_type(), cols.out, &[i], "o.p")?
            };
            values.insert(0, slot.into());
            let call = self.builder.build_call(self.scalar, &values, "")?;
            call.set_call_convention(self.scalar.get_call_conventions());
            return Ok(self.i64(0));
        };
        let call = self.builder.build_call(self.scalar, &values, "r")?;
        call.set_call_convention(self.scalar.get_call_conventions());
        let ValueKind::Basic(result) = call.try_as_basic_value() else {
            return Err(inkwell::builder::BuilderError::UnsetPosition);
        };
        let rt = self.llvm_type(ret);
        // SAFETY (IR semantics): `out` holds n values of the return type.
        let p = unsafe {
            self.builder
                .build_in_bounds_gep(rt, cols.out, &[i], "o.p")?
        };
        self.builder.build_store(p, result)?;
        let bits_type = match ret.width() {
            1 => self.context.i8_type(),
            2 => self.context.i16_type(),
            4 => self.context.i32_type(),
            _ => self.context.i64_type(),
        };
        let bits = match ret {
            ScalarType::Float32 | ScalarType::Float64 => self
                .builder
                .build_bit_cast(result, bits_type, "r.bits")?
                .into_int_value(),
            _ => result.into_int_value(),
        };
        let sentinel = bits_type.const_int(ret.null_sentinel_bits(), false);
        let is_null = self
            .builder
            .build_int_compare(IntPredicate::EQ, bits, sentinel, "r.null")?;
        self.builder
            .build_int_z_extend(is_null, self.context.i64_type(), "r.null64")
    }

    fn emit_buffer(
        &self,
        elements: PointerValue<'ctx>,
        offsets: PointerValue<'ctx>,
        nulls: PointerValue<'ctx>,
        slot: PointerValue<'ctx>,
        element: ScalarType,
        i: IntValue<'ctx>,
    ) -> BuildResult<()> {
        emit_buffer_row(
            &self.builder,
            self.context,
            BufferColumn {
                elements,
                offsets,
                nulls,
            },
            slot,
            element,
            i,
        )
    }

    /// Stores the zero value for row `i` (a row skipped because an argument is NULL).
    fn emit_zero_row(&self, cols: &Columns<'ctx>, i: IntValue<'ctx>) -> BuildResult<()> {
        let rt = self.out_type();
        // SAFETY (IR semantics): `out` holds n values.
        let p = unsafe {
            self.builder
                .build_in_bounds_gep(rt, cols.out, &[i], "z.p")?
        };
        self.builder.build_store(p, rt.const_zero())?;
        Ok(())
    }

    /// A loop over rows `lo..hi` at the builder's position that computes every row
    /// (dense) or only rows whose validity bit is set (checked); returns the number of
    /// NULL-sentinel results, with the builder left at the loop's exit.
    fn emit_range_loop(
        &self,
        kernel: FunctionValue<'ctx>,
        cols: &Columns<'ctx>,
        lo: IntValue<'ctx>,
        hi: IntValue<'ctx>,
        checked: bool,
    ) -> BuildResult<IntValue<'ctx>> {
        if !checked {
            return self.emit_loop(kernel, lo, hi, self.i64(0), |i, hits| {
                let hit = self.emit_row(cols, i)?;
                self.builder.build_int_add(hits, hit, "hits")
            });
        }
        self.emit_loop(kernel, lo, hi, self.i64(0), |i, hits| {
            let b = &self.builder;
            let i8t = self.context.i8_type();
            let byte_index = b.build_right_shift(i, self.i64(3), false, "byte.i")?;
            // SAFETY (IR semantics): the bitmap holds ceil(n/8) bytes and i < n.
            let byte_ptr =
                unsafe { b.build_in_bounds_gep(i8t, cols.validity, &[byte_index], "byte.p")? };
            let byte = b.build_load(i8t, byte_ptr, "byte")?.into_int_value();
            let bit_index = b.build_and(i, self.i64(7), "bit.i")?;
            let bit_index = b.build_int_truncate(bit_index, i8t, "bit.i8")?;
            let shifted = b.build_right_shift(byte, bit_index, false, "bit.s")?;
            let bit = b.build_and(shifted, i8t.const_int(1, false), "bit")?;
            let valid = b.build_int_compare(IntPredicate::NE, bit, i8t.const_zero(), "valid")?;
            let compute = self.context.append_basic_block(kernel, "row.valid");
            let skip = self.context.append_basic_block(kernel, "row.null");
            let join = self.context.append_basic_block(kernel, "row.join");
            b.build_conditional_branch(valid, compute, skip)?;
            b.position_at_end(compute);
            let hit = self.emit_row(cols, i)?;
            let compute_end = b.get_insert_block().unwrap_or(compute);
            b.build_unconditional_branch(join)?;
            b.position_at_end(skip);
            self.emit_zero_row(cols, i)?;
            b.build_unconditional_branch(join)?;
            b.position_at_end(join);
            let phi = b.build_phi(self.context.i64_type(), "hit")?;
            phi.add_incoming(&[(&hit, compute_end), (&self.i64(0), skip)]);
            b.build_int_add(hits, phi.as_basic_value().into_int_value(), "hits")
        })
    }

    /// `for i in lo..hi { hits = body(i, hits) }`; the builder ends at the exit block.
    fn emit_loop(
        &self,
        kernel: FunctionValue<'ctx>,
        lo: IntValue<'ctx>,
        hi: IntValue<'ctx>,
        hits_in: IntValue<'ctx>,
        body: impl Fn(IntValue<'ctx>, IntValue<'ctx>) -> BuildResult<IntValue<'ctx>>,
    ) -> BuildResult<IntValue<'ctx>> {
        let b = &self.builder;
        let i64t = self.context.i64_type();
        let pre = b
            .get_insert_block()
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?;
        let header = self.context.append_basic_block(kernel, "loop");
        self.loop_headers.borrow_mut().push(header.as_mut_ptr());
        let exit = self.context.append_basic_block(kernel, "loop.exit");
        let any = b.build_int_compare(IntPredicate::ULT, lo, hi, "loop.any")?;
        b.build_conditional_branch(any, header, exit)?;

        b.position_at_end(header);
        let i = b.build_phi(i64t, "i")?;
        let hits = b.build_phi(i64t, "hits.acc")?;
        let i_val = i.as_basic_value().into_int_value();
        let new_hits = body(i_val, hits.as_basic_value().into_int_value())?;
        let next = b.build_int_add(i_val, self.i64(1), "i.next")?;
        let latch = b
            .get_insert_block()
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?;
        let more = b.build_int_compare(IntPredicate::ULT, next, hi, "loop.more")?;
        b.build_conditional_branch(more, header, exit)?;
        i.add_incoming(&[(&lo, pre), (&next, latch)]);
        hits.add_incoming(&[(&hits_in, pre), (&new_hits, latch)]);

        b.position_at_end(exit);
        let out = b.build_phi(i64t, "hits.out")?;
        out.add_incoming(&[(&hits_in, pre), (&new_hits, latch)]);
        Ok(out.as_basic_value().into_int_value())
    }

    fn emit_masked(
        &self,
        kernel: FunctionValue<'ctx>,
        cols: &Columns<'ctx>,
        n: IntValue<'ctx>,
        dense: FunctionValue<'ctx>,
        checked: FunctionValue<'ctx>,
    ) -> BuildResult<IntValue<'ctx>> {
        let b = &self.builder;
        let ctx = self.context;
        let i64t = ctx.i64_type();
        let words = b.build_right_shift(n, self.i64(6), false, "words")?;
        let hits = self.emit_loop(kernel, self.i64(0), words, self.i64(0), |w, hits| {
            // SAFETY (IR semantics): word w < n/64 lies inside the ceil(n/8)-byte bitmap.
            let word_ptr = unsafe {
                b.build_in_bounds_gep(
                    ctx.i8_type(),
                    cols.validity,
                    &[b.build_left_shift(w, self.i64(3), "w.byte")?],
                    "w.p",
                )?
            };
            let load = b.build_load(i64t, word_ptr, "w.bits")?;
            // The bitmap is a byte array: its words need not be 8-byte aligned.
            if let Some(inst) = load.as_instruction_value() {
                inst.set_alignment(1)
                    .map_err(|_| inkwell::builder::BuilderError::UnsetPosition)?;
            }
            let mask = load.into_int_value();
            let lo = b.build_left_shift(w, self.i64(6), "w.lo")?;
            let hi = b.build_int_add(lo, self.i64(64), "w.hi")?;

            let full = ctx.append_basic_block(kernel, "word.full");
            let not_full = ctx.append_basic_block(kernel, "word.notfull");
            let empty = ctx.append_basic_block(kernel, "word.empty");
            let mixed = ctx.append_basic_block(kernel, "word.mixed");
            let join = ctx.append_basic_block(kernel, "word.join");
            let is_full =
                b.build_int_compare(IntPredicate::EQ, mask, i64t.const_all_ones(), "w.full")?;
            b.build_conditional_branch(is_full, full, not_full)?;

            b.position_at_end(full);
            let full_hits = self.call_range(dense, cols, lo, hi, false)?;
            b.build_unconditional_branch(join)?;

            b.position_at_end(not_full);
            let is_empty =
                b.build_int_compare(IntPredicate::EQ, mask, i64t.const_zero(), "w.empty")?;
            b.build_conditional_branch(is_empty, empty, mixed)?;

            b.position_at_end(empty);
            let rt = self.out_type();
            // SAFETY (IR semantics): rows lo..lo+64 are inside the n-row output.
            let dst = unsafe { b.build_in_bounds_gep(rt, cols.out, &[lo], "z.p")? };
            let bytes = self.i64(64 * self.ret.map_or(24, |t| t.width() as u64));
            b.build_memset(dst, 1, ctx.i8_type().const_zero(), bytes)?;
            b.build_unconditional_branch(join)?;

            b.position_at_end(mixed);
            let mixed_hits = self.call_range(checked, cols, lo, hi, true)?;
            b.build_unconditional_branch(join)?;

            b.position_at_end(join);
            let phi = b.build_phi(i64t, "w.hits")?;
            phi.add_incoming(&[
                (&full_hits, full),
                (&self.i64(0), empty),
                (&mixed_hits, mixed),
            ]);
            let word_hits = phi.as_basic_value().into_int_value();
            // A range function that stopped early returns a negative marker: stop too.
            let stopped = ctx.append_basic_block(kernel, "word.stopped");
            let next = ctx.append_basic_block(kernel, "word.next");
            let is_stopped =
                b.build_int_compare(IntPredicate::SLT, word_hits, i64t.const_zero(), "w.stop")?;
            b.build_conditional_branch(is_stopped, stopped, next)?;
            b.position_at_end(stopped);
            b.build_return(Some(&word_hits))?;
            b.position_at_end(next);
            b.build_int_add(hits, word_hits, "hits")
        })?;
        let tail_lo = b.build_left_shift(words, self.i64(6), "tail.lo")?;
        let tail_hits = self.call_range(checked, cols, tail_lo, n, true)?;
        let total = b.build_int_add(hits, tail_hits, "hits.total")?;
        let tail_stopped =
            b.build_int_compare(IntPredicate::SLT, tail_hits, i64t.const_zero(), "tail.stop")?;
        Ok(
            b.build_select(tail_stopped, tail_hits, total, "hits.result")?
                .into_int_value(),
        )
    }
}

/// `{ptr, i64, i8}`: an array or text as the function sees it (udf-abi.md §3).
pub(crate) fn buffer_struct_type(ctx: &Context) -> inkwell::types::StructType<'_> {
    ctx.struct_type(
        &[
            ctx.ptr_type(AddressSpace::default()).into(),
            ctx.i64_type().into(),
            ctx.i8_type().into(),
        ],
        false,
    )
}

/// An array or text column in a kernel's parameters (Arrow's list/UTF-8 layout).
#[derive(Clone, Copy)]
pub(crate) struct BufferColumn<'ctx> {
    pub elements: PointerValue<'ctx>,
    /// `i32` offsets, n + 1.
    pub offsets: PointerValue<'ctx>,
    /// NULL bitmap at bit offset 0 (set = present), never null.
    pub nulls: PointerValue<'ctx>,
}

/// Fills `slot` with row `i` of a buffer column: `{elements + offsets[i] * width,
/// offsets[i + 1] - offsets[i], NULL-bitmap bit i clear}`. Shared by the CPU and GPU
/// kernels.
pub(crate) fn emit_buffer_row<'ctx>(
    b: &Builder<'ctx>,
    ctx: &'ctx Context,
    column: BufferColumn<'ctx>,
    slot: PointerValue<'ctx>,
    element: ScalarType,
    i: IntValue<'ctx>,
) -> BuildResult<()> {
    let BufferColumn {
        elements,
        offsets,
        nulls,
    } = column;
    let (i32t, i64t, i8t) = (ctx.i32_type(), ctx.i64_type(), ctx.i8_type());
    let next = b.build_int_add(i, i64t.const_int(1, false), "b.next")?;
    // SAFETY (IR semantics): the offsets hold n + 1 values and i < n.
    let (start_p, end_p) = unsafe {
        (
            b.build_in_bounds_gep(i32t, offsets, &[i], "b.start.p")?,
            b.build_in_bounds_gep(i32t, offsets, &[next], "b.end.p")?,
        )
    };
    let start = b.build_load(i32t, start_p, "b.start")?.into_int_value();
    let end = b.build_load(i32t, end_p, "b.end")?.into_int_value();
    let start = b.build_int_s_extend(start, i64t, "b.start64")?;
    let end = b.build_int_s_extend(end, i64t, "b.end64")?;
    let size = b.build_int_nsw_sub(end, start, "b.size")?;
    // SAFETY (IR semantics): offsets[i] lies within the elements (checked by the host).
    let data = unsafe {
        b.build_in_bounds_gep(scalar_llvm_type(ctx, element), elements, &[start], "b.data")?
    };
    let byte_index = b.build_right_shift(i, i64t.const_int(3, false), false, "b.byte.i")?;
    // SAFETY (IR semantics): the bitmap holds ceil(n/8) bytes and i < n.
    let byte_ptr = unsafe { b.build_in_bounds_gep(i8t, nulls, &[byte_index], "b.byte.p")? };
    let byte = b.build_load(i8t, byte_ptr, "b.byte")?.into_int_value();
    let bit_index = b.build_int_truncate(
        b.build_and(i, i64t.const_int(7, false), "b.bit.i")?,
        i8t,
        "b.bit.i8",
    )?;
    let bit = b.build_and(
        b.build_right_shift(byte, bit_index, false, "b.bit.s")?,
        i8t.const_int(1, false),
        "b.valid",
    )?;
    let is_null = b.build_xor(bit, i8t.const_int(1, false), "b.null")?;
    let ty = buffer_struct_type(ctx);
    for (field, value) in [
        (0, inkwell::values::BasicValueEnum::from(data)),
        (1, size.into()),
        (2, is_null.into()),
    ] {
        let p = b.build_struct_gep(ty, slot, field, "b.field")?;
        b.build_store(p, value)?;
    }
    Ok(())
}

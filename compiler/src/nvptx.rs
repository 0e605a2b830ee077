//! The GPU path: IR → checked module with one `ptx_kernel` per function → libdevice
//! linked → O3 → PTX text, with LLVM's NVPTX back end.
//!
//! Kernel ABI (`udf-abi.md` §8 leaves it to the server):
//! `void kernel(i64 n, ptr arg0, …, ptr out, ptr valid)` in `ptx_kernel` calling
//! convention; the pointers address device global memory; `valid` holds one byte per row
//! (non-zero = every argument is non-NULL) or is null when every row is valid. A
//! grid-stride loop over the rows writes `out[i] = f(arg0[i], …)` for valid rows and the
//! return type's NULL sentinel for the others.

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{FlagBehavior, Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, FileType, RelocMode, TargetMachine};
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum};
use inkwell::values::{
    AsValueRef, BasicMetadataValueEnum, BasicValueEnum, FunctionValue, IntValue, PointerValue,
};
use inkwell::{AddressSpace, IntPredicate};
use llvm_sys::core::{LLVMReplaceAllUsesWith, LLVMSetValueName2};
use llvm_sys::linker::LLVMLinkModules2;

use crate::compiler::{FunctionSpec, IrLimits, TargetSpec};
use crate::error::{Error, Result};
use crate::libdevice::Libdevice;
use crate::llvm::{
    self, BuildResult, CPU_EXTERNALS, ExternalPolicy, LlvmSession, PhaseClock, PhaseLog, libm_base,
};
use crate::policy;
use crate::stats::ModuleStats;
use crate::types::ScalarType;

/// The NVPTX 64-bit CUDA triple.
pub(crate) const TRIPLE: &str = "nvptx64-nvidia-cuda";

/// `CallingConv::PTX_Kernel`: what marks a kernel since LLVM 20 (the `nvvm.annotations`
/// `"kernel"` metadata is only auto-upgraded from old bitcode).
const PTX_KERNEL_CC: u32 = 71;

/// The compute capabilities LLVM 22's NVPTX back end knows, each with the lowest PTX ISA
/// version supporting it (what LLVM picks by default): the most widely loadable PTX.
pub(crate) const COMPUTE_CAPABILITIES: &[(u32, u32)] = &[
    (30, 32),
    (32, 40),
    (35, 32),
    (37, 41),
    (50, 40),
    (52, 41),
    (53, 42),
    (60, 50),
    (61, 50),
    (62, 50),
    (70, 60),
    (72, 61),
    (75, 63),
    (80, 70),
    (86, 71),
    (87, 74),
    (88, 90),
    (89, 78),
    (90, 78),
    (100, 86),
    (101, 86),
    (103, 88),
    (110, 90),
    (120, 87),
    (121, 88),
];

/// libm functions that NVPTX compiles to instructions through their LLVM intrinsic
/// (`sqrt` → `sqrt.rn.f64`); every other libm function becomes its libdevice twin
/// (`exp` → `__nv_exp`, `expf` → `__nv_expf`).
const NATIVE_LIBM: &[&str] = &[
    "sqrt",
    "fabs",
    "floor",
    "ceil",
    "trunc",
    "round",
    "rint",
    "nearbyint",
    "fma",
    "copysign",
    "fmin",
    "fmax",
];

/// LLVM math intrinsics NVPTX cannot lower (it aborts: "Cannot select"), rewritten to
/// libdevice: `llvm.<op>.f64` → `__nv_<op>`, `llvm.<op>.f32` → `__nv_<op>f`.
const LIBDEVICE_INTRINSICS: &[&str] = &[
    "exp", "exp2", "exp10", "log", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "pow",
];

/// Generic LLVM intrinsics NVPTX compiles (exact name or name prefix before `.`), checked
/// with LLVM 22 at sm_50 and sm_80. Everything else is refused, because the NVPTX back
/// end aborts the process on what it cannot select instead of reporting an error.
const NVPTX_INTRINSICS: &[&str] = &[
    // memory, hints, debug info
    "memcpy",
    "memcpy.inline",
    "memmove",
    "memset",
    "memset.inline",
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
    "objectsize",
    "is.constant",
    "annotation",
    "var.annotation",
    "ptr.annotation",
    // floating point the back end lowers itself
    "sqrt",
    "fabs",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "nearbyint",
    "round",
    "roundeven",
    "fma",
    "fmuladd",
    "minnum",
    "maxnum",
    "minimum",
    "maximum",
    "minimumnum",
    "maximumnum",
    "copysign",
    "canonicalize",
    "is.fpclass",
    "fptosi.sat",
    "fptoui.sat",
    "ldexp",
    "frexp",
    // vectors (scalarised)
    "vector.reduce",
];

/// NVVM intrinsics a UDF may call itself: the thread and block indices. (libdevice's
/// own NVVM calls are not checked: it is trusted and written for every architecture.)
const NVVM_SREGS: &[&str] = &[
    "tid.x", "tid.y", "tid.z", "ntid.x", "ntid.y", "ntid.z", "ctaid.x", "ctaid.y", "ctaid.z",
    "nctaid.x", "nctaid.y", "nctaid.z", "laneid", "warpsize",
];

const GPU_EXTERNALS: ExternalPolicy = ExternalPolicy {
    refusal: gpu_refusal,
    nvptx_checks: true,
    libraries: true,
};

fn gpu_refusal(name: &str) -> Option<String> {
    if name.starts_with("__nv_") {
        return None;
    }
    if let Some(sreg) = name.strip_prefix("llvm.nvvm.read.ptx.sreg.")
        && NVVM_SREGS.contains(&sreg)
    {
        return None;
    }
    if llvm::is_trap_intrinsic(name) {
        // Same policy as on the CPU: a trap would take down the CUDA context of the server.
        return llvm::intrinsic_refusal(name);
    }
    if let Some(rest) = name.strip_prefix("llvm.") {
        let known = NVPTX_INTRINSICS
            .iter()
            .chain(llvm::INTEGER_INTRINSICS)
            .any(|f| llvm::in_family(rest, f));
        if known {
            return None;
        }
        return Some(format!(
            "the IR calls intrinsic `{name}`, which GPU UDFs may not use: the NVPTX back \
             end cannot compile it or it is not on the GPU allow-list"
        ));
    }
    if crate::runtime::is_runtime_symbol(name) {
        return Some(format!(
            "the IR calls `{name}`, a runtime function of the CPU only: functions that \
             allocate run on the CPU"
        ));
    }
    // Same wording as on the CPU, naming what the GPU allows instead.
    (CPU_EXTERNALS.refusal)(name).map(|_| {
        format!(
            "the IR calls external function `{name}`, which GPU UDFs may not use (allowed: \
             libm math functions such as sqrt, exp, sin, pow, libdevice `__nv_*` functions \
             and LLVM intrinsics)"
        )
    })
}

/// The NVPTX target for a compute capability (80 → `sm_80`, `+ptx70`).
pub(crate) fn target(compute_capability: u32) -> Result<TargetSpec> {
    let Some(&(_, ptx)) = COMPUTE_CAPABILITIES
        .iter()
        .find(|(cc, _)| *cc == compute_capability)
    else {
        let known: Vec<String> = COMPUTE_CAPABILITIES
            .iter()
            .map(|(cc, _)| cc.to_string())
            .collect();
        return Err(Error::Codegen(format!(
            "compute capability {compute_capability} is not one LLVM's NVPTX back end knows \
             (known: {})",
            known.join(", ")
        )));
    };
    Ok(TargetSpec {
        triple: TRIPLE.into(),
        cpu: format!("sm_{compute_capability}"),
        features: format!("+ptx{ptx}"),
    })
}

fn target_machine(target: &TargetSpec) -> Result<TargetMachine> {
    llvm::initialize_native_target().map_err(Error::Codegen)?;
    llvm::target_machine(target, RelocMode::Default, CodeModel::Default)
}

/// The data layout LLVM uses for `nvptx64-nvidia-cuda`.
pub(crate) fn data_layout() -> Result<String> {
    let machine = target_machine(&target(80)?)?;
    Ok(machine
        .get_target_data()
        .get_data_layout()
        .as_str()
        .to_string_lossy()
        .into_owned())
}

/// What [`build`] produces.
pub(crate) struct PtxBuild {
    pub ptx: String,
    pub kernels: Vec<String>,
    pub target: TargetSpec,
    pub libdevice_linked: bool,
    /// Phase times (`link` and `compile_time` are the caller's) and kernel statistics.
    pub stats: ModuleStats,
}

/// Parses, checks, retargets, links libdevice, generates kernels, optimises and emits PTX.
pub(crate) fn build(
    ir: &[u8],
    functions: &[FunctionSpec],
    compute_capability: u32,
    libdevice: &Libdevice,
    limits: &IrLimits,
) -> Result<PtxBuild> {
    llvm::initialize_native_target().map_err(Error::Codegen)?;
    policy::check_size(ir, limits)?;
    if functions.is_empty() {
        return Err(Error::Signature("no functions to compile".into()));
    }
    if let Some(f) = functions.iter().find(|f| f.signature.ret.is_buffer()) {
        return Err(Error::Refused(format!(
            "`{}` ({}) returns an array or text, which runs on the CPU only: its buffer \
             comes from allocate_varlen_buffer, a runtime function of the CPU",
            f.symbol, f.signature
        )));
    }
    let target = target(compute_capability)?;
    let mut stats = ModuleStats::default();
    let mut clock = PhaseClock::new();
    let session = LlvmSession::new();
    let diags = &session.diagnostics;
    let module = llvm::parse_untrusted(&session.context, ir)?;
    diags.check("parsing")?;
    stats.parse = clock.lap();
    module
        .verify()
        .map_err(|e| Error::Verify(e.to_string().trim().to_string()))?;
    let scalar_fns = functions
        .iter()
        .map(|spec| llvm::check_function(&module, spec))
        .collect::<Result<Vec<_>>>()?;
    let requested: Vec<&str> = functions.iter().map(|f| f.symbol.as_str()).collect();
    policy::check_module(module.as_mut_ptr(), limits, &requested)?;
    stats.verify = clock.lap();

    let machine = target_machine(&target)?;
    stats.codegen = clock.lap();
    retarget(&module, &machine);
    llvm::internalize(&module, &requested);
    module
        .run_passes("globaldce", &machine, PassBuilderOptions::create())
        .map_err(|e| Error::Internal(format!("dead code removal: {e}")))?;
    rewrite_math(&module)?;
    llvm::check_externals(&module, &GPU_EXTERNALS)?;
    // The same policy as on the CPU (no recursion, no indirect calls, bounded stack, …);
    // the kernels are not instrumented (see ARCHITECTURE.md).
    let roots: Vec<_> = scalar_fns.iter().map(|f| f.as_value_ref()).collect();
    policy::check_code(module.as_mut_ptr(), &roots, limits)?;
    stats.verify += clock.lap();

    let needed = needed_libdevice_functions(&module);
    let libdevice_linked = !needed.is_empty();
    if libdevice_linked {
        let lib = libdevice.provide(&needed)?.lazy_module(&session, &needed)?;
        link(&session, &module, lib, &machine)?;
        module
            .verify()
            .map_err(|e| Error::Internal(format!("module with libdevice does not verify: {e}")))?;
    }

    let kernels: Vec<String> = (0..functions.len()).map(llvm::kernel_symbol).collect();
    llvm::rename_clashing_symbols(&module);
    for ((spec, f), name) in functions.iter().zip(&scalar_fns).zip(&kernels) {
        f.set_linkage(Linkage::Internal);
        llvm::prepare_for_inlining(&session.context, *f);
        PtxKernelBuilder::new(&session.context, &module, *f, spec)
            .emit(name)
            .map_err(|e| Error::Internal(format!("building the kernel of {}: {e}", spec.symbol)))?;
    }
    // Only the kernels stay visible: libdevice and the client's functions are inlined or
    // dropped.
    for f in module.get_functions() {
        let name = f.get_name().to_string_lossy();
        if f.count_basic_blocks() > 0 && !kernels.iter().any(|k| *k == name) {
            f.set_linkage(Linkage::Internal);
        }
    }
    // libdevice's `__nvvm_reflect("__CUDA_FTZ")`: keep float32 denormals (IEEE), as on CPU.
    if module.get_flag("nvvm-reflect-ftz").is_none() {
        module.add_basic_value_flag(
            "nvvm-reflect-ftz",
            FlagBehavior::Override,
            session.context.i32_type().const_zero(),
        );
    }
    module
        .verify()
        .map_err(|e| Error::Internal(format!("generated kernel does not verify: {e}")))?;
    diags.check("kernel generation")?;
    stats.generate = clock.lap();

    // The NVPTX target machine puts NVVMReflect (with this target's `__CUDA_ARCH`) at the
    // start of the O3 pipeline. Running the `nvvm-reflect` pass by name instead would
    // answer `__CUDA_ARCH` with 0.
    module
        .run_passes("default<O3>", &machine, PassBuilderOptions::create())
        .map_err(|e| Error::Codegen(format!("optimisation: {e}")))?;
    diags.check("optimisation")?;
    module
        .verify()
        .map_err(|e| Error::Internal(format!("optimised module does not verify: {e}")))?;
    stats.optimise = clock.lap();
    stats.kernels = llvm::kernel_stats(&module, functions, &kernels);
    clock.skip();

    let buffer = machine
        .write_to_memory_buffer(&module, FileType::Assembly)
        .map_err(|e| Error::Codegen(format!("PTX emission: {e}")))?;
    diags.check("PTX emission")?;
    let ptx = String::from_utf8_lossy(buffer.as_slice()).into_owned();
    check_ptx(&ptx, &kernels)?;
    stats.codegen += clock.lap();
    stats.code_size = ptx.len();
    tracing::debug!(stages = %PhaseLog(&stats), cpu = %target.cpu, "built PTX");
    Ok(PtxBuild {
        ptx,
        kernels,
        target,
        libdevice_linked,
        stats,
    })
}

/// Host code generation attributes dropped when retargeting: CPU selection (NVPTX would
/// warn on stderr about an unknown processor), instrumentation calling host functions,
/// and stack protection, which NVPTX cannot lower and aborts the process on ("unable
/// to lower stackguard", "Bad address space").
const HOST_STRING_ATTRIBUTES: &[&str] = &[
    "target-cpu",
    "target-features",
    "tune-cpu",
    "stack-protector-buffer-size",
    "instrument-function-entry",
    "instrument-function-exit",
    "instrument-function-entry-inlined",
    "instrument-function-exit-inlined",
    "function-instrument",
];
const HOST_ENUM_ATTRIBUTES: &[&str] = &["ssp", "sspstrong", "sspreq", "safestack"];

/// Gives the module the NVPTX triple and data layout (client GPU IR carries a legacy
/// layout; CPU IR a host triple), and drops what belongs to another target or would put
/// paths into the PTX: host attributes and debug info.
fn retarget(module: &Module<'_>, machine: &TargetMachine) {
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    module.strip_debug_info();
    for f in module.get_functions() {
        for attr in HOST_STRING_ATTRIBUTES {
            f.remove_string_attribute(AttributeLoc::Function, attr);
        }
        for attr in HOST_ENUM_ATTRIBUTES {
            let kind = Attribute::get_named_enum_kind_id(attr);
            f.remove_enum_attribute(AttributeLoc::Function, kind);
        }
    }
}

/// Rewrites math the NVPTX back end cannot compile: libm calls become intrinsics
/// ([`NATIVE_LIBM`]) or libdevice calls, LLVM math intrinsics of [`LIBDEVICE_INTRINSICS`]
/// and `llvm.powi` become libdevice calls. `__nv_*` calls (rbc's GPU IR) stay.
fn rewrite_math(module: &Module<'_>) -> Result<()> {
    llvm::rewrite_libm_to_intrinsics(module, |base| NATIVE_LIBM.contains(&base));
    let declarations: Vec<FunctionValue<'_>> = module
        .get_functions()
        .filter(|f| f.count_basic_blocks() == 0)
        .collect();
    for f in declarations {
        let name = f.get_name().to_string_lossy().into_owned();
        let target = if libm_base(&name).is_some() {
            format!("__nv_{name}")
        } else if let Some(nv) = libdevice_intrinsic(&name) {
            nv
        } else {
            continue;
        };
        redirect(module, f, &target)?;
    }
    Ok(())
}

/// `llvm.exp.f64` → `__nv_exp`, `llvm.sin.f32` → `__nv_sinf`, `llvm.powi.f64.i32` →
/// `__nv_powi`.
fn libdevice_intrinsic(name: &str) -> Option<String> {
    let rest = name.strip_prefix("llvm.")?;
    match rest {
        "powi.f64.i32" => return Some("__nv_powi".into()),
        "powi.f32.i32" => return Some("__nv_powif".into()),
        _ => {}
    }
    let (op, ty) = rest.rsplit_once('.')?;
    let suffix = match ty {
        "f64" => "",
        "f32" => "f",
        _ => return None,
    };
    LIBDEVICE_INTRINSICS
        .contains(&op)
        .then(|| format!("__nv_{op}{suffix}"))
}

/// Makes every use of the declaration `f` use `target` instead: renames `f`, or merges it
/// into an existing declaration of `target` of the same type.
fn redirect(module: &Module<'_>, f: FunctionValue<'_>, target: &str) -> Result<()> {
    let Some(existing) = module.get_function(target) else {
        // SAFETY: `f` is a live function; LLVM copies the name.
        unsafe { LLVMSetValueName2(f.as_value_ref(), target.as_ptr().cast(), target.len()) };
        return Ok(());
    };
    if existing.get_type() != f.get_type() {
        return Err(Error::Refused(format!(
            "the IR declares `{}` as `{}` and `{target}` as `{}`, which do not match",
            f.get_name().to_string_lossy(),
            f.get_type().print_to_string(),
            existing.get_type().print_to_string()
        )));
    }
    // SAFETY: both are functions of the same type in the same module, so every use stays
    // well-typed.
    unsafe { LLVMReplaceAllUsesWith(f.as_value_ref(), existing.as_value_ref()) };
    // SAFETY: all uses were just moved.
    unsafe { f.delete() };
    Ok(())
}

/// The `__nv_*` functions the module calls, with their declared types.
fn needed_libdevice_functions(module: &Module<'_>) -> Vec<(String, String)> {
    module
        .get_functions()
        .filter(|f| f.count_basic_blocks() == 0)
        .filter_map(|f| {
            let name = f.get_name().to_string_lossy().into_owned();
            name.starts_with("__nv_")
                .then(|| (name, f.get_type().print_to_string().to_string()))
        })
        .collect()
}

/// Links `lib` into `module` (LLVM's linker resolves the module's declarations with
/// its definitions). Linking directly, not with inkwell's `link_in_module`, which
/// replaces the context's diagnostic handler with one pointing into its own stack frame.
fn link<'ctx>(
    session: &'ctx LlvmSession,
    module: &Module<'ctx>,
    lib: Module<'ctx>,
    machine: &TargetMachine,
) -> Result<()> {
    lib.set_triple(&machine.get_triple());
    lib.set_data_layout(&machine.get_target_data().get_data_layout());
    let raw = lib.as_mut_ptr();
    // The linker takes ownership of (and destroys) the source module.
    std::mem::forget(lib);
    // SAFETY: both modules live in the same context; `raw` is owned and consumed here.
    let failed = unsafe { LLVMLinkModules2(module.as_mut_ptr(), raw) } != 0;
    session.diagnostics.check("linking libdevice")?;
    if failed {
        return Err(Error::Codegen("linking libdevice failed".into()));
    }
    Ok(())
}

/// PTX emission can "succeed" with unusable output: require every kernel as an `.entry`
/// and no call to a function nothing defines.
fn check_ptx(ptx: &str, kernels: &[String]) -> Result<()> {
    if ptx.trim().is_empty() {
        return Err(Error::Codegen("PTX emission produced nothing".into()));
    }
    for k in kernels {
        if !ptx.contains(&format!(".entry {k}(")) {
            return Err(Error::Codegen(format!(
                "the PTX has no `.entry` for kernel `{k}`"
            )));
        }
    }
    let externs: Vec<&str> = ptx
        .lines()
        .filter(|l| l.trim_start().starts_with(".extern .func"))
        .map(|l| {
            l.trim_end_matches(['(', ' '])
                .rsplit([' ', ')'])
                .next()
                .unwrap_or(l)
        })
        .collect();
    if !externs.is_empty() {
        return Err(Error::Codegen(format!(
            "the PTX calls functions that nothing defines: {}",
            externs.join(", ")
        )));
    }
    Ok(())
}

/// Where one argument's rows are in a GPU kernel's parameters.
enum PtxColumn<'ctx> {
    Values(PointerValue<'ctx>),
    Buffer(llvm::BufferColumn<'ctx>),
}

/// Emits, for one function `f(a1..ak) -> r` with a scalar result, the kernel
/// `ptx_kernel void name(i64 n, ptr a1, …, ptr ak, ptr out, ptr valid)`, where an array
/// or text argument takes three pointers (elements, `i32` offsets, NULL bitmap).
struct PtxKernelBuilder<'a, 'ctx> {
    context: &'ctx Context,
    module: &'a Module<'ctx>,
    builder: Builder<'ctx>,
    scalar: FunctionValue<'ctx>,
    spec: &'a FunctionSpec,
}

impl<'a, 'ctx> PtxKernelBuilder<'a, 'ctx> {
    fn new(
        context: &'ctx Context,
        module: &'a Module<'ctx>,
        scalar: FunctionValue<'ctx>,
        spec: &'a FunctionSpec,
    ) -> Self {
        PtxKernelBuilder {
            context,
            module,
            builder: context.create_builder(),
            scalar,
            spec,
        }
    }

    fn llvm_type(&self, t: ScalarType) -> BasicTypeEnum<'ctx> {
        match t {
            ScalarType::Bool | ScalarType::Int8 => self.context.i8_type().into(),
            ScalarType::Int16 => self.context.i16_type().into(),
            ScalarType::Int32 => self.context.i32_type().into(),
            ScalarType::Int64 => self.context.i64_type().into(),
            ScalarType::Float32 => self.context.f32_type().into(),
            ScalarType::Float64 => self.context.f64_type().into(),
        }
    }

    /// The NULL sentinel of `t` as a constant of its LLVM type.
    fn sentinel(&self, t: ScalarType) -> BasicValueEnum<'ctx> {
        let bits = t.null_sentinel_bits();
        match t {
            ScalarType::Float32 => self
                .context
                .f32_type()
                .const_float(f32::from_bits(bits as u32) as f64)
                .into(),
            ScalarType::Float64 => self
                .context
                .f64_type()
                .const_float(f64::from_bits(bits))
                .into(),
            _ => self
                .llvm_type(t)
                .into_int_type()
                .const_int(bits, false)
                .into(),
        }
    }

    fn add_attribute(&self, f: FunctionValue<'ctx>, loc: AttributeLoc, name: &str) {
        let kind = Attribute::get_named_enum_kind_id(name);
        f.add_attribute(loc, self.context.create_enum_attribute(kind, 0));
    }

    /// `llvm.nvvm.read.ptx.sreg.<reg>`, zero-extended to i64.
    fn sreg(&self, reg: &str) -> BuildResult<IntValue<'ctx>> {
        let name = format!("llvm.nvvm.read.ptx.sreg.{reg}");
        let decl = Intrinsic::find(&name)
            .and_then(|i| i.get_declaration(self.module, &[]))
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?;
        let call = self.builder.build_call(decl, &[], reg)?;
        let value = call
            .try_as_basic_value()
            .basic()
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?
            .into_int_value();
        self.builder
            .build_int_z_extend(value, self.context.i64_type(), &format!("{reg}.64"))
    }

    fn emit(&self, name: &str) -> BuildResult<FunctionValue<'ctx>> {
        let ctx = self.context;
        let b = &self.builder;
        let i64t = ctx.i64_type();
        let i8t = ctx.i8_type();
        let ptr = ctx.ptr_type(AddressSpace::default());
        // `compile_ptx` refuses array and text returns before any kernel is built.
        let ret = self
            .spec
            .signature
            .ret
            .scalar()
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?;
        let arg_types = &self.spec.signature.args;
        // One pointer per scalar argument, three per array or text (elements, offsets,
        // NULL bitmap), then `out` and `valid`.
        let slots: usize = arg_types
            .iter()
            .map(|t| if t.is_buffer() { 3 } else { 1 })
            .sum();
        let mut params: Vec<BasicMetadataTypeEnum> = vec![i64t.into()];
        params.extend(std::iter::repeat_n(
            BasicMetadataTypeEnum::from(ptr),
            slots + 2,
        ));
        let kernel = self.module.add_function(
            name,
            ctx.void_type().fn_type(&params, false),
            Some(Linkage::External),
        );
        kernel.set_call_conventions(PTX_KERNEL_CC);
        self.add_attribute(kernel, AttributeLoc::Function, "nounwind");
        // The columns are distinct device buffers: `noalias` + `readonly` lets the loads
        // go through the read-only data cache (`ld.global.nc`).
        for i in 1..=(slots as u32 + 2) {
            self.add_attribute(kernel, AttributeLoc::Param(i), "noalias");
            let access = if i == slots as u32 + 1 {
                "writeonly"
            } else {
                "readonly"
            };
            self.add_attribute(kernel, AttributeLoc::Param(i), access);
        }
        let p = kernel.get_params();
        let n = p[0].into_int_value();
        let mut pointers = p[1..=slots].iter().map(|a| a.into_pointer_value());
        let mut columns = Vec::with_capacity(arg_types.len());
        for t in arg_types {
            let mut next = || {
                pointers
                    .next()
                    .ok_or(inkwell::builder::BuilderError::UnsetPosition)
            };
            columns.push(if t.is_buffer() {
                PtxColumn::Buffer(llvm::BufferColumn {
                    elements: next()?,
                    offsets: next()?,
                    nulls: next()?,
                })
            } else {
                PtxColumn::Values(next()?)
            });
        }
        let out = p[slots + 1].into_pointer_value();
        let valid = p[slots + 2].into_pointer_value();

        let entry = ctx.append_basic_block(kernel, "entry");
        let header = ctx.append_basic_block(kernel, "row");
        let check = ctx.append_basic_block(kernel, "row.check");
        let compute = ctx.append_basic_block(kernel, "row.valid");
        let null = ctx.append_basic_block(kernel, "row.null");
        let latch = ctx.append_basic_block(kernel, "row.next");
        let exit = ctx.append_basic_block(kernel, "exit");

        // i = blockIdx.x * blockDim.x + threadIdx.x; stride = blockDim.x * gridDim.x,
        // in 64 bits: the product of two 32-bit registers can exceed 2^32.
        b.position_at_end(entry);
        // One `{ptr, i64, i8}` per array or text argument, rebuilt for every row (a static
        // alloca: SROA turns it into registers once the function is inlined). NVPTX puts
        // allocas in the local address space; the function takes generic pointers.
        let mut slots_of = Vec::with_capacity(columns.len());
        for c in &columns {
            slots_of.push(match c {
                PtxColumn::Buffer(_) => {
                    let slot = b.build_alloca(llvm::buffer_struct_type(ctx), "arg.buf")?;
                    Some(
                        if slot.get_type().get_address_space() == AddressSpace::default() {
                            slot
                        } else {
                            b.build_address_space_cast(slot, ptr, "arg.buf.generic")?
                        },
                    )
                }
                PtxColumn::Values(_) => None,
            });
        }
        let tid = self.sreg("tid.x")?;
        let ntid = self.sreg("ntid.x")?;
        let ctaid = self.sreg("ctaid.x")?;
        let nctaid = self.sreg("nctaid.x")?;
        let block_start = b.build_int_nuw_mul(ctaid, ntid, "block.start")?;
        let start = b.build_int_nuw_add(block_start, tid, "start")?;
        let stride = b.build_int_nuw_mul(ntid, nctaid, "stride")?;
        let masked = b.build_is_not_null(valid, "masked")?;
        let any = b.build_int_compare(IntPredicate::SLT, start, n, "any")?;
        b.build_conditional_branch(any, header, exit)?;

        b.position_at_end(header);
        let i = b.build_phi(i64t, "i")?;
        let i_val = i.as_basic_value().into_int_value();
        b.build_conditional_branch(masked, check, compute)?;

        b.position_at_end(check);
        // SAFETY (IR semantics): `valid` holds n bytes and i < n.
        let flag_ptr = unsafe { b.build_in_bounds_gep(i8t, valid, &[i_val], "valid.p")? };
        let flag = b.build_load(i8t, flag_ptr, "valid")?.into_int_value();
        let is_valid = b.build_int_compare(IntPredicate::NE, flag, i8t.const_zero(), "is.valid")?;
        b.build_conditional_branch(is_valid, compute, null)?;

        b.position_at_end(compute);
        let mut values: Vec<BasicMetadataValueEnum> = Vec::with_capacity(columns.len());
        for ((col, ty), slot) in columns.iter().zip(arg_types).zip(&slots_of) {
            match (col, ty.scalar(), slot) {
                (PtxColumn::Values(col), Some(t), _) => {
                    let t = self.llvm_type(t);
                    // SAFETY (IR semantics): each column holds n values and i < n.
                    let p = unsafe { b.build_in_bounds_gep(t, *col, &[i_val], "a.p")? };
                    values.push(b.build_load(t, p, "a")?.into());
                }
                (PtxColumn::Buffer(column), None, Some(slot)) => {
                    let element = ty.element().unwrap_or(ScalarType::Int8);
                    llvm::emit_buffer_row(b, ctx, *column, *slot, element, i_val)?;
                    values.push((*slot).into());
                }
                _ => return Err(inkwell::builder::BuilderError::UnsetPosition),
            }
        }
        let call = b.build_call(self.scalar, &values, "r")?;
        call.set_call_convention(self.scalar.get_call_conventions());
        let result = call
            .try_as_basic_value()
            .basic()
            .ok_or(inkwell::builder::BuilderError::UnsetPosition)?;
        let rt = self.llvm_type(ret);
        // SAFETY (IR semantics): `out` holds n values of the return type.
        let out_ptr = unsafe { b.build_in_bounds_gep(rt, out, &[i_val], "o.p")? };
        b.build_store(out_ptr, result)?;
        b.build_unconditional_branch(latch)?;

        b.position_at_end(null);
        // SAFETY (IR semantics): as above.
        let null_ptr = unsafe { b.build_in_bounds_gep(rt, out, &[i_val], "z.p")? };
        b.build_store(null_ptr, self.sentinel(ret))?;
        b.build_unconditional_branch(latch)?;

        b.position_at_end(latch);
        let next = b.build_int_nuw_add(i_val, stride, "i.next")?;
        let more = b.build_int_compare(IntPredicate::SLT, next, n, "more")?;
        b.build_conditional_branch(more, header, exit)?;
        i.add_incoming(&[(&start, entry), (&next, latch)]);

        b.position_at_end(exit);
        b.build_return(None)?;
        Ok(kernel)
    }
}

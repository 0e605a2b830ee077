//! LLVM IR → checked, optimised column kernels.
//!
//! A client sends an LLVM module (text or bitcode) and, for each function it wants
//! registered, a symbol and a scalar [`Signature`]. [`Compiler::compile`] checks the module
//! (parse, verify, symbols, types, external allow-list), generates one column kernel per
//! function — a loop over n rows calling the scalar function, inlined, with HeavyDB's NULL
//! semantics — optimises it at O3 for the host CPU, and links it into an ORC LLJIT.
//!
//! [`Compiler::compile_ptx`] does the same for NVIDIA GPUs: one `ptx_kernel` per function
//! (a grid-stride loop over device column buffers), libdevice linked for math, PTX text out.
//!
//! Client IR is treated as hostile: the IR policy ([`check_ir`] applies it alone) refuses
//! what could crash or take over the server (trap intrinsics, host symbol definitions,
//! constant addresses, recursion, indirect calls, unbounded stack, oversized modules), and
//! CPU kernels are instrumented so that integer division never raises SIGFPE and a looping
//! UDF stops when its [`Interrupt`] is set ([`Kernel::run_interruptible`]).
//!
//! Identical modules compile once: a live module is handed out again, and with
//! [`CompilerOptions::cache_dir`] compiled objects and PTX persist in checked files, so a
//! restarted process links them instead of compiling. [`CompileOutput::stats`] gives phase
//! times and per-kernel size and vector width; [`Compiler::stats`] counts compiles and
//! cache hits for metrics.
//!
//! This is the only crate that knows LLVM: it hands out [`Kernel`]s (safe entry points over
//! byte buffers) and text (IR, assembly, PTX), never LLVM objects.

mod cache;
mod compiler;
mod disk_cache;
mod error;
mod guard;
mod instrument;
mod jit;
mod kernel;
mod libdevice;
mod llvm;
mod nvptx;
mod policy;
mod probe;
mod runtime;
mod stats;
mod table_kernel;
mod table_signature;
mod types;

pub use compiler::{
    CompileOutput, CompileRequest, Compiler, CompilerOptions, FunctionSpec, GpuTargetInfo,
    IrLimits, PtxOutput, PtxRequest, TargetSpec, check_ir, defined_functions,
};
pub use error::{Error, Result};
pub use kernel::{BufferResults, CompiledModule, Interrupt, Kernel, KernelArg};
pub use probe::start_probe;
pub use stats::{
    ClearedCache, CodeSource, CompilerStats, KernelStats, LATENCY_BUCKETS, LatencyHistogram,
    ModuleStats,
};
pub use table_kernel::{TableFunctionSpec, TableKernel, TableOutput, TableValue};
pub use table_signature::{ColumnType, OutputColumn, Sizer, TableArg, TableSignature};
pub use types::{ScalarType, Signature, ValueType};

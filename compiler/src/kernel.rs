//! Compiled, linked column kernels and the safe entry point that runs them over buffers.

use std::mem::MaybeUninit;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::jit::LinkedObject;
use crate::stats::{CodeSource, ModuleStats};
use crate::types::Signature;

/// The machine signature every generated kernel has:
/// `i64 kernel(i64 n, ptr args, ptr out, ptr validity)`, where `args` points at one
/// column base pointer per argument and `validity` is null when no row is NULL. It
/// returns how many non-NULL rows produced the return type's NULL sentinel.
pub(crate) type RawKernelFn =
    unsafe extern "C" fn(i64, *const *const u8, *mut u8, *const u8) -> i64;

/// One module's kernels, linked into the JIT. Dropping the last reference frees the
/// machine code (its ORC resource tracker is removed).
pub struct CompiledModule {
    pub(crate) kernels: Vec<Kernel>,
    pub(crate) stats: Arc<ModuleStats>,
    pub(crate) source: CodeSource,
}

impl CompiledModule {
    /// The kernels, in the order of the requested functions.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The kernel of `symbol`, if the module was compiled with it.
    pub fn kernel(&self, symbol: &str) -> Option<&Kernel> {
        self.kernels.iter().find(|k| k.symbol == symbol)
    }

    /// Wall time of the compile that produced this module (not of a cache hit; for a disk
    /// hit, of the compile in the process that wrote the entry).
    pub fn compile_time(&self) -> Duration {
        self.stats.compile_time
    }

    /// Size of the machine code object in bytes.
    pub fn object_size(&self) -> usize {
        self.stats.code_size
    }

    /// Phase times of the original compile and per-kernel statistics.
    pub fn stats(&self) -> &ModuleStats {
        &self.stats
    }

    /// Where this module's code came from when it was handed out.
    pub fn source(&self) -> CodeSource {
        self.source
    }
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("kernels", &self.kernels)
            .field("source", &self.source)
            .field("compile_time", &self.stats.compile_time)
            .finish()
    }
}

/// A column kernel for one (symbol, signature). Cheap to clone; keeps its machine code
/// alive.
#[derive(Clone)]
pub struct Kernel {
    pub(crate) symbol: String,
    pub(crate) signature: Signature,
    pub(crate) entry: RawKernelFn,
    pub(crate) _code: Arc<LinkedObject>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kernel({} {})", self.symbol, self.signature)
    }
}

impl Kernel {
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Runs the kernel over `n` rows.
    ///
    /// - `args[i]` holds at least `n` values of `signature.args[i]`, packed little-endian,
    ///   `width()` bytes each (a bool is one byte, 0 or 1).
    /// - `validity` is `None` when every row is valid, else an Arrow LSB-first bitmap at
    ///   bit offset 0 with at least `ceil(n / 8)` bytes: bit i set ⇔ row i has no NULL
    ///   argument. Rows with a clear bit are not passed to the function.
    /// - `out` has room for `n` values of the return type; all `n` are written (rows
    ///   skipped for NULL get 0).
    ///
    /// Returns the number of valid rows whose result is the return type's NULL sentinel;
    /// when it is not 0 the caller masks those rows out.
    pub fn run(
        &self,
        n: usize,
        args: &[&[u8]],
        validity: Option<&[u8]>,
        out: &mut [MaybeUninit<u8>],
    ) -> Result<usize> {
        if args.len() != self.signature.args.len() {
            return Err(Error::Call(format!(
                "{} takes {} arguments, got {}",
                self.symbol,
                self.signature.args.len(),
                args.len()
            )));
        }
        for (i, (buf, ty)) in args.iter().zip(&self.signature.args).enumerate() {
            if buf.len() < n * ty.width() {
                return Err(Error::Call(format!(
                    "argument {} of {} holds {} bytes, {} rows of {} need {}",
                    i + 1,
                    self.symbol,
                    buf.len(),
                    n,
                    ty,
                    n * ty.width()
                )));
            }
        }
        if out.len() < n * self.signature.ret.width() {
            return Err(Error::Call(format!(
                "output buffer of {} holds {} bytes, {} rows need {}",
                self.symbol,
                out.len(),
                n,
                n * self.signature.ret.width()
            )));
        }
        if let Some(v) = validity
            && v.len() < n.div_ceil(8)
        {
            return Err(Error::Call(format!(
                "validity bitmap holds {} bytes, {} rows need {}",
                v.len(),
                n,
                n.div_ceil(8)
            )));
        }
        if n == 0 {
            return Ok(0);
        }
        let ptrs: Vec<*const u8> = args.iter().map(|a| a.as_ptr()).collect();
        let validity_ptr = validity.map_or(std::ptr::null(), |v| v.as_ptr());
        // SAFETY: `entry` was looked up from the linked object that `_code` keeps alive and
        // has the `RawKernelFn` shape by construction (kernel generator). Every buffer was
        // checked above to hold `n` values of its type (and `ceil(n/8)` validity bytes);
        // the kernel reads exactly those and writes `n` values into `out`.
        let hits = unsafe {
            (self.entry)(
                n as i64,
                ptrs.as_ptr(),
                out.as_mut_ptr().cast::<u8>(),
                validity_ptr,
            )
        };
        usize::try_from(hits).map_err(|_| Error::Internal(format!("kernel returned {hits}")))
    }
}

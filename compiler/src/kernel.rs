//! Compiled, linked column kernels and the safe entry point that runs them over buffers.

use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::jit::LinkedObject;
use crate::stats::{CodeSource, ModuleStats};
use crate::types::{Signature, ValueType};

/// The machine signature every generated kernel has:
/// `i64 kernel(i64 n, ptr args, ptr out, ptr validity, ptr interrupt)`, where `args`
/// points at one column base pointer per scalar argument and three per array or text
/// argument (values, `i32` offsets, NULL bitmap or null; see [`KernelArg::Buffers`]),
/// `validity` is null when no row is NULL, and `interrupt` is an [`Interrupt`]'s cell. It returns how many non-NULL rows
/// produced the return type's NULL sentinel, or a negative value when it stopped early
/// (the cell says why).
pub(crate) type RawKernelFn =
    unsafe extern "C" fn(i64, *const *const u8, *mut u8, *const u8, *mut u32) -> i64;

/// Value of an [`Interrupt`] cell while the kernel may run.
pub(crate) const CELL_RUN: u32 = 0;
/// Set by [`Interrupt::interrupt`]: generated code leaves at its next loop back edge.
pub(crate) const CELL_INTERRUPTED: u32 = 1;
/// Written by generated code: an integer division or remainder by zero.
pub(crate) const CELL_DIVISION_BY_ZERO: u32 = 2;
/// Written by generated code: a signed `MIN / -1` division or remainder.
pub(crate) const CELL_DIVISION_OVERFLOW: u32 = 3;

/// A stop request that running kernel code polls. [`Interrupt::interrupt`] may be called
/// from any thread; a kernel started with [`Kernel::run_interruptible`] sees it at its next
/// loop back edge inside user code and returns [`Error::Interrupted`]. The generated code
/// also writes fault codes (division by zero, `MIN / -1`) into the same cell, so one load
/// per back edge covers both. Once set it stays set: use a fresh one per run.
#[derive(Debug, Default)]
pub struct Interrupt {
    cell: AtomicU32,
}

impl Interrupt {
    pub fn new() -> Self {
        Interrupt {
            cell: AtomicU32::new(CELL_RUN),
        }
    }

    /// Asks running code to stop. Does not overwrite a fault code a kernel already wrote.
    pub fn interrupt(&self) {
        let _ = self.cell.compare_exchange(
            CELL_RUN,
            CELL_INTERRUPTED,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Whether [`Interrupt::interrupt`] was called (or a kernel recorded a fault in it).
    pub fn is_interrupted(&self) -> bool {
        self.cell.load(Ordering::Relaxed) != CELL_RUN
    }

    /// The cell's address, handed to generated code as the kernel's fifth argument.
    pub(crate) fn as_ptr(&self) -> *mut u32 {
        self.cell.as_ptr()
    }

    /// The error the cell holds, if any.
    pub(crate) fn check(&self) -> Result<()> {
        match self.cell.load(Ordering::Acquire) {
            CELL_RUN => Ok(()),
            CELL_INTERRUPTED => Err(Error::Interrupted),
            CELL_DIVISION_BY_ZERO => Err(Error::DivisionByZero),
            CELL_DIVISION_OVERFLOW => Err(Error::DivisionOverflow),
            other => Err(Error::Internal(format!("interrupt cell holds {other}"))),
        }
    }
}

/// One argument column of a kernel run.
#[derive(Debug, Clone, Copy)]
pub enum KernelArg<'a> {
    /// A scalar argument: `n` packed little-endian values, `width()` bytes each (a bool is
    /// one byte, 0 or 1).
    Values(&'a [u8]),
    /// An array or text argument, laid out like an Arrow list or UTF-8 column: row `i` is
    /// the elements `offsets[i]..offsets[i + 1]` of `values` (packed like
    /// [`KernelArg::Values`]; element NULLs hold the scalar's NULL sentinel), NULL when
    /// `nulls` (an LSB-first bitmap at bit offset 0, bit set = valid) has its bit clear.
    /// The function is called for a NULL buffer too, and sees `is_null` set.
    Buffers {
        values: &'a [u8],
        offsets: &'a [i32],
        nulls: Option<&'a [u8]>,
    },
}

/// One module's kernels, linked into the JIT. Dropping the last reference frees the
/// machine code (its ORC resource tracker is removed).
pub struct CompiledModule {
    pub(crate) kernels: Vec<Kernel>,
    pub(crate) table_kernels: Vec<crate::table_kernel::TableKernel>,
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

    /// The table function `symbol`, if the module was compiled with it
    /// ([`crate::Compiler::compile_with_tables`]).
    pub fn table_kernel(&self, symbol: &str) -> Option<&crate::table_kernel::TableKernel> {
        self.table_kernels.iter().find(|k| k.symbol == symbol)
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
        self.run_interruptible(n, args, validity, out, &Interrupt::new())
    }

    /// [`Kernel::run`] that stops early when `interrupt` is set (from any thread) while the
    /// kernel runs, with [`Error::Interrupted`]; a division by zero or `MIN / -1` in the
    /// UDF ends the run with [`Error::DivisionByZero`] / [`Error::DivisionOverflow`]. After
    /// an error `out` holds no meaningful values. An interrupt set before the call
    /// returns [`Error::Interrupted`] without running anything; one set while it runs, but
    /// after its last back edge, still makes the run an [`Error::Interrupted`].
    pub fn run_interruptible(
        &self,
        n: usize,
        args: &[&[u8]],
        validity: Option<&[u8]>,
        out: &mut [MaybeUninit<u8>],
        interrupt: &Interrupt,
    ) -> Result<usize> {
        let args: Vec<KernelArg<'_>> = args.iter().map(|a| KernelArg::Values(a)).collect();
        self.run_args(n, &args, validity, out, interrupt)
    }

    /// [`Kernel::run_interruptible`] with array and text arguments (`args[i]` matches
    /// `signature.args[i]`: [`KernelArg::Buffers`] for an array or text). For a kernel
    /// returning a scalar; see [`Kernel::run_buffers`] for one returning an array or text.
    pub fn run_args(
        &self,
        n: usize,
        args: &[KernelArg<'_>],
        validity: Option<&[u8]>,
        out: &mut [MaybeUninit<u8>],
        interrupt: &Interrupt,
    ) -> Result<usize> {
        let Some(ret) = self.signature.ret.scalar() else {
            return Err(Error::Call(format!(
                "{} returns {}: run it with run_buffers",
                self.symbol, self.signature.ret
            )));
        };
        let out_len = out.len();
        // SAFETY: `out` is writable for `out_len` bytes; `call` checks that they hold `n`
        // values of the return type.
        unsafe {
            self.call(
                n,
                args,
                validity,
                (out.as_mut_ptr().cast::<u8>(), out_len, ret.width()),
                interrupt,
            )
        }
    }

    /// Runs a kernel that returns an array or text over `n` rows. What the UDF allocates
    /// with `allocate_varlen_buffer` (at most `budget` bytes in this call) belongs to the
    /// returned [`BufferResults`], which checks each row's buffer against it.
    pub fn run_buffers(
        &self,
        n: usize,
        args: &[KernelArg<'_>],
        validity: Option<&[u8]>,
        interrupt: &Interrupt,
        budget: usize,
    ) -> Result<BufferResults> {
        let Some(element) = self.signature.ret.element() else {
            return Err(Error::Call(format!(
                "{} returns {}: run it with run_args",
                self.symbol, self.signature.ret
            )));
        };
        // One `{ptr, i64, i8}` (24 bytes, 8-aligned) per row.
        let mut rows = vec![0u64; 3 * n];
        crate::runtime::Arena::install(budget);
        // SAFETY: `rows` holds `n` result structs (24 bytes each), zeroed.
        let called = unsafe {
            self.call(
                n,
                args,
                validity,
                (rows.as_mut_ptr().cast::<u8>(), 24 * n, 24),
                interrupt,
            )
        };
        let arena = crate::runtime::Arena::take();
        if let Some(reason) = &arena.refused {
            return Err(Error::Call(reason.clone()));
        }
        called?;
        Ok(BufferResults {
            symbol: self.symbol.clone(),
            width: element.width(),
            rows,
            arena,
        })
    }

    /// Checks `args` against the signature for `n` rows, as every run does: sizes, and
    /// offsets that start at 0 or more, never decrease and stay within the elements. A
    /// launch of the same function on another device needs the same to stay in bounds.
    pub fn check_args(&self, n: usize, args: &[KernelArg<'_>]) -> Result<()> {
        if args.len() != self.signature.args.len() {
            return Err(Error::Call(format!(
                "{} takes {} arguments, got {}",
                self.symbol,
                self.signature.args.len(),
                args.len()
            )));
        }
        for (i, (arg, &ty)) in args.iter().zip(&self.signature.args).enumerate() {
            check_argument(&self.symbol, i, n, *arg, ty)?;
        }
        Ok(())
    }

    /// Checks `args`, the output and `validity`, and runs the kernel over `n` rows into
    /// `out`: (pointer, bytes, bytes per result).
    ///
    /// # Safety
    /// `out.0` must be writable for `out.1` bytes, aligned for the result (8 bytes for an
    /// array's or text's struct).
    unsafe fn call(
        &self,
        n: usize,
        args: &[KernelArg<'_>],
        validity: Option<&[u8]>,
        out: (*mut u8, usize, usize),
        interrupt: &Interrupt,
    ) -> Result<usize> {
        let (out, out_len, out_width) = out;
        self.check_args(n, args)?;
        // The kernel reads a NULL bit for every buffer row: a buffer column without NULLs
        // gets this all-valid bitmap.
        let all_valid = if args
            .iter()
            .any(|a| matches!(a, KernelArg::Buffers { nulls: None, .. }))
        {
            vec![0xFFu8; n.div_ceil(8)]
        } else {
            Vec::new()
        };
        let mut ptrs: Vec<*const u8> = Vec::with_capacity(args.len());
        for arg in args {
            match *arg {
                KernelArg::Values(values) => ptrs.push(values.as_ptr()),
                KernelArg::Buffers {
                    values,
                    offsets,
                    nulls,
                } => {
                    ptrs.push(values.as_ptr());
                    ptrs.push(offsets.as_ptr().cast());
                    ptrs.push(nulls.unwrap_or(&all_valid).as_ptr());
                }
            }
        }
        if out_len < n * out_width {
            return Err(Error::Call(format!(
                "output buffer of {} holds {} bytes, {} rows need {}",
                self.symbol,
                out_len,
                n,
                n * out_width
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
        interrupt.check()?;
        if n == 0 {
            return Ok(0);
        }
        let validity_ptr = validity.map_or(std::ptr::null(), |v| v.as_ptr());
        // SAFETY: `entry` was looked up from the linked object that `_code` keeps alive and
        // has the `RawKernelFn` shape by construction (kernel generator), with `ptrs` laid
        // out as it expects for the signature. Every buffer was checked above to hold `n`
        // values of its type (array and text arguments: `n + 1` increasing offsets within
        // their values, `ceil(n/8)` NULL-bitmap bytes; `ceil(n/8)` validity bytes); the
        // kernel reads only those and writes at most `n` results into `out`, which the
        // caller guarantees has room for them. The interrupt cell is an `AtomicU32` that
        // outlives the call; the kernel only accesses it atomically. A fault in the kernel
        // ends only this call (`Error::MemoryFault`, see `guard`).
        let hits = unsafe {
            crate::guard::call(
                self.entry,
                n as i64,
                ptrs.as_ptr(),
                out,
                validity_ptr,
                interrupt.as_ptr(),
            )
        }?;
        interrupt.check()?;
        usize::try_from(hits).map_err(|_| Error::Internal(format!("kernel returned {hits}")))
    }
}

/// The arrays or texts one [`Kernel::run_buffers`] returned, and the memory they are in.
pub struct BufferResults {
    symbol: String,
    /// Bytes per element.
    width: usize,
    /// `{ptr, size, is_null}` per row.
    rows: Vec<u64>,
    arena: crate::runtime::Arena,
}

impl BufferResults {
    /// Row `i`'s elements, packed (`None`: the UDF returned a NULL array or text). A row
    /// skipped for a NULL argument reads as an empty buffer: the caller's validity says it
    /// is NULL. An error when the buffer is not inside memory the UDF allocated with
    /// `allocate_varlen_buffer` during this run.
    pub fn row(&self, i: usize) -> Result<Option<&[u8]>> {
        let (ptr, size, is_null) = (
            self.rows[3 * i] as usize,
            self.rows[3 * i + 1] as i64,
            self.rows[3 * i + 2] as u8,
        );
        if is_null != 0 {
            return Ok(None);
        }
        if size == 0 {
            return Ok(Some(&[]));
        }
        let bytes = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_mul(self.width));
        bytes
            .and_then(|bytes| self.arena.slice(ptr, bytes))
            .map(Some)
            .ok_or_else(|| {
                Error::Call(format!(
                    "`{}` returned a buffer of {size} elements at {ptr:#x}, which is not \
                     memory it allocated with allocate_varlen_buffer",
                    self.symbol
                ))
            })
    }

    pub fn len(&self) -> usize {
        self.rows.len() / 3
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Checks that argument `i` holds `n` rows of `ty`.
fn check_argument(
    symbol: &str,
    i: usize,
    n: usize,
    arg: KernelArg<'_>,
    ty: ValueType,
) -> Result<()> {
    let bad = |what: String| {
        Err(Error::Call(format!(
            "argument {} of {symbol}: {what}",
            i + 1
        )))
    };
    match (arg, ty) {
        (KernelArg::Values(values), ValueType::Scalar(t)) => {
            if values.len() < n * t.width() {
                return bad(format!(
                    "holds {} bytes, {n} rows of {t} need {}",
                    values.len(),
                    n * t.width()
                ));
            }
        }
        (
            KernelArg::Buffers {
                values,
                offsets,
                nulls,
            },
            ValueType::Array(_) | ValueType::Text,
        ) => {
            let width = ty.element().map_or(1, |e| e.width());
            if offsets.len() < n + 1 {
                return bad(format!("{} offsets for {n} rows", offsets.len()));
            }
            if offsets[0] < 0 || offsets[..=n].windows(2).any(|w| w[1] < w[0]) {
                return bad("offsets must start at 0 or more and never decrease".into());
            }
            let end = offsets[n] as usize * width;
            if values.len() < end {
                return bad(format!(
                    "{} bytes of elements, the offsets reach byte {end}",
                    values.len()
                ));
            }
            if let Some(nulls) = nulls
                && nulls.len() < n.div_ceil(8)
            {
                return bad(format!(
                    "NULL bitmap holds {} bytes, {n} rows need {}",
                    nulls.len(),
                    n.div_ceil(8)
                ));
            }
        }
        (KernelArg::Values(_), _) => return bad(format!("{ty} needs KernelArg::Buffers")),
        (KernelArg::Buffers { .. }, _) => return bad(format!("{ty} needs KernelArg::Values")),
    }
    Ok(())
}

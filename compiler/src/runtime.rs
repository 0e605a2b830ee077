//! The HeavyDB runtime functions UDF code may call (`udf-abi.md` §4, §7), defined in every
//! kernel's JITDylib as absolute symbols (they are not process exports).
//!
//! `allocate_varlen_buffer(count, size)` hands out zeroed memory for an array or text a
//! UDF returns. The memory belongs to the kernel run that is active on the calling thread
//! ([`Arena::install`]): it is freed with the run's results, and the host copies a
//! returned buffer only after checking that it lies inside one of these allocations, so a
//! UDF cannot make the host read memory it did not allocate. The functions never panic
//! and never unwind into generated code.
//!
//! The table function manager's functions (`udf-abi.md` §6.3–6.4) act on the
//! [`TableCall`] of the table function running on the calling thread.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// What one kernel run allocated through the runtime.
#[derive(Default)]
pub(crate) struct Arena {
    /// Start address → the allocation (16-byte aligned, zeroed).
    blocks: BTreeMap<usize, Box<[u128]>>,
    bytes: usize,
    budget: usize,
    /// Set when an allocation was refused (over the budget, or a negative or overflowing
    /// size); the run then fails with this reason.
    pub(crate) refused: Option<String>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Arena>> = const { RefCell::new(None) };
}

impl Arena {
    /// Makes a fresh arena of at most `budget` bytes the calling thread's until
    /// [`Arena::take`].
    pub(crate) fn install(budget: usize) {
        ACTIVE.with(|a| {
            *a.borrow_mut() = Some(Arena {
                budget,
                ..Arena::default()
            })
        });
    }

    /// Ends the calling thread's arena and hands it over.
    pub(crate) fn take() -> Arena {
        ACTIVE.with(|a| a.borrow_mut().take()).unwrap_or_default()
    }

    /// The bytes `[ptr, ptr + len)` if they lie inside one allocation.
    pub(crate) fn slice(&self, ptr: usize, len: usize) -> Option<&[u8]> {
        let (&start, block) = self.blocks.range(..=ptr).next_back()?;
        let block_len = block.len() * 16;
        let offset = ptr - start;
        let end = offset.checked_add(len)?;
        if end > block_len {
            return None;
        }
        // SAFETY: `block` is a live allocation of `block_len` bytes, and
        // `offset..end` lies inside it; `u8` needs no alignment.
        Some(unsafe { std::slice::from_raw_parts((block.as_ptr() as *const u8).add(offset), len) })
    }

    fn allocate(&mut self, count: i64, size: i64) -> *mut u8 {
        let bytes = (count >= 0 && size >= 0)
            .then(|| (count as u64).checked_add(1)?.checked_mul(size as u64))
            .flatten()
            .and_then(|b| usize::try_from(b).ok());
        let Some(bytes) = bytes else {
            self.refused = Some(format!(
                "allocate_varlen_buffer({count}, {size}): not a valid size"
            ));
            return std::ptr::null_mut();
        };
        if self.bytes.saturating_add(bytes) > self.budget {
            self.refused = Some(format!(
                "allocate_varlen_buffer: the UDF allocated more than {} MiB in one batch",
                self.budget >> 20
            ));
            return std::ptr::null_mut();
        }
        self.bytes += bytes;
        let block = vec![0u128; bytes.div_ceil(16).max(1)].into_boxed_slice();
        let ptr = block.as_ptr() as *mut u8;
        self.blocks.insert(ptr as usize, block);
        ptr
    }
}

/// `i8* allocate_varlen_buffer(i64 element_count, i64 element_size)`: `(count + 1) *
/// size` zeroed bytes owned by the running kernel call, or null outside one or over its
/// budget (the call then fails with the reason).
pub(crate) extern "C" fn allocate_varlen_buffer(count: i64, size: i64) -> *mut u8 {
    std::panic::catch_unwind(|| {
        ACTIVE.with(|a| match a.try_borrow_mut() {
            Ok(mut arena) => arena
                .as_mut()
                .map_or(std::ptr::null_mut(), |arena| arena.allocate(count, size)),
            Err(_) => std::ptr::null_mut(),
        })
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Zeroed memory with an inaccessible page on each side: a table function's output. A
/// function that writes past its output (or before it) faults, which the kernel guard turns
/// into an error, instead of corrupting the server's heap. The data ends within 15 bytes of
/// the trailing guard page (it starts 16-byte aligned).
pub(crate) struct GuardedBuffer {
    base: *mut u8,
    map_len: usize,
    data: *mut u8,
    len: usize,
}

mod sys {
    use std::ffi::{c_int, c_long, c_void};
    pub const PROT_NONE: c_int = 0;
    pub const PROT_READ_WRITE: c_int = 3;
    pub const MAP_PRIVATE_ANONYMOUS_NORESERVE: c_int = 0x02 | 0x20 | 0x4000;
    pub const SC_PAGESIZE: c_int = 30;
    unsafe extern "C" {
        pub fn mmap(
            addr: *mut c_void,
            len: usize,
            prot: c_int,
            flags: c_int,
            fd: c_int,
            offset: i64,
        ) -> *mut c_void;
        pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
        pub fn mprotect(addr: *mut c_void, len: usize, prot: c_int) -> c_int;
        pub fn sysconf(name: c_int) -> c_long;
    }
}

impl GuardedBuffer {
    pub(crate) fn new(len: usize) -> std::result::Result<Self, String> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { sys::sysconf(sys::SC_PAGESIZE) })
            .ok()
            .filter(|p| p.is_power_of_two())
            .unwrap_or(4096);
        let body = len
            .checked_next_multiple_of(page)
            .and_then(|b| b.checked_add(2 * page))
            .ok_or_else(|| format!("an output of {len} bytes is too large"))?;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing
        // touches no existing memory.
        let base = unsafe {
            sys::mmap(
                std::ptr::null_mut(),
                body,
                sys::PROT_NONE,
                sys::MAP_PRIVATE_ANONYMOUS_NORESERVE,
                -1,
                0,
            )
        };
        if base as isize == -1 {
            return Err(format!(
                "mapping {len} bytes of output failed: {}",
                std::io::Error::last_os_error()
            ));
        }
        let base = base.cast::<u8>();
        let inner = body - 2 * page;
        let buffer = GuardedBuffer {
            base,
            map_len: body,
            // SAFETY: `page + inner - round16(len)` lies inside the mapping (round16(len)
            // ≤ inner when len > 0; = 0 otherwise).
            data: unsafe { base.add(page + inner - len.next_multiple_of(16).min(inner)) },
            len,
        };
        if inner > 0 {
            // SAFETY: `[base + page, base + page + inner)` is inside the mapping made above.
            let rc = unsafe { sys::mprotect(base.add(page).cast(), inner, sys::PROT_READ_WRITE) };
            if rc != 0 {
                return Err(format!(
                    "protecting an output of {len} bytes failed: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(buffer)
    }

    pub(crate) fn as_mut_ptr(&self) -> *mut u8 {
        self.data
    }

    /// The first `n` bytes (`n` ≤ the length).
    pub(crate) fn bytes(&self, n: usize) -> &[u8] {
        // SAFETY: `data` is readable for `len` bytes (zeroed by the kernel on mapping, or
        // written since); `n` is clamped to it.
        unsafe { std::slice::from_raw_parts(self.data, n.min(self.len)) }
    }
}

impl Drop for GuardedBuffer {
    fn drop(&mut self) {
        // SAFETY: `base`/`map_len` is exactly the mapping made in `new`, unmapped once.
        unsafe { sys::munmap(self.base.cast(), self.map_len) };
    }
}

/// `TableFunctionManager_set_output_row_size` and friends: what the running table
/// function's manager records (see [`TableCall`]).
pub(crate) const GENERIC_ERROR: i32 = -123456789;

/// The table function call active on this thread: where its output column structs are
/// and what the function told its manager. Installed by `TableKernel::run` around the
/// call; the `mgr` pointer the IR passes is never dereferenced (the IR could pass
/// anything), the manager is this thread's.
pub(crate) struct TableCall {
    /// The `{T* ptr, i64 size}` struct of each output, which the host owns, and the
    /// output's bytes per row.
    pub(crate) outputs: Vec<(*mut [u64; 2], usize)>,
    /// The storage `set_output_row_size` allocated, per output (zeroed).
    pub(crate) buffers: Vec<GuardedBuffer>,
    /// The row count `set_output_row_size` was last called with.
    pub(crate) rows_set: Option<i64>,
    /// The message of `error_message` / `table_function_error`.
    pub(crate) message: Option<String>,
    /// Set when `set_output_row_size` was refused (negative, over the budget).
    pub(crate) refused: Option<String>,
    pub(crate) budget: usize,
}

thread_local! {
    static TABLE_CALL: RefCell<Option<TableCall>> = const { RefCell::new(None) };
}

impl TableCall {
    pub(crate) fn install(call: TableCall) {
        TABLE_CALL.with(|c| *c.borrow_mut() = Some(call));
    }

    pub(crate) fn take() -> Option<TableCall> {
        TABLE_CALL.with(|c| c.borrow_mut().take())
    }

    fn set_rows(&mut self, n: i64) {
        let bytes: Option<Vec<usize>> = self
            .outputs
            .iter()
            .map(|&(_, width)| usize::try_from(n).ok().and_then(|n| n.checked_mul(width)))
            .collect();
        let Some(bytes) = bytes else {
            self.refused = Some(format!("set_output_row_size({n}): not a valid row count"));
            return;
        };
        let total = bytes.iter().fold(0usize, |a, b| a.saturating_add(*b));
        if total > self.budget {
            self.refused = Some(format!(
                "set_output_row_size({n}): the output would take more than {} MiB",
                self.budget >> 20
            ));
            return;
        }
        match bytes.iter().map(|b| GuardedBuffer::new(*b)).collect() {
            Ok(buffers) => self.buffers = buffers,
            Err(reason) => {
                self.refused = Some(reason);
                return;
            }
        }
        for (&(column, _), buffer) in self.outputs.iter().zip(&self.buffers) {
            // SAFETY: `column` points at an output struct in `TableKernel::run`'s frame,
            // live for the whole call this `TableCall` is installed for.
            unsafe { *column = [buffer.as_mut_ptr() as u64, n as u64] };
        }
        self.rows_set = Some(n);
    }
}

fn with_table_call(f: impl FnOnce(&mut TableCall)) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        TABLE_CALL.with(|c| {
            if let Ok(mut call) = c.try_borrow_mut()
                && let Some(call) = call.as_mut()
            {
                f(call)
            }
        })
    }));
}

/// `TableFunctionManager_set_output_row_size(i8* mgr, i64 n)`: allocates `n` zeroed rows
/// for every output column and points their structs at them. rbc declares it returning
/// `i8*`, HeavyDB `void`: it returns null, which suits both.
pub(crate) extern "C" fn table_function_manager_set_output_row_size(
    _mgr: *mut u8,
    n: i64,
) -> *mut u8 {
    set_output_row_size(n);
    std::ptr::null_mut()
}

/// `void set_output_row_size(i64 n)`: the same for the running table function's manager.
pub(crate) extern "C" fn set_output_row_size(n: i64) {
    with_table_call(|call| call.set_rows(n));
}

/// `i32 TableFunctionManager_error_message(i8* mgr, i8* msg)`: records `msg` and returns
/// the generic error code, which the function returns.
pub(crate) extern "C" fn table_function_manager_error_message(
    _mgr: *mut u8,
    msg: *const u8,
) -> i32 {
    table_function_error(msg)
}

/// `i32 table_function_error(i8* msg)`.
pub(crate) extern "C" fn table_function_error(msg: *const u8) -> i32 {
    // Read before anything is borrowed or allocated: a bad pointer faults here and the
    // kernel guard jumps out of this frame, which then holds nothing to release.
    let (bytes, len) = read_message(msg);
    with_table_call(|call| {
        let text = String::from_utf8_lossy(&bytes[..len]).into_owned();
        call.message = Some(if len == bytes.len() {
            format!("{text}…")
        } else {
            text
        });
    });
    GENERIC_ERROR
}

const MESSAGE_LIMIT: usize = 1024;

/// The NUL-terminated string at `msg`, at most [`MESSAGE_LIMIT`] bytes of it.
fn read_message(msg: *const u8) -> ([u8; MESSAGE_LIMIT], usize) {
    let mut bytes = [0u8; MESSAGE_LIMIT];
    if msg.is_null() {
        return (bytes, 0);
    }
    let mut len = 0;
    while len < MESSAGE_LIMIT {
        // SAFETY: none can be given for a pointer the UDF passed. The read stays within
        // the message limit; when it faults, the kernel guard ends the call (this frame
        // owns nothing that needs dropping), as for any fault in UDF code.
        let b = unsafe { std::ptr::read_volatile(msg.add(len)) };
        if b == 0 {
            break;
        }
        bytes[len] = b;
        len += 1;
    }
    (bytes, len)
}

/// The runtime functions: name and address, for the JIT.
pub(crate) fn symbols() -> [(&'static str, usize); 5] {
    [
        (
            "allocate_varlen_buffer",
            allocate_varlen_buffer as *const () as usize,
        ),
        (
            "TableFunctionManager_set_output_row_size",
            table_function_manager_set_output_row_size as *const () as usize,
        ),
        (
            "set_output_row_size",
            set_output_row_size as *const () as usize,
        ),
        (
            "TableFunctionManager_error_message",
            table_function_manager_error_message as *const () as usize,
        ),
        (
            "table_function_error",
            table_function_error as *const () as usize,
        ),
    ]
}

/// Whether UDF IR may declare and call `name` as a runtime function.
pub(crate) fn is_runtime_symbol(name: &str) -> bool {
    symbols().iter().any(|(n, _)| *n == name)
}

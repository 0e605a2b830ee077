//! The HeavyDB runtime functions UDF code may call (`udf-abi.md` §4, §7), defined in every
//! kernel's JITDylib as absolute symbols (they are not process exports).
//!
//! `allocate_varlen_buffer(count, size)` hands out zeroed memory for an array or text a
//! UDF returns. The memory belongs to the kernel run that is active on the calling thread
//! ([`Arena::install`]): it is freed with the run's results, and the host copies a
//! returned buffer only after checking that it lies inside one of these allocations, so a
//! UDF cannot make the host read memory it did not allocate. The functions never panic
//! and never unwind into generated code.

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

/// The runtime functions: name and address, for the JIT.
pub(crate) fn symbols() -> [(&'static str, usize); 1] {
    [(
        "allocate_varlen_buffer",
        allocate_varlen_buffer as *const () as usize,
    )]
}

/// Whether UDF IR may declare and call `name` as a runtime function.
pub(crate) fn is_runtime_symbol(name: &str) -> bool {
    symbols().iter().any(|(n, _)| *n == name)
}

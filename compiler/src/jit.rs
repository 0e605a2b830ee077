//! The process-wide ORC LLJIT that kernels are linked into.
//!
//! One LLJIT serves every [`crate::Compiler`]: ORC is thread-safe for adding objects and
//! looking up symbols. Each linked object gets its own resource tracker, removed when the
//! last [`LinkedObject`] handle drops, so replaced or dropped functions free their code.
//! Kernel symbol names are unique per link (see [`next_link_id`]), so the main JITDylib
//! never sees a duplicate definition.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use llvm_sys::orc2::lljit::{
    LLVMOrcCreateLLJIT, LLVMOrcLLJITAddObjectFileWithRT, LLVMOrcLLJITGetGlobalPrefix,
    LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITLookup, LLVMOrcLLJITRef,
};
use llvm_sys::orc2::{
    LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess, LLVMOrcDefinitionGeneratorRef,
    LLVMOrcExecutorAddress, LLVMOrcJITDylibAddGenerator, LLVMOrcJITDylibCreateResourceTracker,
    LLVMOrcReleaseResourceTracker, LLVMOrcResourceTrackerRef, LLVMOrcResourceTrackerRemove,
    LLVMOrcSymbolStringPoolEntryRef, LLVMOrcSymbolStringPoolEntryStr,
};

use crate::error::{Error, Result};
use crate::llvm::is_allowed_link_symbol;

struct Jit {
    raw: LLVMOrcLLJITRef,
}

// SAFETY: an LLJIT may be used from any thread; ORC serialises its session state
// internally, and we never dispose it (it lives for the whole process).
unsafe impl Send for Jit {}
// SAFETY: see above; all methods we call on it are thread-safe in ORC.
unsafe impl Sync for Jit {}

static JIT: OnceLock<std::result::Result<Jit, String>> = OnceLock::new();
static LINK_IDS: AtomicU64 = AtomicU64::new(1);

/// A fresh number for kernel symbol names, unique in this process.
pub(crate) fn next_link_id() -> u64 {
    LINK_IDS.fetch_add(1, Ordering::Relaxed)
}

fn jit() -> Result<&'static Jit> {
    JIT.get_or_init(create_jit)
        .as_ref()
        .map_err(|e| Error::Codegen(format!("cannot start the ORC JIT: {e}")))
}

/// Resolves external symbols of linked kernels from this process, but only those in the
/// allow-list: the IR checks refuse anything else first; this is the second fence.
extern "C" fn link_filter(_ctx: *mut c_void, sym: LLVMOrcSymbolStringPoolEntryRef) -> c_int {
    // SAFETY: ORC passes a live pool entry; its string is NUL-terminated and outlives the call.
    let name = unsafe { CStr::from_ptr(LLVMOrcSymbolStringPoolEntryStr(sym)) };
    name.to_str().map(is_allowed_link_symbol).unwrap_or(false) as c_int
}

fn create_jit() -> std::result::Result<Jit, String> {
    crate::llvm::initialize_native_target()?;
    let mut raw: LLVMOrcLLJITRef = std::ptr::null_mut();
    // SAFETY: a null builder asks for the default (host) configuration; `raw` is written on
    // success only.
    let err = unsafe { LLVMOrcCreateLLJIT(&mut raw, std::ptr::null_mut()) };
    check(err).map_err(|e| e.to_string())?;
    let mut generator: LLVMOrcDefinitionGeneratorRef = std::ptr::null_mut();
    // SAFETY: `raw` is a live LLJIT; the generator is handed to the main JITDylib, which
    // owns it from then on.
    unsafe {
        let prefix = LLVMOrcLLJITGetGlobalPrefix(raw);
        check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
            &mut generator,
            prefix,
            Some(link_filter),
            std::ptr::null_mut(),
        ))
        .map_err(|e| e.to_string())?;
        LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(raw), generator);
    }
    Ok(Jit { raw })
}

/// Turns an `LLVMErrorRef` into our error, consuming it.
fn check(err: LLVMErrorRef) -> Result<()> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: `err` is a live error we own; getting its message consumes it, and the
    // message is freed with the matching dispose call after copying.
    let msg = unsafe {
        let m = LLVMGetErrorMessage(err);
        let s = CStr::from_ptr(m).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(m);
        s
    };
    Err(Error::Codegen(msg))
}

/// Machine code linked into the JIT. Dropping it removes the code from the process.
pub(crate) struct LinkedObject {
    tracker: LLVMOrcResourceTrackerRef,
}

// SAFETY: the tracker is only used in `Drop`, and ORC's resource tracker removal is
// thread-safe.
unsafe impl Send for LinkedObject {}
// SAFETY: no method takes `&self` access to the tracker.
unsafe impl Sync for LinkedObject {}

impl Drop for LinkedObject {
    fn drop(&mut self) {
        // SAFETY: the tracker came from `LLVMOrcJITDylibCreateResourceTracker` and is
        // removed and released exactly once, here.
        unsafe {
            if let Err(e) = check(LLVMOrcResourceTrackerRemove(self.tracker)) {
                tracing::error!("freeing JIT code failed: {e}");
            }
            LLVMOrcReleaseResourceTracker(self.tracker);
        }
    }
}

/// Links an object file and returns it with the addresses of `symbols`.
pub(crate) fn link(object: &[u8], symbols: &[String]) -> Result<(LinkedObject, Vec<usize>)> {
    let jit = jit()?;
    // SAFETY: `jit.raw` is live for the process; the main JITDylib outlives the tracker.
    let tracker =
        unsafe { LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(jit.raw)) };
    let linked = LinkedObject { tracker };
    let buffer = crate::llvm::memory_buffer_copy(object, "udf-kernels");
    // SAFETY: ownership of `buffer` passes to ORC whatever the outcome.
    check(unsafe { LLVMOrcLLJITAddObjectFileWithRT(jit.raw, tracker, buffer) })?;
    let mut addrs = Vec::with_capacity(symbols.len());
    for sym in symbols {
        let name = CString::new(sym.as_str())
            .map_err(|_| Error::Internal(format!("kernel name {sym:?} holds NUL")))?;
        let mut addr: LLVMOrcExecutorAddress = 0;
        // SAFETY: `name` is NUL-terminated; the lookup materialises the object, resolving
        // its externals through the filtered process generator; errors are returned, not
        // thrown.
        check(unsafe { LLVMOrcLLJITLookup(jit.raw, &mut addr, name.as_ptr() as *const c_char) })
            .map_err(|e| match e {
                Error::Codegen(m) => Error::Codegen(format!("linking `{sym}`: {m}")),
                other => other,
            })?;
        addrs.push(addr as usize);
    }
    Ok((linked, addrs))
}

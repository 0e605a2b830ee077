//! The process-wide ORC LLJIT that kernels are linked into.
//!
//! One LLJIT serves every [`crate::Compiler`]: ORC is thread-safe for adding objects and
//! looking up symbols. Each linked object goes into a JITDylib of its own (a bare one,
//! with the same filtered process-symbol generator as the main one) and is looked up
//! there only, so modules never see each other's symbols: kernel names need not be unique
//! across modules, and an object from the disk cache (compiled by another process) links
//! however many times it is loaded at once. Each object has its own resource tracker,
//! removed when the last [`LinkedObject`] handle drops, so replaced or dropped functions
//! free their code; the emptied JITDylib is then reused for a later object (ORC's C API
//! cannot delete one).

use std::ffi::{CStr, CString, c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use llvm_sys::orc2::lljit::{
    LLVMOrcCreateLLJIT, LLVMOrcLLJITAddObjectFileWithRT, LLVMOrcLLJITGetExecutionSession,
    LLVMOrcLLJITGetGlobalPrefix, LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITMangleAndIntern,
    LLVMOrcLLJITRef,
};
use llvm_sys::orc2::{
    LLVMJITEvaluatedSymbol, LLVMJITSymbolFlags, LLVMJITSymbolGenericFlags, LLVMOrcAbsoluteSymbols,
    LLVMOrcCJITDylibSearchOrderElement, LLVMOrcCLookupSetElement, LLVMOrcCSymbolMapPair,
    LLVMOrcCSymbolMapPairs, LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess,
    LLVMOrcDefinitionGeneratorRef, LLVMOrcExecutionSessionCreateBareJITDylib,
    LLVMOrcExecutionSessionLookup, LLVMOrcJITDylibAddGenerator,
    LLVMOrcJITDylibCreateResourceTracker, LLVMOrcJITDylibDefine, LLVMOrcJITDylibLookupFlags,
    LLVMOrcJITDylibRef, LLVMOrcLookupKind, LLVMOrcReleaseResourceTracker,
    LLVMOrcResourceTrackerRef, LLVMOrcResourceTrackerRemove, LLVMOrcSymbolLookupFlags,
    LLVMOrcSymbolStringPoolEntryRef, LLVMOrcSymbolStringPoolEntryStr,
};
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::llvm::is_allowed_link_symbol;

struct Jit {
    raw: LLVMOrcLLJITRef,
    /// Emptied per-object JITDylibs, ready for the next object.
    free_dylibs: Mutex<Vec<Dylib>>,
}

/// A JITDylib handle. ORC owns the JITDylib (in the execution session, for the process).
struct Dylib(LLVMOrcJITDylibRef);

// SAFETY: a JITDylib handle is a pointer into the execution session, which lives for the
// process; ORC serialises operations on JITDylibs internally.
unsafe impl Send for Dylib {}

// SAFETY: an LLJIT may be used from any thread; ORC serialises its session state
// internally, and we never dispose it (it lives for the whole process).
unsafe impl Send for Jit {}
// SAFETY: see above; all methods we call on it are thread-safe in ORC, and the pool of
// free JITDylibs is behind a mutex.
unsafe impl Sync for Jit {}

static JIT: OnceLock<std::result::Result<Jit, String>> = OnceLock::new();
/// Numbers JITDylib names, which must be unique in the execution session.
static DYLIB_IDS: AtomicU64 = AtomicU64::new(1);

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

/// Adds the filtered process-symbol generator to `dylib`.
fn add_process_symbols(raw: LLVMOrcLLJITRef, dylib: LLVMOrcJITDylibRef) -> Result<()> {
    let mut generator: LLVMOrcDefinitionGeneratorRef = std::ptr::null_mut();
    // SAFETY: `raw` is a live LLJIT and `dylib` one of its session's JITDylibs; the
    // generator is written on success only and then handed to the JITDylib, which owns it.
    unsafe {
        let prefix = LLVMOrcLLJITGetGlobalPrefix(raw);
        check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
            &mut generator,
            prefix,
            Some(link_filter),
            std::ptr::null_mut(),
        ))?;
        LLVMOrcJITDylibAddGenerator(dylib, generator);
    }
    Ok(())
}

/// Defines the runtime functions (`runtime.rs`) in `dylib`. They belong to its default
/// resource tracker, so they stay when an object's tracker is removed and the JITDylib
/// is reused.
fn define_runtime(raw: LLVMOrcLLJITRef, dylib: LLVMOrcJITDylibRef) -> Result<()> {
    let flags = || LLVMJITSymbolFlags {
        GenericFlags: LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8,
        TargetFlags: 0,
    };
    let names = crate::runtime::symbols()
        .iter()
        .map(|(name, address)| {
            CString::new(*name)
                .map(|c| (c, *address))
                .map_err(|e| Error::Internal(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut pairs: Vec<LLVMOrcCSymbolMapPair> = names
        .iter()
        .map(|(name, address)| LLVMOrcCSymbolMapPair {
            // SAFETY: `raw` is live and `name` NUL-terminated; the interned entry's
            // reference passes to the materialization unit.
            Name: unsafe { LLVMOrcLLJITMangleAndIntern(raw, name.as_ptr()) },
            Sym: LLVMJITEvaluatedSymbol {
                Address: *address as u64,
                Flags: flags(),
            },
        })
        .collect();
    // SAFETY: the pairs are valid for the call, which copies them; the unit is handed to
    // the JITDylib, which takes it over whether or not the definition succeeds.
    check(unsafe {
        let unit = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
        LLVMOrcJITDylibDefine(dylib, unit)
    })
}

fn create_jit() -> std::result::Result<Jit, String> {
    crate::llvm::initialize_native_target()?;
    let mut raw: LLVMOrcLLJITRef = std::ptr::null_mut();
    // SAFETY: a null builder asks for the default (host) configuration; `raw` is written on
    // success only.
    let err = unsafe { LLVMOrcCreateLLJIT(&mut raw, std::ptr::null_mut()) };
    check(err).map_err(|e| e.to_string())?;
    // Nothing is linked into the main JITDylib any more; it keeps the fence anyway, in
    // case something ever is.
    // SAFETY: `raw` is a live LLJIT.
    let main = unsafe { LLVMOrcLLJITGetMainJITDylib(raw) };
    add_process_symbols(raw, main).map_err(|e| e.to_string())?;
    Ok(Jit {
        raw,
        free_dylibs: Mutex::new(Vec::new()),
    })
}

impl Jit {
    /// An empty JITDylib that resolves only allow-listed process symbols.
    fn take_dylib(&self) -> Result<Dylib> {
        if let Some(d) = self.free_dylibs.lock().pop() {
            return Ok(d);
        }
        let name = CString::new(format!(
            "udf-module-{}",
            DYLIB_IDS.fetch_add(1, Ordering::Relaxed)
        ))
        .map_err(|e| Error::Internal(e.to_string()))?;
        // SAFETY: `self.raw` is live; the name is unique (counter), NUL-terminated and
        // copied by ORC. A bare JITDylib has no platform symbols and searches only itself.
        let dylib = unsafe {
            LLVMOrcExecutionSessionCreateBareJITDylib(
                LLVMOrcLLJITGetExecutionSession(self.raw),
                name.as_ptr(),
            )
        };
        if dylib.is_null() {
            return Err(Error::Codegen("cannot create a JITDylib".into()));
        }
        add_process_symbols(self.raw, dylib)?;
        define_runtime(self.raw, dylib)?;
        Ok(Dylib(dylib))
    }
}

/// Turns an `LLVMErrorRef` into our error, consuming it.
fn check(err: LLVMErrorRef) -> Result<()> {
    match error_message(err) {
        None => Ok(()),
        Some(msg) => Err(Error::Codegen(msg)),
    }
}

/// The message of `err` (consumed), or `None` for success.
fn error_message(err: LLVMErrorRef) -> Option<String> {
    if err.is_null() {
        return None;
    }
    // SAFETY: `err` is a live error we own; getting its message consumes it, and the
    // message is freed with the matching dispose call after copying.
    Some(unsafe {
        let m = LLVMGetErrorMessage(err);
        let s = CStr::from_ptr(m).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(m);
        s
    })
}

/// Machine code linked into the JIT. Dropping it removes the code from the process.
pub(crate) struct LinkedObject {
    tracker: LLVMOrcResourceTrackerRef,
    dylib: LLVMOrcJITDylibRef,
    /// Set once the object linked: a JITDylib where linking failed half-way may hold
    /// symbols in an error state, so it is not handed to another object.
    reusable: bool,
}

// SAFETY: the tracker and JITDylib are only used in `Drop`, and ORC's resource tracker
// removal is thread-safe.
unsafe impl Send for LinkedObject {}
// SAFETY: no method takes `&self` access to the tracker.
unsafe impl Sync for LinkedObject {}

impl Drop for LinkedObject {
    fn drop(&mut self) {
        // SAFETY: the tracker came from `LLVMOrcJITDylibCreateResourceTracker` and is
        // removed and released exactly once, here.
        let removed = unsafe {
            let removed = check(LLVMOrcResourceTrackerRemove(self.tracker));
            LLVMOrcReleaseResourceTracker(self.tracker);
            removed
        };
        match removed {
            // The object's symbols are gone: the JITDylib can take another object.
            Ok(()) if self.reusable => {
                if let Ok(jit) = jit() {
                    jit.free_dylibs.lock().push(Dylib(self.dylib));
                }
            }
            Ok(()) => {}
            // Leave a JITDylib that may still hold symbols unused.
            Err(e) => tracing::error!("freeing JIT code failed: {e}"),
        }
    }
}

/// Links an object file into a JITDylib of its own and returns it with the addresses of
/// `symbols`.
pub(crate) fn link(object: &[u8], symbols: &[String]) -> Result<(LinkedObject, Vec<usize>)> {
    let jit = jit()?;
    let dylib = jit.take_dylib()?;
    // SAFETY: the JITDylib lives for the process, so it outlives the tracker.
    let tracker = unsafe { LLVMOrcJITDylibCreateResourceTracker(dylib.0) };
    // From here on dropping `linked` removes whatever was added and recycles the JITDylib.
    let mut linked = LinkedObject {
        tracker,
        dylib: dylib.0,
        reusable: false,
    };
    let buffer = crate::llvm::memory_buffer_copy(object, "udf-kernels");
    // SAFETY: ownership of `buffer` passes to ORC whatever the outcome; the object goes
    // into the tracker's JITDylib.
    check(unsafe { LLVMOrcLLJITAddObjectFileWithRT(jit.raw, tracker, buffer) })?;
    let addrs = lookup(jit, linked.dylib, symbols)?;
    linked.reusable = true;
    Ok((linked, addrs))
}

/// What the lookup callback hands back: addresses by name, or ORC's error message.
type LookupResult = std::result::Result<Vec<(String, u64)>, String>;

extern "C" fn lookup_done(
    err: LLVMErrorRef,
    pairs: LLVMOrcCSymbolMapPairs,
    n: usize,
    ctx: *mut c_void,
) {
    // SAFETY: `ctx` is the boxed sender `lookup` leaked for exactly this one call.
    let sender = unsafe { Box::from_raw(ctx as *mut mpsc::SyncSender<LookupResult>) };
    let result = match error_message(err) {
        Some(msg) => Err(msg),
        None => {
            let pairs = if n == 0 || pairs.is_null() {
                &[][..]
            } else {
                // SAFETY: on success ORC passes `n` pairs, valid during this call.
                unsafe { std::slice::from_raw_parts(pairs, n) }
            };
            Ok(pairs
                .iter()
                .map(|p| {
                    // SAFETY: the pair's name is a live pool entry during this call.
                    let name = unsafe { CStr::from_ptr(LLVMOrcSymbolStringPoolEntryStr(p.Name)) };
                    (name.to_string_lossy().into_owned(), p.Sym.Address)
                })
                .collect())
        }
    };
    // The receiver waits until this arrives; it cannot have gone.
    let _ = sender.send(result);
}

/// Looks `symbols` up in `dylib` only (materialising the object, which resolves its
/// externals through the JITDylib's filtered generator).
fn lookup(jit: &Jit, dylib: LLVMOrcJITDylibRef, symbols: &[String]) -> Result<Vec<usize>> {
    let mut names = Vec::with_capacity(symbols.len());
    for sym in symbols {
        names.push(
            CString::new(sym.as_str())
                .map_err(|_| Error::Internal(format!("kernel name {sym:?} holds NUL")))?,
        );
    }
    let mut set: Vec<LLVMOrcCLookupSetElement> = names
        .iter()
        .map(|name| LLVMOrcCLookupSetElement {
            // SAFETY: `jit.raw` is live and `name` NUL-terminated; the returned entry is
            // retained for us, and the lookup takes that reference over.
            Name: unsafe { LLVMOrcLLJITMangleAndIntern(jit.raw, name.as_ptr()) },
            LookupFlags: LLVMOrcSymbolLookupFlags::LLVMOrcSymbolLookupFlagsRequiredSymbol,
        })
        .collect();
    let mut order = [LLVMOrcCJITDylibSearchOrderElement {
        JD: dylib,
        JDLookupFlags:
            LLVMOrcJITDylibLookupFlags::LLVMOrcJITDylibLookupFlagsMatchExportedSymbolsOnly,
    }];
    let (sender, receiver) = mpsc::sync_channel::<LookupResult>(1);
    let ctx = Box::into_raw(Box::new(sender));
    // SAFETY: the search order and lookup set are valid for the call (ORC copies them
    // and takes the interned names over); `lookup_done` is called exactly once, on this
    // thread or an ORC one, and frees `ctx`.
    unsafe {
        LLVMOrcExecutionSessionLookup(
            LLVMOrcLLJITGetExecutionSession(jit.raw),
            LLVMOrcLookupKind::LLVMOrcLookupKindStatic,
            order.as_mut_ptr(),
            order.len(),
            set.as_mut_ptr(),
            set.len(),
            lookup_done,
            ctx.cast(),
        );
    }
    let found = receiver
        .recv()
        .map_err(|_| Error::Internal("the JIT lookup never answered".into()))?
        .map_err(|m| Error::Codegen(format!("linking kernels: {m}")))?;
    // The global prefix (`_` on Darwin) is the only mangling ORC applies.
    // SAFETY: `jit.raw` is live.
    let prefix = match unsafe { LLVMOrcLLJITGetGlobalPrefix(jit.raw) } {
        0 => String::new(),
        c => char::from(c as u8).to_string(),
    };
    symbols
        .iter()
        .map(|sym| {
            let mangled = format!("{prefix}{sym}");
            found
                .iter()
                .find(|(name, _)| *name == mangled)
                .map(|(_, addr)| *addr as usize)
                .ok_or_else(|| Error::Codegen(format!("linking `{sym}`: not found")))
        })
        .collect()
}

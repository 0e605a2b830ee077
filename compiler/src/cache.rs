//! The in-memory compile cache: identical (IR, functions, target, LLVM version, options)
//! compiles once while its code is alive. Its key also names disk entries
//! (`disk_cache.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::compiler::{FunctionSpec, IrLimits, TargetSpec};
use crate::jit::LinkedObject;
use crate::stats::ModuleStats;
use crate::table_kernel::TableFunctionSpec;

pub(crate) type CacheKey = [u8; 32];

/// The version of kernel generation and of the disk entry layout. Part of every key and
/// entry header: bump it whenever generated code (kernel ABI, range functions, passes,
/// vector math mapping) or the entry layout changes, so that no cached code from an
/// older generator is ever loaded.
///
/// 2: kernels take a fifth parameter (the interrupt cell), user code is inlined and
/// guarded (interrupt checks, trap-free division).
pub(crate) const FORMAT_VERSION: u32 = 3;

/// The settings besides the target that change what a module compiles to, or whether it
/// is accepted at all (a cache hit skips the checks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guards {
    pub interrupt_checks: bool,
    pub limits: IrLimits,
}

impl Guards {
    fn hash_into(&self, h: &mut KeyHasher) {
        let l = &self.limits;
        h.field(&[self.interrupt_checks as u8]);
        for v in [
            l.max_ir_bytes as u64,
            l.max_functions as u64,
            l.max_instructions as u64,
            l.max_stack_bytes,
        ] {
            h.field(&v.to_le_bytes());
        }
    }
}

/// What a cache hit needs to hand out kernels again without LLVM work.
#[derive(Clone)]
pub(crate) struct CachedModule {
    pub code: Weak<LinkedObject>,
    pub entries: Vec<usize>,
    pub stats: Arc<ModuleStats>,
}

/// Holds weak references only: the cache never keeps dropped code alive.
pub(crate) struct CompileCache {
    entries: Mutex<HashMap<CacheKey, CachedModule>>,
    capacity: usize,
}

/// Feeds length-prefixed fields to a hash, so that no two different inputs hash the
/// same byte stream.
struct KeyHasher(Sha256);

impl KeyHasher {
    fn new(kind: &str) -> Self {
        let mut h = KeyHasher(Sha256::new());
        h.field(kind.as_bytes());
        h.field(&FORMAT_VERSION.to_le_bytes());
        h
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn common(&mut self, ir: &[u8], functions: &[FunctionSpec], target: &TargetSpec, llvm: &str) {
        self.field(llvm.as_bytes());
        self.field(target.triple.as_bytes());
        self.field(target.cpu.as_bytes());
        self.field(target.features.as_bytes());
        self.field(ir);
        self.field(&(functions.len() as u64).to_le_bytes());
        for f in functions {
            self.field(f.symbol.as_bytes());
            self.field(f.signature.to_string().as_bytes());
        }
    }

    fn tables(&mut self, tables: &[TableFunctionSpec]) {
        self.field(&(tables.len() as u64).to_le_bytes());
        for t in tables {
            self.field(t.symbol.as_bytes());
            self.field(t.signature.to_string().as_bytes());
        }
    }

    fn finish(self) -> CacheKey {
        self.0.finalize().into()
    }
}

impl CompileCache {
    pub fn new(capacity: usize) -> Self {
        CompileCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The key of a CPU compile.
    pub fn key(
        ir: &[u8],
        functions: &[FunctionSpec],
        tables: &[TableFunctionSpec],
        target: &TargetSpec,
        llvm_version: &str,
        vector_math: bool,
        guards: &Guards,
    ) -> CacheKey {
        let mut h = KeyHasher::new("cpu");
        h.common(ir, functions, target, llvm_version);
        h.tables(tables);
        h.field(&[vector_math as u8]);
        guards.hash_into(&mut h);
        h.finish()
    }

    /// The key of a PTX compile: `target` names the compute capability (`sm_80`) and PTX
    /// ISA; `libdevice` identifies the libdevice file math links against.
    pub fn ptx_key(
        ir: &[u8],
        functions: &[FunctionSpec],
        target: &TargetSpec,
        llvm_version: &str,
        libdevice: &str,
        limits: &IrLimits,
    ) -> CacheKey {
        let mut h = KeyHasher::new("ptx");
        h.common(ir, functions, target, llvm_version);
        h.field(libdevice.as_bytes());
        // GPU kernels are not instrumented: only the limits matter.
        Guards {
            interrupt_checks: false,
            limits: *limits,
        }
        .hash_into(&mut h);
        h.finish()
    }

    /// The live module for `key`, if its code has not been dropped.
    pub fn get(&self, key: &CacheKey) -> Option<(Arc<LinkedObject>, CachedModule)> {
        let entries = self.entries.lock();
        let entry = entries.get(key)?;
        Some((entry.code.upgrade()?, entry.clone()))
    }

    pub fn insert(&self, key: CacheKey, module: CachedModule) {
        let mut entries = self.entries.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, m| m.code.strong_count() > 0);
        }
        if entries.len() < self.capacity {
            entries.insert(key, module);
        }
    }

    /// Entries whose code is still loaded.
    pub fn live(&self) -> u64 {
        let entries = self.entries.lock();
        entries
            .values()
            .filter(|m| m.code.strong_count() > 0)
            .count() as u64
    }

    /// Forgets every entry (live code stays loaded: kernels own it); returns how many
    /// entries still had live code.
    pub fn clear(&self) -> u64 {
        let mut entries = self.entries.lock();
        let live = entries
            .values()
            .filter(|m| m.code.strong_count() > 0)
            .count();
        entries.clear();
        live as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Signature;

    #[test]
    fn keys_separate_every_input() {
        let target = TargetSpec {
            triple: "x86_64-unknown-linux-gnu".into(),
            cpu: "znver4".into(),
            features: "+avx2".into(),
        };
        let f = |s: &str| vec![FunctionSpec::new(s, Signature::parse("i64(i64)").unwrap())];
        let limits = IrLimits::default();
        let g = Guards {
            interrupt_checks: true,
            limits,
        };
        let base = CompileCache::key(b"ir", &f("a"), &[], &target, "22.1.0", true, &g);
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("b"), &[], &target, "22.1.0", true, &g)
        );
        assert_ne!(
            base,
            CompileCache::key(b"ir2", &f("a"), &[], &target, "22.1.0", true, &g)
        );
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("a"), &[], &target, "22.1.1", true, &g)
        );
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("a"), &[], &target, "22.1.0", false, &g)
        );
        let other_cpu = TargetSpec {
            cpu: "skylake".into(),
            ..target.clone()
        };
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("a"), &[], &other_cpu, "22.1.0", true, &g)
        );
        let unchecked = Guards {
            interrupt_checks: false,
            ..g
        };
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("a"), &[], &target, "22.1.0", true, &unchecked)
        );
        let smaller = Guards {
            limits: IrLimits {
                max_stack_bytes: 1024,
                ..limits
            },
            ..g
        };
        assert_ne!(
            base,
            CompileCache::key(b"ir", &f("a"), &[], &target, "22.1.0", true, &smaller)
        );
        let ptx = CompileCache::ptx_key(b"ir", &f("a"), &target, "22.1.0", "none", &limits);
        assert_ne!(base, ptx);
        assert_ne!(
            ptx,
            CompileCache::ptx_key(b"ir", &f("a"), &target, "22.1.0", "sha256:00", &limits)
        );
    }
}

//! The in-memory compile cache: identical (IR, functions, target, LLVM version, options)
//! compiles once while its code is alive.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::compiler::{FunctionSpec, TargetSpec};
use crate::jit::LinkedObject;

pub(crate) type CacheKey = [u8; 32];

/// What a cache hit needs to hand out kernels again without LLVM work.
#[derive(Clone)]
pub(crate) struct CachedModule {
    pub code: Weak<LinkedObject>,
    pub entries: Vec<usize>,
    pub compile_time: Duration,
    pub object_size: usize,
}

/// Holds weak references only: the cache never keeps dropped code alive.
pub(crate) struct CompileCache {
    entries: Mutex<HashMap<CacheKey, CachedModule>>,
    capacity: usize,
}

impl CompileCache {
    pub fn new(capacity: usize) -> Self {
        CompileCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn key(
        ir: &[u8],
        functions: &[FunctionSpec],
        target: &TargetSpec,
        llvm_version: &str,
        vector_math: bool,
    ) -> CacheKey {
        let mut h = Sha256::new();
        // Length-prefix every field so that no two different inputs hash the same stream.
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(llvm_version.as_bytes());
        field(target.triple.as_bytes());
        field(target.cpu.as_bytes());
        field(target.features.as_bytes());
        field(&[vector_math as u8]);
        field(ir);
        for f in functions {
            field(f.symbol.as_bytes());
            field(f.signature.to_string().as_bytes());
        }
        h.finalize().into()
    }

    /// The live module for `key`, if its code has not been dropped.
    pub fn get(&self, key: &CacheKey) -> Option<(std::sync::Arc<LinkedObject>, CachedModule)> {
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
}

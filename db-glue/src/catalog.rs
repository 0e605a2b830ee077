//! The function catalog: which IR functions exist, with their compiled kernels.
//!
//! The engine talks to it only through [`FunctionCatalog`]. It holds compiled code, so it
//! lives in memory; durability is the engine's store (`store.rs`), which keeps each
//! function's IR, symbol, signature, origin, owner and creation time and which the engine
//! writes before it changes this catalog. When the engine opens a data directory it
//! compiles the stored functions again into this catalog.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use compiler::{FunctionSpec, Kernel, Signature, ValueType};
use parking_lot::RwLock;

use crate::device::{GpuBuildResult, RunCounts};
use crate::error::{Error, Result};
use crate::introspect::CodeInfo;

/// A function as a client defines it: one SQL name, one IR module (LLVM text or bitcode),
/// and the overloads that module provides.
#[derive(Debug, Clone)]
pub struct FunctionDefinition {
    /// SQL name. Function names are case-insensitive: the catalog keeps them lowercase.
    pub name: String,
    pub ir: Vec<u8>,
    /// One IR symbol and signature per overload; argument type lists must differ.
    pub overloads: Vec<FunctionSpec>,
    /// Who registered it, shown by `SHOW FUNCTIONS` (`sql`, `heavydb`, `remotejit`, …).
    pub origin: String,
    /// The user it belongs to; `None`: the engine's owner (`EngineConfig::owner`).
    pub owner: Option<String>,
}

/// One overload as `SHOW FUNCTIONS` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    pub signature: Signature,
    pub symbol: String,
    /// Where the function can run: `cpu`, and `gpu` when it has a GPU build.
    pub targets: Vec<String>,
    /// Why there is no GPU build, when there is none.
    pub gpu_note: Option<String>,
    /// How many batches ran on each device (`cpu N, gpu M`).
    pub runs: String,
    pub origin: String,
    /// How long compiling its module took (the original compile when the compiler's cache
    /// supplied the code).
    pub compile_time: Duration,
    /// The user who created it: a HeavyDB session's user, the OS user of an embedded
    /// engine.
    pub owner: String,
    pub created_at: SystemTime,
}

/// One overload with its compiled kernel: what a catalog stores.
#[derive(Debug, Clone)]
pub struct RegisteredFunction {
    pub name: String,
    pub symbol: String,
    pub signature: Signature,
    pub origin: String,
    pub owner: String,
    /// When it was created (kept across restarts; a replacement is a new creation).
    pub created_at: SystemTime,
    /// The module the kernel was compiled from, shared by the overloads it defines.
    pub ir: Arc<[u8]>,
    pub kernel: Kernel,
    /// The same function built for the engine's CUDA device, or why there is none.
    pub gpu: GpuBuildResult,
    /// Shared with the overload that runs it, so that `SHOW FUNCTIONS` can say where it ran.
    pub runs: Arc<RunCounts>,
    pub compile_time: Duration,
    /// How the CPU kernel was produced (compiled or from a cache) and what it looks like.
    pub code: CodeInfo,
}

impl RegisteredFunction {
    pub fn info(&self) -> FunctionInfo {
        FunctionInfo {
            name: self.name.clone(),
            signature: self.signature.clone(),
            symbol: self.symbol.clone(),
            targets: if self.gpu.is_ok() {
                vec!["cpu".to_string(), "gpu".to_string()]
            } else {
                vec!["cpu".to_string()]
            },
            gpu_note: self.gpu.as_ref().err().cloned(),
            runs: self.runs.describe(),
            origin: self.origin.clone(),
            compile_time: self.compile_time,
            owner: self.owner.clone(),
            created_at: self.created_at,
        }
    }
}

/// Storage of registered functions, keyed by (name, argument types).
///
/// Implementations are shared between threads; each method is atomic on its own. The
/// engine serialises changes, so an implementation need not order concurrent writers.
pub trait FunctionCatalog: Send + Sync + fmt::Debug {
    /// Adds `functions`, all or nothing. An overload whose name and argument types are
    /// already registered is an [`Error::FunctionExists`] unless `replace`, which replaces
    /// it.
    fn insert(&self, functions: Vec<RegisteredFunction>, replace: bool) -> Result<()>;

    /// Removes the overload of `name` taking `args`, or every overload of `name` when
    /// `args` is `None`. Returns what was removed; empty when nothing matched.
    fn remove(&self, name: &str, args: Option<&[ValueType]>) -> Result<Vec<RegisteredFunction>>;

    /// The overloads of `name`, ordered by argument types.
    fn get(&self, name: &str) -> Vec<RegisteredFunction>;

    /// Every overload, ordered by name, then argument types.
    fn list(&self) -> Vec<RegisteredFunction>;
}

/// A [`FunctionCatalog`] in memory: it lasts as long as the process.
#[derive(Debug, Default)]
pub struct InMemoryFunctionCatalog {
    functions: RwLock<BTreeMap<String, BTreeMap<Vec<ValueType>, RegisteredFunction>>>,
}

impl InMemoryFunctionCatalog {
    pub fn new() -> Self {
        Self::default()
    }
}

impl FunctionCatalog for InMemoryFunctionCatalog {
    fn insert(&self, functions: Vec<RegisteredFunction>, replace: bool) -> Result<()> {
        let mut map = self.functions.write();
        let exists = |f: &&RegisteredFunction| {
            map.get(&f.name)
                .is_some_and(|overloads| overloads.contains_key(&f.signature.args))
        };
        if let Some(f) = functions.iter().find(exists).filter(|_| !replace) {
            return Err(Error::FunctionExists {
                name: f.name.clone(),
                args: arg_list(&f.signature.args),
            });
        }
        for f in functions {
            map.entry(f.name.clone())
                .or_default()
                .insert(f.signature.args.clone(), f);
        }
        Ok(())
    }

    fn remove(&self, name: &str, args: Option<&[ValueType]>) -> Result<Vec<RegisteredFunction>> {
        let mut map = self.functions.write();
        let Some(overloads) = map.get_mut(name) else {
            return Ok(Vec::new());
        };
        let removed = match args {
            Some(args) => overloads.remove(args).into_iter().collect(),
            None => std::mem::take(overloads).into_values().collect(),
        };
        if overloads.is_empty() {
            map.remove(name);
        }
        Ok(removed)
    }

    fn get(&self, name: &str) -> Vec<RegisteredFunction> {
        self.functions
            .read()
            .get(name)
            .map(|overloads| overloads.values().cloned().collect())
            .unwrap_or_default()
    }

    fn list(&self) -> Vec<RegisteredFunction> {
        self.functions
            .read()
            .values()
            .flat_map(|overloads| overloads.values().cloned())
            .collect()
    }
}

/// `int64, int64`, as argument lists are printed in messages.
pub(crate) fn arg_list(args: &[ValueType]) -> String {
    args.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

//! libdevice: NVIDIA's math library for the GPU (`__nv_exp`, `__nv_sin`, …) as LLVM
//! bitcode (`libdevice.10.bc`), found once per [`crate::Compiler`] and prepared on first
//! use: parsed once (in a context of its own, dropped afterwards), patched, and kept as
//! bitcode bytes with the type of every function.
//!
//! LLVM modules cannot move between contexts, and each compile has its own, so a compile
//! loads the prepared bitcode *lazily* into its context — only module-level records are
//! read — and links it with everything but the needed functions internal: the linker
//! reads the bodies of those and of what they call, nothing else.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use inkwell::context::AsContextRef;
use inkwell::module::{Linkage, Module};
use inkwell::values::{AsValueRef, BasicValue};
use llvm_sys::bit_reader::LLVMGetBitcodeModuleInContext2;
use llvm_sys::core::{
    LLVMConstInt, LLVMGetAsString, LLVMGetCalledValue, LLVMGetInitializer, LLVMGetOperand,
    LLVMInstructionEraseFromParent, LLVMInt32TypeInContext, LLVMIsACallInst, LLVMIsAConstantExpr,
    LLVMIsAGlobalVariable, LLVMIsConstantString, LLVMReplaceAllUsesWith,
};
use llvm_sys::prelude::LLVMValueRef;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::llvm::{LlvmSession, parse};

/// The file name every CUDA toolkit (and the `nvidia-cuda-nvcc-cu12` wheel) ships.
pub(crate) const FILE_NAME: &str = "libdevice.10.bc";

/// Where libdevice was looked for, and what was found.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub found: Option<PathBuf>,
    /// Each place looked at, first to last, as `path (why)`.
    pub looked: Vec<String>,
}

/// Finds `libdevice.10.bc`, first hit wins: `explicit` (the `CompilerOptions` field), then
/// when `discover` is set: `$UDF_LIBDEVICE` (the file or its folder),
/// `$CUDA_HOME/nvvm/libdevice/`, `/usr/local/cuda/nvvm/libdevice/`, the
/// `nvidia-cuda-nvcc-cu12` wheel in the udf-server venv (`$UDF_VENV`, default
/// `~/.cache/udf-server/venv`), then in other common Python package folders.
pub(crate) fn discover(explicit: Option<&Path>, discover: bool) -> Search {
    let mut candidates: Vec<(PathBuf, String)> = Vec::new();
    if let Some(p) = explicit {
        candidates.push((file_or_in_dir(p), "CompilerOptions::libdevice".into()));
    }
    if discover {
        if let Some(p) = std::env::var_os("UDF_LIBDEVICE").filter(|v| !v.is_empty()) {
            candidates.push((file_or_in_dir(Path::new(&p)), "$UDF_LIBDEVICE".into()));
        }
        if let Some(home) = std::env::var_os("CUDA_HOME").filter(|v| !v.is_empty()) {
            candidates.push((
                Path::new(&home).join("nvvm/libdevice").join(FILE_NAME),
                "$CUDA_HOME".into(),
            ));
        }
        candidates.push((
            Path::new("/usr/local/cuda/nvvm/libdevice").join(FILE_NAME),
            "CUDA toolkit".into(),
        ));
        for (prefix, why) in python_prefixes() {
            for site in site_packages(&prefix) {
                candidates.push((
                    site.join("nvidia/cuda_nvcc/nvvm/libdevice").join(FILE_NAME),
                    format!("nvidia-cuda-nvcc-cu12 in {why}"),
                ));
            }
        }
    }
    let mut looked = Vec::with_capacity(candidates.len());
    let mut seen = BTreeSet::new();
    for (path, why) in candidates {
        if !seen.insert(path.clone()) {
            continue;
        }
        looked.push(format!("{} ({why})", path.display()));
        if path.is_file() {
            return Search {
                found: Some(path),
                looked,
            };
        }
    }
    if !discover {
        looked.push("discovery disabled (CompilerOptions::libdevice_discovery)".into());
    }
    Search {
        found: None,
        looked,
    }
}

fn file_or_in_dir(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join(FILE_NAME)
    } else {
        p.to_path_buf()
    }
}

/// Python installation prefixes whose `lib/python3*/site-packages` may hold the wheel.
fn python_prefixes() -> Vec<(PathBuf, String)> {
    let mut prefixes = Vec::new();
    let venv = std::env::var_os("UDF_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/udf-server/venv"))
        });
    if let Some(v) = venv {
        prefixes.push((v, "the udf-server venv".to_string()));
    }
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            prefixes.push((PathBuf::from(v), format!("${var}")));
        }
    }
    if let Some(h) = std::env::var_os("HOME") {
        prefixes.push((PathBuf::from(h).join(".local"), "the user site".into()));
    }
    for p in ["/usr/local", "/usr"] {
        prefixes.push((PathBuf::from(p), "the system Python".into()));
    }
    prefixes
}

/// `prefix/lib/python3*/{site,dist}-packages` and Debian's `prefix/lib/python3/dist-packages`
/// that exist, newest Python first.
fn site_packages(prefix: &Path) -> Vec<PathBuf> {
    let lib = prefix.join("lib");
    let Ok(entries) = std::fs::read_dir(&lib) else {
        return Vec::new();
    };
    let mut pythons: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = name.strip_prefix("python3")?;
            let key = std::iter::once(3)
                .chain(
                    version
                        .trim_start_matches('.')
                        .split('.')
                        .filter_map(|p| p.parse().ok()),
                )
                .collect();
            Some((key, e.path()))
        })
        .collect();
    pythons.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    pythons
        .into_iter()
        .flat_map(|(_, dir)| [dir.join("site-packages"), dir.join("dist-packages")])
        .filter(|d| d.is_dir())
        .collect()
}

/// libdevice for one compiler: where it is and, once needed, its prepared bitcode.
pub(crate) struct Libdevice {
    search: Search,
    loaded: OnceLock<std::result::Result<Loaded, String>>,
    identity: OnceLock<String>,
}

impl Libdevice {
    pub fn new(search: Search) -> Self {
        Libdevice {
            search,
            loaded: OnceLock::new(),
            identity: OnceLock::new(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.search.found.as_deref()
    }

    /// What identifies the libdevice PTX is linked against, for cache keys: `none`, or
    /// the SHA-256 of the file (read once per compiler: another CUDA version at the same
    /// path gets other keys after a restart).
    pub fn identity(&self) -> &str {
        self.identity.get_or_init(|| match self.path() {
            None => "none".into(),
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => format!("sha256:{}", hex::encode(Sha256::digest(&bytes))),
                // Unreadable now: PTX needing it fails anyway, and a key naming the path
                // still separates it from a readable libdevice's.
                Err(e) => format!("unreadable:{}:{e}", path.display()),
            },
        })
    }

    /// libdevice, ready to provide the `__nv_*` functions a module calls, given as
    /// (name, LLVM function type as printed) pairs. Refuses names libdevice does not
    /// define and declarations whose type differs from libdevice's.
    pub fn provide(&self, needed: &[(String, String)]) -> Result<&Loaded> {
        let Some(path) = self.path() else {
            let names: Vec<String> = needed.iter().map(|(n, _)| format!("`{n}`")).collect();
            return Err(Error::Libdevice(format!(
                "the module calls {} but {FILE_NAME} was not found (looked in: {}); install \
                 the CUDA toolkit or the nvidia-cuda-nvcc-cu12 wheel, or set UDF_LIBDEVICE",
                names.join(", "),
                self.search.looked.join("; ")
            )));
        };
        let loaded = self
            .loaded
            .get_or_init(|| Loaded::load(path))
            .as_ref()
            .map_err(|e| Error::Libdevice(e.clone()))?;
        for (name, declared) in needed {
            match loaded.types.get(name) {
                None => {
                    return Err(Error::Refused(format!(
                        "the IR calls `{name}`, which libdevice ({}) does not define",
                        path.display()
                    )));
                }
                Some(defined) if defined != declared => {
                    return Err(Error::Refused(format!(
                        "the IR declares `{name}` as `{declared}` but libdevice defines it as \
                         `{defined}`"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(loaded)
    }
}

/// libdevice prepared once: its bitcode (with the answers folded in that LLVM's
/// NVVMReflect gets wrong) and the type of every function it defines.
pub(crate) struct Loaded {
    bitcode: Vec<u8>,
    /// Defined function → its type as LLVM prints it (`double (double)`).
    types: HashMap<String, String>,
}

impl Loaded {
    fn load(path: &Path) -> std::result::Result<Self, String> {
        let start = std::time::Instant::now();
        let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let session = LlvmSession::new();
        let module = parse(&session.context, &bytes)
            .map_err(|e| format!("{} does not parse: {e}", path.display()))?;
        session
            .diagnostics
            .check("parsing libdevice")
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let types = module
            .get_functions()
            .filter(|f| f.count_basic_blocks() > 0)
            .map(|f| {
                (
                    f.get_name().to_string_lossy().into_owned(),
                    f.get_type().print_to_string().to_string(),
                )
            })
            .collect();
        answer_prec_sqrt(&session, &module);
        module
            .verify()
            .map_err(|e| format!("{} does not verify: {e}", path.display()))?;
        let bitcode = module.write_bitcode_to_memory().as_slice().to_vec();
        tracing::debug!(
            path = %path.display(),
            ms = start.elapsed().as_secs_f64() * 1e3,
            "prepared libdevice"
        );
        Ok(Loaded { bitcode, types })
    }

    /// libdevice in `session`'s context, loaded lazily (function bodies are read when the
    /// linker needs them), with only `needed` left external: linking it into a module
    /// then brings in those functions and what they call, nothing else (the effect of
    /// the linker's `LinkOnlyNeeded`, which LLVM's C API does not offer).
    pub fn lazy_module<'ctx>(
        &self,
        session: &'ctx LlvmSession,
        needed: &[(String, String)],
    ) -> Result<Module<'ctx>> {
        let buffer = crate::llvm::memory_buffer_copy(&self.bitcode, "libdevice.10.bc");
        let mut raw = std::ptr::null_mut();
        // SAFETY: LLVM takes ownership of `buffer` (a copy of our bytes) whatever the
        // outcome; on success the module keeps it to read function bodies from.
        let failed = unsafe {
            LLVMGetBitcodeModuleInContext2((&session.context).as_ctx_ref(), buffer, &mut raw)
        } != 0;
        session.diagnostics.check("loading libdevice")?;
        if failed || raw.is_null() {
            return Err(Error::Internal("libdevice bitcode does not load".into()));
        }
        // SAFETY: `raw` is a fresh module of `session.context`, owned from here on.
        let module = unsafe { Module::new(raw) };
        let needed: BTreeSet<&str> = needed.iter().map(|(n, _)| n.as_str()).collect();
        for f in module.get_functions() {
            // Bodies are not read yet (`count_basic_blocks` would say 0): the names of
            // definitions come from `types`.
            let name = f.get_name().to_string_lossy();
            if !self.types.contains_key(name.as_ref()) {
                continue;
            }
            f.set_linkage(if needed.contains(name.as_ref()) {
                Linkage::External
            } else {
                Linkage::Internal
            });
        }
        Ok(module)
    }
}

/// libdevice asks `__nvvm_reflect("__CUDA_PREC_SQRT")` whether float square roots
/// (`__nv_sqrtf`, and those inside `__nv_hypotf`, `__nv_asinhf`, …) must be IEEE
/// round-to-nearest. LLVM 22's NVVMReflect does not read clang's `nvvm-reflect-prec-sqrt`
/// module flag and answers 0 (approximate), so the answer 1 (`nvcc -prec-sqrt=true`, and
/// what the CPU kernels compute) is folded in here.
fn answer_prec_sqrt(session: &LlvmSession, module: &Module<'_>) {
    let Some(reflect) = module.get_function("__nvvm_reflect") else {
        return;
    };
    let reflect_ref = reflect.as_value_ref();
    let mut calls = Vec::new();
    let mut next = reflect.as_global_value().as_pointer_value().get_first_use();
    while let Some(u) = next {
        next = u.get_next_use();
        let user = u.get_user().as_value_ref();
        // SAFETY: `user` is a live user of `__nvvm_reflect`; for a call, operand 0 is its
        // argument and the called operand its callee.
        let is_query = unsafe {
            !LLVMIsACallInst(user).is_null()
                && LLVMGetCalledValue(user) == reflect_ref
                && string_constant(LLVMGetOperand(user, 0)).as_deref() == Some("__CUDA_PREC_SQRT")
        };
        if is_query {
            calls.push(user);
        }
    }
    // SAFETY: the context is live; an i32 constant is context-owned.
    let one = unsafe {
        LLVMConstInt(
            LLVMInt32TypeInContext((&session.context).as_ctx_ref()),
            1,
            0,
        )
    };
    for call in calls {
        // SAFETY: `call` is an `i32` call instruction and `one` has its type. The call
        // has no side effect (`__nvvm_reflect` is a query), so once its uses are replaced
        // it can go.
        unsafe {
            LLVMReplaceAllUsesWith(call, one);
            LLVMInstructionEraseFromParent(call);
        }
    }
}

/// The string a global constant holds (`c"__CUDA_FTZ\00"` → `__CUDA_FTZ`), looking
/// through constant expressions (casts, zero GEPs) around the global.
fn string_constant(mut v: LLVMValueRef) -> Option<String> {
    for _ in 0..4 {
        if v.is_null() {
            return None;
        }
        // SAFETY: `v` is a live value; each call only inspects it.
        unsafe {
            if !LLVMIsAGlobalVariable(v).is_null() {
                let init = LLVMGetInitializer(v);
                if init.is_null() || LLVMIsConstantString(init) == 0 {
                    return None;
                }
                let mut len = 0usize;
                let data = LLVMGetAsString(init, &mut len);
                let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
                let text = bytes.strip_suffix(&[0]).unwrap_or(bytes);
                return Some(String::from_utf8_lossy(text).into_owned());
            }
            if LLVMIsAConstantExpr(v).is_null() {
                return None;
            }
            v = LLVMGetOperand(v, 0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_wins_as_a_file_or_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, b"not really bitcode").unwrap();
        for explicit in [file.as_path(), dir.path()] {
            let s = discover(Some(explicit), true);
            assert_eq!(s.found.as_deref(), Some(file.as_path()));
            assert_eq!(s.looked.len(), 1, "{:?}", s.looked);
            assert!(s.looked[0].contains("CompilerOptions::libdevice"));
        }
    }

    #[test]
    fn without_discovery_only_the_option_is_tried() {
        let s = discover(Some(Path::new("/nonexistent/libdevice.10.bc")), false);
        assert_eq!(s.found, None);
        assert_eq!(
            s.looked,
            vec![
                "/nonexistent/libdevice.10.bc (CompilerOptions::libdevice)".to_string(),
                "discovery disabled (CompilerOptions::libdevice_discovery)".to_string(),
            ]
        );
        let s = discover(None, false);
        assert_eq!(s.found, None);
        assert_eq!(s.looked.len(), 1);
    }

    #[test]
    fn a_file_that_is_not_bitcode_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, b"not really bitcode").unwrap();
        let lib = Libdevice::new(discover(Some(&file), false));
        let needed = [("__nv_exp".to_string(), "double (double)".to_string())];
        let e = lib.provide(&needed).err().unwrap().to_string();
        assert!(
            e.starts_with("libdevice unavailable:") && e.contains(FILE_NAME),
            "{e}"
        );
    }
}

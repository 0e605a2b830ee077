//! The persistent code cache: warm restarts link instead of compiling, damaged or foreign
//! entries are never loaded, the same object can be linked many times in one process,
//! and compile statistics survive the round trip.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use compiler::{
    CodeSource, CompileOutput, CompileRequest, Compiler, CompilerOptions, FunctionSpec, Kernel,
    PtxRequest,
};

const ADD_I64: &str = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";
const HYPEXP: &str = "remotejit/numba068_hypexp_daddA.cpu.ll";

fn cached_compiler(dir: &Path) -> Compiler {
    Compiler::new(CompilerOptions {
        cache_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })
    .expect("compiler")
}

fn add_specs() -> Vec<FunctionSpec> {
    vec![spec("add", "int64(int64, int64)")]
}

fn hypexp_specs() -> Vec<FunctionSpec> {
    vec![spec("hypexp_daddA", "float64(float64, float64)")]
}

fn compile(c: &Compiler, ir: &str, functions: &[FunctionSpec]) -> CompileOutput {
    c.compile(CompileRequest {
        ir: ir.as_bytes(),
        functions,
    })
    .unwrap_or_else(|e| panic!("compile: {e}"))
}

fn check_add(k: &Kernel) {
    let a: Vec<i64> = (0..300).collect();
    let b: Vec<i64> = (0..300).map(|x| x * 7).collect();
    let (out, hits) = run::<i64, i64>(k, &[&a, &b], None);
    assert_eq!(hits, 0);
    assert_eq!(out, (0..300).map(|x| x * 8).collect::<Vec<i64>>());
}

fn check_hypexp(k: &Kernel) {
    let x: Vec<f64> = (0..1000).map(|i| i as f64 / 100.0 - 3.0).collect();
    let y: Vec<f64> = (0..1000).map(|i| (i % 17) as f64 * 0.25).collect();
    let (out, hits) = run::<f64, f64>(k, &[&x, &y], None);
    assert_eq!(hits, 0);
    for i in 0..x.len() {
        let expect = (x[i] * x[i] + y[i] * y[i]).sqrt() * (-x[i]).exp();
        assert!(ulps(out[i], expect) <= 4, "row {i}: {} vs {expect}", out[i]);
    }
}

/// The entry files in the cache folder.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "udfc"))
        .collect();
    v.sort();
    v
}

fn only_entry(dir: &Path) -> PathBuf {
    let e = entries(dir);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

#[test]
fn a_new_compiler_links_from_disk_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let hypexp = sample(HYPEXP);
    let a = cached_compiler(dir.path());
    let a_add = compile(&a, ADD_I64, &add_specs());
    let a_hyp = compile(&a, &hypexp, &hypexp_specs());
    assert_eq!(a_add.source, CodeSource::Compiled);
    assert!(!a_add.cache_hit);
    let s = a.stats();
    assert_eq!((s.compiles, s.disk_misses, s.disk_writes), (2, 2, 2));
    assert_eq!(s.disk_entries, 2);
    assert!(s.disk_bytes > 0);
    assert_eq!(s.compile_seconds.count, 2);
    assert_eq!(a.cache_dir(), Some(dir.path()));
    // Same compiler again: a live module, no disk read.
    assert_eq!(
        compile(&a, ADD_I64, &add_specs()).source,
        CodeSource::MemoryCache
    );
    drop(a);

    let b = cached_compiler(dir.path());
    let b_add = compile(&b, ADD_I64, &add_specs());
    let b_hyp = compile(&b, &hypexp, &hypexp_specs());
    assert_eq!(b_add.source, CodeSource::DiskCache);
    assert!(b_add.cache_hit);
    assert_eq!(b_hyp.module.source(), CodeSource::DiskCache);
    let s = b.stats();
    assert_eq!(s.compiles, 0, "{s:?}");
    assert_eq!(s.disk_hits, 2);
    assert_eq!(s.disk_writes, 0);
    assert_eq!(s.compile_seconds.count, 0);
    check_add(&b_add.module.kernels()[0]);
    check_hypexp(&b_hyp.module.kernels()[0]);
    // The kernels of the first compiler still run beside the reloaded copies.
    check_add(&a_add.module.kernels()[0]);
    check_hypexp(&a_hyp.module.kernels()[0]);

    // A disk hit reports the original compile's numbers, with its own link time.
    let (orig, loaded) = (&a_hyp.stats, &b_hyp.stats);
    assert_eq!(loaded.kernels, orig.kernels);
    assert_eq!(
        (loaded.parse, loaded.optimise, loaded.compile_time),
        (orig.parse, orig.optimise, orig.compile_time)
    );
    assert_eq!(b_hyp.module.compile_time(), orig.compile_time);
    assert_eq!(b_hyp.module.object_size(), a_hyp.module.object_size());
    assert!(loaded.link > std::time::Duration::ZERO);
}

#[test]
fn a_corrupt_entry_is_deleted_recompiled_and_rewritten() {
    for damage in ["flip", "truncate", "empty"] {
        let dir = tempfile::tempdir().unwrap();
        drop(compile(&cached_compiler(dir.path()), ADD_I64, &add_specs()));
        let path = only_entry(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        match damage {
            "flip" => {
                let at = bytes.len() - 20;
                bytes[at] ^= 0x40;
            }
            "truncate" => bytes.truncate(bytes.len() - 1),
            _ => bytes.clear(),
        }
        std::fs::write(&path, &bytes).unwrap();

        let b = cached_compiler(dir.path());
        let out = compile(&b, ADD_I64, &add_specs());
        assert_eq!(out.source, CodeSource::Compiled, "{damage}");
        check_add(&out.module.kernels()[0]);
        let s = b.stats();
        assert_eq!(
            (s.disk_corrupt, s.compiles, s.disk_writes),
            (1, 1, 1),
            "{damage}: {s:?}"
        );
        assert_eq!(s.disk_hits, 0);

        // Rewritten, and good: a third compiler loads it.
        assert_eq!(only_entry(dir.path()), path);
        let c = cached_compiler(dir.path());
        let out = compile(&c, ADD_I64, &add_specs());
        assert_eq!(out.source, CodeSource::DiskCache, "{damage}");
        check_add(&out.module.kernels()[0]);
        assert_eq!(c.stats().disk_corrupt, 0);
    }
}

/// Replaces `from` by `to` (same length) where it first occurs in the file.
fn patch(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} not in {}", path.display()));
    bytes[at..at + from.len()].copy_from_slice(to.as_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn an_entry_for_another_cpu_or_llvm_is_never_loaded() {
    let probe = compiler();
    let llvm = probe.llvm_version().to_string();
    let cpu = probe.host_target().cpu.clone();
    let other_llvm: String = llvm
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    let other_llvm = if other_llvm == llvm {
        llvm.replace('9', "8")
    } else {
        other_llvm
    };
    let other_cpu = "x".repeat(cpu.len());
    for (what, from, to) in [("llvm", &llvm, &other_llvm), ("cpu", &cpu, &other_cpu)] {
        let dir = tempfile::tempdir().unwrap();
        drop(compile(&cached_compiler(dir.path()), ADD_I64, &add_specs()));
        let path = only_entry(dir.path());
        patch(&path, from, to);

        let b = cached_compiler(dir.path());
        let out = compile(&b, ADD_I64, &add_specs());
        assert_eq!(out.source, CodeSource::Compiled, "{what}");
        check_add(&out.module.kernels()[0]);
        let s = b.stats();
        assert_eq!(s.disk_rejected_foreign, 1, "{what}: {s:?}");
        assert_eq!(
            (s.disk_hits, s.disk_corrupt, s.compiles),
            (0, 0, 1),
            "{what}"
        );

        // Replaced by this host's entry.
        let c = cached_compiler(dir.path());
        assert_eq!(
            compile(&c, ADD_I64, &add_specs()).source,
            CodeSource::DiskCache,
            "{what}"
        );
    }
}

#[test]
fn one_object_links_many_times_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let hypexp = sample(HYPEXP);
    let first = cached_compiler(dir.path());
    let held_add = compile(&first, ADD_I64, &add_specs());
    let held_hyp = compile(&first, &hypexp, &hypexp_specs());
    let mut alive = Vec::new();
    for round in 0..12 {
        let c = cached_compiler(dir.path());
        let add = compile(&c, ADD_I64, &add_specs());
        let hyp = compile(&c, &hypexp, &hypexp_specs());
        assert_eq!(add.source, CodeSource::DiskCache, "round {round}");
        assert_eq!(hyp.source, CodeSource::DiskCache, "round {round}");
        check_add(&add.module.kernels()[0]);
        check_hypexp(&hyp.module.kernels()[0]);
        // Keep every other round's copies alive while later ones link and earlier ones
        // are removed.
        if round % 2 == 0 {
            alive.push((add, hyp));
        }
        if round % 3 == 2 {
            alive.remove(0);
        }
    }
    // The same compiler reloads the same object while its first copy is live, once its
    // memory index is cleared.
    let cleared = first.clear_cache().unwrap();
    assert_eq!(cleared.memory_entries, 2);
    assert_eq!(cleared.disk_entries, 2);
    assert!(cleared.disk_bytes > 0);
    assert_eq!(first.stats().disk_entries, 0);
    let again = compile(&first, ADD_I64, &add_specs());
    assert_eq!(again.source, CodeSource::Compiled);
    for (add, hyp) in &alive {
        check_add(&add.module.kernels()[0]);
        check_hypexp(&hyp.module.kernels()[0]);
    }
    check_add(&again.module.kernels()[0]);
    check_add(&held_add.module.kernels()[0]);
    check_hypexp(&held_hyp.module.kernels()[0]);
}

#[test]
fn concurrent_compiles_of_one_key_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let hypexp = sample(HYPEXP);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let c = cached_compiler(dir.path());
                    for _ in 0..3 {
                        let out = compile(&c, &hypexp, &hypexp_specs());
                        check_hypexp(&out.module.kernels()[0]);
                        c.clear_cache().ok();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    // Whatever interleaving happened, what is left is one whole entry or none.
    let left = entries(dir.path());
    assert!(left.len() <= 1, "{left:?}");
    let c = cached_compiler(dir.path());
    let out = compile(&c, &hypexp, &hypexp_specs());
    check_hypexp(&out.module.kernels()[0]);
    assert_eq!(c.stats().disk_corrupt, 0);
    let temps: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
}

#[test]
fn a_cache_that_cannot_be_written_does_not_fail_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let c = cached_compiler(&cache);
    // The folder is replaced by a file: every write fails.
    std::fs::remove_dir(&cache).unwrap();
    std::fs::write(&cache, b"not a folder").unwrap();
    let out = compile(&c, ADD_I64, &add_specs());
    assert_eq!(out.source, CodeSource::Compiled);
    check_add(&out.module.kernels()[0]);
    let s = c.stats();
    assert_eq!((s.disk_write_errors, s.disk_writes), (1, 0));
    assert_eq!(s.disk_entries, 0);
}

#[test]
fn a_deleted_cache_folder_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let c = cached_compiler(&cache);
    std::fs::remove_dir(&cache).unwrap();
    let out = compile(&c, ADD_I64, &add_specs());
    assert_eq!(out.source, CodeSource::Compiled);
    assert_eq!((c.stats().disk_writes, c.stats().disk_entries), (1, 1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }
}

fn host_has_avx(c: &Compiler) -> bool {
    let t = c.host_target();
    t.triple.starts_with("x86_64") && t.features.split(',').any(|f| f == "+avx")
}

#[test]
fn statistics_describe_the_optimised_kernels() {
    let c = compiler();
    let add = compile(&c, ADD_I64, &add_specs());
    let k = &add.stats.kernels[0];
    assert_eq!(
        (k.symbol.as_str(), k.kernel.as_str()),
        ("add", "udf_kernel_0")
    );
    assert!(k.instructions > 0 && k.basic_blocks > 0, "{k:?}");
    assert_eq!(add.module.stats(), &add.stats);
    let s = &add.stats;
    assert!(s.phases_total() <= s.compile_time, "{s:?}");
    assert!(s.parse > std::time::Duration::ZERO && s.optimise > std::time::Duration::ZERO);
    assert_eq!(s.code_size, add.module.object_size());

    let functions = hypexp_specs();
    let hypexp = sample(HYPEXP);
    let out = compile(&c, &hypexp, &functions);
    let k = &out.stats.kernels[0];
    assert!(k.instructions > 0 && k.basic_blocks > 0, "{k:?}");
    assert!(out.stats.phases_total() <= out.stats.compile_time);
    if !host_has_avx(&c) {
        eprintln!(
            "skipped: the host ({} {}) lacks AVX, the vector width check needs it",
            c.host_target().triple,
            c.host_target().cpu
        );
        return;
    }
    assert!(k.vector_width.is_some_and(|w| w >= 2), "{k:?}");
    assert!(k.interleave.is_some_and(|i| i >= 1), "{k:?}");
    let request = CompileRequest {
        ir: hypexp.as_bytes(),
        functions: &functions,
    };
    // The assembly shows the vectorised loop: AVX registers and libmvec's exp.
    let asm = c.kernel_asm(request, None).unwrap();
    assert!(
        asm.contains("%ymm") || asm.contains("%zmm"),
        "no AVX vectors:\n{asm}"
    );
    assert!(asm.contains("_ZGV"), "no vector math call:\n{asm}");
    // The stats helper agrees with the compile's.
    let again = c.kernel_stats(request, None).unwrap();
    assert_eq!(again.kernels, out.stats.kernels);
}

#[test]
fn a_loop_that_cannot_vectorise_reports_no_width() {
    let c = compiler();
    let out = compile(
        &c,
        &sample("remotejit/numba068_collatz_steps_lalA.cpu.ll"),
        &[spec("collatz_steps_lalA", "int64(int64)")],
    );
    let k = &out.stats.kernels[0];
    assert_eq!((k.vector_width, k.interleave), (None, None), "{k:?}");
    assert!(k.instructions > 0);
}

#[test]
fn ptx_is_cached_on_disk_too() {
    let dir = tempfile::tempdir().unwrap();
    // `add` needs no libdevice: none is looked for, so the test runs anywhere.
    let new = || {
        Compiler::new(CompilerOptions {
            cache_dir: Some(dir.path().to_path_buf()),
            libdevice_discovery: false,
            ..Default::default()
        })
        .unwrap()
    };
    let functions = add_specs();
    let request = PtxRequest {
        ir: ADD_I64.as_bytes(),
        functions: &functions,
        compute_capability: 80,
    };
    let a = new();
    let first = a.compile_ptx(request).unwrap();
    assert_eq!(first.source, CodeSource::Compiled);
    assert!(!first.cache_hit());
    let k = &first.stats.kernels[0];
    assert!(k.instructions > 0 && k.basic_blocks > 0, "{k:?}");
    assert!(first.stats.phases_total() <= first.stats.compile_time);
    assert_eq!(first.stats.code_size, first.ptx.len());
    assert_eq!((a.stats().ptx_compiles, a.stats().disk_writes), (1, 1));

    let b = new();
    let second = b.compile_ptx(request).unwrap();
    assert_eq!(second.source, CodeSource::DiskCache);
    assert_eq!(second.ptx, first.ptx);
    assert_eq!(second.kernels, first.kernels);
    assert_eq!(second.target, first.target);
    assert_eq!(second.libdevice_linked, first.libdevice_linked);
    assert_eq!(second.stats, first.stats);
    let s = b.stats();
    assert_eq!((s.ptx_compiles, s.compiles, s.disk_hits), (0, 0, 1));

    // Another compute capability is another entry.
    let other = b
        .compile_ptx(PtxRequest {
            compute_capability: 90,
            ..request
        })
        .unwrap();
    assert_eq!(other.source, CodeSource::Compiled);
    assert_eq!(entries(dir.path()).len(), 2);
}

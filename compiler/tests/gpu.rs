//! The NVPTX path, without a GPU: PTX golden files for the client samples, `ptxas`
//! accepting them, libdevice linking for math, and the refusals.
//!
//! Re-bless after an intended change with `UDF_BLESS=1 cargo test -p compiler --test gpu`
//! and review the diff. GPU math links the libdevice of the pinned `nvidia-cuda-nvcc-cu12`
//! wheel in the udf-server venv (`scripts/setup-python.sh`); without it, cases that need
//! libdevice are skipped, and without `ptxas` the assembler checks are.

mod common;
use common::*;
use compiler::{Compiler, CompilerOptions, PtxRequest};

struct Case {
    name: &'static str,
    file: &'static str,
    functions: &'static [(&'static str, &'static str)],
    compute_capabilities: &'static [u32],
    needs_libdevice: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "gpu_add_int64_numba061",
        file: "remotejit/numba061_add_lallA.nvptx.ll",
        functions: &[("add_lallA", "int64(int64, int64)")],
        compute_capabilities: &[80, 90],
        needs_libdevice: false,
    },
    Case {
        name: "gpu_collatz_numba061",
        file: "remotejit/numba061_collatz_steps_lalA.nvptx.ll",
        functions: &[("collatz_steps_lalA", "int64(int64)")],
        compute_capabilities: &[80],
        needs_libdevice: false,
    },
    Case {
        name: "gpu_hypexp_numba061",
        file: "remotejit/numba061_hypexp_daddA.nvptx.ll",
        functions: &[("hypexp_daddA", "float64(float64, float64)")],
        compute_capabilities: &[80, 90],
        needs_libdevice: true,
    },
    Case {
        // One registration carrying two GPU UDFs (cc 9.0, as the sample was made for).
        name: "gpu_heavydb_register2",
        file: "heavydb/register2_cpu_gpu.gpu.ll",
        functions: &[
            ("incr__gpu_0", "int32(int32)"),
            ("mysin__gpu_0", "float64(float64)"),
        ],
        compute_capabilities: &[90],
        needs_libdevice: true,
    },
    Case {
        // Target-neutral (CPU) IR retargeted: `llvm.sqrt.f64` and libm `exp`.
        name: "gpu_hypexp_numba068_cpu_ir",
        file: "remotejit/numba068_hypexp_daddA.cpu.ll",
        functions: &[("hypexp_daddA", "float64(float64, float64)")],
        compute_capabilities: &[80],
        needs_libdevice: true,
    },
    Case {
        // CPU IR, bool result: one byte per row.
        name: "gpu_is_pos_float32_cpu_ir",
        file: "remotejit/wire_numba061_is_pos_bafA.cpu.ll",
        functions: &[("is_pos_bafA", "bool(float32)")],
        compute_capabilities: &[80],
        needs_libdevice: false,
    },
    Case {
        // rbc's array argument (CPU IR retargeted): `len(x)` of an `int32[]`, which takes
        // three kernel parameters (elements, offsets, NULL bitmap).
        name: "gpu_heavydb_array_sz_int32",
        file: "heavydb/register1_cpu_only.cpu.ll",
        functions: &[("array_sz_int32__cpu_0", "int64(int32[])")],
        compute_capabilities: &[80],
        needs_libdevice: false,
    },
];

fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn ptx_matches_golden_files() {
    let bless = std::env::var_os("UDF_BLESS").is_some();
    let (c, has_libdevice) = gpu_compiler();
    let mut failures = Vec::new();
    for case in CASES {
        for &cc in case.compute_capabilities {
            let name = format!("{}.sm_{cc}", case.name);
            if case.needs_libdevice && !has_libdevice {
                eprintln!("skipped: {name} (libdevice not found)");
                continue;
            }
            let out = ptx(&c, &sample(case.file), case.functions, cc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(out.libdevice_linked, case.needs_libdevice, "{name}");
            let path = golden_dir().join(format!("{name}.ptx"));
            if bless {
                std::fs::write(&path, &out.ptx).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(expected) if expected == out.ptx => {}
                Ok(_) => failures.push(format!("{name}: differs from {}", path.display())),
                Err(e) => failures.push(format!("{name}: {}: {e}", path.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (re-bless with UDF_BLESS=1 after reviewing):\n{}",
        failures.join("\n")
    );
}

/// `.target sm_XX` of a PTX text.
fn ptx_target(ptx: &str) -> u32 {
    ptx.lines()
        .find_map(|l| l.strip_prefix(".target sm_"))
        .and_then(|t| t.trim().parse().ok())
        .expect(".target line")
}

#[test]
fn ptxas_accepts_every_golden_ptx() {
    let ptxas_path = match find_ptxas() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("skipped: ptxas not found ({why})");
            return;
        }
    };
    let mut files: Vec<_> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ptx"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden PTX files");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let target = ptx_target(&text);
        // PTX for sm_80 also assembles for sm_90; not the other way round.
        for arch in [80, 90].into_iter().filter(|a| *a >= target) {
            if let Err(e) = ptxas(&ptxas_path, &text, arch) {
                failures.push(format!("{} for sm_{arch}:\n{e}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "ptxas refused:\n{}",
        failures.join("\n")
    );
}

#[test]
fn kernels_are_grid_stride_entries_over_column_buffers() {
    let (c, _) = gpu_compiler();
    let out = ptx(
        &c,
        &sample("remotejit/numba061_add_lallA.nvptx.ll"),
        &[("add_lallA", "int64(int64, int64)")],
        80,
    )
    .unwrap();
    assert_eq!(out.kernels, vec!["udf_kernel_0"]);
    assert_eq!(out.target.triple, "nvptx64-nvidia-cuda");
    assert_eq!(out.target.cpu, "sm_80");
    assert_eq!(out.target.features, "+ptx70");
    let p = &out.ptx;
    assert!(p.contains(".version 7.0\n.target sm_80\n"), "{p}");
    assert!(p.contains(".visible .entry udf_kernel_0("), "{p}");
    // n, two argument columns, out, valid.
    assert!(p.contains("udf_kernel_0_param_4"), "{p}");
    assert!(!p.contains("udf_kernel_0_param_5"), "{p}");
    for sreg in ["%tid.x", "%ntid.x", "%ctaid.x", "%nctaid.x"] {
        assert!(p.contains(sreg), "{sreg} missing:\n{p}");
    }
    // The client's function is inlined and gone; NULL rows get INT64_MIN.
    assert!(!p.contains("add_lallA"), "{p}");
    assert!(!p.contains(".func"), "{p}");
    assert!(p.contains("-9223372036854775808"), "{p}");
    // Read-only columns go through the non-coherent cache.
    assert!(p.contains("ld.global.nc"), "{p}");
}

#[test]
fn null_sentinels_follow_the_return_type() {
    let (c, _) = gpu_compiler();
    // PTX moves an i8 through a 16-bit register: 0x80 reads `128` there.
    for (ret, llvm, sentinels) in [
        ("int8", "i8", &["-128;", " 128;"][..]),
        ("bool", "i8", &["-128;", " 128;"]),
        ("int16", "i16", &["-32768;", " 32768;"]),
        ("int32", "i32", &["-2147483648;"]),
        ("int64", "i64", &["-9223372036854775808;"]),
        ("float32", "float", &["0f00800000;"]),
        ("float64", "double", &["0d0010000000000000;"]),
    ] {
        let ir = format!("define {llvm} @f({llvm} %a) {{\n  ret {llvm} %a\n}}\n");
        let sig = format!("{ret}({ret})");
        let out = ptx(&c, &ir, &[("f", &sig)], 80).unwrap();
        assert!(
            sentinels.iter().any(|s| out.ptx.contains(s)),
            "{sig}: none of {sentinels:?} in\n{}",
            out.ptx
        );
    }
}

#[test]
fn several_functions_get_one_kernel_each_in_request_order() {
    let (c, _) = gpu_compiler();
    let ir = "define i32 @a(i32 %x) {\n  ret i32 %x\n}\n\
              define i64 @b(i64 %x, i64 %y) {\n  %r = mul i64 %x, %y\n  ret i64 %r\n}\n";
    let out = ptx(
        &c,
        ir,
        &[("b", "int64(int64, int64)"), ("a", "int32(int32)")],
        90,
    )
    .unwrap();
    assert_eq!(out.kernels, vec!["udf_kernel_0", "udf_kernel_1"]);
    assert!(out.ptx.contains(".entry udf_kernel_0("));
    assert!(out.ptx.contains(".entry udf_kernel_1("));
    assert!(out.ptx.contains("mul.lo.s64"), "{}", out.ptx);
}

/// A one-function module calling `call` on its argument(s).
fn math_module(decl: &str, ty: &str, call: &str, args: usize) -> String {
    let params: Vec<String> = (0..args).map(|i| format!("{ty} %a{i}")).collect();
    format!(
        "{decl}\ndefine {ty} @f({}) {{\n  %r = call {ty} {call}({})\n  ret {ty} %r\n}}\n",
        params.join(", "),
        params.join(", ")
    )
}

#[test]
fn math_calls_link_libdevice() {
    let Some(c) = libdevice_compiler() else {
        return;
    };
    let ptxas_path = find_ptxas().ok();
    // (declaration, type, callee, arity) in every spelling clients send: libm (CPU IR),
    // LLVM intrinsics (numba ≥ 0.62 CPU IR) and libdevice itself (rbc's GPU IR).
    let mut cases: Vec<(String, &str, String, usize)> = Vec::new();
    for (f, n) in [
        ("exp", 1),
        ("log", 1),
        ("sin", 1),
        ("pow", 2),
        ("sqrt", 1),
        ("atan2", 2),
        ("log10", 1),
    ] {
        let d = vec!["double"; n].join(", ");
        let s = vec!["float"; n].join(", ");
        for (decl, ty, callee) in [
            (
                format!("declare double @{f}({d})"),
                "double",
                format!("@{f}"),
            ),
            (
                format!("declare double @llvm.{f}.f64({d})"),
                "double",
                format!("@llvm.{f}.f64"),
            ),
            (
                format!("declare double @__nv_{f}({d})"),
                "double",
                format!("@__nv_{f}"),
            ),
            (
                format!("declare float @{f}f({s})"),
                "float",
                format!("@{f}f"),
            ),
            (
                format!("declare float @llvm.{f}.f32({s})"),
                "float",
                format!("@llvm.{f}.f32"),
            ),
        ] {
            cases.push((decl, ty, callee, n));
        }
    }
    for (decl, ty, call, n) in &cases {
        let ir = math_module(decl, ty, call, *n);
        let call = call.as_str();
        let sig = if *ty == "float" {
            format!("float32({})", vec!["float32"; *n].join(", "))
        } else {
            format!("float64({})", vec!["float64"; *n].join(", "))
        };
        let out = ptx(&c, &ir, &[("f", &sig)], 80).unwrap_or_else(|e| panic!("{decl}: {e}"));
        let p = &out.ptx;
        assert!(!p.contains(".extern .func"), "{decl}: not linked:\n{p}");
        assert!(!p.contains("__nv_"), "{decl}: libdevice call left:\n{p}");
        if call.contains("sqrt") {
            // sqrt is an instruction: only an explicit `__nv_sqrt*` call links libdevice.
            assert_eq!(out.libdevice_linked, call.contains("__nv_"), "{decl}");
            let insn = if *ty == "float" {
                "sqrt.rn.f32"
            } else {
                "sqrt.rn.f64"
            };
            assert!(p.contains(insn), "{decl}: no {insn}:\n{p}");
            assert!(!p.contains("sqrt.approx"), "{decl}: approximate sqrt:\n{p}");
        } else {
            assert!(out.libdevice_linked, "{decl}");
        }
        if let Some(ptxas_path) = &ptxas_path {
            ptxas(ptxas_path, p, 80).unwrap_or_else(|e| panic!("{decl}: ptxas: {e}"));
        }
    }
    // `llvm.powi` with a variable exponent has no NVPTX lowering: `__nv_powi`.
    for (ty, sig, intrinsic) in [
        ("double", "float64(float64, int32)", "llvm.powi.f64.i32"),
        ("float", "float32(float32, int32)", "llvm.powi.f32.i32"),
    ] {
        let ir = format!(
            "declare {ty} @{intrinsic}({ty}, i32)\n\
             define {ty} @f({ty} %a, i32 %n) {{\n  %r = call {ty} @{intrinsic}({ty} %a, i32 %n)\n  ret {ty} %r\n}}\n"
        );
        let out = ptx(&c, &ir, &[("f", sig)], 80).unwrap_or_else(|e| panic!("{intrinsic}: {e}"));
        assert!(out.libdevice_linked, "{intrinsic}");
        assert!(!out.ptx.contains(".extern"), "{intrinsic}:\n{}", out.ptx);
    }
}

#[test]
fn float32_libdevice_functions_use_ieee_square_roots() {
    // libdevice asks __nvvm_reflect("__CUDA_PREC_SQRT"), which LLVM 22 answers 0.
    let Some(c) = libdevice_compiler() else {
        return;
    };
    for (f, n) in [
        ("__nv_sqrtf", 1),
        ("__nv_hypotf", 2),
        ("hypotf", 2),
        ("asinhf", 1),
    ] {
        let params = vec!["float"; n].join(", ");
        let ir = math_module(
            &format!("declare float @{f}({params})"),
            "float",
            &format!("@{f}"),
            n,
        );
        let sig = format!("float32({})", vec!["float32"; n].join(", "));
        let out = ptx(&c, &ir, &[("f", &sig)], 80).unwrap();
        assert!(out.ptx.contains("sqrt.rn.f32"), "{f}:\n{}", out.ptx);
        assert!(!out.ptx.contains("sqrt.approx"), "{f}:\n{}", out.ptx);
        // Denormals are kept (nvvm-reflect-ftz = 0): no flush-to-zero square root.
        assert!(!out.ptx.contains("sqrt.rn.ftz"), "{f}:\n{}", out.ptx);
    }
}

#[test]
fn integer_only_modules_need_no_libdevice() {
    let c = Compiler::new(CompilerOptions {
        libdevice: Some("/nonexistent/libdevice.10.bc".into()),
        libdevice_discovery: false,
        ..Default::default()
    })
    .unwrap();
    assert!(c.libdevice_path().is_none());
    let out = ptx(
        &c,
        &sample("remotejit/numba061_add_lallA.nvptx.ll"),
        &[("add_lallA", "int64(int64, int64)")],
        80,
    )
    .unwrap();
    assert!(!out.libdevice_linked);
    // Natively lowered math needs no libdevice either.
    let ir = math_module("declare double @sqrt(double)", "double", "@sqrt", 1);
    let out = ptx(&c, &ir, &[("f", "float64(float64)")], 80).unwrap();
    assert!(out.ptx.contains("sqrt.rn.f64"), "{}", out.ptx);
}

#[test]
fn missing_libdevice_is_a_clear_error_for_math() {
    let c = Compiler::new(CompilerOptions {
        libdevice: Some("/nonexistent/libdevice.10.bc".into()),
        libdevice_discovery: false,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.gpu_target_info().unwrap().libdevice, None);
    let e = ptx(
        &c,
        &sample("remotejit/numba061_hypexp_daddA.nvptx.ll"),
        &[("hypexp_daddA", "float64(float64, float64)")],
        80,
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("libdevice unavailable:"), "{e}");
    assert!(e.contains("`__nv_exp`") && e.contains("`__nv_sqrt`"), "{e}");
    assert!(e.contains("/nonexistent/libdevice.10.bc"), "{e}");
    assert!(e.contains("discovery disabled"), "{e}");
    // libm from CPU IR is mapped to libdevice, and named as such.
    let ir = math_module("declare double @sin(double)", "double", "@sin", 1);
    let e = ptx(&c, &ir, &[("f", "float64(float64)")], 80)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`__nv_sin`"), "{e}");
}

#[test]
fn host_functions_are_refused_by_name() {
    let (c, _) = gpu_compiler();
    let printf = "@fmt = private constant [4 x i8] c\"%d\\0A\\00\"\n\
                  declare i32 @printf(ptr, ...)\n\
                  define i64 @f(i64 %a) {\n  %r = call i32 (ptr, ...) @printf(ptr @fmt, i64 %a)\n  ret i64 %a\n}\n";
    let malloc = "declare ptr @malloc(i64)\n\
                  define i64 @f(i64 %a) {\n  %p = call ptr @malloc(i64 8)\n  store i64 %a, ptr %p\n  %v = load i64, ptr %p\n  ret i64 %v\n}\n";
    let nrt = "declare ptr @NRT_MemInfo_alloc_safe_aligned(i64, i32)\n\
               define i64 @f(i64 %a) {\n  %p = call ptr @NRT_MemInfo_alloc_safe_aligned(i64 8, i32 32)\n  ret i64 %a\n}\n";
    let vprintf = "declare i32 @vprintf(ptr, ptr)\n\
                   define i64 @f(i64 %a) {\n  %r = call i32 @vprintf(ptr null, ptr null)\n  ret i64 %a\n}\n";
    for (symbol, ir) in [
        ("printf", printf),
        ("malloc", malloc),
        ("NRT_MemInfo_alloc_safe_aligned", nrt),
        ("vprintf", vprintf),
    ] {
        let e = ptx(&c, ir, &[("f", "int64(int64)")], 80)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("refused:") && e.contains(&format!("`{symbol}`")) && e.contains("GPU"),
            "{symbol}: {e}"
        );
    }
}

#[test]
fn what_the_nvptx_back_end_would_abort_on_is_refused() {
    let (c, _) = gpu_compiler();
    let cases = [
        (
            "llvm.powi.f64.i16",
            "declare double @llvm.powi.f64.i16(double, i16)\n\
             define double @f(double %a) {\n  %r = call double @llvm.powi.f64.i16(double %a, i16 3)\n  ret double %r\n}\n",
            "float64(float64)",
        ),
        (
            "llvm.sincos",
            "declare { double, double } @llvm.sincos.f64(double)\n\
             define double @f(double %a) {\n  %r = call { double, double } @llvm.sincos.f64(double %a)\n  %s = extractvalue { double, double } %r, 0\n  ret double %s\n}\n",
            "float64(float64)",
        ),
        (
            "llvm.exp.v2f64",
            "declare <2 x double> @llvm.exp.v2f64(<2 x double>)\n\
             define double @f(double %a) {\n  %v = insertelement <2 x double> poison, double %a, i32 0\n  %r = call <2 x double> @llvm.exp.v2f64(<2 x double> %v)\n  %s = extractelement <2 x double> %r, i32 0\n  ret double %s\n}\n",
            "float64(float64)",
        ),
        (
            "llvm.nvvm.",
            "declare void @llvm.nvvm.barrier.cta.sync.aligned.all(i32)\n\
             define double @f(double %a) {\n  call void @llvm.nvvm.barrier.cta.sync.aligned.all(i32 0)\n  ret double %a\n}\n",
            "float64(float64)",
        ),
        (
            "fp128",
            "define double @f(double %a) {\n  %e = fpext double %a to fp128\n  %s = fadd fp128 %e, %e\n  %r = fptrunc fp128 %s to double\n  ret double %r\n}\n",
            "float64(float64)",
        ),
        (
            "wider than 64 bits",
            "define double @f(double %a) {\n  %i = fptosi double %a to i128\n  %r = sitofp i128 %i to double\n  ret double %r\n}\n",
            "float64(float64)",
        ),
        (
            "inline assembly",
            "define i64 @f(i64 %a) {\n  %r = call i64 asm \"mov.b64 $0, $1;\", \"=l,l\"(i64 %a)\n  ret i64 %r\n}\n",
            "int64(int64)",
        ),
        (
            "module-level inline assembly",
            "module asm \".global .u64 x;\"\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
            "int64(int64)",
        ),
    ];
    for (what, ir, sig) in cases {
        let e = ptx(&c, ir, &[("f", sig)], 80).unwrap_err().to_string();
        assert!(e.starts_with("refused:") && e.contains(what), "{what}: {e}");
    }
    // The process is still fine.
    ptx(
        &c,
        "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
        &[("f", "int64(int64)")],
        80,
    )
    .unwrap();
}

#[test]
fn declarations_that_contradict_libdevice_are_refused() {
    let Some(c) = libdevice_compiler() else {
        return;
    };
    let ir = math_module("declare float @__nv_exp(float)", "float", "@__nv_exp", 1);
    let e = ptx(&c, &ir, &[("f", "float32(float32)")], 80)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`__nv_exp`") && e.contains("double (double)"),
        "{e}"
    );
    let ir = math_module(
        "declare double @__nv_nonsense(double)",
        "double",
        "@__nv_nonsense",
        1,
    );
    let e = ptx(&c, &ir, &[("f", "float64(float64)")], 80)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`__nv_nonsense`") && e.contains("does not define"),
        "{e}"
    );
}

#[test]
fn checks_shared_with_the_cpu_path_apply() {
    let (c, _) = gpu_compiler();
    let e = ptx(
        &c,
        "define i64 @f(i64 %a) {\n  %r = add i64 %a, %nope\n  ret i64 %r\n}\n",
        &[("f", "int64(int64)")],
        80,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("malformed LLVM IR") && e.contains(":2:"),
        "{e}"
    );
    let e = ptx(
        &c,
        "define i32 @g(i32 %a) {\n  ret i32 %a\n}\n",
        &[("f", "int32(int32)")],
        80,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "symbol `f` is not defined in the IR (the IR defines: g)");
    let e = ptx(
        &c,
        "define i32 @f(i32 %a) {\n  ret i32 %a\n}\n",
        &[("f", "int64(int64)")],
        80,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("declared int64(int64)"), "{e}");
    let e = c
        .compile_ptx(PtxRequest {
            ir: b"define i32 @f(i32 %a) {\n  ret i32 %a\n}\n",
            functions: &[],
            compute_capability: 80,
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("no functions"), "{e}");
}

#[test]
fn unknown_compute_capabilities_are_refused() {
    let (c, _) = gpu_compiler();
    for cc in [0, 81, 99, 1000] {
        let e = ptx(
            &c,
            "define i32 @f(i32 %a) {\n  ret i32 %a\n}\n",
            &[("f", "int32(int32)")],
            cc,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("compute capability {cc}")) && e.contains("80"),
            "{e}"
        );
    }
    // Every advertised one compiles.
    for cc in c.gpu_target_info().unwrap().compute_capabilities {
        let out = ptx(
            &c,
            "define i32 @f(i32 %a) {\n  ret i32 %a\n}\n",
            &[("f", "int32(int32)")],
            cc,
        )
        .unwrap_or_else(|e| panic!("sm_{cc}: {e}"));
        assert!(out.ptx.contains(&format!(".target sm_{cc}\n")), "sm_{cc}");
    }
}

#[test]
fn gpu_target_info_describes_nvptx64() {
    let (c, has_libdevice) = gpu_compiler();
    let info = c.gpu_target_info().unwrap();
    assert_eq!(info.triple, "nvptx64-nvidia-cuda");
    assert!(info.data_layout.starts_with("e-"), "{}", info.data_layout);
    assert!(info.data_layout.contains("i64:64") && info.data_layout.ends_with("n16:32:64"));
    assert_eq!(info.libdevice.is_some(), has_libdevice);
    assert!(info.compute_capabilities.contains(&80) && info.compute_capabilities.contains(&90));
    assert!(info.compute_capabilities.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn ptx_is_deterministic_and_holds_no_paths() {
    let (c, has_libdevice) = gpu_compiler();
    let (file, symbol) = if has_libdevice {
        ("remotejit/numba061_hypexp_daddA.nvptx.ll", "hypexp_daddA")
    } else {
        ("remotejit/numba061_add_lallA.nvptx.ll", "add_lallA")
    };
    let sig = if has_libdevice {
        "float64(float64, float64)"
    } else {
        "int64(int64, int64)"
    };
    let a = ptx(&c, &sample(file), &[(symbol, sig)], 80).unwrap().ptx;
    let b = ptx(&c, &sample(file), &[(symbol, sig)], 80).unwrap().ptx;
    assert_eq!(a, b);
    // A fresh compiler (fresh libdevice parse) produces the same text.
    let (c2, _) = gpu_compiler();
    assert_eq!(
        a,
        ptx(&c2, &sample(file), &[(symbol, sig)], 80).unwrap().ptx
    );
    assert!(!a.contains(".file"), "{a}");
    // Debug info in the client's IR (with a path) does not reach the PTX.
    let ir = "define i64 @f(i64 %a) !dbg !4 {\n  ret i64 %a, !dbg !7\n}\n\
              !llvm.dbg.cu = !{!0}\n!llvm.module.flags = !{!2, !3}\n\
              !0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, emissionKind: FullDebug)\n\
              !1 = !DIFile(filename: \"udf.py\", directory: \"/home/someone/secret\")\n\
              !2 = !{i32 2, !\"Debug Info Version\", i32 3}\n!3 = !{i32 7, !\"Dwarf Version\", i32 4}\n\
              !4 = distinct !DISubprogram(name: \"f\", scope: !1, file: !1, line: 1, type: !5, unit: !0, spFlags: DISPFlagDefinition)\n\
              !5 = !DISubroutineType(types: !6)\n!6 = !{}\n!7 = !DILocation(line: 1, scope: !4)\n";
    let out = ptx(&c, ir, &[("f", "int64(int64)")], 80).unwrap();
    assert!(!out.ptx.contains("/home/someone"), "{}", out.ptx);
}

#[test]
fn concurrent_compiles_share_one_libdevice() {
    let Some(c) = libdevice_compiler() else {
        return;
    };
    let ir = sample("heavydb/register2_cpu_gpu.gpu.ll");
    let fns = [
        ("incr__gpu_0", "int32(int32)"),
        ("mysin__gpu_0", "float64(float64)"),
    ];
    let expected = ptx(&c, &ir, &fns, 90).unwrap().ptx;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ptx(&c, &ir, &fns, 90).unwrap().ptx))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expected);
        }
    });
}

#[test]
fn host_attributes_and_kernel_like_names_do_not_break_the_gpu_build() {
    // What clang -O0 -fstack-protector-all makes for x86-64: stack protection (which NVPTX
    // aborts on), CPU attributes, no inlining; plus a client function named like a kernel.
    let ir = "target triple = \"x86_64-unknown-linux-gnu\"\n\
              define double @helper(double %x) #0 {\n\
              \x20 %buf = alloca [8 x double], align 16\n\
              \x20 %p = getelementptr [8 x double], ptr %buf, i64 0, i64 3\n\
              \x20 store volatile double %x, ptr %p, align 8\n\
              \x20 %v = load volatile double, ptr %p, align 8\n\
              \x20 ret double %v\n}\n\
              define double @f(double %x) #0 {\n\
              \x20 %r = call double @helper(double %x)\n  ret double %r\n}\n\
              define i64 @udf_kernel_0(i64 %a) #0 {\n  %r = add i64 %a, 1\n  ret i64 %r\n}\n\
              attributes #0 = { noinline nounwind optnone sspreq uwtable \"frame-pointer\"=\"all\" \
              \"stack-protector-buffer-size\"=\"8\" \"target-cpu\"=\"x86-64\" \
              \"target-features\"=\"+cx8,+sse2\" \"tune-cpu\"=\"generic\" }\n";
    let (c, _) = gpu_compiler();
    let out = ptx(
        &c,
        ir,
        &[("f", "float64(float64)"), ("udf_kernel_0", "int64(int64)")],
        80,
    )
    .unwrap();
    assert_eq!(out.kernels, vec!["udf_kernel_0", "udf_kernel_1"]);
    assert!(!out.ptx.contains("stack_chk"), "{}", out.ptx);
    if let Ok(ptxas_path) = find_ptxas() {
        ptxas(&ptxas_path, &out.ptx, 80).unwrap();
    }
}

/// Hand-written functions over arrays and text (opaque pointers to `{T*, i64, i8}`): the
/// element at an index (or the sentinel for a NULL array or an index out of range), the
/// byte length of a text plus a scalar, and a text's NULL flag.
const BUFFER_ARGS_IR: &str = r#"
define double @at_f64(ptr %a, i64 %i) {
entry:
  %np = getelementptr { ptr, i64, i8 }, ptr %a, i32 0, i32 2
  %null = load i8, ptr %np
  %sp = getelementptr { ptr, i64, i8 }, ptr %a, i32 0, i32 1
  %n = load i64, ptr %sp
  %in = icmp ult i64 %i, %n
  %ok0 = icmp eq i8 %null, 0
  %ok = and i1 %in, %ok0
  br i1 %ok, label %get, label %none
get:
  %d = load ptr, ptr %a
  %p = getelementptr double, ptr %d, i64 %i
  %v = load double, ptr %p
  ret double %v
none:
  ret double 0x10000000000000
}

define i32 @len_plus(ptr %t, i32 %k) {
  %sp = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 1
  %n = load i64, ptr %sp
  %n32 = trunc i64 %n to i32
  %r = add i32 %n32, %k
  ret i32 %r
}

define i8 @is_null_text(ptr %t) {
  %np = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 2
  %null = load i8, ptr %np
  ret i8 %null
}
"#;

#[test]
fn array_and_text_arguments_take_three_kernel_parameters() {
    let (c, _) = gpu_compiler();
    let out = ptx(
        &c,
        BUFFER_ARGS_IR,
        &[
            ("at_f64", "float64(float64[], int64)"),
            ("len_plus", "int32(TextEncodingNone, int32)"),
            ("is_null_text", "bool(TextEncodingNone)"),
        ],
        80,
    )
    .unwrap();
    assert!(!out.libdevice_linked);
    let p = &out.ptx;
    // n, (elements, offsets, bitmap) + index, out, valid: params 0..=6.
    assert!(p.contains("udf_kernel_0_param_6"), "{p}");
    assert!(!p.contains("udf_kernel_0_param_7"), "{p}");
    assert!(p.contains("udf_kernel_1_param_6") && !p.contains("udf_kernel_1_param_7"));
    // n, (elements, offsets, bitmap), out, valid.
    assert!(p.contains("udf_kernel_2_param_5") && !p.contains("udf_kernel_2_param_6"));
    // The row's struct lives in registers: no local memory, no stack frame.
    assert!(!p.contains(".local"), "{p}");
    assert!(!p.contains("__local_depot"), "{p}");
    match find_ptxas() {
        Ok(path) => ptxas(&path, p, 80).unwrap_or_else(|e| panic!("ptxas refused:\n{e}\n{p}")),
        Err(why) => eprintln!("skipped: ptxas not found ({why})"),
    }
}

#[test]
fn array_and_text_results_stay_on_the_cpu() {
    let (c, _) = gpu_compiler();
    let ir = sample("heavydb/register1_cpu_only.cpu.ll");
    let e = ptx(
        &c,
        &ir,
        &[
            ("array_sz_int32__cpu_0", "int64(int32[])"),
            ("array_return__cpu_0", "float64[](int32)"),
        ],
        80,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`array_return__cpu_0` (float64[](int32)) returns an array or text, which runs on the CPU only"),
        "{e}"
    );
    assert!(e.contains("allocate_varlen_buffer"), "{e}");
}

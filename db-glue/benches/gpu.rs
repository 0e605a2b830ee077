//! GPU benchmark: UDF kernels compiled to PTX and launched with `gpu::Gpu::run`, measured
//! against the device's own bandwidths taken in the same run, and against the CPU kernels
//! of the same IR on the same data.
//!
//! Two UDFs over float64 columns (two arguments in, one result out): a plain `a + b`
//! (IR written here) and `hypexp` (`remotejit/numba068_hypexp_daddA.cpu.ll`, which is
//! retargeted for the GPU: `sqrt` an instruction, `exp` from libdevice). For each:
//!
//! - **kernel**: the kernel phase of `Gpu::run` (launch to synchronise, columns already in
//!   device memory). Effective bandwidth = 24 bytes per row (16 read, 8 written) / time,
//!   compared with the bandwidth of a hand-written PTX copy kernel (`out[i] = a[i]`, 16
//!   bytes per row) launched the same way: goal ≥ 70 %.
//! - **end to end**: `Gpu::run` from host columns to host result, wall clock, two ways:
//!   `Transfers::Whole` (before: whole columns from pageable memory, copy in, kernel, copy
//!   out one after the other) and `Transfers::Staged` (after: 32 MiB chunks through pinned
//!   buffers on two streams, copies overlapping compute). Compared with the time the bus
//!   needs for the same bytes (16 B in and 8 B out a row) at the pinned bandwidth measured
//!   in the same run (`Gpu::bus_bandwidth`, one direction after the other): goal ≥ 70 %.
//! - **CPU**: `Kernel::run` over the whole columns on one thread, and split into one chunk
//!   per hardware thread.
//!
//! Phase times are CUDA events; "kernel" is the kernel phase of a whole-column launch
//! (columns already on the device).
//!
//! `cargo bench -p db-glue --bench gpu` (or `bench/gpu.sh`): 100M rows (800 MB a column;
//! about 3.2 GB of host memory), median of 5 runs, table printed and written to
//! `bench/out/gpu.txt`. `UDF_GPU_BENCH_ROWS` overrides the row count. Under
//! `cargo test --benches` (no `--bench` argument): 1M rows, 2 runs, nothing written.
//! Without a CUDA device (or libdevice) it prints `skipped: <reason>` and exits 0.

use std::fmt::Write as _;
use std::mem::MaybeUninit;
use std::time::Instant;

use compiler::{
    CompileRequest, Compiler, CompilerOptions, FunctionSpec, Kernel, PtxRequest, Signature,
};
use gpu::{BusBandwidth, Column, DeviceInfo, Gpu, GpuKernel, LaunchTimes, Transfers};

/// Read at run time so that building the bench does not need the `shared/` checkout.
const HYPEXP_IR_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/ir-samples/remotejit/numba068_hypexp_daddA.cpu.ll"
);

const ADD_IR: &str =
    "define double @add(double %a, double %b) {\n  %r = fadd double %a, %b\n  ret double %r\n}\n";

/// `out[i] = a[i]` over 8-byte values, in the compiler's kernel convention
/// `(n, a, b, out, valid)`; `b` and `valid` are not read. Its transfers are those of a
/// two-argument UDF, its kernel streams 8 bytes in and 8 out per row. PTX 6.0 for sm_50:
/// loadable on every device and driver the compiler targets.
const COPY_PTX: &str = r#"
.version 6.0
.target sm_50
.address_size 64

.visible .entry copy_f64(
    .param .u64 p_n, .param .u64 p_a, .param .u64 p_b, .param .u64 p_out, .param .u64 p_valid)
{
    .reg .pred %p<2>;
    .reg .b32 %r<5>;
    .reg .b64 %rd<16>;

    ld.param.u64 %rd1, [p_n];
    ld.param.u64 %rd2, [p_a];
    ld.param.u64 %rd4, [p_out];
    cvta.to.global.u64 %rd2, %rd2;
    cvta.to.global.u64 %rd4, %rd4;
    mov.u32 %r1, %ctaid.x;
    mov.u32 %r2, %ntid.x;
    mov.u32 %r3, %tid.x;
    mov.u32 %r4, %nctaid.x;
    cvt.u64.u32 %rd6, %r1;
    cvt.u64.u32 %rd7, %r2;
    cvt.u64.u32 %rd8, %r3;
    cvt.u64.u32 %rd10, %r4;
    mad.lo.u64 %rd9, %rd6, %rd7, %rd8;
    mul.lo.u64 %rd11, %rd10, %rd7;
LOOP:
    setp.ge.s64 %p1, %rd9, %rd1;
    @%p1 bra DONE;
    shl.b64 %rd12, %rd9, 3;
    add.s64 %rd13, %rd2, %rd12;
    ld.global.nc.u64 %rd14, [%rd13];
    add.s64 %rd15, %rd4, %rd12;
    st.global.u64 [%rd15], %rd14;
    add.s64 %rd9, %rd9, %rd11;
    bra.uni LOOP;
DONE:
    ret;
}
"#;

/// hypexp's GPU result may differ from the CPU's by libm accuracy; the bound and its
/// derivation are those of `tests/gpu_launch.rs` (`Tolerance`).
const HYPEXP_ULPS: f64 = 12.0;

/// The goal for both ratios.
const GOAL: f64 = 0.70;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then a quick
    // smoke run is all that is wanted.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let rows: usize = std::env::var("UDF_GPU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 100_000_000 } else { 1_000_000 });
    let reps = if bench_mode { 5 } else { 2 };

    let compiler = Compiler::new(CompilerOptions::default()).expect("compiler");
    let target = compiler.gpu_target_info().expect("GPU target info");
    if target.libdevice.is_none() {
        println!(
            "skipped: libdevice not found (run scripts/setup-python.sh or set UDF_LIBDEVICE); \
             hypexp needs it on the GPU"
        );
        return;
    }
    let gpu = match Gpu::open(0) {
        Ok(gpu) => gpu,
        Err(e) => {
            // What would be launched still compiles.
            let udfs = compile_udfs(&compiler, 80);
            println!(
                "skipped: no CUDA device ({e}); checked that {} compile for the CPU and sm_80",
                udfs.iter()
                    .map(|u| u.name)
                    .collect::<Vec<_>>()
                    .join(" and ")
            );
            return;
        }
    };
    let (major, minor) = gpu.info().compute_capability;
    let device_cc = (major * 10 + minor) as u32;
    let cc = target
        .capability_for(device_cc)
        .unwrap_or_else(|| panic!("LLVM knows no compute capability ≤ {device_cc}"));
    let udfs = compile_udfs(&compiler, cc);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Deterministic, irregular data: x in [-5, 5), y in [-5, 5).
    let fill = |step: f64| -> Vec<f64> {
        (0..rows)
            .map(|i| -5.0 + 10.0 * (i as f64 * step).fract())
            .collect()
    };
    let x = fill(0.618_033_988_749_894_9);
    let y = fill(0.414_213_562_373_095_1);
    let columns = [
        Column {
            bytes: as_bytes(&x),
            width: 8,
        },
        Column {
            bytes: as_bytes(&y),
            width: 8,
        },
    ];
    let mut gpu_out = vec![0f64; rows];
    let mut cpu_out = vec![0f64; rows];

    let copy_module = gpu.load("bench.copy_f64", COPY_PTX).expect("copy PTX");
    let copy_kernel = copy_module.kernel("copy_f64").expect("copy kernel");
    let copy = time_gpu(
        &gpu,
        &copy_kernel,
        rows,
        &columns,
        &mut gpu_out,
        reps,
        Transfers::Whole,
    );
    let bus = gpu.bus_bandwidth(256 << 20).expect("bus bandwidth");
    assert!(
        gpu_out
            .iter()
            .zip(&x)
            .all(|(o, a)| o.to_bits() == a.to_bits()),
        "the copy kernel did not copy"
    );

    let mut results = Vec::new();
    for udf in &udfs {
        let module = gpu
            .load(&format!("bench.{}.sm_{cc}", udf.name), &udf.ptx)
            .expect("UDF PTX");
        let kernel = module.kernel(&udf.entry).expect("UDF kernel");
        let staged = time_gpu(
            &gpu,
            &kernel,
            rows,
            &columns,
            &mut gpu_out,
            reps,
            Transfers::Staged,
        );
        let staged_out = gpu_out.clone();
        let gpu_times = time_gpu(
            &gpu,
            &kernel,
            rows,
            &columns,
            &mut gpu_out,
            reps,
            Transfers::Whole,
        );
        assert!(
            staged_out
                .iter()
                .zip(&gpu_out)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{}: staged and whole launches differ",
            udf.name
        );
        let cpu_1 = time_cpu(&udf.cpu, &x, &y, &mut cpu_out, 1, reps);
        let cpu_n = time_cpu(&udf.cpu, &x, &y, &mut cpu_out, threads, reps);
        let agreement = agreement(udf.name, &gpu_out, &cpu_out);
        results.push(Row {
            name: udf.name,
            gpu: gpu_times,
            staged,
            cpu_1,
            cpu_n,
            agreement,
        });
    }

    let text = report(gpu.info(), cc, rows, reps, threads, &copy, &bus, &results);
    println!("\n{text}");
    if bench_mode {
        write_report(&text);
    }
}

struct Udf {
    name: &'static str,
    cpu: Kernel,
    ptx: String,
    entry: String,
}

fn compile_udfs(c: &Compiler, cc: u32) -> Vec<Udf> {
    let hypexp = std::fs::read_to_string(HYPEXP_IR_PATH)
        .unwrap_or_else(|e| panic!("cannot read {HYPEXP_IR_PATH} (is shared/ checked out?): {e}"));
    let sig = Signature::parse("float64(float64, float64)").expect("signature");
    [
        ("add", ADD_IR, "add"),
        ("hypexp", hypexp.as_str(), "hypexp_daddA"),
    ]
    .into_iter()
    .map(|(name, ir, symbol)| {
        let functions = [FunctionSpec::new(symbol, sig.clone())];
        let cpu = c
            .compile(CompileRequest {
                ir: ir.as_bytes(),
                functions: &functions,
            })
            .unwrap_or_else(|e| panic!("{name} for the CPU: {e}"))
            .module
            .kernels()[0]
            .clone();
        let ptx = c
            .compile_ptx(PtxRequest {
                ir: ir.as_bytes(),
                functions: &functions,
                compute_capability: cc,
            })
            .unwrap_or_else(|e| panic!("{name} for sm_{cc}: {e}"));
        Udf {
            name,
            cpu,
            entry: ptx.kernels[0].clone(),
            ptx: ptx.ptx,
        }
    })
    .collect()
}

/// Medians of the phases of `reps` launches (after one that loads the module and
/// allocates the device buffers), in seconds; `total` is the wall clock of the call.
#[derive(Debug, Clone, Copy)]
struct GpuTimes {
    to_device: f64,
    kernel: f64,
    to_host: f64,
    total: f64,
}

fn time_gpu(
    gpu: &Gpu,
    kernel: &GpuKernel,
    n: usize,
    columns: &[Column<'_>],
    out: &mut [f64],
    reps: usize,
    transfers: Transfers,
) -> GpuTimes {
    let mut launch = || -> LaunchTimes {
        gpu.run_with(kernel, n, columns, None, as_bytes_mut(out), transfers)
            .expect("GPU launch")
    };
    launch();
    let runs: Vec<LaunchTimes> = (0..reps).map(|_| launch()).collect();
    let phase = |f: fn(&LaunchTimes) -> f64| median(runs.iter().map(f).collect());
    GpuTimes {
        to_device: phase(|t| t.to_device.as_secs_f64()),
        kernel: phase(|t| t.kernel.as_secs_f64()),
        to_host: phase(|t| t.to_host.as_secs_f64()),
        total: phase(|t| t.total.as_secs_f64()),
    }
}

/// Median seconds of `Kernel::run` over all rows, split into `threads` chunks.
fn time_cpu(k: &Kernel, x: &[f64], y: &[f64], out: &mut [f64], threads: usize, reps: usize) -> f64 {
    let chunk = x.len().div_ceil(threads).max(1);
    let mut run = || {
        let started = Instant::now();
        std::thread::scope(|s| {
            for ((xc, yc), oc) in x
                .chunks(chunk)
                .zip(y.chunks(chunk))
                .zip(out.chunks_mut(chunk))
            {
                s.spawn(move || {
                    let n = xc.len();
                    k.run(n, &[as_bytes(xc), as_bytes(yc)], None, as_uninit(oc))
                        .expect("CPU kernel run");
                });
            }
        });
        started.elapsed().as_secs_f64()
    };
    run();
    median((0..reps).map(|_| run()).collect())
}

/// How the GPU's results compare with the CPU's: `add` bit for bit, `hypexp` within
/// [`HYPEXP_ULPS`]. Panics otherwise: a benchmark of wrong results means nothing.
fn agreement(name: &str, gpu: &[f64], cpu: &[f64]) -> String {
    if name == "add" {
        let same = gpu.iter().zip(cpu).all(|(g, c)| g.to_bits() == c.to_bits());
        assert!(same, "add: GPU and CPU results differ");
        return "identical".into();
    }
    let mut max = 0f64;
    for (row, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let scale = g.abs().max(c.abs());
        let d = (g - c).abs() / (scale.next_up() - scale);
        assert!(
            d <= HYPEXP_ULPS,
            "{name} row {row}: GPU {g} vs CPU {c} ({d} ulp)"
        );
        max = max.max(d);
    }
    format!("max {max:.0} ulp (≤ {HYPEXP_ULPS})")
}

struct Row {
    name: &'static str,
    gpu: GpuTimes,
    staged: GpuTimes,
    cpu_1: f64,
    cpu_n: f64,
    agreement: String,
}

#[allow(clippy::too_many_arguments)]
fn report(
    info: &DeviceInfo,
    cc: u32,
    rows: usize,
    reps: usize,
    threads: usize,
    copy: &GpuTimes,
    bus: &BusBandwidth,
    results: &[Row],
) -> String {
    let n = rows as f64;
    let gb_s = |bytes: f64, secs: f64| bytes / secs / 1e9;
    let ms = |secs: f64| secs * 1e3;
    let copy_bw = gb_s(16.0 * n, copy.kernel);
    // The bus time for the bytes of a two-argument float64 UDF, one direction after the
    // other, at the pinned bandwidth.
    let bus_time = 16.0 * n / bus.to_device + 8.0 * n / bus.to_host;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "GPU benchmark on {}: sm_{}{}, {} SMs, {:.1} GiB, CUDA driver {}.{}; PTX for sm_{cc}",
        info.name,
        info.compute_capability.0,
        info.compute_capability.1,
        info.multiprocessors,
        info.memory_bytes as f64 / (1u64 << 30) as f64,
        info.driver_version.0,
        info.driver_version.1,
    );
    let _ = writeln!(
        t,
        "{rows} float64 rows, two argument columns in and one result out ({:.0} MB each), \
         median of {reps} runs; CPU on {threads} threads",
        8.0 * n / 1e6
    );
    let _ = writeln!(
        t,
        "kernel: CUDA events around the kernel of a whole-column launch (data on the device); \
         e2e: wall clock of Gpu::run, host columns to host result"
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "yardsticks, same run:");
    let _ = writeln!(
        t,
        "  device memory  copy kernel out[i] = a[i] {:9.3} ms  {:8.1} GB/s (8 B read + 8 B \
         written per row)",
        ms(copy.kernel),
        copy_bw
    );
    let _ = writeln!(
        t,
        "  bus, pinned    {:.1} GB/s to device, {:.1} GB/s to host: {:.3} ms for 16 B in + 8 B \
         out per row",
        bus.to_device / 1e9,
        bus.to_host / 1e9,
        ms(bus_time)
    );
    let _ = writeln!(
        t,
        "  bus, pageable  copy kernel's whole-column copies: {:.3} ms in ({:.1} GB/s), {:.3} ms \
         out ({:.1} GB/s)",
        ms(copy.to_device),
        gb_s(16.0 * n, copy.to_device),
        ms(copy.to_host),
        gb_s(8.0 * n, copy.to_host),
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "{:<8} {:>10} {:>9} {:>8} {:>13} {:>13} {:>7} {:>11} {:>11} {:>10} {:>10}",
        "udf",
        "kernel ms",
        "GB/s",
        "of copy",
        "e2e whole ms",
        "e2e staged ms",
        "of bus",
        "CPU 1t ms",
        format!("CPU {threads}t ms"),
        "vs kernel",
        "vs e2e"
    );
    let mut goals = Vec::new();
    for r in results {
        let bw = gb_s(24.0 * n, r.gpu.kernel);
        let of_copy = bw / copy_bw;
        let best = r.staged.total.min(r.gpu.total);
        let of_bus = bus_time / best;
        let _ = writeln!(
            t,
            "{:<8} {:>10.3} {:>9.1} {:>7.0}% {:>13.3} {:>13.3} {:>6.0}% {:>11.3} {:>11.3} \
             {:>9.1}x {:>9.2}x",
            r.name,
            ms(r.gpu.kernel),
            bw,
            100.0 * of_copy,
            ms(r.gpu.total),
            ms(r.staged.total),
            100.0 * of_bus,
            ms(r.cpu_1),
            ms(r.cpu_n),
            r.cpu_n / r.gpu.kernel,
            r.cpu_n / best,
        );
        let met = |ratio: f64| if ratio >= GOAL { "met" } else { "NOT met" };
        goals.push(format!(
            "{}: kernel {} ({:.0}%), end to end {} ({:.0}%; staging {:.2}x the whole-column \
             time); GPU vs CPU results {}",
            r.name,
            met(of_copy),
            100.0 * of_copy,
            met(of_bus),
            100.0 * of_bus,
            r.gpu.total / r.staged.total,
            r.agreement
        ));
    }
    let _ = writeln!(
        t,
        "(of bus: the bus time over the better e2e; vs kernel / vs e2e: the {threads}-thread CPU \
         time over the GPU kernel / better end-to-end time)"
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "goals: kernel bandwidth ≥ {:.0}% of the copy kernel's, end to end ≥ {:.0}% of the \
         bus's pinned bandwidth",
        100.0 * GOAL,
        100.0 * GOAL
    );
    for g in goals {
        let _ = writeln!(t, "  {g}");
    }
    t
}

fn write_report(text: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/out");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| dir.canonicalize())
        .and_then(|dir| {
            let path = dir.join("gpu.txt");
            std::fs::write(&path, text).map(|()| path)
        });
    match written {
        Ok(path) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("cannot write {}/gpu.txt: {e}", dir.display()),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn as_bytes(v: &[f64]) -> &[u8] {
    // SAFETY: any f64 is 8 initialised bytes; u8 has no alignment requirement.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast(), std::mem::size_of_val(v)) }
}

fn as_bytes_mut(v: &mut [f64]) -> &mut [u8] {
    // SAFETY: as above, and every byte pattern is a valid f64.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), std::mem::size_of_val(v)) }
}

fn as_uninit(v: &mut [f64]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: as above; the kernel only writes initialised bytes through it.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), std::mem::size_of_val(v)) }
}

//! Device discovery and launches. Tests that need a device print why they skipped when
//! there is none (CI has no GPU); `bench/gpu.sh` runs them on a GPU machine.

use gpu::{Column, Error, Gpu, Transfers, driver_present, probe};

/// `out[i] = a[i] + b[i]` over i64 columns in the compiler's kernel convention, written
/// by hand so that the launcher is tested on its own.
const ADD_PTX: &str = r#"
.version 7.0
.target sm_80
.address_size 64

.visible .entry add_i64(
    .param .u64 p_n, .param .u64 p_a, .param .u64 p_b, .param .u64 p_out, .param .u64 p_valid)
{
    .reg .pred %p<4>;
    .reg .b16 %rs<2>;
    .reg .b32 %r<5>;
    .reg .b64 %rd<24>;

    ld.param.u64 %rd1, [p_n];
    ld.param.u64 %rd2, [p_a];
    ld.param.u64 %rd3, [p_b];
    ld.param.u64 %rd4, [p_out];
    ld.param.u64 %rd5, [p_valid];
    cvta.to.global.u64 %rd2, %rd2;
    cvta.to.global.u64 %rd3, %rd3;
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
    ld.global.u64 %rd14, [%rd13];
    add.s64 %rd15, %rd3, %rd12;
    ld.global.u64 %rd16, [%rd15];
    add.s64 %rd17, %rd14, %rd16;
    setp.eq.u64 %p2, %rd5, 0;
    @%p2 bra STORE;
    cvta.to.global.u64 %rd20, %rd5;
    add.s64 %rd18, %rd20, %rd9;
    ld.global.u8 %rs1, [%rd18];
    setp.ne.u16 %p3, %rs1, 0;
    @%p3 bra STORE;
    mov.u64 %rd17, -9223372036854775808;
STORE:
    add.s64 %rd19, %rd4, %rd12;
    st.global.u64 [%rd19], %rd17;
    add.s64 %rd9, %rd9, %rd11;
    bra.uni LOOP;
DONE:
    ret;
}
"#;

fn device() -> Option<Gpu> {
    match Gpu::open(0) {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            println!("skipped: no CUDA device ({e})");
            None
        }
    }
}

fn bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

#[test]
fn without_a_driver_discovery_is_an_error_not_a_panic() {
    if driver_present() {
        let devices = probe().expect("probe with a driver");
        println!("driver present: {} device(s)", devices.len());
        return;
    }
    let err = probe().unwrap_err();
    assert!(matches!(err, Error::NoDriver(_)), "{err}");
    assert!(err.to_string().contains("libcuda"), "{err}");
    let err = Gpu::open(0).unwrap_err();
    assert!(err.to_string().contains("no CUDA driver"), "{err}");
}

#[test]
fn launches_over_columns_with_validity_and_reuses_buffers() {
    let Some(gpu) = device() else { return };
    let module = gpu.load("add_i64", ADD_PTX).unwrap();
    let kernel = module.kernel("add_i64").unwrap();
    for n in [1usize, 1000, 1 << 20, 1000] {
        let a: Vec<i64> = (0..n as i64).collect();
        let b: Vec<i64> = (0..n as i64).map(|i| 3 * i).collect();
        let valid: Vec<u8> = (0..n).map(|i| u8::from(i % 7 != 3)).collect();
        let mut out = vec![0u8; n * 8];
        gpu.run(
            &kernel,
            n,
            &[
                Column {
                    bytes: &bytes(&a),
                    width: 8,
                },
                Column {
                    bytes: &bytes(&b),
                    width: 8,
                },
            ],
            Some(&valid),
            &mut out,
        )
        .unwrap();
        for i in 0..n {
            let got = i64::from_ne_bytes(out[i * 8..i * 8 + 8].try_into().unwrap());
            let want = if valid[i] != 0 {
                4 * i as i64
            } else {
                i64::MIN
            };
            assert_eq!(got, want, "row {i} of {n}");
        }
    }
    // A module is loaded once per key; a missing kernel is a clear error.
    assert!(std::sync::Arc::ptr_eq(
        &module,
        &gpu.load("add_i64", "garbage").unwrap()
    ));
    let err = module.kernel("nope").unwrap_err();
    assert!(err.to_string().contains("kernel lookup"), "{err}");
}

#[test]
fn bad_launches_are_refused_before_the_device_sees_them() {
    let Some(gpu) = device() else { return };
    let module = gpu.load("add_i64", ADD_PTX).unwrap();
    let kernel = module.kernel("add_i64").unwrap();
    let mut out = vec![0u8; 16];
    let err = gpu
        .run(
            &kernel,
            2,
            &[Column {
                bytes: &[0u8; 8],
                width: 8,
            }],
            None,
            &mut out,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("argument 0 has 8 bytes, expected 2 values"),
        "{err}"
    );
    let err = gpu
        .load("broken", ".version 7.0\n.target sm_80\nnonsense")
        .unwrap_err();
    assert!(err.to_string().contains("PTX load"), "{err}");
}

/// Staged launches split the rows into chunks of at most 32 MiB of input (2 × 8-byte
/// columns + 1 validity byte = 17 bytes a row, so about 2M rows a chunk) over two streams:
/// 5M rows cross chunk boundaries on both slots and end with a partial chunk.
#[test]
fn staged_launches_agree_with_whole_ones_across_chunks() {
    let Some(gpu) = device() else { return };
    let module = gpu.load("add_i64", ADD_PTX).unwrap();
    let kernel = module.kernel("add_i64").unwrap();
    for n in [5_000_003usize, 7, 2_500_000] {
        let a = bytes(&(0..n as i64).collect::<Vec<_>>());
        let b = bytes(&(0..n as i64).map(|i| -7 * i).collect::<Vec<_>>());
        let valid: Vec<u8> = (0..n).map(|i| u8::from(i % 11 != 5)).collect();
        let columns = [
            Column {
                bytes: &a,
                width: 8,
            },
            Column {
                bytes: &b,
                width: 8,
            },
        ];
        let mut whole = vec![0u8; n * 8];
        let mut staged = vec![0xA5u8; n * 8];
        let w = gpu
            .run_with(
                &kernel,
                n,
                &columns,
                Some(&valid),
                &mut whole,
                Transfers::Whole,
            )
            .unwrap();
        let s = gpu
            .run_with(
                &kernel,
                n,
                &columns,
                Some(&valid),
                &mut staged,
                Transfers::Staged,
            )
            .unwrap();
        assert_eq!(w.transfers, Transfers::Whole);
        assert_eq!(s.transfers, Transfers::Staged);
        let first_difference = whole
            .chunks(8)
            .zip(staged.chunks(8))
            .position(|(x, y)| x != y);
        assert_eq!(first_difference, None, "rows differ at {n} rows");
        for i in [0, n / 2, n - 1] {
            let got = i64::from_ne_bytes(staged[i * 8..i * 8 + 8].try_into().unwrap());
            let want = if valid[i] != 0 {
                -6 * i as i64
            } else {
                i64::MIN
            };
            assert_eq!(got, want, "row {i} of {n}");
        }
        println!(
            "{n} rows: whole {:?} (in {:?}, kernel {:?}, out {:?}); staged {:?}",
            w.total, w.to_device, w.kernel, w.to_host, s.total
        );
    }
    let bus = gpu.bus_bandwidth(256 << 20).unwrap();
    assert!(bus.to_device > 1e9 && bus.to_host > 1e9, "{bus:?}");
    println!(
        "pinned copies: {:.1} GB/s to the device, {:.1} GB/s back",
        bus.to_device / 1e9,
        bus.to_host / 1e9
    );
}

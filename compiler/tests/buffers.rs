//! Array and text arguments (`udf-abi.md` §4): each row reaches the function as a pointer
//! to `{T* ptr, i64 size, i8 is_null}` built from Arrow-style values, offsets and a NULL
//! bitmap (`KernelArg::Buffers`).

mod common;

use std::mem::MaybeUninit;

use common::*;
use compiler::{Interrupt, Kernel, KernelArg, ScalarType};

/// Runs a one-argument kernel returning `R` over one buffer column.
fn run_buffers<R: Bytes>(
    k: &Kernel,
    values: &[u8],
    offsets: &[i32],
    nulls: Option<&[u8]>,
    extra: &[&[u8]],
) -> Vec<R> {
    let n = offsets.len() - 1;
    let mut args = vec![KernelArg::Buffers {
        values,
        offsets,
        nulls,
    }];
    args.extend(extra.iter().map(|e| KernelArg::Values(e)));
    let mut out = vec![MaybeUninit::<u8>::uninit(); n * std::mem::size_of::<R>()];
    k.run_args(n, &args, None, &mut out, &Interrupt::new())
        .expect("run");
    // SAFETY: the kernel wrote all n values.
    let bytes: Vec<u8> = out.iter().map(|b| unsafe { b.assume_init() }).collect();
    R::from_bytes(&bytes)
}

/// `i64 len(T[])`, `T at(T[], i64)` (the sentinel when out of range), `i8 is_null(T[])`.
fn array_ir(t: &str) -> String {
    format!(
        "define i64 @len(ptr %a) {{
  %p = getelementptr {{ ptr, i64, i8 }}, ptr %a, i32 0, i32 1
  %n = load i64, ptr %p
  ret i64 %n
}}
define {t} @at(ptr %a, i64 %i) {{
  %dp = getelementptr {{ ptr, i64, i8 }}, ptr %a, i32 0, i32 0
  %d = load ptr, ptr %dp
  %e = getelementptr {t}, ptr %d, i64 %i
  %v = load {t}, ptr %e
  ret {t} %v
}}
define i8 @is_null(ptr %a) {{
  %p = getelementptr {{ ptr, i64, i8 }}, ptr %a, i32 0, i32 2
  %v = load i8, ptr %p
  ret i8 %v
}}
"
    )
}

#[test]
fn array_length_element_and_null_for_every_element_type() {
    let c = compiler();
    for t in ScalarType::ALL {
        let ir = array_ir(t.llvm_name());
        let len = kernel(&c, &ir, "len", &format!("int64({t}[])"));
        let at = kernel(&c, &ir, "at", &format!("{t}({t}[], int64)"));
        let is_null = kernel(&c, &ir, "is_null", &format!("int8({t}[])"));
        // Rows: [e0, e1, e2], NULL, [], [e3]; element j holds the byte pattern j + 1.
        let w = t.width();
        let values: Vec<u8> = (0..4u8)
            .flat_map(|j| {
                let mut e = vec![0u8; w];
                e[0] = j + 1;
                e
            })
            .collect();
        let offsets = [0, 3, 3, 3, 4];
        let nulls = [0b1101u8];
        assert_eq!(
            run_buffers::<i64>(&len, &values, &offsets, Some(&nulls), &[]),
            vec![3, 0, 0, 1],
            "{t}"
        );
        assert_eq!(
            run_buffers::<i8>(&is_null, &values, &offsets, Some(&nulls), &[]),
            vec![0, 1, 0, 0],
            "{t}"
        );
        assert_eq!(
            run_buffers::<i8>(&is_null, &values, &offsets, None, &[]),
            vec![0, 0, 0, 0],
            "{t} without a NULL bitmap"
        );
        // Element 1 of row 0 and element 0 of row 3: bytes 2 and 4 at the element's start.
        let index = i64::to_bytes(&[1, 0, 0, 0]);
        let mut out = vec![MaybeUninit::<u8>::uninit(); 4 * w];
        // Rows 1 and 2 have no element 0: only rows 0 and 3 are asked for.
        let ok_rows = [0b1001u8];
        at.run_args(
            4,
            &[
                KernelArg::Buffers {
                    values: &values,
                    offsets: &offsets,
                    nulls: Some(&nulls),
                },
                KernelArg::Values(&index),
            ],
            Some(&ok_rows),
            &mut out,
            &Interrupt::new(),
        )
        .expect("run");
        // SAFETY: every row was written (skipped rows with zero).
        let out: Vec<u8> = out.iter().map(|b| unsafe { b.assume_init() }).collect();
        assert_eq!(out[0], 2, "{t}: row 0, element 1");
        assert_eq!(out[3 * w], 4, "{t}: row 3, element 0");
    }
}

const TEXT_IR: &str = "define i64 @text_len(ptr %t) {
  %p = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 1
  %n = load i64, ptr %p
  ret i64 %n
}
define i64 @count_a(ptr %t) {
entry:
  %dp = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 0
  %d = load ptr, ptr %dp
  %np = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 1
  %n = load i64, ptr %np
  %any = icmp sgt i64 %n, 0
  br i1 %any, label %loop, label %done
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %c = phi i64 [ 0, %entry ], [ %c1, %loop ]
  %bp = getelementptr i8, ptr %d, i64 %i
  %b = load i8, ptr %bp
  %is = icmp eq i8 %b, 97
  %add = zext i1 %is to i64
  %c1 = add i64 %c, %add
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %done
done:
  %r = phi i64 [ 0, %entry ], [ %c1, %loop ]
  ret i64 %r
}
";

#[test]
fn text_length_and_bytes() {
    let c = compiler();
    let len = kernel(&c, TEXT_IR, "text_len", "int64(TextEncodingNone)");
    let count = kernel(&c, TEXT_IR, "count_a", "int64(TextEncodingNone)");
    let words = ["banana", "", "aardvark", "xyz"];
    let values: Vec<u8> = words.concat().into_bytes();
    let mut offsets = vec![0i32];
    for w in words {
        offsets.push(offsets.last().unwrap() + w.len() as i32);
    }
    assert_eq!(
        run_buffers::<i64>(&len, &values, &offsets, None, &[]),
        vec![6, 0, 8, 3]
    );
    assert_eq!(
        run_buffers::<i64>(&count, &values, &offsets, None, &[]),
        vec![3, 0, 3, 0]
    );
    // A slice of a longer column: offsets need not start at 0.
    assert_eq!(
        run_buffers::<i64>(&count, &values, &offsets[2..], None, &[]),
        vec![3, 0]
    );
}

#[test]
fn the_clients_typed_pointer_ir_takes_arrays() {
    // rbc's `array_sz_int32` as numba 0.61 emits it: `{ i32*, i64, i8 }*`, read by LLVM 22
    // as `ptr`.
    let c = compiler();
    let ir = sample("heavydb/register1_cpu_only.cpu.ll");
    let k = kernel(&c, &ir, "array_sz_int32__cpu_0", "int64(int32[])");
    let values = i32::to_bytes(&[7, 8, 9]);
    assert_eq!(
        run_buffers::<i64>(&k, &values, &[0, 2, 2, 3], Some(&[0b101]), &[]),
        vec![2, 0, 1]
    );
}

#[test]
fn bad_buffer_columns_are_refused_before_the_kernel_runs() {
    let c = compiler();
    let k = kernel(&c, TEXT_IR, "text_len", "int64(TextEncodingNone)");
    let values = b"abcdef";
    let mut out = vec![MaybeUninit::<u8>::uninit(); 3 * 8];
    let mut call = |offsets: &[i32], nulls: Option<&[u8]>, arg: Option<KernelArg<'_>>| {
        let arg = arg.unwrap_or(KernelArg::Buffers {
            values,
            offsets,
            nulls,
        });
        k.run_args(3, &[arg], None, &mut out, &Interrupt::new())
            .unwrap_err()
            .to_string()
    };
    for (offsets, expected) in [
        (&[0, 1, 2][..], "3 offsets for 3 rows"),
        (&[0, 4, 2, 5][..], "never decrease"),
        (&[-1, 0, 1, 2][..], "start at 0 or more"),
        (
            &[0, 2, 4, 9][..],
            "6 bytes of elements, the offsets reach byte 9",
        ),
    ] {
        let err = call(offsets, None, None);
        assert!(err.contains(expected), "{offsets:?}: {err}");
    }
    let err = call(&[0, 1, 2, 3], Some(&[]), None);
    assert!(err.contains("NULL bitmap holds 0 bytes"), "{err}");
    let err = call(&[], None, Some(KernelArg::Values(values)));
    assert!(
        err.contains("TextEncodingNone needs KernelArg::Buffers"),
        "{err}"
    );
}

#[test]
fn buffer_signatures_must_match_the_ir() {
    let c = compiler();
    // Declared with an array argument, but the IR takes the element by value.
    let err = compile_err(
        &c,
        "define i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
        "f",
        "int64(int64[])",
    );
    assert!(
        err.contains("`f` is declared int64(int64[]) but the IR defines i64 (i64)"),
        "{err}"
    );
    // Returning an array: `void f(ptr out, …)`, not the array's element.
    let err = compile_err(
        &c,
        "define double @g(i32 %n) {\n  ret double 0.0\n}\n",
        "g",
        "float64[](int32)",
    );
    assert!(
        err.contains("`g` is declared float64[](int32) but the IR defines double (i32)"),
        "{err}"
    );
}

/// `double[] iota(int32 n)`: [0, 1, …, n-1], NULL for n = 0 (as rbc flags empty arrays);
/// `double[] alias(double[] a)`: hands back its argument's own elements (not allowed);
/// `int8[] huge(int64 n)`: asks for n bytes.
const RETURN_IR: &str = "declare ptr @allocate_varlen_buffer(i64, i64)

define void @iota(ptr %out, i32 %n) {
entry:
  %n64 = sext i32 %n to i64
  %buf = call ptr @allocate_varlen_buffer(i64 %n64, i64 8)
  %any = icmp sgt i64 %n64, 0
  br i1 %any, label %loop, label %done
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %f = sitofp i64 %i to double
  %p = getelementptr double, ptr %buf, i64 %i
  store double %f, ptr %p
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n64
  br i1 %more, label %loop, label %done
done:
  %dp = getelementptr { ptr, i64, i8 }, ptr %out, i32 0, i32 0
  store ptr %buf, ptr %dp
  %np = getelementptr { ptr, i64, i8 }, ptr %out, i32 0, i32 1
  store i64 %n64, ptr %np
  %empty = icmp eq i64 %n64, 0
  %z = zext i1 %empty to i8
  %zp = getelementptr { ptr, i64, i8 }, ptr %out, i32 0, i32 2
  store i8 %z, ptr %zp
  ret void
}

define void @alias(ptr %out, ptr %a) {
  %v = load { ptr, i64, i8 }, ptr %a
  store { ptr, i64, i8 } %v, ptr %out
  ret void
}

define void @huge(ptr %out, i64 %n) {
  %buf = call ptr @allocate_varlen_buffer(i64 %n, i64 1)
  %dp = getelementptr { ptr, i64, i8 }, ptr %out, i32 0, i32 0
  store ptr %buf, ptr %dp
  %np = getelementptr { ptr, i64, i8 }, ptr %out, i32 0, i32 1
  store i64 %n, ptr %np
  ret void
}
";

fn doubles(bytes: &[u8]) -> Vec<f64> {
    f64::from_bytes(bytes)
}

#[test]
fn arrays_are_returned_through_allocate_varlen_buffer() {
    let c = compiler();
    let k = kernel(&c, RETURN_IR, "iota", "float64[](int32)");
    let n = i32::to_bytes(&[3, 0, 1, 5]);
    // Row 3 is skipped (a NULL argument).
    let results = k
        .run_buffers(
            4,
            &[KernelArg::Values(&n)],
            Some(&[0b0111]),
            &Interrupt::new(),
            1 << 20,
        )
        .expect("run");
    assert_eq!(results.len(), 4);
    assert_eq!(
        doubles(results.row(0).unwrap().unwrap()),
        vec![0.0, 1.0, 2.0]
    );
    assert_eq!(results.row(1).unwrap(), None, "length 0 is flagged NULL");
    assert_eq!(doubles(results.row(2).unwrap().unwrap()), vec![0.0]);
    assert_eq!(
        results.row(3).unwrap(),
        Some(&[][..]),
        "a skipped row is empty"
    );
}

#[test]
fn a_returned_buffer_must_be_memory_the_udf_allocated() {
    let c = compiler();
    let k = kernel(&c, RETURN_IR, "alias", "float64[](float64[])");
    let values = f64::to_bytes(&[1.0, 2.0]);
    let results = k
        .run_buffers(
            1,
            &[KernelArg::Buffers {
                values: &values,
                offsets: &[0, 2],
                nulls: None,
            }],
            None,
            &Interrupt::new(),
            1 << 20,
        )
        .expect("run");
    let err = results.row(0).unwrap_err().to_string();
    assert!(
        err.contains("`alias` returned a buffer of 2 elements")
            && err.contains("not memory it allocated with allocate_varlen_buffer"),
        "{err}"
    );
}

#[test]
fn allocations_are_bounded_per_run() {
    let c = compiler();
    let k = kernel(&c, RETURN_IR, "huge", "int8[](int64)");
    let run = |n: i64, budget: usize| {
        let arg = i64::to_bytes(&[n]);
        k.run_buffers(
            1,
            &[KernelArg::Values(&arg)],
            None,
            &Interrupt::new(),
            budget,
        )
    };
    let ok = run(1000, 1 << 20).expect("run");
    assert_eq!(ok.row(0).unwrap().unwrap().len(), 1000);
    let err = run(2 << 20, 1 << 20)
        .err()
        .expect("over the budget")
        .to_string();
    assert!(
        err.contains("allocated more than 1 MiB in one batch"),
        "{err}"
    );
    let err = run(-5, 1 << 20).err().expect("negative").to_string();
    assert!(
        err.contains("allocate_varlen_buffer(-5, 1): not a valid size"),
        "{err}"
    );
}

#[test]
fn runtime_functions_cannot_be_redefined() {
    let c = compiler();
    let err = compile_err(
        &c,
        "define ptr @allocate_varlen_buffer(i64 %a, i64 %b) {\n  ret ptr null\n}\n\
         define i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
        "f",
        "int64(int64)",
    );
    assert!(
        err.contains("defines function `allocate_varlen_buffer`, a symbol of the server"),
        "{err}"
    );
}

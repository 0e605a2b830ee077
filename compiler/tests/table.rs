//! Table functions (`udf-abi.md` §6): the kernel wrapper, column structs, sizers, the
//! manager's runtime functions and error returns, on rbc's IR and hand-written IR.

mod common;

use std::time::Duration;

use common::*;
use compiler::{
    CompileRequest, Compiler, Error, Interrupt, TableFunctionSpec, TableKernel, TableOutput,
    TableSignature, TableValue,
};

const BUDGET: usize = 64 << 20;

fn table_kernel(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> TableKernel {
    let tables = [TableFunctionSpec::new(
        symbol,
        TableSignature::parse(sig).expect("signature"),
    )];
    let out = c
        .compile_with_tables(
            CompileRequest {
                ir: ir.as_bytes(),
                functions: &[],
            },
            &tables,
        )
        .unwrap_or_else(|e| panic!("compiling {symbol}: {e}"));
    out.module
        .table_kernel(symbol)
        .expect("table kernel")
        .clone()
}

fn table_err(c: &Compiler, ir: &str, symbol: &str, sig: &str) -> String {
    let tables = [TableFunctionSpec::new(
        symbol,
        TableSignature::parse(sig).expect("signature"),
    )];
    c.compile_with_tables(
        CompileRequest {
            ir: ir.as_bytes(),
            functions: &[],
        },
        &tables,
    )
    .map(|_| ())
    .expect_err("compile should fail")
    .to_string()
}

fn cursor<'a>(columns: &[&'a [u8]], rows: usize) -> TableValue<'a> {
    TableValue::Cursor {
        columns: columns.to_vec(),
        rows,
    }
}

fn run(k: &TableKernel, args: &[TableValue<'_>]) -> Result<TableOutput, Error> {
    k.run(args, &Interrupt::new(), BUDGET)
}

#[test]
fn rbc_row_multiplier_copy_and_manager_sized_copy() {
    let c = compiler();
    let ir = sample("heavydb/register1_cpu_only.cpu.ll");
    let copy = table_kernel(
        &c,
        &ir,
        "my_copy__cpu_0",
        "int32(Column<double>, RowMultiplier, OutputColumn<double>)",
    );
    let x = [1.0f64, -2.5, 3.0];
    let bytes = f64::to_bytes(&x);
    let out = run(&copy, &[cursor(&[&bytes], 3), TableValue::Sizer(1)]).unwrap();
    assert_eq!(out.rows, 3);
    assert_eq!(f64::from_bytes(&out.columns[0]), vec![2.0, -5.0, 6.0]);
    // The trailing RowMultiplier may be left out (= 1), as HeavyDB allows.
    let out = run(&copy, &[cursor(&[&bytes], 3)]).unwrap();
    assert_eq!(out.rows, 3);
    let e = run(&copy, &[cursor(&[&bytes], 3), TableValue::Sizer(0)]).unwrap_err();
    assert!(
        e.to_string().contains("RowMultiplier must be positive"),
        "{e}"
    );

    let mgr = table_kernel(
        &c,
        &ir,
        "my_mgr__cpu_0",
        "int32(TableFunctionManager, Column<int64>, OutputColumn<int64>)",
    );
    let x = i64::to_bytes(&[7, i64::MIN, 9, 10]);
    let out = run(&mgr, &[cursor(&[&x], 4)]).unwrap();
    assert_eq!(out.rows, 4);
    assert_eq!(out.columns[0], x, "copied, the NULL sentinel included");
    let empty: [u8; 0] = [];
    let out = run(&mgr, &[cursor(&[&empty], 0)]).unwrap();
    assert_eq!(out.rows, 0);
}

const HAND: &str = r#"
@boom = private constant [5 x i8] c"boom\00"
@zero = private constant [19 x i8] c"division by zero k\00"
declare i32 @TableFunctionManager_error_message(ptr, ptr)
declare i32 @table_function_error(ptr)
declare ptr @TableFunctionManager_set_output_row_size(ptr, i64)
declare void @set_output_row_size(i64)

; Cursor<int64, double>, RowMultiplier, OutputColumn<int64> a, OutputColumn<double> b:
; every row twice.
define i32 @twice(ptr %x, ptr %y, i32 %m, ptr %a, ptr %b) {
entry:
  %np = getelementptr { ptr, i64 }, ptr %x, i32 0, i32 1
  %n = load i64, ptr %np
  %xd = load ptr, ptr %x
  %yd = load ptr, ptr %y
  %ad = load ptr, ptr %a
  %bd = load ptr, ptr %b
  br label %head
head:
  %i = phi i64 [ 0, %entry ], [ %i1, %body ]
  %done = icmp sge i64 %i, %n
  br i1 %done, label %exit, label %body
body:
  %xp = getelementptr i64, ptr %xd, i64 %i
  %xv = load i64, ptr %xp
  %yp = getelementptr double, ptr %yd, i64 %i
  %yv = load double, ptr %yp
  %j = shl i64 %i, 1
  %j1 = add i64 %j, 1
  %a0 = getelementptr i64, ptr %ad, i64 %j
  store i64 %xv, ptr %a0
  %a1 = getelementptr i64, ptr %ad, i64 %j1
  store i64 %xv, ptr %a1
  %b0 = getelementptr double, ptr %bd, i64 %j
  store double %yv, ptr %b0
  %b1 = getelementptr double, ptr %bd, i64 %j1
  store double %yv, ptr %b1
  %i1 = add i64 %i, 1
  br label %head
exit:
  %rows = shl i64 %n, 1
  %r = trunc i64 %rows to i32
  ret i32 %r
}

; Cursor<int64, ColumnList<double>>, RowMultiplier, OutputColumn<double>: per row, the
; id plus the sum of the list's columns.
define i32 @colsum(ptr %id, ptr %list, i32 %m, ptr %out) {
entry:
  %ids = load ptr, ptr %id
  %ptrs = load ptr, ptr %list
  %ncp = getelementptr { ptr, i64, i64 }, ptr %list, i32 0, i32 1
  %ncols = load i64, ptr %ncp
  %nrp = getelementptr { ptr, i64, i64 }, ptr %list, i32 0, i32 2
  %nrows = load i64, ptr %nrp
  %od = load ptr, ptr %out
  br label %rows
rows:
  %r = phi i64 [ 0, %entry ], [ %r1, %rowend ]
  %rdone = icmp sge i64 %r, %nrows
  br i1 %rdone, label %exit, label %rowbody
rowbody:
  %ip = getelementptr i64, ptr %ids, i64 %r
  %iv = load i64, ptr %ip
  %ivf = sitofp i64 %iv to double
  br label %cols
cols:
  %c = phi i64 [ 0, %rowbody ], [ %c1, %colbody ]
  %acc = phi double [ %ivf, %rowbody ], [ %acc1, %colbody ]
  %cdone = icmp sge i64 %c, %ncols
  br i1 %cdone, label %rowend, label %colbody
colbody:
  %cpp = getelementptr ptr, ptr %ptrs, i64 %c
  %cp = load ptr, ptr %cpp
  %vp = getelementptr double, ptr %cp, i64 %r
  %v = load double, ptr %vp
  %acc1 = fadd double %acc, %v
  %c1 = add i64 %c, 1
  br label %cols
rowend:
  %op = getelementptr double, ptr %od, i64 %r
  store double %acc, ptr %op
  %r1 = add i64 %r, 1
  br label %rows
exit:
  %n32 = trunc i64 %nrows to i32
  ret i32 %n32
}

; TableFunctionManager, Column<double>, OutputColumn<double>
define i32 @fails(ptr %mgr, ptr %x, ptr %out) {
  %e = call i32 @TableFunctionManager_error_message(ptr %mgr, ptr @boom)
  ret i32 %e
}

; Column<double>, double k, RowMultiplier, OutputColumn<double>: x / k, an error at k = 0.
define i32 @divide(ptr %x, double %k, i32 %m, ptr %out) {
entry:
  %z = fcmp oeq double %k, 0.0
  br i1 %z, label %bad, label %ok
bad:
  %e = call i32 @table_function_error(ptr @zero)
  ret i32 %e
ok:
  %np = getelementptr { ptr, i64 }, ptr %x, i32 0, i32 1
  %n = load i64, ptr %np
  %xd = load ptr, ptr %x
  %od = load ptr, ptr %out
  br label %head
head:
  %i = phi i64 [ 0, %ok ], [ %i1, %body ]
  %done = icmp sge i64 %i, %n
  br i1 %done, label %exit, label %body
body:
  %xp = getelementptr double, ptr %xd, i64 %i
  %xv = load double, ptr %xp
  %q = fdiv double %xv, %k
  %op = getelementptr double, ptr %od, i64 %i
  store double %q, ptr %op
  %i1 = add i64 %i, 1
  br label %head
exit:
  %r = trunc i64 %n to i32
  ret i32 %r
}

; Column<int32>, Constant<3>, OutputColumn<int32>: 10, 20, 30.
define i32 @three(ptr %x, ptr %out) {
  %od = load ptr, ptr %out
  store i32 10, ptr %od
  %p1 = getelementptr i32, ptr %od, i64 1
  store i32 20, ptr %p1
  %p2 = getelementptr i32, ptr %od, i64 2
  store i32 30, ptr %p2
  ret i32 3
}

; Column<int32>, ConstantParameter, OutputColumn<int32>: returns the parameter's rows
; plus %extra (to test the capacity check).
define i32 @first_n(ptr %x, i32 %n, ptr %out) {
  ret i32 %n
}
define i32 @one_too_many(ptr %x, i32 %n, ptr %out) {
  %r = add i32 %n, 1
  ret i32 %r
}

; TableFunctionManager, Column<int64>, OutputColumn<int64>: sizes without the manager
; argument (rbc's set_output_row_size) and returns NotAnError.
define i32 @not_an_error(ptr %mgr, ptr %x, ptr %out) {
  call void @set_output_row_size(i64 2)
  %od = load ptr, ptr %out
  store i64 5, ptr %od
  %p1 = getelementptr i64, ptr %od, i64 1
  store i64 6, ptr %p1
  ret i32 -20299
}

; Returns rows without sizing its output.
define i32 @unsized(ptr %mgr, ptr %x, ptr %out) {
  ret i32 1
}

; A negative row count from the manager.
define i32 @bad_size(ptr %mgr, ptr %x, ptr %out) {
  %r = call ptr @TableFunctionManager_set_output_row_size(ptr %mgr, i64 -1)
  ret i32 0
}

; Column<int64>, RowMultiplier, OutputColumn<int64>: loops until interrupted.
define i32 @forever(ptr %x, i32 %m, ptr %out) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %i1 = add i64 %i, 1
  br label %loop
}

; Column<int64>, RowMultiplier, OutputColumn<int64>: 100 / x[0].
define i32 @div0(ptr %x, i32 %m, ptr %out) {
  %xd = load ptr, ptr %x
  %v = load i64, ptr %xd
  %q = sdiv i64 100, %v
  %od = load ptr, ptr %out
  store i64 %q, ptr %od
  ret i32 1
}

; Column<int64>, RowMultiplier, OutputColumn<int64>: a wild read.
define i32 @wild(ptr %x, i32 %m, ptr %out) {
  %p = getelementptr i8, ptr null, i64 16
  %v = load i64, ptr %p
  %od = load ptr, ptr %out
  store i64 %v, ptr %od
  ret i32 1
}
"#;

#[test]
fn two_outputs_row_multiplier_and_names() {
    let c = compiler();
    let k = table_kernel(
        &c,
        HAND,
        "twice",
        "int32(Cursor<int64, double>, RowMultiplier, OutputColumn<int64> a, OutputColumn<double> b)",
    );
    assert_eq!(k.signature().output_name(1), "b");
    let x = i64::to_bytes(&[1, i64::MIN]);
    let y = f64::to_bytes(&[0.5, 1.5]);
    let out = run(&k, &[cursor(&[&x, &y], 2), TableValue::Sizer(2)]).unwrap();
    assert_eq!(out.rows, 4);
    assert_eq!(
        i64::from_bytes(&out.columns[0]),
        vec![1, 1, i64::MIN, i64::MIN]
    );
    assert_eq!(f64::from_bytes(&out.columns[1]), vec![0.5, 0.5, 1.5, 1.5]);
    // ×1 leaves room for 2 rows only: writing the third faults on the guard page after
    // the output, and the server's heap is untouched.
    let e = run(&k, &[cursor(&[&x, &y], 2), TableValue::Sizer(1)]).unwrap_err();
    assert!(matches!(e, Error::MemoryFault { .. }), "{e}");
}

#[test]
fn column_list_takes_the_cursors_remaining_columns() {
    let c = compiler();
    let k = table_kernel(
        &c,
        HAND,
        "colsum",
        "int32(Cursor<int64, ColumnList<double>>, RowMultiplier, OutputColumn<double>)",
    );
    let id = i64::to_bytes(&[100, 200]);
    let a = f64::to_bytes(&[1.0, 2.0]);
    let b = f64::to_bytes(&[10.0, 20.0]);
    let out = run(&k, &[cursor(&[&id, &a, &b], 2), TableValue::Sizer(1)]).unwrap();
    assert_eq!(f64::from_bytes(&out.columns[0]), vec![111.0, 222.0]);
    let out = run(&k, &[cursor(&[&id, &a], 2), TableValue::Sizer(1)]).unwrap();
    assert_eq!(f64::from_bytes(&out.columns[0]), vec![101.0, 202.0]);
    let e = run(&k, &[cursor(&[&id], 2), TableValue::Sizer(1)]).unwrap_err();
    assert!(
        e.to_string().contains("a cursor of 1 columns for 2 fields"),
        "{e}"
    );
}

#[test]
fn errors_reported_through_the_manager() {
    let c = compiler();
    let x = f64::to_bytes(&[1.0, 2.0]);
    let k = table_kernel(
        &c,
        HAND,
        "fails",
        "int32(TableFunctionManager, Column<double>, OutputColumn<double>)",
    );
    let e = run(&k, &[cursor(&[&x], 2)]).unwrap_err();
    assert!(matches!(&e, Error::TableFunction(m) if m == "boom"), "{e}");

    let k = table_kernel(
        &c,
        HAND,
        "divide",
        "int32(Column<double>, double, RowMultiplier, OutputColumn<double>)",
    );
    let out = run(
        &k,
        &[
            cursor(&[&x], 2),
            TableValue::Scalar(2.0f64.to_bits()),
            TableValue::Sizer(1),
        ],
    )
    .unwrap();
    assert_eq!(f64::from_bytes(&out.columns[0]), vec![0.5, 1.0]);
    let e = run(&k, &[cursor(&[&x], 2), TableValue::Scalar(0f64.to_bits())]).unwrap_err();
    assert_eq!(e.to_string(), "division by zero k");
}

#[test]
fn sizers() {
    let c = compiler();
    let x = i32::to_bytes(&[1, 2, 3, 4, 5]);
    let k = table_kernel(
        &c,
        HAND,
        "three",
        "int32(Column<int32>, Constant<3>, OutputColumn<int32>)",
    );
    let out = run(&k, &[cursor(&[&x], 5)]).unwrap();
    assert_eq!(i32::from_bytes(&out.columns[0]), vec![10, 20, 30]);

    let k = table_kernel(
        &c,
        HAND,
        "first_n",
        "int32(Column<int32>, ConstantParameter, OutputColumn<int32>)",
    );
    let out = run(&k, &[cursor(&[&x], 5), TableValue::Sizer(7)]).unwrap();
    assert_eq!(out.rows, 7);
    assert_eq!(out.columns[0], vec![0; 28], "unwritten rows are zeroed");
    let k = table_kernel(
        &c,
        HAND,
        "one_too_many",
        "int32(Column<int32>, ConstantParameter, OutputColumn<int32>)",
    );
    let e = run(&k, &[cursor(&[&x], 5), TableValue::Sizer(7)]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooManyRows {
                returned: 8,
                capacity: 7,
                ..
            }
        ),
        "{e}"
    );

    let k = table_kernel(
        &c,
        HAND,
        "not_an_error",
        "int32(TableFunctionManager, Column<int64>, OutputColumn<int64>)",
    );
    let out = run(&k, &[cursor(&[&x], 0)]).unwrap();
    assert_eq!(i64::from_bytes(&out.columns[0]), vec![5, 6]);

    let k = table_kernel(
        &c,
        HAND,
        "unsized",
        "int32(TableFunctionManager, Column<int64>, OutputColumn<int64>)",
    );
    let e = run(&k, &[cursor(&[&x], 0)]).unwrap_err();
    assert!(matches!(e, Error::OutputRowsUnset(_)), "{e}");

    let k = table_kernel(
        &c,
        HAND,
        "bad_size",
        "int32(TableFunctionManager, Column<int64>, OutputColumn<int64>)",
    );
    let e = run(&k, &[cursor(&[&x], 0)]).unwrap_err();
    assert!(e.to_string().contains("set_output_row_size(-1)"), "{e}");
}

#[test]
fn guards_apply_to_table_functions() {
    let c = compiler();
    let x = i64::to_bytes(&[0]);
    let sig = "int32(Column<int64>, RowMultiplier, OutputColumn<int64>)";
    let k = table_kernel(&c, HAND, "div0", sig);
    let e = run(&k, &[cursor(&[&x], 1)]).unwrap_err();
    assert!(matches!(e, Error::DivisionByZero), "{e}");
    let k = table_kernel(&c, HAND, "wild", sig);
    let e = run(&k, &[cursor(&[&x], 1)]).unwrap_err();
    assert!(matches!(e, Error::MemoryFault { .. }), "{e}");

    let k = table_kernel(&c, HAND, "forever", sig);
    let interrupt = std::sync::Arc::new(Interrupt::new());
    let stopper = {
        let interrupt = std::sync::Arc::clone(&interrupt);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            interrupt.interrupt();
        })
    };
    let e = k.run(&[cursor(&[&x], 1)], &interrupt, BUDGET).unwrap_err();
    stopper.join().unwrap();
    assert!(matches!(e, Error::Interrupted), "{e}");
}

#[test]
fn signature_mismatches_are_refused_by_name() {
    let c = compiler();
    let e = table_err(
        &c,
        HAND,
        "twice",
        "int32(Column<int64>, RowMultiplier, OutputColumn<int64>)",
    );
    assert!(
        e.contains("twice") && e.contains("OutputColumn<int64>"),
        "{e}"
    );
    let by_value = "define i32 @f({ ptr, i64 } %x, i32 %m, ptr %o) {\n  ret i32 0\n}\n";
    let e = table_err(
        &c,
        by_value,
        "f",
        "int32(Column<int64>, RowMultiplier, OutputColumn<int64>)",
    );
    assert!(e.contains("pass_column_arguments_by_value"), "{e}");
    let e = table_err(
        &c,
        HAND,
        "nope",
        "int32(Column<int64>, RowMultiplier, OutputColumn<int64>)",
    );
    assert!(e.contains("nope") && e.contains("twice"), "{e}");
}

#[test]
fn scalar_and_table_functions_of_one_module_compile_together() {
    let c = compiler();
    let ir = sample("heavydb/register1_cpu_only.cpu.ll");
    let functions = [spec("array_sz_int32__cpu_0", "int64(int32[])")];
    let tables = [TableFunctionSpec::new(
        "my_copy__cpu_0",
        TableSignature::parse("int32(Column<double>, RowMultiplier, OutputColumn<double>)")
            .unwrap(),
    )];
    let request = CompileRequest {
        ir: ir.as_bytes(),
        functions: &functions,
    };
    let first = c.compile_with_tables(request, &tables).unwrap();
    assert!(first.module.kernel("array_sz_int32__cpu_0").is_some());
    assert!(first.module.table_kernel("my_copy__cpu_0").is_some());
    let again = c.compile_with_tables(request, &tables).unwrap();
    assert!(again.cache_hit);
    // The same module without the table function is a different compile.
    let scalar_only = c.compile(request).unwrap();
    assert!(!scalar_only.cache_hit);
    assert!(scalar_only.module.table_kernel("my_copy__cpu_0").is_none());
}

//! UDFs compiled from LLVM IR against the same expressions written with DataFusion's
//! built-ins, over a 10M-row in-memory table, plus memory-bandwidth yardsticks.
//!
//! Criterion gives per-query statistics; afterwards the bench times every query again
//! itself and prints (and writes to `bench/out/ratios.txt`) each UDF's median over its
//! built-in twin's, measured in the same run on the same data, so that the ratio — not the
//! machine — is what is compared across runs.
//!
//! `cargo bench -p udf-server --bench udf_vs_builtin` (or `bench/run.sh`).
//! `UDF_BENCH_ROWS` overrides the row count; under `cargo test --benches` a small table
//! is used and the ratio pass is skipped.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use db_glue::{Engine, EngineConfig};

/// Read at run time so that building the bench does not need the `shared/` checkout.
const HYPEXP_IR_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/ir-samples/remotejit/numba068_hypexp_daddA.cpu.ll"
);

const ADD_IR: &str = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";

/// The length of an array or text (its struct's `size`), as rbc's `len(x)` compiles.
const LEN_IR: &str = "define i64 @len(ptr %a) {
  %p = getelementptr { ptr, i64, i8 }, ptr %a, i32 0, i32 1
  %n = load i64, ptr %p
  ret i64 %n
}
";

/// The sum of an int32 array's elements.
const ARR_SUM_IR: &str = "define i64 @arr_sum(ptr %a) {
entry:
  %dp = getelementptr { ptr, i64, i8 }, ptr %a, i32 0, i32 0
  %d = load ptr, ptr %dp
  %np = getelementptr { ptr, i64, i8 }, ptr %a, i32 0, i32 1
  %n = load i64, ptr %np
  %any = icmp sgt i64 %n, 0
  br i1 %any, label %loop, label %done
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %s = phi i64 [ 0, %entry ], [ %s1, %loop ]
  %e = getelementptr i32, ptr %d, i64 %i
  %v = load i32, ptr %e
  %w = sext i32 %v to i64
  %s1 = add i64 %s, %w
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %done
done:
  %r = phi i64 [ 0, %entry ], [ %s1, %loop ]
  ret i64 %r
}
";

/// A row copier table function, as rbc's `for i in range(len(x)): y[i] = x[i]` compiles:
/// `int32(Cursor<int64>, RowMultiplier, OutputColumn<int64>)`.
const ROW_COPY_IR: &str = "define i32 @row_copy(ptr %x, i32 %m, ptr %out) {
entry:
  %np = getelementptr { ptr, i64 }, ptr %x, i32 0, i32 1
  %n = load i64, ptr %np
  %xd = load ptr, ptr %x
  %od = load ptr, ptr %out
  %any = icmp sgt i64 %n, 0
  br i1 %any, label %loop, label %done
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %xp = getelementptr i64, ptr %xd, i64 %i
  %v = load i64, ptr %xp
  %op = getelementptr i64, ptr %od, i64 %i
  store i64 %v, ptr %op
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %done
done:
  %r = trunc i64 %n to i32
  ret i32 %r
}
";

/// (group, name, SQL): each UDF query and its built-in twin share a group.
const QUERIES: &[(&str, &str, &str)] = &[
    ("add", "udf", "SELECT sum(add(a, b)) FROM t"),
    ("add", "builtin", "SELECT sum(a + b) FROM t"),
    ("hypexp", "udf", "SELECT sum(hypexp(x, y)) FROM t"),
    (
        "hypexp",
        "builtin",
        "SELECT sum(sqrt(x * x + y * y) * exp(-x)) FROM t",
    ),
    ("arr_len", "udf", "SELECT sum(arr_len(l)) FROM t"),
    ("arr_len", "builtin", "SELECT sum(cardinality(l)) FROM t"),
    ("arr_sum", "udf", "SELECT sum(arr_sum(l)) FROM t"),
    ("arr_sum", "builtin", "SELECT sum(array_sum(l)) FROM t"),
    ("text_len", "udf", "SELECT sum(text_len(s)) FROM t"),
    ("text_len", "builtin", "SELECT sum(octet_length(s)) FROM t"),
    // A table function reads its cursor whole and copies it out; the twin reads the
    // same column through a plain subquery.
    (
        "udtf_copy",
        "udf",
        "SELECT sum(out0) FROM TABLE(row_copy(CURSOR(SELECT a FROM t), 1))",
    ),
    (
        "udtf_copy",
        "builtin",
        "SELECT sum(a) FROM (SELECT a FROM t)",
    ),
    ("baseline", "sum_a", "SELECT sum(a) FROM t"),
];

/// The groups with a UDF and a built-in twin, in the order of the ratio table.
const GROUPS: &[&str] = &[
    "add",
    "hypexp",
    "arr_len",
    "arr_sum",
    "text_len",
    "udtf_copy",
];

/// Runs of each query for the ratio table, after one warm-up run.
const RATIO_RUNS: usize = 10;

struct Setup {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    rows: usize,
}

impl Setup {
    fn new(rows: usize) -> Setup {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let engine = {
            let _guard = runtime.enter();
            Engine::new(EngineConfig::default()).expect("engine")
        };
        let setup = Setup {
            runtime,
            engine,
            rows,
        };
        // generate_series names its column `value` (Int64).
        setup.sql(&format!(
            "CREATE TABLE t AS SELECT value AS a, value * 7 % 1000 AS b, \
             CAST(value AS DOUBLE) / 1e7 AS x, CAST(value % 1000 AS DOUBLE) / 1000.0 AS y, \
             make_array(CAST(value % 7 AS INT), CAST(value % 11 AS INT), \
             CAST(value % 13 AS INT), CAST(value % 17 AS INT)) AS l, \
             CAST(value AS VARCHAR) AS s \
             FROM generate_series(1, {rows})"
        ));
        setup.sql(&format!(
            "CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$"
        ));
        let hypexp_ir = std::fs::read_to_string(HYPEXP_IR_PATH)
            .unwrap_or_else(|e| panic!("cannot read {HYPEXP_IR_PATH}: {e}"));
        setup.sql(&format!(
            "CREATE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE llvm AS $${hypexp_ir}$$"
        ));
        setup.sql(&format!(
            "CREATE FUNCTION arr_len(INT[]) RETURNS BIGINT LANGUAGE llvm AS $${LEN_IR}$$, 'len'"
        ));
        setup.sql(&format!(
            "CREATE FUNCTION text_len(TEXT) RETURNS BIGINT LANGUAGE llvm AS $${LEN_IR}$$, 'len'"
        ));
        setup.sql(&format!(
            "CREATE FUNCTION arr_sum(INT[]) RETURNS BIGINT LANGUAGE llvm AS $${ARR_SUM_IR}$$"
        ));
        setup.sql(&format!(
            "CREATE FUNCTION row_copy(CURSOR(BIGINT), ROWMULTIPLIER) RETURNS TABLE(out0 BIGINT) \
             LANGUAGE llvm AS $${ROW_COPY_IR}$$"
        ));
        setup
    }

    fn sql(&self, sql: &str) -> usize {
        let results = self
            .runtime
            .block_on(self.engine.execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        results
            .iter()
            .flat_map(|r| &r.batches)
            .map(|b| b.num_rows())
            .sum()
    }
}

fn bench_queries(c: &mut Criterion, setup: &Setup) {
    for group_name in GROUPS.iter().copied().chain(["baseline"]) {
        let mut group = c.benchmark_group(group_name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        for (_, name, sql) in QUERIES.iter().filter(|(g, _, _)| *g == group_name) {
            group.bench_function(*name, |b| b.iter(|| black_box(setup.sql(sql))));
        }
        group.finish();
    }
}

/// Memory-bandwidth yardsticks: no engine, just the loops a query cannot beat.
fn bench_vec_loops(c: &mut Criterion, rows: usize) {
    let src: Vec<i64> = (0..rows as i64).collect();
    let mut dst = vec![0i64; rows];
    let mut group = c.benchmark_group("baseline");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("copy_vec_i64", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        })
    });
    group.bench_function("sum_vec_i64", |b| {
        b.iter(|| black_box(&src).iter().sum::<i64>())
    });
    group.finish();
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..RATIO_RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2.0
    } else {
        times[mid]
    }
}

fn ratio_table(setup: &Setup) -> String {
    let median = |group: &str, name: &str| {
        let (_, _, sql) = QUERIES
            .iter()
            .find(|(g, n, _)| *g == group && *n == name)
            .expect("query");
        median_ms(|| {
            black_box(setup.sql(sql));
        })
    };
    let mut text = format!(
        "rows: {}, median of {RATIO_RUNS} runs after a warm-up\n",
        setup.rows
    );
    for &group in GROUPS {
        let udf = median(group, "udf");
        let builtin = median(group, "builtin");
        text.push_str(&format!(
            "{group}_udf/{group}_builtin = {:.2}   ({group}_udf {udf:.2} ms, {group}_builtin {builtin:.2} ms)\n",
            udf / builtin
        ));
    }
    let sum_a = median("baseline", "sum_a");
    let src: Vec<i64> = (0..setup.rows as i64).collect();
    let mut dst = vec![0i64; setup.rows];
    let copy = median_ms(|| {
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
    });
    // A copy reads and writes every byte once.
    let copy_gb_s = (2 * 8 * setup.rows) as f64 / (copy / 1e3) / 1e9;
    text.push_str(&format!(
        "yardsticks: sum_a {sum_a:.2} ms, copy_vec_i64 {copy:.2} ms ({copy_gb_s:.1} GB/s)\n"
    ));
    text
}

fn write_ratios(text: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/out");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| dir.canonicalize())
        .and_then(|dir| {
            let path = dir.join("ratios.txt");
            std::fs::write(&path, text).map(|()| path)
        });
    match written {
        Ok(path) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("cannot write {}/ratios.txt: {e}", dir.display()),
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then a quick
    // smoke run on a small table is all that is wanted.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let rows = std::env::var("UDF_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 10_000_000 } else { 10_000 });

    let setup = Setup::new(rows);
    let mut c = Criterion::default().configure_from_args();
    bench_queries(&mut c, &setup);
    bench_vec_loops(&mut c, rows);
    c.final_summary();

    if bench_mode {
        let text = ratio_table(&setup);
        println!("\n{text}");
        write_ratios(&text);
    }
}

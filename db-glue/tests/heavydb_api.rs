//! The engine API a HeavyDB server builds on: one statement per request, describing without
//! running, HeavyDB's result names, tables loaded without SQL, runtime function sets, and
//! errors a server maps to HeavyDB's texts.

use std::sync::Arc;

use db_glue::arrow::array::{
    ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use db_glue::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use db_glue::{
    Engine, EngineConfig, Error, FunctionDefinition, FunctionSpec, QueryResult, ResultNames,
    Signature, StatementOptions, TEXT_ENCODING_KEY,
};

/// The IR samples live in the `shared/` checkout beside the repository.
const IR_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/ir-samples/heavydb"
);

fn ir_sample(name: &str) -> Vec<u8> {
    let path = format!("{IR_DIR}/{name}");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read IR sample {path} (is shared/ checked out?): {e}"))
}

fn engine() -> Engine {
    Engine::new(EngineConfig::default()).unwrap()
}

const CALCITE: StatementOptions = StatementOptions {
    result_names: ResultNames::Calcite,
    device: None,
    cluster: None,
    owner: None,
};

fn names(schema: &SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

fn spec(symbol: &str, signature: &str) -> FunctionSpec {
    FunctionSpec::new(symbol, Signature::parse(signature).unwrap())
}

/// The single value of a one-row, one-column result, as text.
fn scalar(result: &QueryResult) -> String {
    let batch = result.batches.iter().find(|b| b.num_rows() > 0).unwrap();
    db_glue::arrow::util::display::array_value_to_string(batch.column(0), 0).unwrap()
}

async fn count(engine: &Engine, table: &str) -> i64 {
    let result = engine
        .execute_one(&format!("SELECT count(*) FROM {table}"))
        .await
        .unwrap();
    result.batches[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .value(0)
}

#[tokio::test]
async fn execute_one_takes_exactly_one_statement() {
    let engine = engine();
    let result = engine.execute_one("SELECT 1 + 1;").await.unwrap();
    assert_eq!(scalar(&result), "2");
    let result = engine.execute_one("  SELECT 'a;b'  ").await.unwrap();
    assert_eq!(scalar(&result), "a;b");

    let e = engine
        .execute_one("CREATE TABLE t (v INT); SELECT 1")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::MultipleStatements), "{e:?}");
    assert_eq!(e.to_string(), "multiple SQL statements not allowed");
    // Nothing ran.
    assert!(engine.table_names().is_empty());

    for empty in ["", "   ", ";", "-- just a comment"] {
        let e = engine.execute_one(empty).await.unwrap_err();
        assert!(matches!(e, Error::Parse(_)), "{empty:?}: {e:?}");
        assert_eq!(e.to_string(), "SQL parse error: no SQL statement");
    }
    let e = engine.execute_one("SELEC 1").await.unwrap_err();
    assert!(matches!(e, Error::Parse(_)), "{e:?}");
    let e = engine
        .execute_one("SELECT * FROM nowhere")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DataFusion(_)), "{e:?}");

    // HeavyDB DDL through the one-statement entry point too.
    engine
        .execute_one(
            "CREATE TABLE IF NOT EXISTS h (s TEXT ENCODING DICT(32)) WITH (fragment_size=10);",
        )
        .await
        .unwrap();
    assert_eq!(engine.table_names(), vec!["h".to_string()]);
}

#[tokio::test]
async fn describe_plans_without_running() {
    let engine = engine();
    engine
        .execute("CREATE TABLE t (i INT NOT NULL, s TEXT ENCODING DICT(32))")
        .await
        .unwrap();
    let schema = engine
        .describe("SELECT i, s, i + 1 AS j, sqrt(i) FROM t;")
        .await
        .unwrap();
    assert_eq!(names(&schema), ["i", "s", "j", "sqrt(t.i)"]);
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        [
            &DataType::Int32,
            &DataType::Utf8View,
            &DataType::Int64,
            &DataType::Float64
        ]
    );
    assert!(!schema.field(0).is_nullable());
    let schema = engine
        .describe_with("SELECT i, sqrt(i) FROM t", CALCITE)
        .await
        .unwrap();
    assert_eq!(names(&schema), ["i", "EXPR$1"]);

    // Statements with effects describe, and take none.
    let schema = engine
        .describe("INSERT INTO t VALUES (1, 'a')")
        .await
        .unwrap();
    assert_eq!(names(&schema), ["count"]);
    assert_eq!(count(&engine, "t").await, 0);
    let schema = engine.describe("CREATE TABLE u (v INT)").await.unwrap();
    assert!(schema.fields().is_empty());
    let schema = engine
        .describe("CREATE TABLE u AS SELECT * FROM t")
        .await
        .unwrap();
    assert!(schema.fields().is_empty());
    assert_eq!(engine.table_names(), vec!["t".to_string()]);
    let schema = engine.describe("DROP TABLE t").await.unwrap();
    assert!(schema.fields().is_empty());
    let schema = engine
        .describe("CREATE FUNCTION f(INT) RETURNS INT LANGUAGE llvm AS $$define i32 @f(i32 %a) { ret i32 %a }$$")
        .await
        .unwrap();
    assert!(schema.fields().is_empty());
    assert!(engine.functions().is_empty());
    assert_eq!(engine.table_names(), vec!["t".to_string()]);
    let schema = engine.describe("SHOW FUNCTIONS").await.unwrap();
    assert_eq!(schema.field(0).name(), "name");
    let schema = engine.describe("EXPLAIN SELECT i FROM t").await.unwrap();
    assert_eq!(names(&schema), ["plan_type", "plan"]);

    // Errors are those of running.
    let e = engine.describe("SELECT nope(i) FROM t").await.unwrap_err();
    assert!(matches!(e, Error::NoMatchingFunction { .. }), "{e:?}");
    let e = engine.describe("SELECT missing FROM t").await.unwrap_err();
    assert!(matches!(e, Error::DataFusion(_)), "{e:?}");
    let e = engine.describe("SELECT 1; SELECT 2").await.unwrap_err();
    assert!(matches!(e, Error::MultipleStatements), "{e:?}");
}

#[tokio::test]
async fn calcite_result_names() {
    let engine = engine();
    engine
        .execute(
            "CREATE TABLE t (i4 INT, s TEXT); CREATE TABLE u (k BIGINT, w DOUBLE);
             INSERT INTO t VALUES (1, 'a'); INSERT INTO u VALUES (10, 0.5)",
        )
        .await
        .unwrap();
    engine
        .create_function(
            FunctionDefinition {
                name: "incr".into(),
                ir: b"define i32 @incr(i32 %a) {\n  %r = add i32 %a, 1\n  ret i32 %r\n}\n".to_vec(),
                overloads: vec![spec("incr", "int32(int32)")],
                origin: "sql".into(),
                owner: None,
            },
            false,
        )
        .unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("SELECT 1", &["EXPR$0"]),
        ("SELECT 1, 1", &["EXPR$0", "EXPR$1"]),
        ("SELECT i4, incr(i4) FROM t", &["i4", "EXPR$1"]),
        (
            "SELECT i4 AS x, incr(i4) AS y, (t.i4) FROM t",
            &["x", "y", "i4"],
        ),
        (
            "SELECT *, incr(i4), CAST(i4 AS BIGINT) FROM t",
            &["i4", "s", "EXPR$2", "EXPR$3"],
        ),
        (
            "SELECT t.*, incr(i4), u.*, k + 1 FROM t, u",
            &["i4", "s", "EXPR$2", "k", "w", "EXPR$5"],
        ),
        ("SELECT count(*), s FROM t GROUP BY s", &["EXPR$0", "s"]),
        (
            "SELECT i4 + 1, count(*) FROM t GROUP BY i4 + 1 HAVING count(*) > 0 ORDER BY i4 + 1",
            &["EXPR$0", "EXPR$1"],
        ),
        (
            "SELECT DISTINCT i4 + 1, i4 FROM t ORDER BY i4 + 1",
            &["EXPR$0", "i4"],
        ),
        (
            "SELECT i4 + 1, sum(i4) OVER (ORDER BY i4 + 1) FROM t",
            &["EXPR$0", "EXPR$1"],
        ),
        ("SELECT i4 + 1 FROM t ORDER BY 1", &["EXPR$0"]),
        // Subqueries name their columns the same way.
        (
            "WITH c AS (SELECT i4 + 1 FROM t) SELECT * FROM c",
            &["EXPR$0"],
        ),
        (
            "SELECT * FROM (SELECT s, incr(i4) FROM t) AS q",
            &["s", "EXPR$1"],
        ),
        (
            "SELECT \"EXPR$1\" * 2 FROM (SELECT s, incr(i4) FROM t) AS q",
            &["EXPR$0"],
        ),
        (
            "SELECT i4 FROM t WHERE i4 IN (SELECT incr(i4) - 1 FROM t)",
            &["i4"],
        ),
        (
            "SELECT incr(i4) FROM t ORDER BY incr(i4) DESC LIMIT 1",
            &["EXPR$0"],
        ),
        ("SELECT incr(i4) FROM t UNION ALL SELECT 5", &["EXPR$0"]),
        ("SELECT x FROM (SELECT incr(i4) AS x FROM t) AS q", &["x"]),
        ("VALUES (1, 'a')", &["EXPR$0", "EXPR$1"]),
    ];
    for (sql, expected) in cases {
        let result = engine.execute_one_with(sql, CALCITE).await.unwrap();
        assert_eq!(names(&result.schema), *expected, "{sql}");
        for batch in &result.batches {
            assert_eq!(batch.schema(), result.schema, "{sql}");
        }
        let described = engine.describe_with(sql, CALCITE).await.unwrap();
        assert_eq!(names(&described), *expected, "describe {sql}");
    }
    let result = engine
        .execute_one_with("SELECT incr(i4) FROM t", CALCITE)
        .await
        .unwrap();
    assert_eq!(scalar(&result), "2");

    // DataFusion's names unless asked.
    let result = engine
        .execute_one("SELECT i4, incr(i4) FROM t")
        .await
        .unwrap();
    assert_eq!(names(&result.schema), ["i4", "incr(t.i4)"]);
    // Statements without rows are untouched.
    let result = engine
        .execute_one_with("INSERT INTO t VALUES (2, 'b')", CALCITE)
        .await
        .unwrap();
    assert_eq!(names(&result.schema), ["count"]);
}

#[tokio::test]
async fn tables_from_the_api() {
    let engine = engine();
    let schema = Arc::new(Schema::new(vec![
        Field::new("ID", DataType::Int32, false),
        Field::new("Name", DataType::Utf8View, true)
            .with_metadata([(TEXT_ENCODING_KEY.to_string(), "NONE".to_string())].into()),
        Field::new("score", DataType::Float64, true),
    ]));
    engine
        .create_table("People", Arc::clone(&schema), false)
        .unwrap();
    let e = engine
        .create_table("people", Arc::clone(&schema), false)
        .unwrap_err();
    assert_eq!(e.to_string(), "table `people` already exists");
    engine.create_table("PEOPLE", schema, true).unwrap();
    assert_eq!(engine.table_names(), vec!["people".to_string()]);

    let described = engine.table_schema("People").await.unwrap();
    assert_eq!(names(&described), ["id", "name", "score"]);
    assert!(!described.field(0).is_nullable());
    assert!(described.field(1).is_nullable());
    // Field metadata stays with the table and its columns in results.
    assert_eq!(
        described.field(1).metadata().get(TEXT_ENCODING_KEY),
        Some(&"NONE".to_string())
    );
    let result = engine.execute_one("SELECT name FROM people").await.unwrap();
    assert_eq!(
        result.schema.field(0).metadata().get(TEXT_ENCODING_KEY),
        Some(&"NONE".to_string())
    );
    let e = engine.table_schema("absent").await.unwrap_err();
    assert!(matches!(e, Error::TableNotFound(_)), "{e:?}");
    assert_eq!(e.to_string(), "table `absent` does not exist");

    // Columns by position, converted where nothing is lost: Int64 → Int32, Utf8 → Utf8View.
    let rows = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        (
            "b",
            Arc::new(StringArray::from(vec![Some("ann"), None])) as ArrayRef,
        ),
        (
            "c",
            Arc::new(Float64Array::from(vec![Some(0.5), None])) as ArrayRef,
        ),
    ])
    .unwrap();
    assert_eq!(
        engine.append("people", vec![rows.clone()]).await.unwrap(),
        2
    );
    assert_eq!(engine.append("People", vec![rows]).await.unwrap(), 2);
    let result = engine
        .execute_one("SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY id")
        .await
        .unwrap();
    assert_eq!(result.num_rows(), 2);
    assert_eq!(count(&engine, "people").await, 4);

    // Refusals leave the table as it was.
    let overflow = RecordBatch::try_from_iter([
        (
            "a",
            Arc::new(Int64Array::from(vec![1i64 << 40])) as ArrayRef,
        ),
        ("b", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
        ("c", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef),
    ])
    .unwrap();
    let e = engine.append("people", vec![overflow]).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot load into table `people`: column `id`: "),
        "{e}"
    );
    let null = RecordBatch::try_from_iter([
        (
            "a",
            Arc::new(Int32Array::from(vec![Some(9), None])) as ArrayRef,
        ),
        ("b", Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef),
        (
            "c",
            Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
        ),
    ])
    .unwrap();
    let good = RecordBatch::try_from_iter([
        ("a", Arc::new(Int32Array::from(vec![7])) as ArrayRef),
        ("b", Arc::new(StringArray::from(vec!["z"])) as ArrayRef),
        ("c", Arc::new(Float64Array::from(vec![3.0])) as ArrayRef),
    ])
    .unwrap();
    let e = engine
        .append("people", vec![good.clone(), null])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NullForColumn { .. }), "{e:?}");
    assert_eq!(e.to_string(), "NULL for column id");
    let wrong_type = RecordBatch::try_from_iter([
        ("a", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("b", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("c", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef),
    ])
    .unwrap();
    let e = engine.append("people", vec![wrong_type]).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot load into table `people`: column `name`: cannot store Int32 values in a \
         Utf8View column"
    );
    let short =
        RecordBatch::try_from_iter([("a", Arc::new(Int32Array::from(vec![1])) as ArrayRef)])
            .unwrap();
    let e = engine.append("people", vec![short]).await.unwrap_err();
    assert!(matches!(e, Error::Load { .. }), "{e:?}");
    let e = engine
        .append("nobody", vec![good.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "table `nobody` does not exist");
    assert_eq!(count(&engine, "people").await, 4);
    assert_eq!(engine.append("people", vec![]).await.unwrap(), 0);

    // Tables made by SQL take rows too; their NOT NULL shows in the schema.
    engine
        .execute_one("CREATE TABLE dated (d DATE NOT NULL, ts TIMESTAMP, n INT)")
        .await
        .unwrap();
    let schema = engine.table_schema("dated").await.unwrap();
    assert!(!schema.field(0).is_nullable());
    assert_eq!(schema.field(0).data_type(), &DataType::Date32);
    // An integer is not taken as an epoch count.
    let epoch = RecordBatch::try_from_iter([
        (
            "d",
            Arc::new(db_glue::arrow::array::Date32Array::from(vec![19837])) as ArrayRef,
        ),
        ("ts", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
        ("n", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
    ])
    .unwrap();
    let e = engine.append("dated", vec![epoch]).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot store Int64 values in a Timestamp(ns) column"),
        "{e}"
    );
    let ok = RecordBatch::try_from_iter([
        (
            "d",
            Arc::new(db_glue::arrow::array::Date32Array::from(vec![19837])) as ArrayRef,
        ),
        (
            "ts",
            Arc::new(db_glue::arrow::array::TimestampMillisecondArray::from(
                vec![1_713_961_696_789],
            )) as ArrayRef,
        ),
        ("n", Arc::new(Int32Array::from(vec![None])) as ArrayRef),
    ])
    .unwrap();
    assert_eq!(engine.append("dated", vec![ok]).await.unwrap(), 1);
    let result = engine
        .execute_one("SELECT CAST(d AS TEXT), CAST(ts AS TEXT) FROM dated")
        .await
        .unwrap();
    assert_eq!(scalar(&result), "2024-04-24");
    let ts = db_glue::arrow::util::display::array_value_to_string(result.batches[0].column(1), 0)
        .unwrap();
    assert_eq!(ts, "2024-04-24T12:28:16.789");

    // Tables made by CREATE TABLE AS take rows too.
    engine
        .execute_one("CREATE TABLE copied AS SELECT * FROM people")
        .await
        .unwrap();
    let more = RecordBatch::try_from_iter([
        ("a", Arc::new(Int32Array::from(vec![5, 6])) as ArrayRef),
        ("b", Arc::new(StringArray::from(vec!["e", "f"])) as ArrayRef),
        (
            "c",
            Arc::new(Float64Array::from(vec![5.0, 6.0])) as ArrayRef,
        ),
    ])
    .unwrap();
    assert_eq!(engine.append("copied", vec![more]).await.unwrap(), 2);
    assert_eq!(count(&engine, "copied").await, 6);

    // Only in-memory tables take rows.
    engine
        .execute_one("CREATE VIEW v AS SELECT * FROM people")
        .await
        .unwrap();
    let e = engine.append("v", vec![good]).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_are_atomic_under_concurrent_queries() {
    const WRITERS: i64 = 4;
    const APPENDS: i64 = 40;
    const ROWS: i64 = 25;
    let engine = engine();
    engine
        .create_table(
            "events",
            Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)])),
            false,
        )
        .unwrap();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let engine = engine.clone();
        writers.push(tokio::spawn(async move {
            for a in 0..APPENDS {
                // Two batches per append: a query must see both or neither.
                let half = ROWS / 2;
                let batch = |n: i64| {
                    RecordBatch::try_from_iter([(
                        "v",
                        Arc::new(Int64Array::from(vec![w * 1000 + a; n as usize])) as ArrayRef,
                    )])
                    .unwrap()
                };
                let added = engine
                    .append("events", vec![batch(half), batch(ROWS - half)])
                    .await
                    .unwrap();
                assert_eq!(added, ROWS as u64);
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let engine = engine.clone();
        readers.push(tokio::spawn(async move {
            let mut seen = 0;
            while seen < WRITERS * APPENDS * ROWS {
                let result = engine
                    .execute_one("SELECT count(*), count(DISTINCT v) FROM events")
                    .await
                    .unwrap();
                let batch = &result.batches[0];
                let rows = batch.column(0).as_primitive::<Int64Type>().value(0);
                let appends = batch.column(1).as_primitive::<Int64Type>().value(0);
                assert_eq!(rows, appends * ROWS, "a query saw part of an append");
                assert!(rows >= seen, "rows disappeared");
                seen = rows;
            }
        }));
    }
    for task in writers.into_iter().chain(readers) {
        task.await.unwrap();
    }
    assert_eq!(count(&engine, "events").await, WRITERS * APPENDS * ROWS);
}

#[tokio::test]
async fn runtime_function_sets() {
    let engine = engine();
    let register1 = ir_sample("register1_cpu_only.cpu.ll");
    let register3 = ir_sample("register3_myadd.cpu.ll");
    let incr = vec![
        ("INCR".to_string(), spec("incr__cpu_0", "int32(int32)")),
        ("incr".to_string(), spec("incr__cpu_1", "float64(float64)")),
    ];
    let summary = engine
        .replace_function_set("rbc", register1.clone(), incr.clone())
        .unwrap();
    assert_eq!((summary.removed, summary.added), (0, 2));
    let result = engine
        .execute_one("SELECT incr(41), incr(CAST(1.5 AS DOUBLE))")
        .await
        .unwrap();
    assert_eq!(scalar(&result), "42");
    let listed: Vec<(String, String, String)> = engine
        .functions()
        .into_iter()
        .map(|f| (f.name, f.symbol, f.origin))
        .collect();
    assert_eq!(
        listed,
        [
            ("incr".into(), "incr__cpu_1".into(), "rbc".into()),
            ("incr".into(), "incr__cpu_0".into(), "rbc".into()),
        ]
    );

    // Another origin's functions and SQL-created ones stay when a set is replaced.
    engine
        .execute_one(
            "CREATE FUNCTION twice(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @twice(i64 %a) {
  %r = mul i64 %a, 2
  ret i64 %r
}
$$",
        )
        .await
        .unwrap();
    engine
        .replace_function_set(
            "other",
            register3.clone(),
            vec![("mysqrt".into(), spec("mysqrt__cpu_0", "float64(float64)"))],
        )
        .unwrap();

    // The whole set is replaced: incr goes, myadd and mysqrt come.
    let set3 = vec![
        (
            "myadd".to_string(),
            spec("myadd__cpu_0", "int64(int64, int64)"),
        ),
        (
            "myadd".to_string(),
            spec("myadd__cpu_1", "float64(float64, float64)"),
        ),
    ];
    let summary = engine
        .replace_function_set("rbc", register3.clone(), set3.clone())
        .unwrap();
    assert_eq!((summary.removed, summary.added), (2, 2));
    let result = engine
        .execute_one("SELECT myadd(1, 2) + twice(1) + CAST(mysqrt(16.0) AS BIGINT)")
        .await
        .unwrap();
    assert_eq!(scalar(&result), "9");
    let e = engine.execute_one("SELECT incr(1)").await.unwrap_err();
    assert!(matches!(e, Error::NoMatchingFunction { .. }), "{e:?}");

    // Taking over another origin's overload is refused, and nothing changes.
    let mut clash = set3.clone();
    clash.push(("MySqrt".into(), spec("mysqrt__cpu_0", "float64(float64)")));
    let e = engine
        .replace_function_set("rbc", register3.clone(), clash)
        .unwrap_err();
    assert!(matches!(e, Error::FunctionOwned { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "function mysqrt(float64) is registered by `other`; drop it there first"
    );
    let e = engine
        .replace_function_set(
            "rbc",
            register1.clone(),
            vec![("twice".into(), spec("incr__cpu_0", "int64(int64)"))],
        )
        .unwrap_err();
    assert!(e.to_string().contains("registered by `sql`"), "{e}");

    // A module that does not compile leaves the old set live.
    let e = engine
        .replace_function_set("rbc", b"this is not IR".to_vec(), incr.clone())
        .unwrap_err();
    assert!(matches!(e, Error::Compile { .. }), "{e:?}");
    let e = engine
        .replace_function_set(
            "rbc",
            register3.clone(),
            vec![("incr".into(), spec("incr__cpu_0", "int32(int32)"))],
        )
        .unwrap_err();
    assert!(matches!(e, Error::Compile { .. }), "{e:?}");
    // Built-in names are refused.
    let e = engine
        .replace_function_set(
            "rbc",
            register3.clone(),
            vec![("sqrt".into(), spec("mysqrt__cpu_0", "float64(float64)"))],
        )
        .unwrap_err();
    assert!(matches!(e, Error::BuiltinFunction(_)), "{e:?}");
    let e = engine
        .replace_function_set(
            "rbc",
            register3.clone(),
            vec![
                ("dup".into(), spec("myadd__cpu_0", "int64(int64, int64)")),
                ("DUP".into(), spec("myadd__cpu_0", "int64(int64, int64)")),
            ],
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidDefinition(_)), "{e:?}");
    let result = engine.execute_one("SELECT myadd(20, 22)").await.unwrap();
    assert_eq!(scalar(&result), "42");

    // Unregistering: empty lists and a module that defines nothing (not even compiled).
    let summary = engine
        .replace_function_set("rbc", b"; ModuleID = 'empty'\n".to_vec(), vec![])
        .unwrap();
    assert_eq!((summary.removed, summary.added), (2, 0));
    let summary = engine
        .replace_function_set("rbc", Vec::new(), vec![])
        .unwrap();
    assert_eq!((summary.removed, summary.added), (0, 0));
    let origins: Vec<(String, String)> = engine
        .functions()
        .into_iter()
        .map(|f| (f.name, f.origin))
        .collect();
    assert_eq!(
        origins,
        [
            ("mysqrt".into(), "other".into()),
            ("twice".into(), "sql".into())
        ]
    );
    let e = engine.execute_one("SELECT myadd(1, 2)").await.unwrap_err();
    assert!(matches!(e, Error::NoMatchingFunction { .. }), "{e:?}");
}

#[tokio::test]
async fn function_errors_carry_what_heavydb_reports() {
    let engine = engine();
    engine
        .replace_function_set(
            "rbc",
            ir_sample("register3_myadd.cpu.ll"),
            vec![
                ("myadd".into(), spec("myadd__cpu_0", "int64(int64, int64)")),
                (
                    "myadd".into(),
                    spec("myadd__cpu_1", "float64(float64, float64)"),
                ),
            ],
        )
        .unwrap();
    engine
        .execute_one("CREATE TABLE t (i INT, s TEXT, b BOOLEAN)")
        .await
        .unwrap();

    // No overload for the argument types.
    let e = engine
        .execute_one("SELECT myadd(i, s) FROM t;")
        .await
        .unwrap_err();
    let Error::NoMatchingFunction {
        name,
        args,
        span,
        detail,
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!(name, "myadd");
    assert_eq!(args, &["INTEGER", "TEXT"]);
    let span = span.unwrap();
    assert_eq!(
        (
            span.start_line,
            span.start_column,
            span.end_line,
            span.end_column
        ),
        (1, 8, 1, 18)
    );
    assert!(detail.as_ref().unwrap().starts_with("candidates: myadd("));
    assert_eq!(
        e.to_string().lines().next().unwrap(),
        "From line 1, column 8 to line 1, column 18: No match found for function signature \
         myadd(INTEGER, TEXT)"
    );

    // An unknown function, with its arguments' types.
    let e = engine
        .execute_one("SELECT i,\n  Undefined_Fn(b, 2.5) FROM t")
        .await
        .unwrap_err();
    let Error::NoMatchingFunction {
        name, args, span, ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!(name, "undefined_fn");
    assert_eq!(args, &["BOOLEAN", "DOUBLE"]);
    assert_eq!(
        span.unwrap().to_string(),
        "From line 2, column 3 to line 2, column 22"
    );

    // Through describe, and in an aggregate.
    let e = engine
        .describe("SELECT count(*) FROM t GROUP BY myadd(b, b)")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("No match found for function signature myadd(BOOLEAN, BOOLEAN)"),
        "{e}"
    );

    // Ambiguity is not a missing function.
    engine
        .execute_one(
            "CREATE FUNCTION amb(INT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @amb(i32 %a, i64 %b) {
  ret i64 1
}
$$",
        )
        .await
        .unwrap();
    engine
        .execute_one(
            "CREATE FUNCTION amb(BIGINT, INT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @amb(i64 %a, i32 %b) {
  ret i64 2
}
$$",
        )
        .await
        .unwrap();
    let e = engine
        .execute_one("SELECT amb(i, i) FROM t")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AmbiguousCall(_)), "{e:?}");

    // Planning errors stay DataFusion's, parse errors stay parse errors.
    let e = engine
        .execute_one("SELECT nothing FROM t")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DataFusion(_)), "{e:?}");
    let e = engine.execute_one("SELECT (1").await.unwrap_err();
    assert!(matches!(e, Error::Parse(_)), "{e:?}");
    let results = engine
        .execute("SELECT 1; SELECT nope(1)")
        .await
        .unwrap_err();
    let Error::Statement { index, source } = results else {
        panic!("{results:?}");
    };
    assert_eq!(index, 2);
    assert!(matches!(*source, Error::NoMatchingFunction { .. }));
}

#[tokio::test]
async fn create_table_reads_heavydb_types_in_heavydb_mode() {
    let engine = engine();
    engine
        .execute_one_with(
            "CREATE TABLE h (ts TIMESTAMP, ts3 TIMESTAMP(3), s TEXT ENCODING DICT(32), \
             n TEXT ENCODING NONE) WITH (fragment_size = 1000)",
            CALCITE,
        )
        .await
        .unwrap();
    let schema = engine.table_schema("h").await.unwrap();
    use db_glue::arrow::datatypes::TimeUnit;
    assert_eq!(
        schema.field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Second, None),
        "HeavyDB's TIMESTAMP is seconds"
    );
    assert_eq!(
        schema.field(1).data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, None)
    );
    assert_eq!(schema.field(2).metadata().get(TEXT_ENCODING_KEY), None);
    assert_eq!(
        schema
            .field(3)
            .metadata()
            .get(TEXT_ENCODING_KEY)
            .map(String::as_str),
        Some("NONE")
    );
    // Results keep the marking, so clients see the column's encoding.
    let result = engine
        .execute_one_with("SELECT n FROM h", CALCITE)
        .await
        .unwrap();
    assert_eq!(
        result
            .schema
            .field(0)
            .metadata()
            .get(TEXT_ENCODING_KEY)
            .map(String::as_str),
        Some("NONE")
    );
    // DataFusion's own reading stays in embedded mode.
    engine
        .execute("CREATE TABLE d (ts TIMESTAMP)")
        .await
        .unwrap();
    let schema = engine.table_schema("d").await.unwrap();
    assert_eq!(
        schema.field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, None)
    );
}

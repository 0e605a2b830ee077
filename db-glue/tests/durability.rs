//! The data directory: what an engine stores comes back when another engine opens it;
//! crash leftovers are removed; a damaged directory is a clear error; a failed write
//! changes nothing.

mod common;

use common::{ADD_IR, copy_ir};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use db_glue::arrow::array::{Array, AsArray, Int32Array, Int64Array, RecordBatch, StringArray};
use db_glue::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use db_glue::arrow::util::display::array_value_to_string;
use db_glue::{
    ClientGpuModule, Engine, EngineConfig, Error, FunctionDefinition, FunctionSpec, ResultNames,
    Signature, StatementOptions, TEXT_ENCODING_KEY, TableFunctionSpec, TableSignature, UserRecord,
};

const TWICE_IR: &str = "define i64 @twice(i64 %a) {\n  %r = mul i64 %a, 2\n  ret i64 %r\n}\n";
const RUNTIME_IR: &str = "define i64 @incr__cpu_0(i64 %a) {\n  %r = add i64 %a, 1\n  ret i64 %r\n}\n\
    define i64 @decr__cpu_0(i64 %a) {\n  %r = sub i64 %a, 1\n  ret i64 %r\n}\n";

fn open(dir: &Path) -> Result<Engine, Error> {
    Engine::new(EngineConfig {
        data_dir: Some(dir.to_path_buf()),
        target_partitions: Some(2),
        owner: Some("tester".into()),
        no_gpu: true,
        ..EngineConfig::default()
    })
}

fn as_user(user: &str) -> StatementOptions {
    StatementOptions {
        owner: Some(user.into()),
        ..StatementOptions::default()
    }
}

/// Every cell of a query's result, as text, rows in order.
async fn rows(engine: &Engine, sql: &str) -> Vec<Vec<String>> {
    let results = engine
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for batch in &results.last().unwrap().batches {
        for row in 0..batch.num_rows() {
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(row) {
                            "NULL".to_string()
                        } else {
                            array_value_to_string(c, row).unwrap()
                        }
                    })
                    .collect(),
            );
        }
    }
    out
}

async fn scalar(engine: &Engine, sql: &str) -> i64 {
    let results = engine
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = &results.last().unwrap().batches[0];
    batch.column(0).as_primitive::<Int64Type>().value(0)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(files_under(&path));
        } else {
            all.push(path);
        }
    }
    all.sort();
    all
}

/// The data directory's files, without the lock file (which stays).
fn data_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "lock"))
        .collect()
}

#[tokio::test]
async fn everything_acknowledged_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("points.csv");
    std::fs::write(&csv, "x,y\n1,10\n2,20\n").unwrap();
    let before_functions;
    let before_t;
    {
        let engine = open(&data).unwrap();
        assert_eq!(engine.restore_summary().tables, 0);
        engine
            .execute(
                "CREATE TABLE t (id BIGINT NOT NULL, name TEXT, n INT DEFAULT 7);
                 INSERT INTO t (id, name) VALUES (1, 'one'), (2, 'two'), (3, NULL);
                 INSERT INTO t VALUES (4, 'four', 40);
                 CREATE TABLE squares AS SELECT v, v * v AS sq FROM (VALUES (1), (2), (3)) AS s(v);
                 CREATE TABLE gone (a INT);
                 INSERT INTO gone VALUES (1);
                 CREATE TABLE emptied (a INT);
                 INSERT INTO emptied VALUES (1), (2);
                 DELETE FROM emptied;
                 DELETE FROM t WHERE id = 2;
                 UPDATE t SET n = 9 WHERE id = 3;
                 DROP TABLE gone;",
            )
            .await
            .unwrap();
        engine
            .execute(&format!(
                "CREATE VIEW big AS SELECT id FROM t WHERE id > 1;
                 CREATE EXTERNAL TABLE points STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true');",
                csv.display()
            ))
            .await
            .unwrap();
        // The HeavyDB load path: a table made through the API, rows appended.
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("label", DataType::Utf8View, true),
        ]));
        engine.create_table("Loaded", schema, false).unwrap();
        let batch = RecordBatch::try_from_iter(vec![
            ("k", Arc::new(Int32Array::from(vec![5, 6])) as _),
            (
                "label",
                Arc::new(StringArray::from(vec![Some("x"), None])) as _,
            ),
        ])
        .unwrap();
        assert_eq!(
            engine.append("loaded", vec![batch.clone()]).await.unwrap(),
            2
        );
        assert_eq!(engine.append("loaded", vec![batch]).await.unwrap(), 2);
        // HeavyDB's `ENCODING NONE` is kept in the schema.
        engine
            .execute_one_with(
                "CREATE TABLE heavy (s TEXT ENCODING NONE, d TEXT ENCODING DICT(32))",
                StatementOptions {
                    result_names: ResultNames::Calcite,
                    ..StatementOptions::default()
                },
            )
            .await
            .unwrap();

        // Functions: SQL (owned by the statement's user), the API, a runtime set.
        engine
            .execute_one_with(
                &format!("CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$"),
                as_user("alice"),
            )
            .await
            .unwrap();
        engine
            .create_function(
                FunctionDefinition {
                    name: "twice".into(),
                    ir: TWICE_IR.as_bytes().to_vec(),
                    overloads: vec![FunctionSpec::new(
                        "twice",
                        Signature::parse("int64(int64)").unwrap(),
                    )],
                    origin: "api".into(),
                    owner: None,
                },
                false,
            )
            .unwrap();
        let runtime = |name: &str| {
            (
                name.to_string(),
                FunctionSpec::new(
                    format!("{name}__cpu_0"),
                    Signature::parse("int64(int64)").unwrap(),
                ),
            )
        };
        engine
            .replace_function_set_with_gpu(
                "heavydb:bob",
                RUNTIME_IR.as_bytes().to_vec(),
                vec![runtime("incr"), runtime("decr")],
                // Kept for a GPU server even though this one has none.
                Some(ClientGpuModule {
                    ir: b"; a GPU module".to_vec(),
                    functions: vec![runtime("incr")],
                }),
            )
            .unwrap();
        engine
            .execute("CREATE FUNCTION dropped(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$define i64 @dropped(i64 %a) {\n  ret i64 %a\n}\n$$; DROP FUNCTION dropped")
            .await
            .unwrap();
        engine
            .put_user(UserRecord {
                name: "carol".into(),
                password_hash: "$argon2id$v=19$…".into(),
                superuser: false,
                created_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            })
            .unwrap();
        engine
            .put_user(UserRecord {
                name: "dave".into(),
                password_hash: "h".into(),
                superuser: true,
                created_at: SystemTime::UNIX_EPOCH,
            })
            .unwrap();
        assert!(engine.remove_user("dave").unwrap());
        assert!(!engine.remove_user("nobody").unwrap());
        before_functions = engine.functions();
        before_t = rows(&engine, "SELECT * FROM t ORDER BY id").await;
    }

    let engine = open(&data).unwrap();
    let summary = engine.restore_summary();
    assert_eq!(
        (
            summary.tables,
            summary.rows,
            summary.definitions,
            summary.functions,
            summary.overloads,
            summary.users
        ),
        (5, 3 + 3 + 4, 2, 4, 4, 1),
        "{summary:?}"
    );
    assert!(summary.unrestored.is_empty(), "{summary:?}");
    assert_eq!(
        engine.table_names(),
        [
            "big", "emptied", "heavy", "loaded", "points", "squares", "t"
        ]
    );
    assert_eq!(rows(&engine, "SELECT * FROM t ORDER BY id").await, before_t);
    assert_eq!(
        before_t,
        [["1", "one", "7"], ["3", "NULL", "9"], ["4", "four", "40"]]
    );
    assert_eq!(
        rows(&engine, "SELECT v, sq FROM squares ORDER BY v").await,
        [["1", "1"], ["2", "4"], ["3", "9"]]
    );
    assert_eq!(scalar(&engine, "SELECT count(*) FROM emptied").await, 0);
    assert_eq!(scalar(&engine, "SELECT count(*) FROM loaded").await, 4);
    assert_eq!(scalar(&engine, "SELECT sum(id) FROM big").await, 7);
    assert_eq!(scalar(&engine, "SELECT sum(y) FROM points").await, 30);
    // The column default and NOT NULL survive.
    engine
        .execute("INSERT INTO t (id) VALUES (5)")
        .await
        .unwrap();
    assert_eq!(rows(&engine, "SELECT n FROM t WHERE id = 5").await, [["7"]]);
    assert!(
        engine
            .execute("INSERT INTO t (id) VALUES (NULL)")
            .await
            .is_err()
    );
    let heavy = engine.table_schema("heavy").await.unwrap();
    assert_eq!(
        heavy
            .field(0)
            .metadata()
            .get(TEXT_ENCODING_KEY)
            .map(String::as_str),
        Some("NONE")
    );
    assert!(heavy.field(1).metadata().get(TEXT_ENCODING_KEY).is_none());
    let loaded = engine.table_schema("loaded").await.unwrap();
    assert!(!loaded.field(0).is_nullable());

    assert_eq!(scalar(&engine, "SELECT add(40, 2)").await, 42);
    assert_eq!(scalar(&engine, "SELECT twice(21)").await, 42);
    assert_eq!(scalar(&engine, "SELECT incr(41) + decr(43)").await, 84);
    assert!(engine.execute("SELECT dropped(1)").await.is_err());
    let after = engine.functions();
    let key = |f: &db_glue::FunctionInfo| {
        (
            f.name.clone(),
            f.signature.to_string(),
            f.symbol.clone(),
            f.origin.clone(),
            f.owner.clone(),
            f.created_at,
        )
    };
    assert_eq!(
        after.iter().map(key).collect::<Vec<_>>(),
        before_functions.iter().map(key).collect::<Vec<_>>()
    );
    let owners: Vec<(&str, &str)> = after
        .iter()
        .map(|f| (f.name.as_str(), f.owner.as_str()))
        .collect();
    assert_eq!(
        owners,
        [
            ("add", "alice"),
            ("decr", "bob"),
            ("incr", "bob"),
            ("twice", "tester")
        ]
    );
    let shown = rows(&engine, "SHOW FUNCTIONS LIKE 'add'").await;
    assert_eq!(shown[0][6], "alice");
    assert!(
        shown[0][7].ends_with('Z') && shown[0][7].contains('T'),
        "{:?}",
        shown[0]
    );

    let users = engine.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name, "carol");
    assert_eq!(
        users[0].created_at,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    );

    // Dropped things leave no files behind: one segment per stored partition or append,
    // one blob per module.
    let ir_blobs = std::fs::read_dir(data.join("ir")).unwrap().count();
    assert_eq!(
        ir_blobs, 4,
        "add, twice, the runtime module and its GPU module"
    );

    // A replaced runtime set and dropped objects go from the directory too.
    engine
        .replace_function_set("heavydb:bob", Vec::new(), Vec::new())
        .unwrap();
    engine
        .execute("DROP VIEW big; DROP TABLE points; DROP TABLE squares")
        .await
        .unwrap();
    drop(engine);
    let engine = open(&data).unwrap();
    let summary = engine.restore_summary();
    assert_eq!(
        (summary.tables, summary.definitions, summary.overloads),
        (4, 0, 2)
    );
    assert_eq!(std::fs::read_dir(data.join("ir")).unwrap().count(), 2);
    assert_eq!(summary.garbage_removed, 0);
}

#[tokio::test]
async fn crash_leftovers_are_removed_and_a_temp_catalog_ignored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open(dir.path()).unwrap();
        engine
            .execute("CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (1), (2)")
            .await
            .unwrap();
    }
    let committed = data_files(dir.path());
    // What a kill between a file's rename and the catalog's commit leaves, and a
    // half-written next catalog.
    std::fs::write(dir.path().join("ir").join("0".repeat(64)), "orphan").unwrap();
    std::fs::create_dir(dir.path().join("tables").join("999")).unwrap();
    std::fs::write(
        dir.path().join("tables").join("999").join("1000.arrow"),
        "x",
    )
    .unwrap();
    let table_dir = committed
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "arrow"))
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(table_dir.join("77.arrow"), "partial").unwrap();
    std::fs::write(table_dir.join(".78.arrow.tmp"), "partial").unwrap();
    std::fs::write(
        dir.path().join(".catalog.json.tmp"),
        "{\"format\": \"udf-ser",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("code-cache")).unwrap();
    std::fs::write(dir.path().join("code-cache").join("keep"), "compiler's").unwrap();

    let engine = open(dir.path()).unwrap();
    assert_eq!(engine.restore_summary().garbage_removed, 5);
    assert_eq!(scalar(&engine, "SELECT sum(a) FROM t").await, 3);
    let mut expected = committed;
    expected.push(dir.path().join("code-cache").join("keep"));
    expected.sort();
    assert_eq!(data_files(dir.path()), expected);
}

#[tokio::test]
async fn a_damaged_directory_is_an_error_that_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open(dir.path()).unwrap();
        engine
            .execute(&format!(
                "CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (1), (2);
                 CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$"
            ))
            .await
            .unwrap();
        // Open: a second engine is refused.
        let e = open(dir.path()).unwrap_err();
        assert!(matches!(e, Error::DataDirInUse { .. }), "{e}");
    }
    let catalog = dir.path().join("catalog.json");
    let good = std::fs::read(&catalog).unwrap();

    std::fs::write(&catalog, &good[..good.len() / 2]).unwrap();
    let e = open(dir.path()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{} is corrupt: not valid JSON", catalog.display())),
        "{e}"
    );
    let mut garbled = good.clone();
    let at = String::from_utf8_lossy(&good).find("\"rows\"").unwrap();
    garbled[at + 1] = b'R';
    std::fs::write(&catalog, &garbled).unwrap();
    let e = open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("tables[0].segments[0].rows: missing"), "{e}");

    // A segment cut short.
    std::fs::write(&catalog, &good).unwrap();
    let segment = data_files(dir.path())
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "arrow"))
        .unwrap();
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..bytes.len() - 10]).unwrap();
    let e = open(dir.path()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{} is corrupt: ", segment.display())),
        "{e}"
    );
    std::fs::write(&segment, &bytes).unwrap();

    // An IR blob that is not what its name says.
    let blob = std::fs::read_dir(dir.path().join("ir"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let ir = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, b"define i64 @add(i64 %a, i64 %b) { ret i64 0 }").unwrap();
    let e = open(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains(&blob.display().to_string()) && e.contains("does not match its SHA-256"),
        "{e}"
    );
    std::fs::write(&blob, ir).unwrap();

    // Nothing was lost by the failed opens.
    let engine = open(dir.path()).unwrap();
    assert_eq!(scalar(&engine, "SELECT add(sum(a), 0) FROM t").await, 3);
}

#[tokio::test]
async fn a_failed_write_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).unwrap();
    engine
        .execute("CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    // The next catalog cannot be written: its temporary name is taken by a directory.
    let blocker = dir.path().join(".catalog.json.tmp");
    std::fs::create_dir(&blocker).unwrap();
    let e = engine
        .execute("INSERT INTO t VALUES (2), (3)")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains(&blocker.display().to_string()), "{e}");
    let e = engine
        .execute(&format!(
            "CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$"
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains(&blocker.display().to_string()), "{e}");
    let e = engine
        .append(
            "t",
            vec![
                RecordBatch::try_from_iter(vec![("a", Arc::new(Int64Array::from(vec![9])) as _)])
                    .unwrap(),
            ],
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains(".catalog.json.tmp"), "{e}");
    assert!(engine.execute("DROP TABLE t").await.is_err());
    assert!(engine.execute("CREATE TABLE u (a INT)").await.is_err());
    // Nothing of it happened, in memory or on disk.
    assert_eq!(scalar(&engine, "SELECT sum(a) FROM t").await, 1);
    assert!(engine.functions().is_empty());
    assert_eq!(engine.table_names(), ["t"]);
    let segments = data_files(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "arrow"))
        .count();
    assert_eq!(segments, 1);
    assert_eq!(std::fs::read_dir(dir.path().join("ir")).unwrap().count(), 0);

    std::fs::remove_dir(&blocker).unwrap();
    engine.execute("INSERT INTO t VALUES (2)").await.unwrap();
    drop(engine);
    let engine = open(dir.path()).unwrap();
    assert_eq!(scalar(&engine, "SELECT sum(a) FROM t").await, 3);
}

#[tokio::test]
async fn views_and_external_tables_that_cannot_come_back_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "x\n1\n").unwrap();
    {
        let engine = open(&data).unwrap();
        engine
            .execute(&format!(
                "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true');
                 CREATE VIEW v AS SELECT x FROM p",
                csv.display()
            ))
            .await
            .unwrap();
    }
    std::fs::remove_file(&csv).unwrap();
    let engine = open(&data).unwrap();
    let summary = engine.restore_summary();
    assert_eq!(summary.unrestored.len(), 2, "{summary:?}");
    assert!(
        summary.unrestored[0].starts_with("external table `p`: "),
        "{summary:?}"
    );
    // Still kept, and still droppable.
    engine.execute("DROP VIEW v; DROP TABLE p").await.unwrap();
    drop(engine);
    let engine = open(&data).unwrap();
    assert!(engine.restore_summary().unrestored.is_empty());
}

#[tokio::test]
async fn tables_outside_the_default_schema_are_refused_with_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).unwrap();
    engine.execute("CREATE SCHEMA s").await.unwrap();
    let e = engine
        .execute("CREATE TABLE s.t (a INT)")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the default schema"), "{e}");
    // In memory, DataFusion's own handling stays.
    let memory = Engine::new(EngineConfig::default()).unwrap();
    memory
        .execute(
            "CREATE SCHEMA s; CREATE TABLE s.t (a INT); INSERT INTO s.t VALUES (1); DROP TABLE s.t",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn table_functions_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let before;
    {
        let engine = open(&data).unwrap();
        engine
            .execute("CREATE TABLE t (v BIGINT); INSERT INTO t VALUES (1), (NULL), (3)")
            .await
            .unwrap();
        engine
            .execute_one_with(
                &format!(
                    "CREATE FUNCTION sql_copy(CURSOR(BIGINT), ROWMULTIPLIER) \
                     RETURNS TABLE(v BIGINT) LANGUAGE llvm AS $${}$$",
                    copy_ir("sql_copy")
                ),
                as_user("alice"),
            )
            .await
            .unwrap();
        // A HeavyDB runtime set holding a table function.
        engine
            .replace_function_set_with_tables(
                "heavydb:bob",
                copy_ir("rt_copy__cpu_0").into_bytes(),
                Vec::new(),
                vec![(
                    "rt_copy".into(),
                    TableFunctionSpec::new(
                        "rt_copy__cpu_0",
                        TableSignature::parse(
                            "int32(Cursor<int64>, RowMultiplier, OutputColumn<int64>)",
                        )
                        .unwrap(),
                    ),
                )],
                None,
            )
            .unwrap();
        engine
            .execute(&format!(
                "CREATE FUNCTION gone(CURSOR(BIGINT), ROWMULTIPLIER) RETURNS TABLE(v BIGINT) \
                 LANGUAGE llvm AS $${}$$; DROP FUNCTION gone",
                copy_ir("gone")
            ))
            .await
            .unwrap();
        before = engine.table_functions();
        assert_eq!(before.len(), 2);
    }

    let engine = open(&data).unwrap();
    let summary = engine.restore_summary();
    assert_eq!(
        (summary.functions, summary.overloads),
        (2, 2),
        "{summary:?}"
    );
    let key = |f: &db_glue::TableFunctionInfo| {
        (
            f.name.clone(),
            f.signature.to_string(),
            f.symbol.clone(),
            f.origin.clone(),
            f.owner.clone(),
            f.created_at,
        )
    };
    assert_eq!(
        engine.table_functions().iter().map(key).collect::<Vec<_>>(),
        before.iter().map(key).collect::<Vec<_>>()
    );
    for f in ["sql_copy", "rt_copy"] {
        assert_eq!(
            rows(
                &engine,
                &format!("SELECT * FROM TABLE({f}(CURSOR(SELECT v FROM t), 1)) ORDER BY 1")
            )
            .await,
            [["1"], ["3"], ["NULL"]],
            "{f}"
        );
    }
    let shown = rows(&engine, "SHOW FUNCTIONS LIKE 'sql_copy'").await;
    assert_eq!(shown[0][6], "alice");
    assert!(
        engine
            .execute("SELECT * FROM TABLE(gone(CURSOR(SELECT v FROM t), 1))")
            .await
            .is_err()
    );
    assert_eq!(std::fs::read_dir(data.join("ir")).unwrap().count(), 2);

    // Replacing the runtime set and dropping the SQL function leave nothing behind.
    engine
        .replace_function_set("heavydb:bob", Vec::new(), Vec::new())
        .unwrap();
    engine.execute("DROP FUNCTION sql_copy").await.unwrap();
    drop(engine);
    let engine = open(&data).unwrap();
    assert_eq!(engine.restore_summary().overloads, 0);
    assert!(engine.table_functions().is_empty());
    assert_eq!(std::fs::read_dir(data.join("ir")).unwrap().count(), 0);
}

//! Cluster mode's routing (`udf.cluster`), without a cluster: which queries would go to
//! the scheduler, what `on` says about those that cannot, and what a query that goes
//! there says when no scheduler answers. The cluster itself is exercised end to end by
//! `udf-server/tests/clients/test_cluster.py` (scheduler, two executors, two servers).

mod common;

use common::{ADD_IR, copy_ir};
use db_glue::{Engine, EngineConfig};

/// An engine in cluster mode whose scheduler address nobody listens on (port 1).
async fn engine(data_dir: Option<&std::path::Path>) -> Engine {
    let engine = Engine::new(EngineConfig {
        data_dir: data_dir.map(Into::into),
        no_gpu: true,
        cluster: Some("ballista://127.0.0.1:1".into()),
        ..EngineConfig::default()
    })
    .unwrap();
    let copy = copy_ir("tcopy");
    engine
        .execute(&format!(
            "CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$; \
             CREATE FUNCTION tcopy(CURSOR(BIGINT), ROWMULTIPLIER) RETURNS TABLE(out0 BIGINT) \
             LANGUAGE llvm AS $${copy}$$; \
             CREATE TABLE t AS SELECT value AS a, value * 2 AS b FROM generate_series(1, 100)"
        ))
        .await
        .unwrap();
    engine
}

async fn error(engine: &Engine, sql: &str) -> String {
    match engine.execute(sql).await {
        Ok(_) => panic!("`{sql}` ran"),
        Err(e) => e.to_string(),
    }
}

async fn one_value(engine: &Engine, sql: &str) -> String {
    let results = engine.execute(sql).await.unwrap();
    let batch = &results.last().unwrap().batches[0];
    db_glue::arrow::util::display::array_value_to_string(batch.column(0), 0).unwrap()
}

#[tokio::test]
async fn queries_over_stored_tables_go_to_the_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(Some(dir.path())).await;
    let before = engine.cluster_status().unwrap();
    assert_eq!(before.scheduler, "http://127.0.0.1:1");
    // Shipped: nobody answers, and the error says where it tried.
    let e = error(&engine, "SELECT sum(add(a, b)) FROM t").await;
    assert!(e.contains("127.0.0.1:1"), "{e}");
    let after = engine.cluster_status().unwrap();
    assert_eq!(after.shipped, before.shipped + 1, "{after:?}");
    // Nothing to distribute: constants and DDL stay here and run.
    assert_eq!(one_value(&engine, "SELECT add(20, 22)").await, "42");
    // `off` runs everything here.
    assert_eq!(
        one_value(
            &engine,
            "SET udf.cluster = 'off'; SELECT sum(add(a, b)) FROM t"
        )
        .await,
        "15150"
    );
    assert_eq!(engine.cluster_status().unwrap().shipped, after.shipped);
}

#[tokio::test]
async fn on_names_what_keeps_a_query_off_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(Some(dir.path())).await;
    engine.execute("SET udf.cluster = 'on'").await.unwrap();
    let e = error(
        &engine,
        "SELECT count(*) FROM TABLE(tcopy(CURSOR(SELECT a FROM t), 1))",
    )
    .await;
    assert!(
        e.contains("cannot run on the cluster") && e.contains("table functions"),
        "{e}"
    );
    let e = error(&engine, "SELECT count(*) FROM information_schema.tables").await;
    assert!(
        e.contains("cannot run on the cluster") && e.contains("tables"),
        "{e}"
    );
    // `auto` runs both here.
    engine.execute("SET udf.cluster = 'auto'").await.unwrap();
    assert_eq!(
        one_value(
            &engine,
            "SELECT count(*) FROM TABLE(tcopy(CURSOR(SELECT a FROM t), 1))"
        )
        .await,
        "100"
    );
}

#[tokio::test]
async fn tables_of_an_engine_without_a_data_directory_stay_here() {
    let engine = engine(None).await;
    assert_eq!(
        one_value(&engine, "SELECT sum(add(a, b)) FROM t").await,
        "15150"
    );
    engine.execute("SET udf.cluster = 'on'").await.unwrap();
    let e = error(&engine, "SELECT sum(add(a, b)) FROM t").await;
    assert!(e.contains("kept in memory only"), "{e}");
}

#[tokio::test]
async fn a_bad_setting_is_refused_when_set() {
    let engine = engine(None).await;
    let e = error(&engine, "SET udf.cluster = 'maybe'").await;
    assert!(e.contains("'auto', 'on' or 'off'"), "{e}");
}

#[test]
fn a_bad_cluster_address_is_refused_at_start() {
    let e = Engine::new(EngineConfig {
        cluster: Some("127.0.0.1:50050".into()),
        ..EngineConfig::default()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("ballista://HOST:PORT"), "{e}");
}

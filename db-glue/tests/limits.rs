//! Statement limits through the API: each statement's own memory pool, a caller's
//! statement control (timeout and cancellation), the engine-wide timeout for direct calls.
//! (`tests/slt/limits.slt` covers the SQL side: SET/SHOW, interrupted UDFs, division.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use db_glue::{Engine, EngineConfig, Error, ScalarValue, StatementControl, StatementOptions};

/// Loops forever unless its argument is -8 or -7.
const SPIN: &str = "CREATE FUNCTION spin(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @spin(i64 %a) {
entry:
  br label %loop
loop:
  %i = phi i64 [ %a, %entry ], [ %n, %loop ]
  %n = xor i64 %i, 1
  %c = icmp eq i64 %n, -7
  br i1 %c, label %done, label %loop
done:
  ret i64 %n
}
$$";

fn engine(config: EngineConfig) -> Engine {
    Engine::new(EngineConfig {
        target_partitions: Some(2),
        no_gpu: true,
        ..config
    })
    .unwrap()
}

async fn single_i64(engine: &Engine, sql: &str) -> i64 {
    let result = engine
        .execute_one(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = &result.batches[0];
    db_glue::arrow::array::AsArray::as_primitive::<db_glue::arrow::datatypes::Int64Type>(
        batch.column(0).as_ref(),
    )
    .value(0)
}

/// A hash join builds its whole left side in memory, which cannot spill: over the limit it
/// fails, with the limit named, and the engine goes on.
#[tokio::test]
async fn a_query_over_its_memory_limit_fails_clearly() {
    let limited = engine(EngineConfig {
        query_memory_mb: Some(1),
        ..EngineConfig::default()
    });
    let join = "SELECT count(*) FROM range(300000) a JOIN range(300000) b ON a.value = b.value";
    let err = limited.execute_one(join).await.unwrap_err();
    assert!(
        matches!(err, Error::QueryMemoryLimit { limit_mb: 1, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("query exceeded its memory limit of 1 MiB (query_memory_mb): "),
        "{message}"
    );
    // Small queries still run, each with a fresh pool: the failed one freed nothing it
    // did not own.
    assert_eq!(
        single_i64(&limited, "SELECT count(*) FROM range(1000)").await,
        1000
    );
    let small_join = "SELECT count(*) FROM range(1000) a JOIN range(1000) b ON a.value = b.value";
    assert_eq!(single_i64(&limited, small_join).await, 1000);

    let unlimited = engine(EngineConfig::default());
    assert_eq!(single_i64(&unlimited, join).await, 300000);
}

#[tokio::test]
async fn a_callers_control_times_out_or_cancels_its_statement() {
    let engine = engine(EngineConfig::default());
    engine.execute_one(SPIN).await.unwrap();

    // The caller's timeout, not the engine's (none).
    let control = StatementControl::new(Some(Duration::from_millis(200)));
    let started = Instant::now();
    let err = engine
        .execute_one_with_control("SELECT spin(0)", StatementOptions::default(), &control)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::UdfInterrupted {
                timeout_ms: 200,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(engine.statement_timeout(), None);

    // SHOW reports the control's timeout.
    let shown = engine
        .execute_one_with_control(
            "SHOW statement_timeout",
            StatementOptions::default(),
            &StatementControl::new(Some(Duration::from_millis(1500))),
        )
        .await
        .unwrap();
    let value =
        db_glue::arrow::array::AsArray::as_string::<i32>(shown.batches[0].column(1).as_ref())
            .value(0)
            .to_string();
    assert_eq!(value, "1500ms");

    // Cancelled from another thread: a UDF in a loop, then a slow query without UDFs.
    for sql in [
        "SELECT sum(spin(value)) FROM range(1000)",
        "SELECT sum(value) FROM range(100000000000)",
    ] {
        let control = StatementControl::new(None);
        let canceller = {
            let control = Arc::clone(&control);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                control.cancel("the test is over");
            })
        };
        let started = Instant::now();
        let err = engine
            .execute_one_with_control(sql, StatementOptions::default(), &control)
            .await
            .unwrap_err();
        canceller.join().unwrap();
        assert_eq!(
            err.to_string(),
            "statement cancelled: the test is over",
            "{sql}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{sql}");
    }
    assert_eq!(single_i64(&engine, "SELECT spin(-8)").await, -7);
}

#[tokio::test]
async fn direct_calls_are_bounded_by_the_callers_timeout() {
    let engine = engine(EngineConfig::default());
    let timeout = Some(Duration::from_millis(200));
    engine.execute_one(SPIN).await.unwrap();
    let err = engine
        .call_function("spin", &[ScalarValue::Int64(Some(0))], true, timeout)
        .unwrap_err();
    assert_eq!(
        err.to_string().split(" after ").next(),
        Some("UDF `spin` interrupted"),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("(statement_timeout = 200 ms)"),
        "{err}"
    );
    let ok = engine
        .call_function("spin", &[ScalarValue::Int64(Some(-8))], true, timeout)
        .unwrap();
    assert_eq!(ok.value, ScalarValue::Int64(Some(-7)));
}

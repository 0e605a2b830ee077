//! Device choice for UDFs (`udf.device`): CPU work is unaffected without a GPU, and a GPU
//! request that cannot be honoured is an error naming why — never a silent CPU run.

mod common;

use common::{ADD_IR, copy_ir};
use db_glue::{DevicePreference, Engine, EngineConfig, GpuState, ResultNames, StatementOptions};

async fn engine(no_gpu: bool) -> Engine {
    let engine = Engine::new(EngineConfig {
        no_gpu,
        ..EngineConfig::default()
    })
    .unwrap();
    engine
        .execute(&format!(
            "CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$; \
             CREATE TABLE t AS SELECT value AS a, value * 2 AS b FROM generate_series(1, 1000)"
        ))
        .await
        .unwrap();
    engine
}

async fn copied_rows(engine: &Engine, options: StatementOptions) -> Result<String, String> {
    let result = engine
        .execute_one_with(
            "SELECT count(*) FROM TABLE(tcopy(CURSOR(SELECT a FROM t), 1))",
            options,
        )
        .await
        .map_err(|e| e.to_string())?;
    let batch = &result.batches[0];
    Ok(db_glue::arrow::util::display::array_value_to_string(batch.column(0), 0).unwrap())
}

async fn sum(engine: &Engine, options: StatementOptions) -> Result<String, String> {
    let result = engine
        .execute_one_with("SELECT sum(add(a, b)) FROM t", options)
        .await
        .map_err(|e| e.to_string())?;
    let batch = &result.batches[0];
    Ok(db_glue::arrow::util::display::array_value_to_string(batch.column(0), 0).unwrap())
}

/// The physical plan's projection line of `EXPLAIN`, which names the device of each call,
/// or the whole output (where an error shows) when there is none.
async fn explained(engine: &Engine, options: StatementOptions) -> Result<String, String> {
    let result = engine
        .execute_one_with("EXPLAIN SELECT add(a, b) FROM t", options)
        .await
        .map_err(|e| e.to_string())?;
    let batch = &result.batches[0];
    let plans = (0..batch.num_rows())
        .map(|row| db_glue::arrow::util::display::array_value_to_string(batch.column(1), row))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    plans
        .iter()
        .flat_map(|p| p.lines())
        .find(|l| l.contains("ProjectionExec"))
        .map(|l| l.trim().to_string())
        .ok_or_else(|| plans.join("\n"))
}

fn on(device: DevicePreference) -> StatementOptions {
    StatementOptions {
        result_names: ResultNames::DataFusion,
        device: Some(device),
        cluster: None,
        owner: None,
    }
}

#[tokio::test]
async fn without_a_gpu_cpu_work_is_unaffected_and_gpu_requests_fail_clearly() {
    let engine = engine(true).await;
    assert!(matches!(engine.gpu(), GpuState::Absent(_)));
    // 3 * (1 + … + 1000)
    let expected = Ok("1501500".to_string());
    assert_eq!(sum(&engine, StatementOptions::default()).await, expected);
    assert_eq!(sum(&engine, on(DevicePreference::Cpu)).await, expected);
    assert_eq!(sum(&engine, on(DevicePreference::Auto)).await, expected);

    let err = sum(&engine, on(DevicePreference::Gpu)).await.unwrap_err();
    assert!(
        err.contains("`add` cannot run on the GPU: no GPU: "),
        "{err}"
    );
    // EXPLAIN says where each call runs: `auto` without a GPU build is the CPU; an
    // explicit `gpu` fails while planning, and EXPLAIN shows that error.
    for device in [DevicePreference::Cpu, DevicePreference::Auto] {
        assert_eq!(
            explained(&engine, on(device)).await.unwrap(),
            "ProjectionExec: expr=[add[cpu](a@0, b@1) as add(t.a,t.b)]"
        );
    }
    let err = explained(&engine, on(DevicePreference::Gpu))
        .await
        .unwrap_err();
    assert!(
        err.contains("`add` cannot run on the GPU: no GPU: "),
        "{err}"
    );

    let err = engine
        .execute("SET udf_device = 'gpu'")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot run on the GPU: no GPU"), "{err}");
    let err = engine
        .execute("SET udf_device = 'tpu'")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("udf.device must be 'cpu', 'gpu' or 'auto', not 'tpu'"),
        "{err}"
    );
    let set = engine.execute("SET udf_device = 'cpu'").await.unwrap();
    assert_eq!(set[0].message.as_deref(), Some("udf.device = 'cpu'"));
    assert_eq!(sum(&engine, StatementOptions::default()).await, expected);

    // Table functions run on the CPU only: a GPU request says so (with or without a GPU).
    let copy = copy_ir("tcopy");
    engine
        .execute(&format!(
            "CREATE FUNCTION tcopy(CURSOR(BIGINT), ROWMULTIPLIER) RETURNS TABLE(out0 BIGINT) \
             LANGUAGE llvm AS $${copy}$$"
        ))
        .await
        .unwrap();
    assert_eq!(
        copied_rows(&engine, on(DevicePreference::Auto)).await,
        Ok("1000".to_string())
    );
    let err = copied_rows(&engine, on(DevicePreference::Gpu))
        .await
        .unwrap_err();
    assert!(
        err.contains("`tcopy` cannot run on the GPU: table functions run on the CPU only"),
        "{err}"
    );

    let info = &engine.functions()[0];
    assert_eq!(info.targets, vec!["cpu".to_string()]);
    assert!(
        info.gpu_note.as_deref().unwrap().starts_with("no GPU: "),
        "{:?}",
        info.gpu_note
    );
    assert!(
        info.runs.starts_with("cpu ") && info.runs.ends_with(", gpu 0"),
        "{}",
        info.runs
    );
}

#[tokio::test]
async fn with_a_gpu_both_devices_agree() {
    let engine = engine(false).await;
    let GpuState::Present(device) = engine.gpu() else {
        println!("skipped: no GPU ({:?})", engine.gpu());
        return;
    };
    println!("GPU: {}", device.info().name);
    let cpu = sum(&engine, on(DevicePreference::Cpu)).await;
    let gpu = sum(&engine, on(DevicePreference::Gpu)).await;
    assert_eq!(cpu, gpu);
    for (device, shown) in [
        (DevicePreference::Cpu, "add[cpu]"),
        (DevicePreference::Gpu, "add[gpu]"),
        (DevicePreference::Auto, "add[gpu ≥1000000 rows, else cpu]"),
    ] {
        let plan = explained(&engine, on(device)).await.unwrap();
        assert!(plan.contains(&format!("{shown}(a@0, b@1)")), "{plan}");
    }
    let info = &engine.functions()[0];
    assert_eq!(info.targets, vec!["cpu".to_string(), "gpu".to_string()]);
    assert!(!info.runs.ends_with(", gpu 0"), "{}", info.runs);
}

/// Array and text arguments (udf-abi.md §3: a pointer to `{T*, i64 size, i8 is_null}`).
const BUFFER_IR: &str = r#"
define double @arr_at(ptr %a, i64 %i) {
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
  ret double -1.0
}

define i32 @txt_len_plus(ptr %t, i32 %k) {
  %sp = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 1
  %n = load i64, ptr %sp
  %n32 = trunc i64 %n to i32
  %r = add i32 %n32, %k
  ret i32 %r
}

define i8 @txt_is_null(ptr %t) {
  %np = getelementptr { ptr, i64, i8 }, ptr %t, i32 0, i32 2
  %null = load i8, ptr %np
  ret i8 %null
}
"#;

#[tokio::test]
async fn with_a_gpu_array_and_text_arguments_agree_with_the_cpu() {
    let engine = engine(false).await;
    for (name, args, ret, symbol) in [
        ("arr_at", "DOUBLE[], BIGINT", "DOUBLE", "arr_at"),
        ("txt_len_plus", "TEXT, INT", "INT", "txt_len_plus"),
        ("txt_is_null", "TEXT", "BOOLEAN", "txt_is_null"),
    ] {
        engine
            .execute(&format!(
                "CREATE FUNCTION {name}({args}) RETURNS {ret} LANGUAGE llvm AS $${BUFFER_IR}$$, '{symbol}'"
            ))
            .await
            .unwrap();
    }
    // Element NULLs (sentinels), NULL arrays and texts, empty ones, and a sliced batch.
    engine
        .execute(
            "CREATE TABLE bt AS SELECT value AS id, \
               CASE WHEN value % 7 = 0 THEN NULL \
                    WHEN value % 11 = 0 THEN make_array(CAST(NULL AS DOUBLE)) \
                    ELSE make_array(value * 1.0, value * 2.0, NULL) END AS xs, \
               CASE WHEN value % 5 = 0 THEN NULL ELSE repeat('x', CAST(value % 13 AS INT)) END AS s \
             FROM generate_series(1, 200000)",
        )
        .await
        .unwrap();
    let query = "SELECT sum(arr_at(xs, id % 4)), count(arr_at(xs, id % 4)), \
                 sum(txt_len_plus(s, 1)), count(txt_len_plus(s, 1)), \
                 sum(CASE WHEN txt_is_null(s) THEN 1 ELSE 0 END) FROM bt";
    let run = |device| {
        let engine = &engine;
        async move {
            let result = engine.execute_one_with(query, on(device)).await.unwrap();
            let batch = &result.batches[0];
            (0..batch.num_columns())
                .map(|c| {
                    db_glue::arrow::util::display::array_value_to_string(batch.column(c), 0)
                        .unwrap()
                })
                .collect::<Vec<_>>()
        }
    };
    let cpu = run(DevicePreference::Cpu).await;
    // 40000 NULL texts of 200000 rows; txt_len_plus skips nothing (a NULL text has
    // length 0 and is still passed).
    assert_eq!(cpu[3], "200000");
    assert_eq!(cpu[4], "40000");
    let GpuState::Present(_) = engine.gpu() else {
        println!("skipped: the GPU part (no GPU: {:?})", engine.gpu());
        return;
    };
    for f in ["arr_at", "txt_len_plus", "txt_is_null"] {
        let info = engine
            .functions()
            .into_iter()
            .find(|i| i.name == f)
            .unwrap();
        assert_eq!(info.targets, ["cpu", "gpu"], "{f}: {:?}", info.gpu_note);
    }
    let gpu = run(DevicePreference::Gpu).await;
    assert_eq!(cpu, gpu);
    let runs = engine
        .functions()
        .into_iter()
        .find(|i| i.name == "arr_at")
        .unwrap()
        .runs;
    assert!(!runs.ends_with(", gpu 0"), "{runs}");
}

/// A runtime set of rbc's register1 sample with a GPU device: the array-argument function
/// gets a GPU build, the one returning an array does not (and says why), and neither
/// costs the other its build.
#[tokio::test]
async fn with_a_gpu_array_results_stay_on_the_cpu_without_costing_the_others() {
    let engine = engine(false).await;
    let GpuState::Present(_) = engine.gpu() else {
        println!("skipped: no GPU ({:?})", engine.gpu());
        return;
    };
    let ir = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/ir-samples/heavydb/register1_cpu_only.cpu.ll"),
    )
    .expect("shared/ir-samples next to the repository");
    let spec = |name: &str, sig: &str| {
        (
            name.to_string(),
            db_glue::FunctionSpec::new(
                format!("{name}__cpu_0"),
                db_glue::Signature::parse(sig).unwrap(),
            ),
        )
    };
    engine
        .replace_function_set(
            "heavydb:test",
            ir,
            vec![
                spec("array_sz_int32", "int64(int32[])"),
                spec("array_return", "float64[](int32)"),
            ],
        )
        .unwrap();
    let infos = engine.functions();
    let sz = infos.iter().find(|i| i.name == "array_sz_int32").unwrap();
    assert_eq!(sz.targets, ["cpu", "gpu"], "{:?}", sz.gpu_note);
    let ret = infos.iter().find(|i| i.name == "array_return").unwrap();
    assert_eq!(ret.targets, ["cpu"]);
    assert!(
        ret.gpu_note
            .as_deref()
            .is_some_and(|n| n.contains("runs on the CPU only")),
        "{:?}",
        ret.gpu_note
    );
}

//! End-to-end tests of the `udf-server` daemon as a process: start-up rules, the
//! connection limit, graceful stop, and `udf-sql --host` against it. (The real Python
//! clients are driven by the pytest suite in `tests/clients/`.)

use std::ops::{Deref, DerefMut};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use udf_thrift::THeavySyncClient;

mod common;
use common::{PASSWORD, free_port};

/// A daemon on a data directory of its own, removed after the daemon stops.
struct Daemon {
    server: common::Daemon,
    _data: tempfile::TempDir,
}

impl Daemon {
    fn start(extra: &[&str]) -> Daemon {
        let data = tempfile::tempdir().unwrap();
        Daemon {
            server: common::Daemon::start(&data.path().join("data"), extra),
            _data: data,
        }
    }
}

impl Deref for Daemon {
    type Target = common::Daemon;
    fn deref(&self) -> &common::Daemon {
        &self.server
    }
}

impl DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut common::Daemon {
        &mut self.server
    }
}

fn udf_sql_remote(port: u16, args: &[&str], password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udf-sql"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--user",
            "admin",
        ])
        .args(args)
        .env("UDF_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run udf-sql")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn sigterm_with_idle_connections_stops_cleanly() {
    let mut daemon = Daemon::start(&[]);
    // Idle connections (pyheavydb keeps one open) must not hold the stop up.
    let (_c1, _s1) = daemon.client();
    let (mut c2, s2) = daemon.client();
    assert_eq!(c2.get_tables(s2).unwrap(), Vec::<String>::new());
    let started = Instant::now();
    let status = daemon.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        started.elapsed()
    );
}

#[test]
fn connections_beyond_the_limit_get_a_clear_refusal() {
    let daemon = Daemon::start(&["--max-connections", "2"]);
    let (mut c1, s1) = daemon.client();
    let (_c2, _s2) = daemon.client();
    let mut c3 =
        udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(5)).unwrap();
    let err = c3.get_version().unwrap_err();
    let message = udf_thrift::error_message(&err);
    assert!(message.contains("limit of 2 connections"), "{message}");
    // The connections within the limit are unaffected.
    assert!(c1.get_version().unwrap().starts_with("8.0.1-"));
    assert_eq!(c1.get_tables(s1).unwrap(), Vec::<String>::new());
}

#[test]
fn refuses_the_public_default_password_off_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_udf-server"))
        .args([
            "--bind",
            "0.0.0.0",
            "--port",
            &free_port().to_string(),
            "--data-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .env_remove("UDF_ADMIN_PASSWORD")
        .env_remove("UDF_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refusing to listen on 0.0.0.0"), "{stderr}");
}

#[test]
fn a_bad_config_file_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udf-server.toml");
    std::fs::write(&config, "port = 6274\nmax_conections = 5\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_udf-server"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown setting `max_conections`"),
        "{stderr}"
    );
}

#[test]
fn configured_password_and_users_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udf-server.toml");
    std::fs::write(
        &config,
        "[users.admin]\npassword = \"adm1n\"\n[users.alice]\npassword = \"wonder\"\n",
    )
    .unwrap();
    let daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    let mut c =
        udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(5)).unwrap();
    let err = c
        .connect("admin".into(), PASSWORD.into(), String::new())
        .unwrap_err();
    assert!(udf_thrift::error_message(&err).contains("Authentication failure"));
    c.connect("admin".into(), "adm1n".into(), String::new())
        .unwrap();
    c.connect("alice".into(), "wonder".into(), "heavyai".into())
        .unwrap();
}

#[test]
fn udf_sql_runs_statements_on_a_server() {
    let daemon = Daemon::start(&[]);
    let ir = "define i64 @twice(i64 %a) {\n  %r = mul i64 %a, 2\n  ret i64 %r\n}\n";
    let out = udf_sql_remote(
        daemon.port,
        &[
            "-c",
            "CREATE TABLE t (a BIGINT)",
            "-c",
            "INSERT INTO t VALUES (1), (2), (NULL)",
            "-c",
            &format!("CREATE FUNCTION twice(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ir}$$"),
            "-c",
            "SELECT a, twice(a) FROM t ORDER BY a",
            "--timing",
        ],
        PASSWORD,
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("created function twice(int64)"), "{stdout}");
    // HeavyDB's names: the unaliased call is EXPR$1.
    assert!(stdout.contains("EXPR$1"), "{stdout}");
    for row in ["    1 |      2", "    2 |      4", " NULL |   NULL"] {
        assert!(stdout.contains(row), "missing `{row}` in\n{stdout}");
    }
    assert!(stdout.contains("(3 rows)"), "{stdout}");
    assert!(stdout.contains("Time: "), "{stdout}");

    // The function is the server's: a second session sees it.
    let out = udf_sql_remote(daemon.port, &["-c", "SELECT twice(21) AS x"], PASSWORD);
    assert!(text(&out.stdout).contains("42"), "{}", text(&out.stdout));

    // Errors come back as the server words them, and fail the run.
    let out = udf_sql_remote(daemon.port, &["-c", "SELECT nope(1)"], PASSWORD);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("No match found for function signature nope("),
        "{stderr}"
    );

    let out = udf_sql_remote(daemon.port, &["-c", "SELECT 1"], "wrong");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Authentication failure"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn udf_sql_without_a_server_says_so() {
    let out = udf_sql_remote(free_port(), &["-c", "SELECT 1"], PASSWORD);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot connect to 127.0.0.1:"), "{stderr}");
}

/// The `register3` sample as rbc sends it (numba 0.57, LLVM 14).
fn rbc_module(name: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/ir-samples/heavydb/"
    );
    std::fs::read_to_string(format!("{path}{name}")).unwrap_or_else(|e| {
        panic!("cannot read IR sample {path}{name} (is shared/ checked out?): {e}")
    })
}

fn udf(
    name: &str,
    args: &[udf_thrift::TExtArgumentType],
    ret: udf_thrift::TExtArgumentType,
) -> udf_thrift::TUserDefinedFunction {
    udf_thrift::TUserDefinedFunction {
        name: Some(name.into()),
        arg_types: Some(args.to_vec()),
        ret_type: Some(ret),
        annotations: Some(vec![Default::default(); args.len() + 1]),
    }
}

fn query_i64(c: &mut udf_thrift::client::Client, session: &str, sql: &str) -> Result<i64, String> {
    let result = c
        .sql_execute(session.into(), sql.into(), true, String::new(), -1, -1)
        .map_err(|e| udf_thrift::error_message(&e))?;
    let columns = result.row_set.unwrap().columns.unwrap();
    columns[0]
        .data
        .as_ref()
        .and_then(|d| d.int_col.as_ref())
        .and_then(|v| v.first().copied())
        .ok_or_else(|| format!("`{sql}` returned no integer"))
}

#[test]
fn a_registration_replaces_only_its_users_runtime_functions() {
    use udf_thrift::TExtArgumentType as T;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udf-server.toml");
    std::fs::write(
        &config,
        "[users.admin]\npassword = \"a\"\n[users.alice]\npassword = \"b\"\nsuperuser = false\n",
    )
    .unwrap();
    let daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
    let login = |user: &str, password: &str| {
        let mut c =
            udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(5)).unwrap();
        let s = c
            .connect(user.into(), password.into(), String::new())
            .unwrap();
        (c, s)
    };
    let (mut admin, sa) = login("admin", "a");
    let (mut alice, sb) = login("alice", "b");

    // alice registers myadd through the HeavyDB method; admin creates a function in SQL.
    let map = |ir: String| [("cpu".to_string(), ir)].into_iter().collect();
    alice
        .register_runtime_extension_functions(
            sb.clone(),
            vec![udf("myadd__cpu_0", &[T::INT64, T::INT64], T::INT64)],
            vec![],
            map(rbc_module("register3_myadd.cpu.ll")),
        )
        .unwrap();
    let ir = "define i64 @twice(i64 %a) {\n  %r = mul i64 %a, 2\n  ret i64 %r\n}\n";
    let create = format!("CREATE FUNCTION twice(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ir}$$");
    admin
        .sql_execute(sa.clone(), create, true, String::new(), -1, -1)
        .unwrap();
    assert_eq!(query_i64(&mut admin, &sa, "SELECT twice(21)"), Ok(42));
    assert_eq!(
        query_i64(
            &mut admin,
            &sa,
            "SELECT myadd(CAST(3 AS BIGINT), CAST(4 AS BIGINT));"
        ),
        Ok(7)
    );

    // admin's registration (incr) leaves alice's myadd and the SQL function alone.
    admin
        .register_runtime_extension_functions(
            sa.clone(),
            vec![udf("incr__cpu_0", &[T::INT32], T::INT32)],
            vec![],
            map(rbc_module("register1_cpu_only.cpu.ll")),
        )
        .unwrap();
    assert_eq!(query_i64(&mut admin, &sa, "SELECT incr(41)"), Ok(42));
    assert_eq!(
        query_i64(
            &mut admin,
            &sa,
            "SELECT myadd(CAST(1 AS BIGINT), CAST(1 AS BIGINT))"
        ),
        Ok(2)
    );
    assert_eq!(query_i64(&mut admin, &sa, "SELECT twice(1)"), Ok(2));
    let names = admin.get_runtime_function_names(sa.clone()).unwrap();
    assert_eq!(names, vec!["incr".to_string(), "myadd".to_string()]);
    assert_eq!(
        admin.get_function_names(sa.clone()).unwrap(),
        vec!["twice".to_string()]
    );

    // Taking over another user's overload is refused and changes nothing.
    let err = admin
        .register_runtime_extension_functions(
            sa.clone(),
            vec![udf("myadd__cpu_0", &[T::INT64, T::INT64], T::INT64)],
            vec![],
            map(rbc_module("register3_myadd.cpu.ll")),
        )
        .unwrap_err();
    let message = udf_thrift::error_message(&err);
    assert!(message.contains("heavydb:alice"), "{message}");
    assert_eq!(query_i64(&mut admin, &sa, "SELECT incr(1)"), Ok(2));

    // Malformed IR: HeavyDB's wording, nothing lost.
    let err = admin
        .register_runtime_extension_functions(
            sa.clone(),
            vec![udf("incr__cpu_0", &[T::INT32], T::INT32)],
            vec![],
            map("define i32 @incr__cpu_0(i32 %x) { ret i32 %y }".into()),
        )
        .unwrap_err();
    assert!(
        udf_thrift::error_message(&err).starts_with("LLVM IR ParseError: "),
        "{}",
        udf_thrift::error_message(&err)
    );
    assert_eq!(query_i64(&mut admin, &sa, "SELECT incr(1)"), Ok(2));

    // A table function description that describes nothing is refused by name.
    let udtf = udf_thrift::TUserDefinedTableFunction {
        name: Some("udtf_copy__cpu_0".into()),
        ..Default::default()
    };
    let err = admin
        .register_runtime_extension_functions(
            sa.clone(),
            vec![],
            vec![udtf],
            map(rbc_module("register3_myadd.cpu.ll")),
        )
        .unwrap_err();
    let message = udf_thrift::error_message(&err);
    assert!(
        message.contains("table function `udtf_copy__cpu_0`") && message.contains("OutputColumn"),
        "{message}"
    );
    assert_eq!(query_i64(&mut admin, &sa, "SELECT incr(1)"), Ok(2));

    // Unregistering (rbc sends empty lists) removes admin's set only.
    admin
        .register_runtime_extension_functions(sa.clone(), vec![], vec![], map(String::new()))
        .unwrap();
    let err = query_i64(&mut admin, &sa, "SELECT incr(1)").unwrap_err();
    assert!(
        err.contains("No match found for function signature incr("),
        "{err}"
    );
    assert_eq!(
        query_i64(
            &mut alice,
            &sb,
            "SELECT myadd(CAST(2 AS BIGINT), CAST(2 AS BIGINT))"
        ),
        Ok(4)
    );
}

#[test]
fn device_choice_per_session_is_explicit() {
    let daemon = Daemon::start(&[]);
    let (mut c, s) = daemon.client();
    let gpu_present = gpu::probe().is_ok_and(|d| !d.is_empty());
    let params = c.get_device_parameters(s.clone()).unwrap();
    assert_eq!(params.contains_key("gpu_triple"), gpu_present);
    c.sql_execute(
        s.clone(),
        "SET udf_device = 'cpu'".into(),
        true,
        String::new(),
        -1,
        -1,
    )
    .unwrap();
    let err = c
        .sql_execute(
            s.clone(),
            "SET udf_device = 'tpu'".into(),
            true,
            String::new(),
            -1,
            -1,
        )
        .unwrap_err();
    assert!(udf_thrift::error_message(&err).contains("not 'tpu'"));
    if gpu_present {
        println!("GPU present: GPU requests are honoured");
        return;
    }
    let err = c
        .sql_execute(
            s.clone(),
            "SET udf_device = 'gpu'".into(),
            true,
            String::new(),
            -1,
            -1,
        )
        .unwrap_err();
    let message = udf_thrift::error_message(&err);
    assert!(message.contains("GPU execution: no GPU"), "{message}");
    let err = c
        .set_execution_mode(s.clone(), udf_thrift::TExecuteMode::GPU)
        .unwrap_err();
    assert!(udf_thrift::error_message(&err).contains("no GPU"));
    c.set_execution_mode(s.clone(), udf_thrift::TExecuteMode::CPU)
        .unwrap();
    assert_eq!(query_i64(&mut c, &s, "SELECT 41 + 1"), Ok(42));
}

#[test]
fn registrations_carry_gpu_variants_and_refuse_gpu_only_ones() {
    use udf_thrift::TExtArgumentType as T;
    let daemon = Daemon::start(&[]);
    let (mut c, s) = daemon.client();
    let map: std::collections::BTreeMap<String, String> = [
        ("cpu".to_string(), rbc_module("register2_cpu_gpu.cpu.ll")),
        ("gpu".to_string(), rbc_module("register2_cpu_gpu.gpu.ll")),
    ]
    .into_iter()
    .collect();
    // What rbc sends for a server with a GPU: CPU variants, then their GPU twins.
    c.register_runtime_extension_functions(
        s.clone(),
        vec![
            udf("incr__cpu_0", &[T::INT32], T::INT32),
            udf("incr__gpu_0", &[T::INT32], T::INT32),
        ],
        vec![],
        map.clone(),
    )
    .unwrap();
    assert_eq!(query_i64(&mut c, &s, "SELECT incr(41)"), Ok(42));

    let err = c
        .register_runtime_extension_functions(
            s.clone(),
            vec![udf("mysin__gpu_0", &[T::DOUBLE], T::DOUBLE)],
            vec![],
            map,
        )
        .unwrap_err();
    let message = udf_thrift::error_message(&err);
    assert!(
        message.contains("GPU-only function `mysin__gpu_0`"),
        "{message}"
    );
    // Refused as a whole: the previous set is still live.
    assert_eq!(query_i64(&mut c, &s, "SELECT incr(1)"), Ok(2));
}

fn datum(int: i64, real: f64, is_null: bool) -> udf_thrift::TDatum {
    udf_thrift::TDatum {
        val: Some(udf_thrift::TDatumVal {
            int_val: Some(int),
            real_val: Some(udf_thrift::OrderedFloat(real)),
            str_val: Some(String::new()),
            arr_val: Some(Vec::new()),
        }),
        is_null: Some(is_null),
    }
}

#[test]
fn udf_call_runs_the_chosen_overload_without_sql() {
    let daemon = Daemon::start(&[]);
    let (mut c, s) = daemon.client();
    let ir = "define i64 @addl(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n\
              define double @addd(double %a, double %b) {\n  %r = fadd double %a, %b\n  ret double %r\n}\n\
              define i8 @pos(double %a) {\n  %c = fcmp ogt double %a, 0.0\n  %r = zext i1 %c to i8\n  ret i8 %r\n}\n";
    for (name, args, ret, symbol) in [
        ("add", "BIGINT, BIGINT", "BIGINT", "addl"),
        ("add", "DOUBLE, DOUBLE", "DOUBLE", "addd"),
        ("is_pos", "DOUBLE", "BOOLEAN", "pos"),
    ] {
        c.sql_execute(
            s.clone(),
            format!(
                "CREATE FUNCTION {name}({args}) RETURNS {ret} LANGUAGE llvm \
                 AS $${ir}$$, '{symbol}'"
            ),
            true,
            String::new(),
            -1,
            -1,
        )
        .unwrap_or_else(|e| panic!("{name}: {}", udf_thrift::error_message(&e)));
    }
    let call = |c: &mut udf_thrift::client::Client, name: &str, args, types: &[&str]| {
        c.udf_call(
            s.clone(),
            name.into(),
            args,
            types.iter().map(|t| t.to_string()).collect(),
        )
        .map_err(|e| udf_thrift::error_message(&e))
    };

    // Integers as literals: the BIGINT overload.
    let r = call(
        &mut c,
        "add",
        vec![datum(1, 0.0, false), datum(2, 0.0, false)],
        &[],
    )
    .unwrap();
    assert_eq!(
        r.value.as_ref().unwrap().val.as_ref().unwrap().int_val,
        Some(3)
    );
    assert_eq!(r.type_.as_deref(), Some("BIGINT"));
    assert_eq!(
        r.signature.as_deref(),
        Some("add(BIGINT, BIGINT) -> BIGINT")
    );
    // A float selects the DOUBLE overload, the integer is cast to it.
    let r = call(
        &mut c,
        "ADD",
        vec![datum(1, 0.0, false), datum(0, 2.5, false)],
        &[],
    )
    .unwrap();
    assert_eq!(
        r.value.as_ref().unwrap().val.as_ref().unwrap().real_val,
        Some(udf_thrift::OrderedFloat(3.5))
    );
    assert_eq!(r.type_.as_deref(), Some("DOUBLE"));
    // 1.5 is exact in float32, but an untyped float is a DOUBLE: no FLOAT overload is
    // preferred for it.
    c.sql_execute(
        s.clone(),
        "CREATE FUNCTION add(FLOAT, FLOAT) RETURNS FLOAT LANGUAGE llvm AS $$\
         define float @addf(float %a, float %b) {\n  %r = fadd float %a, %b\n  \
         ret float %r\n}\n$$, 'addf'"
            .into(),
        true,
        String::new(),
        -1,
        -1,
    )
    .unwrap_or_else(|e| panic!("{}", udf_thrift::error_message(&e)));
    let r = call(
        &mut c,
        "add",
        vec![datum(0, 1.5, false), datum(0, 2.0, false)],
        &[],
    )
    .unwrap();
    assert_eq!(
        r.signature.as_deref(),
        Some("add(DOUBLE, DOUBLE) -> DOUBLE")
    );
    let r = call(
        &mut c,
        "add",
        vec![datum(0, 1.5, false), datum(0, 2.0, false)],
        &["FLOAT", "FLOAT"],
    )
    .unwrap();
    assert_eq!(r.signature.as_deref(), Some("add(FLOAT, FLOAT) -> FLOAT"));
    // Booleans come back as 0/1 typed BOOLEAN; NULL in, NULL out.
    let r = call(&mut c, "is_pos", vec![datum(0, -1.0, false)], &[]).unwrap();
    assert_eq!(r.type_.as_deref(), Some("BOOLEAN"));
    assert_eq!(
        r.value.as_ref().unwrap().val.as_ref().unwrap().int_val,
        Some(0)
    );
    let r = call(
        &mut c,
        "add",
        vec![datum(0, 0.0, true), datum(2, 0.0, false)],
        &["BIGINT", "BIGINT"],
    )
    .unwrap();
    assert_eq!(r.value.as_ref().unwrap().is_null, Some(true));

    // Errors name what was wrong and list what exists; the connection keeps serving.
    let err = call(
        &mut c,
        "is_pos",
        vec![datum(1, 0.0, false), datum(2, 0.0, false)],
        &[],
    )
    .unwrap_err();
    assert!(
        err.starts_with("No match found for function signature is_pos(BIGINT, BIGINT)"),
        "{err}"
    );
    assert!(err.contains("candidates: is_pos(float64) -> bool"), "{err}");
    let err = call(&mut c, "nope", vec![], &[]).unwrap_err();
    assert!(err.contains("function `nope` does not exist"), "{err}");
    let err = call(&mut c, "abs", vec![datum(1, 0.0, false)], &[]).unwrap_err();
    assert!(err.contains("user-defined functions only"), "{err}");
    let err = call(&mut c, "add", vec![datum(1, 0.0, false)], &["TEXT"]).unwrap_err();
    assert!(err.contains("argument 1: unknown type `TEXT`"), "{err}");
    let err = c
        .udf_call("bad-session".into(), "add".into(), vec![], vec![])
        .unwrap_err();
    assert_eq!(
        udf_thrift::error_message(&err),
        "Session not valid or expired."
    );
    assert_eq!(query_i64(&mut c, &s, "SELECT add(40, 2)"), Ok(42));
}

//! `udf-admin` and the operator surface: the output formats (golden files, re-bless with
//! `UDF_BLESS=1`), every command against a real `udf-server` process, the metrics
//! endpoint, and a restart with a warm code cache compiling nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use udf_server::admin::{self, ShowTexts};
use udf_thrift::{
    THeavySyncClient, TUdfCacheStats, TUdfKernelDetails, TUdfServerStatus, TUdfSessionInfo,
    TUdfTableInfo,
};

mod common;
use common::{PASSWORD, free_port};

/// A running daemon on `data` with its metrics endpoint, killed when dropped.
struct Daemon {
    server: common::Daemon,
    metrics_port: u16,
}

impl Daemon {
    fn start(data: &Path, config: Option<&Path>) -> Daemon {
        let metrics_port = free_port();
        let metrics = metrics_port.to_string();
        let mut extra = vec!["--metrics-port", metrics.as_str()];
        let config = config.map(|c| c.to_str().unwrap());
        if let Some(config) = config {
            extra.extend(["--config", config]);
        }
        Daemon {
            server: common::Daemon::start(data, &extra),
            metrics_port,
        }
    }

    fn client(&self, user: &str, password: &str) -> (udf_thrift::client::Client, String) {
        self.server.login(user, password)
    }

    fn sql(&self, statement: &str) {
        let (mut c, s) = self.client("admin", PASSWORD);
        c.sql_execute(s, statement.into(), true, String::new(), -1, -1)
            .unwrap_or_else(|e| panic!("{statement}: {}", udf_thrift::error_message(&e)));
    }

    fn admin(&self, user: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_udf-admin"))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &self.server.port.to_string(),
                "--user",
                user,
            ])
            .args(args)
            .env(
                "UDF_PASSWORD",
                if user == "admin" {
                    PASSWORD
                } else {
                    "alice-pw"
                },
            )
            .stdin(Stdio::null())
            .output()
            .expect("run udf-admin")
    }

    /// `udf-admin ARGS` as admin, which must succeed; its standard output.
    fn admin_ok(&self, args: &[&str]) -> String {
        let out = self.admin("admin", args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "udf-admin {args:?} failed: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn scrape(&self) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.metrics_port)).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
        reply
    }
}

/// A sample's value in a Prometheus exposition.
fn metric(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{exposition}"))
}

/// The `CREATE FUNCTION hypexp …` statement of examples/sql/hypexp.sql (Numba's IR).
fn create_hypexp() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sql/hypexp.sql");
    let script = std::fs::read_to_string(path).unwrap();
    let start = script.find("CREATE OR REPLACE FUNCTION hypexp").unwrap();
    let body_end = script[start..].find("\n$$;").unwrap() + start + 3;
    script[start..body_end].to_string()
}

const CREATE_ADD: &str =
    "CREATE FUNCTION add_i64(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @add_i64(i64 %a, i64 %b) {
  %s = add i64 %a, %b
  ret i64 %s
}
$$";

/// A table function copying a DOUBLE cursor (RowMultiplier-sized).
const CREATE_TCOPY: &str =
    "CREATE FUNCTION tcopy(CURSOR(DOUBLE), ROWMULTIPLIER) RETURNS TABLE(x DOUBLE) LANGUAGE llvm AS $$
define i32 @tcopy(ptr %x, i32 %m, ptr %out) {
  %np = getelementptr { ptr, i64 }, ptr %x, i32 0, i32 1
  %n = load i64, ptr %np
  %xd = load ptr, ptr %x
  %od = load ptr, ptr %out
  %bytes = mul i64 %n, 8
  call void @llvm.memcpy.p0.p0.i64(ptr %od, ptr %xd, i64 %bytes, i1 false)
  %r = trunc i64 %n to i32
  ret i32 %r
}
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
$$";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/admin")
}

/// Compares `actual` with the golden file `name`; `UDF_BLESS=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UDF_BLESS").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UDF_BLESS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "{} differs; if the new output is right, re-bless with UDF_BLESS=1",
        path.display()
    );
}

fn details_fixture() -> Vec<TUdfKernelDetails> {
    let phases = [
        ("parse", 410),
        ("verify", 95),
        ("generate", 120),
        ("optimise", 6_200),
        ("codegen", 3_900),
        ("link", 350),
    ];
    let base = TUdfKernelDetails {
        name: Some("hypexp".into()),
        signature: Some("float64(float64, float64)".into()),
        symbol: Some("hypexp_daddA".into()),
        target: Some("cpu".into()),
        target_name: Some("x86_64-unknown-linux-gnu znver4".into()),
        origin: Some("sql".into()),
        owner: Some("admin".into()),
        created_at_ms: Some(1_795_000_000_000),
        instructions: Some(187),
        basic_blocks: Some(21),
        vector_width: Some(8),
        interleave: Some(1),
        phase_us: Some(phases.iter().map(|(p, us)| (p.to_string(), *us)).collect()),
        code_source: Some("disk cache".into()),
        cache_hits: Some(2),
        invocations: Some(123),
        rows: Some(1_000_000),
        ir: Some(String::new()),
        optimized_ir: Some(String::new()),
        assembly: Some("udf_kernel_0:\n\tvmulpd\t%zmm1, %zmm1, %zmm2\n\tretq\n".into()),
        ptx: Some(String::new()),
        note: Some(String::new()),
    };
    let gpu = TUdfKernelDetails {
        target: Some("gpu".into()),
        target_name: Some("nvptx64-nvidia-cuda sm_90".into()),
        instructions: Some(64),
        basic_blocks: Some(6),
        vector_width: Some(0),
        interleave: Some(0),
        code_source: Some("compiled".into()),
        cache_hits: Some(0),
        invocations: Some(0),
        rows: Some(0),
        assembly: Some(String::new()),
        ptx: Some(".version 7.8\n.target sm_90\n.visible .entry udf_kernel_0(\n".into()),
        note: Some("PTX loaded on gpu 0".into()),
        ..base.clone()
    };
    vec![base, gpu]
}

#[test]
fn output_formats_match_the_golden_files() {
    let details = details_fixture();
    golden("functions_show.txt", &admin::function_show(&details, false));
    golden("functions_show.json", &admin::function_show(&details, true));
    golden("functions_list.txt", &admin::function_list(&details, false));
    let status = TUdfServerStatus {
        version: Some("8.0.1-udf-server-0.1.0".into()),
        started_at_ms: Some(1_795_000_000_000),
        uptime_ms: Some(12_345),
        llvm_version: Some("22.1.0".into()),
        host_triple: Some("x86_64-unknown-linux-gnu".into()),
        host_cpu: Some("znver4".into()),
        devices: Some(vec![
            "cpu: znver4 (x86_64-unknown-linux-gnu, 2 threads)".into(),
            "gpu: none (libcuda.so not found)".into(),
        ]),
        sessions: Some(2),
        functions: Some(3),
        overloads: Some(4),
        tables: Some(1),
        table_rows: Some(5),
        table_bytes: Some(2_048),
        memory_rss_bytes: Some(150 << 20),
        data_dir: Some("/var/lib/udf".into()),
        code_cache_dir: Some("/var/lib/udf/code-cache".into()),
    };
    golden("status.txt", &admin::status(&status, false));
    golden("status.json", &admin::status(&status, true));
    let sessions = vec![
        TUdfSessionInfo {
            id: Some("0123abcd".into()),
            user: Some("alice".into()),
            database: Some("heavyai".into()),
            started_at_ms: Some(1_795_000_000_000),
            idle_ms: Some(4_000),
            execution_mode: Some("auto".into()),
            current: Some(false),
        },
        TUdfSessionInfo {
            id: Some("89abcdef0123456789abcdef01234567".into()),
            user: Some("admin".into()),
            database: Some("heavyai".into()),
            started_at_ms: Some(1_795_000_060_000),
            idle_ms: Some(0),
            execution_mode: Some("cpu".into()),
            current: Some(true),
        },
    ];
    golden("sessions.txt", &admin::sessions(&sessions, false));
    let tables = vec![TUdfTableInfo {
        name: Some("points".into()),
        columns: Some("x DOUBLE, y DOUBLE".into()),
        rows: Some(5),
        bytes: Some(2_048),
        batches: Some(1),
    }];
    golden("tables.txt", &admin::tables(&tables, false));
    let cache = TUdfCacheStats {
        cache_dir: Some("/var/lib/udf/code-cache".into()),
        compiles: Some(3),
        ptx_compiles: Some(0),
        memory_hits: Some(1),
        disk_hits: Some(2),
        disk_misses: Some(3),
        disk_rejected_foreign: Some(0),
        disk_corrupt: Some(0),
        disk_writes: Some(3),
        disk_entries: Some(3),
        disk_bytes: Some(24_576),
        memory_entries: Some(3),
    };
    golden("cache.txt", &admin::cache(&cache, false));
    assert_eq!(
        ShowTexts {
            asm: true,
            ptx: true,
            ..ShowTexts::default()
        }
        .wire_names(),
        ["asm", "ptx"]
    );
}

#[test]
fn every_command_against_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udf.toml");
    std::fs::write(
        &config,
        "[users.alice]\npassword = \"alice-pw\"\nsuperuser = false\n",
    )
    .unwrap();
    let daemon = Daemon::start(&dir.path().join("data"), Some(&config));
    daemon.sql(&create_hypexp());
    daemon.sql(CREATE_ADD);
    daemon.sql("CREATE TABLE points(x DOUBLE, y DOUBLE)");
    daemon.sql(
        "INSERT INTO points VALUES (0.0, 0.0), (0.5, 1.0), (1.0, 2.0), (-1.5, 0.25), (3.0, 4.0)",
    );
    daemon.sql("SELECT sum(hypexp(x, y)) FROM points");
    daemon.sql(CREATE_TCOPY);
    daemon.sql("SELECT count(*) FROM TABLE(tcopy(CURSOR(SELECT x FROM points), 1))");

    let status = daemon.admin_ok(&["status"]);
    for expected in [
        "llvm",
        "functions",
        "3 (3 overloads)",
        "1 (5 rows",
        "code cache",
    ] {
        assert!(
            status.contains(expected),
            "status lacks {expected:?}:\n{status}"
        );
    }
    let status: serde_json::Value =
        serde_json::from_str(&daemon.admin_ok(&["status", "--json"])).unwrap();
    assert_eq!(status["functions"], 3);
    assert_eq!(status["table_rows"], 5);
    assert!(
        status["code_cache_dir"]
            .as_str()
            .unwrap()
            .ends_with("code-cache")
    );

    // The kernel of hypexp: vectorised, and its machine code shows it.
    let show = daemon.admin_ok(&["functions", "show", "hypexp", "--asm"]);
    assert!(show.contains("vectorised    "), "{show}");
    assert!(
        !show.contains("vectorised    no"),
        "hypexp's loop did not vectorise:\n{show}"
    );
    assert!(show.contains("--- assembly ---"), "{show}");
    assert!(
        show.contains("%ymm") || show.contains("%zmm"),
        "no AVX vector registers in hypexp's kernel:\n{show}"
    );
    assert!(show.contains("ran           1 batches, 5 rows"), "{show}");
    let ir = daemon.admin_ok(&["functions", "show", "hypexp", "--ir", "--opt-ir"]);
    assert!(
        ir.contains("--- IR as received ---") && ir.contains("@hypexp_daddA"),
        "{ir}"
    );
    assert!(
        ir.contains("--- optimised kernel IR ---") && ir.contains("define"),
        "{ir}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&daemon.admin_ok(&["functions", "show", "add_i64", "--json"]))
            .unwrap();
    assert_eq!(json[0]["symbol"], "add_i64");
    assert!(json[0]["instructions"].as_i64().unwrap() > 0);
    assert!(json[0]["phase_us"]["optimise"].as_i64().is_some());
    let list = daemon.admin_ok(&["functions"]);
    assert!(
        list.contains("hypexp") && list.contains("add_i64") && list.contains("tcopy"),
        "{list}"
    );
    // Table functions: their one CPU kernel, its calls and input rows, and why no PTX.
    let show = daemon.admin_ok(&["functions", "show", "tcopy", "--opt-ir", "--ptx"]);
    for expected in [
        "int32(Cursor<float64>, RowMultiplier, OutputColumn<float64> x)",
        "ran           1 batches, 5 rows",
        "udf_table_kernel_0",
        "no PTX: table functions run on the CPU only",
    ] {
        assert!(show.contains(expected), "lacks {expected:?}:\n{show}");
    }
    let missing = daemon.admin("admin", &["functions", "show", "nosuch"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no function named `nosuch`"));
    let refused = daemon.admin("admin", &["functions", "show", "hypexp", "--ptx"]);
    // Without a GPU the PTX is absent, and the details say why instead of failing.
    assert!(refused.status.success() || String::from_utf8_lossy(&refused.stderr).contains("PTX"));

    let tables = daemon.admin_ok(&["tables"]);
    assert!(
        tables.contains("points") && tables.contains("x DOUBLE"),
        "{tables}"
    );
    let devices = daemon.admin_ok(&["devices"]);
    assert!(devices.starts_with("cpu: "), "{devices}");

    // Sessions: alice sees her own, admin sees all and ends hers.
    let (mut alice, alice_session) = daemon.client("alice", "alice-pw");
    let sessions = daemon.admin_ok(&["sessions"]);
    assert!(sessions.contains("alice"), "{sessions}");
    assert!(sessions.contains(&alice_session[..8]), "{sessions}");
    assert!(
        !sessions.contains(&alice_session),
        "a whole session id leaked:\n{sessions}"
    );
    let refused = daemon.admin("alice", &["sessions", "kill", &alice_session[..8]]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs a superuser session"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let short = daemon.admin("admin", &["sessions", "kill", "abc"]);
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 hex digits"));
    daemon.admin_ok(&["sessions", "kill", &alice_session[..8]]);
    let gone = alice.get_tables(alice_session).unwrap_err();
    assert!(udf_thrift::error_message(&gone).contains("Session not valid"));

    // The code cache and the metrics.
    let cache: serde_json::Value =
        serde_json::from_str(&daemon.admin_ok(&["cache", "--json"])).unwrap();
    assert!(cache["compiles"].as_i64().unwrap() >= 2, "{cache}");
    assert!(cache["disk_entries"].as_i64().unwrap() >= 2, "{cache}");
    let scraped = daemon.scrape();
    assert!(metric(&scraped, "udf_compiles_total") >= 2.0);
    assert!(metric(&scraped, "udf_queries_total") >= 5.0);
    assert!(scraped.contains("udf_compile_duration_seconds_bucket{le=\"+Inf\"}"));
    assert!(scraped.contains("udf_thrift_calls_total{method=\"sql_execute\"}"));
    assert_eq!(
        daemon.admin_ok(&["metrics"]).lines().next(),
        scraped.split("\r\n\r\n").nth(1).unwrap().lines().next()
    );
    let cleared: serde_json::Value =
        serde_json::from_str(&daemon.admin_ok(&["cache", "clear", "--json"])).unwrap();
    assert_eq!(cleared["disk_entries"], 0, "{cleared}");
    // Loaded functions keep their code.
    daemon.sql("SELECT hypexp(1.0, 2.0)");

    let dropped = daemon.admin_ok(&["functions", "drop", "add_i64"]);
    assert!(dropped.contains("dropped 1 function overload"), "{dropped}");
    assert!(!daemon.admin_ok(&["functions"]).contains("add_i64"));
    let dropped = daemon.admin_ok(&["functions", "drop", "tcopy"]);
    assert!(dropped.contains("dropped 1 function overload"), "{dropped}");
    assert!(!daemon.admin_ok(&["functions"]).contains("tcopy"));
}

#[test]
fn restart_with_a_warm_cache_compiles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let daemon = Daemon::start(&data, None);
        daemon.sql(&create_hypexp());
        daemon.sql(CREATE_ADD);
        daemon.sql("CREATE TABLE points(x DOUBLE, y DOUBLE)");
        daemon.sql("INSERT INTO points VALUES (0.5, 1.0), (3.0, 4.0)");
        assert!(metric(&daemon.scrape(), "udf_compiles_total") >= 2.0);
    }
    // Start to the first answered query, and the answer's first column.
    let restart = || {
        let spawned = Instant::now();
        let daemon = Daemon::start(&data, None);
        let (mut c, s) = daemon.client("admin", PASSWORD);
        let first = c
            .sql_execute(
                s,
                "SELECT add_i64(40, 2), hypexp(x, y) FROM points ORDER BY x".into(),
                true,
                String::new(),
                -1,
                -1,
            )
            .unwrap();
        let to_first_answer = spawned.elapsed();
        let columns = first.row_set.unwrap().columns.unwrap();
        let sums = columns[0].data.clone().unwrap().int_col.unwrap();
        (daemon, to_first_answer, sums)
    };
    let (daemon, to_first_answer, sums) = restart();
    assert_eq!(sums, [42, 42]);
    let scraped = daemon.scrape();
    assert_eq!(metric(&scraped, "udf_compiles_total"), 0.0, "{scraped}");
    assert!(metric(&scraped, "udf_code_cache_disk_hits_total") >= 2.0);
    let listening = daemon.server.started_in;
    drop(daemon);
    // The baseline, in the same run: the same restart with the code cache removed.
    std::fs::remove_dir_all(data.join("code-cache")).unwrap();
    let (cold, cold_first_answer, _) = restart();
    let cold_compiles = metric(&cold.scrape(), "udf_compiles_total");
    println!(
        "warm restart: listening after {:.0} ms, first query answered {:.0} ms after start, \
         0 compilations; without the cache: {:.0} ms, {cold_compiles} compilations \
         (warm = {:.2}x cold)",
        listening.as_secs_f64() * 1e3,
        to_first_answer.as_secs_f64() * 1e3,
        cold_first_answer.as_secs_f64() * 1e3,
        to_first_answer.as_secs_f64() / cold_first_answer.as_secs_f64()
    );
}

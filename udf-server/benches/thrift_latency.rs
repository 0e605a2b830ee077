//! Latency and throughput of `sql_execute` over loopback Thrift, the way pyheavydb calls
//! it (one persistent connection per client, one-row query).
//!
//! The server runs in this process on a free port (the same code as the daemon); clients
//! are the generated Thrift client, each on its own thread and connection. Baselines
//! measured in the same run: `get_version` over the same connection (protocol and
//! transport cost with no SQL), and the same query on the engine in-process (SQL cost with
//! no protocol), so that the report is a ratio, not just a machine-dependent number.
//!
//! Direct calls: `udf_call("add", [1, 2])` (the notebook client's direct-call path; goal
//! p50 ≤ 100 µs) against `sql_execute("SELECT add(1, 2)")` and `get_version`, over the
//! same connection.
//!
//! `cargo bench -p udf-server --bench thrift_latency` (or `bench/thrift.sh`); writes
//! `bench/out/thrift.txt`. `UDF_BENCH_CALLS` sets calls per client (default 2000). Under
//! `cargo test --benches` it runs a few calls as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use db_glue::{Engine, EngineConfig};
use udf_server::config::{Config, Overrides};
use udf_server::heavy::HeavyService;
use udf_server::server::{Server, ServerLimits};
use udf_server::sessions::SessionStore;
use udf_thrift::input::InputLimits;
use udf_thrift::{HeavySyncProcessor, TDatum, TDatumVal, THeavySyncClient};

const QUERY: &str = "SELECT 1";
const ADD_IR: &str = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let smoke =
        std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let calls: usize = if smoke {
        20
    } else {
        std::env::var("UDF_BENCH_CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000)
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let engine = {
        let _guard = runtime.enter();
        Engine::new(EngineConfig {
            data_dir: Some(data.path().to_path_buf()),
            ..EngineConfig::default()
        })
        .unwrap()
    };
    runtime
        .block_on(engine.execute(&format!(
            "CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$"
        )))
        .unwrap();
    let config = Arc::new(
        Config::load(
            None,
            &Overrides {
                port: Some(0),
                ..Overrides::default()
            },
        )
        .unwrap(),
    );
    let sessions = Arc::new(SessionStore::new(config.session_idle_timeout));
    let service = HeavyService::new(
        engine.clone(),
        sessions,
        Arc::clone(&config),
        runtime.handle().clone(),
    );
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(HeavySyncProcessor::new(service)),
        ServerLimits {
            max_connections: 64,
            call_timeout: Duration::from_secs(60),
            input: InputLimits::default(),
        },
    )
    .unwrap();
    let port = server.local_addr().unwrap().port();
    let stop = server.stop_handle().unwrap();
    let serving = std::thread::spawn(move || server.run(Duration::from_secs(5)));

    let client = || {
        let mut c = udf_thrift::client::connect("127.0.0.1", port, Duration::from_secs(5)).unwrap();
        let session = c
            .connect("admin".into(), "HyperInteractive".into(), String::new())
            .unwrap();
        (c, session)
    };

    // Single client: latency distribution of each call kind.
    let (mut c, session) = client();
    for _ in 0..calls.min(200) {
        c.sql_execute(session.clone(), QUERY.into(), true, String::new(), -1, -1)
            .unwrap();
    }
    let time = |f: &mut dyn FnMut()| {
        let mut samples: Vec<Duration> = (0..calls)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        samples.sort();
        samples
    };
    let version = time(&mut || {
        c.get_version().unwrap();
    });
    let execute = time(&mut || {
        c.sql_execute(session.clone(), QUERY.into(), true, String::new(), -1, -1)
            .unwrap();
    });
    let in_process = time(&mut || {
        runtime.block_on(engine.execute(QUERY)).unwrap();
    });
    let int = |i: i64| TDatum {
        val: Some(TDatumVal {
            int_val: Some(i),
            ..TDatumVal::default()
        }),
        is_null: Some(false),
    };
    let direct = time(&mut || {
        let r = c
            .udf_call(session.clone(), "add".into(), vec![int(1), int(2)], vec![])
            .unwrap();
        assert_eq!(r.value.unwrap().val.unwrap().int_val, Some(3));
    });
    let add_sql = time(&mut || {
        c.sql_execute(
            session.clone(),
            "SELECT add(1, 2)".into(),
            true,
            String::new(),
            -1,
            -1,
        )
        .unwrap();
    });

    // Throughput with N concurrent clients, each on its own connection.
    let mut throughput = Vec::new();
    for clients in [1usize, 8, 32] {
        let barrier = Arc::new(std::sync::Barrier::new(clients + 1));
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let (mut c, session) = client();
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..calls {
                        c.sql_execute(session.clone(), QUERY.into(), true, String::new(), -1, -1)
                            .unwrap();
                    }
                })
            })
            .collect();
        barrier.wait();
        let t = Instant::now();
        for h in handles {
            h.join().unwrap();
        }
        let elapsed = t.elapsed();
        throughput.push((clients, (clients * calls) as f64 / elapsed.as_secs_f64()));
    }
    stop.stop();
    serving.join().unwrap().unwrap();

    let mut report = String::new();
    report +=
        &format!("sql_execute(\"{QUERY}\") over loopback Thrift, {calls} calls per measurement\n");
    for (name, samples) in [
        ("get_version (protocol only)", &version),
        ("sql_execute", &execute),
        ("engine.execute in-process", &in_process),
        ("udf_call add(1, 2)", &direct),
        ("sql_execute SELECT add(1, 2)", &add_sql),
    ] {
        report += &format!(
            "  {name:<30} p50 {:>8.1} µs   p99 {:>8.1} µs\n",
            micros(percentile(samples, 0.5)),
            micros(percentile(samples, 0.99))
        );
    }
    report += &format!(
        "  sql_execute p50 / get_version p50 = {:.2}x; sql_execute p50 / in-process p50 = {:.2}x\n",
        micros(percentile(&execute, 0.5)) / micros(percentile(&version, 0.5)),
        micros(percentile(&execute, 0.5)) / micros(percentile(&in_process, 0.5)),
    );
    report += &format!(
        "  udf_call p50 / get_version p50 = {:.2}x; SELECT add(1, 2) p50 / udf_call p50 = {:.2}x\n",
        micros(percentile(&direct, 0.5)) / micros(percentile(&version, 0.5)),
        micros(percentile(&add_sql, 0.5)) / micros(percentile(&direct, 0.5)),
    );
    report += "throughput (sql_execute calls/s, one connection per client):\n";
    let single = throughput[0].1;
    for (clients, rate) in &throughput {
        report += &format!(
            "  {clients:>2} clients: {rate:>9.0} /s  ({:.2}x one client)\n",
            rate / single
        );
    }
    print!("{report}");
    if !smoke {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/out");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("thrift.txt"), &report).unwrap();
    }
}

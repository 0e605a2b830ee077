//! `CREATE FUNCTION … LANGUAGE c` through the real `udf-sql` binary: clang on the client,
//! the IR on an embedded engine or a real `udf-server` process.
//!
//! These tests need clang (`scripts/setup.sh` installs `clang-22`); without it they fail
//! rather than pass unnoticed, since CI installs it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{PASSWORD, assert_success, stderr, stdout};

const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/c");

/// Fails the test unless udf-sql will find a clang, so a missing one reads as a setup
/// problem rather than as a bug in udf-sql.
fn require_clang() {
    let candidates: Vec<String> = match std::env::var("UDF_CLANG") {
        Ok(clang) if !clang.trim().is_empty() => vec![clang],
        _ => vec!["clang-22".into(), "clang".into()],
    };
    let found = candidates.iter().any(|clang| {
        Command::new(clang)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        found,
        "clang not found (looked for {candidates:?}, from $UDF_CLANG or PATH): run \
         scripts/setup.sh, which installs clang-22"
    );
}

fn udf_sql(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_udf-sql"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn run_embedded(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    udf_sql(dir.path()).args(args).output().unwrap()
}

/// Every aligned table in `text`, as header and rows of cell texts.
fn tables(text: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let cells = |line: &str| line.split('|').map(|c| c.trim().to_string()).collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 1;
    while i < lines.len() {
        let rule = lines[i];
        if rule.starts_with('-') && rule.chars().all(|c| c == '-' || c == '+') {
            let header = cells(lines[i - 1]);
            let mut rows = Vec::new();
            let mut j = i + 1;
            while j < lines.len() && !lines[j].starts_with('(') {
                rows.push(cells(lines[j]));
                j += 1;
            }
            found.push((header, rows));
            i = j;
        }
        i += 1;
    }
    found
}

fn last_rows(text: &str) -> Vec<Vec<String>> {
    tables(text)
        .pop()
        .unwrap_or_else(|| panic!("no table in output:\n{text}"))
        .1
}

/// The table whose header is `header`.
fn table_with(text: &str, header: &[&str]) -> Vec<Vec<String>> {
    tables(text)
        .into_iter()
        .find(|(h, _)| h == header)
        .unwrap_or_else(|| panic!("no table {header:?} in output:\n{text}"))
        .1
}

fn collatz_steps(mut n: i64) -> Option<i64> {
    if n < 1 {
        return None;
    }
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    Some(steps)
}

fn close(got: f64, want: f64) -> bool {
    // Vector libm and clang's FMA contraction may differ from Rust's in the last bits.
    got == want || ((got - want) / want).abs() <= 1e-14
}

#[track_caller]
fn number(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// What `examples/c/create.sql` prints, checked against the same functions in Rust.
#[track_caller]
fn check_example_output(text: &str) {
    let collatz = table_with(text, &["n", "steps"]);
    assert_eq!(collatz.len(), 8, "{text}");
    for row in &collatz {
        let n: i64 = row[0].parse().unwrap();
        let want = collatz_steps(n).map_or("NULL".to_string(), |s| s.to_string());
        assert_eq!(row[1], want, "collatz_steps({n})");
    }
    let points = table_with(
        text,
        &[
            "x",
            "y",
            "hypexp",
            "hypexp_builtin",
            "softplus",
            "softplus_naive",
        ],
    );
    assert_eq!(points.len(), 7, "{text}");
    for row in &points {
        let (x, y) = (number(&row[0]), number(&row[1]));
        let hypexp = (x * x + y * y).sqrt() * (-x).exp();
        assert!(close(number(&row[2]), hypexp), "hypexp({x}, {y}): {row:?}");
        let softplus = x.max(0.0) + (-x.abs()).exp().ln_1p();
        assert!(close(number(&row[4]), softplus), "softplus({x}): {row:?}");
    }
    // The longest path below a million (Project Euler 14).
    assert_eq!(last_rows(text), [["837799", "524"]]);
}

#[test]
fn example_script_runs_embedded() {
    require_clang();
    let out = run_embedded(&["-f", &format!("{EXAMPLES_DIR}/create.sql")]);
    assert_success(&out);
    check_example_output(&stdout(&out));
}

#[test]
fn example_bodies_are_the_c_files() {
    let script = std::fs::read_to_string(format!("{EXAMPLES_DIR}/create.sql")).unwrap();
    for file in ["collatz.c", "hypexp.c", "softplus.c"] {
        let source = std::fs::read_to_string(format!("{EXAMPLES_DIR}/{file}")).unwrap();
        assert!(
            script.contains(&format!("$$\n{source}$$")),
            "examples/c/create.sql no longer holds {file} unchanged as a body"
        );
    }
}

#[test]
fn c_with_semicolons_dollars_and_a_static_helper() {
    require_clang();
    // `$$` in the C needs a tagged delimiter; `;`, quotes and comments stay in the body.
    let script = "CREATE FUNCTION digits(BIGINT) RETURNS INT LANGUAGE c AS $c$\n\
                  #include <stdint.h>\n\
                  /* counts decimal digits; 'quotes' and $$ are fine here */\n\
                  static int32_t count(uint64_t v) { int32_t d = 1; while (v >= 10) { v /= 10; d++; } return d; }\n\
                  int32_t digits(int64_t x) { const char *s = \"$$;\"; (void)s; \
                  return count(x < 0 ? -(uint64_t)x : (uint64_t)x); }\n\
                  $c$;\n\
                  SELECT digits(0) AS a, digits(-12345) AS b, digits(9223372036854775807) AS c;\n";
    let out = run_embedded(&["-c", script]);
    assert_success(&out);
    assert_eq!(last_rows(&stdout(&out)), [["1", "5", "19"]]);
}

#[test]
fn single_quoted_body_and_link_symbol() {
    require_clang();
    let out = run_embedded(&[
        "-c",
        "CREATE FUNCTION twice(INT) RETURNS INT LANGUAGE c \
         AS 'int my_twice(int x) { return 2 * x; } int other(int x) { return x; }', 'my_twice'",
        "-c",
        "SELECT twice(21) AS t",
    ]);
    assert_success(&out);
    assert_eq!(last_rows(&stdout(&out)), [["42"]]);
}

#[test]
fn or_replace_with_c() {
    require_clang();
    let create = |k: i32| {
        format!(
            "CREATE OR REPLACE FUNCTION bump(BIGINT) RETURNS BIGINT LANGUAGE c AS $$\n\
             long bump(long x) {{ return x + {k}; }}\n$$"
        )
    };
    let out = run_embedded(&[
        "--timing",
        "-c",
        &create(1),
        "-c",
        "SELECT bump(1) AS first",
        "-c",
        &create(100),
        "-c",
        "SELECT bump(1) AS second",
    ]);
    assert_success(&out);
    let text = stdout(&out);
    assert_eq!(table_with(&text, &["first"]), [["2"]]);
    assert_eq!(table_with(&text, &["second"]), [["101"]]);
    // `\timing` times the statements that compile C too.
    assert_eq!(text.lines().filter(|l| l.starts_with("Time: ")).count(), 4);
}

#[test]
fn c_errors_show_clang_and_register_nothing() {
    require_clang();
    let out = run_embedded(&[
        "-c",
        "CREATE FUNCTION broken(BIGINT) RETURNS BIGINT LANGUAGE c AS $$\n\
         long broken(long x) {\n  return x + ;\n}\n$$",
        "-c",
        "SHOW FUNCTIONS",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("ERROR: clang cannot compile the C source of `broken`:"),
        "{err}"
    );
    // clang's own words, placed in the body (line 2 is the line after `$$` + 1).
    assert!(
        err.contains("broken.c:2:14: error: expected expression"),
        "{err}"
    );
    let text = stdout(&out);
    assert!(
        last_rows(&text).is_empty(),
        "a function was registered:\n{text}"
    );
}

#[test]
fn missing_clang_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = udf_sql(dir.path())
        .env("UDF_CLANG", "/nonexistent/clang")
        .args([
            "-c",
            "CREATE FUNCTION one() RETURNS INT LANGUAGE c AS $$ int one(void) { return 1; } $$",
            "-c",
            "SELECT 2 AS later",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.trim_end(),
        "ERROR: LANGUAGE c needs clang on this machine (looked for $UDF_CLANG = \
         /nonexistent/clang); install clang (Debian: apt-get install clang-22) or send \
         LANGUAGE llvm"
    );
    // Other statements do not need clang.
    assert_eq!(last_rows(&stdout(&out)), [["2"]]);
}

#[test]
fn boolean_results_are_int8_t() {
    require_clang();
    // Documented in examples/c/README.md: BOOLEAN is an int8_t, not C's bool.
    let out = run_embedded(&[
        "-c",
        "CREATE FUNCTION even(INT) RETURNS BOOLEAN LANGUAGE c AS $$\n\
         #include <stdint.h>\nint8_t even(int32_t v) { return v % 2 == 0; }\n$$",
        "-c",
        "SELECT even(4) AS a, even(7) AS b",
    ]);
    assert_success(&out);
    assert_eq!(last_rows(&stdout(&out)), [["true", "false"]]);
}

/// A `udf-server` process on a data directory of its own, killed when dropped.
struct Daemon {
    server: common::Daemon,
    _data: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Daemon {
        let data = tempfile::tempdir().unwrap();
        Daemon {
            server: common::Daemon::start(&data.path().join("data"), &[]),
            _data: data,
        }
    }

    fn udf_sql(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_udf-sql"))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &self.server.port.to_string(),
            ])
            .args(args)
            .env("UDF_PASSWORD", PASSWORD)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("run udf-sql")
    }
}

#[test]
fn remote_server_gets_ir_compiled_on_the_client() {
    require_clang();
    let daemon = Daemon::start();
    let out = daemon.udf_sql(&["-f", &format!("{EXAMPLES_DIR}/create.sql")]);
    assert_success(&out);
    check_example_output(&stdout(&out));

    // A later session calls what an earlier one created from C.
    let out = daemon.udf_sql(&["-c", "SELECT collatz_steps(27) AS s, hypexp(0, 2) AS h"]);
    assert_success(&out);
    assert_eq!(last_rows(&stdout(&out)), [["111", "2.0"]]);

    // A clang failure sends nothing: the server's function set is unchanged.
    let out = daemon.udf_sql(&[
        "-c",
        "CREATE OR REPLACE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE c AS $$\n\
         double hypexp(double x, double y) { return nope(x); }\n$$",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("hypexp.c:1:"), "{err}");
    assert!(err.contains("nope"), "{err}");
    let out = daemon.udf_sql(&["-c", "SELECT hypexp(0, 2) AS h"]);
    assert_success(&out);
    assert_eq!(last_rows(&stdout(&out)), [["2.0"]]);
}

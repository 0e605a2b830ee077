//! End-to-end tests of the `udf-sql` binary: the real executable, a fresh data directory
//! per test, SQL in through -c / -f / stdin, text out.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{assert_success, stderr, stdout};

/// The IR samples live in the `shared/` checkout beside the repository.
const IR_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/ir-samples/remotejit"
);
const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

fn ir_sample(name: &str) -> String {
    let path = format!("{IR_DIR}/{name}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read IR sample {path} (is shared/ checked out?): {e}"))
}

fn udf_sql(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_udf-sql"));
    cmd.arg("--data-dir").arg(data_dir).env("RUST_LOG", "warn");
    cmd
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start udf-sql");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn run_args(args: &[&str], stdin: Option<&str>) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = udf_sql(dir.path());
    cmd.args(args);
    (run(cmd, stdin), dir)
}

/// A table as printed in aligned format: header names and rows of cell texts.
#[derive(Debug)]
struct Printed {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Finds every aligned table in `text`: a header line, a `---+---` rule, rows, and a
/// `(N rows)` footer whose count must match.
fn tables(text: &str) -> Vec<Printed> {
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
            let footer = lines.get(j).copied().unwrap_or_default();
            let noun = if rows.len() == 1 { "row" } else { "rows" };
            assert_eq!(footer, format!("({} {noun})", rows.len()), "in:\n{text}");
            found.push(Printed { header, rows });
            i = j;
        }
        i += 1;
    }
    found
}

fn last_table(text: &str) -> Printed {
    tables(text)
        .pop()
        .unwrap_or_else(|| panic!("no table in output:\n{text}"))
}

/// What the Python function returns: `math.sqrt(x*x + y*y) * math.exp(-x)`.
fn hypexp(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt() * (-x).exp()
}

const POINTS: &[(f64, f64)] = &[
    (0.0, 0.0),
    (0.5, 1.0),
    (1.0, 2.0),
    (-1.5, 0.25),
    (3.0, 4.0),
    (0.001, 1000.0),
    (10.0, -7.0),
    (-20.0, 1e-3),
    (700.0, 1.0),
];

/// The SQL that registers `hypexp` from an IR sample and queries it over a few points.
fn hypexp_script(ir_file: &str) -> String {
    let ir = ir_sample(ir_file);
    let values: Vec<String> = POINTS
        .iter()
        .map(|(x, y)| format!("({x:?}, {y:?})"))
        .collect();
    format!(
        "CREATE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE llvm AS $$\n{ir}$$;\n\
         CREATE TABLE t(x DOUBLE, y DOUBLE);\n\
         INSERT INTO t VALUES {};\n\
         SELECT x, y, hypexp(x, y) AS h FROM t ORDER BY x, y;\n",
        values.join(", ")
    )
}

#[track_caller]
fn check_hypexp(ir_file: &str) {
    let (out, _dir) = run_args(&["-c", &hypexp_script(ir_file)], None);
    assert_success(&out);
    let text = stdout(&out);
    let table = last_table(&text);
    assert_eq!(table.header, ["x", "y", "h"]);
    assert_eq!(table.rows.len(), POINTS.len(), "{text}");
    for row in &table.rows {
        let parse = |s: &str| -> f64 {
            s.parse()
                .unwrap_or_else(|_| panic!("not a number: {s:?} in\n{text}"))
        };
        let (x, y, got) = (parse(&row[0]), parse(&row[1]), parse(&row[2]));
        let want = hypexp(x, y);
        // Vectorised exp may differ from scalar libm in the last bits.
        let rel = if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        };
        assert!(
            rel <= 1e-14,
            "hypexp({x}, {y}) = {got}, Python gives {want} (relative error {rel:e})"
        );
    }
}

#[test]
fn hypexp_numba068_matches_python() {
    check_hypexp("numba068_hypexp_daddA.cpu.ll");
}

#[test]
fn hypexp_numba061_with_libm_calls_matches_python() {
    check_hypexp("numba061_hypexp_daddA.cpu.ll");
}

#[test]
fn floats_print_with_every_digit() {
    let (out, _dir) = run_args(&["-c", "SELECT 0.1 + 0.2 AS s"], None);
    assert_success(&out);
    assert_eq!(last_table(&stdout(&out)).rows, [["0.30000000000000004"]]);
}

#[test]
fn timing_prints_a_time_line_per_statement() {
    let (out, _dir) = run_args(&["--timing", "-c", "SELECT 1; SELECT 2"], None);
    assert_success(&out);
    let text = stdout(&out);
    let times: Vec<&str> = text.lines().filter(|l| l.starts_with("Time: ")).collect();
    assert_eq!(times.len(), 2, "{text}");
    for line in times {
        let ms = line
            .strip_prefix("Time: ")
            .and_then(|l| l.strip_suffix(" ms"))
            .unwrap_or_else(|| panic!("bad time line {line:?}"));
        let (_, decimals) = ms.split_once('.').expect("three decimals");
        assert_eq!(decimals.len(), 3, "{line}");
        assert!(ms.parse::<f64>().is_ok(), "{line}");
    }
}

#[test]
fn no_timing_by_default() {
    let (out, _dir) = run_args(&["-c", "SELECT 1"], None);
    assert_success(&out);
    assert!(!stdout(&out).contains("Time:"));
}

#[test]
fn failed_statement_reports_error_and_exit_code_but_later_ones_run() {
    let (out, _dir) = run_args(
        &[
            "-c",
            "SELECT no_such_function(1)",
            "-c",
            "SELECT 42 AS answer",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("ERROR: ") && l.contains("no_such_function")),
        "stderr should name the unknown function:\n{err}"
    );
    assert_eq!(last_table(&stdout(&out)).rows, [["42"]]);
}

#[test]
fn stop_on_error_skips_the_rest() {
    let (out, _dir) = run_args(
        &[
            "--stop-on-error",
            "-c",
            "SELECT 1 AS first; SELECT no_such_function(1); SELECT 3 AS third",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("first"), "{text}");
    assert!(!text.contains("third"), "{text}");
}

#[test]
fn bad_ir_is_an_error_naming_the_problem() {
    let (out, _dir) = run_args(
        &[
            "-c",
            "CREATE FUNCTION f(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$ this is not IR $$",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("ERROR: "), "{err}");
    assert!(err.contains("IR"), "{err}");
}

/// A script with a multi-line function whose body holds `;`, quotes and comments.
const ADD_SCRIPT: &str = "\
-- integer add as a UDF
CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
; a comment; with semicolons and 'quotes'
define i64 @add(i64 %a, i64 %b) {
  %r = add i64 %a, %b
  ret i64 %r
}
$$;
CREATE TABLE nums AS SELECT * FROM (VALUES (1, 2), (40, 2), (-5, 5)) AS v(a, b);
SELECT a, b, add(a, b) AS s
FROM nums
ORDER BY a;
";

#[track_caller]
fn check_add_output(out: &Output) {
    assert_success(out);
    let table = last_table(&stdout(out));
    assert_eq!(table.header, ["a", "b", "s"]);
    assert_eq!(
        table.rows,
        [["-5", "5", "0"], ["1", "2", "3"], ["40", "2", "42"]]
    );
}

#[test]
fn script_file() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("add.sql");
    std::fs::write(&script, ADD_SCRIPT).unwrap();
    let mut cmd = udf_sql(&dir.path().join("data"));
    cmd.arg("-f").arg(&script);
    check_add_output(&run(cmd, None));
}

#[test]
fn piped_stdin_runs_as_a_script() {
    let (out, _dir) = run_args(&[], Some(ADD_SCRIPT));
    check_add_output(&out);
    let (out, _dir) = run_args(&["-f", "-"], Some(ADD_SCRIPT));
    check_add_output(&out);
}

#[test]
fn commands_and_files_run_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("insert.sql");
    std::fs::write(&script, "INSERT INTO o VALUES (2)").unwrap();
    let mut cmd = udf_sql(&dir.path().join("data"));
    cmd.args(["-c", "CREATE TABLE o(v BIGINT)", "-f"])
        .arg(&script)
        .args(["-c", "SELECT count(*) AS n FROM o"]);
    let out = run(cmd, None);
    assert_success(&out);
    assert_eq!(last_table(&stdout(&out)).rows, [["1"]]);
}

#[test]
fn ddl_prints_a_tag() {
    let (out, _dir) = run_args(&["-c", "CREATE TABLE e(v BIGINT)"], None);
    assert_success(&out);
    assert_eq!(stdout(&out).trim(), "OK");
}

#[test]
fn csv_format() {
    let (out, _dir) = run_args(
        &[
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS a, 'x,y' AS b, CAST(NULL AS DOUBLE) AS c",
        ],
        None,
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "a,b,c\n1,\"x,y\",\n");
}

#[test]
fn data_dir_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a/b/c");
    let mut cmd = udf_sql(&data);
    cmd.args(["-c", "SELECT 1"]);
    assert_success(&run(cmd, None));
    assert!(data.is_dir());
}

#[test]
fn missing_script_file_fails() {
    let (out, _dir) = run_args(&["-f", "/nonexistent/script.sql"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/script.sql"));
}

#[test]
fn example_hypexp_script_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = udf_sql(dir.path());
    cmd.arg("-f").arg(format!("{EXAMPLES_DIR}/sql/hypexp.sql"));
    let out = run(cmd, None);
    assert_success(&out);
    let table = last_table(&stdout(&out));
    assert!(!table.rows.is_empty());
}

#[test]
fn backslash_commands_in_scripts() {
    let script = "SELECT 1 AS a;\n\\timing on\nSELECT 2 AS b;\n\\q\nSELECT 3 AS c;\n";
    let (out, _dir) = run_args(&[], Some(script));
    assert_success(&out);
    let text = stdout(&out);
    let headers: Vec<Vec<String>> = tables(&text).into_iter().map(|t| t.header).collect();
    assert_eq!(headers, [["a"], ["b"]], "{text}");
    assert!(text.contains("Timing is on."), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("Time: ")).count(), 1);
}

#[test]
fn unknown_backslash_command_is_an_error() {
    let (out, _dir) = run_args(&[], Some("\\nope\nSELECT 1 AS a;\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid command \\nope"),
        "{}",
        stderr(&out)
    );
    assert_eq!(last_table(&stdout(&out)).rows, [["1"]]);
}

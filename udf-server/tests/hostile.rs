//! The hostile-input acceptance suite (issue 7).
//!
//! Every `*.case` file in `tests/hostile/` (at the repository root) is one input a broken
//! or hostile client could send, with a regex for the answer it must get; the format is in
//! `tests/hostile/README.md`. One daemon serves all cases, in file order. After each case
//! the server must still be the same process, answer a fresh connection, let users log
//! in, and return the known values from its health table and UDF through a session opened
//! before the first case. At the end the daemon is stopped and started again on the same
//! data directory and checked once more, so nothing persisted was damaged either.
//!
//! A case that kills the server is reported and the server started again (on the same data
//! directory), and a case that breaks the health check is reported and the health table and
//! UDF recreated, so that one failure does not hide the verdicts of the cases after it.
//!
//! `HOSTILE_FILTER=text` runs only the cases whose name contains `text`; run with
//! `--nocapture` to see one line per case as it finishes.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use regex::Regex;
use udf_thrift::THeavySyncClient;
use udf_thrift::client::Client;

mod common;

const ADMIN: &str = "admin";
/// A non-superuser without grants: the privilege cases' user.
const MALLORY: &str = "mallory";
const MALLORY_PASSWORD: &str = "m4ll0ry-not-a-superuser";
/// A non-superuser granted CREATE FUNCTION and SELECT on the health table (once grants
/// exist): hostile IR from an ordinary user must meet the same checks as admin's.
const TRENT: &str = "trent";
const TRENT_PASSWORD: &str = "tr3nt-granted";
/// What the baseline grants `trent`; refused statements are reported, not fatal (before
/// the users feature, nothing needs granting).
const TRENT_GRANTS: [&str; 2] = [
    "GRANT CREATE FUNCTION TO trent",
    "GRANT SELECT ON TABLE health TO trent",
];

/// The daemon's settings: a non-superuser, a message limit low enough that an oversized
/// message is quick to send (and still above the IR size limit, so huge IR reaches the
/// compiler), and a short wait for the rest of a started call.
const MAX_MESSAGE_MB: u64 = 64;
const CALL_TIMEOUT_S: u64 = 3;

const HEALTH_ROWS: i64 = 100;
const HEALTH_QUERY: &str = "SELECT count(*), sum(x), sum(good_udf(x)) FROM health";
/// `count(*)`, `sum(x)` and `sum(2x + 1)` over x = 1..=100.
const HEALTH_VALUES: [i64; 3] = [100, 5050, 10200];
const GOOD_UDF: &str = "CREATE OR REPLACE FUNCTION good_udf(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$\n\
define i64 @good_udf(i64 %x) {\n  %d = mul i64 %x, 2\n  %r = add i64 %d, 1\n  ret i64 %r\n}\n$$";

const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
const HEALTH_DEADLINE: Duration = Duration::from_secs(30);
/// How long a raw case waits for the server to answer and close after the last byte.
const RAW_WAIT: Duration = Duration::from_secs(20);

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

// --- case files ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Sql,
    RuntimeUdf,
    Raw,
    Session,
}

#[derive(Debug, Clone)]
struct Case {
    file: String,
    name: String,
    channel: Channel,
    expect: Regex,
    expect_text: String,
    /// The feature the expected answer depends on (for the report).
    feature: Option<String>,
    user: String,
    /// `runtime_udf`: `name(T, …) -> T` per function.
    udfs: Vec<String>,
    /// `runtime_udf`: the `device_ir_map` key of the body (`none`: an empty map).
    device: String,
    /// `session`: which session the call uses.
    session: String,
    /// `session`: which method is called.
    method: String,
    /// `raw`: keep the connection open (no half-close) and wait this long.
    hold_open: Option<Duration>,
    deadline: Duration,
    /// SQL run as admin after the case, errors ignored.
    cleanup: Vec<String>,
    body: String,
}

fn parse_case(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut lines = text.split('\n');
    let mut found_separator = false;
    for line in lines.by_ref() {
        let line = line.trim_end_matches('\r');
        if line == "---" {
            found_separator = true;
            break;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without `key: value`: {line}"))?;
        headers.push((key.trim().to_string(), value.trim().to_string()));
    }
    if !found_separator {
        return Err("no `---` line before the body".into());
    }
    let mut body = lines.collect::<Vec<_>>().join("\n");
    if body.ends_with('\n') {
        body.pop();
    }
    let one = |key: &str| -> Option<String> {
        headers
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let all = |key: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    const KNOWN: &[&str] = &[
        "name",
        "channel",
        "expect",
        "feature",
        "note",
        "user",
        "udf",
        "device",
        "session",
        "method",
        "hold_open",
        "deadline",
        "cleanup",
    ];
    if let Some((key, _)) = headers.iter().find(|(k, _)| !KNOWN.contains(&k.as_str())) {
        return Err(format!("unknown header `{key}`"));
    }
    let channel = match one("channel").as_deref() {
        Some("sql") => Channel::Sql,
        Some("runtime_udf") => Channel::RuntimeUdf,
        Some("raw") => Channel::Raw,
        Some("session") => Channel::Session,
        other => {
            return Err(format!(
                "channel must be sql, runtime_udf, raw or session: {other:?}"
            ));
        }
    };
    let expect_text = one("expect").ok_or("no `expect:` header")?;
    let expect =
        Regex::new(&format!("(?is){expect_text}")).map_err(|e| format!("bad expect regex: {e}"))?;
    let seconds = |key: &str| -> Result<Option<Duration>, String> {
        one(key)
            .map(|v| {
                v.parse::<u64>()
                    .map(Duration::from_secs)
                    .map_err(|_| format!("`{key}` must be whole seconds: {v}"))
            })
            .transpose()
    };
    let user = one("user").unwrap_or_else(|| ADMIN.into());
    if ![ADMIN, MALLORY, TRENT].contains(&user.as_str()) {
        return Err(format!(
            "user must be {ADMIN}, {MALLORY} or {TRENT}: {user}"
        ));
    }
    let case = Case {
        name: one("name").unwrap_or_else(|| file.trim_end_matches(".case").to_string()),
        file,
        channel,
        expect,
        expect_text,
        feature: one("feature"),
        user,
        udfs: all("udf"),
        device: one("device").unwrap_or_else(|| "cpu".into()),
        session: one("session").unwrap_or_default(),
        method: one("method").unwrap_or_else(|| "sql_execute".into()),
        hold_open: seconds("hold_open")?,
        deadline: seconds("deadline")?.unwrap_or(DEFAULT_DEADLINE),
        cleanup: all("cleanup"),
        body,
    };
    if case.channel == Channel::Session && case.session.is_empty() {
        return Err("a session case needs `session:`".into());
    }
    Ok(case)
}

fn load_cases() -> Vec<Case> {
    let dir = cases_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    let cases: Vec<Case> = paths
        .iter()
        .map(|p| parse_case(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("two cases are named `{}`", w[0]);
    }
    cases
}

// --- generators: `{{…}}` in bodies and the raw byte language --------------------------------

#[derive(Debug, Clone)]
enum Arg {
    Str(Vec<u8>),
    Int(i128),
}

impl Arg {
    fn int(&self) -> Result<i128, String> {
        match self {
            Arg::Int(n) => Ok(*n),
            Arg::Str(_) => Err("expected a number, found a string".into()),
        }
    }

    fn count(&self) -> Result<usize, String> {
        usize::try_from(self.int()?).map_err(|_| "expected a count".into())
    }

    fn text(&self) -> Result<String, String> {
        match self {
            Arg::Str(s) => String::from_utf8(s.clone()).map_err(|_| "text is not UTF-8".into()),
            Arg::Int(_) => Err("expected a string, found a number".into()),
        }
    }
}

/// Reads generator calls (`name(arg, …)`), hex byte runs and `#` comments.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || c == b',' {
                self.pos += 1;
            } else if c == b'#' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn word(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos]).expect("ASCII")
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", c as char, self.pos))
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The arguments of a call whose `(` was just read, through its `)`.
    fn args(&mut self) -> Result<Vec<Arg>, String> {
        let mut args = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(args);
                }
                Some(b',') => self.pos += 1,
                Some(b'"') => {
                    self.pos += 1;
                    args.push(Arg::Str(self.string()?));
                }
                Some(_) => args.push(Arg::Int(self.number()?)),
                None => return Err("unclosed `(`".into()),
            }
        }
    }

    fn string(&mut self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or("unclosed string")?;
            self.pos += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = self.peek().ok_or("unfinished escape")?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'0' => out.push(0),
                        b'x' => {
                            let hex = self.s.get(self.pos..self.pos + 2).ok_or("short \\x")?;
                            let hex = std::str::from_utf8(hex).map_err(|_| "bad \\x")?;
                            out.push(u8::from_str_radix(hex, 16).map_err(|_| "bad \\x")?);
                            self.pos += 2;
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    fn number(&mut self) -> Result<i128, String> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let word = self.word();
        let value = match word.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => word.parse(),
        }
        .map_err(|_| format!("bad number `{word}`"))?;
        Ok(if negative { -value } else { value })
    }
}

/// xorshift64*: the same garbage on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn garbage(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    (0..n).map(|_| (rng.next() >> 56) as u8).collect()
}

/// `n` one-line functions, then the identity `main`.
fn many_functions(n: usize, main: &str) -> String {
    let mut ir = String::with_capacity(n * 64);
    for i in 0..n {
        ir.push_str(&format!(
            "define i64 @pad{i}(i64 %x) {{\n  %y = add i64 %x, {i}\n  ret i64 %y\n}}\n"
        ));
    }
    ir.push_str(&format!(
        "define i64 @{main}(i64 %x) {{\n  ret i64 %x\n}}\n"
    ));
    ir
}

/// IR of at least `mib` MiB: padding functions, then the identity `main`.
fn ir_of_size(mib: usize, main: &str) -> String {
    let target = mib << 20;
    let mut ir = String::with_capacity(target + 4096);
    let mut i = 0usize;
    while ir.len() < target {
        ir.push_str(&format!(
            "define i64 @pad{i}(i64 %x) {{\n  %y = add i64 %x, {i}\n  ret i64 %y\n}}\n"
        ));
        i += 1;
    }
    ir.push_str(&format!(
        "define i64 @{main}(i64 %x) {{\n  ret i64 %x\n}}\n"
    ));
    ir
}

/// A small module that grows past `insts * calls` instructions once inlined: `main` calls
/// an `alwaysinline` function of `insts` instructions `calls` times.
fn inline_bomb(insts: usize, calls: usize, main: &str) -> String {
    let mut ir = String::from("define internal i64 @bomb_body(i64 %x0) alwaysinline {\n");
    for i in 0..insts {
        let op = ["add", "xor", "mul"][i % 3];
        ir.push_str(&format!("  %x{} = {op} i64 %x{i}, {}\n", i + 1, i * 7 + 3));
    }
    ir.push_str(&format!("  ret i64 %x{insts}\n}}\n"));
    ir.push_str(&format!("define i64 @{main}(i64 %a) {{\n"));
    let mut previous = "%a".to_string();
    for i in 0..calls {
        ir.push_str(&format!("  %c{i} = call i64 @bomb_body(i64 {previous})\n"));
        previous = format!("%c{i}");
    }
    ir.push_str(&format!("  ret i64 {previous}\n}}\n"));
    ir
}

/// What the `{{…}}` templates may refer to.
#[derive(Debug, Clone)]
struct Ctx {
    /// The health check's admin session, opened before the first case.
    admin_session: String,
}

/// Replaces every `{{generator(…)}}` in `text`.
fn expand(text: &str, ctx: &Ctx) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or("`{{` without `}}`")? + start;
        out.push_str(&template(rest[start + 2..end].trim(), ctx)?);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn template(expr: &str, ctx: &Ctx) -> Result<String, String> {
    let mut cur = Cursor::new(expr);
    let name = cur.word();
    let args = if cur.peek().is_some() {
        cur.expect(b'(')?;
        cur.args()?
    } else {
        Vec::new()
    };
    let arg = |i: usize| -> Result<&Arg, String> {
        args.get(i)
            .ok_or_else(|| format!("`{name}` needs argument {}", i + 1))
    };
    Ok(match name {
        "admin_session" => ctx.admin_session.clone(),
        "admin_session_prefix" => ctx.admin_session.chars().take(16).collect(),
        "admin_session_upper" => ctx.admin_session.to_uppercase(),
        "repeat" => arg(0)?.text()?.repeat(arg(1)?.count()?),
        "char" => {
            let n = u32::try_from(arg(0)?.int()?).map_err(|_| "bad char")?;
            char::from_u32(n).ok_or("not a Unicode scalar")?.to_string()
        }
        // Printable-ish ASCII without `$`, so that it stays inside a `$$` quote.
        "garbage" => garbage(arg(0)?.count()?, arg(1)?.int()? as u64)
            .into_iter()
            .map(|b| match (b % 0x7e) + 1 {
                b'$' => '#',
                c => c as char,
            })
            .collect(),
        "functions" => many_functions(arg(0)?.count()?, &arg(1)?.text()?),
        "ir_mb" => ir_of_size(arg(0)?.count()?, &arg(1)?.text()?),
        "inline_bomb" => inline_bomb(arg(0)?.count()?, arg(1)?.count()?, &arg(2)?.text()?),
        other => return Err(format!("unknown generator `{other}`")),
    })
}

/// The bytes a `raw` case's body describes.
fn raw_bytes(body: &str, ctx: &Ctx) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut cur = Cursor::new(body);
    loop {
        cur.skip_blank();
        if cur.peek().is_none() {
            return Ok(out);
        }
        let word = cur.word();
        if word.is_empty() {
            return Err(format!(
                "unexpected `{}` at byte {}",
                cur.peek().unwrap() as char,
                cur.pos
            ));
        }
        if cur.peek() != Some(b'(') {
            if !word.len().is_multiple_of(2) {
                return Err(format!("odd number of hex digits in `{word}`"));
            }
            for i in (0..word.len()).step_by(2) {
                out.push(
                    u8::from_str_radix(&word[i..i + 2], 16)
                        .map_err(|_| format!("not hex: `{word}`"))?,
                );
            }
            continue;
        }
        cur.pos += 1;
        let args = cur.args()?;
        let arg = |i: usize| -> Result<&Arg, String> {
            args.get(i)
                .ok_or_else(|| format!("`{word}` needs argument {}", i + 1))
        };
        // Numbers are written as their bit pattern: i32(0xffffffff) is -1.
        match word {
            "i8" => out.push(arg(0)?.int()? as u8),
            "i16" => out.extend((arg(0)?.int()? as u16).to_be_bytes()),
            "i32" => out.extend((arg(0)?.int()? as u32).to_be_bytes()),
            "i64" => out.extend((arg(0)?.int()? as u64).to_be_bytes()),
            "str" | "bytes" => {
                let bytes = match arg(0)? {
                    Arg::Str(s) => s.clone(),
                    Arg::Int(_) => return Err(format!("`{word}` takes a string")),
                };
                if word == "str" {
                    out.extend((bytes.len() as u32).to_be_bytes());
                }
                out.extend(bytes);
            }
            "call" => {
                let name = arg(0)?.text()?;
                out.extend([0x80, 0x01, 0x00, 0x01]);
                out.extend((name.len() as u32).to_be_bytes());
                out.extend(name.as_bytes());
                out.extend((arg(1)?.int()? as u32).to_be_bytes());
            }
            "repeat" => {
                let unit = match arg(0)? {
                    Arg::Int(b) => vec![*b as u8],
                    Arg::Str(s) => s.clone(),
                };
                let n = arg(1)?.count()?;
                out.reserve(unit.len() * n);
                for _ in 0..n {
                    out.extend_from_slice(&unit);
                }
            }
            "strings" => {
                let (n, size) = (arg(0)?.count()?, arg(1)?.count()?);
                out.reserve(n * (size + 4));
                for _ in 0..n {
                    out.extend((size as u32).to_be_bytes());
                    out.resize(out.len() + size, b'x');
                }
            }
            "garbage" => out.extend(garbage(arg(0)?.count()?, arg(1)?.int()? as u64)),
            "session" => {
                out.extend((ctx.admin_session.len() as u32).to_be_bytes());
                out.extend(ctx.admin_session.as_bytes());
            }
            other => return Err(format!("unknown generator `{other}`")),
        }
    }
}

// --- talking to the server ------------------------------------------------------------------

fn password(user: &str) -> &'static str {
    match user {
        MALLORY => MALLORY_PASSWORD,
        TRENT => TRENT_PASSWORD,
        _ => common::PASSWORD,
    }
}

fn connect(port: u16) -> Result<Client, String> {
    udf_thrift::client::connect("127.0.0.1", port, Duration::from_secs(10))
        .map_err(|e| format!("cannot connect: {e}"))
}

fn login(port: u16, user: &str) -> Result<(Client, String), String> {
    let mut c = connect(port)?;
    let session = c
        .connect(user.into(), password(user).into(), String::new())
        .map_err(|e| format!("login as {user} failed: {}", udf_thrift::error_message(&e)))?;
    Ok((c, session))
}

fn sql(c: &mut Client, session: &str, query: &str) -> Result<udf_thrift::TQueryResult, String> {
    c.sql_execute(session.into(), query.into(), true, String::new(), -1, -1)
        .map_err(|e| udf_thrift::error_message(&e))
}

/// `OK`, with the first row's values when there is one.
fn render_result(result: &udf_thrift::TQueryResult) -> String {
    let columns = result
        .row_set
        .as_ref()
        .and_then(|rs| rs.columns.as_ref())
        .cloned()
        .unwrap_or_default();
    let cells: Vec<String> = columns.iter().filter_map(first_cell).collect();
    if cells.is_empty() {
        "OK".into()
    } else {
        format!("OK: {}", cells.join(", "))
    }
}

fn first_cell(column: &udf_thrift::TColumn) -> Option<String> {
    if column.nulls.as_ref().and_then(|n| n.first()) == Some(&true) {
        return Some("NULL".into());
    }
    let data = column.data.as_ref()?;
    if let Some(v) = data.int_col.as_ref().and_then(|v| v.first()) {
        return Some(v.to_string());
    }
    if let Some(v) = data.real_col.as_ref().and_then(|v| v.first()) {
        return Some(v.0.to_string());
    }
    data.str_col.as_ref().and_then(|v| v.first()).cloned()
}

fn int_cells(result: &udf_thrift::TQueryResult) -> Vec<Option<i64>> {
    result
        .row_set
        .as_ref()
        .and_then(|rs| rs.columns.as_ref())
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    c.data
                        .as_ref()
                        .and_then(|d| d.int_col.as_ref())
                        .and_then(|v| v.first().copied())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `f` on a thread of its own and gives up waiting after `limit`: a call the server
/// never answers fails its case instead of hanging the suite (the thread stays blocked
/// until the server closes the connection).
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).map_err(|e| match e {
        mpsc::RecvTimeoutError::Timeout => format!("no answer within {} s", limit.as_secs()),
        mpsc::RecvTimeoutError::Disconnected => "the runner's thread panicked (see above)".into(),
    })
}

// --- the channels -----------------------------------------------------------------------------

/// What the client got: `OK…` or the error text, or for `raw` a description of the replies
/// and of how the connection ended.
fn run_case(case: &Case, port: u16, ctx: &Ctx) -> String {
    let outcome = match case.channel {
        Channel::Sql => run_sql(case, port, ctx),
        Channel::RuntimeUdf => run_runtime_udf(case, port, ctx),
        Channel::Session => run_session(case, port, ctx),
        Channel::Raw => run_raw(case, port, ctx),
    };
    outcome.unwrap_or_else(|e| format!("runner: {e}"))
}

/// Statements separated by `%%` lines, in one fresh session of the case's user, until the
/// first error.
fn run_sql(case: &Case, port: u16, ctx: &Ctx) -> Result<String, String> {
    let body = expand(&case.body, ctx)?;
    let (mut c, session) = login(port, &case.user)?;
    let mut outcome = "OK".to_string();
    for statement in body.split("\n%%\n") {
        match sql(&mut c, &session, statement.trim()) {
            Ok(result) => outcome = render_result(&result),
            Err(e) => {
                outcome = e;
                break;
            }
        }
    }
    let _ = c.disconnect(session);
    Ok(outcome)
}

fn ext_type(name: &str) -> Result<udf_thrift::TExtArgumentType, String> {
    let code = match name.trim() {
        "Int8" => 0,
        "Int16" => 1,
        "Int32" => 2,
        "Int64" => 3,
        "Float" => 4,
        "Double" => 5,
        "Void" => 6,
        "PInt64" => 10,
        "Bool" => 14,
        "Cursor" => 24,
        "ColumnInt64" => 30,
        "TextEncodingNone" => 34,
        other => other
            .parse()
            .map_err(|_| format!("unknown TExtArgumentType `{other}`"))?,
    };
    Ok(udf_thrift::TExtArgumentType(code))
}

/// `name(T, …) -> T`.
fn parse_udf(text: &str) -> Result<udf_thrift::TUserDefinedFunction, String> {
    let (left, ret) = text
        .rsplit_once("->")
        .ok_or_else(|| format!("udf `{text}` needs `-> type`"))?;
    let left = left.trim_end();
    let open = left
        .rfind('(')
        .ok_or_else(|| format!("udf `{text}` needs `(types)`"))?;
    let args_text = left[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("udf `{text}` needs `(types)`"))?;
    let args: Vec<udf_thrift::TExtArgumentType> = args_text
        .split(',')
        .filter(|a| !a.trim().is_empty())
        .map(ext_type)
        .collect::<Result<_, _>>()?;
    Ok(udf_thrift::TUserDefinedFunction {
        name: Some(left[..open].to_string()),
        annotations: Some(vec![BTreeMap::new(); args.len() + 1]),
        arg_types: Some(args),
        ret_type: Some(ext_type(ret)?),
    })
}

fn run_runtime_udf(case: &Case, port: u16, ctx: &Ctx) -> Result<String, String> {
    let udfs = case
        .udfs
        .iter()
        .map(|u| parse_udf(&expand(u, ctx)?))
        .collect::<Result<Vec<_>, _>>()?;
    let ir = expand(&case.body, ctx)?;
    let mut map = BTreeMap::new();
    if case.device != "none" {
        map.insert(case.device.clone(), ir);
    }
    let (mut c, session) = login(port, &case.user)?;
    let outcome = match c.register_runtime_extension_functions(session.clone(), udfs, vec![], map) {
        Ok(()) => "OK".to_string(),
        Err(e) => udf_thrift::error_message(&e),
    };
    let _ = c.disconnect(session);
    Ok(outcome)
}

fn random_hex(n: usize) -> String {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    garbage(n / 2, seed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run_session(case: &Case, port: u16, ctx: &Ctx) -> Result<String, String> {
    let (kind, detail) = case
        .session
        .split_once(':')
        .unwrap_or((case.session.as_str(), ""));
    let session = match kind {
        "forged" => random_hex(32),
        "empty" => String::new(),
        "literal" => expand(detail, ctx)?,
        "user" => login(port, detail)?.1,
        "disconnected" => {
            let (mut c, s) = login(port, detail)?;
            c.disconnect(s.clone())
                .map_err(|e| format!("disconnect: {}", udf_thrift::error_message(&e)))?;
            s
        }
        other => return Err(format!("unknown session kind `{other}`")),
    };
    let argument = expand(&case.body, ctx)?;
    let mut c = connect(port)?;
    let error = |e: udf_thrift::ThriftError| udf_thrift::error_message(&e);
    let outcome = match case.method.as_str() {
        "sql_execute" => sql(&mut c, &session, argument.trim())
            .map(|r| render_result(&r))
            .unwrap_or_else(|e| e),
        "get_tables" => c
            .get_tables(session.clone())
            .map(|t| format!("OK: {}", t.join(", ")))
            .unwrap_or_else(error),
        "get_session_info" => c
            .get_session_info(session.clone())
            .map(|i| format!("OK: user {}", i.user.unwrap_or_default()))
            .unwrap_or_else(error),
        "disconnect" => c
            .disconnect(session.clone())
            .map(|()| "OK".to_string())
            .unwrap_or_else(error),
        "udf_kill_session" => c
            .udf_kill_session(session.clone(), argument.trim().to_string())
            .map(|()| "OK".to_string())
            .unwrap_or_else(error),
        "udf_cache_clear" => c
            .udf_cache_clear(session.clone())
            .map(|_| "OK".to_string())
            .unwrap_or_else(error),
        // What a caller learns about other sessions: whose they are, and whether an id
        // that is not its own is whole (a credential).
        "udf_list_sessions" => c
            .udf_list_sessions(session.clone())
            .map(|list| {
                let users: Vec<String> = list
                    .iter()
                    .map(|s| s.user.clone().unwrap_or_default())
                    .collect();
                let leaked = list.iter().any(|s| {
                    s.id.as_deref()
                        .is_some_and(|id| id != session && id.len() >= 32)
                });
                format!(
                    "OK: {} sessions, users [{}], whole ids of other sessions: {}",
                    list.len(),
                    users.join(", "),
                    if leaked { "yes" } else { "no" }
                )
            })
            .unwrap_or_else(error),
        "register_runtime_extension_functions" => c
            .register_runtime_extension_functions(
                session.clone(),
                vec![],
                vec![],
                [("cpu".to_string(), String::new())].into_iter().collect(),
            )
            .map(|()| "OK".to_string())
            .unwrap_or_else(error),
        other => return Err(format!("unknown method `{other}`")),
    };
    if kind == "user" {
        let _ = c.disconnect(session);
    }
    Ok(outcome)
}

/// Writes the bytes, half-closes (unless `hold_open`), and describes what came back.
fn run_raw(case: &Case, port: u16, ctx: &Ctx) -> Result<String, String> {
    let bytes = raw_bytes(&case.body, ctx)?;
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("cannot connect: {e}"))?;
    let wait = case.hold_open.unwrap_or(RAW_WAIT);
    stream
        .set_write_timeout(Some(RAW_WAIT))
        .map_err(|e| e.to_string())?;
    // A server that stops reading (it refused the message) makes the write fail: that
    // is an answer too, so reading goes on.
    let written = stream.write_all(&bytes).and_then(|()| stream.flush());
    if case.hold_open.is_none() {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let deadline = Instant::now() + wait;
    let mut reply = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    let end = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break format!("still open after {} s", wait.as_secs());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break "closed".to_string(),
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break format!("still open after {} s", wait.as_secs());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break format!("reset ({e})"),
        }
    };
    let mut parts = describe_replies(&reply);
    parts.push(end);
    if let Err(e) = written {
        parts.push(format!("(sending stopped: {})", e.kind()));
    }
    Ok(parts.join("; "))
}

/// A reader of binary-protocol replies, for describing what a raw case got back.
struct Bin<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bin<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let n = usize::try_from(self.i32()?).ok()?;
        Some(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn skip(&mut self, ttype: u8, depth: u32) -> Option<()> {
        if depth > 64 {
            return None;
        }
        match ttype {
            2 | 3 => self.take(1).map(|_| ()),
            6 => self.take(2).map(|_| ()),
            8 => self.take(4).map(|_| ()),
            4 | 10 => self.take(8).map(|_| ()),
            11 => self.string().map(|_| ()),
            12 => loop {
                let t = self.take(1)?[0];
                if t == 0 {
                    return Some(());
                }
                self.take(2)?;
                self.skip(t, depth + 1)?;
            },
            13 => {
                let (k, v) = (self.take(1)?[0], self.take(1)?[0]);
                for _ in 0..self.i32()? {
                    self.skip(k, depth + 1)?;
                    self.skip(v, depth + 1)?;
                }
                Some(())
            }
            14 | 15 => {
                let t = self.take(1)?[0];
                for _ in 0..self.i32()? {
                    self.skip(t, depth + 1)?;
                }
                Some(())
            }
            _ => None,
        }
    }

    /// The struct's fields, with the value of string and i32 fields (and the message of
    /// an exception struct in field 1).
    fn fields(&mut self) -> Option<Vec<Field>> {
        let mut fields = Vec::new();
        loop {
            let t = self.take(1)?[0];
            if t == 0 {
                return Some(fields);
            }
            let id = i16::from_be_bytes(self.take(2)?.try_into().ok()?);
            let mut field = Field {
                id,
                text: None,
                int: None,
            };
            match t {
                11 => field.text = Some(self.string()?),
                8 => field.int = Some(self.i32()?),
                12 if id == 1 => {
                    field.text = self
                        .fields()?
                        .into_iter()
                        .find(|f| f.id == 1)
                        .and_then(|f| f.text);
                }
                _ => self.skip(t, 1)?,
            }
            fields.push(field);
        }
    }

    fn message(&mut self) -> Option<String> {
        let version = self.i32()? as u32;
        if version & 0xffff_0000 != 0x8001_0000 {
            return None;
        }
        let kind = version & 0xff;
        let name = self.string()?;
        let _seq = self.i32()?;
        let fields = self.fields()?;
        let field = |id: i16| fields.iter().find(|f| f.id == id);
        Some(match kind {
            2 => match (field(0), field(1)) {
                (_, Some(e)) => format!(
                    "reply {name}: TDBException: {}",
                    e.text.clone().unwrap_or_default()
                ),
                (Some(_), None) => format!("reply {name}: success"),
                (None, None) => format!("reply {name}: void"),
            },
            3 => {
                let message = field(1).and_then(|f| f.text.clone()).unwrap_or_default();
                let code = field(2).and_then(|f| f.int).unwrap_or(0);
                const KINDS: [&str; 11] = [
                    "Unknown",
                    "UnknownMethod",
                    "InvalidMessageType",
                    "WrongMethodName",
                    "BadSequenceId",
                    "MissingResult",
                    "InternalError",
                    "ProtocolError",
                    "InvalidTransform",
                    "InvalidProtocol",
                    "UnsupportedClientType",
                ];
                let kind = usize::try_from(code)
                    .ok()
                    .and_then(|c| KINDS.get(c))
                    .unwrap_or(&"?");
                format!("exception({kind}) {name}: {message}")
            }
            other => format!("message of type {other} for {name}"),
        })
    }
}

/// One field of a reply struct.
struct Field {
    id: i16,
    text: Option<String>,
    int: Option<i32>,
}

fn describe_replies(bytes: &[u8]) -> Vec<String> {
    let mut bin = Bin { b: bytes, pos: 0 };
    let mut parts = Vec::new();
    while bin.pos < bytes.len() {
        let start = bin.pos;
        match bin.message() {
            Some(text) => parts.push(text),
            None => {
                parts.push(format!("{} unparseable reply bytes", bytes.len() - start));
                break;
            }
        }
    }
    parts
}

// --- the server and its health ------------------------------------------------------------

struct Server {
    daemon: common::Daemon,
    log: common::Log,
    pid: u32,
    /// Opened before the first case (or after a restart); used by every health check.
    admin_session: String,
}

impl Server {
    fn start(data: &Path, config: &Path) -> Server {
        let (daemon, log) =
            common::Daemon::start_logged(data, &["--config", config.to_str().unwrap()]);
        let pid = daemon.child.id();
        let (_, admin_session) = login(daemon.port, ADMIN).expect("admin login");
        Server {
            daemon,
            log,
            pid,
            admin_session,
        }
    }

    fn port(&self) -> u16 {
        self.daemon.port
    }

    /// How the process ended, if it has (or does within `wait`).
    fn exited(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + wait;
        loop {
            if let Err(status) = self.daemon.alive() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then SIGKILL when it has not stopped within `grace`; says how it ended.
    fn stop(&mut self, grace: Duration) -> String {
        let pid = self.pid.to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let deadline = Instant::now() + grace;
        loop {
            if let Ok(Some(status)) = self.daemon.child.try_wait() {
                return format!("stopped on SIGTERM: {status}");
            }
            if Instant::now() > deadline {
                self.daemon.kill();
                return format!(
                    "did not stop within {} s of SIGTERM; killed",
                    grace.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The table and UDF every health check reads, created (again) by admin, and `trent`'s
/// grants. Returns the grants the server refused.
fn create_baseline(port: u16, session: &str) -> Result<Vec<String>, String> {
    let mut c = connect(port)?;
    let values: Vec<String> = (1..=HEALTH_ROWS).map(|i| format!("({i})")).collect();
    for statement in [
        "DROP TABLE IF EXISTS health".to_string(),
        "CREATE TABLE health (x BIGINT)".to_string(),
        format!("INSERT INTO health VALUES {}", values.join(", ")),
        GOOD_UDF.to_string(),
    ] {
        sql(&mut c, session, &statement).map_err(|e| format!("`{statement}`: {e}"))?;
    }
    Ok(TRENT_GRANTS
        .iter()
        .filter_map(|g| sql(&mut c, session, g).err().map(|e| format!("`{g}`: {e}")))
        .collect())
}

/// A fresh connection answers, admin and `user` can log in, and the health query through
/// the long-lived admin session returns the known values with the good UDF registered.
fn health(port: u16, admin_session: &str, user: &str) -> Result<(), String> {
    let mut c = connect(port)?;
    c.get_version()
        .map_err(|e| format!("get_version: {}", udf_thrift::error_message(&e)))?;
    for user in [ADMIN, user] {
        let (mut other, session) = login(port, user)?;
        let _ = other.disconnect(session);
    }
    let result =
        sql(&mut c, admin_session, HEALTH_QUERY).map_err(|e| format!("`{HEALTH_QUERY}`: {e}"))?;
    let got = int_cells(&result);
    if got != HEALTH_VALUES.map(Some) {
        return Err(format!(
            "`{HEALTH_QUERY}` returned {got:?}, expected {HEALTH_VALUES:?}"
        ));
    }
    let names = c
        .get_function_names(admin_session.into())
        .map_err(|e| format!("get_function_names: {}", udf_thrift::error_message(&e)))?;
    if !names.iter().any(|n| n == "good_udf") {
        return Err(format!("good_udf is not registered (functions: {names:?})"));
    }
    let tables = c
        .get_tables(admin_session.into())
        .map_err(|e| format!("get_tables: {}", udf_thrift::error_message(&e)))?;
    if !tables.iter().any(|t| t == "health") {
        return Err(format!("the health table is gone (tables: {tables:?})"));
    }
    Ok(())
}

/// [`health`], logging in as the non-superusers in turn (a login costs a password hash).
fn health_within_deadline(port: u16, admin_session: &str) -> Result<(), String> {
    static TURN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let user = [MALLORY, TRENT][TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2];
    let session = admin_session.to_string();
    with_deadline(HEALTH_DEADLINE, move || health(port, &session, user)).and_then(|r| r)
}

/// Undoes what a case's success or failure left behind, as admin; errors are ignored.
fn clean_up(case: &Case, port: u16, admin_session: &str) {
    let case = case.clone();
    let session = admin_session.to_string();
    let _ = with_deadline(DEFAULT_DEADLINE, move || {
        if let Ok(mut c) = connect(port) {
            for statement in &case.cleanup {
                let _ = sql(&mut c, &session, statement);
            }
        }
        // A runtime registration replaces its user's whole set: an empty one removes it.
        if case.channel == Channel::RuntimeUdf
            && let Ok((mut c, s)) = login(port, &case.user)
        {
            let _ = c.register_runtime_extension_functions(
                s.clone(),
                vec![],
                vec![],
                [("cpu".to_string(), String::new())].into_iter().collect(),
            );
            let _ = c.disconnect(s);
        }
    });
}

fn shorten(text: &str) -> String {
    const MAX: usize = 700;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

struct Failure {
    case: String,
    file: String,
    feature: Option<String>,
    expect: String,
    got: String,
    problems: Vec<String>,
}

#[test]
fn hostile_inputs_get_clear_errors_and_leave_the_server_healthy() {
    let cases = load_cases();
    assert!(
        cases.len() >= 45,
        "the acceptance suite needs at least 45 cases, {} has {}",
        cases_dir().display(),
        cases.len()
    );
    let filter = std::env::var("HOSTILE_FILTER").ok();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("udf-server.toml");
    std::fs::write(
        &config,
        format!(
            "max_message_mb = {MAX_MESSAGE_MB}\ncall_timeout_s = {CALL_TIMEOUT_S}\n\
             [users.admin]\npassword = \"{}\"\n\
             [users.{MALLORY}]\npassword = \"{MALLORY_PASSWORD}\"\nsuperuser = false\n\
             create_function = false\n\
             [users.{TRENT}]\npassword = \"{TRENT_PASSWORD}\"\nsuperuser = false\n",
            common::PASSWORD
        ),
    )
    .unwrap();

    let suite_started = Instant::now();
    let mut server = Server::start(&data, &config);
    let refused =
        create_baseline(server.port(), &server.admin_session).expect("create the health baseline");
    for grant in &refused {
        println!("note: the server refused a grant for {TRENT} (no users feature yet?): {grant}");
    }
    health_within_deadline(server.port(), &server.admin_session)
        .expect("healthy before the first case");

    let mut failures: Vec<Failure> = Vec::new();
    let mut ran = 0usize;
    for case in &cases {
        if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        ran += 1;
        let started = Instant::now();
        let port = server.port();
        let ctx = Ctx {
            admin_session: server.admin_session.clone(),
        };
        let outcome = {
            let case = case.clone();
            with_deadline(case.deadline, move || run_case(&case, port, &ctx))
        };
        let elapsed = started.elapsed();
        let mut problems = Vec::new();
        let got = match outcome {
            Ok(text) => {
                if !case.expect.is_match(&text) {
                    problems.push("the answer does not match".to_string());
                }
                if text.contains("internal error") || text.contains("panicked") {
                    problems.push("the server reports an internal error (a bug)".to_string());
                }
                text
            }
            Err(e) => {
                problems.push(e.clone());
                e
            }
        };
        clean_up(case, port, &server.admin_session);
        // The process that served the case must still be running and healthy. A process
        // that is dying may still refuse connections before it can be reaped: when the
        // health check fails, give it a moment to show a crash.
        let mut crashed = server.exited(Duration::ZERO);
        if crashed.is_none()
            && let Err(e) = health_within_deadline(server.port(), &server.admin_session)
        {
            crashed = server.exited(Duration::from_secs(2));
            if crashed.is_none() {
                problems.push(format!("health check failed: {e}"));
                // Start the next case from a healthy baseline again.
                match login(server.port(), ADMIN) {
                    Ok((_, session)) => server.admin_session = session,
                    Err(_) => {
                        server.stop(Duration::from_secs(10));
                        server = Server::start(&data, &config);
                    }
                }
                if let Err(e) = create_baseline(server.port(), &server.admin_session) {
                    problems.push(format!("could not recreate the health baseline: {e}"));
                }
            }
        }
        if let Some(status) = crashed {
            problems.push(format!(
                "CRASH: udf-server (pid {}) died: {status}; its last log lines:\n{}",
                server.pid,
                common::log_tail(&server.log, 30)
            ));
            // What the killed process left in the data directory must serve again.
            server = Server::start(&data, &config);
            if let Err(e) = health_within_deadline(server.port(), &server.admin_session) {
                problems.push(format!("health check after restarting it failed: {e}"));
                if let Err(e) = create_baseline(server.port(), &server.admin_session) {
                    problems.push(format!("could not recreate the health baseline: {e}"));
                }
            }
        }
        let verdict = if problems.is_empty() { "PASS" } else { "FAIL" };
        println!(
            "{:<48} {verdict} {:>9.1} ms",
            case.name,
            elapsed.as_secs_f64() * 1e3
        );
        if !problems.is_empty() {
            failures.push(Failure {
                case: case.name.clone(),
                file: case.file.clone(),
                feature: case.feature.clone(),
                expect: case.expect_text.clone(),
                got: shorten(&got),
                problems,
            });
        }
    }

    // Nothing persisted was damaged: the same data directory serves the same answers.
    let stop = server.stop(Duration::from_secs(40));
    let restart = Instant::now();
    let mut server = Server::start(&data, &config);
    let after_restart = health_within_deadline(server.port(), &server.admin_session);
    println!(
        "{:<48} {} {:>9.1} ms ({stop})",
        "restart on the same data directory",
        if after_restart.is_ok() {
            "PASS"
        } else {
            "FAIL"
        },
        restart.elapsed().as_secs_f64() * 1e3
    );
    if let Err(e) = after_restart {
        failures.push(Failure {
            case: "restart on the same data directory".into(),
            file: String::new(),
            feature: None,
            expect: "healthy".into(),
            got: e,
            problems: vec![format!(
                "health check after the restart failed; last log lines:\n{}",
                common::log_tail(&server.log, 30)
            )],
        });
    }
    server.stop(Duration::from_secs(20));
    println!(
        "{ran} cases, {} failed, {:.1} s",
        failures.len(),
        suite_started.elapsed().as_secs_f64()
    );

    if !failures.is_empty() {
        let mut report = String::new();
        for f in &failures {
            report.push_str(&format!(
                "\n✗ {} ({}{})\n  expected: /{}/\n  got:      {}\n",
                f.case,
                f.file,
                f.feature
                    .as_deref()
                    .map(|x| format!(", feature: {x}"))
                    .unwrap_or_default(),
                f.expect,
                f.got
            ));
            for p in &f.problems {
                report.push_str(&format!("  - {p}\n"));
            }
        }
        panic!("{} hostile case(s) failed:{report}", failures.len());
    }
}

//! `udf-admin`'s output: what the operator methods return, as aligned tables (the default)
//! or JSON (`--json`, for scripts). Kept apart from the binary so that golden files can
//! pin the formats.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table, presets};
use serde_json::{Value, json};
use udf_thrift::{
    TUdfCacheStats, TUdfKernelDetails, TUdfServerStatus, TUdfSessionInfo, TUdfTableInfo,
};

/// The texts `functions show` can add to a function's details.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShowTexts {
    pub ir: bool,
    pub opt_ir: bool,
    pub asm: bool,
    pub ptx: bool,
}

impl ShowTexts {
    /// The names `udf_function_details` takes.
    pub fn wire_names(&self) -> Vec<String> {
        [
            (self.ir, "ir"),
            (self.opt_ir, "opt_ir"),
            (self.asm, "asm"),
            (self.ptx, "ptx"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name.to_string())
        .collect()
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right(value: impl ToString) -> Cell {
    Cell::new(value.to_string()).set_alignment(CellAlignment::Right)
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

fn num(value: Option<i64>) -> i64 {
    value.unwrap_or(0)
}

/// `2026-11-21 09:30:05 UTC` from milliseconds since the Unix epoch.
pub fn timestamp(unix_ms: i64) -> String {
    if unix_ms <= 0 {
        return "-".into();
    }
    let t = db_glue::UtcTime::from_unix_ms(unix_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// `1.2 s`, `35 ms`, `120 µs`.
pub fn duration_ms(ms: i64) -> String {
    if ms >= 10_000 {
        format!("{:.1} s", ms as f64 / 1e3)
    } else {
        format!("{ms} ms")
    }
}

/// `1.5 GiB`, `300 KiB`, `12 B`.
pub fn bytes(n: i64) -> String {
    if n < 0 {
        return "-".into();
    }
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

fn micros(us: i64) -> String {
    format!("{:.2} ms", us as f64 / 1e3)
}

pub fn status(s: &TUdfServerStatus, json: bool) -> String {
    if json {
        return pretty(&json!({
            "version": text(&s.version),
            "started_at_ms": num(s.started_at_ms),
            "uptime_ms": num(s.uptime_ms),
            "llvm_version": text(&s.llvm_version),
            "host_triple": text(&s.host_triple),
            "host_cpu": text(&s.host_cpu),
            "devices": s.devices.clone().unwrap_or_default(),
            "sessions": s.sessions.unwrap_or(0),
            "functions": s.functions.unwrap_or(0),
            "overloads": s.overloads.unwrap_or(0),
            "tables": s.tables.unwrap_or(0),
            "table_rows": num(s.table_rows),
            "table_bytes": num(s.table_bytes),
            "memory_rss_bytes": num(s.memory_rss_bytes),
            "data_dir": text(&s.data_dir),
            "code_cache_dir": text(&s.code_cache_dir),
        }));
    }
    let devices = s.devices.clone().unwrap_or_default().join("\n");
    let rows: Vec<(&str, String)> = vec![
        ("version", text(&s.version).into()),
        ("started", timestamp(num(s.started_at_ms))),
        ("uptime", duration_ms(num(s.uptime_ms))),
        ("llvm", text(&s.llvm_version).into()),
        (
            "host",
            format!("{} ({})", text(&s.host_triple), text(&s.host_cpu)),
        ),
        ("devices", devices),
        ("sessions", s.sessions.unwrap_or(0).to_string()),
        (
            "functions",
            format!(
                "{} ({} overloads)",
                s.functions.unwrap_or(0),
                s.overloads.unwrap_or(0)
            ),
        ),
        (
            "tables",
            format!(
                "{} ({} rows, {})",
                s.tables.unwrap_or(0),
                num(s.table_rows),
                bytes(num(s.table_bytes))
            ),
        ),
        (
            "memory",
            format!("{} resident", bytes(num(s.memory_rss_bytes))),
        ),
        ("data dir", text(&s.data_dir).into()),
        ("code cache", text(&s.code_cache_dir).into()),
    ];
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    for (k, v) in rows {
        t.add_row(vec![Cell::new(k), Cell::new(v)]);
    }
    format!("{t}\n")
}

pub fn sessions(list: &[TUdfSessionInfo], json: bool) -> String {
    if json {
        return pretty(&Value::Array(
            list.iter()
                .map(|s| {
                    json!({
                        "id": text(&s.id),
                        "user": text(&s.user),
                        "database": text(&s.database),
                        "started_at_ms": num(s.started_at_ms),
                        "idle_ms": num(s.idle_ms),
                        "execution_mode": text(&s.execution_mode),
                        "current": s.current.unwrap_or(false),
                    })
                })
                .collect(),
        ));
    }
    let mut t = table(&["id", "user", "database", "started", "idle", "mode", ""]);
    for s in list {
        t.add_row(vec![
            Cell::new(text(&s.id)),
            Cell::new(text(&s.user)),
            Cell::new(text(&s.database)),
            Cell::new(timestamp(num(s.started_at_ms))),
            right(duration_ms(num(s.idle_ms))),
            Cell::new(text(&s.execution_mode)),
            Cell::new(if s.current == Some(true) {
                "(this one)"
            } else {
                ""
            }),
        ]);
    }
    format!("{t}\n({} session{})\n", list.len(), plural(list.len()))
}

pub fn tables(list: &[TUdfTableInfo], json: bool) -> String {
    if json {
        return pretty(&Value::Array(
            list.iter()
                .map(|t| {
                    json!({
                        "name": text(&t.name),
                        "columns": text(&t.columns),
                        "rows": num(t.rows),
                        "bytes": num(t.bytes),
                        "batches": t.batches.unwrap_or(0),
                    })
                })
                .collect(),
        ));
    }
    let mut t = table(&["name", "rows", "size", "batches", "columns"]);
    for info in list {
        t.add_row(vec![
            Cell::new(text(&info.name)),
            right(num(info.rows)),
            right(bytes(num(info.bytes))),
            right(info.batches.unwrap_or(0)),
            Cell::new(text(&info.columns)),
        ]);
    }
    format!("{t}\n({} table{})\n", list.len(), plural(list.len()))
}

pub fn devices(s: &TUdfServerStatus, json: bool) -> String {
    let devices = s.devices.clone().unwrap_or_default();
    if json {
        return pretty(&json!(devices));
    }
    let mut out = String::new();
    for d in devices {
        let _ = writeln!(out, "{d}");
    }
    out
}

pub fn cache(s: &TUdfCacheStats, json: bool) -> String {
    let fields: Vec<(&str, i64)> = vec![
        ("compiles", num(s.compiles)),
        ("ptx_compiles", num(s.ptx_compiles)),
        ("memory_hits", num(s.memory_hits)),
        ("disk_hits", num(s.disk_hits)),
        ("disk_misses", num(s.disk_misses)),
        ("disk_rejected_foreign", num(s.disk_rejected_foreign)),
        ("disk_corrupt", num(s.disk_corrupt)),
        ("disk_writes", num(s.disk_writes)),
        ("disk_entries", num(s.disk_entries)),
        ("disk_bytes", num(s.disk_bytes)),
        ("memory_entries", num(s.memory_entries)),
    ];
    if json {
        let mut map = serde_json::Map::new();
        map.insert("cache_dir".into(), json!(text(&s.cache_dir)));
        for (k, v) in fields {
            map.insert(k.into(), json!(v));
        }
        return pretty(&Value::Object(map));
    }
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    let dir = text(&s.cache_dir);
    t.add_row(vec![
        Cell::new("directory"),
        Cell::new(if dir.is_empty() { "(memory only)" } else { dir }),
    ]);
    for (k, v) in fields {
        let shown = if k == "disk_bytes" {
            bytes(v)
        } else {
            v.to_string()
        };
        t.add_row(vec![Cell::new(k.replace('_', " ")), Cell::new(shown)]);
    }
    format!("{t}\n")
}

fn vectorised(d: &TUdfKernelDetails) -> String {
    match (d.vector_width.unwrap_or(0), d.interleave.unwrap_or(0)) {
        (0, _) => "no".into(),
        (w, i) if i > 1 => format!("{w} lanes × {i}"),
        (w, _) => format!("{w} lanes"),
    }
}

/// Phases in compile order, then any the server adds later.
fn phases(d: &TUdfKernelDetails) -> Vec<(String, i64)> {
    const ORDER: [&str; 6] = ["parse", "verify", "generate", "optimise", "codegen", "link"];
    let map: BTreeMap<String, i64> = d.phase_us.clone().unwrap_or_default().into_iter().collect();
    let mut out: Vec<(String, i64)> = ORDER
        .iter()
        .filter_map(|p| map.get(*p).map(|us| (p.to_string(), *us)))
        .collect();
    out.extend(
        map.iter()
            .filter(|(k, _)| !ORDER.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), *v)),
    );
    out
}

/// `functions` without a name: one row per overload and target.
pub fn function_list(list: &[TUdfKernelDetails], json: bool) -> String {
    if json {
        return pretty(&Value::Array(list.iter().map(details_json).collect()));
    }
    let mut t = table(&[
        "name",
        "signature",
        "target",
        "origin",
        "owner",
        "instrs",
        "vector",
        "compile",
        "code",
        "runs",
        "rows",
    ]);
    for d in list {
        let compile_us: i64 = phases(d).iter().map(|(_, us)| us).sum();
        t.add_row(vec![
            Cell::new(text(&d.name)),
            Cell::new(text(&d.signature)),
            Cell::new(text(&d.target)),
            Cell::new(text(&d.origin)),
            Cell::new(text(&d.owner)),
            right(num(d.instructions)),
            Cell::new(vectorised(d)),
            right(micros(compile_us)),
            Cell::new(text(&d.code_source)),
            right(num(d.invocations)),
            right(num(d.rows)),
        ]);
    }
    format!(
        "{t}\n({} overload{} × target)\n",
        list.len(),
        plural(list.len())
    )
}

/// `functions show NAME`: each overload and target in full, with the texts asked for.
pub fn function_show(list: &[TUdfKernelDetails], json: bool) -> String {
    if json {
        return pretty(&Value::Array(list.iter().map(details_json).collect()));
    }
    let mut out = String::new();
    for (i, d) in list.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} {}  [{}: {}]",
            text(&d.name),
            text(&d.signature),
            text(&d.target),
            text(&d.target_name)
        );
        let phase_text = phases(d)
            .iter()
            .map(|(p, us)| format!("{p} {}", micros(*us)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows: Vec<(&str, String)> = vec![
            ("symbol", text(&d.symbol).into()),
            ("origin", text(&d.origin).into()),
            ("owner", text(&d.owner).into()),
            ("created", timestamp(num(d.created_at_ms))),
            ("instructions", num(d.instructions).to_string()),
            ("basic blocks", num(d.basic_blocks).to_string()),
            ("vectorised", vectorised(d)),
            ("compile", phase_text),
            ("code from", text(&d.code_source).into()),
            ("cache hits", num(d.cache_hits).to_string()),
            (
                "ran",
                format!("{} batches, {} rows", num(d.invocations), num(d.rows)),
            ),
        ];
        if !text(&d.note).is_empty() {
            rows.push(("note", text(&d.note).into()));
        }
        for (k, v) in rows {
            let _ = writeln!(out, "  {k:<13} {v}");
        }
        for (title, body) in [
            ("IR as received", &d.ir),
            ("optimised kernel IR", &d.optimized_ir),
            ("assembly", &d.assembly),
            ("PTX", &d.ptx),
        ] {
            let body = text(body);
            if !body.is_empty() {
                let _ = writeln!(out, "  --- {title} ---");
                out.push_str(body);
                if !body.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    if list.is_empty() {
        out.push_str("(no such function)\n");
    }
    out
}

fn details_json(d: &TUdfKernelDetails) -> Value {
    let mut v = json!({
        "name": text(&d.name),
        "signature": text(&d.signature),
        "symbol": text(&d.symbol),
        "target": text(&d.target),
        "target_name": text(&d.target_name),
        "origin": text(&d.origin),
        "owner": text(&d.owner),
        "created_at_ms": num(d.created_at_ms),
        "instructions": num(d.instructions),
        "basic_blocks": num(d.basic_blocks),
        "vector_width": d.vector_width.unwrap_or(0),
        "interleave": d.interleave.unwrap_or(0),
        "phase_us": phases(d).into_iter().collect::<BTreeMap<_, _>>(),
        "code_source": text(&d.code_source),
        "cache_hits": num(d.cache_hits),
        "invocations": num(d.invocations),
        "rows": num(d.rows),
        "note": text(&d.note),
    });
    for (key, body) in [
        ("ir", &d.ir),
        ("optimized_ir", &d.optimized_ir),
        ("assembly", &d.assembly),
        ("ptx", &d.ptx),
    ] {
        if !text(body).is_empty() {
            v[key] = json!(text(body));
        }
    }
    v
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("\"{e}\""));
    s.push('\n');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(timestamp(0), "-");
        assert_eq!(timestamp(86_400_000), "1970-01-02 00:00:00 UTC");
        assert_eq!(timestamp(1_795_000_000_000), "2026-11-18 11:06:40 UTC");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(duration_ms(35), "35 ms");
        assert_eq!(duration_ms(12_345), "12.3 s");
    }
}

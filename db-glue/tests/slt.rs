//! Runs every `tests/slt/*.slt` file against a fresh [`Engine`] each: once in memory, once
//! with a data directory (tables and functions then go through the store: the same SQL
//! must behave the same).
//!
//! `cargo test -p db-glue --test slt [-- SUBSTRING...]` runs the files whose name contains
//! one of the substrings. `UDF_SLT_COMPLETE=1` rewrites the expected output of the selected
//! files with what the engine produces; review the diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use db_glue::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use db_glue::arrow::datatypes::{DataType, Float16Type, Float32Type, Float64Type};
use db_glue::arrow::util::display::{ArrayFormatter, FormatOptions};
use db_glue::{Engine, EngineConfig};
use sqllogictest::{DBOutput, DefaultColumnType};

struct SltEngine {
    engine: Engine,
    /// The data directory of a durable run, removed with the engine.
    _data: Option<tempfile::TempDir>,
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for SltEngine {
    type Error = db_glue::Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, db_glue::Error> {
        let mut results = self.engine.execute(sql).await?;
        let Some(last) = results.pop() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        if last.schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = last
            .schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let mut rows = Vec::new();
        for batch in &last.batches {
            append_rows(batch, &mut rows)?;
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "udf-server"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

fn column_type(ty: &DataType) -> DefaultColumnType {
    match ty {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DefaultColumnType::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => DefaultColumnType::FloatingPoint,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
            DefaultColumnType::Text
        }
        _ => DefaultColumnType::Any,
    }
}

/// Values as DataFusion's own sqllogictest prints them: `NULL`, `true`/`false`, floats
/// rounded to 12 decimals without trailing zeros, `(empty)` for an empty string.
fn append_rows(batch: &RecordBatch, rows: &mut Vec<Vec<String>>) -> Result<(), db_glue::Error> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| db_glue::Error::Internal(e.to_string()))?;
    for row in 0..batch.num_rows() {
        rows.push(
            batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(column, formatter)| cell(column, row, || formatter.value(row).to_string()))
                .collect(),
        );
    }
    Ok(())
}

fn cell(column: &ArrayRef, row: usize, display: impl FnOnce() -> String) -> String {
    if column.is_null(row) {
        return "NULL".into();
    }
    match column.data_type() {
        DataType::Float16 => float(f64::from(column.as_primitive::<Float16Type>().value(row))),
        DataType::Float32 => {
            // Through the shortest decimal, so that 0.1f32 prints as 0.1.
            let v = column.as_primitive::<Float32Type>().value(row);
            float(v.to_string().parse().unwrap_or(f64::NAN))
        }
        DataType::Float64 => float(column.as_primitive::<Float64Type>().value(row)),
        _ => {
            let text = display();
            if text.is_empty() {
                "(empty)".into()
            } else {
                text
            }
        }
    }
}

fn float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let text = format!("{v:.12}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn slt_files(filters: &[String]) -> std::io::Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "slt"));
    files.retain(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
    });
    files.sort();
    Ok(files)
}

/// Command-line arguments that select files: everything but libtest-style flags (cargo
/// passes those to every test binary).
fn filters() -> Vec<String> {
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if matches!(
            arg.as_str(),
            "--test-threads" | "--format" | "--skip" | "--color"
        ) {
            args.next();
        } else if !arg.starts_with('-') {
            filters.push(arg);
        }
    }
    filters
}

async fn run_file(path: &Path, complete: bool, durable: bool) -> Result<(), String> {
    let mut runner = sqllogictest::Runner::new(|| async move {
        let data = if durable {
            Some(tempfile::tempdir().map_err(|e| db_glue::Error::Internal(e.to_string()))?)
        } else {
            None
        };
        Ok(SltEngine {
            engine: Engine::new(EngineConfig {
                data_dir: data.as_ref().map(|d| d.path().to_path_buf()),
                ..EngineConfig::default()
            })?,
            _data: data,
        })
    });
    if complete {
        runner
            .update_test_file(
                path,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::default_column_validator,
            )
            .await
            .map_err(|e| e.to_string())
    } else {
        runner
            .run_file_async(path)
            .await
            .map_err(|e| e.display(false).to_string())
    }
}

fn main() -> ExitCode {
    // Paths in .slt files (tests/data/...) are relative to the crate.
    if let Err(e) = std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")) {
        eprintln!("cannot enter the crate directory: {e}");
        return ExitCode::FAILURE;
    }
    let complete = std::env::var("UDF_SLT_COMPLETE").is_ok_and(|v| v == "1");
    let files = match slt_files(&filters()) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("cannot list tests/slt: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let modes: &[bool] = if complete { &[false] } else { &[false, true] };
        for &durable in modes {
            let mode = if durable { " (data directory)" } else { "" };
            match runtime.block_on(run_file(path, complete, durable)) {
                Ok(()) => {
                    passed += 1;
                    println!("{} {name}{mode}", if complete { "completed" } else { "ok" });
                }
                Err(e) => {
                    failed += 1;
                    println!("FAILED {name}{mode}\n{e}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

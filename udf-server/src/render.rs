//! Turns query results into text: psql-style aligned tables, or CSV for scripts.
//!
//! Values are formatted by Arrow's display code, which prints floats in the shortest form
//! that parses back to the same bits: what is printed is exactly what was computed.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};
use db_glue::arrow::array::Array;
use db_glue::arrow::datatypes::Schema;
use db_glue::arrow::error::ArrowError;
use db_glue::arrow::record_batch::RecordBatch;
use db_glue::arrow::util::display::{ArrayFormatter, FormatOptions};

/// How result sets are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// psql's default: padded columns, a header rule and a `(N rows)` footer.
    #[default]
    Aligned,
    /// RFC 4180 CSV with a header line, NULL as an empty field.
    Csv,
}

/// Renders one statement's result. A result without columns (DDL) is printed as a
/// one-line tag, as psql prints `CREATE TABLE`: the engine's message when it has one
/// (`created function f(int64)`), else `OK`.
pub fn write_result(
    out: &mut dyn Write,
    format: OutputFormat,
    null: &str,
    schema: &Schema,
    batches: &[RecordBatch],
    message: Option<&str>,
) -> io::Result<()> {
    if schema.fields().is_empty() {
        return writeln!(out, "{}", message.unwrap_or("OK"));
    }
    match format {
        OutputFormat::Aligned => write_aligned(out, null, schema, batches),
        OutputFormat::Csv => write_csv(out, schema, batches),
    }
}

fn write_aligned(
    out: &mut dyn Write,
    null: &str,
    schema: &Schema,
    batches: &[RecordBatch],
) -> io::Result<()> {
    let mut table = Table::new();
    // psql's look: no outer border, `|` between columns, `-+-` under the header.
    table.load_preset("     -+ |          ");
    table.set_header(
        schema
            .fields()
            .iter()
            .map(|f| Cell::new(f.name()).set_alignment(CellAlignment::Center)),
    );
    let options = FormatOptions::new().with_null(null);
    let mut rows = 0usize;
    for batch in batches {
        let formatters = formatters(batch, &options).map_err(io::Error::other)?;
        for row in 0..batch.num_rows() {
            let cells = formatters
                .iter()
                .map(|f| f.value(row).try_to_string())
                .collect::<Result<Vec<_>, _>>()
                .map_err(io::Error::other)?;
            table.add_row(cells);
        }
        rows += batch.num_rows();
    }
    for (i, field) in schema.fields().iter().enumerate() {
        if field.data_type().is_numeric()
            && let Some(column) = table.column_mut(i)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    let noun = if rows == 1 { "row" } else { "rows" };
    writeln!(out, "({rows} {noun})")?;
    writeln!(out)
}

fn write_csv(out: &mut dyn Write, schema: &Schema, batches: &[RecordBatch]) -> io::Result<()> {
    let header: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| csv_field(f.name()))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    let options = FormatOptions::new().with_null("");
    for batch in batches {
        let formatters = formatters(batch, &options).map_err(io::Error::other)?;
        for row in 0..batch.num_rows() {
            let mut line = String::new();
            for (i, f) in formatters.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let value = f.value(row).try_to_string().map_err(io::Error::other)?;
                line.push_str(&csv_field(&value));
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn formatters<'a>(
    batch: &'a RecordBatch,
    options: &FormatOptions<'a>,
) -> Result<Vec<ArrayFormatter<'a>>, ArrowError> {
    batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref() as &dyn Array, options))
        .collect()
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use db_glue::arrow::array::{Float64Array, Int64Array, StringArray};
    use db_glue::arrow::datatypes::{DataType, Field};

    use super::*;

    fn sample() -> (Arc<Schema>, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("value", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(20), None])),
                Arc::new(StringArray::from(vec![Some("a"), None, Some("x,\"y\"")])),
                Arc::new(Float64Array::from(vec![
                    Some(0.1 + 0.2),
                    Some(-1.5e-300),
                    Some(2.0),
                ])),
            ],
        )
        .unwrap();
        (schema, batch)
    }

    fn render(format: OutputFormat, schema: &Schema, batches: &[RecordBatch]) -> String {
        let mut out = Vec::new();
        write_result(&mut out, format, "NULL", schema, batches, None).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn aligned_looks_like_psql() {
        let (schema, batch) = sample();
        let text = render(OutputFormat::Aligned, &schema, &[batch]);
        let expected = [
            "  id  |  name |        value",
            "------+-------+---------------------",
            "    1 | a     | 0.30000000000000004",
            "   20 | NULL  |           -1.5e-300",
            " NULL | x,\"y\" |                 2.0",
            "(3 rows)",
            "",
            "",
        ]
        .join("\n");
        assert_eq!(text, expected, "got:\n{text}");
    }

    #[test]
    fn aligned_empty_and_single_row_footers() {
        let (schema, batch) = sample();
        assert!(render(OutputFormat::Aligned, &schema, &[]).ends_with("(0 rows)\n\n"));
        let one = batch.slice(0, 1);
        assert!(render(OutputFormat::Aligned, &schema, &[one]).ends_with("(1 row)\n\n"));
    }

    #[test]
    fn csv_quotes_when_needed() {
        let (schema, batch) = sample();
        let text = render(OutputFormat::Csv, &schema, &[batch]);
        assert_eq!(
            text,
            "id,name,value\n1,a,0.30000000000000004\n20,,-1.5e-300\n,\"x,\"\"y\"\"\",2.0\n"
        );
    }

    #[test]
    fn no_columns_prints_a_tag() {
        let schema = Schema::empty();
        assert_eq!(render(OutputFormat::Aligned, &schema, &[]), "OK\n");
        let mut out = Vec::new();
        write_result(
            &mut out,
            OutputFormat::Csv,
            "",
            &schema,
            &[],
            Some("did it"),
        )
        .unwrap();
        assert_eq!(out, b"did it\n");
    }
}

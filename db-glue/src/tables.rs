//! Tables created and filled through the API rather than SQL (HeavyDB clients load data
//! through Thrift): their schemas, and turning incoming batches into rows of a table.
//!
//! Incoming columns are matched by position and converted to the table's types only where
//! the conversion keeps the value or fails loudly: integers narrow with an overflow check,
//! strings change representation (`Utf8` → `Utf8View`), timestamps change unit. Conversions
//! that reinterpret a value are refused rather than guessed: an integer is not taken as an
//! epoch count for a DATE, TIME or TIMESTAMP column (units differ between clients; the
//! caller converts), a float is not truncated into an integer, text is not parsed.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::util::display::FormatOptions;

use crate::error::{Error, Result};

/// Field metadata key under which a TEXT column's HeavyDB encoding is kept, for a server
/// that reports it back: `NONE`, or absent for HeavyDB's default (a dictionary). The
/// engine keeps the field metadata of tables made by [`crate::Engine::create_table`] and
/// does nothing else with it; SQL `CREATE TABLE` drops encodings and records none.
pub const TEXT_ENCODING_KEY: &str = "heavydb.text_encoding";

/// `schema` as `CREATE TABLE` would make it: column names lowercase (unquoted SQL
/// identifiers are, so `SELECT MyCol` finds a column created as `MyCol`), and distinct.
pub(crate) fn table_schema(table: &str, schema: &Schema) -> Result<SchemaRef> {
    if schema.fields().is_empty() {
        return Err(Error::InvalidTable(format!("`{table}` has no columns")));
    }
    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name().trim().to_lowercase();
        if name.is_empty() {
            return Err(Error::InvalidTable(format!(
                "`{table}` has a column without a name"
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(Error::InvalidTable(format!(
                "`{table}` has two columns named `{name}`"
            )));
        }
        fields.push(field.as_ref().clone().with_name(name));
    }
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

/// `batch` as rows of a table with `schema`: columns by position, each converted to the
/// table's type (see the module documentation), NULLs refused in NOT NULL columns.
pub(crate) fn conform(table: &str, schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    if batch.num_columns() != schema.fields().len() {
        return Err(Error::Load {
            table: table.to_string(),
            message: format!(
                "the table has {} columns, the rows have {}",
                schema.fields().len(),
                batch.num_columns()
            ),
        });
    }
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            let load_error = |message: String| Error::Load {
                table: table.to_string(),
                message: format!("column `{}`: {message}", field.name()),
            };
            let column: ArrayRef = if column.data_type() == field.data_type() {
                Arc::clone(column)
            } else if convertible(column.data_type(), field.data_type()) {
                cast_with_options(column, field.data_type(), &options)
                    .map_err(|e| load_error(e.to_string()))?
            } else {
                return Err(load_error(format!(
                    "cannot store {} values in a {} column",
                    column.data_type(),
                    field.data_type()
                )));
            };
            if !field.is_nullable() && column.logical_null_count() > 0 {
                return Err(Error::NullForColumn {
                    column: field.name().clone(),
                });
            }
            Ok(column)
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .map_err(|e| Error::Load {
        table: table.to_string(),
        message: e.to_string(),
    })
}

/// Whether values of `from` go into a column of `to` without reinterpretation (checked
/// narrowing included: it fails on values out of range).
fn convertible(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let integer = |t: &DataType| t.is_integer();
    let float = |t: &DataType| t.is_floating();
    let decimal = |t: &DataType| {
        matches!(
            t,
            Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..)
        )
    };
    let text = |t: &DataType| matches!(t, Utf8 | LargeUtf8 | Utf8View);
    match (from, to) {
        _ if from == to => true,
        // An all-NULL column of unknown type.
        (Null, _) => true,
        // pandas categoricals arrive dictionary-encoded.
        (Dictionary(_, values), _) => convertible(values, to),
        _ if integer(from) => integer(to) || float(to) || decimal(to),
        _ if float(from) => float(to) || decimal(to),
        _ if decimal(from) => decimal(to) || float(to),
        _ if text(from) => text(to),
        (Date32 | Date64, Date32 | Date64) => true,
        (Time32(_) | Time64(_), Time32(_) | Time64(_)) => true,
        (Timestamp(_, a), Timestamp(_, b)) => a == b,
        (List(a) | LargeList(a), List(b) | LargeList(b)) => {
            convertible(a.data_type(), b.data_type())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        Array, AsArray, DictionaryArray, Int32Array, Int64Array, NullArray, StringArray,
    };
    use datafusion::arrow::datatypes::{Field, Int8Type, Int32Type, TimeUnit};

    use super::*;

    fn schema(fields: Vec<Field>) -> SchemaRef {
        Arc::new(Schema::new(fields))
    }

    fn batch(columns: Vec<ArrayRef>) -> RecordBatch {
        RecordBatch::try_from_iter(
            columns
                .into_iter()
                .enumerate()
                .map(|(i, c)| (format!("c{i}"), c)),
        )
        .unwrap()
    }

    #[test]
    fn converts_losslessly_or_fails() {
        let table = schema(vec![
            Field::new("i", DataType::Int32, false),
            Field::new("s", DataType::Utf8View, true),
        ]);
        let rows = batch(vec![
            Arc::new(Int64Array::from(vec![1, -2])),
            Arc::new(StringArray::from(vec![Some("a"), None])),
        ]);
        let out = conform("t", &table, &rows).unwrap();
        assert_eq!(out.schema(), table);
        assert_eq!(out.column(0).as_primitive::<Int32Type>().value(1), -2);
        assert!(out.column(1).is_null(1));

        let big = batch(vec![
            Arc::new(Int64Array::from(vec![1i64 << 40])),
            Arc::new(StringArray::from(vec!["a"])),
        ]);
        let e = conform("t", &table, &big).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot load into table `t`: column `i`: "),
            "{e}"
        );

        let null = batch(vec![
            Arc::new(Int32Array::from(vec![Some(1), None])),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ]);
        assert_eq!(
            conform("t", &table, &null).unwrap_err().to_string(),
            "NULL for column i"
        );
        let all_null = batch(vec![
            Arc::new(NullArray::new(1)),
            Arc::new(StringArray::from(vec!["a"])),
        ]);
        assert_eq!(
            conform("t", &table, &all_null).unwrap_err().to_string(),
            "NULL for column i"
        );

        let short = batch(vec![Arc::new(Int32Array::from(vec![1]))]);
        assert_eq!(
            conform("t", &table, &short).unwrap_err().to_string(),
            "cannot load into table `t`: the table has 2 columns, the rows have 1"
        );
    }

    #[test]
    fn refuses_reinterpretation() {
        use DataType::*;
        let ts = Timestamp(TimeUnit::Nanosecond, None);
        assert!(!convertible(&Int64, &ts));
        assert!(!convertible(&Int32, &Date32));
        assert!(!convertible(&Float64, &Int64));
        assert!(!convertible(&Utf8, &Int32));
        assert!(!convertible(&Int32, &Utf8View));
        assert!(convertible(&Timestamp(TimeUnit::Microsecond, None), &ts));
        assert!(convertible(&Float64, &Float32));
        assert!(convertible(&Int64, &Decimal128(10, 2)));
        let dict: DictionaryArray<Int8Type> = vec!["a", "b", "a"].into_iter().collect();
        assert!(convertible(dict.data_type(), &Utf8View));
    }

    #[test]
    fn lowercases_and_checks_column_names() {
        let s = table_schema(
            "t",
            &Schema::new(vec![Field::new("MyCol", DataType::Int32, false)]),
        )
        .unwrap();
        assert_eq!(s.field(0).name(), "mycol");
        assert!(!s.field(0).is_nullable());
        let e = table_schema(
            "t",
            &Schema::new(vec![
                Field::new("a", DataType::Int32, true),
                Field::new("A", DataType::Int32, true),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid table definition: `t` has two columns named `a`"
        );
    }
}

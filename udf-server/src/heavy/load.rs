//! Loading data: HeavyDB's wire forms (columnar `TColumn`s, string rows, Arrow IPC
//! streams) → Arrow record batches shaped like the target table, and `TRowDescriptor`
//! → a table schema.
//!
//! Conventions follow the C++ server (shared/protocols/heavydb-thrift.md §2, §9):
//! `nulls[i]` is authoritative and the data slot of a NULL holds a placeholder; DECIMAL
//! arrives as the scaled integer; DATE as seconds since the epoch, TIME as seconds since
//! midnight, TIMESTAMP in the column's own unit; absent lists are empty.

use std::io::Cursor;
use std::sync::Arc;

use db_glue::arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, ListArray,
    RecordBatch, StringArray, new_null_array,
};
use db_glue::arrow::buffer::OffsetBuffer;
use db_glue::arrow::compute::{CastOptions, cast_with_options, concat};
use db_glue::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use db_glue::arrow::ipc::reader::StreamReader;
use udf_thrift::{TColumn, TColumnType, TDatumType, TStringRow};

use crate::error::{Error, Result};

/// Casts that fail on overflow or unparsable text instead of producing NULL.
fn strict() -> CastOptions<'static> {
    CastOptions {
        safe: false,
        ..CastOptions::default()
    }
}

fn cast_strict(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    cast_with_options(array, to, &strict()).map_err(|e| Error::Conversion(e.to_string()))
}

/// The Arrow type a HeavyDB column type is stored as (what `CREATE TABLE` with the same
/// SQL type produces).
pub fn arrow_type(column: &TColumnType, text_type: &DataType) -> Result<DataType> {
    let info = column.col_type.clone().unwrap_or_default();
    let datum = info.type_.unwrap_or_default();
    let element = match datum {
        TDatumType::BOOL => DataType::Boolean,
        TDatumType::TINYINT => DataType::Int8,
        TDatumType::SMALLINT => DataType::Int16,
        TDatumType::INT => DataType::Int32,
        TDatumType::BIGINT => DataType::Int64,
        TDatumType::FLOAT => DataType::Float32,
        TDatumType::DOUBLE => DataType::Float64,
        TDatumType::DECIMAL => {
            let (p, s) = match (info.precision.unwrap_or(0), info.scale.unwrap_or(0)) {
                // HeavyDB's default when a client sends neither.
                (0, 0) => (14, 7),
                (p, s) => (p, s),
            };
            let precision = u8::try_from(p)
                .ok()
                .filter(|p| (1..=38).contains(p))
                .ok_or_else(|| Error::UnsupportedColumnType(format!("DECIMAL({p},{s})")))?;
            let scale = i8::try_from(s)
                .ok()
                .filter(|s| *s >= 0 && (*s as u8) <= precision)
                .ok_or_else(|| Error::UnsupportedColumnType(format!("DECIMAL({p},{s})")))?;
            DataType::Decimal128(precision, scale)
        }
        TDatumType::STR => text_type.clone(),
        TDatumType::TIME => DataType::Time64(TimeUnit::Nanosecond),
        TDatumType::DATE => DataType::Date32,
        TDatumType::TIMESTAMP => DataType::Timestamp(
            match info.precision.unwrap_or(0) {
                0 => TimeUnit::Second,
                3 => TimeUnit::Millisecond,
                6 => TimeUnit::Microsecond,
                9 => TimeUnit::Nanosecond,
                p => return Err(Error::UnsupportedColumnType(format!("TIMESTAMP({p})"))),
            },
            None,
        ),
        other => {
            let name = udf_thrift::ENUM_MEMBERS
                .iter()
                .find(|(e, _)| *e == "TDatumType")
                .and_then(|(_, m)| m.iter().find(|(_, v)| *v == other.0))
                .map_or_else(|| format!("TDatumType {}", other.0), |(n, _)| n.to_string());
            return Err(Error::UnsupportedColumnType(name));
        }
    };
    Ok(if info.is_array.unwrap_or(false) {
        DataType::new_list(element, true)
    } else {
        element
    })
}

/// A table schema from a row descriptor. `nullable` is ignored, as HeavyDB does.
pub fn schema_of(row_desc: &[TColumnType], text_type: &DataType) -> Result<SchemaRef> {
    if row_desc.is_empty() {
        return Err(Error::InvalidArgument(
            "a table needs at least one column".into(),
        ));
    }
    let fields = row_desc
        .iter()
        .map(|c| {
            let name = c.col_name.clone().unwrap_or_default();
            if name.is_empty() {
                return Err(Error::InvalidArgument("a column has no name".into()));
            }
            let t = arrow_type(c, text_type).map_err(|e| e.for_column(&name))?;
            let field = Field::new(name, t, true);
            let info = c.col_type.clone().unwrap_or_default();
            let none_encoded = info.type_ == Some(TDatumType::STR)
                && info.encoding == Some(udf_thrift::TEncodingType::NONE);
            Ok(if none_encoded {
                field.with_metadata(
                    [(db_glue::TEXT_ENCODING_KEY.to_string(), "NONE".to_string())].into(),
                )
            } else {
                field
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

/// Which table column each incoming column fills: by position, or by the names given.
fn positions(schema: &Schema, names: &[String], incoming: usize) -> Result<Vec<usize>> {
    if names.is_empty() {
        if incoming != schema.fields().len() {
            return Err(Error::InvalidArgument(format!(
                "the table has {} columns, the load sent {incoming}",
                schema.fields().len()
            )));
        }
        return Ok((0..incoming).collect());
    }
    if names.len() != incoming {
        return Err(Error::InvalidArgument(format!(
            "{} column names for {incoming} columns",
            names.len()
        )));
    }
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let index = schema
                .fields()
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("the table has no column `{name}`"))
                })?;
            if names[..i].iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(Error::InvalidArgument(format!(
                    "column `{name}` listed twice"
                )));
            }
            Ok(index)
        })
        .collect()
}

/// Puts loaded columns in table order; unlisted columns are NULL.
fn assemble(
    schema: &SchemaRef,
    placed: Vec<(usize, ArrayRef)>,
    rows: usize,
) -> Result<RecordBatch> {
    let mut columns: Vec<Option<ArrayRef>> = vec![None; schema.fields().len()];
    for (index, array) in placed {
        columns[index] = Some(array);
    }
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| c.unwrap_or_else(|| new_null_array(f.data_type(), rows)))
        .collect();
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| Error::Conversion(e.to_string()))
}

/// `load_table_binary_columnar`.
pub fn columnar(schema: &SchemaRef, cols: &[TColumn], names: &[String]) -> Result<RecordBatch> {
    let targets = positions(schema, names, cols.len())?;
    let mut rows = None;
    let mut placed = Vec::with_capacity(cols.len());
    for (col, index) in cols.iter().zip(targets) {
        let field = schema.field(index);
        let array = column_array(col, field.data_type()).map_err(|e| e.for_column(field.name()))?;
        match rows {
            None => rows = Some(array.len()),
            Some(n) if n != array.len() => {
                return Err(Error::InvalidArgument(format!(
                    "column `{}` has {} rows, the first column {n}",
                    field.name(),
                    array.len()
                )));
            }
            Some(_) => {}
        }
        placed.push((index, array));
    }
    assemble(schema, placed, rows.unwrap_or(0))
}

fn validity(col: &TColumn, len: usize) -> Result<Vec<bool>> {
    match col.nulls.as_deref() {
        None | Some([]) => Ok(vec![true; len]),
        Some(nulls) if nulls.len() == len => Ok(nulls.iter().map(|n| !n).collect()),
        Some(nulls) => Err(Error::InvalidArgument(format!(
            "{} null flags for {len} values",
            nulls.len()
        ))),
    }
}

/// One column's values as an array of `target` type.
fn column_array(col: &TColumn, target: &DataType) -> Result<ArrayRef> {
    let data = col.data.clone().unwrap_or_default();
    let ints = data.int_col.unwrap_or_default();
    let reals: Vec<f64> = data
        .real_col
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.0)
        .collect();
    let strs = data.str_col.unwrap_or_default();
    let arrs = data.arr_col.unwrap_or_default();
    let int_array = |scale: i64| -> Result<Int64Array> {
        let valid = validity(col, ints.len())?;
        Ok(ints
            .iter()
            .zip(&valid)
            .map(|(v, ok)| ok.then(|| v.checked_mul(scale)).flatten())
            .collect())
    };
    let array: ArrayRef = match target {
        DataType::Boolean => {
            let valid = validity(col, ints.len())?;
            Arc::new(
                ints.iter()
                    .zip(&valid)
                    .map(|(v, ok)| ok.then_some(*v != 0))
                    .collect::<BooleanArray>(),
            )
        }
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            cast_strict(&(Arc::new(int_array(1)?) as ArrayRef), target)?
        }
        DataType::Timestamp(_, _) => cast_strict(&(Arc::new(int_array(1)?) as ArrayRef), target)?,
        DataType::Float32 | DataType::Float64 => {
            // Clients put floats in real_col; accept integers for them too.
            let values: Float64Array = if reals.is_empty() && !ints.is_empty() {
                let valid = validity(col, ints.len())?;
                ints.iter()
                    .zip(&valid)
                    .map(|(v, ok)| ok.then_some(*v as f64))
                    .collect()
            } else {
                let valid = validity(col, reals.len())?;
                reals
                    .iter()
                    .zip(&valid)
                    .map(|(v, ok)| ok.then_some(*v))
                    .collect()
            };
            cast_strict(&(Arc::new(values) as ArrayRef), target)?
        }
        DataType::Decimal128(p, s) => {
            let valid = validity(col, ints.len())?;
            let values: Decimal128Array = ints
                .iter()
                .zip(&valid)
                .map(|(v, ok)| ok.then_some(i128::from(*v)))
                .collect();
            Arc::new(
                values
                    .with_precision_and_scale(*p, *s)
                    .map_err(|e| Error::Conversion(e.to_string()))?,
            )
        }
        DataType::Date32 => {
            let seconds = int_array(1)?;
            let days: Int64Array = seconds
                .iter()
                .map(|s| s.map(|s| s.div_euclid(86_400)))
                .collect();
            let days = cast_strict(&(Arc::new(days) as ArrayRef), &DataType::Int32)?;
            cast_strict(&days, target)?
        }
        DataType::Time64(TimeUnit::Nanosecond) => {
            let ns = int_array(1_000_000_000)?;
            cast_strict(&(Arc::new(ns) as ArrayRef), target)?
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let valid = validity(col, strs.len())?;
            let values: StringArray = strs
                .iter()
                .zip(&valid)
                .map(|(v, ok)| ok.then_some(v.as_str()))
                .collect();
            cast_strict(&(Arc::new(values) as ArrayRef), target)?
        }
        DataType::List(element) => {
            let valid = validity(col, arrs.len())?;
            let parts = arrs
                .iter()
                .zip(&valid)
                .map(|(inner, ok)| match ok {
                    true => column_array(inner, element.data_type()),
                    false => Ok(new_null_array(element.data_type(), 0)),
                })
                .collect::<Result<Vec<_>>>()?;
            list_array(element, &parts, valid)?
        }
        other => return Err(Error::UnsupportedColumnType(other.to_string())),
    };
    Ok(array)
}

/// `load_table`: rows of strings. heavyai sends Python's `None` as the text `None`, and
/// arrays as `{a,b,c}`.
pub fn string_rows(
    schema: &SchemaRef,
    rows: &[TStringRow],
    names: &[String],
) -> Result<RecordBatch> {
    let width = rows.first().map_or(
        if names.is_empty() {
            schema.fields().len()
        } else {
            names.len()
        },
        |r| r.cols.as_ref().map_or(0, Vec::len),
    );
    let targets = positions(schema, names, width)?;
    let mut texts: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(rows.len()); width];
    for (r, row) in rows.iter().enumerate() {
        let cols = row.cols.as_deref().unwrap_or_default();
        if cols.len() != width {
            return Err(Error::InvalidArgument(format!(
                "row {} has {} values, the first row {width}",
                r + 1,
                cols.len()
            )));
        }
        for (c, value) in cols.iter().enumerate() {
            let text = value.str_val.clone().unwrap_or_default();
            let null = value.is_null.unwrap_or(false) || text == "None";
            texts[c].push((!null).then_some(text));
        }
    }
    let mut placed = Vec::with_capacity(width);
    for (values, index) in texts.into_iter().zip(targets) {
        let field = schema.field(index);
        let array =
            text_array(&values, field.data_type()).map_err(|e| e.for_column(field.name()))?;
        placed.push((index, array));
    }
    assemble(schema, placed, rows.len())
}

fn text_array(values: &[Option<String>], target: &DataType) -> Result<ArrayRef> {
    if let DataType::List(element) = target {
        let mut parts = Vec::with_capacity(values.len());
        let mut valid = Vec::with_capacity(values.len());
        for value in values {
            let items: Vec<Option<String>> = match value {
                None => Vec::new(),
                Some(text) => {
                    let inner = text
                        .trim()
                        .strip_prefix('{')
                        .and_then(|t| t.strip_suffix('}'))
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "`{text}` is not an array like {{1,2,3}}"
                            ))
                        })?;
                    if inner.trim().is_empty() {
                        Vec::new()
                    } else {
                        inner
                            .split(',')
                            .map(|s| {
                                let s = s.trim().trim_matches('"');
                                (!s.eq_ignore_ascii_case("null")).then(|| s.to_string())
                            })
                            .collect()
                    }
                }
            };
            valid.push(value.is_some());
            parts.push(text_array(&items, element.data_type())?);
        }
        return list_array(element, &parts, valid);
    }
    let strings: StringArray = values.iter().map(|v| v.as_deref()).collect();
    let strings: ArrayRef = Arc::new(strings);
    match target {
        // Python spells booleans True/False; Arrow's parser wants lower case.
        DataType::Boolean => {
            let lowered: StringArray = values
                .iter()
                .map(|v| v.as_deref().map(str::to_ascii_lowercase))
                .collect();
            cast_strict(&(Arc::new(lowered) as ArrayRef), target)
        }
        _ => cast_strict(&strings, target),
    }
}

/// A list column whose row `i` holds `parts[i]` (empty for a NULL row).
fn list_array(element: &FieldRef, parts: &[ArrayRef], valid: Vec<bool>) -> Result<ArrayRef> {
    let mut offsets = Vec::with_capacity(parts.len() + 1);
    offsets.push(0i32);
    for part in parts {
        let end = i32::try_from(part.len())
            .ok()
            .and_then(|len| offsets.last().copied().unwrap_or(0).checked_add(len))
            .ok_or_else(|| Error::InvalidArgument("array column too long".into()))?;
        offsets.push(end);
    }
    let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
    let values = if refs.is_empty() {
        new_null_array(element.data_type(), 0)
    } else {
        concat(&refs).map_err(|e| Error::Conversion(e.to_string()))?
    };
    let list = ListArray::try_new(
        Arc::clone(element),
        OffsetBuffer::new(offsets.into()),
        values,
        Some(valid.into()),
    )
    .map_err(|e| Error::Conversion(e.to_string()))?;
    Ok(Arc::new(list))
}

/// `load_table_binary_arrow`: an Arrow IPC stream, columns by position or by name.
pub fn arrow_stream(schema: &SchemaRef, bytes: &[u8], by_name: bool) -> Result<Vec<RecordBatch>> {
    let reader = StreamReader::try_new(Cursor::new(bytes), None)
        .map_err(|e| Error::InvalidArgument(format!("not an Arrow IPC stream: {e}")))?;
    let incoming = reader.schema();
    let names: Vec<String> = if by_name {
        incoming.fields().iter().map(|f| f.name().clone()).collect()
    } else {
        Vec::new()
    };
    let targets = positions(schema, &names, incoming.fields().len())?;
    let mut batches = Vec::new();
    for batch in reader {
        let batch =
            batch.map_err(|e| Error::InvalidArgument(format!("bad Arrow IPC stream: {e}")))?;
        let placed = batch
            .columns()
            .iter()
            .zip(&targets)
            .map(|(array, &index)| {
                let field = schema.field(index);
                let array = arrow_column(array, field.data_type())
                    .map_err(|e| e.for_column(field.name()))?;
                Ok((index, array))
            })
            .collect::<Result<Vec<_>>>()?;
        batches.push(assemble(schema, placed, batch.num_rows())?);
    }
    Ok(batches)
}

fn arrow_column(array: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    if array.data_type() == target {
        return Ok(Arc::clone(array));
    }
    cast_strict(array, target)
}

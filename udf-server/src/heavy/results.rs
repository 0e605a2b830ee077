//! Arrow results → HeavyDB's `TQueryResult` / `TRowDescriptor`, as the C++ server encodes
//! them (shared/protocols/heavydb-thrift.md §5): one data slot per row even for NULLs,
//! all four `TColumnData` lists present, `arr_col` only for arrays, every `TTypeInfo`
//! field filled.

use std::sync::Arc;

use db_glue::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use db_glue::arrow::compute::cast;
use db_glue::arrow::datatypes::{
    DataType, Field, Float64Type, Int32Type, Int64Type, IntervalUnit, Schema, SchemaRef, TimeUnit,
};
use udf_thrift::{
    OrderedFloat, TColumn, TColumnData, TColumnType, TDatum, TDatumType, TDatumVal, TEncodingType,
    TRow, TTypeInfo,
};

use crate::error::Error as HeavyError;

/// How a result column travels: its HeavyDB type and where its values go.
#[derive(Debug, Clone)]
pub struct WireType {
    pub datum: TDatumType,
    pub encoding: TEncodingType,
    pub precision: i32,
    pub scale: i32,
    pub comp_param: i32,
    pub is_array: bool,
    /// The element's Arrow type for arrays, the column's otherwise.
    element: DataType,
}

impl WireType {
    fn scalar(datum: TDatumType, element: &DataType) -> WireType {
        WireType {
            datum,
            encoding: TEncodingType::NONE,
            precision: 0,
            scale: 0,
            comp_param: 0,
            is_array: false,
            element: element.clone(),
        }
    }

    pub fn type_info(&self, nullable: bool) -> TTypeInfo {
        TTypeInfo {
            type_: Some(self.datum),
            encoding: Some(self.encoding),
            nullable: Some(nullable),
            is_array: Some(self.is_array),
            precision: Some(self.precision),
            scale: Some(self.scale),
            comp_param: Some(self.comp_param),
            size: None,
            dict_key: None,
        }
    }
}

/// The HeavyDB type of a column: its Arrow type, and for text the encoding the table
/// declared (HeavyDB's default, `DICT(32)`, unless the field says `NONE`).
pub fn field_wire_type(field: &Field) -> Result<WireType, HeavyError> {
    let mut wire = wire_type(field.data_type())?;
    if wire.datum == TDatumType::STR
        && field
            .metadata()
            .get(db_glue::TEXT_ENCODING_KEY)
            .map(String::as_str)
            == Some("NONE")
    {
        wire.encoding = TEncodingType::NONE;
        wire.comp_param = 0;
    }
    Ok(wire)
}

/// The HeavyDB type of an Arrow type, or an error naming the type.
pub fn wire_type(data_type: &DataType) -> Result<WireType, HeavyError> {
    use DataType::*;
    let w = match data_type {
        Boolean => WireType::scalar(TDatumType::BOOL, data_type),
        Int8 => WireType::scalar(TDatumType::TINYINT, data_type),
        Int16 | UInt8 => WireType::scalar(TDatumType::SMALLINT, data_type),
        Int32 | UInt16 => WireType::scalar(TDatumType::INT, data_type),
        Int64 | UInt32 | UInt64 => WireType::scalar(TDatumType::BIGINT, data_type),
        Float16 | Float32 => WireType::scalar(TDatumType::FLOAT, data_type),
        Float64 => WireType::scalar(TDatumType::DOUBLE, data_type),
        Decimal32(p, s) | Decimal64(p, s) | Decimal128(p, s) | Decimal256(p, s) => WireType {
            precision: i32::from(*p),
            scale: i32::from(*s),
            ..WireType::scalar(TDatumType::DECIMAL, data_type)
        },
        // Untyped NULL (`SELECT NULL`) travels as text: every client decodes an all-NULL
        // text column.
        Utf8 | LargeUtf8 | Utf8View | Null => WireType {
            encoding: TEncodingType::DICT,
            comp_param: 32,
            ..WireType::scalar(TDatumType::STR, data_type)
        },
        Date32 | Date64 => WireType {
            encoding: TEncodingType::DATE_IN_DAYS,
            comp_param: 32,
            ..WireType::scalar(TDatumType::DATE, data_type)
        },
        Time32(_) | Time64(_) => WireType::scalar(TDatumType::TIME, data_type),
        Timestamp(unit, _) => WireType {
            precision: match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            },
            ..WireType::scalar(TDatumType::TIMESTAMP, data_type)
        },
        Interval(IntervalUnit::YearMonth) => {
            WireType::scalar(TDatumType::INTERVAL_YEAR_MONTH, data_type)
        }
        Duration(_) => WireType::scalar(TDatumType::INTERVAL_DAY_TIME, data_type),
        Dictionary(_, value) => wire_type(value)?,
        List(field)
        | LargeList(field)
        | FixedSizeList(field, _)
        | ListView(field)
        | LargeListView(field) => {
            let inner = wire_type(field.data_type())?;
            if inner.is_array {
                return Err(HeavyError::UnsupportedResultType(data_type.to_string()));
            }
            WireType {
                is_array: true,
                ..inner
            }
        }
        other => return Err(HeavyError::UnsupportedResultType(other.to_string())),
    };
    Ok(w)
}

/// One `TColumnType` per field.
pub fn row_descriptor(schema: &Schema) -> Result<Vec<TColumnType>, HeavyError> {
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| column_type(i, field))
        .collect()
}

fn column_type(index: usize, field: &Field) -> Result<TColumnType, HeavyError> {
    let wire = field_wire_type(field).map_err(|e| e.for_column(field.name()))?;
    Ok(TColumnType {
        col_name: Some(field.name().clone()),
        col_type: Some(wire.type_info(field.is_nullable())),
        is_reserved_keyword: Some(false),
        src_name: Some(String::new()),
        is_system: Some(false),
        is_physical: Some(false),
        col_id: Some(index as i64 + 1),
        default_value: None,
        comment: None,
    })
}

/// Values of one column in the form they take on the wire.
enum Values {
    Ints(Vec<i64>),
    Reals(Vec<f64>),
    Strings(Vec<String>),
    Arrays(Vec<TColumn>),
}

fn column_data(values: Values) -> TColumnData {
    let (mut ints, mut reals, mut strs, mut arrs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    match values {
        Values::Ints(v) => ints = v,
        Values::Reals(v) => reals = v.into_iter().map(OrderedFloat::from).collect(),
        Values::Strings(v) => strs = v,
        Values::Arrays(v) => arrs = v.into_iter().map(Box::new).collect(),
    }
    TColumnData {
        int_col: Some(ints),
        real_col: Some(reals),
        str_col: Some(strs),
        arr_col: Some(arrs),
    }
}

fn nulls_of(array: &dyn Array) -> Vec<bool> {
    (0..array.len()).map(|i| array.is_null(i)).collect()
}

fn cast_to(array: &ArrayRef, to: &DataType) -> Result<ArrayRef, HeavyError> {
    cast(array, to).map_err(|e| HeavyError::Conversion(e.to_string()))
}

/// The storage sentinel HeavyDB writes in the data slot of a NULL integer.
fn int_sentinel(datum: TDatumType) -> i64 {
    match datum {
        TDatumType::BOOL | TDatumType::TINYINT => i64::from(i8::MIN),
        TDatumType::SMALLINT => i64::from(i16::MIN),
        TDatumType::INT => i64::from(i32::MIN),
        _ => i64::MIN,
    }
}

/// A scalar (non-array) column's values.
fn scalar_values(array: &ArrayRef, wire: &WireType) -> Result<Values, HeavyError> {
    let n = array.len();
    let ints = |a: &Int64Array, scale: i64| -> Vec<i64> {
        let sentinel = int_sentinel(wire.datum);
        (0..n)
            .map(|i| {
                if a.is_null(i) {
                    sentinel
                } else {
                    a.value(i).div_euclid(scale)
                }
            })
            .collect()
    };
    let values = match wire.datum {
        TDatumType::BOOL => {
            let b: &BooleanArray = array.as_boolean();
            Values::Ints(
                (0..n)
                    .map(|i| match (b.is_null(i), b.value(i)) {
                        (true, _) => int_sentinel(wire.datum),
                        (false, v) => i64::from(v),
                    })
                    .collect(),
            )
        }
        TDatumType::TINYINT
        | TDatumType::SMALLINT
        | TDatumType::INT
        | TDatumType::BIGINT
        | TDatumType::TIMESTAMP
        | TDatumType::INTERVAL_DAY_TIME
        | TDatumType::INTERVAL_YEAR_MONTH => {
            let a = cast_to(array, &DataType::Int64)?;
            Values::Ints(ints(a.as_primitive::<Int64Type>(), 1))
        }
        TDatumType::DATE => {
            // Seconds since the epoch: pyheavydb adds them to 1970-01-01.
            let days = cast_to(array, &DataType::Date32)?;
            let days = cast_to(&days, &DataType::Int32)?;
            let days = days.as_primitive::<Int32Type>();
            Values::Ints(
                (0..n)
                    .map(|i| {
                        if days.is_null(i) {
                            i64::MIN
                        } else {
                            i64::from(days.value(i)) * 86_400
                        }
                    })
                    .collect(),
            )
        }
        TDatumType::TIME => {
            // Seconds since midnight.
            let ns = cast_to(array, &DataType::Time64(TimeUnit::Nanosecond))?;
            let ns = cast_to(&ns, &DataType::Int64)?;
            Values::Ints(ints(ns.as_primitive::<Int64Type>(), 1_000_000_000))
        }
        TDatumType::FLOAT | TDatumType::DOUBLE | TDatumType::DECIMAL => {
            let sentinel = match wire.datum {
                TDatumType::FLOAT => f64::from(f32::MIN_POSITIVE),
                TDatumType::DOUBLE => f64::MIN_POSITIVE,
                _ => 0.0,
            };
            let a = cast_to(array, &DataType::Float64)?;
            let a: &Float64Array = a.as_primitive::<Float64Type>();
            Values::Reals(
                (0..n)
                    .map(|i| if a.is_null(i) { sentinel } else { a.value(i) })
                    .collect(),
            )
        }
        TDatumType::STR => {
            if array.data_type() == &DataType::Null {
                return Ok(Values::Strings(vec![String::new(); n]));
            }
            let a = cast_to(array, &DataType::Utf8)?;
            let a: &StringArray = a.as_string::<i32>();
            Values::Strings(
                (0..n)
                    .map(|i| {
                        if a.is_null(i) {
                            String::new()
                        } else {
                            a.value(i).to_string()
                        }
                    })
                    .collect(),
            )
        }
        other => return Err(HeavyError::UnsupportedResultType(format!("{other:?}"))),
    };
    Ok(values)
}

/// One wire column for one array (a whole result column, or one array value's elements).
fn wire_column(array: &ArrayRef, wire: &WireType) -> Result<TColumn, HeavyError> {
    let values = if wire.is_array {
        let list = cast_to(array, &DataType::new_list(wire.element.clone(), true))?;
        let list = list.as_list::<i32>();
        let element = WireType {
            is_array: false,
            ..wire.clone()
        };
        let mut rows = Vec::with_capacity(list.len());
        for i in 0..list.len() {
            rows.push(if list.is_null(i) {
                TColumn {
                    data: Some(column_data(Values::Arrays(Vec::new()))),
                    nulls: Some(Vec::new()),
                }
            } else {
                wire_column(&list.value(i), &element)?
            });
        }
        Values::Arrays(rows)
    } else {
        scalar_values(array, wire)?
    };
    Ok(TColumn {
        data: Some(column_data(values)),
        nulls: Some(nulls_of(array.as_ref())),
    })
}

/// Columnar result: one `TColumn` per schema field over all batches, at most `limit`
/// rows.
pub fn columns(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<TColumn>, HeavyError> {
    let batch = concat(schema, batches)?;
    schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, array)| {
            let wire = wire_type(field.data_type()).map_err(|e| e.for_column(field.name()))?;
            wire_column(array, &wire).map_err(|e| e.for_column(field.name()))
        })
        .collect()
}

/// Row-wise result (`column_format=false`).
pub fn rows(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<TRow>, HeavyError> {
    let columns = columns(schema, batches)?;
    let n = columns
        .first()
        .map_or(0, |c| c.nulls.as_ref().map_or(0, Vec::len));
    Ok((0..n)
        .map(|r| TRow {
            cols: Some(columns.iter().map(|c| datum(c, r)).collect()),
        })
        .collect())
}

fn datum(column: &TColumn, row: usize) -> TDatum {
    let data = column.data.as_ref();
    let is_null = column.nulls.as_ref().is_some_and(|n| n[row]);
    let int_val = data
        .and_then(|d| d.int_col.as_ref())
        .and_then(|v| v.get(row))
        .copied();
    let real_val = data
        .and_then(|d| d.real_col.as_ref())
        .and_then(|v| v.get(row))
        .map(|v| v.0);
    let str_val = data
        .and_then(|d| d.str_col.as_ref())
        .and_then(|v| v.get(row))
        .cloned();
    let arr_val = data
        .and_then(|d| d.arr_col.as_ref())
        .and_then(|v| v.get(row))
        .map(|inner| {
            let len = inner.nulls.as_ref().map_or(0, Vec::len);
            (0..len).map(|i| Box::new(datum(inner, i))).collect()
        });
    TDatum {
        val: Some(TDatumVal {
            int_val: Some(int_val.unwrap_or(0)),
            real_val: Some(real_val.unwrap_or(0.0).into()),
            str_val: Some(str_val.unwrap_or_default()),
            arr_val: Some(arr_val.unwrap_or_default()),
        }),
        is_null: Some(is_null),
    }
}

fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch, HeavyError> {
    db_glue::arrow::compute::concat_batches(schema, batches)
        .map_err(|e| HeavyError::Conversion(e.to_string()))
}

/// The first `limit` rows (all when `None`).
pub fn truncate(batches: Vec<RecordBatch>, limit: Option<usize>) -> Vec<RecordBatch> {
    let Some(mut left) = limit else {
        return batches;
    };
    let mut out = Vec::new();
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        left -= take;
        out.push(batch.slice(0, take));
    }
    out
}

/// Arrow types pyarrow reads everywhere: view types become their plain forms.
pub fn ipc_compatible(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(SchemaRef, Vec<RecordBatch>), HeavyError> {
    fn plain(t: &DataType) -> DataType {
        match t {
            DataType::Utf8View => DataType::Utf8,
            DataType::BinaryView => DataType::Binary,
            DataType::ListView(f) | DataType::List(f) => DataType::List(Arc::new(Field::new(
                f.name(),
                plain(f.data_type()),
                f.is_nullable(),
            ))),
            other => other.clone(),
        }
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), plain(f.data_type()), f.is_nullable()))
        .collect();
    let target = Arc::new(Schema::new(fields));
    if target == *schema {
        return Ok((target, batches.to_vec()));
    }
    let converted = batches
        .iter()
        .map(|b| {
            let columns = b
                .columns()
                .iter()
                .zip(target.fields())
                .map(|(c, f)| cast_to(c, f.data_type()))
                .collect::<Result<Vec<_>, _>>()?;
            RecordBatch::try_new(Arc::clone(&target), columns)
                .map_err(|e| HeavyError::Conversion(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((target, converted))
}

/// Arrow IPC stream bytes (schema, batches, end-of-stream), as `select_ipc` reads them.
pub fn ipc_stream(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, HeavyError> {
    let (schema, batches) = ipc_compatible(schema, batches)?;
    let mut buffer = Vec::new();
    let mut writer = db_glue::arrow::ipc::writer::StreamWriter::try_new(&mut buffer, &schema)
        .map_err(|e| HeavyError::Conversion(e.to_string()))?;
    for batch in &batches {
        writer
            .write(batch)
            .map_err(|e| HeavyError::Conversion(e.to_string()))?;
    }
    writer
        .finish()
        .map_err(|e| HeavyError::Conversion(e.to_string()))?;
    drop(writer);
    Ok(buffer)
}

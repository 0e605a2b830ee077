//! `udf_call`: one call of a function on scalar values, without SQL — the direct-call path
//! of the notebook client, where a SQL round trip (parse, plan, run) would cost more than
//! the call itself.

use db_glue::arrow::datatypes::DataType;
use db_glue::{CallResult, ScalarValue, sql_type_name};
use udf_thrift::{OrderedFloat, TDatum, TDatumVal, TUdfCallResult};

use crate::error::{Error, Result};

/// The SQL types a call's values may be given as, by HeavyDB's names.
fn sql_type(name: &str) -> Option<DataType> {
    Some(match name.trim().to_ascii_uppercase().as_str() {
        "BOOLEAN" | "BOOL" => DataType::Boolean,
        "TINYINT" => DataType::Int8,
        "SMALLINT" => DataType::Int16,
        "INTEGER" | "INT" => DataType::Int32,
        "BIGINT" => DataType::Int64,
        "FLOAT" | "REAL" => DataType::Float32,
        "DOUBLE" => DataType::Float64,
        _ => return None,
    })
}

/// The values of a call: typed by `types` when given (one name per value), else as SQL
/// literals (the caller then lets the engine narrow them). Returns whether they are
/// literals.
pub(crate) fn arguments(values: &[TDatum], types: &[String]) -> Result<(Vec<ScalarValue>, bool)> {
    if !types.is_empty() && types.len() != values.len() {
        return Err(Error::InvalidArgument(format!(
            "{} argument types for {} arguments",
            types.len(),
            values.len()
        )));
    }
    let literals = types.is_empty();
    let scalars = values
        .iter()
        .enumerate()
        .map(|(i, datum)| {
            let position = i + 1;
            let declared = match types.get(i) {
                Some(name) => Some(sql_type(name).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "argument {position}: unknown type `{name}` (BOOLEAN, TINYINT, \
                         SMALLINT, INTEGER, BIGINT, FLOAT or DOUBLE)"
                    ))
                })?),
                None => None,
            };
            value(datum, declared.as_ref()).map_err(|message| {
                Error::InvalidArgument(format!("argument {position}: {message}"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((scalars, literals))
}

/// One value. Thrift fills absent datum fields with 0, so "set" means non-zero: a value
/// is a float when `real_val` is non-zero, else the integer `int_val`.
fn value(datum: &TDatum, declared: Option<&DataType>) -> std::result::Result<ScalarValue, String> {
    let val = datum.val.as_ref();
    let int = val.and_then(|v| v.int_val).unwrap_or(0);
    let real = val.and_then(|v| v.real_val).map_or(0.0, |r| r.0);
    let real_set = real != 0.0 || real.is_nan();
    if val.is_some_and(|v| v.str_val.as_ref().is_some_and(|s| !s.is_empty())) {
        return Err("text values are not supported by udf_call".into());
    }
    if val.is_some_and(|v| v.arr_val.as_ref().is_some_and(|a| !a.is_empty())) {
        return Err("array values are not supported by udf_call".into());
    }
    let null = datum.is_null == Some(true);
    let Some(ty) = declared else {
        return match (null, real_set) {
            (true, _) => Err("NULL needs its type in argument_types".into()),
            (false, true) if int != 0 => {
                Err("both int_val and real_val are set; give the type in argument_types".into())
            }
            (false, true) => Ok(ScalarValue::Float64(Some(real))),
            (false, false) => Ok(ScalarValue::Int64(Some(int))),
        };
    };
    if null {
        return ScalarValue::try_from(ty).map_err(|e| e.to_string());
    }
    let number = if ty.is_floating() {
        ScalarValue::Float64(Some(if real_set { real } else { int as f64 }))
    } else if real_set {
        return Err(format!(
            "a {} takes int_val, not real_val",
            sql_type_name(ty)
        ));
    } else {
        ScalarValue::Int64(Some(int))
    };
    if *ty == DataType::Boolean {
        return match int {
            0 | 1 => Ok(ScalarValue::Boolean(Some(int == 1))),
            _ => Err("a BOOLEAN takes int_val 0 or 1".into()),
        };
    }
    // A value that does not fit its type is an error, not a wrapped number.
    number
        .cast_to(ty)
        .ok()
        .filter(|cast| !cast.is_null())
        .ok_or_else(|| format!("{number} does not fit {}", sql_type_name(ty)))
}

/// The reply: the value as a datum (booleans and integers in `int_val`, floats in
/// `real_val`), its SQL type and the overload that ran.
pub(crate) fn reply(result: CallResult) -> Result<TUdfCallResult> {
    let ty = result.value.data_type();
    let (int_val, real_val) = match &result.value {
        ScalarValue::Boolean(v) => (v.map(i64::from), None),
        ScalarValue::Int8(v) => (v.map(i64::from), None),
        ScalarValue::Int16(v) => (v.map(i64::from), None),
        ScalarValue::Int32(v) => (v.map(i64::from), None),
        ScalarValue::Int64(v) => (*v, None),
        ScalarValue::Float32(v) => (None, v.map(f64::from)),
        ScalarValue::Float64(v) => (None, *v),
        other => {
            return Err(Error::UnsupportedResultType(other.data_type().to_string()));
        }
    };
    let is_null = result.value.is_null();
    Ok(TUdfCallResult {
        value: Some(TDatum {
            val: Some(TDatumVal {
                int_val: Some(int_val.unwrap_or(0)),
                real_val: Some(OrderedFloat(real_val.unwrap_or(0.0))),
                str_val: Some(String::new()),
                arr_val: Some(Vec::new()),
            }),
            is_null: Some(is_null),
        }),
        type_: Some(sql_type_name(&ty)),
        signature: Some(result.signature),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // As the server reads them: absent fields are 0.
    fn int(i: i64) -> TDatum {
        TDatum {
            val: Some(TDatumVal {
                int_val: Some(i),
                ..TDatumVal::default()
            }),
            is_null: Some(false),
        }
    }

    fn real(r: f64) -> TDatum {
        TDatum {
            val: Some(TDatumVal {
                real_val: Some(OrderedFloat(r)),
                ..TDatumVal::default()
            }),
            is_null: Some(false),
        }
    }

    fn null() -> TDatum {
        TDatum {
            val: None,
            is_null: Some(true),
        }
    }

    #[test]
    fn literals_are_typed_by_the_field_set() {
        let (values, literals) = arguments(&[int(5), real(2.5)], &[]).unwrap();
        assert!(literals);
        assert_eq!(
            values,
            vec![ScalarValue::Int64(Some(5)), ScalarValue::Float64(Some(2.5))]
        );
        // 0.0 reads as the integer 0, which any numeric overload takes.
        let (values, _) = arguments(&[real(0.0)], &[]).unwrap();
        assert_eq!(values, vec![ScalarValue::Int64(Some(0))]);
        let err = arguments(&[null()], &[]).unwrap_err().to_string();
        assert!(err.contains("argument 1: NULL needs its type"), "{err}");
    }

    #[test]
    fn declared_types_convert_and_refuse_what_does_not_fit() {
        let types = ["INTEGER", "boolean", "FLOAT", "DOUBLE"].map(String::from);
        let (values, literals) = arguments(&[int(7), int(1), real(1.5), null()], &types).unwrap();
        assert!(!literals);
        assert_eq!(
            values,
            vec![
                ScalarValue::Int32(Some(7)),
                ScalarValue::Boolean(Some(true)),
                ScalarValue::Float32(Some(1.5)),
                ScalarValue::Float64(None),
            ]
        );
        let err = arguments(&[int(300)], &["TINYINT".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("argument 1: 300 does not fit TINYINT"),
            "{err}"
        );
        let err = arguments(&[real(1.5)], &["BIGINT".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("a BIGINT takes int_val"), "{err}");
        let (values, _) = arguments(&[int(2)], &["DOUBLE".into()]).unwrap();
        assert_eq!(values, vec![ScalarValue::Float64(Some(2.0))]);
        let err = arguments(&[int(1)], &["TEXT".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown type `TEXT`"), "{err}");
        let err = arguments(&[int(1)], &["BIGINT".into(), "BIGINT".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 argument types for 1 arguments"), "{err}");
    }

    #[test]
    fn replies_carry_value_type_and_signature() {
        let r = reply(CallResult {
            value: ScalarValue::Boolean(Some(true)),
            signature: "f(DOUBLE) -> BOOLEAN".into(),
        })
        .unwrap();
        assert_eq!(r.type_.as_deref(), Some("BOOLEAN"));
        let v = r.value.unwrap();
        assert_eq!(v.is_null, Some(false));
        assert_eq!(v.val.unwrap().int_val, Some(1));
        let r = reply(CallResult {
            value: ScalarValue::Float64(None),
            signature: "g(DOUBLE) -> DOUBLE".into(),
        })
        .unwrap();
        assert_eq!(r.value.unwrap().is_null, Some(true));
    }
}

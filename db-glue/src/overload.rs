//! Overload resolution with HeavyDB's implicit casts, and the literal typing that makes
//! `incr(5)` find an `int32` overload.
//!
//! A call's argument types are matched against every overload of the same arity. Each
//! argument costs: 0 when exact, 1 per step of integer widening (int8 → int16 → int32 →
//! int64), 1 for float32 → float64 and for an untyped NULL, 10 for integer → float32 and 11
//! for integer → float64 (HeavyDB prefers the narrower float). The cheapest overload wins;
//! two cheapest at the same cost are an ambiguity, never a silent pick.

use compiler::{Kernel, ScalarType, Signature, ValueType};

use crate::calcite;
use crate::catalog::arg_list;
use crate::device::{GpuBuildResult, RunCounts};
use crate::error::Error;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

/// One compiled overload of a SQL function: the kernel and its signature, and the IR and
/// symbol it came from (what a cluster plan ships, see `cluster/codec.rs`).
#[derive(Debug)]
pub(crate) struct Overload {
    pub(crate) signature: Signature,
    pub(crate) symbol: String,
    pub(crate) ir: Arc<[u8]>,
    pub(crate) kernel: Kernel,
    pub(crate) gpu: GpuBuildResult,
    pub(crate) runs: Arc<RunCounts>,
    /// [`crate::cluster::content_hash`], computed when a plan first ships it.
    pub(crate) content: OnceLock<[u8; 32]>,
}

impl Overload {
    /// What identifies this overload's code on a cluster: symbol, signature and IR.
    pub(crate) fn content_hash(&self) -> &[u8; 32] {
        self.content
            .get_or_init(|| crate::cluster::content_hash(&self.symbol, &self.signature, &self.ir))
    }

    pub(crate) fn arg_types(&self) -> Vec<DataType> {
        self.signature.args.iter().map(|&t| arrow_type(t)).collect()
    }

    pub(crate) fn return_type(&self) -> DataType {
        arrow_type(self.signature.ret)
    }
}

/// The Arrow type a column of `ty` has: arrays are lists (with nullable elements), text
/// is UTF-8.
pub(crate) fn arrow_type(ty: ValueType) -> DataType {
    match ty {
        ValueType::Scalar(t) => scalar_arrow_type(t),
        ValueType::Array(t) => {
            DataType::List(Arc::new(Field::new_list_field(scalar_arrow_type(t), true)))
        }
        ValueType::Text => DataType::Utf8,
    }
}

/// The Arrow type of a column of scalars `ty`.
pub(crate) fn scalar_arrow_type(ty: ScalarType) -> DataType {
    match ty {
        ScalarType::Bool => DataType::Boolean,
        ScalarType::Int8 => DataType::Int8,
        ScalarType::Int16 => DataType::Int16,
        ScalarType::Int32 => DataType::Int32,
        ScalarType::Int64 => DataType::Int64,
        ScalarType::Float32 => DataType::Float32,
        ScalarType::Float64 => DataType::Float64,
    }
}

/// The scalar type an Arrow column holds, if it is one a UDF can take.
pub(crate) fn scalar_type(ty: &DataType) -> Option<ScalarType> {
    Some(match ty {
        DataType::Boolean => ScalarType::Bool,
        DataType::Int8 => ScalarType::Int8,
        DataType::Int16 => ScalarType::Int16,
        DataType::Int32 => ScalarType::Int32,
        DataType::Int64 => ScalarType::Int64,
        DataType::Float32 => ScalarType::Float32,
        DataType::Float64 => ScalarType::Float64,
        _ => return None,
    })
}

const WIDENING_STEP: u32 = 1;
const NULL_CAST: u32 = 1;
const INT_TO_FLOAT32: u32 = 10;
const INT_TO_FLOAT64: u32 = 11;

fn integer_rank(ty: ScalarType) -> Option<u32> {
    match ty {
        ScalarType::Int8 => Some(0),
        ScalarType::Int16 => Some(1),
        ScalarType::Int32 => Some(2),
        ScalarType::Int64 => Some(3),
        _ => None,
    }
}

/// What passing a value of type `from` where `to` is declared costs, or `None` when
/// HeavyDB would not cast implicitly. An array costs what its elements do; any UTF-8
/// column is text.
fn cast_cost(from: &DataType, to: ValueType) -> Option<u32> {
    if *from == DataType::Null {
        return Some(NULL_CAST);
    }
    match (from, to) {
        (_, ValueType::Scalar(to)) => scalar_cast_cost(from, to),
        (
            DataType::List(element)
            | DataType::LargeList(element)
            | DataType::FixedSizeList(element, _),
            ValueType::Array(to),
        ) => scalar_cast_cost(element.data_type(), to),
        (DataType::Utf8, ValueType::Text) => Some(0),
        (DataType::LargeUtf8 | DataType::Utf8View, ValueType::Text) => Some(WIDENING_STEP),
        (DataType::Dictionary(_, value), ValueType::Text)
            if matches!(
                **value,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            Some(WIDENING_STEP)
        }
        _ => None,
    }
}

pub(crate) fn scalar_cast_cost(from: &DataType, to: ScalarType) -> Option<u32> {
    if *from == DataType::Null {
        return Some(NULL_CAST);
    }
    let from = scalar_type(from)?;
    if from == to {
        return Some(0);
    }
    match (integer_rank(from), integer_rank(to), to) {
        (Some(f), Some(t), _) if f < t => Some((t - f) * WIDENING_STEP),
        (Some(_), None, ScalarType::Float32) => Some(INT_TO_FLOAT32),
        (Some(_), None, ScalarType::Float64) => Some(INT_TO_FLOAT64),
        _ if from == ScalarType::Float32 && to == ScalarType::Float64 => Some(WIDENING_STEP),
        _ => None,
    }
}

fn call_cost(args: &[DataType], signature: &Signature) -> Option<u32> {
    if args.len() != signature.args.len() {
        return None;
    }
    args.iter()
        .zip(&signature.args)
        .map(|(from, &to)| cast_cost(from, to))
        .sum()
}

/// Picks the overload for a call with argument types `args`: the index into `signatures`,
/// or an error naming the call (with the argument types as written, `shown`) and the
/// candidates.
pub(crate) fn resolve(
    name: &str,
    signatures: &[&Signature],
    args: &[DataType],
    shown: &[DataType],
) -> Result<usize, Error> {
    let mut best: Vec<usize> = Vec::new();
    let mut best_cost = u32::MAX;
    for (i, signature) in signatures.iter().enumerate() {
        let Some(cost) = call_cost(args, signature) else {
            continue;
        };
        if cost < best_cost {
            best_cost = cost;
            best.clear();
        }
        if cost == best_cost {
            best.push(i);
        }
    }
    match best.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::NoMatchingFunction {
            name: name.to_string(),
            args: shown.iter().map(calcite::type_name).collect(),
            span: None,
            detail: Some(format!(
                "candidates: {}",
                candidate_list(name, signatures.iter().copied())
            )),
        }),
        several => Err(Error::AmbiguousCall(format!(
            "call of `{name}` with ({}) is ambiguous: {} fit equally well; cast the \
             arguments to pick one",
            type_list(shown),
            candidate_list(name, several.iter().map(|&i| signatures[i]))
        ))),
    }
}

fn type_list(args: &[DataType]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{a}");
    }
    s
}

/// `myadd(int64, int64) -> int64, myadd(float64, float64) -> float64`.
pub(crate) fn candidate_list<'a>(
    name: &str,
    signatures: impl Iterator<Item = &'a Signature>,
) -> String {
    signatures
        .map(|s| describe(name, s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `myadd(int64, int64) -> int64`.
pub(crate) fn describe(name: &str, signature: &Signature) -> String {
    format!("{name}({}) -> {}", arg_list(&signature.args), signature.ret)
}

/// The narrowest type holding a literal's value, when narrower than its own: integer
/// literals (DataFusion types them all as Int64) get the smallest integer type, float
/// literals get Float32 when the value is exactly representable. NULLs and other types
/// stay as they are.
pub(crate) fn narrowest_literal(value: &ScalarValue) -> Option<ScalarValue> {
    let narrowed = match *value {
        ScalarValue::Int64(Some(v)) => narrowest_integer(v),
        ScalarValue::Int32(Some(v)) => narrowest_integer(i64::from(v)),
        ScalarValue::Int16(Some(v)) => narrowest_integer(i64::from(v)),
        ScalarValue::Float64(Some(v)) => {
            let single = v as f32;
            // NaN fails the comparison and stays Float64, which is harmless.
            (f64::from(single) == v).then_some(ScalarValue::Float32(Some(single)))?
        }
        _ => return None,
    };
    (narrowed.data_type() != value.data_type()).then_some(narrowed)
}

fn narrowest_integer(v: i64) -> ScalarValue {
    if let Ok(v) = i8::try_from(v) {
        ScalarValue::Int8(Some(v))
    } else if let Ok(v) = i16::try_from(v) {
        ScalarValue::Int16(Some(v))
    } else if let Ok(v) = i32::try_from(v) {
        ScalarValue::Int32(Some(v))
    } else {
        ScalarValue::Int64(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overloads(sigs: &[&str]) -> Vec<Signature> {
        sigs.iter().map(|s| Signature::parse(s).unwrap()).collect()
    }

    fn pick(sigs: &[Signature], args: &[DataType]) -> Result<String, String> {
        let refs: Vec<&Signature> = sigs.iter().collect();
        resolve("f", &refs, args, args)
            .map(|i| sigs[i].to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn exact_beats_widening_beats_int_to_float() {
        let sigs = overloads(&["int64(int64, int64)", "float64(float64, float64)"]);
        assert_eq!(
            pick(&sigs, &[DataType::Int8, DataType::Int8]).unwrap(),
            "int64(int64, int64)"
        );
        assert_eq!(
            pick(&sigs, &[DataType::Float32, DataType::Int64]).unwrap(),
            "float64(float64, float64)"
        );
        let sigs = overloads(&["int32(int32)", "int64(int64)", "float32(float32)"]);
        assert_eq!(pick(&sigs, &[DataType::Int8]).unwrap(), "int32(int32)");
        assert_eq!(pick(&sigs, &[DataType::Int64]).unwrap(), "int64(int64)");
        assert_eq!(
            pick(&sigs, &[DataType::Float32]).unwrap(),
            "float32(float32)"
        );
        let e = pick(&sigs, &[DataType::Float64]).unwrap_err();
        assert_eq!(
            e,
            "No match found for function signature f(DOUBLE)\ncandidates: f(int32) -> int32, \
             f(int64) -> int64, f(float32) -> float32"
        );
    }

    #[test]
    fn equal_costs_are_ambiguous() {
        let sigs = overloads(&["int64(int32, int64)", "int64(int64, int32)"]);
        let e = pick(&sigs, &[DataType::Int32, DataType::Int32]).unwrap_err();
        assert!(
            e.starts_with("call of `f` with (Int32, Int32) is ambiguous"),
            "{e}"
        );
    }

    #[test]
    fn narrows_literals() {
        assert_eq!(
            narrowest_literal(&ScalarValue::Int64(Some(5))),
            Some(ScalarValue::Int8(Some(5)))
        );
        assert_eq!(
            narrowest_literal(&ScalarValue::Int64(Some(-200))),
            Some(ScalarValue::Int16(Some(-200)))
        );
        assert_eq!(narrowest_literal(&ScalarValue::Int64(Some(1 << 40))), None);
        assert_eq!(
            narrowest_literal(&ScalarValue::Float64(Some(1.5))),
            Some(ScalarValue::Float32(Some(1.5)))
        );
        assert_eq!(narrowest_literal(&ScalarValue::Float64(Some(0.1))), None);
        assert_eq!(narrowest_literal(&ScalarValue::Int64(None)), None);
    }
}

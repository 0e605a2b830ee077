//! The analyzer rule that binds IR function calls to one overload.

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, ScalarUDF};
use datafusion::optimizer::AnalyzerRule;

use crate::device::UdfOptions;
use crate::overload::narrowest_literal;
use crate::udf::IrFunction;

/// Rewrites every call of an [`IrFunction`] into a call of the overload it resolves to:
/// literal arguments retyped as narrowly as their value allows (so `incr(5)` reaches an
/// `int32` overload), other arguments cast to the overload's types.
///
/// Runs before DataFusion's `TypeCoercion`, which then finds nothing left to coerce in
/// these calls. Output column names stay those of the original expressions. Each call is
/// also placed on a device here, from the session's `udf.device`, so that the plan
/// (`EXPLAIN`) shows where it runs.
#[derive(Debug, Default)]
pub(crate) struct BindIrCalls;

impl AnalyzerRule for BindIrCalls {
    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let options = config.extensions.get::<UdfOptions>();
        plan.transform_up_with_subqueries(|plan| bind_in_plan(plan, options))
            .data()
    }

    fn name(&self) -> &str {
        "bind_ir_function_calls"
    }
}

fn bind_in_plan(
    plan: LogicalPlan,
    options: Option<&UdfOptions>,
) -> Result<Transformed<LogicalPlan>> {
    // A scan's filters are pushed down by the optimizer, after analysis: none to bind yet.
    if matches!(plan, LogicalPlan::TableScan(_)) {
        return Ok(Transformed::no(plan));
    }
    let schema = merge_schema(&plan.inputs());
    let name_preserver = NamePreserver::new(&plan);
    let rewritten = plan.map_expressions(|expr| {
        let original_name = name_preserver.save(&expr);
        expr.transform_up(|e| bind_call(e, &schema, options))
            .map(|t| t.update_data(|e| original_name.restore(e)))
    })?;
    if rewritten.transformed {
        rewritten.map_data(|plan| plan.recompute_schema())
    } else {
        Ok(rewritten)
    }
}

fn bind_call(
    expr: Expr,
    schema: &DFSchema,
    options: Option<&UdfOptions>,
) -> Result<Transformed<Expr>> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = expr else {
        return Ok(Transformed::no(expr));
    };
    let Some(function) = func.inner().downcast_ref::<IrFunction>() else {
        return Ok(Transformed::no(Expr::ScalarFunction(ScalarFunction {
            func,
            args,
        })));
    };
    let args: Vec<Expr> = args
        .into_iter()
        .map(|arg| match arg {
            Expr::Literal(ScalarValue::List(list), metadata) => {
                let value = narrowest_list_literal(&list).unwrap_or(ScalarValue::List(list));
                Expr::Literal(value, metadata)
            }
            Expr::Literal(value, metadata) => {
                Expr::Literal(narrowest_literal(&value).unwrap_or(value), metadata)
            }
            Expr::ScalarFunction(array) if is_literal_array(&array) => {
                Expr::ScalarFunction(narrowest_literal_array(array))
            }
            other => other,
        })
        .collect();
    let types = args
        .iter()
        .map(|a| a.get_type(schema))
        .collect::<Result<Vec<_>>>()?;
    let overload = function.resolve(&types)?;
    let args = args
        .into_iter()
        .zip(types)
        .zip(overload.arg_types())
        .map(|((arg, actual), declared)| {
            if actual == declared {
                Ok(arg)
            } else {
                arg.cast_to(&declared, schema)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let bound = ScalarUDF::new_from_impl(function.bind(overload, options)?);
    Ok(Transformed::yes(Expr::ScalarFunction(
        ScalarFunction::new_udf(Arc::new(bound), args),
    )))
}

/// `[1, 2, 3]` / `ARRAY[…]` of literals only (DataFusion plans them as `make_array`).
fn is_literal_array(call: &ScalarFunction) -> bool {
    call.func.name() == "make_array"
        && !call.args.is_empty()
        && call.args.iter().all(|a| matches!(a, Expr::Literal(..)))
}

/// An array of literals typed as narrowly as all its values allow, as a literal would be
/// (`arr_len([1, 2, 3])` reaches an `int8[]` or `int32[]` overload): every element is
/// cast to the widest of the elements' narrowest types.
fn narrowest_literal_array(call: ScalarFunction) -> ScalarFunction {
    let values: Vec<&ScalarValue> = call
        .args
        .iter()
        .filter_map(|a| match a {
            Expr::Literal(v, _) => Some(v),
            _ => None,
        })
        .collect();
    let Some(common) = common_narrowest_type(values).filter(|t| rank(t) <= 5) else {
        return call;
    };
    let args = call
        .args
        .into_iter()
        .map(|arg| match arg {
            Expr::Literal(value, metadata) => match value.cast_to(&common) {
                Ok(cast) => Expr::Literal(cast, metadata),
                Err(_) => Expr::Literal(value, metadata),
            },
            other => other,
        })
        .collect();
    ScalarFunction {
        func: call.func,
        args,
    }
}

/// Order of the literal types [`narrowest_literal`] gives: each one's values fit the next.
fn rank(t: &DataType) -> u8 {
    match t {
        DataType::Int8 => 0,
        DataType::Int16 => 1,
        DataType::Int32 => 2,
        DataType::Int64 => 3,
        DataType::Float32 => 4,
        DataType::Float64 => 5,
        _ => 6,
    }
}

/// The widest of the narrowest types of `values` (NULLs aside): what an array of them is
/// typed as. float32 holds every int16 exactly, not every int32: then float64.
fn common_narrowest_type<'a>(
    values: impl IntoIterator<Item = &'a ScalarValue>,
) -> Option<DataType> {
    let narrowed: Vec<DataType> = values
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|v| {
            narrowest_literal(v)
                .unwrap_or_else(|| v.clone())
                .data_type()
        })
        .collect();
    let common = narrowed
        .iter()
        .cloned()
        .reduce(|a, b| if rank(&b) > rank(&a) { b } else { a })?;
    let wide_integer = narrowed
        .iter()
        .any(|t| matches!(t, DataType::Int32 | DataType::Int64));
    Some(if common == DataType::Float32 && wide_integer {
        DataType::Float64
    } else {
        common
    })
}

/// A list literal (`[1, 2, 3]`) with its elements typed as [`common_narrowest_type`].
fn narrowest_list_literal(list: &datafusion::arrow::array::ListArray) -> Option<ScalarValue> {
    if list.len() != 1 || list.is_null(0) {
        return None;
    }
    let elements = list.value(0);
    let values = (0..elements.len())
        .map(|i| ScalarValue::try_from_array(&elements, i))
        .collect::<Result<Vec<_>>>()
        .ok()?;
    let common = common_narrowest_type(&values)?;
    if common == *elements.data_type() || rank(&common) > 5 {
        return None;
    }
    let cast = values
        .iter()
        .map(|v| v.cast_to(&common))
        .collect::<Result<Vec<_>>>()
        .ok()?;
    Some(ScalarValue::List(ScalarValue::new_list_nullable(
        &cast, &common,
    )))
}

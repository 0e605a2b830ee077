//! The analyzer rule that binds IR function calls to one overload.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{DFSchema, Result};
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
            Expr::Literal(value, metadata) => {
                Expr::Literal(narrowest_literal(&value).unwrap_or(value), metadata)
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

//! Table functions (UDTFs) in SQL: `SELECT * FROM TABLE(f(CURSOR(SELECT a, b FROM t), 2))`.
//!
//! A [`UdtfRelationPlanner`] turns the `TABLE(…)` relation into a [`UdtfNode`] whose inputs
//! are the cursors' plans, so that the optimiser optimises them and access control sees
//! their scans like any other (a `TableProvider` would hide them from both). The overload
//! is chosen by the cursors' column types and the literals' types, as for scalar UDFs,
//! with casts over a cursor where a column must widen. [`UdtfExec`] reads every cursor
//! whole, calls the function once through the compiler's `TableKernel` under the
//! statement's time limit, and streams its output columns (`out0`, … unless named).
//!
//! Table functions live beside the scalar catalog in a [`TableFunctions`] registry: the
//! same names space (a name is scalar or table, never both), the same origins, owners and
//! store.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use compiler::{ColumnType, ScalarType, TableArg, TableKernel, TableSignature, TableValue};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchema, DFSchemaRef, DataFusionError, ScalarValue, plan_err};
use datafusion::execution::context::{QueryPlanner, SessionState};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::planner::{
    RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, LogicalPlanBuilder, UserDefinedLogicalNode,
    UserDefinedLogicalNodeCore, cast,
};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use datafusion::sql::sqlparser::ast::{
    self as sql, FunctionArg, FunctionArgExpr, FunctionArguments, TableFactor,
};
use futures::{StreamExt, TryStreamExt};
use parking_lot::RwLock;

use crate::device::{DevicePreference, RunCounts, UdfOptions};
use crate::error::Error;
use crate::introspect::CodeInfo;
use crate::invoke::{element_bytes, elements_array};
use crate::overload::{narrowest_literal, scalar_arrow_type, scalar_cast_cost};
use crate::watchdog::{self, StatementExtension};

/// One registered table function overload with its compiled kernel.
#[derive(Debug, Clone)]
pub struct RegisteredTableFunction {
    pub name: String,
    pub symbol: String,
    pub signature: TableSignature,
    pub origin: String,
    pub owner: String,
    pub created_at: SystemTime,
    pub ir: Arc<[u8]>,
    pub kernel: TableKernel,
    pub compile_time: Duration,
    pub code: CodeInfo,
    /// Calls and their input rows (table functions run on the CPU only).
    pub runs: Arc<RunCounts>,
}

/// A table function overload as `SHOW FUNCTIONS` and the HeavyDB API list it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFunctionInfo {
    pub name: String,
    pub signature: TableSignature,
    pub symbol: String,
    pub origin: String,
    pub owner: String,
    pub compile_time: Duration,
    pub created_at: SystemTime,
    /// Calls so far (`cpu N, gpu 0`).
    pub runs: String,
}

impl RegisteredTableFunction {
    pub fn info(&self) -> TableFunctionInfo {
        TableFunctionInfo {
            name: self.name.clone(),
            signature: self.signature.clone(),
            symbol: self.symbol.clone(),
            origin: self.origin.clone(),
            owner: self.owner.clone(),
            compile_time: self.compile_time,
            created_at: self.created_at,
            runs: self.runs.describe(),
        }
    }
}

/// The registered table functions: name → overloads keyed by their SQL arguments.
#[derive(Debug, Default)]
pub(crate) struct TableFunctions {
    map: RwLock<BTreeMap<String, BTreeMap<Vec<TableArg>, RegisteredTableFunction>>>,
}

impl TableFunctions {
    pub(crate) fn get(&self, name: &str) -> Vec<RegisteredTableFunction> {
        self.map
            .read()
            .get(name)
            .map(|o| o.values().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.map.read().contains_key(name)
    }

    pub(crate) fn list(&self) -> Vec<RegisteredTableFunction> {
        self.map
            .read()
            .values()
            .flat_map(|o| o.values().cloned())
            .collect()
    }

    /// Adds `functions`; an overload already there is replaced.
    pub(crate) fn insert(&self, functions: Vec<RegisteredTableFunction>) {
        let mut map = self.map.write();
        for f in functions {
            map.entry(f.name.clone())
                .or_default()
                .insert(f.signature.args.clone(), f);
        }
    }

    /// Removes the overload of `name` taking `args`, or all of them; returns them.
    pub(crate) fn remove(
        &self,
        name: &str,
        args: Option<&[TableArg]>,
    ) -> Vec<RegisteredTableFunction> {
        let mut map = self.map.write();
        let Some(overloads) = map.get_mut(name) else {
            return Vec::new();
        };
        let removed = match args {
            Some(args) => overloads.remove(args).into_iter().collect(),
            None => std::mem::take(overloads).into_values().collect(),
        };
        if overloads.is_empty() {
            map.remove(name);
        }
        removed
    }

    /// Removes every overload registered by `origin`.
    pub(crate) fn remove_origin(&self, origin: &str) -> Vec<RegisteredTableFunction> {
        let mut map = self.map.write();
        let mut removed = Vec::new();
        for overloads in map.values_mut() {
            let keys: Vec<Vec<TableArg>> = overloads
                .iter()
                .filter(|(_, f)| f.origin == origin)
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                removed.extend(overloads.remove(&k));
            }
        }
        map.retain(|_, o| !o.is_empty());
        removed
    }
}

/// `f(Cursor<float64>, RowMultiplier)`: one overload in messages.
pub(crate) fn describe(name: &str, signature: &TableSignature) -> String {
    format!("{name}({})", signature.args_text())
}

/// One argument of a `TABLE(f(…))` call as planned.
enum CallArg {
    Cursor(LogicalPlan),
    Literal(ScalarValue),
}

/// What a call passes for one argument of the chosen overload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
enum ArgValue {
    /// The cursor input with this index.
    Cursor(usize),
    /// A literal's little-endian bits.
    Scalar(u64),
    Sizer(i64),
}

/// Plans `TABLE(f(…))` when `f` is a registered table function.
#[derive(Debug)]
pub(crate) struct UdtfRelationPlanner {
    pub(crate) functions: Arc<TableFunctions>,
    /// Bytes a call may take for its outputs and allocations.
    pub(crate) budget: usize,
}

impl RelationPlanner for UdtfRelationPlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> datafusion::common::Result<RelationPlanning> {
        let TableFactor::TableFunction {
            expr: sql::Expr::Function(call),
            alias,
        } = relation
        else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        let name = call.name.to_string().to_lowercase();
        let overloads = self.functions.get(&name);
        if overloads.is_empty() {
            return Ok(RelationPlanning::Original(Box::new(
                TableFactor::TableFunction {
                    expr: sql::Expr::Function(call),
                    alias,
                },
            )));
        }
        let FunctionArguments::List(list) = call.args else {
            return plan_err!(
                "table function `{name}` is called as TABLE({name}(CURSOR(SELECT …), …))"
            );
        };
        let mut args = Vec::with_capacity(list.args.len());
        for (i, arg) in list.args.into_iter().enumerate() {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) = arg else {
                return plan_err!(
                    "argument {} of `{name}`: named arguments are not supported",
                    i + 1
                );
            };
            args.push(plan_arg(&name, i, expr, context)?);
        }
        let (function, values, cursors) = resolve(&name, &overloads, args)?;
        let node = UdtfNode::new(name, function, values, cursors, self.budget)?;
        let plan = LogicalPlan::Extension(Extension {
            node: Arc::new(node),
        });
        Ok(RelationPlanning::Planned(Box::new(
            datafusion::logical_expr::planner::PlannedRelation::new(plan, alias),
        )))
    }
}

/// A `CURSOR(SELECT …)` (rewritten to `CURSOR((SELECT …))` before parsing) or a constant.
fn plan_arg(
    name: &str,
    i: usize,
    expr: sql::Expr,
    context: &mut dyn RelationPlannerContext,
) -> datafusion::common::Result<CallArg> {
    if let sql::Expr::Function(f) = &expr
        && f.name.to_string().eq_ignore_ascii_case("cursor")
    {
        let query = match &f.args {
            FunctionArguments::Subquery(q) => Some(q.clone()),
            FunctionArguments::List(l) if l.args.len() == 1 => match &l.args[0] {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(sql::Expr::Subquery(q))) => {
                    Some(q.clone())
                }
                _ => None,
            },
            _ => None,
        };
        let Some(query) = query else {
            return plan_err!(
                "argument {} of `{name}`: CURSOR takes a query, CURSOR(SELECT …)",
                i + 1
            );
        };
        let plan = context.plan(TableFactor::Derived {
            lateral: false,
            subquery: query,
            alias: None,
            sample: None,
        })?;
        return Ok(CallArg::Cursor(plan));
    }
    let planned = context.sql_to_expr(expr, &DFSchema::empty())?;
    match constant(&planned) {
        Some(v) => Ok(CallArg::Literal(v)),
        None => plan_err!(
            "argument {} of `{name}` must be a CURSOR(SELECT …) or a constant, not {planned}",
            i + 1
        ),
    }
}

/// The value of a constant expression: a literal, a negated one, or a cast of one.
fn constant(expr: &Expr) -> Option<ScalarValue> {
    match expr {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Negative(inner) => constant(inner)?.arithmetic_negate().ok(),
        Expr::Cast(c) => constant(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::TryCast(c) => constant(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::Alias(a) => constant(&a.expr),
        _ => None,
    }
}

/// The literal's type for overload costs: integer and float literals count as the
/// narrowest type holding them (HeavyDB literal typing).
fn literal_type(v: &ScalarValue) -> DataType {
    narrowest_literal(v)
        .unwrap_or_else(|| v.clone())
        .data_type()
}

/// How far `args` are from `sig`: the cost, and the target type of each cursor column.
fn match_cost(sig: &TableSignature, args: &[CallArg]) -> Option<(u32, Vec<Vec<ScalarType>>)> {
    let omitted_sizer = args.len() + 1 == sig.args.len()
        && sig.sizer == compiler::Sizer::RowMultiplier
        && matches!(sig.args.last(), Some(TableArg::Sizer));
    if args.len() != sig.args.len() && !omitted_sizer {
        return None;
    }
    let mut cost = 0;
    let mut targets = Vec::new();
    for (declared, arg) in sig.args.iter().zip(args) {
        match (declared, arg) {
            (TableArg::Cursor { fields, .. }, CallArg::Cursor(plan)) => {
                let types: Vec<&DataType> = plan
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.data_type())
                    .collect();
                let has_list = fields
                    .iter()
                    .any(|f| matches!(f, ColumnType::ColumnList(_)));
                let surplus = types.len().checked_sub(fields.len())?;
                if surplus > 0 && !has_list {
                    return None;
                }
                let mut column_types = Vec::with_capacity(types.len());
                for field in fields {
                    let take = match field {
                        ColumnType::Column(_) => 1,
                        ColumnType::ColumnList(_) => 1 + surplus,
                    };
                    for _ in 0..take {
                        column_types.push(field.element());
                    }
                }
                for (from, to) in types.iter().zip(&column_types) {
                    cost += scalar_cast_cost(from, *to)?;
                }
                targets.push(column_types);
            }
            (TableArg::Scalar(t), CallArg::Literal(v)) => {
                cost += scalar_cast_cost(&literal_type(v), *t)?;
            }
            (TableArg::Sizer, CallArg::Literal(v)) => {
                if !v.data_type().is_integer() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some((cost, targets))
}

type Resolved = (RegisteredTableFunction, Vec<ArgValue>, Vec<LogicalPlan>);

/// Picks the cheapest overload for `args` and builds what the node needs: the argument
/// values and each cursor's plan, cast where a column must widen.
fn resolve(
    name: &str,
    overloads: &[RegisteredTableFunction],
    args: Vec<CallArg>,
) -> datafusion::common::Result<Resolved> {
    let best = overloads
        .iter()
        .filter_map(|f| match_cost(&f.signature, &args).map(|(c, t)| (c, t, f)))
        .min_by_key(|(c, _, _)| *c);
    let Some((_, targets, function)) = best else {
        let given: Vec<String> = args
            .iter()
            .map(|a| match a {
                CallArg::Cursor(plan) => {
                    let types: Vec<String> = plan
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| crate::calcite::type_name(f.data_type()))
                        .collect();
                    format!("CURSOR({})", types.join(", "))
                }
                CallArg::Literal(v) => crate::calcite::type_name(&literal_type(v)),
            })
            .collect();
        let candidates: Vec<String> = overloads
            .iter()
            .map(|f| describe(name, &f.signature))
            .collect();
        return Err(Error::NoMatchingFunction {
            name: name.to_string(),
            args: given,
            span: None,
            detail: Some(format!(
                "table function candidates: {}",
                candidates.join(", ")
            )),
        }
        .into());
    };
    let mut values = Vec::new();
    let mut cursors = Vec::new();
    let mut targets = targets.into_iter();
    for (declared, arg) in function.signature.args.iter().zip(args) {
        match (declared, arg) {
            (TableArg::Cursor { .. }, CallArg::Cursor(plan)) => {
                let types = targets.next().unwrap_or_default();
                let needs_cast = plan
                    .schema()
                    .fields()
                    .iter()
                    .zip(&types)
                    .any(|(f, t)| *f.data_type() != scalar_arrow_type(*t));
                let plan = if needs_cast {
                    let exprs: Vec<Expr> = plan
                        .schema()
                        .columns()
                        .into_iter()
                        .zip(&types)
                        .map(|(c, t)| {
                            let name = c.name.clone();
                            cast(Expr::Column(c), scalar_arrow_type(*t)).alias(name)
                        })
                        .collect();
                    LogicalPlanBuilder::from(plan).project(exprs)?.build()?
                } else {
                    plan
                };
                values.push(ArgValue::Cursor(cursors.len()));
                cursors.push(plan);
            }
            (TableArg::Scalar(t), CallArg::Literal(v)) => {
                values.push(ArgValue::Scalar(literal_bits(name, &v, *t)?));
            }
            (TableArg::Sizer, CallArg::Literal(v)) => {
                let ScalarValue::Int64(Some(n)) = v.cast_to(&DataType::Int64)? else {
                    return plan_err!("the sizer of `{name}` is NULL");
                };
                values.push(ArgValue::Sizer(n));
            }
            _ => return plan_err!("`{name}`: arguments out of order"),
        }
    }
    Ok((function.clone(), values, cursors))
}

/// A literal cast to `t`, as the bits the kernel loads.
fn literal_bits(name: &str, v: &ScalarValue, t: ScalarType) -> datafusion::common::Result<u64> {
    let cast = v.cast_to(&scalar_arrow_type(t))?;
    Ok(match cast {
        ScalarValue::Boolean(Some(b)) => u64::from(b),
        ScalarValue::Int8(Some(x)) => x as u8 as u64,
        ScalarValue::Int16(Some(x)) => x as u16 as u64,
        ScalarValue::Int32(Some(x)) => x as u32 as u64,
        ScalarValue::Int64(Some(x)) => x as u64,
        ScalarValue::Float32(Some(x)) => u64::from(x.to_bits()),
        ScalarValue::Float64(Some(x)) => x.to_bits(),
        other => return plan_err!("`{name}` cannot take the literal {other} as {t}"),
    })
}

/// A table function call in a logical plan; its inputs are the cursors.
#[derive(Debug, Clone)]
pub(crate) struct UdtfNode {
    name: String,
    function: RegisteredTableFunction,
    values: Vec<ArgValue>,
    cursors: Vec<LogicalPlan>,
    schema: DFSchemaRef,
    budget: usize,
}

impl UdtfNode {
    fn new(
        name: String,
        function: RegisteredTableFunction,
        values: Vec<ArgValue>,
        cursors: Vec<LogicalPlan>,
        budget: usize,
    ) -> datafusion::common::Result<Self> {
        let sig = &function.signature;
        let fields: Vec<Field> = sig
            .outputs
            .iter()
            .enumerate()
            .map(|(i, o)| Field::new(sig.output_name(i), scalar_arrow_type(o.ty), true))
            .collect();
        let schema = Arc::new(DFSchema::try_from(Schema::new(fields))?);
        Ok(UdtfNode {
            name,
            function,
            values,
            cursors,
            schema,
            budget,
        })
    }

    fn key(&self) -> (&str, &str, &Vec<ArgValue>, &Vec<LogicalPlan>) {
        (
            &self.name,
            &self.function.symbol,
            &self.values,
            &self.cursors,
        )
    }
}

impl PartialEq for UdtfNode {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key() && Arc::ptr_eq(&self.function.ir, &other.function.ir)
    }
}

impl Eq for UdtfNode {}

impl Hash for UdtfNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for UdtfNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (&self.name, &self.function.symbol).partial_cmp(&(&other.name, &other.function.symbol))
    }
}

impl UserDefinedLogicalNodeCore for UdtfNode {
    fn name(&self) -> &str {
        "TableFunction"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.cursors.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "TableFunction: {}[cpu] {}",
            self.name, self.function.signature
        )
    }

    fn with_exprs_and_inputs(
        &self,
        _exprs: Vec<Expr>,
        inputs: Vec<LogicalPlan>,
    ) -> datafusion::common::Result<Self> {
        Ok(UdtfNode {
            cursors: inputs,
            ..self.clone()
        })
    }
}

/// Plans [`UdtfNode`]s into [`UdtfExec`]s; everything else as DataFusion does.
#[derive(Debug)]
pub(crate) struct UdtfQueryPlanner;

#[async_trait]
impl QueryPlanner for UdtfQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn datafusion::catalog::Session,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let Some(session_state) = session.as_any().downcast_ref::<SessionState>() else {
            return Err(DataFusionError::Internal(
                "planning without a SessionState".into(),
            ));
        };
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(UdtfExtensionPlanner)])
            .create_physical_plan(logical_plan, session_state)
            .await
    }
}

struct UdtfExtensionPlanner;

#[async_trait]
impl ExtensionPlanner for UdtfExtensionPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn datafusion::catalog::Session,
        _planning_ctx: &datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext,
    ) -> datafusion::common::Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<UdtfNode>() else {
            return Ok(None);
        };
        // Table functions have no GPU build: asking for the GPU is an error, as for a
        // scalar function without one, never a silent CPU run. (The statement's device is
        // known here, in its query state, not yet when its SQL is planned.)
        let device = session
            .config_options()
            .extensions
            .get::<UdfOptions>()
            .map(|o| o.device.parse::<DevicePreference>())
            .transpose()?;
        if device == Some(DevicePreference::Gpu) {
            return Err(Error::GpuUnavailable {
                function: node.name.clone(),
                reason: "table functions run on the CPU only (SET udf_device = 'cpu' or \
                         'auto' to run it there)"
                    .into(),
            }
            .into());
        }
        Ok(Some(Arc::new(UdtfExec::new(
            node,
            physical_inputs.to_vec(),
        ))))
    }
}

/// Runs a table function: one output partition, its cursors read whole.
#[derive(Debug)]
pub(crate) struct UdtfExec {
    name: String,
    kernel: TableKernel,
    values: Vec<ArgValue>,
    children: Vec<Arc<dyn ExecutionPlan>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    budget: usize,
    runs: Arc<RunCounts>,
}

impl UdtfExec {
    fn new(node: &UdtfNode, children: Vec<Arc<dyn ExecutionPlan>>) -> Self {
        let schema: SchemaRef = Arc::new(node.schema.as_arrow().clone());
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        UdtfExec {
            name: node.name.clone(),
            kernel: node.function.kernel.clone(),
            values: node.values.clone(),
            children,
            schema,
            properties,
            budget: node.budget,
            runs: Arc::clone(&node.function.runs),
        }
    }
}

impl DisplayAs for UdtfExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "TableFunctionExec: {}[cpu]", self.name)
    }
}

impl ExecutionPlan for UdtfExec {
    fn name(&self) -> &str {
        "TableFunctionExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.children.iter().collect()
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false; self.children.len()]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> datafusion::common::Result<TreeNodeRecursion>,
    ) -> datafusion::common::Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(UdtfExec {
            name: self.name.clone(),
            kernel: self.kernel.clone(),
            values: self.values.clone(),
            children,
            schema: Arc::clone(&self.schema),
            properties: Arc::clone(&self.properties),
            budget: self.budget,
            runs: Arc::clone(&self.runs),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> datafusion::common::Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "TableFunctionExec has one partition, asked for {partition}"
            )));
        }
        let call = Call {
            name: self.name.clone(),
            kernel: self.kernel.clone(),
            values: self.values.clone(),
            children: self.children.clone(),
            schema: Arc::clone(&self.schema),
            budget: self.budget,
            runs: Arc::clone(&self.runs),
        };
        let batches = futures::stream::once(call.run(context))
            .map_ok(|batches| futures::stream::iter(batches.into_iter().map(Ok)))
            .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// One execution of a table function.
struct Call {
    name: String,
    kernel: TableKernel,
    values: Vec<ArgValue>,
    children: Vec<Arc<dyn ExecutionPlan>>,
    schema: SchemaRef,
    budget: usize,
    runs: Arc<RunCounts>,
}

impl Call {
    async fn run(self, context: Arc<TaskContext>) -> datafusion::common::Result<Vec<RecordBatch>> {
        // Each cursor whole, its partitions in order.
        let mut cursors: Vec<(Vec<ArrayRef>, usize)> = Vec::with_capacity(self.children.len());
        for child in &self.children {
            let mut batches = Vec::new();
            let partitions = child.properties().partitioning.partition_count();
            for p in 0..partitions {
                let mut stream = child.execute(p, Arc::clone(&context))?;
                while let Some(batch) = stream.next().await {
                    batches.push(batch?);
                }
            }
            let rows = batches.iter().map(|b| b.num_rows()).sum();
            let columns = (0..child.schema().fields().len())
                .map(|c| {
                    let parts: Vec<&dyn datafusion::arrow::array::Array> =
                        batches.iter().map(|b| b.column(c).as_ref()).collect();
                    if parts.is_empty() {
                        Ok(datafusion::arrow::array::new_empty_array(
                            child.schema().field(c).data_type(),
                        ))
                    } else {
                        concat(&parts).map_err(DataFusionError::from)
                    }
                })
                .collect::<datafusion::common::Result<Vec<_>>>()?;
            cursors.push((columns, rows));
        }
        let sig = self.kernel.signature().clone();
        // The packed column bytes (NULL → sentinel), per cursor.
        let mut packed: Vec<Vec<std::borrow::Cow<'_, [u8]>>> = Vec::with_capacity(cursors.len());
        for (columns, _) in &cursors {
            let mut bytes = Vec::with_capacity(columns.len());
            for column in columns {
                let element =
                    crate::overload::scalar_type(column.data_type()).ok_or_else(|| {
                        DataFusionError::Internal(format!(
                            "a cursor column of `{}` is {}",
                            self.name,
                            column.data_type()
                        ))
                    })?;
                bytes.push(element_bytes(column, element)?);
            }
            packed.push(bytes);
        }
        let args: Vec<TableValue<'_>> = self
            .values
            .iter()
            .map(|v| match v {
                ArgValue::Cursor(i) => TableValue::Cursor {
                    columns: packed[*i].iter().map(|b| b.as_ref()).collect(),
                    rows: cursors[*i].1,
                },
                ArgValue::Scalar(bits) => TableValue::Scalar(*bits),
                ArgValue::Sizer(n) => TableValue::Sizer(*n),
            })
            .collect();
        let statement = context
            .session_config()
            .options()
            .extensions
            .get::<StatementExtension>()
            .and_then(|s| s.control.clone());
        let run = |interrupt: &compiler::Interrupt| self.kernel.run(&args, interrupt, self.budget);
        let output = match &statement {
            Some(control) if control.is_stopped() => Err(compiler::Error::Interrupted),
            Some(control) => control.run_kernel(&self.name, run),
            None => run(&compiler::Interrupt::new()),
        }
        .map_err(|e| call_error(&self.name, &e, statement.as_deref()))?;
        self.runs
            .record(false, cursors.iter().map(|(_, rows)| rows).sum());
        let columns = sig
            .outputs
            .iter()
            .zip(output.columns)
            .map(|(o, bytes)| elements_array(o.ty, bytes))
            .collect::<datafusion::common::Result<Vec<ArrayRef>>>()?;
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        let size = context.session_config().batch_size().max(1);
        Ok((0..batch.num_rows())
            .step_by(size)
            .map(|start| batch.slice(start, size.min(batch.num_rows() - start)))
            .collect())
    }
}

/// A kernel error as the query's error: the function's own errors as HeavyDB words them.
fn call_error(
    name: &str,
    e: &compiler::Error,
    control: Option<&watchdog::StatementControl>,
) -> DataFusionError {
    if let Some(own) = watchdog::kernel_error(name, e, control) {
        return own.into();
    }
    Error::TableFunction {
        function: name.to_string(),
        message: e.to_string(),
    }
    .into()
}

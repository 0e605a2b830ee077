//! DataFusion scalar UDFs for IR functions.
//!
//! A SQL name maps to one [`IrFunction`] holding all its overloads. The planner sees it
//! while it builds a plan: it picks the overload from the argument types (see
//! [`crate::overload`]) to type the call. The [`crate::analyzer::BindIrCalls`] rule then
//! replaces each call by a [`BoundOverload`] of exactly one overload, with casts on the
//! arguments, so that later rewrites (constant folding turning `CAST(5 AS BIGINT)` into a
//! literal) cannot change which overload runs or what type the call has.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::device::{DevicePreference, UdfOptions};
use crate::error::Error;
use crate::invoke::{Placement, invoke};
use crate::overload::{Overload, narrowest_literal, resolve};
use crate::watchdog::{StatementControl, StatementExtension};

/// UDFs are declared deterministic: DataFusion may evaluate a call on constants once while
/// planning.
const VOLATILITY: Volatility = Volatility::Immutable;

/// All overloads of one SQL function name.
#[derive(Debug)]
pub(crate) struct IrFunction {
    name: String,
    overloads: Vec<Arc<Overload>>,
    /// Distinguishes successive definitions under the same name (DataFusion compares UDFs
    /// by value, e.g. to deduplicate expressions).
    generation: u64,
    signature: Signature,
}

impl IrFunction {
    pub(crate) fn new(name: String, overloads: Vec<Arc<Overload>>, generation: u64) -> Self {
        IrFunction {
            name,
            overloads,
            generation,
            signature: Signature::user_defined(VOLATILITY),
        }
    }

    /// The overload a call with `arg_types` runs, by HeavyDB's implicit-cast rules.
    pub(crate) fn resolve(&self, arg_types: &[DataType]) -> Result<&Arc<Overload>> {
        self.resolve_call(arg_types, arg_types)
    }

    /// Resolves on `arg_types`; errors show the types as written, `shown`.
    fn resolve_call(&self, arg_types: &[DataType], shown: &[DataType]) -> Result<&Arc<Overload>> {
        let signatures: Vec<_> = self.overloads.iter().map(|o| &o.signature).collect();
        resolve(&self.name, &signatures, arg_types, shown)
            .map(|i| &self.overloads[i])
            .map_err(DataFusionError::from)
    }

    /// Runs the overload that `args` select on them, one row on the CPU, without SQL.
    /// `literals`: type integers as SQL literals would be (as narrow as their value
    /// allows) rather than as given. Returns the result and the
    /// overload that ran, as `name(BIGINT, BIGINT) -> BIGINT`. `control` bounds its time.
    pub(crate) fn call(
        &self,
        args: &[ScalarValue],
        literals: bool,
        control: &StatementControl,
    ) -> Result<(ScalarValue, String)> {
        let types: Vec<DataType> = args.iter().map(ScalarValue::data_type).collect();
        // Integers are typed as narrowly as a SQL literal; floats stay DOUBLE (a client's
        // float is a double, and narrowing `1.5` to FLOAT would pick a float32 overload).
        let selecting: Vec<DataType> = if literals {
            args.iter()
                .zip(&types)
                .map(|(value, ty)| match value {
                    ScalarValue::Int64(_) => narrowest_literal(value)
                        .map_or_else(|| ty.clone(), |narrow| narrow.data_type()),
                    _ => ty.clone(),
                })
                .collect()
        } else {
            types.clone()
        };
        let overload = self.resolve_call(&selecting, &types)?;
        let declared = overload.arg_types();
        let values = args
            .iter()
            .zip(&declared)
            .map(|(value, ty)| value.cast_to(ty).map(ColumnarValue::Scalar))
            .collect::<Result<Vec<_>>>()?;
        let placement = Placement {
            device: DevicePreference::Cpu,
            gpu_min_rows: usize::MAX,
        };
        let value = match invoke(&self.name, overload, &values, 1, placement, Some(control))? {
            ColumnarValue::Scalar(value) => value,
            // A call without arguments runs over one row.
            ColumnarValue::Array(array) => ScalarValue::try_from_array(&array, 0)?,
        };
        let shown = |types: &[DataType]| {
            types
                .iter()
                .map(crate::calcite::type_name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let signature = format!(
            "{}({}) -> {}",
            self.name,
            shown(&declared),
            crate::calcite::type_name(&overload.return_type())
        );
        Ok((value, signature))
    }

    /// The call bound to `overload`, placed as the session's `udf.*` settings say, for
    /// the analyzer. An explicit `gpu` the overload cannot honour fails here, at planning.
    pub(crate) fn bind(
        &self,
        overload: &Arc<Overload>,
        options: Option<&UdfOptions>,
    ) -> Result<BoundOverload> {
        let placement = Placement {
            device: match options {
                Some(o) => o.device.parse::<DevicePreference>()?,
                None => DevicePreference::Cpu,
            },
            gpu_min_rows: options.map_or(usize::MAX, |o| o.gpu_min_rows),
        };
        if let (DevicePreference::Gpu, Err(reason)) = (placement.device, &overload.gpu) {
            return Err(Error::GpuUnavailable {
                function: self.name.clone(),
                reason: reason.clone(),
            }
            .into());
        }
        Ok(BoundOverload::new(
            self.name.clone(),
            Arc::clone(overload),
            self.generation,
            placement,
        ))
    }
}

/// The argument types overload resolution sees for a call: literals typed as narrowly as
/// their value allows (HeavyDB types `5` as the smallest integer holding it, DataFusion
/// as Int64), everything else as is. The analyzer applies the same narrowing to the
/// literals themselves, so the plan's type and the bound overload agree.
pub(crate) fn call_types(types: &[DataType], literals: &[Option<&ScalarValue>]) -> Vec<DataType> {
    types
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            literals
                .get(i)
                .copied()
                .flatten()
                .and_then(narrowest_literal)
                .map_or_else(|| ty.clone(), |narrow| narrow.data_type())
        })
        .collect()
}

/// `types` with integer and double arrays as arrays of their narrowest element type.
fn loosen_arrays(types: &[DataType]) -> Vec<DataType> {
    types
        .iter()
        .map(|t| match t {
            DataType::List(element) => {
                let narrow = match element.data_type() {
                    DataType::Int16 | DataType::Int32 | DataType::Int64 => DataType::Int8,
                    DataType::Float64 => DataType::Float32,
                    _ => return t.clone(),
                };
                DataType::List(Arc::new(Field::new_list_field(narrow, true)))
            }
            other => other.clone(),
        })
        .collect()
}

impl PartialEq for IrFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.generation == other.generation
    }
}

impl Eq for IrFunction {}

impl Hash for IrFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.generation.hash(state);
    }
}

impl ScalarUDFImpl for IrFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.resolve(arg_types)?.return_type())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let call = call_types(&types, args.scalar_arguments);
        // An array literal reaches the planner as a `make_array` call, not a literal: its
        // values, which the analyzer narrows when it binds the call, are unknown here.
        // Typed as narrowly as possible, it finds the overload the analyzer will bind.
        let overload = self.resolve_call(&call, &types).or_else(|e| {
            let loose = loosen_arrays(&call);
            if loose == call {
                return Err(e);
            }
            self.resolve_call(&loose, &types).map_err(|_| e)
        })?;
        // Always nullable: a result equal to the NULL sentinel is NULL.
        Ok(Arc::new(Field::new(
            &self.name,
            overload.return_type(),
            true,
        )))
    }

    /// Leaves the types alone: `return_field_from_args` must see the call's own types (it
    /// only gets the coerced ones), and the analyzer inserts the casts when it binds the
    /// call.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        internal_err!(
            "call of `{}` reached execution without being bound to an overload",
            self.name
        )
    }
}

/// A call bound to one overload and placed on a device; what actually runs.
///
/// Plans show it as `name[device](args)` (`twice[cpu](v@0)`, `twice[gpu](v@0)`, or
/// `twice[gpu ≥1000000 rows, else cpu](v@0)` for `auto`), so `EXPLAIN` says where each
/// call runs; output columns keep the names of the expressions as written.
#[derive(Debug)]
pub(crate) struct BoundOverload {
    /// The SQL name, for error messages and result fields.
    function: String,
    /// `function[device]`: what plans show.
    name: String,
    overload: Arc<Overload>,
    generation: u64,
    signature: Signature,
    placement: Placement,
}

impl BoundOverload {
    pub(crate) fn new(
        name: String,
        overload: Arc<Overload>,
        generation: u64,
        placement: Placement,
    ) -> Self {
        let arg_types = overload.arg_types();
        let signature = if arg_types.is_empty() {
            Signature::nullary(VOLATILITY)
        } else {
            Signature::exact(arg_types, VOLATILITY)
        };
        let device = match (placement.device, overload.gpu.is_ok()) {
            (DevicePreference::Gpu, _) => "gpu".to_string(),
            (DevicePreference::Auto, true) => {
                format!("gpu ≥{} rows, else cpu", placement.gpu_min_rows)
            }
            (DevicePreference::Cpu, _) | (DevicePreference::Auto, false) => "cpu".to_string(),
        };
        BoundOverload {
            name: format!("{name}[{device}]"),
            function: name,
            overload,
            generation,
            signature,
            placement,
        }
    }
}

impl BoundOverload {
    /// The SQL name it was called by.
    pub(crate) fn function(&self) -> &str {
        &self.function
    }

    pub(crate) fn overload(&self) -> &Arc<Overload> {
        &self.overload
    }

    pub(crate) fn placement(&self) -> Placement {
        self.placement
    }
}

impl PartialEq for BoundOverload {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.generation == other.generation
            && self.overload.signature == other.overload.signature
    }
}

impl Eq for BoundOverload {}

impl Hash for BoundOverload {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.generation.hash(state);
        self.overload.signature.hash(state);
    }
}

impl ScalarUDFImpl for BoundOverload {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.overload.return_type())
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            &self.function,
            self.overload.return_type(),
            true,
        )))
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // The statement's control rides in its session config (see `Engine::statement_state`).
        let statement = args.config_options.extensions.get::<StatementExtension>();
        invoke(
            &self.function,
            &self.overload,
            &args.args,
            args.number_rows,
            self.placement,
            statement.and_then(|s| s.control.as_deref()),
        )
    }
}

/// Stands in for a function the session does not know, to learn the argument types of a
/// call of it: planning the statement again with the probe registered (in a throw-away copy
/// of the session) records the types of the first call and stops.
#[derive(Debug)]
pub(crate) struct ArgTypeProbe {
    name: String,
    seen: Arc<Mutex<Option<Vec<DataType>>>>,
    signature: Signature,
}

impl ArgTypeProbe {
    pub(crate) fn new(name: String, seen: Arc<Mutex<Option<Vec<DataType>>>>) -> Self {
        ArgTypeProbe {
            name,
            seen,
            signature: Signature::user_defined(VOLATILITY),
        }
    }
}

impl PartialEq for ArgTypeProbe {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.seen, &other.seen)
    }
}

impl Eq for ArgTypeProbe {}

impl Hash for ArgTypeProbe {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ArgTypeProbe {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Null)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        self.seen.lock().get_or_insert(types);
        plan_err!("argument types of `{}` recorded", self.name)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        internal_err!("the argument type probe `{}` cannot run", self.name)
    }
}

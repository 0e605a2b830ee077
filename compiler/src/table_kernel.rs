//! Compiled table functions and the safe entry point that calls one over host columns.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::jit::LinkedObject;
use crate::kernel::{Interrupt, RawKernelFn};
use crate::runtime::{Arena, GENERIC_ERROR, GuardedBuffer, TableCall};
use crate::table_signature::{ColumnType, Sizer, TableArg, TableSignature};

/// What HeavyDB ≥ 9 table functions return when the row count was set through the manager.
const NOT_AN_ERROR: i32 = -20299;

/// One table function to register from a module: the IR symbol and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableFunctionSpec {
    pub symbol: String,
    pub signature: TableSignature,
}

impl TableFunctionSpec {
    pub fn new(symbol: impl Into<String>, signature: TableSignature) -> Self {
        TableFunctionSpec {
            symbol: symbol.into(),
            signature,
        }
    }
}

/// The value of one SQL argument of a table function call.
#[derive(Debug, Clone)]
pub enum TableValue<'a> {
    /// A cursor's columns, in order (a `ColumnList` field takes the columns left over
    /// by the other fields), each `rows` packed values of its field's type with NULLs as
    /// the type's sentinel (a bool is one byte, 0 or 1).
    Cursor { columns: Vec<&'a [u8]>, rows: usize },
    /// A literal scalar: its value's little-endian bits (a bool is 0 or 1).
    Scalar(u64),
    /// The sizer's argument.
    Sizer(i64),
}

/// What a table function returned: `rows` rows of each output column, packed (NULLs are
/// the type's sentinel).
#[derive(Debug, Clone, PartialEq)]
pub struct TableOutput {
    pub columns: Vec<Vec<u8>>,
    pub rows: usize,
}

/// A compiled table function. Cheap to clone; keeps its machine code alive.
#[derive(Clone)]
pub struct TableKernel {
    pub(crate) symbol: String,
    pub(crate) signature: TableSignature,
    pub(crate) entry: RawKernelFn,
    pub(crate) _code: Arc<LinkedObject>,
}

impl std::fmt::Debug for TableKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TableKernel({} {})", self.symbol, self.signature)
    }
}

/// `{T** ptrs, i64 num_cols, i64 num_rows}`.
#[repr(C)]
struct ColumnListStruct {
    ptrs: *const *const u8,
    num_cols: i64,
    num_rows: i64,
}

impl TableKernel {
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    pub fn signature(&self) -> &TableSignature {
        &self.signature
    }

    /// The rows output columns get before the call, for a sizer that fixes them.
    fn capacity(&self, args: &[TableValue<'_>]) -> Result<Option<usize>> {
        let sizer_value = args.iter().find_map(|a| match a {
            TableValue::Sizer(v) => Some(*v),
            _ => None,
        });
        let first_rows = args.iter().find_map(|a| match a {
            TableValue::Cursor { rows, .. } => Some(*rows),
            _ => None,
        });
        let bad = |what: String| Err(Error::TableFunction(what));
        Ok(Some(match self.signature.sizer {
            Sizer::RowMultiplier => {
                let m = sizer_value.unwrap_or(1);
                if m <= 0 {
                    return bad(format!("the RowMultiplier must be positive, got {m}"));
                }
                (m as usize)
                    .checked_mul(first_rows.unwrap_or(0))
                    .ok_or_else(|| {
                        Error::TableFunction("the RowMultiplier is too large".to_string())
                    })?
            }
            Sizer::ConstantParameter => {
                let n = sizer_value.unwrap_or(0);
                if n < 0 {
                    return bad(format!(
                        "the ConstantParameter must not be negative, got {n}"
                    ));
                }
                n as usize
            }
            Sizer::Constant(n) => n as usize,
            Sizer::TableFunctionSpecified => return Ok(None),
        }))
    }

    /// Calls the table function once over `args` (one per [`TableArg`] of its signature;
    /// a trailing RowMultiplier may be left out, meaning 1). Output columns and what the
    /// function allocates take at most `budget` bytes. The call stops early, with
    /// [`Error::Interrupted`], when `interrupt` is set.
    pub fn run(
        &self,
        args: &[TableValue<'_>],
        interrupt: &Interrupt,
        budget: usize,
    ) -> Result<TableOutput> {
        let sig = &self.signature;
        let mut args: Vec<TableValue<'_>> = args.to_vec();
        if args.len() + 1 == sig.args.len()
            && sig.sizer == Sizer::RowMultiplier
            && matches!(sig.args.last(), Some(TableArg::Sizer))
        {
            args.push(TableValue::Sizer(1));
        }
        if args.len() != sig.args.len() {
            return Err(Error::Call(format!(
                "{} takes {} arguments, got {}",
                self.symbol,
                sig.args.len(),
                args.len()
            )));
        }
        // Host-owned storage the IR parameters point at; none of it moves until the
        // call returns (each Vec is filled completely before any pointer is taken).
        let mut column_structs: Vec<[u64; 2]> = Vec::new();
        let mut list_ptrs: Vec<(Vec<*const u8>, usize)> = Vec::new();
        let mut values: Vec<u64> = Vec::new();
        // Per IR input parameter (after the manager): which storage it points at.
        enum Slot {
            Column(usize),
            List(usize),
            Value(usize),
        }
        let mut slots: Vec<Slot> = Vec::new();
        for (i, (arg, value)) in sig.args.iter().zip(&args).enumerate() {
            let bad = |what: String| {
                Err(Error::Call(format!(
                    "argument {} of {}: {what}",
                    i + 1,
                    self.symbol
                )))
            };
            match (arg, value) {
                (TableArg::Cursor { fields, .. }, TableValue::Cursor { columns, rows }) => {
                    let surplus = columns.len() as isize - fields.len() as isize;
                    let has_list = fields
                        .iter()
                        .any(|f| matches!(f, ColumnType::ColumnList(_)));
                    if surplus < 0 || (surplus > 0 && !has_list) {
                        return bad(format!(
                            "a cursor of {} columns for {} fields",
                            columns.len(),
                            fields.len()
                        ));
                    }
                    let mut next = columns.iter();
                    for field in fields {
                        let take = match field {
                            ColumnType::Column(_) => 1,
                            ColumnType::ColumnList(_) => 1 + surplus as usize,
                        };
                        let width = field.element().width();
                        let mut ptrs = Vec::with_capacity(take);
                        for column in next.by_ref().take(take) {
                            if column.len() < rows * width {
                                return bad(format!(
                                    "a column of {} bytes for {rows} rows of {}",
                                    column.len(),
                                    field.element()
                                ));
                            }
                            ptrs.push(column.as_ptr());
                        }
                        match field {
                            ColumnType::Column(_) => {
                                slots.push(Slot::Column(column_structs.len()));
                                column_structs.push([ptrs[0] as u64, *rows as u64]);
                            }
                            ColumnType::ColumnList(_) => {
                                slots.push(Slot::List(list_ptrs.len()));
                                list_ptrs.push((ptrs, *rows));
                            }
                        }
                    }
                }
                (TableArg::Scalar(_), TableValue::Scalar(bits)) => {
                    slots.push(Slot::Value(values.len()));
                    values.push(*bits);
                }
                (TableArg::Sizer, TableValue::Sizer(v)) => {
                    let Ok(v) = i32::try_from(*v) else {
                        return bad(format!("the sizer {v} does not fit an int32"));
                    };
                    slots.push(Slot::Value(values.len()));
                    values.push(v as u32 as u64);
                }
                (arg, value) => return bad(format!("{arg:?} given {value:?}")),
            }
        }
        // Built once every list is known: the structs point into `list_ptrs`' vectors,
        // whose buffers stay put.
        let list_structs: Vec<ColumnListStruct> = list_ptrs
            .iter()
            .map(|(ptrs, rows)| ColumnListStruct {
                ptrs: ptrs.as_ptr(),
                num_cols: ptrs.len() as i64,
                num_rows: *rows as i64,
            })
            .collect();

        let capacity = self.capacity(&args)?;
        let widths: Vec<usize> = sig.outputs.iter().map(|o| o.ty.width()).collect();
        let mut output_structs: Vec<[u64; 2]> = vec![[0, 0]; sig.outputs.len()];
        let mut preallocated: Vec<GuardedBuffer> = Vec::new();
        if let Some(rows) = capacity {
            let total = widths
                .iter()
                .try_fold(0usize, |a, w| a.checked_add(rows.checked_mul(*w)?));
            if total.is_none_or(|t| t > budget) {
                return Err(Error::TableFunction(format!(
                    "{rows} output rows would take more than {} MiB",
                    budget >> 20
                )));
            }
            for (out, width) in output_structs.iter_mut().zip(&widths) {
                let buffer = GuardedBuffer::new(rows * width).map_err(Error::TableFunction)?;
                *out = [buffer.as_mut_ptr() as u64, rows as u64];
                preallocated.push(buffer);
            }
        }

        // The manager argument: the IR may only pass it back to the runtime, which
        // ignores it; any non-null address will do.
        let manager_token: u64 = 0;
        let mut params: Vec<*const u8> = Vec::new();
        if sig.manager {
            params.push((&manager_token as *const u64).cast());
        }
        for slot in &slots {
            params.push(match *slot {
                Slot::Column(i) => (&column_structs[i] as *const [u64; 2]).cast(),
                Slot::List(i) => (&list_structs[i] as *const ColumnListStruct).cast(),
                Slot::Value(i) => (&values[i] as *const u64).cast(),
            });
        }
        let output_ptr = output_structs.as_mut_ptr();
        for j in 0..output_structs.len() {
            // SAFETY: `j` is in bounds; the pointer is taken from the Vec's own buffer,
            // which is not resized while the call runs.
            params.push(unsafe { output_ptr.add(j) }.cast::<u8>().cast_const());
        }
        debug_assert_eq!(params.len(), sig.ir_params().len());

        interrupt.check()?;
        Arena::install(budget);
        TableCall::install(TableCall {
            outputs: (0..output_structs.len())
                // SAFETY: as above, in bounds of the output structs.
                .map(|j| (unsafe { output_ptr.add(j) }, widths[j]))
                .collect(),
            buffers: Vec::new(),
            rows_set: None,
            message: None,
            refused: None,
            budget,
        });
        let mut ret: i64 = 0;
        // SAFETY: `entry` is the table kernel generated for this signature
        // (`RawKernelFn` shape): it reads `params.len()` pointers from `params`, loads each
        // by-value parameter (≤ 8 bytes) from the `u64` it points at, passes the others on
        // as struct pointers, and writes the function's result (sign-extended) to `ret`.
        // Every struct it hands the function describes host memory that is live for the
        // call: input columns checked above to hold their rows, output buffers allocated
        // for the structs' sizes. A fault ends only this call (`guard`).
        let called = unsafe {
            crate::guard::call(
                self.entry,
                0,
                params.as_ptr(),
                (&mut ret as *mut i64).cast(),
                std::ptr::null(),
                interrupt.as_ptr(),
            )
        };
        let call = TableCall::take();
        let arena = Arena::take();
        let call =
            call.ok_or_else(|| Error::Internal("the table call was not installed".into()))?;
        if let Some(reason) = arena.refused.or(call.refused) {
            return Err(Error::TableFunction(reason));
        }
        called?;
        interrupt.check()?;
        let code = ret as i32;
        let (rows, buffers) = match code {
            GENERIC_ERROR => {
                return Err(Error::TableFunction(
                    call.message
                        .unwrap_or_else(|| "no error message set".to_string()),
                ));
            }
            NOT_AN_ERROR => match call.rows_set {
                Some(n) => (n as usize, &call.buffers),
                None => return Err(Error::OutputRowsUnset(self.symbol.clone())),
            },
            code if code < 0 => {
                return Err(Error::TableFunction(match call.message {
                    Some(m) => m,
                    None => format!("`{}` returned error code {code}", self.symbol),
                }));
            }
            rows => {
                let rows = rows as usize;
                let (buffers, capacity) = match capacity {
                    Some(c) => (&preallocated, c),
                    None => match call.rows_set {
                        Some(n) => (&call.buffers, n as usize),
                        None => return Err(Error::OutputRowsUnset(self.symbol.clone())),
                    },
                };
                if rows > capacity {
                    return Err(Error::TooManyRows {
                        function: self.symbol.clone(),
                        returned: rows,
                        capacity,
                    });
                }
                (rows, buffers)
            }
        };
        let columns = buffers
            .iter()
            .zip(&widths)
            .map(|(buffer, width)| buffer.bytes(rows * width).to_vec())
            .collect();
        Ok(TableOutput { columns, rows })
    }
}

//! Running one overload's column kernel over Arrow arrays.
//!
//! The kernel sees raw little-endian value buffers (array and text arguments: elements,
//! offsets and their own NULL bitmap), one validity bitmap (the union of the scalar
//! arguments' NULLs: a function taking an array or text is called for a NULL one, which it
//! sees as `is_null`) and writes one value per row. Results equal to the return type's
//! HeavyDB NULL sentinel become NULL.

use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::sync::Arc;

use compiler::{Interrupt, Kernel, KernelArg, ScalarType, ValueType};
use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, ListArray, PrimitiveArray,
    StringArray, new_null_array,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    ArrowNativeType, DataType, Field, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, ToByteSlice,
};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_datafusion_err};
use datafusion::logical_expr::ColumnarValue;

use crate::device::{DevicePreference, GpuBuild};
use crate::error::Error;
use crate::overload::{Overload, arrow_type};
use crate::watchdog::{self, StatementControl};

/// Where a call may run (from the session's `udf.*` settings).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) device: DevicePreference,
    /// Fewest rows for `auto` to choose the GPU.
    pub(crate) gpu_min_rows: usize,
}

/// Evaluates `overload` (registered as `name`) on `args` for `number_rows` rows. Scalars
/// are expanded to arrays; when every argument is a scalar the result is a scalar. CPU
/// kernels poll `control`'s interrupt (the statement's time limit and cancellation).
pub(crate) fn invoke(
    name: &str,
    overload: &Overload,
    args: &[ColumnarValue],
    number_rows: usize,
    placement: Placement,
    control: Option<&StatementControl>,
) -> Result<ColumnarValue> {
    let return_type = overload.return_type();
    let all_scalars =
        !args.is_empty() && args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    // A NULL for a scalar argument makes every row NULL: no need to run anything.
    if args
        .iter()
        .zip(&overload.signature.args)
        .any(|(a, t)| !t.is_buffer() && matches!(a, ColumnarValue::Scalar(s) if s.is_null()))
    {
        return Ok(if all_scalars {
            ColumnarValue::Scalar(ScalarValue::try_from(&return_type)?)
        } else {
            ColumnarValue::Array(new_null_array(&return_type, number_rows))
        });
    }
    let n = if all_scalars { 1 } else { number_rows };
    let arrays = args
        .iter()
        .map(|a| a.to_array(n))
        .collect::<Result<Vec<ArrayRef>>>()?;
    for (i, (array, &declared)) in arrays.iter().zip(&overload.signature.args).enumerate() {
        if array.len() != n || *array.data_type() != arrow_type(declared) {
            return Err(DataFusionError::Internal(format!(
                "argument {} of `{name}` is {} with {} rows, the kernel takes {declared} \
                 and {n} rows",
                i + 1,
                array.data_type(),
                array.len(),
            )));
        }
    }

    let validity = NullBuffer::union_many(
        arrays
            .iter()
            .zip(&overload.signature.args)
            .filter(|(_, t)| !t.is_buffer())
            .map(|(a, _)| a.nulls()),
    );
    let result = if validity.as_ref().is_some_and(|v| v.null_count() == n) {
        new_null_array(&return_type, n)
    } else {
        let values = arrays
            .iter()
            .zip(&overload.signature.args)
            .map(|(array, &ty)| kernel_input(array, ty))
            .collect::<Result<Vec<KernelInput<'_>>>>()?;
        let gpu = match placement.device {
            DevicePreference::Cpu => None,
            DevicePreference::Gpu => Some(overload.gpu.as_ref().map_err(|reason| {
                DataFusionError::from(Error::GpuUnavailable {
                    function: name.to_string(),
                    reason: reason.clone(),
                })
            })?),
            DevicePreference::Auto => overload
                .gpu
                .as_ref()
                .ok()
                .filter(|_| n >= placement.gpu_min_rows),
        };
        overload.runs.record(gpu.is_some(), n);
        let call = KernelCall {
            name,
            kernel: &overload.kernel,
            gpu,
            n,
            args: values.iter().map(KernelInput::as_arg).collect(),
            validity,
            control,
        };
        match overload.signature.ret {
            ValueType::Scalar(ret) => call.scalar_result(ret)?,
            ret @ (ValueType::Array(_) | ValueType::Text) => call.buffer_result(ret)?,
        }
    };
    Ok(if all_scalars {
        ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
    } else {
        ColumnarValue::Array(result)
    })
}

/// What one batch of a function returning arrays or text may allocate with
/// `allocate_varlen_buffer` (its results are copied into Arrow arrays, then freed).
const VARLEN_BUDGET_PER_BATCH: usize = 1 << 30;

impl KernelCall<'_> {
    fn scalar_result(self, ret: ScalarType) -> Result<ArrayRef> {
        Ok(match ret {
            ScalarType::Bool => self.bool_result()?,
            ScalarType::Int8 => self.primitive_result::<Int8Type>(ScalarType::Int8)?,
            ScalarType::Int16 => self.primitive_result::<Int16Type>(ScalarType::Int16)?,
            ScalarType::Int32 => self.primitive_result::<Int32Type>(ScalarType::Int32)?,
            ScalarType::Int64 => self.primitive_result::<Int64Type>(ScalarType::Int64)?,
            ScalarType::Float32 => self.primitive_result::<Float32Type>(ScalarType::Float32)?,
            ScalarType::Float64 => self.primitive_result::<Float64Type>(ScalarType::Float64)?,
        })
    }

    /// Runs a function returning arrays or text and copies what it returned into an Arrow
    /// list (element sentinels become NULL elements) or UTF-8 column (which must be valid
    /// UTF-8). A row is NULL when an argument was, or when the UDF returned a NULL.
    fn buffer_result(self, ret: ValueType) -> Result<ArrayRef> {
        let validity = self.validity.as_ref().map(|v| v.inner().sliced());
        let results = self.run_controlled(|interrupt| {
            self.kernel.run_buffers(
                self.n,
                &self.args,
                validity.as_ref().map(|v| v.as_slice()),
                interrupt,
                VARLEN_BUDGET_PER_BATCH,
            )
        })?;
        let mut offsets: Vec<i32> = Vec::with_capacity(self.n + 1);
        offsets.push(0);
        let mut values: Vec<u8> = Vec::new();
        let mut valid = Vec::with_capacity(self.n);
        let width = ret.element().map_or(1, |e| e.width());
        for i in 0..self.n {
            let row = if self.validity.as_ref().is_some_and(|v| v.is_null(i)) {
                None
            } else {
                results.row(i).map_err(|e| self.kernel_error(e))?
            };
            valid.push(row.is_some());
            values.extend_from_slice(row.unwrap_or_default());
            let end = i32::try_from(values.len() / width).map_err(|_| {
                exec_datafusion_err!(
                    "`{}` returned more than {} elements in one batch",
                    self.name,
                    i32::MAX
                )
            })?;
            offsets.push(end);
        }
        let nulls = Some(NullBuffer::from(valid)).filter(|n| n.null_count() > 0);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(match ret {
            ValueType::Text => Arc::new(
                StringArray::try_new(offsets, Buffer::from_vec(values), nulls).map_err(|e| {
                    exec_datafusion_err!("`{}` returned text that is not UTF-8: {e}", self.name)
                })?,
            ),
            ValueType::Array(element) => {
                let elements = elements_array(element, values)?;
                let field = Arc::new(Field::new_list_field(elements.data_type().clone(), true));
                Arc::new(ListArray::try_new(field, offsets, elements, nulls)?)
            }
            ValueType::Scalar(_) => {
                return Err(DataFusionError::Internal(
                    "buffer_result for a scalar".into(),
                ));
            }
        })
    }
}

/// Packed elements as an Arrow array; elements holding the NULL sentinel are NULL. The
/// bytes become the array's buffer without a copy when they are aligned for the type.
pub(crate) fn elements_array(element: ScalarType, bytes: Vec<u8>) -> Result<ArrayRef> {
    fn primitive<T: ArrowPrimitiveType>(element: ScalarType, bytes: Vec<u8>) -> ArrayRef {
        let width = element.width();
        let len = bytes.len() / width;
        let nulls = sentinel_nulls(&bytes[..len * width], width, element.null_sentinel_bits());
        let buffer = Buffer::from_vec(bytes);
        let values = if buffer.as_ptr().align_offset(align_of::<T::Native>()) == 0 {
            ScalarBuffer::<T::Native>::new(buffer, 0, len)
        } else {
            ScalarBuffer::from(
                buffer
                    .as_slice()
                    .chunks_exact(width)
                    .map(|c| {
                        // SAFETY: `c` holds exactly one `T::Native` (width bytes), read
                        // unaligned; every bit pattern is a valid Arrow numeric native.
                        unsafe { std::ptr::read_unaligned(c.as_ptr().cast::<T::Native>()) }
                    })
                    .collect::<Vec<T::Native>>(),
            )
        };
        Arc::new(PrimitiveArray::<T>::new(values, nulls))
    }
    Ok(match element {
        ScalarType::Bool => {
            let nulls = sentinel_nulls(&bytes, 1, element.null_sentinel_bits());
            let values = BooleanBuffer::collect_bool(bytes.len(), |i| bytes[i] != 0);
            Arc::new(BooleanArray::new(values, nulls))
        }
        ScalarType::Int8 => primitive::<Int8Type>(element, bytes),
        ScalarType::Int16 => primitive::<Int16Type>(element, bytes),
        ScalarType::Int32 => primitive::<Int32Type>(element, bytes),
        ScalarType::Int64 => primitive::<Int64Type>(element, bytes),
        ScalarType::Float32 => primitive::<Float32Type>(element, bytes),
        ScalarType::Float64 => primitive::<Float64Type>(element, bytes),
    })
}

/// The NULLs of packed `width`-byte values: those whose bits are the sentinel's low
/// `width` bytes. `None` when there are none (one scan), so most columns need no bitmap.
fn sentinel_nulls(raw: &[u8], width: usize, sentinel: u64) -> Option<NullBuffer> {
    fn scan<const W: usize>(raw: &[u8], sentinel: u64) -> Option<NullBuffer> {
        let sentinel = if W == 8 {
            sentinel
        } else {
            sentinel & ((1u64 << (8 * W)) - 1)
        };
        let bits = |c: &[u8]| {
            let mut b = [0u8; 8];
            b[..W].copy_from_slice(c);
            u64::from_le_bytes(b)
        };
        if !raw.chunks_exact(W).any(|c| bits(c) == sentinel) {
            return None;
        }
        Some(NullBuffer::new(BooleanBuffer::collect_bool(
            raw.len() / W,
            |i| bits(&raw[i * W..(i + 1) * W]) != sentinel,
        )))
    }
    match width {
        1 => scan::<1>(raw, sentinel),
        2 => scan::<2>(raw, sentinel),
        4 => scan::<4>(raw, sentinel),
        _ => scan::<8>(raw, sentinel),
    }
}

/// An argument column as the kernel reads it.
enum KernelInput<'a> {
    Values(Cow<'a, [u8]>),
    Buffers {
        values: Cow<'a, [u8]>,
        offsets: &'a [i32],
        nulls: Option<datafusion::arrow::buffer::Buffer>,
    },
}

impl KernelInput<'_> {
    fn as_arg(&self) -> KernelArg<'_> {
        match self {
            KernelInput::Values(values) => KernelArg::Values(values),
            KernelInput::Buffers {
                values,
                offsets,
                nulls,
            } => KernelArg::Buffers {
                values,
                offsets,
                nulls: nulls.as_ref().map(|b| b.as_slice()),
            },
        }
    }
}

/// `array` (checked to be `arrow_type(ty)`) as the kernel reads it: an array column's
/// elements with NULL elements as the scalar's sentinel, a text column's bytes; offsets
/// as Arrow keeps them (into the child values); the NULL bitmap at bit offset 0.
fn kernel_input(array: &ArrayRef, ty: ValueType) -> Result<KernelInput<'_>> {
    let nulls = || array.nulls().map(|n| n.inner().sliced());
    match ty {
        ValueType::Scalar(_) => Ok(KernelInput::Values(value_bytes(array)?)),
        ValueType::Array(element) => {
            let list = array.as_list_opt::<i32>().ok_or_else(|| {
                DataFusionError::Internal(format!("an array argument is {}", array.data_type()))
            })?;
            Ok(KernelInput::Buffers {
                values: element_bytes(list.values(), element)?,
                offsets: list.value_offsets(),
                nulls: nulls(),
            })
        }
        ValueType::Text => {
            let text = array.as_string_opt::<i32>().ok_or_else(|| {
                DataFusionError::Internal(format!("a text argument is {}", array.data_type()))
            })?;
            Ok(KernelInput::Buffers {
                values: Cow::Borrowed(text.values().as_slice()),
                offsets: text.value_offsets(),
                nulls: nulls(),
            })
        }
    }
}

/// The elements of an array column: [`value_bytes`], with each NULL element replaced by
/// the element type's NULL sentinel (what the UDF ABI's `is_null(i)` tests for).
pub(crate) fn element_bytes(values: &ArrayRef, element: ScalarType) -> Result<Cow<'_, [u8]>> {
    let bytes = value_bytes(values)?;
    let Some(nulls) = values.nulls().filter(|n| n.null_count() > 0) else {
        return Ok(bytes);
    };
    let width = element.width();
    let sentinel = element.null_sentinel_bits().to_le_bytes();
    let mut owned = bytes.into_owned();
    for i in (0..values.len()).filter(|&i| nulls.is_null(i)) {
        owned[i * width..(i + 1) * width].copy_from_slice(&sentinel[..width]);
    }
    Ok(Cow::Owned(owned))
}

/// The values of a column as the kernel reads them: packed little-endian values, and
/// booleans unpacked to one byte (0 or 1) per row because the UDF ABI passes `bool` as i8.
fn value_bytes(array: &ArrayRef) -> Result<Cow<'_, [u8]>> {
    fn primitive<T: ArrowPrimitiveType>(array: &ArrayRef) -> Option<Cow<'_, [u8]>> {
        Some(Cow::Borrowed(
            array.as_primitive_opt::<T>()?.values().inner().as_slice(),
        ))
    }
    let bytes = match array.data_type() {
        DataType::Boolean => array
            .as_boolean_opt()
            .map(|b| Cow::Owned(b.values().iter().map(u8::from).collect())),
        DataType::Int8 => primitive::<Int8Type>(array),
        DataType::Int16 => primitive::<Int16Type>(array),
        DataType::Int32 => primitive::<Int32Type>(array),
        DataType::Int64 => primitive::<Int64Type>(array),
        DataType::Float32 => primitive::<Float32Type>(array),
        DataType::Float64 => primitive::<Float64Type>(array),
        _ => None,
    };
    bytes.ok_or_else(|| {
        DataFusionError::Internal(format!(
            "a kernel cannot take a {} column",
            array.data_type()
        ))
    })
}

struct KernelCall<'a> {
    name: &'a str,
    kernel: &'a Kernel,
    /// Run on this GPU build instead of the CPU kernel.
    gpu: Option<&'a GpuBuild>,
    n: usize,
    args: Vec<KernelArg<'a>>,
    validity: Option<NullBuffer>,
    /// The statement the call runs for: its interrupt stops the kernel.
    control: Option<&'a StatementControl>,
}

impl KernelCall<'_> {
    /// Runs the kernel into a fresh `Vec<T>` of `n` values, returning it and how many
    /// valid rows hit the NULL sentinel.
    fn run<T: ArrowNativeType>(&self, ret: ScalarType) -> Result<(Vec<T>, usize)> {
        if size_of::<T>() != ret.width() {
            return Err(DataFusionError::Internal(format!(
                "`{}` returns {ret} ({} bytes) into {}-byte values",
                self.name,
                ret.width(),
                size_of::<T>()
            )));
        }
        if let Some(gpu) = self.gpu {
            return self.run_gpu(gpu);
        }
        // The kernel takes the bitmap at bit offset 0; `sliced` copies only when the union
        // starts mid-byte.
        let validity = self.validity.as_ref().map(|v| v.inner().sliced());
        let mut out: Vec<T> = Vec::with_capacity(self.n);
        let spare = &mut out.spare_capacity_mut()[..self.n];
        let byte_len = size_of_val(spare);
        // SAFETY: the bytes of `spare` viewed as `MaybeUninit<u8>`: same allocation and byte
        // length, `u8` needs no alignment, and `MaybeUninit<u8>` holds any or no value, so
        // nothing the kernel writes (or leaves) can be invalid.
        let out_bytes = unsafe {
            std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), byte_len)
        };
        let sentinel_hits = self.run_controlled(|interrupt| {
            self.kernel.run_args(
                self.n,
                &self.args,
                validity.as_ref().map(|v| v.as_slice()),
                out_bytes,
                interrupt,
            )
        })?;
        // SAFETY: the kernel call succeeded, so it wrote all `n` values (its contract), and
        // every bit pattern is a valid value of Arrow's native numeric types.
        unsafe { out.set_len(self.n) };
        Ok((out, sentinel_hits))
    }

    /// Runs `run` on the CPU under the statement's control: its interrupt stops the kernel,
    /// and the kernel's own errors become the statement's.
    fn run_controlled<R>(&self, run: impl FnOnce(&Interrupt) -> compiler::Result<R>) -> Result<R> {
        match self.control {
            // A statement stopped between batches runs no more of them.
            Some(control) if control.is_stopped() => Err(compiler::Error::Interrupted),
            Some(control) => control.run_kernel(self.name, run),
            // Outside a statement a kernel still needs a cell for its division faults.
            None => run(&Interrupt::new()),
        }
        .map_err(|e| self.kernel_error(e))
    }

    fn kernel_error(&self, e: compiler::Error) -> DataFusionError {
        match watchdog::kernel_error(self.name, &e, self.control) {
            Some(own) => DataFusionError::from(own),
            None => exec_datafusion_err!("`{}`: {e}", self.name),
        }
    }

    /// Runs the GPU build: one validity byte per row instead of a bitmap, and the host
    /// finds sentinel results afterwards (reported as "maybe some", so the caller scans).
    fn run_gpu<T: ArrowNativeType>(&self, gpu: &GpuBuild) -> Result<(Vec<T>, usize)> {
        let valid: Option<Vec<u8>> = self
            .validity
            .as_ref()
            .map(|v| v.iter().map(u8::from).collect());
        // The device reads array and text rows through their offsets: they are checked as
        // for the CPU kernel, so that every row stays within its elements.
        self.kernel
            .check_args(self.n, &self.args)
            .map_err(|e| self.kernel_error(e))?;
        let n = self.n;
        // The kernel reads a NULL bit for every array or text row.
        let all_valid = vec![0xFFu8; n.div_ceil(8)];
        let mut buffers: Vec<gpu::Buffer<'_>> = Vec::with_capacity(self.args.len());
        for (arg, ty) in self.args.iter().zip(self.kernel.signature().args.iter()) {
            match (arg, ty.scalar()) {
                (KernelArg::Values(bytes), Some(t)) => {
                    buffers.push(gpu::Buffer::Rows(gpu::Column {
                        bytes,
                        width: t.width(),
                    }))
                }
                (
                    KernelArg::Buffers {
                        values,
                        offsets,
                        nulls,
                    },
                    None,
                ) => {
                    buffers.push(gpu::Buffer::Whole(values));
                    buffers.push(gpu::Buffer::Whole(offsets[..=n].to_byte_slice()));
                    buffers.push(gpu::Buffer::Whole(
                        nulls.map_or(all_valid.as_slice(), |b| &b[..n.div_ceil(8)]),
                    ));
                }
                _ => {
                    return Err(exec_datafusion_err!(
                        "`{}`: a {ty} argument does not match its column",
                        self.name
                    ));
                }
            }
        }
        let mut out: Vec<T> = vec![T::default(); self.n];
        // SAFETY: `out` is initialised; viewing its bytes as `u8` (no alignment needed, any
        // bit pattern valid for Arrow's numeric natives) for the device to overwrite.
        let out_bytes = unsafe {
            std::slice::from_raw_parts_mut(
                out.as_mut_ptr().cast::<u8>(),
                size_of_val(out.as_slice()),
            )
        };
        let times = gpu
            .device
            .run_buffers(&gpu.kernel, n, &buffers, valid.as_deref(), out_bytes)
            .map_err(|e| exec_datafusion_err!("`{}` on the GPU: {e}", self.name))?;
        tracing::debug!(function = self.name, rows = self.n, ?times, "GPU batch");
        Ok((out, usize::MAX))
    }

    fn primitive_result<T: ArrowPrimitiveType>(self, ret: ScalarType) -> Result<ArrayRef> {
        let (values, sentinel_hits) = self.run::<T::Native>(ret)?;
        let nulls = if sentinel_hits == 0 {
            self.validity
        } else {
            let width = ret.width();
            let sentinel = ret.null_sentinel_bits().to_le_bytes();
            let bytes = values.to_byte_slice();
            let not_sentinel = BooleanBuffer::collect_bool(values.len(), |i| {
                bytes[i * width..(i + 1) * width] != sentinel[..width]
            });
            Some(mask(self.validity, not_sentinel))
        };
        Ok(Arc::new(PrimitiveArray::<T>::try_new(
            ScalarBuffer::from(values),
            nulls,
        )?))
    }

    /// Bool results come back as one i8 per row: the sentinel -128 is NULL, any other
    /// non-zero value is true.
    fn bool_result(self) -> Result<ArrayRef> {
        let (bytes, sentinel_hits) = self.run::<i8>(ScalarType::Bool)?;
        let values = BooleanBuffer::collect_bool(bytes.len(), |i| bytes[i] != 0);
        let nulls = if sentinel_hits == 0 {
            self.validity
        } else {
            let not_sentinel = BooleanBuffer::collect_bool(bytes.len(), |i| bytes[i] != i8::MIN);
            Some(mask(self.validity, not_sentinel))
        };
        Ok(Arc::new(BooleanArray::new(values, nulls)))
    }
}

fn mask(validity: Option<NullBuffer>, valid: BooleanBuffer) -> NullBuffer {
    match validity {
        Some(v) => NullBuffer::new(v.inner() & &valid),
        None => NullBuffer::new(valid),
    }
}

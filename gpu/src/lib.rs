//! CUDA devices for udf-server: discovery that never panics, a per-device cache of loaded
//! PTX modules, and launches of column kernels over host buffers: small launches copy
//! whole columns through device memory reused across batches, big ones are staged in
//! chunks through pinned memory on two streams so that copies overlap compute
//! ([`Transfers`]). Phase times come from CUDA events.
//!
//! **API Boundary:** this is the only crate that knows CUDA (through `cudarc`, loading
//! `libcuda` at run time). It takes PTX text and byte buffers; it knows nothing of LLVM,
//! SQL or Arrow.
//!
//! The kernel calling convention is the one the compiler's NVPTX path emits:
//! `kernel(i64 n, ptr arg0, …, ptr argK, ptr out, ptr valid)` — column buffers in device
//! memory, `valid` one byte per row (non-zero = every argument present) or null.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod staged;

use cudarc::driver::sys::{CUdevice_attribute, CUevent_flags};
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaModule, CudaSlice, CudaStream, DriverError,
    PushKernelArg,
};
use parking_lot::Mutex;

/// Errors from CUDA, each naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No NVIDIA driver library on this machine.
    #[error("no CUDA driver: {0}")]
    NoDriver(String),
    /// The driver is there but the device is not.
    #[error("no CUDA device {ordinal} (this machine has {count})")]
    NoDevice { ordinal: usize, count: usize },
    /// A driver call failed.
    #[error("CUDA {what} failed: {source}")]
    Driver {
        what: &'static str,
        #[source]
        source: DriverError,
    },
    /// The arguments of a launch do not fit the kernel or each other.
    #[error("bad kernel launch: {0}")]
    Launch(String),
    /// The driver library lacks something cudarc expected (too old a driver).
    #[error("the CUDA driver failed unexpectedly during {what}: {message}")]
    DriverPanic { what: &'static str, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn driver(what: &'static str) -> impl FnOnce(DriverError) -> Error {
    move |source| Error::Driver { what, source }
}

/// Runs a driver call that cudarc may turn into a panic (a symbol missing from an old
/// `libcuda`), so that it becomes an error instead.
fn guarded<T>(what: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(Error::DriverPanic { what, message })
    })
}

/// What a device is, for handshakes and choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub ordinal: usize,
    pub name: String,
    /// (major, minor), e.g. (9, 0) for an H100.
    pub compute_capability: (i32, i32),
    pub memory_bytes: usize,
    pub multiprocessors: i32,
    /// CUDA version the driver supports, e.g. (12, 8).
    pub driver_version: (i32, i32),
}

/// Whether the NVIDIA driver library can be loaded. Must be asked before any other CUDA
/// call: cudarc panics when the library is missing.
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen libcuda by its usual names; no CUDA call is made.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// Every CUDA device, or why there are none. Never panics.
pub fn probe() -> Result<Vec<DeviceInfo>> {
    if !driver_present() {
        return Err(Error::NoDriver(
            "libcuda.so cannot be loaded (no NVIDIA driver installed)".into(),
        ));
    }
    guarded("device discovery", || {
        let count = CudaContext::device_count().map_err(driver("device count"))?;
        (0..count.max(0) as usize).map(device_info).collect()
    })
}

fn device_info(ordinal: usize) -> Result<DeviceInfo> {
    let ctx = CudaContext::new(ordinal).map_err(driver("context creation"))?;
    info_of(&ctx, ordinal)
}

fn info_of(ctx: &Arc<CudaContext>, ordinal: usize) -> Result<DeviceInfo> {
    let mut version: std::ffi::c_int = 0;
    // SAFETY: cuDriverGetVersion writes one int through the pointer, which is valid.
    unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) }
        .result()
        .map_err(driver("driver version"))?;
    Ok(DeviceInfo {
        ordinal,
        name: ctx.name().map_err(driver("device name"))?,
        compute_capability: ctx
            .compute_capability()
            .map_err(driver("compute capability"))?,
        memory_bytes: ctx.total_mem().map_err(driver("memory size"))?,
        multiprocessors: ctx
            .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(driver("multiprocessor count"))?,
        driver_version: (version / 1000, (version % 1000) / 10),
    })
}

/// A module loaded on a device, and its kernels.
pub struct GpuModule {
    module: Arc<CudaModule>,
    functions: Mutex<HashMap<String, CudaFunction>>,
}

impl GpuModule {
    /// The kernel `name` of this module.
    pub fn kernel(&self, name: &str) -> Result<GpuKernel> {
        let mut functions = self.functions.lock();
        if let Some(f) = functions.get(name) {
            return Ok(GpuKernel {
                name: name.to_string(),
                function: f.clone(),
            });
        }
        let f = self
            .module
            .load_function(name)
            .map_err(driver("kernel lookup"))?;
        functions.insert(name.to_string(), f.clone());
        Ok(GpuKernel {
            name: name.to_string(),
            function: f,
        })
    }
}

impl std::fmt::Debug for GpuModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuModule")
            .field("kernels", &self.functions.lock().keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Clone)]
pub struct GpuKernel {
    name: String,
    function: CudaFunction,
}

impl std::fmt::Debug for GpuKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuKernel")
            .field("name", &self.name)
            .finish()
    }
}

/// Where the time of one launch went. Phases are measured with CUDA events on the
/// device; when transfers are staged they overlap, and each phase is the sum over chunks,
/// so `total` (host wall clock, call to return) can be less than their sum.
#[derive(Debug, Clone, Copy, Default)]
pub struct LaunchTimes {
    pub to_device: Duration,
    pub kernel: Duration,
    pub to_host: Duration,
    pub total: Duration,
    /// How the columns travelled.
    pub transfers: Transfers,
}

/// How a launch moves its columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transfers {
    /// Whole columns copied from (pageable) host memory, then one kernel, then the
    /// result copied back: three phases one after the other.
    #[default]
    Whole,
    /// Chunks through pinned buffers on two streams, copies overlapping compute.
    Staged,
}

impl Transfers {
    /// The choice for a launch moving `bytes` in and out: staging pays once a launch spans
    /// a few chunks; below that, the pinned copy costs more than it saves.
    pub fn for_bytes(bytes: usize) -> Transfers {
        if bytes >= 2 * staged::CHUNK_BYTES {
            Transfers::Staged
        } else {
            Transfers::Whole
        }
    }
}

/// Bandwidth of copies between pinned host memory and the device, in bytes per second:
/// the bus's practical limit, the yardstick for end-to-end times.
#[derive(Debug, Clone, Copy)]
pub struct BusBandwidth {
    pub to_device: f64,
    pub to_host: f64,
}

/// One argument column of a launch: its bytes, `n` values of `width` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    pub bytes: &'a [u8],
    pub width: usize,
}

/// One pointer parameter of a launch with buffers the kernel indexes itself
/// ([`Gpu::run_buffers`]).
#[derive(Debug, Clone, Copy)]
pub enum Buffer<'a> {
    /// A row column, as in [`Gpu::run`].
    Rows(Column<'a>),
    /// Bytes copied as they are (an array column's elements, its offsets or its NULL
    /// bitmap): the kernel finds its rows through other buffers, so they cannot be
    /// chunked by rows.
    Whole(&'a [u8]),
}

impl Buffer<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Buffer::Rows(c) => c.bytes,
            Buffer::Whole(b) => b,
        }
    }
}

/// One device: its context, a stream, loaded modules and reusable device buffers.
pub struct Gpu {
    info: DeviceInfo,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    modules: Mutex<HashMap<String, Arc<GpuModule>>>,
    /// Device buffers kept between launches, largest first; a launch takes the buffers it
    /// needs and puts them back, so batches of similar size allocate nothing.
    free: Mutex<Vec<CudaSlice<u8>>>,
    /// Launches are serialised per device: one stream, buffers borrowed from `free`; the
    /// staging slots (pinned and device buffers, two streams) of staged launches.
    launch: Mutex<Option<staged::Stages>>,
}

impl Gpu {
    /// Opens device `ordinal`.
    pub fn open(ordinal: usize) -> Result<Gpu> {
        if !driver_present() {
            return Err(Error::NoDriver(
                "libcuda.so cannot be loaded (no NVIDIA driver installed)".into(),
            ));
        }
        guarded("opening the device", || {
            let count = CudaContext::device_count()
                .map_err(driver("device count"))?
                .max(0) as usize;
            if ordinal >= count {
                return Err(Error::NoDevice { ordinal, count });
            }
            let ctx = CudaContext::new(ordinal).map_err(driver("context creation"))?;
            let info = info_of(&ctx, ordinal)?;
            let stream = ctx.new_stream().map_err(driver("stream creation"))?;
            tracing::info!(ordinal, name = info.name, cc = ?info.compute_capability, "CUDA device opened");
            Ok(Gpu {
                info,
                ctx,
                stream,
                modules: Mutex::new(HashMap::new()),
                free: Mutex::new(Vec::new()),
                launch: Mutex::new(None),
            })
        })
    }

    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Loads PTX once per `key` (e.g. a hash of the source module and target).
    pub fn load(&self, key: &str, ptx: &str) -> Result<Arc<GpuModule>> {
        let mut modules = self.modules.lock();
        if let Some(m) = modules.get(key) {
            return Ok(Arc::clone(m));
        }
        let module = guarded("loading PTX", || {
            self.ctx
                .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
                .map_err(driver("PTX load"))
        })?;
        let loaded = Arc::new(GpuModule {
            module,
            functions: Mutex::new(HashMap::new()),
        });
        modules.insert(key.to_string(), Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Drops a loaded module (its function was dropped or replaced).
    pub fn unload(&self, key: &str) {
        self.modules.lock().remove(key);
    }

    fn take_buffer(&self, len: usize) -> Result<CudaSlice<u8>> {
        let mut free = self.free.lock();
        if let Some(i) = free.iter().rposition(|b| b.len() >= len) {
            return Ok(free.swap_remove(i));
        }
        drop(free);
        // SAFETY: the buffer is written (copy in, or kernel output) before it is read.
        unsafe { self.stream.alloc::<u8>(len.max(1)) }.map_err(driver("device allocation"))
    }

    fn give_back(&self, buffers: Vec<CudaSlice<u8>>) {
        let mut free = self.free.lock();
        free.extend(buffers);
        // Keep a bounded set: the largest few.
        free.sort_by_key(|b| std::cmp::Reverse(b.len()));
        free.truncate(16);
    }

    /// Copies `bytes` into a pooled device buffer, which joins `held`.
    fn upload(&self, bytes: &[u8], held: &mut Vec<CudaSlice<u8>>) -> Result<()> {
        let mut buffer = self.take_buffer(bytes.len())?;
        let copied = self
            .stream
            .memcpy_htod(bytes, &mut buffer.slice_mut(0..bytes.len()));
        held.push(buffer);
        copied.map_err(driver("copy to device"))
    }

    /// Runs `kernel` over `n` rows: moves the argument columns (and the validity bytes)
    /// to the device, launches a grid-stride grid, and moves `out` back, staging big
    /// launches ([`Transfers::for_bytes`]).
    pub fn run(
        &self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Column<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<LaunchTimes> {
        let buffers: Vec<Buffer<'_>> = args.iter().copied().map(Buffer::Rows).collect();
        self.run_buffers(kernel, n, &buffers, valid, out)
    }

    /// [`Gpu::run`] for arguments that may include buffers the kernel indexes itself
    /// (array and text columns: elements, offsets, NULL bitmap), one device pointer per
    /// entry of `args`, in order. A launch with such a buffer is copied whole: it cannot be
    /// staged by rows.
    pub fn run_buffers(
        &self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Buffer<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<LaunchTimes> {
        let transfers = if args.iter().all(|a| matches!(a, Buffer::Rows(_))) {
            let bytes = args.iter().map(|a| a.bytes().len()).sum::<usize>()
                + valid.map_or(0, <[u8]>::len)
                + out.len();
            Transfers::for_bytes(bytes)
        } else {
            Transfers::Whole
        };
        self.checked_launch(kernel, n, args, valid, out, transfers)
    }

    /// [`Gpu::run`] with the transfers chosen by the caller (benchmarks compare them).
    pub fn run_with(
        &self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Column<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
        transfers: Transfers,
    ) -> Result<LaunchTimes> {
        let buffers: Vec<Buffer<'_>> = args.iter().copied().map(Buffer::Rows).collect();
        self.checked_launch(kernel, n, &buffers, valid, out, transfers)
    }

    /// Checks a launch's buffers against `n` and runs it as `transfers` says.
    fn checked_launch(
        &self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Buffer<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
        transfers: Transfers,
    ) -> Result<LaunchTimes> {
        for (i, arg) in args.iter().enumerate() {
            if let Buffer::Rows(c) = arg
                && c.bytes.len() != n * c.width
            {
                return Err(Error::Launch(format!(
                    "argument {i} has {} bytes, expected {n} values of {} bytes",
                    c.bytes.len(),
                    c.width
                )));
            }
        }
        if valid.is_some_and(|v| v.len() != n) {
            return Err(Error::Launch(format!("validity mask is not {n} bytes")));
        }
        if n == 0 {
            return Ok(LaunchTimes::default());
        }
        if !out.len().is_multiple_of(n) || out.is_empty() {
            return Err(Error::Launch(format!(
                "output of {} bytes is not {n} values",
                out.len()
            )));
        }
        let mut stages = self.launch.lock();
        guarded("a kernel launch", || match transfers {
            Transfers::Whole => self.run_whole(kernel, n, args, valid, out),
            Transfers::Staged => {
                let rows = args
                    .iter()
                    .map(|a| match a {
                        Buffer::Rows(c) => Ok(*c),
                        Buffer::Whole(_) => Err(Error::Launch(
                            "a staged launch takes row columns only".into(),
                        )),
                    })
                    .collect::<Result<Vec<Column<'_>>>>()?;
                staged::Stages::run(
                    &mut stages,
                    &self.ctx,
                    kernel,
                    n,
                    &rows,
                    valid,
                    out,
                    self.info.multiprocessors,
                )
            }
        })
    }

    fn event(&self) -> Result<CudaEvent> {
        self.ctx
            .new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
            .map_err(driver("event creation"))
    }

    fn record(&self) -> Result<CudaEvent> {
        let event = self.event()?;
        event.record(&self.stream).map_err(driver("event record"))?;
        Ok(event)
    }

    fn run_whole(
        &self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Buffer<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<LaunchTimes> {
        let started = Instant::now();
        let mut buffers = Vec::with_capacity(args.len() + 2);
        let result = (|| {
            let begin = self.record()?;
            // Held in `buffers` as they are taken, so that every one goes back to the pool
            // however the launch ends: the arguments, then the validity mask, then `out`.
            for c in args {
                self.upload(c.bytes(), &mut buffers)?;
            }
            if let Some(v) = valid {
                self.upload(v, &mut buffers)?;
            }
            buffers.push(self.take_buffer(out.len())?);
            let copied_in = self.record()?;
            let (out_buffer, inputs) = buffers.split_last().expect("pushed above");
            let (columns, valid_buffer) = inputs.split_at(args.len());

            let rows = n as i64;
            let null_ptr: u64 = 0;
            let mut launch = self.stream.launch_builder(&kernel.function);
            launch.arg(&rows);
            for b in columns {
                launch.arg(b);
            }
            launch.arg(out_buffer);
            match valid_buffer.first() {
                Some(v) => launch.arg(v),
                None => launch.arg(&null_ptr),
            };
            // SAFETY: the kernel's parameters are (i64 n, one device pointer per argument
            // buffer, the output pointer, the validity pointer), as pushed above; every row
            // column holds n values of its width, and whole buffers are what the caller
            // passed (their consistency with the row count, such as n + 1 offsets within
            // the elements, is the caller's contract), so the kernel's accesses for rows
            // < n are in bounds.
            unsafe { launch.launch(staged::grid(n, self.info.multiprocessors)) }
                .map_err(driver("kernel launch"))?;
            let computed = self.record()?;
            self.stream
                .memcpy_dtoh(&out_buffer.slice(0..out.len()), out)
                .map_err(driver("copy to host"))?;
            let copied_out = self.record()?;
            self.stream
                .synchronize()
                .map_err(driver("kernel execution"))?;
            let between = |a: &CudaEvent, b: &CudaEvent| -> Result<Duration> {
                let ms = a.elapsed_ms(b).map_err(driver("event timing"))?;
                Ok(Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3))
            };
            Ok(LaunchTimes {
                to_device: between(&begin, &copied_in)?,
                kernel: between(&copied_in, &computed)?,
                to_host: between(&computed, &copied_out)?,
                total: started.elapsed(),
                transfers: Transfers::Whole,
            })
        })();
        self.give_back(buffers);
        result
    }

    /// Measures copies of `bytes` between pinned host memory and the device (best of
    /// three each way).
    pub fn bus_bandwidth(&self, bytes: usize) -> Result<BusBandwidth> {
        let bytes = bytes.max(1);
        let _serial = self.launch.lock();
        guarded("measuring the bus", || {
            // SAFETY: the memory is zeroed right below, before any copy reads it.
            let mut host = unsafe { self.ctx.alloc_pinned_with_flags::<u8>(bytes, 0) }
                .map_err(driver("pinned allocation"))?;
            host.as_mut_slice()
                .map_err(driver("pinned allocation"))?
                .fill(0);
            let mut device = self.take_buffer(bytes)?;
            let result = (|| {
                let mut best = (f64::MAX, f64::MAX);
                for _ in 0..3 {
                    let begin = self.record()?;
                    self.stream
                        .memcpy_htod(&host, &mut device.slice_mut(0..bytes))
                        .map_err(driver("copy to device"))?;
                    let middle = self.record()?;
                    self.stream
                        .memcpy_dtoh(&device.slice(0..bytes), &mut host)
                        .map_err(driver("copy to host"))?;
                    let end = self.record()?;
                    let up = begin.elapsed_ms(&middle).map_err(driver("event timing"))?;
                    let down = middle.elapsed_ms(&end).map_err(driver("event timing"))?;
                    best = (best.0.min(f64::from(up)), best.1.min(f64::from(down)));
                }
                Ok(BusBandwidth {
                    to_device: bytes as f64 / (best.0.max(1e-6) / 1e3),
                    to_host: bytes as f64 / (best.1.max(1e-6) / 1e3),
                })
            })();
            let _ = self.stream.synchronize();
            self.give_back(vec![device]);
            result
        })
    }
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

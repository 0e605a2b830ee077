//! Staged transfers: big launches run in chunks through page-locked host buffers on two
//! streams, so that one chunk's copies overlap the other's kernel and copies.
//!
//! Copies from pageable memory (Arrow buffers) go through the driver's own small bounce
//! buffers at a fraction of the bus bandwidth, and a whole-column copy cannot start the
//! kernel before the last byte has arrived. Here each chunk's columns are copied (by
//! several host threads) into a pinned buffer, sent with one asynchronous copy, computed,
//! and sent back into a pinned buffer, on the stream of its slot; while the device works
//! on chunk `i`, the host fills the other slot with chunk `i + 1`.
//!
//! Memory here is allocated through the raw driver API and synchronised by this module
//! alone: a slot's buffers are touched by the host only after its `done` event completed.

use std::ffi::c_void;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cudarc::driver::sys::{self, CUevent_flags};
use cudarc::driver::{CudaContext, CudaEvent, CudaStream, LaunchConfig, PushKernelArg, result};

use crate::{Column, GpuKernel, LaunchTimes, Result, Transfers, driver};

/// Bytes of one chunk's inputs (and, at most, of its output). 32 MiB keeps a chunk's copy
/// near a millisecond on PCIe 4/5 (launch costs are microseconds) with 128 MiB of pinned
/// memory in all.
pub(crate) const CHUNK_BYTES: usize = 32 << 20;

/// Column offsets inside a chunk buffer are aligned to this (the driver's allocation
/// alignment), so every column starts aligned for any element width.
const ALIGN: usize = 256;

/// Page-locked host memory.
struct Pinned {
    ctx: Arc<CudaContext>,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the allocation is plain memory owned by this value; access is serialised by
// the `Gpu`'s launch lock, which owns the slots.
unsafe impl Send for Pinned {}

impl Pinned {
    fn new(ctx: &Arc<CudaContext>, len: usize) -> Result<Pinned> {
        ctx.bind_to_thread()
            .map_err(driver("binding the context"))?;
        // SAFETY: cuMemHostAlloc with no flags returns `len` bytes of page-locked memory
        // or an error; the memory is freed once, in Drop.
        let ptr = unsafe { result::malloc_host(len, 0) }.map_err(driver("pinned allocation"))?;
        Ok(Pinned {
            ctx: Arc::clone(ctx),
            ptr: ptr.cast(),
            len,
        })
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` points to `len` bytes owned by this value; `&mut self` makes the
        // borrow unique on the host, and callers wait for the slot's event before
        // touching memory the device may still be copying.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if self.ctx.bind_to_thread().is_ok() {
            // SAFETY: allocated by cuMemHostAlloc in `new` and freed only here; slots are
            // dropped after their streams were synchronised.
            let _ = unsafe { result::free_host(self.ptr as *mut c_void) };
        }
    }
}

/// Device memory.
struct DeviceBuffer {
    ctx: Arc<CudaContext>,
    ptr: sys::CUdeviceptr,
    len: usize,
}

impl DeviceBuffer {
    fn new(ctx: &Arc<CudaContext>, len: usize) -> Result<DeviceBuffer> {
        ctx.bind_to_thread()
            .map_err(driver("binding the context"))?;
        // SAFETY: cuMemAlloc returns `len` bytes of device memory or an error; freed once,
        // in Drop. The memory is written (copy in, kernel output) before it is read.
        let ptr = unsafe { result::malloc_sync(len) }.map_err(driver("device allocation"))?;
        Ok(DeviceBuffer {
            ctx: Arc::clone(ctx),
            ptr,
            len,
        })
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        if self.ctx.bind_to_thread().is_ok() {
            // SAFETY: allocated by cuMemAlloc in `new` and freed only here, after the
            // slot's stream was synchronised.
            let _ = unsafe { result::free_sync(self.ptr) };
        }
    }
}

/// Chunk `index` of a launch, waiting in a slot for its output to be copied out.
#[derive(Clone, Copy)]
struct Pending {
    first_row: usize,
    rows: usize,
}

/// One half of the pipeline: a stream and the buffers of the chunk on it.
struct Slot {
    stream: Arc<CudaStream>,
    host_in: Pinned,
    host_out: Pinned,
    device_in: DeviceBuffer,
    device_out: DeviceBuffer,
    /// Events around the chunk's phases: before the copy in, after it, after the kernel,
    /// after the copy out (which is when the slot's buffers are free again).
    events: [CudaEvent; 4],
    pending: Option<Pending>,
}

/// The pipeline's two slots, created at the first staged launch and kept.
pub(crate) struct Stages {
    slots: Vec<Slot>,
}

/// How a launch's rows are laid out in a chunk buffer.
struct Layout {
    rows_per_chunk: usize,
    /// Bytes per row of each block of `host_in`: the argument columns, then the validity
    /// bytes.
    widths: Vec<usize>,
    /// Offset of each block in `host_in`.
    offsets: Vec<usize>,
    in_bytes: usize,
    out_width: usize,
    out_bytes: usize,
}

fn align(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

fn layout(widths: Vec<usize>, out_width: usize) -> Layout {
    let row_in: usize = widths.iter().sum();
    let rows_per_chunk = (CHUNK_BYTES / row_in.max(out_width).max(1)).max(1);
    let mut offsets = Vec::with_capacity(widths.len());
    let mut at = 0;
    for w in &widths {
        offsets.push(at);
        at += align(rows_per_chunk * w);
    }
    Layout {
        rows_per_chunk,
        widths,
        offsets,
        in_bytes: at.max(ALIGN),
        out_width,
        out_bytes: align(rows_per_chunk * out_width).max(ALIGN),
    }
}

impl Layout {
    /// Bytes of `host_in` a chunk of `rows` occupies: up to the end of its last block.
    fn used_in(&self, rows: usize) -> usize {
        self.offsets
            .last()
            .zip(self.widths.last())
            .map_or(0, |(&offset, &width)| offset + rows * width)
    }
}

impl Stages {
    fn new(ctx: &Arc<CudaContext>, layout: &Layout) -> Result<Stages> {
        let slots = (0..2)
            .map(|_| Slot::new(ctx, layout))
            .collect::<Result<Vec<_>>>()?;
        Ok(Stages { slots })
    }

    /// Runs `kernel` over `n` rows in chunks, on the stages `kept` (made, or remade when
    /// their buffers are too small for this launch's layout). `args` and `valid` are
    /// checked by the caller; `multiprocessors` sizes the grid.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        kept: &mut Option<Stages>,
        ctx: &Arc<CudaContext>,
        kernel: &GpuKernel,
        n: usize,
        args: &[Column<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
        multiprocessors: i32,
    ) -> Result<LaunchTimes> {
        let started = Instant::now();
        let widths = args
            .iter()
            .map(|c| c.width)
            .chain(valid.map(|_| 1))
            .collect();
        let layout = layout(widths, out.len() / n);
        let fits = kept.as_ref().is_some_and(|s| {
            s.slots.iter().all(|slot| {
                slot.host_in.len >= layout.in_bytes && slot.host_out.len >= layout.out_bytes
            })
        });
        if !fits {
            // Free the old buffers before taking new ones.
            *kept = None;
            *kept = Some(Stages::new(ctx, &layout)?);
        }
        let stages = kept.as_mut().expect("set above");
        let mut times = LaunchTimes {
            transfers: Transfers::Staged,
            ..LaunchTimes::default()
        };
        let result = stages.run_chunks(
            kernel,
            n,
            args,
            valid,
            out,
            &layout,
            multiprocessors,
            &mut times,
        );
        if result.is_err() {
            // Leave no copy running into buffers the next launch reuses.
            for slot in &mut stages.slots {
                let _ = slot.stream.synchronize();
                slot.pending = None;
            }
        }
        result?;
        times.total = started.elapsed();
        Ok(times)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_chunks(
        &mut self,
        kernel: &GpuKernel,
        n: usize,
        args: &[Column<'_>],
        valid: Option<&[u8]>,
        out: &mut [u8],
        layout: &Layout,
        multiprocessors: i32,
        times: &mut LaunchTimes,
    ) -> Result<()> {
        let out_width = layout.out_width;
        let mut first_row = 0;
        let mut index = 0;
        while first_row < n {
            let rows = layout.rows_per_chunk.min(n - first_row);
            let slot = &mut self.slots[index % 2];
            slot.finish(out, out_width, times)?;

            // Fill the slot's pinned input: each column's rows of this chunk, then the
            // validity bytes.
            let host_in = slot.host_in.as_mut_slice();
            let sources = args.iter().map(|c| c.bytes).chain(valid);
            for ((&offset, &width), bytes) in layout.offsets.iter().zip(&layout.widths).zip(sources)
            {
                let len = rows * width;
                let from = first_row * width;
                parallel_copy(&mut host_in[offset..offset + len], &bytes[from..from + len]);
            }
            slot.enqueue(
                kernel,
                rows,
                args.len(),
                valid.is_some(),
                layout,
                layout.used_in(rows),
                rows * out_width,
                multiprocessors,
            )?;
            slot.pending = Some(Pending { first_row, rows });
            first_row += rows;
            index += 1;
        }
        for i in 0..self.slots.len() {
            // The older chunk first: it was enqueued first.
            let slot = &mut self.slots[(index + i) % 2];
            slot.finish(out, out_width, times)?;
        }
        Ok(())
    }
}

impl Slot {
    fn new(ctx: &Arc<CudaContext>, layout: &Layout) -> Result<Slot> {
        let stream = ctx.new_stream().map_err(driver("stream creation"))?;
        let event = || {
            ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
                .map_err(driver("event creation"))
        };
        Ok(Slot {
            host_in: Pinned::new(ctx, layout.in_bytes)?,
            host_out: Pinned::new(ctx, layout.out_bytes)?,
            device_in: DeviceBuffer::new(ctx, layout.in_bytes)?,
            device_out: DeviceBuffer::new(ctx, layout.out_bytes)?,
            events: [event()?, event()?, event()?, event()?],
            stream,
            pending: None,
        })
    }

    /// Waits for the slot's chunk, if any, copies its output into `out` and adds its
    /// phase times.
    fn finish(&mut self, out: &mut [u8], out_width: usize, times: &mut LaunchTimes) -> Result<()> {
        let Some(chunk) = self.pending.take() else {
            return Ok(());
        };
        self.events[3]
            .synchronize()
            .map_err(driver("a staged chunk"))?;
        let elapsed = |a: usize, b: usize| -> Result<Duration> {
            let ms = self.events[a]
                .elapsed_ms(&self.events[b])
                .map_err(driver("event timing"))?;
            Ok(Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3))
        };
        times.to_device += elapsed(0, 1)?;
        times.kernel += elapsed(1, 2)?;
        times.to_host += elapsed(2, 3)?;
        let len = chunk.rows * out_width;
        let from = chunk.first_row * out_width;
        parallel_copy(
            &mut out[from..from + len],
            &self.host_out.as_mut_slice()[..len],
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        kernel: &GpuKernel,
        rows: usize,
        columns: usize,
        has_valid: bool,
        layout: &Layout,
        used_in: usize,
        used_out: usize,
        multiprocessors: i32,
    ) -> Result<()> {
        let stream = &self.stream;
        let cu_stream = stream.cu_stream();
        self.events[0]
            .record(stream)
            .map_err(driver("event record"))?;
        if used_in > 0 {
            let host_in = &self.host_in.as_mut_slice()[..used_in];
            // SAFETY: `host_in` is pinned memory of at least `used_in` bytes that the host
            // does not touch again before `events[3]` (recorded after this copy) completes;
            // the device buffer holds `layout.in_bytes >= used_in` bytes.
            unsafe { result::memcpy_htod_async(self.device_in.ptr, host_in, cu_stream) }
                .map_err(driver("copy to device"))?;
        }
        self.events[1]
            .record(stream)
            .map_err(driver("event record"))?;

        let n = rows as i64;
        let pointers: Vec<u64> = layout
            .offsets
            .iter()
            .map(|&offset| self.device_in.ptr + offset as u64)
            .collect();
        let null: u64 = 0;
        let out_ptr = self.device_out.ptr;
        let mut launch = stream.launch_builder(&kernel.function);
        launch.arg(&n);
        for p in &pointers[..columns] {
            launch.arg(p);
        }
        launch.arg(&out_ptr);
        launch.arg(if has_valid { &pointers[columns] } else { &null });
        // SAFETY: the kernel takes (i64 n, a device pointer per column, the output pointer,
        // the validity pointer or null), as pushed; each column's pointer has `rows`
        // values of its width inside `device_in` (see `layout`), and `device_out` holds
        // `rows` results, so accesses for rows < n are in bounds.
        unsafe { launch.launch(grid(rows, multiprocessors)) }.map_err(driver("kernel launch"))?;
        self.events[2]
            .record(stream)
            .map_err(driver("event record"))?;

        let host_out = &mut self.host_out.as_mut_slice()[..used_out];
        // SAFETY: pinned memory of at least `used_out` bytes, read by the host only after
        // `events[3]` completes; `device_out` holds `used_out` bytes written by the kernel.
        unsafe { result::memcpy_dtoh_async(host_out, self.device_out.ptr, cu_stream) }
            .map_err(driver("copy to host"))?;
        self.events[3]
            .record(stream)
            .map_err(driver("event record"))?;
        debug_assert!(self.device_out.len >= used_out && self.device_in.len >= used_in);
        Ok(())
    }
}

/// The grid of a launch over `n` rows: 256 threads a block, enough blocks to fill every
/// multiprocessor several times; the kernel's grid-stride loop covers the rest.
pub(crate) fn grid(n: usize, multiprocessors: i32) -> LaunchConfig {
    let threads = 256u32;
    let blocks_needed = n.div_ceil(threads as usize);
    let max_blocks = (multiprocessors.max(1) as usize) * 32;
    LaunchConfig {
        grid_dim: (blocks_needed.min(max_blocks).max(1) as u32, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// Copies `src` into `dst` on several threads when it is big enough for one thread's
/// memory bandwidth to be the limit (a host thread copies 5–15 GB/s; PCIe 5 moves ~50).
pub(crate) fn parallel_copy(dst: &mut [u8], src: &[u8]) {
    const PIECE: usize = 4 << 20;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(src.len() / PIECE)
        .max(1);
    if threads == 1 {
        dst.copy_from_slice(src);
        return;
    }
    let piece = src.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (d, s) in dst.chunks_mut(piece).zip(src.chunks(piece)) {
            scope.spawn(move || d.copy_from_slice(s));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_fits_a_chunk_and_aligns_columns() {
        let l = layout(vec![8, 8, 1], 8);
        assert_eq!(l.rows_per_chunk, CHUNK_BYTES / 17);
        assert_eq!(l.offsets.len(), 3);
        assert!(l.offsets.iter().all(|o| o % ALIGN == 0));
        assert!(l.offsets[1] >= l.rows_per_chunk * 8);
        assert!(l.in_bytes >= l.offsets[2] + l.rows_per_chunk);
        assert!(l.in_bytes <= CHUNK_BYTES + 3 * ALIGN);
        assert!(l.out_bytes >= l.rows_per_chunk * 8 && l.out_bytes <= CHUNK_BYTES + ALIGN);
        // A wide result of narrow arguments: the output bounds the chunk.
        let l = layout(vec![1], 8);
        assert_eq!(l.rows_per_chunk, CHUNK_BYTES / 8);
        // No arguments at all.
        let l = layout(vec![], 4);
        assert!(l.in_bytes > 0 && l.offsets.is_empty());
    }

    #[test]
    fn parallel_copy_copies_every_byte() {
        for len in [0, 1, 4095, (4 << 20) + 7, (12 << 20) + 3] {
            let src: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut dst = vec![0u8; len];
            parallel_copy(&mut dst, &src);
            assert!(dst == src, "length {len}");
        }
    }
}

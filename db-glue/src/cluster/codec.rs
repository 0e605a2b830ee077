//! Plan codecs that carry IR functions to a Ballista cluster.
//!
//! Ballista knows a UDF by name from a registry its processes build at start, so a
//! function registered with udf-server after the cluster started would be unknown there.
//! Our codecs wrap Ballista's own (which keep encoding its shuffle and cache nodes) and
//! encode every bound IR call *with its code*: the SQL name, the symbol, the signature,
//! where it may run, the IR, and a SHA-256 content hash over symbol, signature and IR. A
//! process that decodes such a call (the scheduler, to plan; each executor, to run)
//! checks the hash, then compiles the IR with the same policy as udf-server, once per
//! hash ([`ShippedCode`]): a replaced function has new IR, hence a new hash, and the next
//! plan brings it without restarting anything. The compiler's own cache key adds the
//! process's CPU features and LLVM version, so code is never shared between machines that
//! differ.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use compiler::{CompileRequest, Compiler, CompilerOptions, FunctionSpec, Signature};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::device::{self, DevicePreference, GpuState, RunCounts};
use crate::invoke::Placement;
use crate::overload::Overload;
use crate::udf::BoundOverload;

/// Starts every encoded IR call; a buffer without it belongs to the wrapped codec.
const MAGIC: &[u8] = b"udf-server/ir-call/1\0";

/// How many compiled overloads a process keeps before it drops those no plan holds.
const MAX_CACHED: usize = 4096;

/// The content hash of an overload: what executors cache its code by.
pub(crate) fn content_hash(symbol: &str, signature: &Signature, ir: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(MAGIC);
    for part in [symbol.as_bytes(), signature.to_string().as_bytes(), ir] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

/// A call as it travels.
struct Shipped {
    function: String,
    symbol: String,
    signature: Signature,
    placement: Placement,
    hash: [u8; 32],
    ir: Arc<[u8]>,
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    buf.extend_from_slice(bytes);
}

fn encode(call: &BoundOverload, buf: &mut Vec<u8>) {
    let overload = call.overload();
    write(
        buf,
        call.function(),
        &overload.symbol,
        &overload.signature,
        call.placement(),
        overload.content_hash(),
        &overload.ir,
    );
}

fn write(
    buf: &mut Vec<u8>,
    function: &str,
    symbol: &str,
    signature: &Signature,
    placement: Placement,
    hash: &[u8; 32],
    ir: &[u8],
) {
    buf.extend_from_slice(MAGIC);
    put(buf, function.as_bytes());
    put(buf, symbol.as_bytes());
    put(buf, signature.to_string().as_bytes());
    put(buf, placement.device.to_string().as_bytes());
    buf.extend_from_slice(&(placement.gpu_min_rows as u64).to_le_bytes());
    buf.extend_from_slice(hash);
    put(buf, ir);
}

/// Reads the fields [`encode`] wrote, in order.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("truncated".into());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u64(&mut self) -> std::result::Result<u64, String> {
        let bytes: [u8; 8] = self
            .take(8)?
            .try_into()
            .map_err(|_| "truncated".to_string())?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn bytes(&mut self) -> std::result::Result<&'a [u8], String> {
        let n = usize::try_from(self.u64()?).map_err(|_| "truncated".to_string())?;
        self.take(n)
    }

    fn text(&mut self) -> std::result::Result<String, String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "text is not UTF-8".to_string())
    }
}

/// Reads what [`encode`] wrote; `None` when `buf` is not ours.
fn decode(buf: &[u8]) -> Option<std::result::Result<Shipped, String>> {
    let mut reader = Reader {
        rest: buf.strip_prefix(MAGIC)?,
    };
    let mut read = || -> std::result::Result<Shipped, String> {
        let function = reader.text()?;
        let symbol = reader.text()?;
        let signature = reader.text()?;
        let signature =
            Signature::parse(&signature).map_err(|e| format!("signature `{signature}`: {e}"))?;
        let device = reader
            .text()?
            .parse::<DevicePreference>()
            .map_err(|e| e.to_string())?;
        let gpu_min_rows = usize::try_from(reader.u64()?).unwrap_or(usize::MAX);
        let hash: [u8; 32] = reader
            .take(32)?
            .try_into()
            .map_err(|_| "truncated".to_string())?;
        let ir: Arc<[u8]> = reader.bytes()?.into();
        if !reader.rest.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(Shipped {
            function,
            symbol,
            signature,
            placement: Placement {
                device,
                gpu_min_rows,
            },
            hash,
            ir,
        })
    };
    Some(read())
}

/// How often a process found shipped code in its cache and how often it compiled.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ShippedCodeStats {
    pub hits: u64,
    pub compiles: u64,
    /// Calls refused: a bad hash, IR the policy or compiler refused.
    pub refused: u64,
    /// Overloads held now.
    pub cached: usize,
}

/// The code a cluster process compiled from shipped IR, by content hash. Executors hold
/// nothing else: the catalog lives in udf-server.
pub struct ShippedCode {
    compiler: Compiler,
    gpu: GpuState,
    overloads: Mutex<HashMap<[u8; 32], Arc<Overload>>>,
    /// One compile at a time, so that tasks decoding the same new function at once
    /// compile it once.
    compiling: Mutex<()>,
    hits: AtomicU64,
    compiles: AtomicU64,
    refused: AtomicU64,
}

impl fmt::Debug for ShippedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShippedCode")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl ShippedCode {
    /// `gpu`: also build for CUDA device 0 where there is one.
    pub fn new(options: CompilerOptions, gpu: bool) -> crate::Result<ShippedCode> {
        Ok(ShippedCode {
            compiler: Compiler::new(options).map_err(crate::Error::CompilerStart)?,
            gpu: GpuState::open(gpu),
            overloads: Mutex::new(HashMap::new()),
            compiling: Mutex::new(()),
            hits: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    pub fn stats(&self) -> ShippedCodeStats {
        ShippedCodeStats {
            hits: self.hits.load(Ordering::Relaxed),
            compiles: self.compiles.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            cached: self.overloads.lock().len(),
        }
    }

    /// Why this process has no GPU, if it has none.
    pub fn gpu(&self) -> &GpuState {
        &self.gpu
    }

    fn overload(&self, shipped: &Shipped) -> std::result::Result<Arc<Overload>, String> {
        if let Some(found) = self.overloads.lock().get(&shipped.hash) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(found));
        }
        let _compiling = self.compiling.lock();
        if let Some(found) = self.overloads.lock().get(&shipped.hash) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(found));
        }
        let refuse = |reason: String| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            reason
        };
        if content_hash(&shipped.symbol, &shipped.signature, &shipped.ir) != shipped.hash {
            return Err(refuse("its content hash does not match its IR".into()));
        }
        let spec = FunctionSpec::new(shipped.symbol.clone(), shipped.signature.clone());
        let started = Instant::now();
        let output = self
            .compiler
            .compile(CompileRequest {
                ir: &shipped.ir,
                functions: std::slice::from_ref(&spec),
            })
            .map_err(|e| refuse(e.to_string()))?;
        let kernel = output
            .module
            .kernel(&spec.symbol)
            .cloned()
            .ok_or_else(|| refuse(format!("no kernel for `{}`", spec.symbol)))?;
        let gpu = device::build_for_gpu(
            &self.gpu,
            &self.compiler,
            &shipped.ir,
            std::slice::from_ref(&spec),
        )
        .pop()
        .unwrap_or_else(|| Err("not built for the GPU".into()));
        self.compiles.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            function = %shipped.function,
            symbol = %shipped.symbol,
            signature = %shipped.signature,
            hash = %hex::encode(shipped.hash),
            source = ?output.source,
            gpu = gpu.is_ok(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "compiled a shipped function"
        );
        let overload = Arc::new(Overload {
            signature: shipped.signature.clone(),
            symbol: shipped.symbol.clone(),
            ir: Arc::clone(&shipped.ir),
            kernel,
            gpu,
            runs: Arc::new(RunCounts::default()),
            content: OnceLock::from(shipped.hash),
        });
        let mut overloads = self.overloads.lock();
        if overloads.len() >= MAX_CACHED {
            overloads.retain(|_, o| Arc::strong_count(o) > 1);
        }
        overloads.insert(shipped.hash, Arc::clone(&overload));
        Ok(overload)
    }

    /// The UDF a shipped call decodes to, compiled here (or found by its hash).
    fn decode_udf(&self, name: &str, buf: &[u8]) -> Option<Result<Arc<ScalarUDF>>> {
        let shipped = match decode(buf)? {
            Ok(shipped) => shipped,
            Err(reason) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return Some(Err(DataFusionError::Plan(format!(
                    "cannot read the shipped function `{name}`: {reason}"
                ))));
            }
        };
        Some(
            self.overload(&shipped)
                .map(|overload| {
                    Arc::new(ScalarUDF::new_from_impl(BoundOverload::new(
                        shipped.function.clone(),
                        overload,
                        0,
                        shipped.placement,
                    )))
                })
                .map_err(|reason| {
                    DataFusionError::Plan(format!(
                        "cannot run `{}` ({}, shipped as {}) here: {reason}",
                        shipped.function,
                        shipped.signature,
                        hex::encode(&shipped.hash[..8])
                    ))
                }),
        )
    }
}

/// Encodes a bound IR call with its code; `false` for any other UDF.
fn encode_udf(node: &ScalarUDF, buf: &mut Vec<u8>) -> bool {
    match node.inner().downcast_ref::<BoundOverload>() {
        Some(call) => {
            encode(call, buf);
            true
        }
        None => false,
    }
}

fn no_code(name: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "`{name}` is an IR function shipped in a plan, and this process does not run them"
    ))
}

/// Ballista's logical codec plus IR calls. `code`: where decoded calls are compiled;
/// `None` in udf-server, which only encodes.
#[derive(Debug)]
pub struct IrLogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
    code: Option<Arc<ShippedCode>>,
}

impl IrLogicalCodec {
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>, code: Option<Arc<ShippedCode>>) -> Self {
        IrLogicalCodec { inner, code }
    }
}

impl LogicalExtensionCodec for IrLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if buf.starts_with(MAGIC) {
            let code = self.code.as_ref().ok_or_else(|| no_code(name))?;
            if let Some(udf) = code.decode_udf(name, buf) {
                return udf;
            }
        }
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udf(node, buf) {
            return Ok(());
        }
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// Ballista's physical codec (shuffle readers and writers, …) plus IR calls.
#[derive(Debug)]
pub struct IrPhysicalCodec {
    inner: Arc<dyn PhysicalExtensionCodec>,
    code: Arc<ShippedCode>,
}

impl IrPhysicalCodec {
    pub fn new(inner: Arc<dyn PhysicalExtensionCodec>, code: Arc<ShippedCode>) -> Self {
        IrPhysicalCodec { inner, code }
    }
}

impl PhysicalExtensionCodec for IrPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match self.code.decode_udf(name, buf) {
            Some(udf) => udf,
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udf(node, buf) {
            return Ok(());
        }
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.inner.try_decode_expr(buf, inputs, ctx)
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.inner.try_encode_expr(node, buf, ctx)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_refuses_truncated_and_foreign_buffers() {
        assert!(decode(b"not ours").is_none());
        let mut buf = MAGIC.to_vec();
        buf.extend_from_slice(&5u64.to_le_bytes());
        buf.extend_from_slice(b"ab");
        assert!(matches!(decode(&buf), Some(Err(reason)) if reason == "truncated"));
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(decode(&huge), Some(Err(_))));
    }

    const TWICE: &[u8] = b"define i64 @twice(i64 %x) {\n  %r = mul i64 %x, 2\n  ret i64 %r\n}\n";

    fn shipped(ir: &[u8], hash: Option<[u8; 32]>) -> Vec<u8> {
        let signature = Signature::parse("int64(int64)").unwrap();
        let hash = hash.unwrap_or_else(|| content_hash("twice", &signature, ir));
        let placement = Placement {
            device: DevicePreference::Cpu,
            gpu_min_rows: 10,
        };
        let mut buf = Vec::new();
        write(&mut buf, "twice", "twice", &signature, placement, &hash, ir);
        buf
    }

    fn code() -> ShippedCode {
        ShippedCode::new(CompilerOptions::default(), false).unwrap()
    }

    #[test]
    fn a_shipped_call_compiles_once_per_hash() {
        let code = code();
        let buf = shipped(TWICE, None);
        let udf = code.decode_udf("twice", &buf).unwrap().unwrap();
        assert_eq!(udf.name(), "twice[cpu]");
        let again = code.decode_udf("twice", &buf).unwrap().unwrap();
        assert_eq!(again.name(), "twice[cpu]");
        let stats = code.stats();
        assert_eq!(
            (stats.compiles, stats.hits, stats.cached),
            (1, 1, 1),
            "{stats:?}"
        );
        // New IR is a new hash: compiled again, the old entry stays until evicted.
        let thrice = b"define i64 @twice(i64 %x) {\n  %r = mul i64 %x, 3\n  ret i64 %r\n}\n";
        code.decode_udf("twice", &shipped(thrice, None))
            .unwrap()
            .unwrap();
        assert_eq!(code.stats().compiles, 2);
    }

    #[test]
    fn bad_shipments_are_refused_by_name() {
        let code = code();
        let e = code
            .decode_udf("twice", &shipped(TWICE, Some([7; 32])))
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`twice`") && e.contains("content hash does not match"),
            "{e}"
        );
        let hostile = b"declare i32 @system(ptr)\ndefine i64 @twice(i64 %x) {\n  \
            %c = call i32 @system(ptr null)\n  ret i64 %x\n}\n";
        let e = code
            .decode_udf("twice", &shipped(hostile, None))
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot run `twice`") && e.contains("system"),
            "{e}"
        );
        let mut trailing = shipped(TWICE, None);
        trailing.push(0);
        let e = code
            .decode_udf("twice", &trailing)
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(e.contains("trailing bytes"), "{e}");
        assert_eq!(code.stats().refused, 3);
        assert!(code.decode_udf("twice", b"something else").is_none());
    }

    #[test]
    fn the_hash_covers_symbol_signature_and_ir() {
        let sig = Signature::parse("int64(int64)").unwrap();
        let other = Signature::parse("int32(int32)").unwrap();
        let base = content_hash("f", &sig, b"ir");
        assert_ne!(base, content_hash("g", &sig, b"ir"));
        assert_ne!(base, content_hash("f", &other, b"ir"));
        assert_ne!(base, content_hash("f", &sig, b"ir2"));
        // Lengths are framed: moving a byte between parts changes the hash.
        assert_ne!(
            content_hash("fi", &sig, b"r"),
            content_hash("f", &sig, b"ir")
        );
    }
}

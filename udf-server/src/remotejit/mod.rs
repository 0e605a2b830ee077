//! rbc's RemoteJIT protocol (`udf-server --remotejit-port`): the unmodified
//! `rbc.RemoteJIT` client compiles Python functions with Numba to LLVM IR, sends them here
//! (`compile`) and calls them with pickled arguments (`call`); see
//! `shared/protocols/rbc-remotejit.md`.
//!
//! The wire (multiplexed calls, the `info` service, replies) is `udf_thrift::remotejit`;
//! this module is the `remotejit` service: [`mangle`] reads the mangled signatures,
//! [`pickle`] the arguments and results, and [`RemoteJit`] keeps the process-wide
//! registry of compiled functions (`name + mangled` → kernel). The compiler is the one
//! the SQL engine uses, so a module passes the same checks (libm and LLVM intrinsics
//! only) whichever door it comes through. A call runs the function's column kernel over
//! one row. The daemon serves it with [`crate::server::Server`], as HeavyDB's port.
//!
//! **Security:** the protocol has no authentication, so the listener binds loopback
//! unless configured otherwise; `remotejit:python` (rbc's server `exec`s it) is refused.

pub mod mangle;
pub mod pickle;

use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use compiler::{CompileRequest, Compiler, FunctionSpec, Kernel, TargetSpec};
use parking_lot::RwLock;
use udf_thrift::connection::panic_message;
use udf_thrift::remotejit::{Data, DataKind, RemotejitSyncHandler, error_reply, pickled_data};

use crate::error::{Error, Result};
use mangle::{Scalar, ScalarSignature};
use pickle::{Result1, Value};

/// Most functions the registry holds; replacing one does not count.
pub const MAX_FUNCTIONS: usize = 10_000;
/// How many names an unknown-function error lists.
const LISTED_FUNCTIONS: usize = 32;

/// A compiled function: its kernel (which keeps the machine code alive) and the signature
/// it was declared with.
#[derive(Clone)]
struct Compiled {
    kernel: Kernel,
    signature: ScalarSignature,
}

/// The `remotejit` service over a compiler.
pub struct RemoteJit {
    compiler: Arc<Compiler>,
    functions: RwLock<BTreeMap<String, Compiled>>,
    targets: BTreeMap<String, String>,
}

impl RemoteJit {
    pub fn new(compiler: Arc<Compiler>) -> Self {
        let targets =
            BTreeMap::from([("cpu".to_string(), cpu_target_json(compiler.host_target()))]);
        RemoteJit {
            compiler,
            functions: RwLock::new(BTreeMap::new()),
            targets,
        }
    }

    /// The fullnames currently compiled.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.read().keys().cloned().collect()
    }

    /// Compiles `ir` once for all of `signatures` (`;`-separated mangled signatures) and
    /// registers each `name + mangled`, replacing what was there. Nothing is registered
    /// unless everything compiles.
    pub fn compile(&self, name: &str, signatures: &str, ir: &str) -> Result<()> {
        if name.is_empty() || name.len() > 1024 || name.contains('\0') {
            return Err(Error::InvalidArgument(format!(
                "`{name}` is not a function name"
            )));
        }
        let mut declared = Vec::new();
        for mangled in signatures.split(';').filter(|s| !s.is_empty()) {
            let signature =
                mangle::scalar_signature(mangled).map_err(|message| Error::RemoteJitSignature {
                    name: name.to_string(),
                    mangled: mangled.to_string(),
                    message,
                })?;
            declared.push((format!("{name}{mangled}"), signature));
        }
        if declared.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "no signature given for `{name}`"
            )));
        }
        let specs: Vec<FunctionSpec> = declared
            .iter()
            .map(|(fullname, sig)| FunctionSpec::new(fullname.clone(), sig.compiler_signature()))
            .collect();
        let output = self
            .compiler
            .compile(CompileRequest {
                ir: ir.as_bytes(),
                functions: &specs,
            })
            .map_err(|source| Error::RemoteJitCompile {
                name: name.to_string(),
                source,
            })?;
        let kernels = output.module.kernels();
        if kernels.len() != declared.len() {
            return Err(Error::Internal(format!(
                "{} kernels for {} signatures",
                kernels.len(),
                declared.len()
            )));
        }
        let mut functions = self.functions.write();
        let new = declared
            .iter()
            .filter(|(fullname, _)| !functions.contains_key(fullname))
            .count();
        if functions.len() + new > MAX_FUNCTIONS {
            return Err(Error::InvalidArgument(format!(
                "udf-server holds its limit of {MAX_FUNCTIONS} RemoteJIT functions; \
                 restart it to start afresh"
            )));
        }
        for ((fullname, signature), kernel) in declared.into_iter().zip(kernels) {
            tracing::info!(
                function = fullname,
                %signature,
                cache_hit = output.cache_hit,
                ms = output.elapsed.as_secs_f64() * 1e3,
                "remotejit: compiled"
            );
            functions.insert(
                fullname,
                Compiled {
                    kernel: kernel.clone(),
                    signature,
                },
            );
        }
        Ok(())
    }

    /// Runs `fullname` on the pickled argument tuple; returns the pickled result.
    pub fn call(&self, fullname: &str, arguments: &Data) -> Result<Vec<u8>> {
        let compiled = self
            .functions
            .read()
            .get(fullname)
            .cloned()
            .ok_or_else(|| Error::NoSuchFunction {
                name: fullname.to_string(),
                available: self.available(),
            })?;
        let unpickle = |message: String| Error::Unpickle {
            function: fullname.to_string(),
            message,
        };
        if arguments.kind != Some(DataKind::DATA_PICKLED) {
            return Err(unpickle(format!(
                "arguments must be DATA_PICKLED (2), got {}",
                arguments
                    .kind
                    .map_or("none".to_string(), |k| k.0.to_string())
            )));
        }
        let value =
            pickle::loads(arguments.data.as_deref().unwrap_or_default()).map_err(unpickle)?;
        let Value::Tuple(items, _) = &*value else {
            return Err(unpickle(format!(
                "arguments must be a tuple, got {}",
                value.kind()
            )));
        };
        let signature = &compiled.signature;
        let arguments_error = |message: String| Error::RemoteJitArguments {
            function: fullname.to_string(),
            message,
        };
        if items.len() != signature.args.len() {
            return Err(arguments_error(format!(
                "takes {} argument{} ({signature}), got {}",
                signature.args.len(),
                if signature.args.len() == 1 { "" } else { "s" },
                items.len()
            )));
        }
        let buffers = items
            .iter()
            .zip(&signature.args)
            .enumerate()
            .map(|(i, (value, &ty))| {
                encode_argument(value, ty)
                    .map_err(|why| arguments_error(format!("argument {}: {why}", i + 1)))
            })
            .collect::<Result<Vec<_>>>()?;
        let args: Vec<&[u8]> = buffers.iter().map(|(b, n)| &b[..*n]).collect();
        let width = signature.ret.compiler_type().width();
        let mut out = [MaybeUninit::<u8>::uninit(); 8];
        compiled
            .kernel
            .run(1, &args, None, &mut out[..width])
            .map_err(|e| Error::Internal(format!("running `{fullname}`: {e}")))?;
        let mut bytes = [0u8; 8];
        for (b, o) in bytes.iter_mut().zip(&out[..width]) {
            // SAFETY: `Kernel::run` succeeded, so it wrote all `width` bytes of the one
            // result (its contract), and only those are read.
            *b = unsafe { o.assume_init() };
        }
        Ok(pickle::dumps(decode_result(&bytes[..width], signature.ret)))
    }

    fn available(&self) -> String {
        let functions = self.functions.read();
        if functions.is_empty() {
            return "none".to_string();
        }
        let mut names: Vec<&str> = functions
            .keys()
            .take(LISTED_FUNCTIONS)
            .map(String::as_str)
            .collect();
        let more = functions.len().saturating_sub(LISTED_FUNCTIONS);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        names.sort_unstable();
        format!("{}{more}", names.join("; "))
    }

    /// Runs a handler: its error, or a panic, becomes an `Exception` reply the client
    /// raises as `RuntimeError`.
    fn serve<T>(&self, method: &str, f: impl FnOnce() -> Result<T>) -> udf_thrift::Result<T> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                tracing::info!(method, %error, "remotejit: call failed");
                Err(error_reply("RuntimeError", error))
            }
            Err(panic) => {
                let what = panic_message(panic.as_ref());
                tracing::error!(method, panic = what, "remotejit: handler panicked");
                Err(error_reply(
                    "RuntimeError",
                    Error::Internal(format!("`remotejit:{method}` panicked: {what}")),
                ))
            }
        }
    }
}

impl RemotejitSyncHandler for RemoteJit {
    fn handle_targets(&self) -> udf_thrift::Result<BTreeMap<String, String>> {
        self.serve("targets", || Ok(self.targets.clone()))
    }

    fn handle_compile(
        &self,
        name: String,
        signatures: String,
        ir: String,
    ) -> udf_thrift::Result<bool> {
        self.serve("compile", || {
            let started = Instant::now();
            self.compile(&name, &signatures, &ir)?;
            tracing::debug!(
                name,
                signatures,
                ms = started.elapsed().as_secs_f64() * 1e3,
                "remotejit: compile"
            );
            // The client asserts the reply; failures are exceptions, never `false`.
            Ok(true)
        })
    }

    fn handle_call(&self, fullname: String, arguments: Data) -> udf_thrift::Result<Data> {
        self.serve("call", || {
            self.call(&fullname, &arguments).map(pickled_data)
        })
    }

    fn handle_python(&self, statement: String) -> udf_thrift::Result<bool> {
        self.serve("python", || {
            tracing::warn!(
                bytes = statement.len(),
                "remotejit: refused a remote python statement"
            );
            Err(Error::RemotePythonDisabled)
        })
    }
}

/// The little-endian bytes (and their count) of `value` as a `ty` argument. Conversions
/// are Python's implicit ones (int → float, bool → int); anything that would lose
/// information (float → int, an int out of range) is an error.
fn encode_argument(value: &Value, ty: Scalar) -> std::result::Result<([u8; 8], usize), String> {
    let mut buf = [0u8; 8];
    let width = ty.compiler_type().width();
    let wrong = || format!("expected {ty}, got {} {value}", value.kind());
    match ty {
        Scalar::Bool => {
            let b = match value {
                Value::Bool(b) => *b,
                Value::Int(i) => *i != 0,
                _ => return Err(wrong()),
            };
            buf[0] = u8::from(b);
        }
        Scalar::Float32 | Scalar::Float64 => {
            let x = match value {
                Value::Float(x) => *x,
                Value::Int(i) => *i as f64,
                Value::Bool(b) => f64::from(u8::from(*b)),
                _ => return Err(wrong()),
            };
            if ty == Scalar::Float32 {
                buf[..4].copy_from_slice(&(x as f32).to_le_bytes());
            } else {
                buf.copy_from_slice(&x.to_le_bytes());
            }
        }
        _ => {
            let i = match value {
                Value::Int(i) => *i,
                Value::Bool(b) => i128::from(*b),
                _ => return Err(wrong()),
            };
            let (lo, hi) = ty.int_range().unwrap_or((i128::MIN, i128::MAX));
            if i < lo || i > hi {
                return Err(format!("{i} does not fit {ty} ({lo}..={hi})"));
            }
            // Two's complement truncation: unsigned values above the signed range keep
            // their bits, which is how the shared LLVM integer type carries them.
            buf[..width].copy_from_slice(&i.to_le_bytes()[..width]);
        }
    }
    Ok((buf, width))
}

/// The Python value of one result of type `ty` (bool as bool, not int).
fn decode_result(bytes: &[u8], ty: Scalar) -> Result1 {
    let mut le = [0u8; 8];
    le[..bytes.len()].copy_from_slice(bytes);
    let signed = |bits: u32| -> i128 {
        let raw = u64::from_le_bytes(le);
        let shift = 64 - bits;
        i128::from(((raw << shift) as i64) >> shift)
    };
    match ty {
        Scalar::Bool => Result1::Bool(le[0] != 0),
        Scalar::Int8 => Result1::Int(signed(8)),
        Scalar::Int16 => Result1::Int(signed(16)),
        Scalar::Int32 => Result1::Int(signed(32)),
        Scalar::Int64 => Result1::Int(signed(64)),
        Scalar::UInt8 | Scalar::UInt16 | Scalar::UInt32 | Scalar::UInt64 => {
            Result1::Int(i128::from(u64::from_le_bytes(le)))
        }
        Scalar::Float32 => {
            Result1::Float(f64::from(f32::from_le_bytes([le[0], le[1], le[2], le[3]])))
        }
        Scalar::Float64 => Result1::Float(f64::from_le_bytes(le)),
    }
}

/// x86 CPU names LLVM 14 knows (llvmlite 0.40–0.44 use LLVM 14–15): what the oldest
/// client this server supports can pass as `-mcpu`.
const CLIENT_KNOWN_X86_CPUS: &[&str] = &[
    "x86-64",
    "x86-64-v2",
    "x86-64-v3",
    "x86-64-v4",
    "nehalem",
    "corei7",
    "westmere",
    "sandybridge",
    "corei7-avx",
    "ivybridge",
    "core-avx-i",
    "haswell",
    "core-avx2",
    "broadwell",
    "skylake",
    "skylake-avx512",
    "skx",
    "cascadelake",
    "cooperlake",
    "cannonlake",
    "icelake-client",
    "rocketlake",
    "icelake-server",
    "tigerlake",
    "sapphirerapids",
    "alderlake",
    "knl",
    "knm",
    "core2",
    "penryn",
    "bonnell",
    "atom",
    "silvermont",
    "slm",
    "goldmont",
    "goldmont-plus",
    "tremont",
    "btver1",
    "btver2",
    "bdver1",
    "bdver2",
    "bdver3",
    "bdver4",
    "znver1",
    "znver2",
    "znver3",
    "amdfam10",
    "barcelona",
    "k8",
    "k8-sse3",
    "opteron",
    "opteron-sse3",
    "athlon64",
    "athlon64-sse3",
];

/// The CPU name to give the client: the host's when the client's LLVM knows it, else the
/// newest older model it knows. Numba's LLVM 15 does not fall back gracefully on a name
/// it does not know (`znver4`): it warns, drops every feature, and then aborts the
/// client process with "64-bit code requested on a subtarget that doesn't support it".
/// The name only steers the client's own optimisation of IR that this server parses and
/// optimises again for the real host CPU, so an older model costs nothing here.
fn client_cpu_name(host: &TargetSpec) -> &str {
    let cpu = host.cpu.as_str();
    if !host.triple.starts_with("x86_64") {
        // AArch64 and the rest: "generic" is known to every LLVM version.
        return "generic";
    }
    if CLIENT_KNOWN_X86_CPUS.contains(&cpu) {
        return cpu;
    }
    match cpu {
        c if c.starts_with("znver") => "znver3",
        "graniterapids" | "graniterapids-d" | "emeraldrapids" | "diamondrapids" => "sapphirerapids",
        "raptorlake" | "meteorlake" | "arrowlake" | "arrowlake-s" | "lunarlake" | "gracemont"
        | "pantherlake" | "wildcatlake" | "novalake" | "sierraforest" | "grandridge"
        | "clearwaterforest" => "alderlake",
        _ => "x86-64",
    }
}

/// The `targets()` entry of the host CPU (fact sheet §5). `libraries` lists only libm:
/// the compiler refuses calls to anything else, so offering `stdio`/`stdlib` would make
/// the client send functions that cannot compile here. Sizes are LP64 Linux's, the only
/// data model the server is built for.
fn cpu_target_json(host: &TargetSpec) -> String {
    const TYPE_SIZEOF: &[(&str, u32)] = &[
        ("bool", 1),
        ("size_t", 8),
        ("ssize_t", 8),
        ("char", 1),
        ("uchar", 1),
        ("schar", 1),
        ("byte", 1),
        ("ubyte", 1),
        ("wchar", 4),
        ("short", 2),
        ("ushort", 2),
        ("int", 4),
        ("uint", 4),
        ("long", 8),
        ("ulong", 8),
        ("longlong", 8),
        ("ulonglong", 8),
        ("float", 4),
        ("double", 8),
        ("longdouble", 16),
        ("voidptr", 8),
    ];
    let sizes = TYPE_SIZEOF
        .iter()
        .map(|(name, size)| format!("{}: {size}", json_string(name)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{{\"name\": \"host_cpu\", \"strict\": false, \
         \"info\": {{\"name\": {cpu}, \"triple\": {triple}, \"has_numba\": false, \
         \"has_cpython\": false}}, \
         \"type_sizeof\": {{{sizes}}}, \"libraries\": [\"m\"], \"externals\": []}}",
        cpu = json_string(client_cpu_name(host)),
        triple = json_string(&host.triple),
    )
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_convert_like_python() {
        let enc = |v: Value, ty| encode_argument(&v, ty).map(|(b, n)| b[..n].to_vec());
        assert_eq!(
            enc(Value::Int(-2), Scalar::Int64).unwrap(),
            (-2i64).to_le_bytes()
        );
        assert_eq!(
            enc(Value::Int(3), Scalar::Float64).unwrap(),
            3.0f64.to_le_bytes()
        );
        assert_eq!(
            enc(Value::Float(1.5), Scalar::Float32).unwrap(),
            1.5f32.to_le_bytes()
        );
        assert_eq!(
            enc(Value::Bool(true), Scalar::Int32).unwrap(),
            1i32.to_le_bytes()
        );
        assert_eq!(enc(Value::Bool(true), Scalar::Bool).unwrap(), [1]);
        assert_eq!(enc(Value::Int(255), Scalar::UInt8).unwrap(), [255]);
        assert_eq!(
            enc(Value::Int(u64::MAX as i128), Scalar::UInt64).unwrap(),
            u64::MAX.to_le_bytes()
        );
        let e = enc(Value::Int(128), Scalar::Int8).unwrap_err();
        assert!(e.contains("128 does not fit int8"), "{e}");
        let e = enc(Value::Int(-1), Scalar::UInt32).unwrap_err();
        assert!(e.contains("does not fit uint32"), "{e}");
        let e = enc(Value::Float(2.5), Scalar::Int64).unwrap_err();
        assert!(e.contains("expected int64, got float 2.5"), "{e}");
        let e = enc(Value::Complex(1.0, 2.0), Scalar::Float64).unwrap_err();
        assert!(e.contains("got complex"), "{e}");
        let e = enc(Value::Str("x".into()), Scalar::Bool).unwrap_err();
        assert!(e.contains("expected bool, got str"), "{e}");
    }

    #[test]
    fn results_keep_their_python_type() {
        assert_eq!(decode_result(&[1], Scalar::Bool), Result1::Bool(true));
        assert_eq!(decode_result(&[0xff], Scalar::Int8), Result1::Int(-1));
        assert_eq!(decode_result(&[0xff], Scalar::UInt8), Result1::Int(255));
        assert_eq!(
            decode_result(&(-5i32).to_le_bytes(), Scalar::Int32),
            Result1::Int(-5)
        );
        assert_eq!(
            decode_result(&u64::MAX.to_le_bytes(), Scalar::UInt64),
            Result1::Int(u64::MAX as i128)
        );
        assert_eq!(
            decode_result(&0.25f32.to_le_bytes(), Scalar::Float32),
            Result1::Float(0.25)
        );
    }

    fn sample(name: &str) -> String {
        let path = format!(
            "{}/../../shared/ir-samples/remotejit/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn rjit() -> RemoteJit {
        RemoteJit::new(Arc::new(
            Compiler::new(compiler::CompilerOptions::default()).unwrap(),
        ))
    }

    /// `pickle.dumps(args, protocol=4)` for small ints and floats, as the client sends.
    fn args(values: &[Result1]) -> Data {
        let mut data = vec![0x80, 4, b'('];
        for v in values {
            let one = pickle::dumps(*v);
            data.extend(&one[2..one.len() - 1]);
        }
        data.extend([b't', b'.']);
        pickled_data(data)
    }

    fn call(rjit: &RemoteJit, fullname: &str, values: &[Result1]) -> Result<Value> {
        let bytes = rjit.call(fullname, &args(values))?;
        Ok((*pickle::loads(&bytes).unwrap()).clone())
    }

    #[test]
    fn compiles_and_calls_the_client_samples() {
        let rjit = rjit();
        rjit.compile("add", "_lallA", &sample("wire_numba061_add_lallA.cpu.ll"))
            .unwrap();
        let got = call(&rjit, "add_lallA", &[Result1::Int(1), Result1::Int(2)]).unwrap();
        assert_eq!(got, Value::Int(3));
        let got = call(
            &rjit,
            "add_lallA",
            &[Result1::Int(1 << 40), Result1::Int(-7)],
        )
        .unwrap();
        assert_eq!(got, Value::Int((1 << 40) - 7));

        rjit.compile(
            "hypexp",
            "_daddA",
            &sample("wire_numba061_hypexp_daddA.cpu.ll"),
        )
        .unwrap();
        // An int argument is converted to the declared float64.
        let got = call(
            &rjit,
            "hypexp_daddA",
            &[Result1::Int(3), Result1::Float(4.0)],
        )
        .unwrap();
        let Value::Float(x) = got else {
            panic!("{got:?}")
        };
        assert!((x - 5.0 * (-3.0f64).exp()).abs() < 1e-12, "{x}");

        rjit.compile(
            "is_pos",
            "_bafA",
            &sample("wire_numba061_is_pos_bafA.cpu.ll"),
        )
        .unwrap();
        let got = call(&rjit, "is_pos_bafA", &[Result1::Float(-1.5)]).unwrap();
        assert_eq!(got, Value::Bool(false));
        let got = call(&rjit, "is_pos_bafA", &[Result1::Int(2)]).unwrap();
        assert_eq!(got, Value::Bool(true));

        rjit.compile(
            "collatz_steps",
            "_lalA",
            &sample("numba061_collatz_steps_lalA.cpu.ll"),
        )
        .unwrap();
        let got = call(&rjit, "collatz_steps_lalA", &[Result1::Int(27)]).unwrap();
        assert_eq!(got, Value::Int(111));
        assert_eq!(
            rjit.function_names(),
            [
                "add_lallA",
                "collatz_steps_lalA",
                "hypexp_daddA",
                "is_pos_bafA"
            ]
        );
    }

    #[test]
    fn bad_calls_and_compiles_are_clear_errors() {
        let rjit = rjit();
        let e = call(&rjit, "add_lallA", &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "no such compiled function `add_lallA`. Available functions: none"
        );
        rjit.compile("add", "_lallA", &sample("wire_numba061_add_lallA.cpu.ll"))
            .unwrap();
        let e = call(&rjit, "add_lallA", &[Result1::Int(1)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`add_lallA` takes 2 arguments (int64(int64, int64)), got 1"),
            "{e}"
        );
        let e = call(&rjit, "add_lallA", &[Result1::Int(1), Result1::Float(2.5)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("argument 2: expected int64, got float 2.5"),
            "{e}"
        );
        let e = rjit
            .call(
                "add_lallA",
                &pickled_data(b"\x80\x04cos\nsystem\n.".to_vec()),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("`os.system`"), "{e}");
        let e = call(&rjit, "add_daddA", &[]).unwrap_err().to_string();
        assert!(e.contains("Available functions: add_lallA"), "{e}");

        // The IR defines add_lallA, not add_daddA: the compiler names the symbol.
        let e = rjit
            .compile("add", "_daddA", &sample("wire_numba061_add_lallA.cpu.ll"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot compile `add`") && e.contains("add_daddA"),
            "{e}"
        );
        let e = rjit
            .compile("psum", "_da_dPlA", &sample("numba061_psum_da_dPlA.cpu.ll"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("argument 1 has type float64* (pointers"), "{e}");
        let e = rjit
            .compile("add", "_lallA", "this is not IR")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot compile `add`"), "{e}");
        // The server's IR policy applies: no calls outside libm.
        let ir = "declare i32 @system(ptr)\n@cmd = constant [3 x i8] c\"ls\\00\"\n\
                  define i64 @evil_lalA(i64 %x) {\n  %r = call i32 @system(ptr @cmd)\n  ret i64 %x\n}\n";
        let e = rjit.compile("evil", "_lalA", ir).unwrap_err().to_string();
        assert!(e.contains("system"), "{e}");
        assert_eq!(rjit.function_names(), ["add_lallA"]);
    }

    #[test]
    fn target_json_has_what_the_client_needs() {
        let json = cpu_target_json(&TargetSpec {
            triple: "x86_64-pc-linux-gnu".into(),
            cpu: "znver4".into(),
            features: "+avx2".into(),
        });
        for needle in [
            "\"name\": \"host_cpu\"",
            "\"triple\": \"x86_64-pc-linux-gnu\"",
            "\"name\": \"znver3\"",
            "\"size_t\": 8",
            "\"uint\": 4",
            "\"libraries\": [\"m\"]",
        ] {
            assert!(json.contains(needle), "{needle} in {json}");
        }
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
        let host = |triple: &str, cpu: &str| TargetSpec {
            triple: triple.into(),
            cpu: cpu.into(),
            features: String::new(),
        };
        let x86 = |cpu: &str| client_cpu_name(&host("x86_64-pc-linux-gnu", cpu)).to_string();
        assert_eq!(x86("skylake-avx512"), "skylake-avx512");
        assert_eq!(x86("znver5"), "znver3");
        assert_eq!(x86("graniterapids"), "sapphirerapids");
        assert_eq!(x86("some-future-cpu"), "x86-64");
        assert_eq!(
            client_cpu_name(&host("aarch64-unknown-linux-gnu", "neoverse-v2")),
            "generic"
        );
    }
}

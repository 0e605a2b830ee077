//! The seed corpus: real call frames written by the generated clients (so they are exactly
//! what a client puts on the wire), the clients' IR samples and hand-written hostile IR.
//! `scripts/fuzz.sh seeds` writes them into `fuzz/corpus/<target>/` (the ignored test
//! `write_seeds` below); the fuzzer's minimised corpus is committed on top of them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;

use thrift::OrderedFloat;
use thrift::protocol::{TBinaryInputProtocol, TBinaryOutputProtocol, TMultiplexedOutputProtocol};
use udf_thrift::generated::remotejit::{
    Data, DataKind, InfoSyncClient, RemotejitSyncClient, TInfoSyncClient, TRemotejitSyncClient,
};
use udf_thrift::*;

/// A write end whose bytes stay readable after the client that owns it has written.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Heavy = HeavySyncClient<TBinaryInputProtocol<io::Empty>, TBinaryOutputProtocol<Shared>>;

/// The bytes the HeavyDB client sends for the calls `calls` makes. Every call fails after
/// it is written (no reply to read), which is all a seed needs.
fn heavy(calls: impl FnOnce(&mut Heavy)) -> Vec<u8> {
    let out = Shared::default();
    let mut client = HeavySyncClient::new(
        TBinaryInputProtocol::new(io::empty(), true),
        TBinaryOutputProtocol::new(out.clone(), true),
    );
    calls(&mut client);
    out.0.take()
}

/// The bytes rbc's RemoteJIT client sends (multiplexed `remotejit:` calls).
fn remotejit(
    calls: impl FnOnce(
        &mut RemotejitSyncClient<
            TBinaryInputProtocol<io::Empty>,
            TMultiplexedOutputProtocol<TBinaryOutputProtocol<Shared>>,
        >,
    ),
) -> Vec<u8> {
    let out = Shared::default();
    let mut client = RemotejitSyncClient::new(
        TBinaryInputProtocol::new(io::empty(), true),
        TMultiplexedOutputProtocol::new("remotejit", TBinaryOutputProtocol::new(out.clone(), true)),
    );
    calls(&mut client);
    out.0.take()
}

const SESSION: &str = "3a0f3bc2f3c04b9f8e7e5f6a7b8c9d0e";
/// The smallest real module a client registers (rbc, `int64 add(int64, int64)`).
const ADD_IR: &str = include_str!("../ir/add_lallA.ll");

fn s(text: &str) -> String {
    text.to_string()
}

fn int_type(t: TDatumType, nullable: bool, is_array: bool) -> TTypeInfo {
    TTypeInfo::new(t, nullable, is_array, TEncodingType::NONE, 0, 0, 0, 0, None)
}

fn udf(name: &str, args: Vec<TExtArgumentType>, ret: TExtArgumentType) -> TUserDefinedFunction {
    let annotations = vec![BTreeMap::new(); args.len() + 1];
    TUserDefinedFunction::new(s(name), args, ret, annotations)
}

/// Seeds of the `thrift_request` target: (file name, bytes).
pub fn thrift_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| seeds.push((format!("seed-{name}"), bytes));

    add(
        "session",
        heavy(|c| {
            let _ = c.connect(s("admin"), s("HyperInteractive"), s("heavyai"));
            let _ = c.get_version();
            let _ = c.sql_execute(s(SESSION), s("SELECT myadd(1, 2)"), true, s(""), -1, -1);
            let _ = c.disconnect(s(SESSION));
        }),
    );
    add(
        "sql_execute",
        heavy(|c| {
            let _ = c.sql_execute(
                s(SESSION),
                s("SELECT a, b FROM t WHERE a > 1"),
                false,
                s("1"),
                0,
                100,
            );
        }),
    );
    add(
        "sql_execute_df",
        heavy(|c| {
            let _ = c.sql_execute_df(
                s(SESSION),
                s("SELECT * FROM t"),
                TDeviceType::CPU,
                0,
                -1,
                TArrowTransport::WIRE,
            );
        }),
    );
    add(
        "deallocate_df",
        heavy(|c| {
            let df = TDataFrame::new(vec![1, 2], 2, vec![3], 1, 0, 0, vec![0u8; 8]);
            let _ = c.deallocate_df(s(SESSION), df, TDeviceType::CPU, 0);
        }),
    );
    add(
        "tables",
        heavy(|c| {
            let _ = c.get_tables(s(SESSION));
            let _ = c.get_tables_meta(s(SESSION));
            let _ = c.get_table_details(s(SESSION), s("t"));
            let _ = c.sql_validate(s(SESSION), s("SELECT 1"));
        }),
    );
    add(
        "create_table",
        heavy(|c| {
            let cols = vec![
                TColumnType::new(
                    s("a"),
                    int_type(TDatumType::BIGINT, true, false),
                    false,
                    s("a"),
                    false,
                    true,
                    1,
                    None,
                    None,
                ),
                TColumnType::new(
                    s("s"),
                    int_type(TDatumType::STR, true, false),
                    false,
                    s("s"),
                    false,
                    true,
                    2,
                    s("x"),
                    s("comment"),
                ),
            ];
            let _ = c.create_table(s(SESSION), s("t"), cols, TCreateParams::new(false));
        }),
    );
    add(
        "register_runtime_extension_functions",
        heavy(|c| {
            let udfs = vec![
                udf(
                    "add__cpu_0",
                    vec![TExtArgumentType::INT64, TExtArgumentType::INT64],
                    TExtArgumentType::INT64,
                ),
                udf(
                    "add__cpu_1",
                    vec![TExtArgumentType::DOUBLE],
                    TExtArgumentType::DOUBLE,
                ),
            ];
            let udtfs = vec![TUserDefinedTableFunction::new(
                s("copy__cpu_0"),
                TOutputBufferSizeType::K_USER_SPECIFIED_ROW_MULTIPLIER,
                2,
                vec![TExtArgumentType(25), TExtArgumentType::INT32],
                vec![TExtArgumentType(25)],
                vec![TExtArgumentType(23), TExtArgumentType::INT32],
                vec![BTreeMap::from([(s("sizer"), s("RowMultiplier"))])],
            )];
            let ir = BTreeMap::from([(s("cpu"), s(ADD_IR))]);
            let _ = c.register_runtime_extension_functions(s(SESSION), udfs, udtfs, ir);
        }),
    );
    add(
        "load_table_binary_columnar",
        heavy(|c| {
            let int = TColumn::new(
                TColumnData::new(vec![1, -2, i64::MAX], None, None, None),
                vec![false, true, false],
            );
            let real = TColumn::new(
                TColumnData::new(
                    None,
                    vec![OrderedFloat(1.5), OrderedFloat(f64::NAN)],
                    None,
                    None,
                ),
                vec![false, false],
            );
            let text = TColumn::new(
                TColumnData::new(None, None, vec![s("x"), s("")], None),
                vec![false, true],
            );
            let array = TColumn::new(
                TColumnData::new(None, None, None, vec![Box::new(int.clone())]),
                vec![false],
            );
            let _ = c.load_table_binary_columnar(
                s(SESSION),
                s("t"),
                vec![int, real, text, array],
                vec![s("a"), s("b"), s("c"), s("d")],
            );
        }),
    );
    add(
        "load_table",
        heavy(|c| {
            let row = TStringRow::new(vec![
                TStringValue::new(s("1"), false),
                TStringValue::new(s(""), true),
            ]);
            let _ = c.load_table(s(SESSION), s("t"), vec![row], vec![s("a"), s("b")]);
            let datum = |v: i64| TDatum::new(TDatumVal::new(v, None, None, None), false);
            let array = TDatum::new(
                TDatumVal::new(None, None, None, vec![Box::new(datum(2))]),
                false,
            );
            let row = TRow::new(vec![datum(1), array]);
            let _ = c.load_table_binary(s(SESSION), s("t"), vec![row], vec![]);
            let _ = c.load_table_binary_arrow(s(SESSION), s("t"), b"ARROW1\0\0".to_vec(), true);
        }),
    );
    add(
        "udf",
        heavy(|c| {
            let args = vec![
                TDatum::new(TDatumVal::new(3, None, None, None), false),
                TDatum::new(TDatumVal::new(None, OrderedFloat(0.5), None, None), false),
                TDatum::new(None, true),
            ];
            let _ = c.udf_call(
                s(SESSION),
                s("myadd"),
                args,
                vec![s("BIGINT"), s("DOUBLE"), s("TEXT")],
            );
            let _ = c.udf_function_details(s(SESSION), s("myadd"), vec![s("ir"), s("asm")]);
            let _ = c.udf_kill_session(s(SESSION), s("0"));
            let _ = c.get_function_details(s(SESSION), vec![s("myadd")]);
            let _ = c.get_device_parameters(s(SESSION));
        }),
    );
    add(
        "interrupt",
        heavy(|c| {
            let _ = c.interrupt(s(SESSION), s(SESSION));
            let _ = c.set_execution_mode(s(SESSION), TExecuteMode::CPU);
        }),
    );
    // Every method with empty arguments: the server fills in the IDL defaults.
    for method in HEAVY_METHODS {
        let mut frame = vec![0x80, 0x01, 0x00, 0x01];
        frame.extend((method.len() as u32).to_be_bytes());
        frame.extend(method.as_bytes());
        frame.extend(1i32.to_be_bytes());
        frame.push(0);
        add(&format!("bare-{method}"), frame);
    }

    add(
        "remotejit-compile",
        remotejit(|c| {
            let _ = c.targets();
            let _ = c.compile(s("add"), s("_lallA"), s(ADD_IR));
        }),
    );
    add(
        "remotejit-call",
        remotejit(|c| {
            let pickle = vec![
                0x80, 4, 0x95, 7, 0, 0, 0, 0, 0, 0, 0, 0x4b, 1, 0x4b, 2, 0x86, 0x94, 0x2e,
            ];
            let data = Data::new(DataKind::DATA_PICKLED, s("None"), pickle);
            let _ = c.call(s("add_lallA"), data);
            let _ = c.python(s("1 + 1"));
        }),
    );
    add("remotejit-info", {
        let out = Shared::default();
        let mut client = InfoSyncClient::new(
            TBinaryInputProtocol::new(io::empty(), true),
            TMultiplexedOutputProtocol::new("info", TBinaryOutputProtocol::new(out.clone(), true)),
        );
        let _ = client.thrift_content();
        let _ = client.nvidia_smi_query();
        out.0.take()
    });
    seeds
}

/// Hand-written hostile IR: what the intake must refuse (or accept) without dying.
/// Each targets a place where LLVM aborts, exits or allocates by default, or a rule of
/// the IR policy.
pub const HOSTILE_IR: &[(&str, &str)] = &[
    (
        "module-asm",
        "module asm \"syscall\"\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
    ),
    (
        "inline-asm",
        "define i64 @f(i64 %a) {\n  %r = call i64 asm sideeffect \"syscall\", \"=r,r\"(i64 %a)\n  ret i64 %r\n}\n",
    ),
    (
        "call-system",
        "declare i32 @system(ptr)\n@cmd = private constant [3 x i8] c\"id\\00\"\ndefine i64 @f(i64 %a) {\n  %r = call i32 @system(ptr @cmd)\n  ret i64 %a\n}\n",
    ),
    (
        "external-global",
        "@environ = external global ptr\ndefine i64 @f(i64 %a) {\n  %p = load ptr, ptr @environ\n  %v = ptrtoint ptr %p to i64\n  ret i64 %v\n}\n",
    ),
    (
        "global-ctor",
        "@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 0, ptr @init, ptr null }]\ndefine void @init() {\n  ret void\n}\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
    ),
    (
        "alias-ifunc",
        "declare i32 @system(ptr)\n@sys = alias i32 (ptr), ptr @system\n@r = ifunc i64 (i64), ptr @resolve\ndefine ptr @resolve() {\n  ret ptr @f\n}\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
    ),
    (
        "bad-datalayout",
        "target datalayout = \"e-p:0:0-i64:7\"\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
    ),
    (
        "odd-triple",
        "target triple = \"sparc-unknown-fuchsia-musl\"\ndefine i64 @f(i64 %a) {\n  ret i64 %a\n}\n",
    ),
    (
        "huge-types",
        "%big = type [4294967295 x [4294967295 x i64]]\n@g = global [1099511627776 x i8] zeroinitializer\ndefine i8388607 @f(i8388607 %a) {\n  %p = alloca %big\n  %b = mul i8388607 %a, %a\n  ret i8388607 %b\n}\n",
    ),
    (
        "wrong-intrinsic",
        "declare i32 @llvm.sqrt.f64(i32)\ndefine i32 @f(i32 %a) {\n  %r = call i32 @llvm.sqrt.f64(i32 %a)\n  ret i32 %r\n}\n",
    ),
    (
        "unverifiable",
        "define i64 @f(i64 %a) {\nentry:\n  br label %next\nnext:\n  %x = add i64 %y, 1\n  %y = add i64 %x, 1\n  ret i32 0\n}\n",
    ),
    (
        "recursion-and-tls",
        "@t = thread_local global i64 0\ndefine i64 @f(i64 %a) {\n  %v = load i64, ptr @t\n  %r = call i64 @f(i64 %v)\n  ret i64 %r\n}\n",
    ),
    (
        "indirectbr-gc-personality",
        "declare i32 @__gxx_personality_v0(...)\ndefine i64 @f(i64 %a) gc \"nonexistent\" personality ptr @__gxx_personality_v0 {\nentry:\n  indirectbr ptr blockaddress(@f, %out), [label %out]\nout:\n  ret i64 %a\n}\n",
    ),
    (
        "broken-debug-info",
        "define i64 @f(i64 %a) !dbg !3 {\n  ret i64 %a, !dbg !9\n}\n!llvm.dbg.cu = !{!0}\n!llvm.module.flags = !{!5}\n!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, isOptimized: true, emissionKind: FullDebug)\n!1 = !DIFile(filename: \"x.c\", directory: \"/\")\n!3 = distinct !DISubprogram(name: \"f\", scope: !1, file: !1, unit: !0)\n!5 = !{i32 2, !\"Debug Info Version\", i32 3}\n!9 = !DILocation(line: 1, scope: !42)\n!42 = !{}\n",
    ),
    (
        "typed-pointers",
        "define double @f(double* %p, i64 %n) {\n  %q = getelementptr double, double* %p, i64 %n\n  %v = load double, double* %q\n  ret double %v\n}\n",
    ),
    (
        "vector-fp128",
        "define <4 x fp128> @f(<4 x fp128> %a, x86_fp80 %b) {\n  %c = fpext x86_fp80 %b to fp128\n  %v = insertelement <4 x fp128> %a, fp128 %c, i32 7\n  ret <4 x fp128> %v\n}\n",
    ),
    ("empty", ""),
];

/// Seeds of the `ir_intake` target: every `.ll` file under `samples` (the clients' IR,
/// `/work/shared/ir-samples`) and [`HOSTILE_IR`]. No bitcode: see [`crate::ir_intake`].
pub fn ir_seeds(samples: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    let mut stack = vec![samples.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "ll") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                seeds.push((format!("seed-{name}"), std::fs::read(&path)?));
            }
        }
    }
    for (name, text) in HOSTILE_IR {
        seeds.push((format!("hostile-{name}.ll"), text.as_bytes().to_vec()));
    }
    seeds.sort();
    Ok(seeds)
}

/// A libFuzzer dictionary of the method names, length-prefixed as they are on the wire.
pub fn thrift_dictionary() -> String {
    let mut dict =
        String::from("# Generated by scripts/fuzz.sh seeds: method names as on the wire.\n");
    let names = HEAVY_METHODS
        .iter()
        .map(|m| m.to_string())
        .chain(
            udf_thrift::remotejit::REMOTEJIT_METHODS
                .iter()
                .map(|m| format!("remotejit:{m}")),
        )
        .chain(
            udf_thrift::remotejit::INFO_METHODS
                .iter()
                .map(|m| format!("info:{m}")),
        );
    for name in names {
        let mut token = String::new();
        for b in (name.len() as u32).to_be_bytes() {
            token.push_str(&format!("\\x{b:02x}"));
        }
        dict.push_str(&format!("\"{token}{name}\"\n"));
    }
    dict.push_str("\"\\x80\\x01\\x00\\x01\"\n");
    dict
}

/// Writes `seeds` into `dir` (created if missing), replacing files of the same name.
pub fn write(dir: &Path, seeds: &[(String, Vec<u8>)]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use udf_thrift::connection::Served;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every seed frame decodes and reaches its handler: the corpus starts past the
    /// header and argument checks, where the fuzzer should spend its time.
    #[test]
    fn every_thrift_seed_reaches_a_handler() {
        for (name, bytes) in thrift_seeds() {
            let outcome = crate::thrift_request(&bytes);
            let port = if name.starts_with("seed-remotejit") {
                &outcome.remotejit
            } else {
                &outcome.heavy
            };
            assert!(!port.is_empty(), "{name}");
            for served in port {
                assert!(matches!(served, Served::Call { .. }), "{name}: {served:?}");
            }
        }
    }

    /// The multi-call seed is served call after call, as on one connection.
    #[test]
    fn a_session_seed_is_several_calls() {
        let seeds = thrift_seeds();
        let (_, session) = seeds.iter().find(|(n, _)| n == "seed-session").unwrap();
        let outcome = crate::thrift_request(session);
        let methods: Vec<_> = outcome
            .heavy
            .iter()
            .map(|s| match s {
                Served::Call { method } => method.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            methods,
            ["connect", "get_version", "sql_execute", "disconnect"]
        );
        // On the other port none of these exist: each is skipped and refused.
        assert_eq!(outcome.remotejit.len(), 4);
        assert!(
            outcome
                .remotejit
                .iter()
                .all(|s| matches!(s, Served::UnknownMethod { .. }))
        );
    }

    /// Broken input ends the connection with an answer, whatever the port.
    #[test]
    fn garbage_and_truncation_are_answered() {
        let outcome = crate::thrift_request(b"GET / HTTP/1.1\r\n\r\n");
        assert!(matches!(&outcome.heavy[..], [Served::Broken { .. }]));
        let seeds = thrift_seeds();
        let (_, frame) = seeds
            .iter()
            .find(|(n, _)| n == "seed-load_table_binary_columnar")
            .unwrap();
        for cut in [5, 20, frame.len() / 2, frame.len() - 1] {
            let outcome = crate::thrift_request(&frame[..cut]);
            assert!(
                matches!(outcome.heavy.last(), Some(Served::Broken { .. })),
                "cut at {cut}: {:?}",
                outcome.heavy
            );
        }
    }

    #[test]
    fn hostile_ir_is_refused_or_accepted_without_dying() {
        for (name, text) in HOSTILE_IR {
            // Only the policy cases are pinned: which of the rest LLVM accepts is its
            // business, dying on them is ours.
            let result = crate::ir_intake(text.as_bytes()).expect("text is fuzzed");
            // (Library calls such as `system` are refused per registered function, not
            // here: `check_ir` leaves the allow-list to registration.)
            if ["module-asm", "inline-asm", "unverifiable"].contains(name) {
                assert!(result.is_err(), "{name} was accepted: {result:?}");
            }
        }
        // A module the clients really send is accepted.
        assert_eq!(
            crate::ir_intake(ADD_IR.as_bytes()).unwrap().unwrap(),
            ["add_lallA"]
        );
        // Bitcode is not what a client can send (see `ir_intake`).
        assert!(crate::ir_intake(b"BC\xc0\xde\x35\x14").is_none());
    }

    #[test]
    fn the_dictionary_names_every_method() {
        let dict = thrift_dictionary();
        assert!(dict.contains("\"\\x00\\x00\\x00\\x07connect\"\n"), "{dict}");
        assert!(dict.contains("remotejit:compile"));
    }

    /// `scripts/fuzz.sh seeds`: writes the seed corpus and the dictionary.
    #[test]
    #[ignore = "writes fuzz/corpus; run by scripts/fuzz.sh seeds"]
    fn write_seeds() {
        write(&root().join("corpus/thrift_request"), &thrift_seeds()).unwrap();
        std::fs::write(root().join("thrift_request.dict"), thrift_dictionary()).unwrap();
        let samples = std::env::var("UDF_IR_SAMPLES")
            .unwrap_or_else(|_| "/work/shared/ir-samples".to_string());
        let seeds = ir_seeds(Path::new(&samples)).unwrap();
        assert!(
            seeds.iter().any(|(n, _)| n.ends_with("add_lallA.cpu.ll")),
            "no samples in {samples}"
        );
        write(&root().join("corpus/ir_intake"), &seeds).unwrap();
    }
}

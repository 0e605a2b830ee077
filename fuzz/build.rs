//! Writes a handler for each generated Thrift service that answers every method with an
//! error, so that the fuzzer drives the generated processors' whole decode path without a
//! database behind them. Generated from the handler traits themselves, so that a method
//! added to the IDL is covered (and the fuzz crate keeps compiling) without an edit here.

use std::fmt::Write as _;
use std::path::Path;

/// (generated file, handler trait, type to implement it for, the error expression)
const SERVICES: &[(&str, &str, &str, &str)] = &[
    (
        "heavy",
        "HeavySyncHandler",
        "RefuseHeavy",
        "udf_thrift::db_exception(concat!(\"fuzz: \", stringify!(NAME), \" is refused\"))",
    ),
    (
        "remotejit",
        "RemotejitSyncHandler",
        "RefuseRemoteJit",
        "udf_thrift::remotejit::error_reply(\"RuntimeError\", concat!(\"fuzz: \", stringify!(NAME), \" is refused\"))",
    ),
];

/// Splits a parameter list at the commas outside `<…>` (`BTreeMap<String, String>`).
fn split_top_level(params: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in params.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(params[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(params[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

fn main() {
    // Read at run time: a build script compiled for a checkout elsewhere (a shared target
    // folder) is reused by cargo, and `env!` would point it at that checkout.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let generated = Path::new(&manifest_dir).join("../thrift/src/generated");
    let mut out = String::new();
    for (file, handler, ty, error) in SERVICES {
        let path = generated.join(format!("{file}.rs"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let start = format!("pub trait {handler} {{\n");
        let body = text
            .split_once(&start)
            .and_then(|(_, rest)| rest.split_once("\n}"))
            .unwrap_or_else(|| panic!("no `{start}` block in {}", path.display()))
            .0;
        writeln!(out, "pub mod {file} {{").unwrap();
        writeln!(out, "    #![allow(unused_imports)]").unwrap();
        writeln!(out, "    use std::collections::{{BTreeMap, BTreeSet}};").unwrap();
        writeln!(out, "    use thrift::OrderedFloat;").unwrap();
        writeln!(out, "    use udf_thrift::generated::{file}::*;").unwrap();
        writeln!(out, "    /// Answers every method with an error.").unwrap();
        writeln!(out, "    pub struct {ty};").unwrap();
        writeln!(out, "    impl {handler} for {ty} {{").unwrap();
        let mut methods = 0;
        for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // Every method is one line: `fn handle_x(&self, a: T) -> thrift::Result<R>;`
            let signature = line
                .strip_suffix(';')
                .filter(|s| s.starts_with("fn handle_"))
                .unwrap_or_else(|| panic!("unexpected line in {handler}: {line}"));
            let open = signature.find('(').unwrap();
            let close = signature.rfind(") -> ").unwrap();
            let name = &signature["fn handle_".len()..open];
            let ret = &signature[close + 1..];
            // Parameters are unused: prefix each name with `_`.
            let params: Vec<String> = split_top_level(&signature[open + 1..close])
                .into_iter()
                .map(|p| match p {
                    "&self" => p.to_string(),
                    _ => format!("_{p}"),
                })
                .collect();
            writeln!(
                out,
                "        fn handle_{name}({}){ret} {{ Err({}) }}",
                params.join(", "),
                error.replace("NAME", name)
            )
            .unwrap();
            methods += 1;
        }
        assert!(methods > 0, "{handler} declares no methods");
        writeln!(out, "    }}\n}}").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("refusing_handlers.rs");
    std::fs::write(dest, out).unwrap();
}

//! What the compiler did for each registered function: per overload and target, the code's
//! origin (compiled, or which cache), phase times, kernel size, vectorisation, how often it
//! ran, and on request the IR, optimised IR, assembly and PTX. Served by
//! [`crate::Engine::function_details`] and, in SQL, by the table functions
//! `udf_function_details([name])` and `udf_function_code(name, kind)`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use compiler::{
    CodeSource, CompileRequest, Compiler, FunctionSpec, KernelStats, ModuleStats, TableFunctionSpec,
};

use crate::catalog::RegisteredFunction;
use crate::device::RunCounts;
use crate::error::{Error, Result};
use crate::table_function::{RegisteredTableFunction, TableFunctions};

/// How a function's code was produced, kept with it for introspection.
#[derive(Debug, Clone)]
pub struct CodeInfo {
    pub source: CodeSource,
    pub module: Arc<ModuleStats>,
    /// This overload's kernel in `module.kernels`.
    pub kernel: KernelStats,
}

impl CodeInfo {
    pub(crate) fn new(source: CodeSource, module: &ModuleStats, symbol: &str) -> CodeInfo {
        let kernel = module
            .kernels
            .iter()
            .find(|k| k.symbol == symbol)
            .cloned()
            .unwrap_or_default();
        CodeInfo {
            source,
            module: Arc::new(module.clone()),
            kernel,
        }
    }
}

/// Which texts [`crate::Engine::function_details`] adds (each may take a compile).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetailTexts {
    pub ir: bool,
    pub optimized_ir: bool,
    pub assembly: bool,
    pub ptx: bool,
}

impl DetailTexts {
    /// The names of the texts, as SQL and the Thrift method take them.
    pub const KINDS: [&'static str; 4] = ["ir", "opt_ir", "asm", "ptx"];

    /// Asks for the text named `kind` (one of [`DetailTexts::KINDS`], any case); false
    /// when there is no such text.
    pub fn add(&mut self, kind: &str) -> bool {
        let flag = match kind.trim().to_ascii_lowercase().as_str() {
            "ir" => &mut self.ir,
            "opt_ir" => &mut self.optimized_ir,
            "asm" => &mut self.assembly,
            "ptx" => &mut self.ptx,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// One overload on one target (`cpu`, `gpu`).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDetails {
    pub name: String,
    /// `hypexp(float64, float64) -> float64`.
    pub signature: String,
    pub symbol: String,
    pub target: String,
    /// Triple and CPU (`x86_64-unknown-linux-gnu znver4`) or `nvptx64-nvidia-cuda sm_90`.
    pub target_name: String,
    pub origin: String,
    pub owner: String,
    pub created_at: SystemTime,
    pub instructions: usize,
    pub basic_blocks: usize,
    pub vector_width: Option<u32>,
    pub interleave: Option<u32>,
    /// parse, verify, generate, optimise, codegen, link — of the compile that made the
    /// code (a cache hit reports that compile's, with its own link).
    pub phases: Vec<(&'static str, Duration)>,
    /// `compiled`, `memory cache` or `disk cache`.
    pub code_source: String,
    /// 1 when this overload's code came from a cache.
    pub cache_hits: u64,
    /// Batches this overload ran on this target, and their rows.
    pub invocations: u64,
    pub rows: u64,
    pub ir: Option<String>,
    pub optimized_ir: Option<String>,
    pub assembly: Option<String>,
    pub ptx: Option<String>,
    /// Why a target has no build, or other remarks.
    pub note: Option<String>,
}

fn phases(stats: &ModuleStats) -> Vec<(&'static str, Duration)> {
    vec![
        ("parse", stats.parse),
        ("verify", stats.verify),
        ("generate", stats.generate),
        ("optimise", stats.optimise),
        ("codegen", stats.codegen),
        ("link", stats.link),
    ]
}

/// What the CPU row of an overload's details is made of, scalar or table function.
struct CpuOverload<'a> {
    name: &'a str,
    signature: String,
    symbol: &'a str,
    origin: &'a str,
    owner: &'a str,
    created_at: SystemTime,
    ir: &'a [u8],
    code: &'a CodeInfo,
    runs: &'a RunCounts,
}

/// The CPU row of an overload, with the texts `texts` asks for; `kernel_text(asm)`
/// regenerates the optimised IR (`false`) or the assembly (`true`).
fn cpu_details(
    compiler: &Compiler,
    o: CpuOverload<'_>,
    texts: DetailTexts,
    kernel_text: impl Fn(bool) -> compiler::Result<String>,
) -> Result<FunctionDetails> {
    let host = compiler.host_target();
    let text = |asm| {
        kernel_text(asm).map_err(|source| Error::Compile {
            function: o.name.to_string(),
            source,
        })
    };
    Ok(FunctionDetails {
        name: o.name.to_string(),
        signature: o.signature,
        symbol: o.symbol.to_string(),
        target: "cpu".into(),
        target_name: format!("{} {}", host.triple, host.cpu),
        origin: o.origin.to_string(),
        owner: o.owner.to_string(),
        created_at: o.created_at,
        instructions: o.code.kernel.instructions,
        basic_blocks: o.code.kernel.basic_blocks,
        vector_width: o.code.kernel.vector_width,
        interleave: o.code.kernel.interleave,
        phases: phases(&o.code.module),
        code_source: o.code.source.to_string(),
        cache_hits: u64::from(o.code.source.is_cache_hit()),
        invocations: o.runs.cpu.load(Ordering::Relaxed),
        rows: o.runs.cpu_rows.load(Ordering::Relaxed),
        ir: texts.ir.then(|| ir_as_text(o.ir)),
        optimized_ir: texts.optimized_ir.then(|| text(false)).transpose()?,
        assembly: texts.assembly.then(|| text(true)).transpose()?,
        ptx: None,
        note: None,
    })
}

/// The details of `f` on the CPU and, when it has a GPU build, on the GPU.
pub(crate) fn details(
    compiler: &Compiler,
    f: &RegisteredFunction,
    texts: DetailTexts,
) -> Result<Vec<FunctionDetails>> {
    let spec = [FunctionSpec::new(f.symbol.clone(), f.signature.clone())];
    let request = CompileRequest {
        ir: &f.ir,
        functions: &spec,
    };
    let cpu = cpu_details(
        compiler,
        CpuOverload {
            name: &f.name,
            signature: f.signature.to_string(),
            symbol: &f.symbol,
            origin: &f.origin,
            owner: &f.owner,
            created_at: f.created_at,
            ir: &f.ir,
            code: &f.code,
            runs: &f.runs,
        },
        texts,
        |asm| {
            if asm {
                compiler.kernel_asm(request, None)
            } else {
                compiler.kernel_ir(request, None)
            }
        },
    )?;
    let mut out = vec![cpu];
    match &f.gpu {
        Ok(build) => out.push(FunctionDetails {
            target: "gpu".into(),
            target_name: build.target.clone(),
            instructions: build.code.kernel.instructions,
            basic_blocks: build.code.kernel.basic_blocks,
            vector_width: None,
            interleave: None,
            phases: phases(&build.code.module),
            code_source: build.code.source.to_string(),
            cache_hits: u64::from(build.code.source.is_cache_hit()),
            invocations: f.runs.gpu.load(Ordering::Relaxed),
            rows: f.runs.gpu_rows.load(Ordering::Relaxed),
            optimized_ir: None,
            assembly: None,
            ptx: texts.ptx.then(|| build.ptx.to_string()),
            note: None,
            ..out[0].clone()
        }),
        Err(reason) if texts.ptx => {
            out[0].note = Some(format!("no PTX: {reason}"));
        }
        Err(_) => {}
    }
    Ok(out)
}

/// The details of the table function `f`: one row, on the CPU (table functions have no
/// GPU build; asked for PTX, the note says so).
pub(crate) fn table_details(
    compiler: &Compiler,
    f: &RegisteredTableFunction,
    texts: DetailTexts,
) -> Result<FunctionDetails> {
    let spec = [TableFunctionSpec::new(
        f.symbol.clone(),
        f.signature.clone(),
    )];
    let mut row = cpu_details(
        compiler,
        CpuOverload {
            name: &f.name,
            signature: f.signature.to_string(),
            symbol: &f.symbol,
            origin: &f.origin,
            owner: &f.owner,
            created_at: f.created_at,
            ir: &f.ir,
            code: &f.code,
            runs: &f.runs,
        },
        texts,
        |asm| compiler.table_kernel_text(&f.ir, &spec, asm),
    )?;
    row.note = texts
        .ptx
        .then(|| "no PTX: table functions run on the CPU only".to_string());
    Ok(row)
}

/// Every overload of `name` (every function when `None`): the scalar functions, then the
/// table functions.
pub(crate) fn all_details(
    compiler: &Compiler,
    catalog: &dyn crate::catalog::FunctionCatalog,
    tables: &TableFunctions,
    name: Option<&str>,
    texts: DetailTexts,
) -> Result<Vec<FunctionDetails>> {
    let name = name
        .map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty());
    let (scalars, table_fns) = match &name {
        Some(n) => (catalog.get(n), tables.get(n)),
        None => (catalog.list(), tables.list()),
    };
    let mut out = Vec::new();
    for f in &scalars {
        out.extend(details(compiler, f, texts)?);
    }
    for f in &table_fns {
        out.push(table_details(compiler, f, texts)?);
    }
    Ok(out)
}

/// The IR as received: text as is; bitcode is only described (it has no text form here).
fn ir_as_text(ir: &[u8]) -> String {
    match std::str::from_utf8(ir) {
        Ok(text) if !ir.starts_with(b"BC") => text.to_string(),
        _ => format!("; LLVM bitcode, {} bytes\n", ir.len()),
    }
}

/// `udf_function_details([name [, text]])` in SQL: one row per overload and target; with
/// `text` (`ir`, `opt_ir`, `asm`, `ptx`) a `code` column holds that text.
#[derive(Debug)]
pub(crate) struct DetailsTableFunction {
    pub catalog: Arc<dyn crate::catalog::FunctionCatalog>,
    pub tables: Arc<TableFunctions>,
    pub compiler: Arc<Compiler>,
}

/// The SQL name of [`DetailsTableFunction`].
pub(crate) const DETAILS_FUNCTION: &str = "udf_function_details";

impl datafusion::catalog::TableFunctionImpl for DetailsTableFunction {
    fn call_with_args(
        &self,
        args: datafusion::catalog::TableFunctionArgs,
    ) -> datafusion::error::Result<Arc<dyn datafusion::catalog::TableProvider>> {
        use datafusion::arrow::array::{
            ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
        };
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::common::ScalarValue;
        use datafusion::logical_expr::Expr;

        let usage = || {
            datafusion::error::DataFusionError::Plan(format!(
                "{DETAILS_FUNCTION}([name [, text]]): name and text are string literals; \
                 text is one of ir, opt_ir, asm, ptx"
            ))
        };
        let mut strings = Vec::new();
        for expr in args.exprs() {
            match expr {
                Expr::Literal(ScalarValue::Utf8(Some(s)), _)
                | Expr::Literal(ScalarValue::Utf8View(Some(s)), _)
                | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _) => strings.push(s.clone()),
                _ => return Err(usage()),
            }
        }
        if strings.len() > 2 {
            return Err(usage());
        }
        let mut texts = DetailTexts::default();
        let kind = strings.get(1);
        if kind.is_some_and(|k| !texts.add(k)) {
            return Err(usage());
        }
        let rows = all_details(
            &self.compiler,
            self.catalog.as_ref(),
            &self.tables,
            strings.first().map(String::as_str),
            texts,
        )
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let text_col = |get: fn(&FunctionDetails) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(get)))
        };
        let ms = |phase: &str| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|d| {
                d.phases
                    .iter()
                    .find(|(p, _)| *p == phase)
                    .map_or(0.0, |(_, t)| t.as_secs_f64() * 1e3)
            })))
        };
        let mut fields = vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("signature", DataType::Utf8, false),
            Field::new("target", DataType::Utf8, false),
            Field::new("target_name", DataType::Utf8, false),
            Field::new("owner", DataType::Utf8, false),
            Field::new("instructions", DataType::Int64, false),
            Field::new("basic_blocks", DataType::Int64, false),
            Field::new("vector_width", DataType::UInt32, true),
            Field::new("parse_ms", DataType::Float64, false),
            Field::new("verify_ms", DataType::Float64, false),
            Field::new("generate_ms", DataType::Float64, false),
            Field::new("optimise_ms", DataType::Float64, false),
            Field::new("codegen_ms", DataType::Float64, false),
            Field::new("link_ms", DataType::Float64, false),
            Field::new("code_source", DataType::Utf8, false),
            Field::new("invocations", DataType::Int64, false),
            Field::new("rows", DataType::Int64, false),
        ];
        let mut columns: Vec<ArrayRef> = vec![
            text_col(|d| &d.name),
            text_col(|d| &d.signature),
            text_col(|d| &d.target),
            text_col(|d| &d.target_name),
            text_col(|d| &d.owner),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|d| d.instructions as i64),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|d| d.basic_blocks as i64),
            )),
            Arc::new(UInt32Array::from_iter(rows.iter().map(|d| d.vector_width))),
            ms("parse"),
            ms("verify"),
            ms("generate"),
            ms("optimise"),
            ms("codegen"),
            ms("link"),
            text_col(|d| &d.code_source),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|d| d.invocations as i64),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|d| d.rows as i64),
            )),
        ];
        if kind.is_some() {
            fields.push(Field::new("code", DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from_iter(rows.iter().map(|d| {
                d.ir.as_deref()
                    .or(d.optimized_ir.as_deref())
                    .or(d.assembly.as_deref())
                    .or(d.ptx.as_deref())
                    .or(d.note.as_deref())
            }))));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        Ok(Arc::new(datafusion::datasource::MemTable::try_new(
            schema,
            vec![vec![batch]],
        )?))
    }
}

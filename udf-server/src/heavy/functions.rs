//! Runtime UDFs the HeavyDB way: `register_runtime_extension_functions`, the function
//! introspection methods, and the `get_device_parameters` map that rbc compiles against.

use std::collections::{BTreeMap, BTreeSet};

use db_glue::{
    ColumnType, FunctionInfo, FunctionSpec, OutputColumn, ScalarType, Signature, Sizer, TableArg,
    TableFunctionInfo, TableFunctionSpec, TableSignature,
};
use udf_thrift::{ENUM_MEMBERS, TExtArgumentType, TUserDefinedFunction, TUserDefinedTableFunction};

use crate::error::{Error, Result};

/// Origin recorded for functions registered through this method by `user`: a
/// registration replaces exactly the functions with its origin.
pub fn runtime_origin(user: &str) -> String {
    format!("heavydb:{user}")
}

pub fn is_runtime(origin: &str) -> bool {
    origin.starts_with("heavydb:")
}

/// Where a registered name says it runs: `name__cpu_N`, `name__gpu_N`, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Gpu,
    Any,
}

/// `incr__cpu_0` → (`incr`, Cpu). The SQL name is the part before the first `__`,
/// case-insensitive.
pub fn split_name(full: &str) -> (String, Device) {
    match full.split_once("__") {
        Some((name, suffix)) => {
            let device = if suffix.starts_with("cpu_") || suffix.contains("_cpu_") {
                Device::Cpu
            } else if suffix.starts_with("gpu_") || suffix.contains("_gpu_") {
                Device::Gpu
            } else {
                Device::Any
            };
            (name.to_ascii_lowercase(), device)
        }
        None => (full.to_ascii_lowercase(), Device::Any),
    }
}

/// What one registration asks for, checked.
#[derive(Debug)]
pub struct RuntimeSet {
    /// (SQL name, IR symbol + signature) for each CPU overload.
    pub cpu: Vec<(String, FunctionSpec)>,
    /// (SQL name, symbol + signature) for each GPU variant (`name__gpu_N`).
    pub gpu: Vec<(String, FunctionSpec)>,
    /// (SQL name, symbol + signature) for each table function (CPU variants only).
    pub tables: Vec<(String, TableFunctionSpec)>,
    pub cpu_ir: Option<Vec<u8>>,
    pub gpu_ir: Option<Vec<u8>>,
}

/// Checks the UDF list of a registration and pairs it with the device modules.
pub fn runtime_set(
    udfs: &[TUserDefinedFunction],
    udtfs: &[TUserDefinedTableFunction],
    device_ir_map: &BTreeMap<String, String>,
) -> Result<RuntimeSet> {
    let mut tables = Vec::new();
    for udtf in udtfs {
        let full = udtf.name.clone().unwrap_or_default();
        let (name, device) = split_name(&full);
        if device == Device::Gpu {
            // Table functions run on the CPU; rbc sends GPU twins of them anyway.
            tracing::info!(
                function = full,
                "ignoring the GPU variant of a table function"
            );
            continue;
        }
        let signature = table_signature(udtf)
            .map_err(|e| Error::Registration(format!("table function `{full}`: {e}")))?;
        tables.push((name, TableFunctionSpec::new(full, signature)));
    }
    for key in device_ir_map.keys() {
        if key != "cpu" && key != "gpu" {
            return Err(Error::InvalidArgument(format!(
                "device_ir_map key `{key}` is not a device (expected \"cpu\" or \"gpu\")"
            )));
        }
    }
    let mut cpu = Vec::new();
    let mut gpu = Vec::new();
    let mut seen = BTreeSet::new();
    for udf in udfs {
        let full = udf.name.clone().unwrap_or_default();
        if full.is_empty() {
            return Err(Error::InvalidArgument("a UDF has no name".into()));
        }
        if !seen.insert(full.clone()) {
            return Err(Error::InvalidArgument(format!(
                "UDF `{full}` is listed twice"
            )));
        }
        let uses_manager = udf
            .annotations
            .as_ref()
            .and_then(|a| a.last())
            .and_then(|m| m.get("uses_manager"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if uses_manager {
            return Err(Error::Unsupported(format!(
                "`{full}` takes a RowFunctionManager, which is not supported yet"
            )));
        }
        let (name, device) = split_name(&full);
        let args: Vec<i32> = udf
            .arg_types
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|t| t.0)
            .collect();
        let ret = udf.ret_type.unwrap_or_default().0;
        let signature = Signature::from_ext_arg_types(ret, &args)
            .map_err(|e| Error::Registration(format!("`{full}`: {e}")))?;
        let spec = FunctionSpec::new(full, signature);
        match device {
            Device::Gpu => gpu.push((name, spec)),
            Device::Cpu => cpu.push((name, spec)),
            Device::Any => {
                gpu.push((name.clone(), spec.clone()));
                cpu.push((name, spec));
            }
        }
    }
    let cpu_ir = device_ir_map.get("cpu").map(|ir| ir.clone().into_bytes());
    if !(cpu.is_empty() && tables.is_empty()) && cpu_ir.is_none() {
        return Err(Error::InvalidArgument(format!(
            "device_ir_map has no \"cpu\" module, but {} are CPU functions",
            cpu.iter()
                .map(|(_, s)| s.symbol.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // A GPU variant needs a CPU twin: the CPU kernel is what `cpu`/`auto` run and what
    // the GPU's results are checked against.
    if let Some((_, spec)) = gpu.iter().find(|(name, spec)| {
        !cpu.iter()
            .any(|(n, s)| n == name && s.signature == spec.signature)
    }) {
        return Err(Error::Unsupported(format!(
            "GPU-only function `{}`: register a CPU variant with the same signature too",
            spec.symbol
        )));
    }
    let gpu_ir = device_ir_map.get("gpu").map(|ir| ir.clone().into_bytes());
    Ok(RuntimeSet {
        cpu,
        gpu,
        tables,
        cpu_ir,
        gpu_ir,
    })
}

/// A HeavyDB table function description as a signature: the SQL arguments walk the IR
/// inputs (a cursor takes as many as its `fields` annotation lists, else one; the sizer
/// is the argument annotated `sizer`), outputs are named by their `name` annotations.
fn table_signature(
    udtf: &TUserDefinedTableFunction,
) -> std::result::Result<TableSignature, String> {
    let codes = |v: &Option<Vec<TExtArgumentType>>| -> Vec<i32> {
        v.as_deref()
            .unwrap_or_default()
            .iter()
            .map(|t| t.0)
            .collect()
    };
    let inputs = codes(&udtf.input_arg_types);
    let outputs = codes(&udtf.output_arg_types);
    let sql = codes(&udtf.sql_arg_types);
    let annotations = udtf.annotations.clone().unwrap_or_default();
    let annotation = |i: usize, key: &str| annotations.get(i).and_then(|m| m.get(key)).cloned();
    let manager = annotations
        .last()
        .and_then(|m| m.get("uses_manager"))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let sizer_code = udtf.sizer_type.map_or(2, |t| t.0);
    let sizer = match sizer_code {
        0 => Sizer::Constant(i64::from(udtf.sizer_arg_pos.unwrap_or(0))),
        1 => Sizer::ConstantParameter,
        2 => Sizer::RowMultiplier,
        3 => Sizer::TableFunctionSpecified,
        4 => return Err("pre-flight sizers (kPreFlightParameter) are not supported".into()),
        other => return Err(format!("unknown sizer type {other}")),
    };
    let mut next_input = inputs.iter().copied();
    let mut args = Vec::new();
    for (i, &code) in sql.iter().enumerate() {
        if code == 24 {
            let fields = annotation(i, "fields")
                .map(|f| f.split(',').filter(|p| !p.trim().is_empty()).count())
                .filter(|n| *n > 0)
                .unwrap_or(1);
            let mut columns = Vec::with_capacity(fields);
            for _ in 0..fields {
                let code = next_input
                    .next()
                    .ok_or("inputArgTypes ends inside a cursor")?;
                columns.push(ColumnType::from_ext_arg_type(code).ok_or_else(|| {
                    format!(
                        "input type {} is not a supported column type (Column and ColumnList \
                         of bool, int8..int64, float, double)",
                        code_name(code)
                    )
                })?);
            }
            args.push(TableArg::Cursor {
                fields: columns,
                bare: fields == 1 && annotation(i, "fields").is_none(),
            });
        } else if annotation(i, "sizer").is_some() {
            next_input.next();
            args.push(TableArg::Sizer);
        } else {
            let input = next_input
                .next()
                .ok_or("inputArgTypes is shorter than sqlArgTypes")?;
            let t = ScalarType::from_ext_arg_type(input).map_err(|e| e.to_string())?;
            args.push(TableArg::Scalar(t));
        }
    }
    let outputs = outputs
        .iter()
        .enumerate()
        .map(|(j, &code)| match ColumnType::from_ext_arg_type(code) {
            Some(ColumnType::Column(ty)) => Ok(OutputColumn {
                name: annotation(sql.len() + j, "name"),
                ty,
            }),
            _ => Err(format!(
                "output type {} is not a supported column type",
                code_name(code)
            )),
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    let signature = TableSignature {
        manager,
        args,
        sizer,
        outputs,
    };
    signature.check().map_err(|e| e.to_string())?;
    Ok(signature)
}

/// `ColumnDouble (32)`.
fn code_name(code: i32) -> String {
    ENUM_MEMBERS
        .iter()
        .filter(|(e, _)| *e == "TExtArgumentType")
        .flat_map(|(_, members)| members.iter())
        .find(|(_, c)| *c == code)
        .map_or_else(|| format!("{code}"), |(n, _)| format!("{n} ({code})"))
}

/// `get_table_function_details`' description of a registered table function, with the
/// codes and annotations a HeavyDB client sends for it.
pub fn table_details(info: &TableFunctionInfo) -> TUserDefinedTableFunction {
    let sig = &info.signature;
    let column_code = |c: ColumnType| TExtArgumentType(c.ext_arg_type());
    let mut inputs = Vec::new();
    let mut sql = Vec::new();
    let mut annotations: Vec<BTreeMap<String, String>> = Vec::new();
    let mut sizer_pos = None;
    for arg in &sig.args {
        let mut map = BTreeMap::new();
        match arg {
            TableArg::Cursor { fields, bare } => {
                inputs.extend(fields.iter().map(|f| column_code(*f)));
                sql.push(TExtArgumentType(24));
                if !bare {
                    let names: Vec<String> =
                        (0..fields.len()).map(|i| format!("'field{i}'")).collect();
                    map.insert("fields".to_string(), format!("[{}]", names.join(", ")));
                }
            }
            TableArg::Scalar(t) => {
                inputs.push(TExtArgumentType(t.ext_arg_type()));
                sql.push(TExtArgumentType(t.ext_arg_type()));
            }
            TableArg::Sizer => {
                inputs.push(TExtArgumentType(ScalarType::Int32.ext_arg_type()));
                sql.push(TExtArgumentType(ScalarType::Int32.ext_arg_type()));
                // 1-based over the IR inputs, as rbc counts them.
                sizer_pos = Some(inputs.len() as i32);
                map.insert(
                    "sizer".to_string(),
                    match sig.sizer {
                        Sizer::ConstantParameter => "ConstantParameter",
                        _ => "RowMultiplier",
                    }
                    .to_string(),
                );
            }
        }
        annotations.push(map);
    }
    let outputs: Vec<TExtArgumentType> = sig
        .outputs
        .iter()
        .map(|o| column_code(ColumnType::Column(o.ty)))
        .collect();
    for o in &sig.outputs {
        let mut map = BTreeMap::new();
        if let Some(name) = &o.name {
            map.insert("name".to_string(), name.clone());
        }
        annotations.push(map);
    }
    let mut last = BTreeMap::new();
    if sig.manager {
        last.insert("uses_manager".to_string(), "True".to_string());
    }
    annotations.push(last);
    let sizer_pos = match sig.sizer {
        Sizer::Constant(n) => Some(n as i32),
        _ => sizer_pos,
    };
    TUserDefinedTableFunction {
        name: Some(info.symbol.clone()),
        sizer_type: Some(udf_thrift::TOutputBufferSizeType(sig.sizer.code())),
        sizer_arg_pos: sizer_pos,
        input_arg_types: Some(inputs),
        output_arg_types: Some(outputs),
        sql_arg_types: Some(sql),
        annotations: Some(annotations),
    }
}

/// `get_function_details`' description of a registered overload.
pub fn details(info: &FunctionInfo) -> TUserDefinedFunction {
    let args: Vec<TExtArgumentType> = info
        .signature
        .args
        .iter()
        .map(|a| TExtArgumentType(a.ext_arg_type()))
        .collect();
    // One annotation map per argument plus one for the function, as rbc sends them.
    let annotations = vec![BTreeMap::new(); args.len() + 1];
    TUserDefinedFunction {
        name: Some(info.symbol.clone()),
        arg_types: Some(args),
        ret_type: Some(TExtArgumentType(info.signature.ret.ext_arg_type())),
        annotations: Some(annotations),
    }
}

/// Sizes of C types on the server (x86-64 / aarch64 Linux, LP64).
const TYPE_SIZEOF: &str = "bool:1;size_t:8;ssize_t:8;char:1;uchar:1;short:2;ushort:2;int:4;uint:4;\
long:8;ulong:8;longlong:8;ulonglong:8;float:4;double:8;longdouble:16;voidptr:8;";

/// NULL sentinels as unsigned bit patterns, HeavyDB's exact keys.
const NULL_VALUES: &str = "boolean1:1;boolean8:128;int8:128;int16:32768;int32:2147483648;\
int64:9223372036854775808;uint8:255;uint16:65535;uint32:4294967295;uint64:18446744073709551615;\
float32:8388608;float64:4503599627370496;Array<boolean8>:129;Array<int8>:129;Array<int16>:32769;\
Array<int32>:2147483649;Array<int64>:9223372036854775809;Array<float32>:16777216;\
Array<float64>:9007199254740992;";

/// Enums whose tables rbc reads from the server (it overwrites its own with them).
const SERVED_ENUMS: &[&str] = &[
    "TDeviceType",
    "TDatumType",
    "TEncodingType",
    "TExtArgumentType",
    "TOutputBufferSizeType",
];

/// The host CPU as the client's code generator should target it.
pub struct HostCpu<'a> {
    pub name: &'a str,
    pub triple: &'a str,
    /// LLVM feature string, `+a,-b,…`.
    pub features: &'a str,
    pub llvm_version: &'a str,
}

/// The CUDA device as rbc should compile for it.
pub struct GpuParams {
    pub name: String,
    pub count: usize,
    /// (major, minor)
    pub compute_capability: (i32, i32),
    pub data_layout: String,
    /// (major, minor) CUDA version of the driver.
    pub driver: (i32, i32),
    pub has_libdevice: bool,
}

pub fn device_parameters(cpu: &HostCpu<'_>, gpu: Option<&GpuParams>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    map.insert("cpu_name".into(), cpu.name.to_string());
    map.insert("cpu_triple".into(), cpu.triple.to_string());
    map.insert("cpu_cores".into(), threads.to_string());
    map.insert("cpu_threads".into(), threads.to_string());
    // rbc wants a leading space and space-separated `+f`/`-f`.
    let features: String = cpu
        .features
        .split(',')
        .filter(|f| !f.is_empty())
        .map(|f| format!(" {f}"))
        .collect();
    map.insert("cpu_features".into(), features);
    map.insert("llvm_version".into(), cpu.llvm_version.to_string());
    map.insert("type_sizeof".into(), TYPE_SIZEOF.into());
    map.insert("null_values".into(), NULL_VALUES.into());
    // Any `<device>_triple` key declares a device to rbc, so these appear only with a GPU.
    if let Some(gpu) = gpu {
        let (major, minor) = gpu.compute_capability;
        map.insert("gpu_name".into(), gpu.name.clone());
        map.insert("gpu_count".into(), gpu.count.to_string());
        map.insert("gpu_compute_capability".into(), format!("{major}.{minor}"));
        map.insert("gpu_triple".into(), "nvptx64-nvidia-cuda".into());
        map.insert("gpu_datalayout".into(), gpu.data_layout.clone());
        map.insert(
            "gpu_driver".into(),
            format!("CUDA {}.{}", gpu.driver.0, gpu.driver.1),
        );
        map.insert(
            "gpu_has_libdevice".into(),
            if gpu.has_libdevice { "1" } else { "0" }.into(),
        );
    }
    for (enum_name, members) in ENUM_MEMBERS {
        if SERVED_ENUMS.contains(enum_name) {
            for (member, value) in *members {
                map.insert(format!("{enum_name}.{member}"), value.to_string());
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_by_device() {
        assert_eq!(split_name("incr__cpu_0"), ("incr".into(), Device::Cpu));
        assert_eq!(split_name("MyAdd__gpu_1"), ("myadd".into(), Device::Gpu));
        assert_eq!(split_name("plain"), ("plain".into(), Device::Any));
        assert_eq!(split_name("f__x"), ("f".into(), Device::Any));
    }

    #[test]
    fn device_parameters_have_what_rbc_requires() {
        let cpu = HostCpu {
            name: "znver4",
            triple: "x86_64-unknown-linux-gnu",
            features: "+avx2,-avx512f",
            llvm_version: "22.1.0",
        };
        let map = device_parameters(&cpu, None);
        assert_eq!(map["cpu_features"], " +avx2 -avx512f");
        assert!(map["type_sizeof"].contains("size_t:8;") && map["type_sizeof"].contains("uint:4;"));
        assert!(map["null_values"].contains("int64:9223372036854775808;"));
        assert_eq!(map["TDatumType.BOOL"], "10");
        assert_eq!(map["TExtArgumentType.ColumnDouble"], "32");
        assert_eq!(map["TOutputBufferSizeType.kConstant"], "0");
        assert!(!map.keys().any(|k| k.starts_with("gpu_")));

        let gpu = GpuParams {
            name: "NVIDIA H100 80GB HBM3".into(),
            count: 1,
            compute_capability: (9, 0),
            data_layout: "e-p6:32:32-i64:64".into(),
            driver: (12, 8),
            has_libdevice: true,
        };
        let map = device_parameters(&cpu, Some(&gpu));
        assert_eq!(map["gpu_compute_capability"], "9.0");
        assert_eq!(map["gpu_triple"], "nvptx64-nvidia-cuda");
        assert_eq!(map["gpu_driver"], "CUDA 12.8");
        assert_eq!(map["gpu_has_libdevice"], "1");
    }
}

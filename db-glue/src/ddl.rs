//! The function statements the engine handles itself, read from sqlparser's AST:
//! `CREATE FUNCTION … LANGUAGE llvm`, `DROP FUNCTION`, `SHOW FUNCTIONS`. DataFusion's
//! planner would drop the link symbol and cannot drop a single overload.

use compiler::{
    ColumnType, OutputColumn, ScalarType, Signature, Sizer, TableArg, TableSignature, ValueType,
};
use datafusion::sql::sqlparser::ast::{
    ArgMode, ArrayElemTypeDef, ColumnDef, CreateFunction, CreateFunctionBody, DataType as SqlType,
    DropFunction, Expr, FunctionBehavior, FunctionCalledOnNull, FunctionReturnType, Ident,
    ObjectName, OperateFunctionArg, Value,
};

use crate::error::{Error, Result};

/// `CREATE FUNCTION name(types) RETURNS type LANGUAGE llvm AS $$ir$$[, 'symbol']`.
#[derive(Debug)]
pub(crate) struct CreateFunctionStatement {
    /// Lowercase SQL name.
    pub(crate) name: String,
    /// The name as written, tried first when looking for the IR symbol.
    pub(crate) name_as_written: String,
    pub(crate) signature: Signature,
    /// A table function's signature (`RETURNS TABLE(…)`); `signature` is then unused.
    pub(crate) table: Option<TableSignature>,
    pub(crate) ir: String,
    pub(crate) link_symbol: Option<String>,
    pub(crate) or_replace: bool,
}

/// One function of a `DROP FUNCTION` statement: all overloads, or the one taking `args`.
#[derive(Debug)]
pub(crate) struct DropTarget {
    pub(crate) name: String,
    pub(crate) args: Option<Vec<ValueType>>,
    /// The arguments as a table function's (`CURSOR(DOUBLE), ROWMULTIPLIER`), when they
    /// read as such.
    pub(crate) table_args: Option<Vec<TableArg>>,
}

pub(crate) fn create_function(stmt: &CreateFunction) -> Result<CreateFunctionStatement> {
    let unsupported = |clause: &str| {
        Err(Error::Unsupported(format!(
            "{clause} in CREATE FUNCTION (IR functions are strict, immutable and global)"
        )))
    };
    if stmt.or_alter {
        return unsupported("OR ALTER");
    }
    if stmt.temporary {
        return unsupported("TEMPORARY");
    }
    if stmt.if_not_exists {
        return unsupported("IF NOT EXISTS");
    }
    if matches!(
        stmt.behavior,
        Some(FunctionBehavior::Stable | FunctionBehavior::Volatile)
    ) {
        return unsupported("STABLE or VOLATILE");
    }
    if matches!(
        stmt.called_on_null,
        Some(FunctionCalledOnNull::CalledOnNullInput)
    ) {
        return unsupported("CALLED ON NULL INPUT");
    }
    if stmt.security.is_some()
        || !stmt.set_params.is_empty()
        || stmt.using.is_some()
        || stmt.determinism_specifier.is_some()
        || stmt.options.is_some()
        || stmt.remote_connection.is_some()
    {
        return unsupported("this clause");
    }

    let (name, name_as_written) = function_name(&stmt.name)?;
    match &stmt.language {
        Some(lang) if lang.value.eq_ignore_ascii_case("llvm") => {}
        Some(lang) => {
            return Err(Error::Unsupported(format!(
                "LANGUAGE {lang} for `{name}`: functions are written in LANGUAGE llvm \
                 (LLVM IR text)"
            )));
        }
        None => {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` needs LANGUAGE llvm"
            )));
        }
    }
    let table = match &stmt.return_type {
        Some(FunctionReturnType::DataType(SqlType::Table(columns))) => Some(table_signature(
            &name,
            stmt.args.as_deref().unwrap_or_default(),
            columns.as_deref().unwrap_or_default(),
        )?),
        _ => None,
    };
    let args = if table.is_some() {
        Vec::new()
    } else {
        stmt.args
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|a| argument_type(&name, a))
            .collect::<Result<Vec<_>>>()?
    };
    let ret = match &stmt.return_type {
        _ if table.is_some() => ValueType::Scalar(ScalarType::Int32),
        Some(FunctionReturnType::DataType(t)) => value_type(t)?,
        Some(FunctionReturnType::SetOf(_)) => return unsupported("RETURNS SETOF"),
        None => {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` needs RETURNS <type>"
            )));
        }
    };
    let (ir, link_symbol) = match &stmt.function_body {
        Some(CreateFunctionBody::AsBeforeOptions { body, link_symbol }) => (
            string_literal(body, "the IR")?,
            link_symbol
                .as_ref()
                .map(|s| string_literal(s, "the link symbol"))
                .transpose()?,
        ),
        Some(CreateFunctionBody::AsAfterOptions(body)) => (string_literal(body, "the IR")?, None),
        Some(_) => return unsupported("this kind of body"),
        None => {
            return Err(Error::InvalidDefinition(format!(
                "`{name}` needs a body: AS $$<LLVM IR>$$"
            )));
        }
    };
    // `AS $$` is usually followed by a line break; without it, the compiler's line:column
    // positions count from the IR's first line.
    let ir = match ir.strip_prefix("\r\n").or_else(|| ir.strip_prefix('\n')) {
        Some(rest) => rest.to_string(),
        None => ir,
    };
    Ok(CreateFunctionStatement {
        name,
        name_as_written,
        signature: Signature::new(ret, args),
        table,
        ir,
        link_symbol,
        or_replace: stmt.or_replace,
    })
}

pub(crate) fn drop_function(stmt: &DropFunction) -> Result<Vec<DropTarget>> {
    stmt.func_desc
        .iter()
        .map(|desc| {
            let (name, _) = function_name(&desc.name)?;
            let table_args = desc
                .args
                .as_ref()
                .and_then(|args| table_arguments(&name, args).ok())
                .map(|(_, args, _)| args);
            let args = desc
                .args
                .as_ref()
                .map(|args| {
                    args.iter()
                        .map(|a| argument_type(&name, a))
                        .collect::<Result<Vec<_>>>()
                })
                .transpose();
            let args = match (args, &table_args) {
                (Ok(args), _) => args,
                (Err(_), Some(_)) => None,
                (Err(e), None) => return Err(e),
            };
            Ok(DropTarget {
                name,
                args,
                table_args,
            })
        })
        .collect()
}

/// Function names are case-insensitive, as in HeavyDB: they are kept lowercase, which is
/// also how DataFusion looks up an unquoted name.
pub(crate) fn normalize_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::InvalidDefinition("empty function name".into()));
    }
    Ok(name.to_lowercase())
}

fn function_name(name: &ObjectName) -> Result<(String, String)> {
    let parts: Vec<Option<&Ident>> = name.0.iter().map(|p| p.as_ident()).collect();
    match parts.as_slice() {
        [Some(ident)] => Ok((normalize_name(&ident.value)?, ident.value.clone())),
        _ => Err(Error::Unsupported(format!(
            "function name `{name}`: functions have unqualified names"
        ))),
    }
}

fn argument_type(function: &str, arg: &OperateFunctionArg) -> Result<ValueType> {
    if matches!(arg.mode, Some(ArgMode::Out | ArgMode::InOut)) {
        return Err(Error::Unsupported(format!(
            "OUT and INOUT arguments of `{function}`"
        )));
    }
    if arg.default_expr.is_some() {
        return Err(Error::Unsupported(format!(
            "default argument values of `{function}`"
        )));
    }
    value_type(&arg.data_type)
}

/// [`scalar_type`]s, arrays of them (`INT[]`, `ARRAY<INT>`, `int32[]`) and text (`TEXT`,
/// `VARCHAR`, `STRING`, RBC's `TextEncodingNone`).
pub(crate) fn value_type(ty: &SqlType) -> Result<ValueType> {
    Ok(match ty {
        SqlType::Array(
            ArrayElemTypeDef::SquareBracket(element, None)
            | ArrayElemTypeDef::AngleBracket(element)
            | ArrayElemTypeDef::Parenthesis(element),
        ) => ValueType::Array(scalar_type(element)?),
        SqlType::Array(ArrayElemTypeDef::SquareBracket(_, Some(_))) => {
            return Err(Error::InvalidDefinition(format!(
                "type {ty}: fixed-length arrays are not supported by IR functions; write T[]"
            )));
        }
        SqlType::Array(ArrayElemTypeDef::None) => {
            return Err(Error::InvalidDefinition(
                "type ARRAY needs its element type: ARRAY<INT> or INT[]".into(),
            ));
        }
        SqlType::Text | SqlType::Varchar(None) | SqlType::String(None) => ValueType::Text,
        SqlType::Custom(name, modifiers)
            if modifiers.is_empty()
                && name.to_string().eq_ignore_ascii_case("TextEncodingNone") =>
        {
            ValueType::Text
        }
        other => ValueType::Scalar(scalar_type(other)?),
    })
}

/// SQL type spellings (BIGINT, INT, SMALLINT, TINYINT, BOOLEAN, REAL, FLOAT, DOUBLE) and
/// RBC's (int64, float64, i32, f64, …) as scalar types.
pub(crate) fn scalar_type(ty: &SqlType) -> Result<ScalarType> {
    Ok(match ty {
        SqlType::Bool | SqlType::Boolean => ScalarType::Bool,
        SqlType::TinyInt(_) => ScalarType::Int8,
        SqlType::SmallInt(_) | SqlType::Int2(_) | SqlType::Int16 => ScalarType::Int16,
        SqlType::Int(_) | SqlType::Integer(_) | SqlType::Int4(_) | SqlType::Int32 => {
            ScalarType::Int32
        }
        SqlType::BigInt(_) | SqlType::Int64 => ScalarType::Int64,
        // DataFusion's FLOAT is 32-bit, like HeavyDB's.
        SqlType::Float(_) | SqlType::Real | SqlType::Float4 | SqlType::Float32 => {
            ScalarType::Float32
        }
        SqlType::Double(_) | SqlType::DoublePrecision | SqlType::Float8 | SqlType::Float64 => {
            ScalarType::Float64
        }
        SqlType::Int8(_) => {
            return Err(Error::InvalidDefinition(
                "type INT8 is ambiguous: SQL (and DataFusion's CREATE TABLE) reads it as \
                 BIGINT, RBC as an 8-bit integer; write TINYINT or BIGINT (or i8 / i64)"
                    .into(),
            ));
        }
        SqlType::Custom(name, modifiers) if modifiers.is_empty() => {
            ScalarType::parse(&name.to_string().to_lowercase())
                .map_err(|e| Error::InvalidDefinition(format!("type `{name}`: {e}")))?
        }
        other => {
            return Err(Error::InvalidDefinition(format!(
                "type {other} is not supported by IR functions (supported: BOOLEAN, \
                 TINYINT, SMALLINT, INT, BIGINT, REAL/FLOAT, DOUBLE, arrays of them, TEXT)"
            )));
        }
    })
}

fn string_literal(expr: &Expr, what: &str) -> Result<String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::DollarQuotedString(s) => Ok(s.value.clone()),
            Value::SingleQuotedString(s) => Ok(s.clone()),
            _ => Err(Error::InvalidDefinition(format!(
                "{what} must be a string ($$…$$ or '…'), got {expr}"
            ))),
        },
        _ => Err(Error::InvalidDefinition(format!(
            "{what} must be a string ($$…$$ or '…'), got {expr}"
        ))),
    }
}

/// The IR symbol implementing a SQL-created function: the link symbol when the statement
/// names one; else the symbol named like the function, else RBC's mangled name for the
/// signature (`hypexp` + `f64(f64, f64)` → `hypexp_daddA`), whichever the IR defines.
pub(crate) fn choose_symbol(stmt: &CreateFunctionStatement) -> Result<String> {
    if let Some(symbol) = &stmt.link_symbol {
        return Ok(symbol.clone());
    }
    let mut candidates = vec![stmt.name_as_written.clone(), stmt.name.clone()];
    // Arrays, text and table functions have no RBC mangling here: only the plain names are
    // tried.
    let mangle = stmt
        .table
        .is_none()
        .then(|| stmt.signature.mangle())
        .flatten();
    if let Some(mangle) = &mangle {
        candidates.push(format!("{}{mangle}", stmt.name_as_written));
        candidates.push(format!("{}{mangle}", stmt.name));
    }
    // Unparsable IR defines nothing here; the compiler then reports the parse error
    // (with line:column) when it compiles under the name as written.
    let defined = compiler::defined_functions(stmt.ir.as_bytes()).unwrap_or_default();
    if let Some(found) = candidates.iter().find(|c| defined.contains(c)) {
        return Ok(found.clone());
    }
    if defined.is_empty() {
        return Ok(stmt.name_as_written.clone());
    }
    let tried = match &mangle {
        Some(mangle) => format!("neither `{}` nor `{}{mangle}`", stmt.name, stmt.name),
        None => format!("no `{}`", stmt.name),
    };
    Err(Error::InvalidDefinition(format!(
        "the IR defines {tried} (it defines: {}); name the symbol with AS $$…$$, 'symbol'",
        defined.join(", ")
    )))
}

/// A table function's signature from `CREATE FUNCTION f([TABLEFUNCTIONMANAGER,]
/// CURSOR(DOUBLE, COLUMNLIST BIGINT), k INT, ROWMULTIPLIER) RETURNS TABLE(a DOUBLE, …)`;
/// the sizer is `ROWMULTIPLIER`, `CONSTANTPARAMETER` or `CONSTANT(n)` (no SQL argument).
fn table_signature(
    name: &str,
    args: &[OperateFunctionArg],
    outputs: &[ColumnDef],
) -> Result<TableSignature> {
    let (manager, args, constant) = defined_arguments(name, args)?;
    let declared = args.iter().find_map(|a| match a {
        DefinedArg::Sizer(k) => Some(*k),
        DefinedArg::Arg(_) => None,
    });
    let sizer = match (constant, declared) {
        (Some(n), _) => Sizer::Constant(n),
        (None, Some(k)) => k,
        (None, None) => Sizer::TableFunctionSpecified,
    };
    let outputs = outputs
        .iter()
        .map(|c| {
            Ok(OutputColumn {
                name: Some(c.name.value.to_lowercase()),
                ty: scalar_type(&c.data_type)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let signature = TableSignature {
        manager,
        args: args.into_iter().map(|a| a.into()).collect(),
        sizer,
        outputs,
    };
    signature
        .check()
        .map_err(|e| Error::InvalidDefinition(format!("table function `{name}`: {e}")))?;
    Ok(signature)
}

/// One SQL argument of a table function definition, with the sizer's kind kept.
enum DefinedArg {
    Arg(TableArg),
    Sizer(Sizer),
}

impl From<DefinedArg> for TableArg {
    fn from(a: DefinedArg) -> TableArg {
        match a {
            DefinedArg::Arg(a) => a,
            DefinedArg::Sizer(_) => TableArg::Sizer,
        }
    }
}

impl DefinedArg {
    fn is_sizer(&self) -> bool {
        matches!(self, DefinedArg::Sizer(_))
    }
}

/// The manager flag, the SQL arguments and a `CONSTANT(n)` sizer of a table function's
/// argument list.
fn table_arguments(
    name: &str,
    args: &[OperateFunctionArg],
) -> Result<(bool, Vec<TableArg>, Option<i64>)> {
    let (manager, defined, constant) = defined_arguments(name, args)?;
    Ok((
        manager,
        defined.into_iter().map(Into::into).collect(),
        constant,
    ))
}

fn defined_arguments(
    name: &str,
    args: &[OperateFunctionArg],
) -> Result<(bool, Vec<DefinedArg>, Option<i64>)> {
    let bad = |what: String| {
        Err(Error::InvalidDefinition(format!(
            "table function `{name}`: {what}"
        )))
    };
    let mut manager = false;
    let mut out = Vec::new();
    let mut constant = None;
    let mut cursors = 0;
    for (i, arg) in args.iter().enumerate() {
        let SqlType::Custom(word, modifiers) = &arg.data_type else {
            out.push(DefinedArg::Arg(TableArg::Scalar(scalar_type(
                &arg.data_type,
            )?)));
            continue;
        };
        match word.to_string().to_uppercase().as_str() {
            "TABLEFUNCTIONMANAGER" if i == 0 => manager = true,
            "TABLEFUNCTIONMANAGER" => return bad("TABLEFUNCTIONMANAGER must come first".into()),
            "ROWMULTIPLIER" => out.push(DefinedArg::Sizer(Sizer::RowMultiplier)),
            "CONSTANTPARAMETER" => out.push(DefinedArg::Sizer(Sizer::ConstantParameter)),
            "CONSTANT" => match modifiers.as_slice() {
                [n] => match n.parse::<i64>() {
                    Ok(n) if n >= 0 => constant = Some(n),
                    _ => return bad(format!("CONSTANT({n}): expected a row count")),
                },
                _ => return bad("CONSTANT takes the row count: CONSTANT(3)".into()),
            },
            "CURSOR" => {
                cursors += 1;
                let mut fields = Vec::new();
                let mut words = modifiers.iter();
                while let Some(w) = words.next() {
                    if w.eq_ignore_ascii_case("COLUMNLIST") {
                        let Some(t) = words.next() else {
                            return bad("COLUMNLIST needs its type: COLUMNLIST DOUBLE".into());
                        };
                        fields.push(ColumnType::ColumnList(type_word(name, t)?));
                    } else {
                        fields.push(ColumnType::Column(type_word(name, w)?));
                    }
                }
                if fields.is_empty() {
                    return bad("CURSOR needs its column types: CURSOR(DOUBLE, BIGINT)".into());
                }
                out.push(DefinedArg::Arg(TableArg::Cursor {
                    fields,
                    bare: false,
                }));
            }
            _ => out.push(DefinedArg::Arg(TableArg::Scalar(scalar_type(
                &arg.data_type,
            )?))),
        }
    }
    if cursors == 0 {
        return bad("it takes no CURSOR".into());
    }
    if out.iter().filter(|a| a.is_sizer()).count() + usize::from(constant.is_some()) > 1 {
        return bad("more than one sizer".into());
    }
    Ok((manager, out, constant))
}

/// A column type inside `CURSOR(…)`: one SQL type word.
fn type_word(name: &str, word: &str) -> Result<ScalarType> {
    Ok(match word.to_uppercase().as_str() {
        "BOOLEAN" | "BOOL" => ScalarType::Bool,
        "TINYINT" => ScalarType::Int8,
        "SMALLINT" => ScalarType::Int16,
        "INT" | "INTEGER" => ScalarType::Int32,
        "BIGINT" => ScalarType::Int64,
        "FLOAT" | "REAL" => ScalarType::Float32,
        "DOUBLE" => ScalarType::Float64,
        other => {
            return Err(Error::InvalidDefinition(format!(
                "table function `{name}`: column type {other} (CURSOR columns are BOOLEAN, \
                 TINYINT, SMALLINT, INT, BIGINT, FLOAT or DOUBLE)"
            )));
        }
    })
}

//! Table function (UDTF) signatures: what a table function takes in SQL (cursors of columns,
//! literal scalars, the sizer), what it returns (output columns) and how that lowers to
//! the IR function's parameters (`udf-abi.md` §6). Spelled in RBC's grammar:
//! `int32(TableFunctionManager, Cursor<int64, ColumnList<float64>>, RowMultiplier,
//! OutputColumn<int64> total, OutputColumn<float64>)`.

use std::fmt;

use crate::error::{Error, Result};
use crate::types::ScalarType;

/// One column a cursor hands a table function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    /// `Column<T>`: one column, `{T* ptr, i64 size}`.
    Column(ScalarType),
    /// `ColumnList<T>`: one or more consecutive columns of the cursor, `{T** ptrs, i64
    /// num_cols, i64 num_rows}`.
    ColumnList(ScalarType),
}

impl ColumnType {
    pub fn element(self) -> ScalarType {
        match self {
            ColumnType::Column(t) | ColumnType::ColumnList(t) => t,
        }
    }

    /// HeavyDB `TExtArgumentType` code: ColumnInt8..ColumnBool (27–33),
    /// ColumnListInt8..ColumnListBool (36–42), element types in that order.
    pub fn ext_arg_type(self) -> i32 {
        let base = match self {
            ColumnType::Column(_) => 27,
            ColumnType::ColumnList(_) => 36,
        };
        base + column_offset(self.element())
    }

    /// The column type of a `TExtArgumentType` code, if it is one of the above.
    pub fn from_ext_arg_type(code: i32) -> Option<Self> {
        let element = |base: i32| {
            ScalarType::ALL
                .into_iter()
                .find(|t| base + column_offset(*t) == code)
        };
        match code {
            27..=33 => element(27).map(ColumnType::Column),
            36..=42 => element(36).map(ColumnType::ColumnList),
            _ => None,
        }
    }

    fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some(inner) = generic(t, "Column") {
            return Ok(ColumnType::Column(ScalarType::parse(inner)?));
        }
        if let Some(inner) = generic(t, "ColumnList") {
            return Ok(ColumnType::ColumnList(ScalarType::parse(inner)?));
        }
        // Inside `Cursor<…>`, RBC also accepts a bare scalar for `Column<scalar>`.
        Ok(ColumnType::Column(ScalarType::parse(t)?))
    }
}

/// Position of a column's element type in HeavyDB's Column… and ColumnList… code runs:
/// the scalar codes Int8..Double (0–5), then Bool.
fn column_offset(t: ScalarType) -> i32 {
    match t.ext_arg_type() {
        14 => 6,
        scalar => scalar,
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Column(t) => write!(f, "Column<{t}>"),
            ColumnType::ColumnList(t) => write!(f, "ColumnList<{t}>"),
        }
    }
}

/// One SQL argument of a table function.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableArg {
    /// `CURSOR(SELECT …)`: its columns, matched to `fields` in order. A bare
    /// `Column<T>`/`ColumnList<T>` in the signature is a cursor of one field.
    Cursor { fields: Vec<ColumnType>, bare: bool },
    /// A literal scalar, passed by value.
    Scalar(ScalarType),
    /// The sizer's SQL argument (`RowMultiplier` or `ConstantParameter`), an `i32` by value.
    Sizer,
}

/// How the output columns are sized before the call (`udf-abi.md` §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sizer {
    /// Capacity = the sizer argument × the first cursor's rows.
    RowMultiplier,
    /// Capacity = the sizer argument.
    ConstantParameter,
    /// Capacity fixed by the signature (HeavyDB's kConstant; `Constant<N>` here).
    Constant(i64),
    /// The function sets its output size through the manager
    /// (`TableFunctionManager_set_output_row_size`).
    TableFunctionSpecified,
}

impl Sizer {
    /// HeavyDB's `TOutputBufferSizeType` code.
    pub fn code(self) -> i32 {
        match self {
            Sizer::Constant(_) => 0,
            Sizer::ConstantParameter => 1,
            Sizer::RowMultiplier => 2,
            Sizer::TableFunctionSpecified => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Sizer::RowMultiplier => "RowMultiplier",
            Sizer::ConstantParameter => "ConstantParameter",
            Sizer::Constant(_) => "Constant",
            Sizer::TableFunctionSpecified => "TableFunctionSpecified",
        }
    }
}

/// One column a table function returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputColumn {
    /// The SQL column name; `None`: `out<i>`.
    pub name: Option<String>,
    pub ty: ScalarType,
}

/// A table function's signature. The IR function returns `i32` (rows written, or an error
/// code) and takes `[ptr mgr,] <one parameter per input>, <one ptr per output>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableSignature {
    /// Whether the IR function's first parameter is the `TableFunctionManager`.
    pub manager: bool,
    /// The SQL arguments in order.
    pub args: Vec<TableArg>,
    pub sizer: Sizer,
    pub outputs: Vec<OutputColumn>,
}

/// One parameter of the IR function, as the kernel passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IrParam {
    /// The manager, or a pointer to a column, column list or output column struct.
    Pointer,
    /// A scalar by value (a literal argument; the sizer is an `int32`).
    Value(ScalarType),
}

impl TableSignature {
    /// Parses RBC's grammar (see the module comment). Argument names are kept for output
    /// columns only; annotations (`| name=a`) name an output column too.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| {
            Error::Signature(format!(
                "cannot parse table function signature `{text}`: {why}"
            ))
        };
        let t = text.trim();
        let open = t
            .find('(')
            .ok_or_else(|| bad("expected `int32(args)`".into()))?;
        if !t.ends_with(')') {
            return Err(bad("expected `)` at the end".into()));
        }
        let ret = t[..open].trim();
        if !matches!(ret, "int32" | "i32" | "int" | "int32_t" | "UDTF") {
            return Err(bad(format!(
                "a table function returns int32 (its row count), not `{ret}`"
            )));
        }
        let mut signature = TableSignature {
            manager: false,
            args: Vec::new(),
            sizer: Sizer::TableFunctionSpecified,
            outputs: Vec::new(),
        };
        let mut sizer = None;
        for (i, part) in split_top_level(&t[open + 1..t.len() - 1])
            .into_iter()
            .enumerate()
        {
            let (ty, name) = type_and_name(part);
            let set_sizer = |sizer: &mut Option<Sizer>, s: Sizer| {
                if sizer.replace(s).is_some() {
                    Err(bad("more than one sizer".into()))
                } else {
                    Ok(())
                }
            };
            if ty.is_empty() {
                return Err(bad(format!("argument {} is empty", i + 1)));
            }
            if let Some(inner) = generic(ty, "OutputColumn") {
                signature.outputs.push(OutputColumn {
                    name,
                    ty: ScalarType::parse(inner).map_err(|e| bad(e.to_string()))?,
                });
                continue;
            }
            if !signature.outputs.is_empty() {
                return Err(bad(format!(
                    "`{ty}` after an OutputColumn: outputs come last"
                )));
            }
            match ty {
                "TableFunctionManager" if i == 0 => signature.manager = true,
                "TableFunctionManager" => {
                    return Err(bad("TableFunctionManager must be the first argument".into()));
                }
                "RowMultiplier" => {
                    set_sizer(&mut sizer, Sizer::RowMultiplier)?;
                    signature.args.push(TableArg::Sizer);
                }
                "ConstantParameter" => {
                    set_sizer(&mut sizer, Sizer::ConstantParameter)?;
                    signature.args.push(TableArg::Sizer);
                }
                _ => {
                    if let Some(n) = generic(ty, "Constant") {
                        let n: i64 = n
                            .trim()
                            .parse()
                            .ok()
                            .filter(|n| *n >= 0)
                            .ok_or_else(|| bad(format!("`{ty}`: expected a row count")))?;
                        set_sizer(&mut sizer, Sizer::Constant(n))?;
                    } else if let Some(inner) = generic(ty, "Cursor") {
                        let fields = split_top_level(inner)
                            .into_iter()
                            .map(|f| ColumnType::parse(type_and_name(f).0))
                            .collect::<Result<Vec<_>>>()
                            .map_err(|e| bad(e.to_string()))?;
                        if fields.is_empty() {
                            return Err(bad("an empty Cursor<>".into()));
                        }
                        signature.args.push(TableArg::Cursor {
                            fields,
                            bare: false,
                        });
                    } else if generic(ty, "Column").is_some() || generic(ty, "ColumnList").is_some()
                    {
                        signature.args.push(TableArg::Cursor {
                            fields: vec![ColumnType::parse(ty).map_err(|e| bad(e.to_string()))?],
                            bare: true,
                        });
                    } else {
                        signature.args.push(TableArg::Scalar(
                            ScalarType::parse(ty).map_err(|e| bad(e.to_string()))?,
                        ));
                    }
                }
            }
        }
        signature.sizer = match sizer {
            Some(s) => s,
            None if signature.manager => Sizer::TableFunctionSpecified,
            None => {
                return Err(bad(
                    "no sizer: add RowMultiplier, ConstantParameter or Constant<N>, or take a \
                     TableFunctionManager and call set_output_row_size"
                        .into(),
                ));
            }
        };
        signature.check().map_err(|e| bad(e.to_string()))?;
        Ok(signature)
    }

    /// What every table function signature must satisfy, however it was built.
    pub fn check(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::Signature(why.to_string()));
        if self.outputs.is_empty() {
            return bad("a table function needs at least one OutputColumn");
        }
        if !self
            .args
            .iter()
            .any(|a| matches!(a, TableArg::Cursor { .. }))
        {
            return bad("a table function needs at least one Column or Cursor argument");
        }
        let sizer_args = self
            .args
            .iter()
            .filter(|a| matches!(a, TableArg::Sizer))
            .count();
        let wants_arg = matches!(self.sizer, Sizer::RowMultiplier | Sizer::ConstantParameter);
        if sizer_args != usize::from(wants_arg) {
            return bad("the sizer argument does not match the sizer kind");
        }
        if self.sizer == Sizer::TableFunctionSpecified && !self.manager {
            return bad(
                "a table function that sizes its own output takes a TableFunctionManager first",
            );
        }
        for arg in &self.args {
            if let TableArg::Cursor { fields, .. } = arg {
                let lists = fields
                    .iter()
                    .filter(|f| matches!(f, ColumnType::ColumnList(_)))
                    .count();
                if lists > 1 {
                    return bad("a Cursor may hold at most one ColumnList");
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, out) in self.outputs.iter().enumerate() {
            if !names.insert(self.output_name(i)) {
                return bad(&format!(
                    "two output columns are named `{}`",
                    self.output_name(i)
                ));
            }
            if let Some(name) = &out.name
                && !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return bad(&format!("output column name `{name}` is not a plain name"));
            }
        }
        Ok(())
    }

    /// The SQL name of output `i`: its own, else `out<i>`.
    pub fn output_name(&self, i: usize) -> String {
        self.outputs[i]
            .name
            .clone()
            .unwrap_or_else(|| format!("out{i}"))
    }

    /// The IR function's parameters, in order.
    pub(crate) fn ir_params(&self) -> Vec<IrParam> {
        let mut params = Vec::new();
        if self.manager {
            params.push(IrParam::Pointer);
        }
        for arg in &self.args {
            match arg {
                TableArg::Cursor { fields, .. } => {
                    params.extend(fields.iter().map(|_| IrParam::Pointer));
                }
                TableArg::Scalar(t) => params.push(IrParam::Value(*t)),
                TableArg::Sizer => params.push(IrParam::Value(ScalarType::Int32)),
            }
        }
        params.extend(self.outputs.iter().map(|_| IrParam::Pointer));
        params
    }

    /// The SQL arguments as `(Cursor<float64>, RowMultiplier)`: how messages, `DROP
    /// FUNCTION` and overload keys name one overload.
    pub fn args_text(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|a| self.arg_text(a)).collect();
        args.join(", ")
    }

    fn arg_text(&self, arg: &TableArg) -> String {
        match arg {
            TableArg::Cursor { fields, bare: true } if fields.len() == 1 => fields[0].to_string(),
            TableArg::Cursor { fields, .. } => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| match f {
                        ColumnType::Column(t) => t.to_string(),
                        list => list.to_string(),
                    })
                    .collect();
                format!("Cursor<{}>", fields.join(", "))
            }
            TableArg::Scalar(t) => t.to_string(),
            TableArg::Sizer => self.sizer.name().to_string(),
        }
    }
}

impl fmt::Display for TableSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.manager {
            parts.push("TableFunctionManager".into());
        }
        parts.extend(self.args.iter().map(|a| self.arg_text(a)));
        if let Sizer::Constant(n) = self.sizer {
            parts.push(format!("Constant<{n}>"));
        }
        for out in &self.outputs {
            parts.push(match &out.name {
                Some(name) => format!("OutputColumn<{}> {name}", out.ty),
                None => format!("OutputColumn<{}>", out.ty),
            });
        }
        write!(f, "int32({})", parts.join(", "))
    }
}

/// `inner` of `Name<inner>`.
fn generic<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.strip_prefix(name)?
        .trim_start()
        .strip_prefix('<')?
        .strip_suffix('>')
}

/// Splits at commas outside `<…>`; an empty or `void` list gives no parts.
fn split_top_level(text: &str) -> Vec<&str> {
    let text = text.trim();
    if text.is_empty() || text == "void" {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// `OutputColumn<int64> total | input_id=args<0>` → (`OutputColumn<int64>`, `total`); a
/// `name=` annotation names it too.
fn type_and_name(part: &str) -> (&str, Option<String>) {
    let mut pieces = part.split('|');
    let decl = pieces.next().unwrap_or("").trim();
    let annotated = pieces
        .flat_map(|a| a.split(','))
        .filter_map(|a| a.trim().strip_prefix("name="))
        .map(|n| n.trim().to_string())
        .next();
    // The type ends at its last `>` or, without one, at the first space.
    let (ty, name) = match decl.rfind('>') {
        Some(end) => (decl[..=end].trim(), decl[end + 1..].trim()),
        None => match decl.split_once(char::is_whitespace) {
            Some((ty, name)) => (ty, name.trim()),
            None => (decl, ""),
        },
    };
    let name = (!name.is_empty()).then(|| name.to_string());
    (ty, annotated.or(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rbc_table_signatures() {
        let s = TableSignature::parse("int32(Column<double>, RowMultiplier, OutputColumn<double>)")
            .unwrap();
        assert_eq!(s.sizer, Sizer::RowMultiplier);
        assert_eq!(
            s.ir_params(),
            vec![
                IrParam::Pointer,
                IrParam::Value(ScalarType::Int32),
                IrParam::Pointer
            ]
        );
        assert_eq!(
            s.to_string(),
            "int32(Column<float64>, RowMultiplier, OutputColumn<float64>)"
        );
        assert_eq!(s.output_name(0), "out0");

        let s = TableSignature::parse(
            "int32(TableFunctionManager, Cursor<int64, ColumnList<double>> c, int32 k, \
             OutputColumn<int64> total, OutputColumn<f64> | name=avg)",
        )
        .unwrap();
        assert!(s.manager);
        assert_eq!(s.sizer, Sizer::TableFunctionSpecified);
        assert_eq!(s.output_name(0), "total");
        assert_eq!(s.output_name(1), "avg");
        assert_eq!(s.ir_params().len(), 6);
        assert_eq!(TableSignature::parse(&s.to_string()).unwrap(), s);
        assert_eq!(s.args_text(), "Cursor<int64, ColumnList<float64>>, int32");

        let s = TableSignature::parse("int32(Column<int32>, Constant<3>, OutputColumn<int32>)")
            .unwrap();
        assert_eq!(s.sizer, Sizer::Constant(3));
        assert_eq!(s.ir_params().len(), 2);
        assert_eq!(TableSignature::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn column_codes_round_trip() {
        for t in ScalarType::ALL {
            for c in [ColumnType::Column(t), ColumnType::ColumnList(t)] {
                assert_eq!(ColumnType::from_ext_arg_type(c.ext_arg_type()), Some(c));
            }
        }
        assert_eq!(ColumnType::Column(ScalarType::Float64).ext_arg_type(), 32);
        assert_eq!(ColumnType::ColumnList(ScalarType::Bool).ext_arg_type(), 42);
        assert_eq!(ColumnType::from_ext_arg_type(34), None);
    }

    #[test]
    fn refuses_what_cannot_run() {
        for (text, why) in [
            (
                "int64(Column<int32>, RowMultiplier, OutputColumn<int32>)",
                "returns int32",
            ),
            ("int32(Column<int32>, OutputColumn<int32>)", "no sizer"),
            (
                "int32(Column<int32>, RowMultiplier)",
                "at least one OutputColumn",
            ),
            (
                "int32(int32, RowMultiplier, OutputColumn<int32>)",
                "Column or Cursor",
            ),
            (
                "int32(Column<int32>, RowMultiplier, OutputColumn<int32>, int32)",
                "outputs come last",
            ),
            (
                "int32(Cursor<ColumnList<int32>, ColumnList<int64>>, RowMultiplier, OutputColumn<int32>)",
                "at most one ColumnList",
            ),
            (
                "int32(Column<int32>, RowMultiplier, OutputColumn<int32> a, OutputColumn<int64> a)",
                "named `a`",
            ),
            (
                "int32(Column<text>, RowMultiplier, OutputColumn<int32>)",
                "`text`",
            ),
        ] {
            let e = TableSignature::parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}

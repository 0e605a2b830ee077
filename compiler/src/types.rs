//! SQL-visible scalar types and function signatures, in the spellings clients send:
//! RBC's signature grammar (`int64(int64, int64)`, `f64(f64,f64)`), RBC's mangled form
//! (`_lallA`) and HeavyDB's `TExtArgumentType` codes.

use std::fmt;

use crate::error::{Error, Result};

/// A scalar type a UDF takes or returns, by value.
///
/// The LLVM representation follows the runtime UDF ABI: `Bool` is an `i8` holding 0 or 1
/// (never `i1`), floats are IEEE `float`/`double`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScalarType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
}

impl ScalarType {
    pub const ALL: [ScalarType; 7] = [
        ScalarType::Bool,
        ScalarType::Int8,
        ScalarType::Int16,
        ScalarType::Int32,
        ScalarType::Int64,
        ScalarType::Float32,
        ScalarType::Float64,
    ];

    /// Normalised RBC name, as used in signatures we print.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::Int8 => "int8",
            ScalarType::Int16 => "int16",
            ScalarType::Int32 => "int32",
            ScalarType::Int64 => "int64",
            ScalarType::Float32 => "float32",
            ScalarType::Float64 => "float64",
        }
    }

    /// Bytes per value in a column buffer (bool columns are passed as one byte per row).
    pub fn width(self) -> usize {
        match self {
            ScalarType::Bool | ScalarType::Int8 => 1,
            ScalarType::Int16 => 2,
            ScalarType::Int32 | ScalarType::Float32 => 4,
            ScalarType::Int64 | ScalarType::Float64 => 8,
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ScalarType::Int8 | ScalarType::Int16 | ScalarType::Int32 | ScalarType::Int64
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, ScalarType::Float32 | ScalarType::Float64)
    }

    /// The LLVM IR spelling of the by-value type.
    pub fn llvm_name(self) -> &'static str {
        match self {
            ScalarType::Bool | ScalarType::Int8 => "i8",
            ScalarType::Int16 => "i16",
            ScalarType::Int32 => "i32",
            ScalarType::Int64 => "i64",
            ScalarType::Float32 => "float",
            ScalarType::Float64 => "double",
        }
    }

    /// HeavyDB's NULL sentinel for this type, as the raw little-endian bit pattern of one
    /// value (`udf-abi.md` §3). Floats are compared bitwise.
    pub fn null_sentinel_bits(self) -> u64 {
        match self {
            ScalarType::Bool | ScalarType::Int8 => i8::MIN as u8 as u64,
            ScalarType::Int16 => i16::MIN as u16 as u64,
            ScalarType::Int32 => i32::MIN as u32 as u64,
            ScalarType::Int64 => i64::MIN as u64,
            ScalarType::Float32 => f32::MIN_POSITIVE.to_bits() as u64,
            ScalarType::Float64 => f64::MIN_POSITIVE.to_bits(),
        }
    }

    /// RBC's one-letter mangling code.
    pub fn mangle_code(self) -> char {
        match self {
            ScalarType::Bool => 'b',
            ScalarType::Int8 => 'B',
            ScalarType::Int16 => 's',
            ScalarType::Int32 => 'i',
            ScalarType::Int64 => 'l',
            ScalarType::Float32 => 'f',
            ScalarType::Float64 => 'd',
        }
    }

    /// HeavyDB `TExtArgumentType` code of the scalar.
    pub fn ext_arg_type(self) -> i32 {
        match self {
            ScalarType::Int8 => 0,
            ScalarType::Int16 => 1,
            ScalarType::Int32 => 2,
            ScalarType::Int64 => 3,
            ScalarType::Float32 => 4,
            ScalarType::Float64 => 5,
            ScalarType::Bool => 14,
        }
    }

    /// The scalar for a HeavyDB `TExtArgumentType` code; other codes (arrays, columns,
    /// text, pointers) are not scalar types of this version.
    pub fn from_ext_arg_type(code: i32) -> Result<Self> {
        Ok(match code {
            0 => ScalarType::Int8,
            1 => ScalarType::Int16,
            2 => ScalarType::Int32,
            3 => ScalarType::Int64,
            4 => ScalarType::Float32,
            5 => ScalarType::Float64,
            14 => ScalarType::Bool,
            other => {
                return Err(Error::Signature(format!(
                    "TExtArgumentType {other} is not a supported scalar type \
                     (supported: Int8=0, Int16=1, Int32=2, Int64=3, Float=4, Double=5, Bool=14)"
                )));
            }
        })
    }

    /// Parses one atomic type in RBC's grammar, including its aliases
    /// (`rbc-remotejit.md` §6.1). C names (`int`, `long`, …) use x86-64 Linux sizes.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let ty = match t {
            "bool" | "boolean" | "_Bool" | "b" | "bool8" | "boolean8" | "b8" => ScalarType::Bool,
            "int8" | "i8" | "int8_t" | "byte" | "signed char" | "schar" => ScalarType::Int8,
            "int16" | "i16" | "int16_t" | "short" => ScalarType::Int16,
            "int32" | "i32" | "int32_t" | "int" => ScalarType::Int32,
            "int64" | "i64" | "int64_t" | "long" | "long long" | "longlong" | "ssize_t" => {
                ScalarType::Int64
            }
            "float32" | "f32" | "float" => ScalarType::Float32,
            "float64" | "f64" | "double" => ScalarType::Float64,
            "" => return Err(Error::Signature("empty type name".into())),
            other => {
                return Err(Error::Signature(format!(
                    "unsupported type `{other}` (supported scalars: bool, int8, int16, int32, \
                     int64, float32, float64 and their RBC aliases)"
                )));
            }
        };
        Ok(ty)
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a scalar UDF takes or returns: a scalar by value, or a variable-length buffer (an
/// array of scalars, or non-encoded text) passed by pointer to `{T* ptr, i64 size, i8
/// is_null}` (`udf-abi.md` §4; bool elements are `i8`, text is bytes with `size` in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    Scalar(ScalarType),
    /// `T[]`, RBC's `Array<T>`: HeavyDB's ArrayInt8…ArrayBool.
    Array(ScalarType),
    /// RBC's `TextEncodingNone`: HeavyDB's TEXT ENCODING NONE.
    Text,
}

impl ValueType {
    /// The scalar, when this is one.
    pub fn scalar(self) -> Option<ScalarType> {
        match self {
            ValueType::Scalar(t) => Some(t),
            ValueType::Array(_) | ValueType::Text => None,
        }
    }

    /// Whether the value is passed by pointer to a `{ptr, size, is_null}` buffer.
    pub fn is_buffer(self) -> bool {
        !matches!(self, ValueType::Scalar(_))
    }

    /// The type of a buffer's elements (`int8` for text); `None` for a scalar.
    pub fn element(self) -> Option<ScalarType> {
        match self {
            ValueType::Scalar(_) => None,
            ValueType::Array(t) => Some(t),
            ValueType::Text => Some(ScalarType::Int8),
        }
    }

    /// HeavyDB `TExtArgumentType` code.
    pub fn ext_arg_type(self) -> i32 {
        match self {
            ValueType::Scalar(t) => t.ext_arg_type(),
            ValueType::Array(t) => match t {
                ScalarType::Int8 => 15,
                ScalarType::Int16 => 16,
                ScalarType::Int32 => 17,
                ScalarType::Int64 => 18,
                ScalarType::Float32 => 19,
                ScalarType::Float64 => 20,
                ScalarType::Bool => 21,
            },
            ValueType::Text => 34,
        }
    }

    /// The value type for a HeavyDB `TExtArgumentType` code; other codes (columns,
    /// pointers, dictionary-encoded text, geo, timestamps) are not value types of this
    /// version.
    pub fn from_ext_arg_type(code: i32) -> Result<Self> {
        let array = |t| Ok(ValueType::Array(t));
        match code {
            15 => array(ScalarType::Int8),
            16 => array(ScalarType::Int16),
            17 => array(ScalarType::Int32),
            18 => array(ScalarType::Int64),
            19 => array(ScalarType::Float32),
            20 => array(ScalarType::Float64),
            21 => array(ScalarType::Bool),
            34 => Ok(ValueType::Text),
            code => ScalarType::from_ext_arg_type(code)
                .map(ValueType::Scalar)
                .map_err(|_| {
                    Error::Signature(format!(
                        "TExtArgumentType {code} is not a supported value type (supported: \
                         Int8=0, Int16=1, Int32=2, Int64=3, Float=4, Double=5, Bool=14, \
                         ArrayInt8..ArrayBool=15..21, TextEncodingNone=34)"
                    ))
                }),
        }
    }

    /// Parses one type in RBC's grammar: a scalar (with its aliases), `T[]`, `Array<T>`,
    /// or `TextEncodingNone`.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some(element) = t.strip_suffix("[]") {
            return Ok(ValueType::Array(ScalarType::parse(element)?));
        }
        if let Some(element) = t.strip_prefix("Array<").and_then(|r| r.strip_suffix('>')) {
            return Ok(ValueType::Array(ScalarType::parse(element)?));
        }
        if t == "TextEncodingNone" {
            return Ok(ValueType::Text);
        }
        ScalarType::parse(t).map(ValueType::Scalar)
    }
}

impl From<ScalarType> for ValueType {
    fn from(t: ScalarType) -> Self {
        ValueType::Scalar(t)
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Scalar(t) => write!(f, "{t}"),
            ValueType::Array(t) => write!(f, "{t}[]"),
            ValueType::Text => f.write_str("TextEncodingNone"),
        }
    }
}

/// A scalar function's signature: `ret(args…)`, each a scalar or a buffer (array, text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    pub ret: ValueType,
    pub args: Vec<ValueType>,
}

impl Signature {
    pub fn new<T: Into<ValueType>>(
        ret: impl Into<ValueType>,
        args: impl IntoIterator<Item = T>,
    ) -> Self {
        Signature {
            ret: ret.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The return and argument scalars, when every type is one.
    pub fn scalars(&self) -> Option<(ScalarType, Vec<ScalarType>)> {
        let args = self
            .args
            .iter()
            .map(|a| a.scalar())
            .collect::<Option<_>>()?;
        Some((self.ret.scalar()?, args))
    }

    /// Whether an argument or the result is an array or text.
    pub fn has_buffers(&self) -> bool {
        self.ret.is_buffer() || self.args.iter().any(|a| a.is_buffer())
    }

    /// Parses RBC's grammar: `int64(int64, int64)`, `f64(f64,f64)`, `double(double)`,
    /// `int64()`, `int64(void)`, `int64(int32[])`, `float64[](Array<int32>)`,
    /// `int32(TextEncodingNone)`. Argument names (`int64 x`) and annotations (`| name=v`)
    /// are accepted and ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Signature(format!("cannot parse signature `{text}`: {why}"));
        let t = text.trim();
        let open = t.find('(').ok_or_else(|| bad("expected `ret(args)`"))?;
        if !t.ends_with(')') {
            return Err(bad("expected `)` at the end"));
        }
        let ret = ValueType::parse(strip_name_and_annotation(&t[..open]))
            .map_err(|e| bad(&e.to_string()))?;
        let inner = t[open + 1..t.len() - 1].trim();
        let mut args = Vec::new();
        if !(inner.is_empty() || inner == "void") {
            for part in inner.split(',') {
                args.push(
                    ValueType::parse(strip_name_and_annotation(part))
                        .map_err(|e| bad(&e.to_string()))?,
                );
            }
        }
        Ok(Signature { ret, args })
    }

    /// From HeavyDB's `TUserDefinedFunction` `retType` / `argTypes` codes.
    pub fn from_ext_arg_types(ret: i32, args: &[i32]) -> Result<Self> {
        Ok(Signature {
            ret: ValueType::from_ext_arg_type(ret)?,
            args: args
                .iter()
                .map(|&c| ValueType::from_ext_arg_type(c))
                .collect::<Result<_>>()?,
        })
    }

    /// RBC's mangled form: `int64(int64, int64)` → `_lallA`, `int64()` → `_lavA`; `None`
    /// when an argument or the result is an array or text (RemoteJIT functions take
    /// scalars only).
    pub fn mangle(&self) -> Option<String> {
        let (ret, args) = self.scalars()?;
        let mut s = String::from("_");
        s.push(ret.mangle_code());
        s.push('a');
        if args.is_empty() {
            s.push('v');
        }
        for a in args {
            s.push(a.mangle_code());
        }
        s.push('A');
        Some(s)
    }

    /// Inverse of [`Signature::mangle`] for the scalar subset.
    pub fn demangle(mangled: &str) -> Result<Self> {
        let bad = || {
            Error::Signature(format!(
                "cannot demangle `{mangled}`: expected `_<ret>a<args>A` over scalar codes"
            ))
        };
        let body = mangled
            .strip_prefix('_')
            .and_then(|s| s.strip_suffix('A'))
            .ok_or_else(bad)?;
        let mut chars = body.chars();
        let ret = code_to_type(chars.next().ok_or_else(bad)?).ok_or_else(bad)?;
        if chars.next() != Some('a') {
            return Err(bad());
        }
        let rest: String = chars.collect();
        let args: Vec<ScalarType> = if rest == "v" {
            Vec::new()
        } else {
            rest.chars()
                .map(|c| code_to_type(c).ok_or_else(bad))
                .collect::<Result<_>>()?
        };
        Ok(Signature::new(ret, args))
    }
}

fn code_to_type(c: char) -> Option<ScalarType> {
    ScalarType::ALL.into_iter().find(|t| t.mangle_code() == c)
}

/// `int64 x` → `int64`, `double | name=v` → `double`; multi-word C names stay whole.
fn strip_name_and_annotation(part: &str) -> &str {
    let part = part.split('|').next().unwrap_or("").trim();
    for multi in ["long long", "signed char"] {
        if part.starts_with(multi) {
            return multi;
        }
    }
    part.split_whitespace().next().unwrap_or("")
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.ret)?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rbc_spellings() {
        let s = Signature::parse("int64(int64, int64)").unwrap();
        assert_eq!(s.to_string(), "int64(int64, int64)");
        assert_eq!(
            Signature::parse("f64(f64,f64)").unwrap(),
            Signature::parse("double(double, double)").unwrap()
        );
        assert_eq!(
            Signature::parse("bool(int32)").unwrap().to_string(),
            "bool(int32)"
        );
        assert_eq!(
            Signature::parse("int64(int64 x, long long y)").unwrap(),
            Signature::parse("i64(i64,i64)").unwrap()
        );
        assert_eq!(Signature::parse("int64(void)").unwrap().args, vec![]);
    }

    #[test]
    fn rejects_unknown_types_by_name() {
        let e = Signature::parse("int64(text)").unwrap_err().to_string();
        assert!(e.contains("`text`"), "{e}");
        let e = Signature::parse("int64(Array<string>)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`string`"), "{e}");
    }

    #[test]
    fn parses_arrays_and_text() {
        let s = Signature::parse("int64(int32[] x, Array<f64>, TextEncodingNone)").unwrap();
        assert_eq!(
            s.args,
            vec![
                ValueType::Array(ScalarType::Int32),
                ValueType::Array(ScalarType::Float64),
                ValueType::Text
            ]
        );
        assert_eq!(s.to_string(), "int64(int32[], float64[], TextEncodingNone)");
        assert_eq!(Signature::parse(&s.to_string()).unwrap(), s);
        let r = Signature::parse("double[](int32)").unwrap();
        assert_eq!(r.ret, ValueType::Array(ScalarType::Float64));
        assert!(r.has_buffers() && r.scalars().is_none() && r.mangle().is_none());
        assert_eq!(
            Signature::parse("int64(int64)").unwrap().scalars(),
            Some((ScalarType::Int64, vec![ScalarType::Int64]))
        );
    }

    #[test]
    fn mangles_like_rbc() {
        for (sig, mangled) in [
            ("int64(int64, int64)", "_lallA"),
            ("f64(f64, f64)", "_daddA"),
            ("i32(i32, i32)", "_iaiiA"),
            ("int(int)", "_iaiA"),
            ("bool(float32)", "_bafA"),
            ("int8(int16)", "_BasA"),
            ("int64()", "_lavA"),
        ] {
            let s = Signature::parse(sig).unwrap();
            assert_eq!(s.mangle().as_deref(), Some(mangled), "{sig}");
            assert_eq!(Signature::demangle(mangled).unwrap(), s);
        }
        assert!(Signature::demangle("_la_lPA").is_err());
    }

    #[test]
    fn ext_arg_type_codes_round_trip() {
        for t in ScalarType::ALL {
            assert_eq!(ScalarType::from_ext_arg_type(t.ext_arg_type()).unwrap(), t);
        }
        assert!(ScalarType::from_ext_arg_type(20).is_err());
        for code in (0..=5).chain(14..=21).chain([34]) {
            let t = ValueType::from_ext_arg_type(code).unwrap();
            assert_eq!(t.ext_arg_type(), code, "{t}");
        }
        assert_eq!(
            ValueType::from_ext_arg_type(17).unwrap(),
            ValueType::Array(ScalarType::Int32)
        );
        let e = ValueType::from_ext_arg_type(27).unwrap_err().to_string();
        assert!(e.contains("TExtArgumentType 27"), "{e}");
    }
}

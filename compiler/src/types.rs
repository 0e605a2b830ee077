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

/// A scalar function signature: `ret(args…)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    pub ret: ScalarType,
    pub args: Vec<ScalarType>,
}

impl Signature {
    pub fn new(ret: ScalarType, args: Vec<ScalarType>) -> Self {
        Signature { ret, args }
    }

    /// Parses RBC's grammar: `int64(int64, int64)`, `f64(f64,f64)`, `double(double)`,
    /// `int64()`, `int64(void)`. Argument names (`int64 x`) and annotations (`| name=v`)
    /// are accepted and ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Signature(format!("cannot parse signature `{text}`: {why}"));
        let t = text.trim();
        let open = t.find('(').ok_or_else(|| bad("expected `ret(args)`"))?;
        if !t.ends_with(')') {
            return Err(bad("expected `)` at the end"));
        }
        let ret = ScalarType::parse(strip_name_and_annotation(&t[..open]))
            .map_err(|e| bad(&e.to_string()))?;
        let inner = t[open + 1..t.len() - 1].trim();
        let mut args = Vec::new();
        if !(inner.is_empty() || inner == "void") {
            for part in inner.split(',') {
                args.push(
                    ScalarType::parse(strip_name_and_annotation(part))
                        .map_err(|e| bad(&e.to_string()))?,
                );
            }
        }
        Ok(Signature { ret, args })
    }

    /// From HeavyDB's `TUserDefinedFunction` `retType` / `argTypes` codes.
    pub fn from_ext_arg_types(ret: i32, args: &[i32]) -> Result<Self> {
        Ok(Signature {
            ret: ScalarType::from_ext_arg_type(ret)?,
            args: args
                .iter()
                .map(|&c| ScalarType::from_ext_arg_type(c))
                .collect::<Result<_>>()?,
        })
    }

    /// RBC's mangled form: `int64(int64, int64)` → `_lallA`, `int64()` → `_lavA`.
    pub fn mangle(&self) -> String {
        let mut s = String::from("_");
        s.push(self.ret.mangle_code());
        s.push('a');
        if self.args.is_empty() {
            s.push('v');
        }
        for a in &self.args {
            s.push(a.mangle_code());
        }
        s.push('A');
        s
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
        let args = if rest == "v" {
            Vec::new()
        } else {
            rest.chars()
                .map(|c| code_to_type(c).ok_or_else(bad))
                .collect::<Result<_>>()?
        };
        Ok(Signature { ret, args })
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
            assert_eq!(s.mangle(), mangled, "{sig}");
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
    }
}

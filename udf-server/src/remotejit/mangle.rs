//! RBC's mangled signatures (`_lallA` = `int64(int64, int64)`), as `compile` receives
//! them (`shared/protocols/rbc-remotejit.md` §6.2).
//!
//! The whole grammar is demangled — pointers, structs, custom types, names — so that a
//! signature outside the scalar subset this server runs is refused with the offending
//! type spelled out, not with "cannot demangle".

use std::fmt;

use compiler::{ScalarType, Signature};

/// Longest mangled signature accepted; real ones are a few dozen characters.
const MAX_MANGLED_LEN: usize = 4096;
/// Deepest nesting of `_…P`/`_…K`/`_…a…A` blocks accepted.
const MAX_DEPTH: usize = 32;

/// Letters that close a block (`P K a A r R`, and `M`, which rbc reserves); never type
/// letters.
const BLOCK_ENDS: &str = "PKaAMrR";

/// A type of RBC's type system, as far as mangled strings can express it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Void,
    /// A one-letter atomic type or one spelled out (`V5Vbool8`): `int64`, `complex128`, …
    Atomic(String),
    Pointer(Box<Type>),
    Struct(Vec<Type>),
    Function {
        ret: Box<Type>,
        args: Vec<Type>,
    },
    /// `Name<T, …>`, e.g. HeavyDB's `Column<int64>`.
    Custom {
        name: String,
        params: Vec<Type>,
    },
    /// A type with its name suffix (`int64 x`).
    Named {
        ty: Box<Type>,
        name: String,
    },
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &[Type]| -> fmt::Result {
            for (i, t) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{t}")?;
            }
            Ok(())
        };
        match self {
            Type::Void => f.write_str("void"),
            Type::Atomic(name) => f.write_str(name),
            Type::Pointer(inner) => write!(f, "{inner}*"),
            Type::Struct(members) => {
                f.write_str("{")?;
                list(f, members)?;
                f.write_str("}")
            }
            Type::Function { ret, args } => {
                write!(f, "{ret}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Type::Custom { name, params } => {
                write!(f, "{name}<")?;
                list(f, params)?;
                f.write_str(">")
            }
            Type::Named { ty, name } => write!(f, "{ty} {name}"),
        }
    }
}

/// The atomic type of a one-letter code.
fn letter(c: u8) -> Option<&'static str> {
    Some(match c {
        b'v' => "void",
        b'b' => "bool",
        b'c' => "char8",
        b'z' => "char16",
        b'w' => "char32",
        b'B' => "int8",
        b's' => "int16",
        b'i' => "int32",
        b'l' => "int64",
        b'q' => "int128",
        b'U' => "uint8",
        b'S' => "uint16",
        b'I' => "uint32",
        b'L' => "uint64",
        b'Q' => "uint128",
        b'h' => "float16",
        b'f' => "float32",
        b'd' => "float64",
        b'x' => "float128",
        b'H' => "complex32",
        b'F' => "complex64",
        b'D' => "complex128",
        b'X' => "complex256",
        b't' => "string",
        _ => return None,
    })
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn error(&self, why: &str) -> String {
        format!(
            "cannot demangle `{}` at offset {}: {why}",
            self.text, self.pos
        )
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", c as char)))
        }
    }

    /// `<delim><decimal length><delim><that many bytes>` (`V5Vbool8`, `W1Wx`).
    fn counted(&mut self, delim: u8) -> Result<String, String> {
        self.expect(delim)?;
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let len: usize = self.text[start..self.pos]
            .parse()
            .map_err(|_| self.error("expected a length"))?;
        self.expect(delim)?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.text.len())
            .ok_or_else(|| self.error(&format!("a name of {len} bytes runs past the end")))?;
        let name = self
            .text
            .get(self.pos..end)
            .ok_or_else(|| self.error("a name ends inside a character"))?
            .to_string();
        self.pos = end;
        Ok(name)
    }

    /// Types up to the next block end (or the end of the text).
    fn sequence(&mut self, depth: usize) -> Result<Vec<Type>, String> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let mut types = Vec::new();
        while let Some(c) = self.peek() {
            if BLOCK_ENDS.as_bytes().contains(&c) {
                break;
            }
            types.push(self.one(depth)?);
        }
        Ok(types)
    }

    fn one(&mut self, depth: usize) -> Result<Type, String> {
        let ty = match self.peek() {
            Some(b'V') => Type::Atomic(self.counted(b'V')?),
            Some(b'_') => {
                self.pos += 1;
                let block = self.sequence(depth + 1)?;
                let kind = self
                    .peek()
                    .ok_or_else(|| self.error("unterminated `_` block"))?;
                self.pos += 1;
                match kind {
                    b'P' => Type::Pointer(Box::new(single(block).ok_or_else(|| {
                        self.error("a pointer (`P`) needs exactly one type before it")
                    })?)),
                    b'K' => Type::Struct(block),
                    b'a' => {
                        let ret = single(block).ok_or_else(|| {
                            self.error("a function (`a`) needs exactly one return type")
                        })?;
                        let args = self.sequence(depth + 1)?;
                        self.expect(b'A')?;
                        Type::Function {
                            ret: Box::new(ret),
                            args,
                        }
                    }
                    b'r' => {
                        let name = match single(block) {
                            Some(Type::Atomic(name)) => name,
                            _ => return Err(self.error("a custom type (`r`) needs a name")),
                        };
                        let params = self.sequence(depth + 1)?;
                        self.expect(b'R')?;
                        Type::Custom { name, params }
                    }
                    other => {
                        self.pos -= 1;
                        return Err(
                            self.error(&format!("unexpected `{}` closing a block", other as char))
                        );
                    }
                }
            }
            Some(c) => match letter(c) {
                Some("void") => {
                    self.pos += 1;
                    Type::Void
                }
                Some(name) => {
                    self.pos += 1;
                    Type::Atomic(name.to_string())
                }
                None => return Err(self.error(&format!("unknown type code `{}`", c as char))),
            },
            None => return Err(self.error("unexpected end")),
        };
        if self.peek() == Some(b'W') {
            let name = self.counted(b'W')?;
            return Ok(Type::Named {
                ty: Box::new(ty),
                name,
            });
        }
        Ok(ty)
    }
}

fn single(mut block: Vec<Type>) -> Option<Type> {
    if block.len() == 1 { block.pop() } else { None }
}

/// Demangles one type (for `compile`, a function type).
pub fn demangle(mangled: &str) -> Result<Type, String> {
    if mangled.len() > MAX_MANGLED_LEN {
        return Err(format!(
            "a mangled signature of {} bytes is longer than the limit of {MAX_MANGLED_LEN}",
            mangled.len()
        ));
    }
    let mut p = Parser {
        text: mangled,
        pos: 0,
    };
    let mut types = p.sequence(0)?;
    if p.pos != mangled.len() {
        return Err(p.error("unexpected text after the type"));
    }
    match types.len() {
        1 => Ok(types.pop().unwrap_or(Type::Void)),
        0 => Err(format!("`{mangled}` holds no type")),
        n => Err(format!("`{mangled}` holds {n} types, expected one")),
    }
}

/// A parameter or return type this server can pass: the scalars, signed or unsigned.
/// Unsigned integers share the LLVM type (and so the kernel) of the signed ones; only
/// the conversion of Python values differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
}

impl Scalar {
    fn from_name(name: &str) -> Option<Scalar> {
        Some(match name {
            "bool" => Scalar::Bool,
            "int8" => Scalar::Int8,
            "int16" => Scalar::Int16,
            "int32" => Scalar::Int32,
            "int64" => Scalar::Int64,
            "uint8" => Scalar::UInt8,
            "uint16" => Scalar::UInt16,
            "uint32" => Scalar::UInt32,
            "uint64" => Scalar::UInt64,
            "float32" => Scalar::Float32,
            "float64" => Scalar::Float64,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::Int8 => "int8",
            Scalar::Int16 => "int16",
            Scalar::Int32 => "int32",
            Scalar::Int64 => "int64",
            Scalar::UInt8 => "uint8",
            Scalar::UInt16 => "uint16",
            Scalar::UInt32 => "uint32",
            Scalar::UInt64 => "uint64",
            Scalar::Float32 => "float32",
            Scalar::Float64 => "float64",
        }
    }

    /// The compiler's type with the same LLVM representation.
    pub fn compiler_type(self) -> ScalarType {
        match self {
            Scalar::Bool => ScalarType::Bool,
            Scalar::Int8 | Scalar::UInt8 => ScalarType::Int8,
            Scalar::Int16 | Scalar::UInt16 => ScalarType::Int16,
            Scalar::Int32 | Scalar::UInt32 => ScalarType::Int32,
            Scalar::Int64 | Scalar::UInt64 => ScalarType::Int64,
            Scalar::Float32 => ScalarType::Float32,
            Scalar::Float64 => ScalarType::Float64,
        }
    }

    /// The range of an integer type, `None` for bool and floats.
    pub fn int_range(self) -> Option<(i128, i128)> {
        let bits = |signed: bool, n: u32| {
            if signed {
                (-(1i128 << (n - 1)), (1i128 << (n - 1)) - 1)
            } else {
                (0, (1i128 << n) - 1)
            }
        };
        Some(match self {
            Scalar::Int8 => bits(true, 8),
            Scalar::Int16 => bits(true, 16),
            Scalar::Int32 => bits(true, 32),
            Scalar::Int64 => bits(true, 64),
            Scalar::UInt8 => bits(false, 8),
            Scalar::UInt16 => bits(false, 16),
            Scalar::UInt32 => bits(false, 32),
            Scalar::UInt64 => bits(false, 64),
            Scalar::Bool | Scalar::Float32 | Scalar::Float64 => return None,
        })
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A demangled signature of the scalar subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarSignature {
    pub ret: Scalar,
    pub args: Vec<Scalar>,
}

impl ScalarSignature {
    /// What the compiler checks the IR against and builds the kernel for.
    pub fn compiler_signature(&self) -> Signature {
        Signature::new(
            self.ret.compiler_type(),
            self.args.iter().map(|a| a.compiler_type()),
        )
    }
}

impl fmt::Display for ScalarSignature {
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

/// Why a type cannot be passed, for the error message.
fn unsupported_reason(ty: &Type) -> String {
    match ty {
        Type::Pointer(_) => "pointers are not supported".into(),
        Type::Struct(_) => "structs are not supported".into(),
        Type::Custom { name, .. } => format!("custom types (`{name}<…>`) are not supported"),
        Type::Function { .. } => "function arguments are not supported".into(),
        Type::Void => "void is not a value type".into(),
        Type::Atomic(name) if name.starts_with("complex") => {
            "complex numbers are not supported".into()
        }
        Type::Atomic(name) => format!("`{name}` is not supported"),
        Type::Named { ty, .. } => unsupported_reason(ty),
    }
}

fn scalar(ty: &Type) -> Option<Scalar> {
    match ty {
        Type::Atomic(name) => Scalar::from_name(name),
        // A name (`int64 x`) documents the argument; the value passes the same way.
        Type::Named { ty, .. } => scalar(ty),
        _ => None,
    }
}

/// Demangles a `compile` signature and maps it onto the scalar subset, or says which
/// type is outside it.
pub fn scalar_signature(mangled: &str) -> Result<ScalarSignature, String> {
    let ty = demangle(mangled)?;
    let function = match &ty {
        Type::Named { ty, .. } => ty.as_ref(),
        other => other,
    };
    let Type::Function { ret, args } = function else {
        return Err(format!(
            "`{mangled}` is the type {ty}, not a function signature"
        ));
    };
    const SUPPORTED: &str = "udf-server's RemoteJIT runs scalar signatures: bool, int8…int64, \
                             uint8…uint64, float32, float64";
    let ret_scalar = scalar(ret).ok_or_else(|| {
        format!(
            "{ty}: the return type {ret} cannot be passed ({}); {SUPPORTED}",
            unsupported_reason(ret)
        )
    })?;
    // `int64(void)`: rbc spells "no arguments" as one void argument.
    let args: &[Type] = match args.as_slice() {
        [Type::Void] => &[],
        all => all,
    };
    let args = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            scalar(a).ok_or_else(|| {
                format!(
                    "{ty}: argument {} has type {a} ({}); {SUPPORTED}",
                    i + 1,
                    unsupported_reason(a)
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ScalarSignature {
        ret: ret_scalar,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example of the fact sheet (§6.2), demangled and printed back.
    #[test]
    fn demangles_the_fact_sheet_examples() {
        for (mangled, printed) in [
            ("_lallA", "int64(int64, int64)"),
            ("_daddA", "float64(float64, float64)"),
            ("_iaiiA", "int32(int32, int32)"),
            ("_bafA", "bool(float32)"),
            ("_DaDDA", "complex128(complex128, complex128)"),
            ("_FaFA", "complex64(complex64)"),
            ("_faFA", "float32(complex64)"),
            ("_BasA", "int8(int16)"),
            ("_UaSILA", "uint8(uint16, uint32, uint64)"),
            ("_valA", "void(int64)"),
            ("_lavA", "int64(void)"),
            ("_da_dPlA", "float64(float64*, int64)"),
            ("__vPaLLA", "void*(uint64, uint64)"),
            ("_va_vPA", "void(void*)"),
            ("_la_lPW1WxiW1WiA", "int64(int64* x, int32 i)"),
            (
                "_la_lW1WxlW1WylW1WzKA",
                "int64({int64 x, int64 y, int64 z})",
            ),
            (
                "_la__lW1WxlW1WylW1WzKPA",
                "int64({int64 x, int64 y, int64 z}*)",
            ),
            (
                "___lW1WxlW1WylW1WzKPaLW1WiAW10Wallocate_S",
                "{int64 x, int64 y, int64 z}*(uint64 i) allocate_S",
            ),
            ("_va_vPAW4Wfree", "void(void*) free"),
            ("__iiKaiA", "{int32, int32}(int32)"),
            ("_V5Vbool8aV5Vbool8A", "bool8(bool8)"),
            ("__V6VMyTyperiRaiA", "MyType<int32>(int32)"),
        ] {
            let ty = demangle(mangled).unwrap_or_else(|e| panic!("{mangled}: {e}"));
            assert_eq!(ty.to_string(), printed, "{mangled}");
        }
    }

    #[test]
    fn maps_the_scalar_subset() {
        let s = scalar_signature("_lallA").unwrap();
        assert_eq!(s.to_string(), "int64(int64, int64)");
        assert_eq!(s.compiler_signature().mangle().as_deref(), Some("_lallA"));
        let s = scalar_signature("_UaSILA").unwrap();
        assert_eq!(s.args, vec![Scalar::UInt16, Scalar::UInt32, Scalar::UInt64]);
        assert_eq!(
            s.compiler_signature().to_string(),
            "int8(int16, int32, int64)"
        );
        assert_eq!(scalar_signature("_lavA").unwrap().args, vec![]);
        assert_eq!(scalar_signature("_bafA").unwrap().ret, Scalar::Bool);
        let named = scalar_signature("_la_lW1WxiW1WiA");
        assert!(named.is_err(), "a struct argument: {named:?}");
        assert_eq!(
            scalar_signature("_lalW1WxiW1WiA").unwrap().to_string(),
            "int64(int64, int32)"
        );
    }

    #[test]
    fn names_the_unsupported_type() {
        for (mangled, expected) in [
            (
                "_da_dPlA",
                "argument 1 has type float64* (pointers are not supported)",
            ),
            (
                "_DaDDA",
                "the return type complex128 cannot be passed (complex numbers",
            ),
            (
                "_la_lW1WxlW1WyKA",
                "argument 1 has type {int64 x, int64 y} (structs",
            ),
            ("_valA", "the return type void cannot be passed"),
            (
                "_taiA",
                "the return type string cannot be passed (`string` is not supported)",
            ),
            (
                "__V6VColumnrlRalA",
                "the return type Column<int64> cannot be passed",
            ),
            ("_qaqA", "`int128` is not supported"),
        ] {
            let e = scalar_signature(mangled).unwrap_err();
            assert!(e.contains(expected), "{mangled}: {e}");
        }
        let e = scalar_signature("l").unwrap_err();
        assert!(e.contains("not a function signature"), "{e}");
    }

    #[test]
    fn refuses_malformed_text_without_panicking() {
        for bad in [
            "",
            "_",
            "_l",
            "_la",
            "_lal",
            "_llaA",
            "_lallAx",
            "_lallA_",
            "V",
            "V9Vab",
            "VxVab",
            "W1Wx",
            "_lalW99WxA",
            "_lP",
            "_P",
            "_K",
            "_r",
            "_V5Vbool8rlA",
            "?",
            "_laé",
            "A",
            "_laV2Vé",
            "_la\u{0}A",
        ] {
            assert!(
                demangle(bad).is_err() || scalar_signature(bad).is_err(),
                "{bad:?}"
            );
        }
        let deep = format!("{}l{}", "_".repeat(100), "P".repeat(100));
        assert!(demangle(&deep).unwrap_err().contains("deeper"));
        assert!(demangle(&"l".repeat(5000)).unwrap_err().contains("limit"));
    }
}

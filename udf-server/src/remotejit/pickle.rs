//! The slice of Python's pickle format that RemoteJIT calls use
//! (`shared/protocols/rbc-remotejit.md` §8): a restricted reader for the argument tuple
//! and a protocol-2 writer for the result.
//!
//! Unpickling runs code named by the data (`GLOBAL` + `REDUCE` can call `os.system`), so
//! the reader is an interpreter of data-only opcodes with a fixed set of constructors
//! (`complex`, numpy scalars and dtypes, rbc's pointer descriptors) that it evaluates
//! itself; every other opcode or global is an error naming it. It is also bounded: input
//! is a byte slice (lengths are checked against what is left before anything is
//! allocated), values are shared through the memo rather than copied, and nesting,
//! stack and memo sizes have limits.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// Deepest nesting of tuples and objects accepted (arguments are scalars or, for
/// rbc's pointer descriptors, a few levels of tuples).
const MAX_DEPTH: u32 = 32;
/// Most values on the stack at once.
const MAX_STACK: usize = 4096;
/// Most memo entries.
const MAX_MEMO: usize = 4096;
/// Longest `LONG1`/`LONG4` payload accepted (ints are read as i128).
const MAX_LONG_BYTES: usize = 16;

/// A constructor the reader evaluates itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// `builtins.complex` (`__builtin__.complex` in protocol 2).
    Complex,
    /// `numpy.core.multiarray.scalar` (numpy 1) or `numpy._core.multiarray.scalar`.
    NumpyScalar,
    /// `numpy.dtype`.
    NumpyDtype,
    /// `rbc.thrift.types.PointerData` / `TypeData`: ctypes pointers and their types.
    RbcPointerData,
    RbcTypeData,
    /// A ctypes type (`ctypes.c_long`, `_ctypes.Structure`, …), inside pointer data.
    Ctypes(&'static str),
}

const CTYPES: &[&str] = &[
    "c_void_p",
    "c_bool",
    "c_char",
    "c_byte",
    "c_ubyte",
    "c_short",
    "c_ushort",
    "c_int",
    "c_uint",
    "c_long",
    "c_ulong",
    "c_longlong",
    "c_ulonglong",
    "c_float",
    "c_double",
];

impl Global {
    fn resolve(module: &str, name: &str) -> Result<Global, String> {
        Ok(match (module, name) {
            ("builtins" | "__builtin__", "complex") => Global::Complex,
            ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => Global::NumpyScalar,
            ("numpy", "dtype") => Global::NumpyDtype,
            ("rbc.thrift.types", "PointerData") => Global::RbcPointerData,
            ("rbc.thrift.types", "TypeData") => Global::RbcTypeData,
            ("_ctypes", "Structure") => Global::Ctypes("_ctypes.Structure"),
            ("_ctypes", "POINTER") => Global::Ctypes("_ctypes.POINTER"),
            ("ctypes", name) if CTYPES.contains(&name) => Global::Ctypes(
                CTYPES
                    .iter()
                    .find(|c| **c == name)
                    .copied()
                    .unwrap_or("ctypes"),
            ),
            _ => {
                return Err(format!(
                    "the pickle refers to `{module}.{name}`, which udf-server does not \
                     unpickle (allowed: builtins.complex, numpy scalars and dtypes, rbc's \
                     PointerData/TypeData and ctypes types)"
                ));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Global::Complex => "builtins.complex",
            Global::NumpyScalar => "numpy scalar",
            Global::NumpyDtype => "numpy.dtype",
            Global::RbcPointerData => "rbc.thrift.types.PointerData",
            Global::RbcTypeData => "rbc.thrift.types.TypeData",
            Global::Ctypes(name) => name,
        }
    }
}

/// A value the reader produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Rc<Value>>, u32),
    Global(Global),
    /// A numpy dtype: its code (`i8`, `f4`, …) and byte order (`<`, `>`, `|`, `=`).
    Dtype {
        code: String,
        byteorder: char,
    },
    /// An object built with `NEWOBJ` (rbc's pointer descriptors), kept opaque.
    Object(Global, Rc<Value>, u32),
}

impl Value {
    fn depth(&self) -> u32 {
        match self {
            Value::Tuple(_, depth) | Value::Object(_, _, depth) => *depth,
            _ => 0,
        }
    }

    fn tuple(items: Vec<Rc<Value>>) -> Result<Value, String> {
        let depth = 1 + items.iter().map(|v| v.depth()).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(format!("values nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(Value::Tuple(items, depth))
    }

    /// What the value is, in Python's words, for messages.
    pub fn kind(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Complex(..) => "complex".into(),
            Value::Str(_) => "str".into(),
            Value::Bytes(_) => "bytes".into(),
            Value::Tuple(..) => "tuple".into(),
            Value::Global(g) => g.name().into(),
            Value::Dtype { .. } => "numpy.dtype".into(),
            Value::Object(class, ..) => match class {
                Global::RbcPointerData => "pointer".into(),
                other => other.name().into(),
            },
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Complex(re, im) => write!(f, "({re:?}{im:+?}j)"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::Tuple(items, _) => {
                f.write_str("(")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Value::Global(g) => f.write_str(g.name()),
            Value::Dtype { code, byteorder } => write!(f, "dtype('{byteorder}{code}')"),
            Value::Object(class, ..) => write!(f, "<{}>", class.name()),
        }
    }
}

/// Python's names of opcodes the reader refuses, for the error message.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'L' => "LONG",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b']' => "EMPTY_LIST",
        b'a' => "APPEND",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'i' => "INST",
        b'l' => "LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b's' => "SETITEM",
        b'u' => "SETITEMS",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "unknown",
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Rc<Value>>,
    marks: Vec<usize>,
    memo: HashMap<u32, Rc<Value>>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| {
                format!(
                    "the pickle ends inside {what} at byte {} ({n} bytes needed, {} left)",
                    self.pos,
                    self.data.len() - self.pos
                )
            })?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn line(&mut self, what: &str) -> Result<&'a str, String> {
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| format!("the pickle ends inside {what}"))?;
        let bytes = self.take(len + 1, what)?;
        std::str::from_utf8(&bytes[..len]).map_err(|_| format!("{what} is not UTF-8"))
    }

    fn push(&mut self, value: Value) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK {
            return Err(format!("more than {MAX_STACK} values on the pickle stack"));
        }
        self.stack.push(Rc::new(value));
        Ok(())
    }

    fn pop(&mut self, op: &str) -> Result<Rc<Value>, String> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(format!("{op} at byte {} finds the stack empty", self.pos));
        }
        self.stack
            .pop()
            .ok_or_else(|| format!("{op} finds the stack empty"))
    }

    fn pop_str(&mut self, op: &str) -> Result<String, String> {
        match &*self.pop(op)? {
            Value::Str(s) => Ok(s.clone()),
            other => Err(format!("{op} expects a str, found {}", other.kind())),
        }
    }

    fn memo_put(&mut self, index: u32) -> Result<(), String> {
        let top = self
            .stack
            .last()
            .cloned()
            .ok_or_else(|| "a memo store finds the stack empty".to_string())?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&index) {
            return Err(format!("more than {MAX_MEMO} memoized values"));
        }
        self.memo.insert(index, top);
        Ok(())
    }

    fn memo_get(&mut self, index: u32) -> Result<(), String> {
        let value =
            self.memo.get(&index).cloned().ok_or_else(|| {
                format!("the pickle refers to memo entry {index}, which is unset")
            })?;
        if self.stack.len() >= MAX_STACK {
            return Err(format!("more than {MAX_STACK} values on the pickle stack"));
        }
        self.stack.push(value);
        Ok(())
    }

    fn tuple_of(&mut self, n: usize, op: &str) -> Result<(), String> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop(op)?);
        }
        items.reverse();
        self.push(Value::tuple(items)?)
    }

    fn long(&mut self, n: usize) -> Result<Value, String> {
        if n > MAX_LONG_BYTES {
            return Err(format!(
                "an integer of {n} bytes is too large (at most {MAX_LONG_BYTES} bytes, i.e. \
                 128-bit, are accepted)"
            ));
        }
        let bytes = self.take(n, "an integer")?;
        Ok(Value::Int(int_from_le_signed(bytes)))
    }

    fn run(mut self) -> Result<Rc<Value>, String> {
        loop {
            let at = self.pos;
            let op = self.u8("an opcode")?;
            match op {
                0x80 => {
                    let version = self.u8("PROTO")?;
                    if !(2..=5).contains(&version) {
                        return Err(format!(
                            "pickle protocol {version} is not accepted (protocols 2 to 5 are)"
                        ));
                    }
                }
                // FRAME: a length hint for buffered readers; the data is all here.
                0x95 => {
                    self.take(8, "FRAME")?;
                }
                b'.' => {
                    if !self.marks.is_empty() {
                        return Err("STOP with an unclosed MARK".into());
                    }
                    return match self.stack.len() {
                        1 => self.pop("STOP"),
                        n => Err(format!("STOP with {n} values on the stack, expected one")),
                    };
                }
                0x94 => {
                    let index = u32::try_from(self.memo.len()).unwrap_or(u32::MAX);
                    self.memo_put(index)?;
                }
                b'q' => {
                    let index = self.u8("BINPUT")?;
                    self.memo_put(u32::from(index))?;
                }
                b'r' => {
                    let index = self.u32("LONG_BINPUT")?;
                    self.memo_put(index)?;
                }
                b'h' => {
                    let index = self.u8("BINGET")?;
                    self.memo_get(u32::from(index))?;
                }
                b'j' => {
                    let index = self.u32("LONG_BINGET")?;
                    self.memo_get(index)?;
                }
                b'K' => {
                    let v = self.u8("BININT1")?;
                    self.push(Value::Int(i128::from(v)))?;
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.array("BININT2")?);
                    self.push(Value::Int(i128::from(v)))?;
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.array("BININT")?);
                    self.push(Value::Int(i128::from(v)))?;
                }
                0x8a => {
                    let n = self.u8("LONG1")?;
                    let v = self.long(usize::from(n))?;
                    self.push(v)?;
                }
                0x8b => {
                    let n = self.u32("LONG4")?;
                    let v = self.long(n as usize)?;
                    self.push(v)?;
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.array("BINFLOAT")?);
                    self.push(Value::Float(v))?;
                }
                0x88 => self.push(Value::Bool(true))?,
                0x89 => self.push(Value::Bool(false))?,
                b'N' => self.push(Value::None)?,
                b')' => self.push(Value::tuple(Vec::new())?)?,
                0x85 => self.tuple_of(1, "TUPLE1")?,
                0x86 => self.tuple_of(2, "TUPLE2")?,
                0x87 => self.tuple_of(3, "TUPLE3")?,
                b'(' => {
                    if self.marks.len() >= MAX_DEPTH as usize {
                        return Err(format!("more than {MAX_DEPTH} open MARKs"));
                    }
                    self.marks.push(self.stack.len());
                }
                b't' => {
                    let mark = self
                        .marks
                        .pop()
                        .ok_or_else(|| format!("TUPLE at byte {at} without a MARK"))?;
                    let items = self.stack.split_off(mark);
                    self.push(Value::tuple(items)?)?;
                }
                0x8c => {
                    let n = self.u8("SHORT_BINUNICODE")?;
                    let s = self.text(usize::from(n))?;
                    self.push(Value::Str(s))?;
                }
                b'X' => {
                    let n = self.u32("BINUNICODE")?;
                    let s = self.text(n as usize)?;
                    self.push(Value::Str(s))?;
                }
                b'C' => {
                    let n = self.u8("SHORT_BINBYTES")?;
                    let b = self.take(usize::from(n), "SHORT_BINBYTES")?.to_vec();
                    self.push(Value::Bytes(b))?;
                }
                b'B' => {
                    let n = self.u32("BINBYTES")?;
                    let b = self.take(n as usize, "BINBYTES")?.to_vec();
                    self.push(Value::Bytes(b))?;
                }
                0x93 => {
                    let name = self.pop_str("STACK_GLOBAL")?;
                    let module = self.pop_str("STACK_GLOBAL")?;
                    self.push(Value::Global(Global::resolve(&module, &name)?))?;
                }
                b'c' => {
                    let module = self.line("a GLOBAL module")?;
                    let name = self.line("a GLOBAL name")?;
                    self.push(Value::Global(Global::resolve(module, name)?))?;
                }
                b'R' => {
                    let args = self.pop("REDUCE")?;
                    let callable = self.pop("REDUCE")?;
                    let v = reduce(&callable, &args)?;
                    self.push(v)?;
                }
                0x81 => {
                    let args = self.pop("NEWOBJ")?;
                    let class = self.pop("NEWOBJ")?;
                    let v = match &*class {
                        Value::Global(g @ (Global::RbcPointerData | Global::RbcTypeData)) => {
                            let depth = 1 + args.depth();
                            if depth > MAX_DEPTH {
                                return Err(format!(
                                    "values nested deeper than {MAX_DEPTH} levels"
                                ));
                            }
                            Value::Object(*g, args, depth)
                        }
                        other => {
                            return Err(format!(
                                "NEWOBJ of {} is not allowed (only rbc's PointerData/TypeData)",
                                other.kind()
                            ));
                        }
                    };
                    self.push(v)?;
                }
                b'b' => {
                    let state = self.pop("BUILD")?;
                    let target = self.pop("BUILD")?;
                    let built = build(&target, &state)?;
                    self.push(built)?;
                }
                other => {
                    return Err(format!(
                        "unsupported pickle opcode 0x{other:02x} ({}) at byte {at}; udf-server \
                         accepts scalar arguments only (int, float, bool, complex, numpy scalars)",
                        opcode_name(other)
                    ));
                }
            }
        }
    }

    fn text(&mut self, n: usize) -> Result<String, String> {
        let bytes = self.take(n, "a string")?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a pickled str is not UTF-8".to_string())
    }
}

/// Little-endian two's complement, as `LONG1`/`LONG4` carry it (at most 16 bytes).
fn int_from_le_signed(bytes: &[u8]) -> i128 {
    let mut buf = [0u8; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    if bytes.last().is_some_and(|b| b & 0x80 != 0) {
        buf[bytes.len()..].fill(0xff);
    }
    i128::from_le_bytes(buf)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// `callable(*args)` for the allowed callables.
fn reduce(callable: &Value, args: &Value) -> Result<Value, String> {
    let Value::Tuple(items, _) = args else {
        return Err(format!(
            "REDUCE arguments must be a tuple, found {}",
            args.kind()
        ));
    };
    let items: Vec<&Value> = items.iter().map(|v| v.as_ref()).collect();
    match callable {
        Value::Global(Global::Complex) => match items.as_slice() {
            [re] => number(re).map(|re| Value::Complex(re, 0.0)),
            [re, im] => number(re)
                .zip(number(im))
                .map(|(re, im)| Value::Complex(re, im)),
            _ => None,
        }
        .ok_or_else(|| format!("complex() of {args} is not a complex number")),
        Value::Global(Global::NumpyDtype) => match items.as_slice() {
            [Value::Str(code), ..] => Ok(Value::Dtype {
                code: code.clone(),
                byteorder: '=',
            }),
            _ => Err(format!("numpy.dtype() of {args} is not a dtype")),
        },
        Value::Global(Global::NumpyScalar) => match items.as_slice() {
            [Value::Dtype { code, byteorder }, Value::Bytes(raw)] => {
                numpy_scalar(code, *byteorder, raw)
            }
            _ => Err(format!("a numpy scalar from {args} is not (dtype, bytes)")),
        },
        other => Err(format!(
            "REDUCE of {} is not allowed (only complex, numpy.dtype and numpy scalars)",
            other.kind()
        )),
    }
}

/// `obj.__setstate__(state)`: only numpy dtypes, whose state carries the byte order
/// (`(3, '<', None, None, None, -1, -1, 0)`).
fn build(target: &Rc<Value>, state: &Value) -> Result<Value, String> {
    match (&**target, state) {
        (Value::Dtype { code, .. }, Value::Tuple(items, _)) => {
            let byteorder = match items.get(1).map(|v| v.as_ref()) {
                Some(Value::Str(s)) if matches!(s.as_str(), "<" | ">" | "|" | "=") => {
                    s.chars().next().unwrap_or('=')
                }
                _ => return Err(format!("numpy dtype state {state} has no byte order")),
            };
            Ok(Value::Dtype {
                code: code.clone(),
                byteorder,
            })
        }
        (other, _) => Err(format!(
            "BUILD of {} is not allowed (only numpy dtypes)",
            other.kind()
        )),
    }
}

/// The Python value of a numpy scalar from its dtype and raw bytes.
fn numpy_scalar(code: &str, byteorder: char, raw: &[u8]) -> Result<Value, String> {
    let width = match code {
        "b1" | "i1" | "u1" => 1,
        "i2" | "u2" => 2,
        "i4" | "u4" | "f4" => 4,
        "i8" | "u8" | "f8" | "c8" => 8,
        "c16" => 16,
        other => {
            return Err(format!(
                "numpy scalars of dtype `{other}` are not accepted (bool, int, uint, float and \
                 complex dtypes are)"
            ));
        }
    };
    if raw.len() != width {
        return Err(format!(
            "a numpy `{code}` scalar needs {width} bytes, got {}",
            raw.len()
        ));
    }
    let mut bytes = raw.to_vec();
    // Complex values are two floats, each in the dtype's byte order.
    if byteorder == '>' {
        let half = if code.starts_with('c') {
            width / 2
        } else {
            width
        };
        for chunk in bytes.chunks_mut(half) {
            chunk.reverse();
        }
    }
    let le = |b: &[u8]| -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..b.len()].copy_from_slice(b);
        out
    };
    Ok(match code {
        "b1" => Value::Bool(bytes[0] != 0),
        "i1" => Value::Int(i128::from(bytes[0] as i8)),
        "i2" => Value::Int(i128::from(i16::from_le_bytes([bytes[0], bytes[1]]))),
        "i4" => Value::Int(i128::from(i32::from_le_bytes(
            le(&bytes)[..4].try_into().unwrap_or([0; 4]),
        ))),
        "i8" => Value::Int(i128::from(i64::from_le_bytes(le(&bytes)))),
        "u1" | "u2" | "u4" | "u8" => Value::Int(i128::from(u64::from_le_bytes(le(&bytes)))),
        "f4" => Value::Float(f64::from(f32::from_le_bytes(
            le(&bytes)[..4].try_into().unwrap_or([0; 4]),
        ))),
        "f8" => Value::Float(f64::from_le_bytes(le(&bytes))),
        "c8" => Value::Complex(
            f64::from(f32::from_le_bytes(
                le(&bytes[..4])[..4].try_into().unwrap_or([0; 4]),
            )),
            f64::from(f32::from_le_bytes(
                le(&bytes[4..])[..4].try_into().unwrap_or([0; 4]),
            )),
        ),
        _ => Value::Complex(
            f64::from_le_bytes(le(&bytes[..8])),
            f64::from_le_bytes(le(&bytes[8..])),
        ),
    })
}

/// Reads a pickle made of the accepted opcodes and globals.
pub fn loads(data: &[u8]) -> Result<Rc<Value>, String> {
    Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    }
    .run()
}

/// A result value, as the client expects its Python type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Result1 {
    Bool(bool),
    Int(i128),
    Float(f64),
}

/// Protocol 2: `PROTO 2`, the value, `STOP`. No memo or frame is needed for a scalar.
pub fn dumps(value: Result1) -> Vec<u8> {
    let mut out = vec![0x80, 0x02];
    match value {
        Result1::Bool(true) => out.push(0x88),
        Result1::Bool(false) => out.push(0x89),
        Result1::Int(i) if (0..=0xff).contains(&i) => out.extend([b'K', i as u8]),
        Result1::Int(i) if (0..=0xffff).contains(&i) => {
            out.push(b'M');
            out.extend((i as u16).to_le_bytes());
        }
        Result1::Int(i) if i32::try_from(i).is_ok() => {
            out.push(b'J');
            out.extend((i as i32).to_le_bytes());
        }
        Result1::Int(i) => {
            let bytes = long_bytes(i);
            out.push(0x8a);
            out.push(bytes.len() as u8);
            out.extend(bytes);
        }
        Result1::Float(x) => {
            out.push(b'G');
            out.extend(x.to_be_bytes());
        }
    }
    out.push(b'.');
    out
}

/// Python's `encode_long`: the shortest little-endian two's complement of `i`.
fn long_bytes(i: i128) -> Vec<u8> {
    let bytes = i.to_le_bytes();
    let mut n = bytes.len();
    // Drop sign-extension bytes while the byte below still carries the sign.
    while n > 1 {
        let (top, below) = (bytes[n - 1], bytes[n - 2]);
        let redundant = (top == 0x00 && below & 0x80 == 0) || (top == 0xff && below & 0x80 != 0);
        if !redundant {
            break;
        }
        n -= 1;
    }
    bytes[..n].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &Value) -> Vec<Value> {
        match v {
            Value::Tuple(items, _) => items.iter().map(|i| (**i).clone()).collect(),
            other => panic!("not a tuple: {other}"),
        }
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, 4, 0x95];
        v.extend((body.len() as u64).to_le_bytes());
        v.extend(body);
        v
    }

    /// The byte examples of the fact sheet (§8.1), as the real client sends them.
    #[test]
    fn reads_the_fact_sheet_examples() {
        let v = loads(&[
            0x80, 4, 0x95, 7, 0, 0, 0, 0, 0, 0, 0, 0x4b, 1, 0x4b, 2, 0x86, 0x94, 0x2e,
        ])
        .unwrap();
        assert_eq!(ints(&v), vec![Value::Int(1), Value::Int(2)]);

        let mut body = vec![b'G'];
        body.extend(3.0f64.to_be_bytes());
        body.push(b'G');
        body.extend(4.0f64.to_be_bytes());
        body.extend([0x86, 0x94, b'.']);
        let v = loads(&frame(&body)).unwrap();
        assert_eq!(ints(&v), vec![Value::Float(3.0), Value::Float(4.0)]);

        // (2**70,)
        let v = loads(&frame(&[
            0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x85, 0x94, b'.',
        ]))
        .unwrap();
        assert_eq!(ints(&v), vec![Value::Int(1 << 70)]);

        // (True, -1)
        let v = loads(&frame(&[
            0x88, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x86, 0x94, b'.',
        ]))
        .unwrap();
        assert_eq!(ints(&v), vec![Value::Bool(true), Value::Int(-1)]);

        // (1+2j, 3-1j): STACK_GLOBAL builtins.complex, then a memo reference to it.
        let mut body = vec![0x8c, 8];
        body.extend(b"builtins");
        body.extend([0x94, 0x8c, 7]);
        body.extend(b"complex");
        body.extend([0x94, 0x93, 0x94]);
        for (i, (re, im)) in [(1.0f64, 2.0f64), (3.0, -1.0)].into_iter().enumerate() {
            if i == 1 {
                body.extend([b'h', 2]);
            }
            body.push(b'G');
            body.extend(re.to_be_bytes());
            body.push(b'G');
            body.extend(im.to_be_bytes());
            body.extend([0x86, 0x94, b'R', 0x94]);
        }
        body.extend([0x86, 0x94, b'.']);
        let v = loads(&frame(&body)).unwrap();
        assert_eq!(
            ints(&v),
            vec![Value::Complex(1.0, 2.0), Value::Complex(3.0, -1.0)]
        );
    }

    /// `pickle.dumps((np.int64(5), np.float32(1.5)))` under numpy 1.26, protocol 4.
    #[test]
    fn reads_numpy_scalars() {
        let bytes: &[u8] = b"\x80\x04\x95\x9c\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x06scalar\x94\x93\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02i8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x08\x05\x00\x00\x00\x00\x00\x00\x00\x94\x86\x94R\x94h\x02h\x05\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03h\tNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x04\x00\x00\xc0?\x94\x86\x94R\x94\x86\x94.";
        let v = loads(bytes).unwrap();
        assert_eq!(ints(&v), vec![Value::Int(5), Value::Float(1.5)]);
        // (np.bool_(True), np.uint64(2**64 - 1), np.complex64(1+2j), np.int8(-3)): MARK/TUPLE
        let bytes: &[u8] = b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00(\x8c\x15numpy.core.multiarray\x94\x8c\x06scalar\x94\x93\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02b1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x01\x01\x94\x86\x94R\x94h\x02h\x05\x8c\x02u8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x08\xff\xff\xff\xff\xff\xff\xff\xff\x94\x86\x94R\x94h\x02h\x05\x8c\x02c8\x94\x89\x88\x87\x94R\x94(K\x03h\x11NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x08\x00\x00\x80?\x00\x00\x00@\x94\x86\x94R\x94h\x02h\x05\x8c\x02i1\x94\x89\x88\x87\x94R\x94(K\x03h\tNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bC\x01\xfd\x94\x86\x94R\x94t\x94.";
        let v = loads(bytes).unwrap();
        assert_eq!(
            ints(&v),
            vec![
                Value::Bool(true),
                Value::Int(u64::MAX as i128),
                Value::Complex(1.0, 2.0),
                Value::Int(-3)
            ]
        );
    }

    /// `pickle.dumps((c_void_p(0x1234),))` after rbc's pre-pickle step: read, kept opaque.
    #[test]
    fn reads_rbc_pointer_data_as_an_opaque_object() {
        let mut body = vec![0x8c, 16];
        body.extend(b"rbc.thrift.types");
        body.extend([0x94, 0x8c, 11]);
        body.extend(b"PointerData");
        body.extend([0x94, 0x93, 0x94, b'(', b'M', 0x34, 0x12, 0x8c, 6]);
        body.extend(b"ctypes");
        body.extend([0x94, 0x8c, 8]);
        body.extend(b"c_void_p");
        body.extend([
            0x94, 0x93, 0x94, b'K', 1, b'K', 8, b't', 0x94, 0x85, 0x94, 0x81, 0x94,
        ]);
        body.extend([0x85, 0x94, b'.']);
        let v = loads(&frame(&body)).unwrap();
        let items = ints(&v);
        assert!(matches!(
            items[0],
            Value::Object(Global::RbcPointerData, ..)
        ));
        assert_eq!(items[0].kind(), "pointer");
    }

    #[test]
    fn reads_protocol_2_globals_and_binput() {
        // pickle.dumps((1+2j,), protocol=2)
        let bytes: &[u8] = b"\x80\x02c__builtin__\ncomplex\nq\x00G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x01Rq\x02\x85q\x03.";
        let v = loads(bytes).unwrap();
        assert_eq!(ints(&v), vec![Value::Complex(1.0, 2.0)]);
    }

    #[test]
    fn refuses_other_globals_and_opcodes_by_name() {
        // pickle.dumps(os.system) style: GLOBAL posix system
        let e = loads(b"\x80\x02cposix\nsystem\nq\x00.").unwrap_err();
        assert!(
            e.contains("`posix.system`") && e.contains("does not unpickle"),
            "{e}"
        );
        let mut body = vec![0x8c, 2];
        body.extend(b"os");
        body.extend([0x8c, 6]);
        body.extend(b"system");
        body.extend([0x93, b'.']);
        let e = loads(&frame(&body)).unwrap_err();
        assert!(e.contains("`os.system`"), "{e}");
        let e = loads(&frame(&[b']', 0x94, b'.'])).unwrap_err();
        assert!(e.contains("0x5d (EMPTY_LIST)"), "{e}");
        let e = loads(&frame(b"}.")).unwrap_err();
        assert!(e.contains("EMPTY_DICT"), "{e}");
        let e = loads(&[0x80, 1, b'.']).unwrap_err();
        assert!(e.contains("protocol 1"), "{e}");
        // NEWOBJ and REDUCE of an allowed but wrong callable
        let mut body = vec![0x8c, 8];
        body.extend(b"builtins");
        body.extend([0x8c, 7]);
        body.extend(b"complex");
        body.extend([0x93, b')', 0x81, b'.']);
        let e = loads(&frame(&body)).unwrap_err();
        assert!(e.contains("NEWOBJ of builtins.complex"), "{e}");
    }

    #[test]
    fn refuses_malformed_input_without_panicking() {
        let cases: &[&[u8]] = &[
            b"",
            b"\x80",
            b"\x80\x04\x95\x01",
            b"\x80\x04K",
            b"\x80\x04K\x01",
            b"\x80\x04K\x01K\x02.",
            b"\x80\x04.",
            b"\x80\x04\x86.",
            b"\x80\x04t.",
            b"\x80\x04(K\x01.",
            b"\x80\x04h\x05.",
            b"\x80\x04\x94.",
            b"\x80\x04X\xff\xff\xff\xff",
            b"\x80\x04\x8b\xff\xff\xff\xff",
            b"\x80\x04\x8c\x02\xff\xfe.",
            b"\x80\x04cnumpy\n",
            b"\x80\x04K\x01K\x02R.",
            b"\x80\x04K\x01)b.",
            b"GET / HTTP/1.1\r\n",
        ];
        for case in cases {
            assert!(loads(case).is_err(), "{case:?}");
        }
        // Nesting, stack and memo limits.
        let mut deep = vec![0x80, 4, b')'];
        deep.extend(std::iter::repeat_n(0x85, 100));
        deep.push(b'.');
        assert!(loads(&deep).unwrap_err().contains("deeper"));
        let mut wide = vec![0x80, 4];
        wide.extend(std::iter::repeat_n(b'N', 5000));
        assert!(loads(&wide).unwrap_err().contains("stack"));
        let mut memo = vec![0x80, 4, b'N'];
        memo.extend(std::iter::repeat_n(0x94, 5000));
        assert!(loads(&memo).unwrap_err().contains("memo"));
        // Shared values are not copied: 30 levels of (x, x) stay small.
        let mut shared = vec![0x80, 4, b'(', b'N', 0x94];
        for level in 0..30u8 {
            shared.extend([b'h', level, b'h', level, 0x86, 0x94]);
        }
        shared.extend([b't', b'.']);
        assert!(loads(&shared).is_ok());
    }

    /// The byte examples of the fact sheet (§8.2).
    #[test]
    fn writes_protocol_2_results() {
        assert_eq!(dumps(Result1::Int(3)), [0x80, 2, 0x4b, 3, 0x2e]);
        assert_eq!(
            dumps(Result1::Int(-1)),
            [0x80, 2, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x2e]
        );
        assert_eq!(dumps(Result1::Int(300)), [0x80, 2, 0x4d, 0x2c, 1, 0x2e]);
        assert_eq!(
            dumps(Result1::Int(1 << 40)),
            [0x80, 2, 0x8a, 6, 0, 0, 0, 0, 0, 1, 0x2e]
        );
        assert_eq!(
            dumps(Result1::Float(1.5)),
            [0x80, 2, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x2e]
        );
        assert_eq!(dumps(Result1::Bool(true)), [0x80, 2, 0x88, 0x2e]);
        assert_eq!(dumps(Result1::Bool(false)), [0x80, 2, 0x89, 0x2e]);
    }

    #[test]
    fn long_encoding_round_trips() {
        for i in [
            0i128,
            1,
            -1,
            127,
            128,
            255,
            -128,
            -129,
            1 << 31,
            -(1 << 31) - 1,
            i64::MAX as i128,
            i64::MIN as i128,
            u64::MAX as i128,
            1 << 70,
        ] {
            let bytes = long_bytes(i);
            assert_eq!(int_from_le_signed(&bytes), i, "{i}: {bytes:?}");
            let mut pickle = dumps(Result1::Int(i));
            pickle.splice(1..2, [4]);
            let v = loads(&pickle).unwrap();
            assert_eq!(*v, Value::Int(i));
        }
        assert_eq!(long_bytes(255), [0xff, 0x00]);
        assert_eq!(long_bytes(-256), [0x00, 0xff]);
        assert_eq!(
            long_bytes(u64::MAX as i128),
            [0xff; 8].iter().copied().chain([0]).collect::<Vec<_>>()
        );
    }
}

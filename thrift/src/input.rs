//! A strict TBinaryProtocol reader that a hostile peer cannot make allocate, recurse or
//! block without bound.
//!
//! The `thrift` crate's own reader trusts the peer: a negative or huge string length or
//! list size makes it allocate (or panic on) whatever the bytes say, and nothing limits
//! nesting. This reader checks every length against what is left of a per-message byte
//! budget, refuses negative sizes, and limits nesting depth, so the worst a peer can do is
//! get a protocol error for its own call.

use std::io::Read;

use thrift::protocol::{
    TFieldIdentifier, TInputProtocol, TListIdentifier, TMapIdentifier, TMessageIdentifier,
    TMessageType, TSetIdentifier, TStructIdentifier, TType,
};
use thrift::{ProtocolError, ProtocolErrorKind};

const VERSION_1: u16 = 0x8001;

/// Limits on what one message may contain.
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// Bytes one call may occupy on the wire, header included.
    pub max_message_bytes: u64,
    /// How deeply structs, lists, sets and maps may nest.
    pub max_depth: u32,
    /// Bytes one string or binary value may hold (`max_string_mb`).
    pub max_string_bytes: u64,
    /// Elements one list, set or map may hold (`max_collection_len`).
    pub max_collection_len: u64,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_message_bytes: 256 << 20,
            max_depth: 64,
            max_string_bytes: 64 << 20,
            max_collection_len: 16 << 20,
        }
    }
}

/// Reads strict binary-protocol messages from `R`, one budget per message.
pub struct LimitedBinaryInput<R> {
    reader: R,
    limits: InputLimits,
    /// Bytes read since the current message began.
    consumed: u64,
    depth: u32,
    /// A message header read ahead of the processor (see [`Self::peek_message_begin`]).
    peeked: Option<TMessageIdentifier>,
    /// The first read error of the current message: after one, the stream position is
    /// unknown and the connection cannot carry another call.
    failed: Option<String>,
}

impl<R: Read> LimitedBinaryInput<R> {
    pub fn new(reader: R, limits: InputLimits) -> Self {
        LimitedBinaryInput {
            reader,
            limits,
            consumed: 0,
            depth: 0,
            peeked: None,
            failed: None,
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Reads the next message header and keeps it, so that the next
    /// `read_message_begin` returns it again: the server learns the method name and
    /// sequence number before handing the message to the generated processor.
    pub fn peek_message_begin(&mut self) -> thrift::Result<TMessageIdentifier> {
        if self.peeked.is_none() {
            let ident = self.read_header()?;
            self.peeked = Some(ident);
        }
        Ok(self.peeked.clone().expect("set above"))
    }

    /// The first read error of the current message, if any: after one, the stream
    /// position is unknown and the connection cannot carry another call.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Whether the current message was left inside a struct or collection: whoever read it
    /// gave up part-way for a reason of its own (the generated code's checks and the
    /// `thrift` crate's `skip` report errors that are not this reader's), so the stream
    /// position is unknown just the same.
    pub fn unfinished(&self) -> bool {
        self.depth != 0
    }

    fn fail(&mut self, kind: ProtocolErrorKind, message: impl Into<String>) -> thrift::Error {
        let message = message.into();
        self.failed.get_or_insert_with(|| message.clone());
        thrift::Error::Protocol(ProtocolError::new(kind, message))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> thrift::Result<()> {
        self.reader.read_exact(buf).map_err(|e| {
            let kind = match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    "the connection closed in the middle of a message"
                }
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    "timed out waiting for the rest of a message"
                }
                _ => "cannot read from the connection",
            };
            let message = format!("{kind}: {e}");
            self.failed.get_or_insert_with(|| message.clone());
            thrift::Error::from(e)
        })
    }

    fn remaining(&self) -> u64 {
        self.limits.max_message_bytes.saturating_sub(self.consumed)
    }

    fn take(&mut self, n: u64) -> thrift::Result<()> {
        if n > self.remaining() {
            return Err(self.fail(
                ProtocolErrorKind::SizeLimit,
                format!(
                    "message larger than the server's limit of {} bytes",
                    self.limits.max_message_bytes
                ),
            ));
        }
        self.consumed += n;
        Ok(())
    }

    fn read_array<const N: usize>(&mut self) -> thrift::Result<[u8; N]> {
        self.take(N as u64)?;
        let mut buf = [0u8; N];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn read_len(&mut self, what: &str) -> thrift::Result<usize> {
        let len = i32::from_be_bytes(self.read_array()?);
        if len < 0 {
            return Err(self.fail(
                ProtocolErrorKind::NegativeSize,
                format!("negative {what} length {len}"),
            ));
        }
        // Refused on the length prefix, before a byte of it is read or allocated.
        if len as u64 > self.limits.max_string_bytes {
            return Err(self.fail(
                ProtocolErrorKind::SizeLimit,
                format!(
                    "a {what} value of {len} bytes exceeds the server's limit of {} bytes \
                     (max_string_mb)",
                    self.limits.max_string_bytes
                ),
            ));
        }
        Ok(len as usize)
    }

    /// Checks a collection's claimed element count against the bytes left: every element
    /// takes at least one byte on the wire.
    fn check_count(&mut self, count: i32, what: &str) -> thrift::Result<i32> {
        if count < 0 {
            return Err(self.fail(
                ProtocolErrorKind::NegativeSize,
                format!("negative {what} size {count}"),
            ));
        }
        if count as u64 > self.limits.max_collection_len {
            return Err(self.fail(
                ProtocolErrorKind::SizeLimit,
                format!(
                    "{what} of {count} elements exceeds the server's limit of {} elements \
                     (max_collection_len)",
                    self.limits.max_collection_len
                ),
            ));
        }
        if count as u64 > self.remaining() {
            return Err(self.fail(
                ProtocolErrorKind::SizeLimit,
                format!("{what} of {count} elements exceeds the message size limit"),
            ));
        }
        Ok(count)
    }

    fn enter(&mut self) -> thrift::Result<()> {
        if self.depth >= self.limits.max_depth {
            return Err(self.fail(
                ProtocolErrorKind::DepthLimit,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn read_type(&mut self) -> thrift::Result<TType> {
        let [byte] = self.read_array()?;
        match byte {
            0 => Ok(TType::Stop),
            1 => Ok(TType::Void),
            2 => Ok(TType::Bool),
            3 => Ok(TType::I08),
            4 => Ok(TType::Double),
            6 => Ok(TType::I16),
            8 => Ok(TType::I32),
            10 => Ok(TType::I64),
            11 => Ok(TType::String),
            12 => Ok(TType::Struct),
            13 => Ok(TType::Map),
            14 => Ok(TType::Set),
            15 => Ok(TType::List),
            other => Err(self.fail(
                ProtocolErrorKind::InvalidData,
                format!("unknown field type {other}"),
            )),
        }
    }

    fn read_header(&mut self) -> thrift::Result<TMessageIdentifier> {
        self.consumed = 0;
        self.depth = 0;
        self.failed = None;
        let word = u32::from_be_bytes(self.read_array()?);
        if (word >> 16) as u16 != VERSION_1 {
            return Err(self.fail(
                ProtocolErrorKind::BadVersion,
                format!(
                    "not a strict Thrift binary message (first bytes {:02x} {:02x} {:02x} {:02x}); \
                     this port speaks TBinaryProtocol over a buffered transport",
                    word >> 24,
                    (word >> 16) & 0xff,
                    (word >> 8) & 0xff,
                    word & 0xff
                ),
            ));
        }
        let message_type = TMessageType::try_from((word & 0xff) as u8).map_err(|_| {
            self.fail(
                ProtocolErrorKind::InvalidData,
                format!("unknown message type {}", word & 0xff),
            )
        })?;
        let name = self.read_string()?;
        let sequence_number = self.read_i32()?;
        Ok(TMessageIdentifier::new(name, message_type, sequence_number))
    }
}

impl<R: Read> TInputProtocol for LimitedBinaryInput<R> {
    fn read_message_begin(&mut self) -> thrift::Result<TMessageIdentifier> {
        match self.peeked.take() {
            Some(ident) => Ok(ident),
            None => self.read_header(),
        }
    }

    fn read_message_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }

    fn read_struct_begin(&mut self) -> thrift::Result<Option<TStructIdentifier>> {
        self.enter()?;
        Ok(None)
    }

    fn read_struct_end(&mut self) -> thrift::Result<()> {
        self.leave();
        Ok(())
    }

    fn read_field_begin(&mut self) -> thrift::Result<TFieldIdentifier> {
        let field_type = self.read_type()?;
        let id = match field_type {
            TType::Stop => 0,
            _ => self.read_i16()?,
        };
        Ok(TFieldIdentifier::new::<Option<String>, String, i16>(
            None, field_type, id,
        ))
    }

    fn read_field_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }

    fn read_bool(&mut self) -> thrift::Result<bool> {
        Ok(self.read_i8()? != 0)
    }

    fn read_bytes(&mut self) -> thrift::Result<Vec<u8>> {
        let len = self.read_len("binary")?;
        self.take(len as u64)?;
        let mut buf = vec![0u8; len];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn read_i8(&mut self) -> thrift::Result<i8> {
        Ok(i8::from_be_bytes(self.read_array()?))
    }

    fn read_i16(&mut self) -> thrift::Result<i16> {
        Ok(i16::from_be_bytes(self.read_array()?))
    }

    fn read_i32(&mut self) -> thrift::Result<i32> {
        Ok(i32::from_be_bytes(self.read_array()?))
    }

    fn read_i64(&mut self) -> thrift::Result<i64> {
        Ok(i64::from_be_bytes(self.read_array()?))
    }

    fn read_double(&mut self) -> thrift::Result<f64> {
        Ok(f64::from_be_bytes(self.read_array()?))
    }

    fn read_string(&mut self) -> thrift::Result<String> {
        let bytes = self.read_bytes()?;
        String::from_utf8(bytes).map_err(|e| {
            self.fail(
                ProtocolErrorKind::InvalidData,
                format!("string is not valid UTF-8: {e}"),
            )
        })
    }

    fn read_list_begin(&mut self) -> thrift::Result<TListIdentifier> {
        let element_type = self.read_type()?;
        let size = i32::from_be_bytes(self.read_array()?);
        let size = self.check_count(size, "list")?;
        self.enter()?;
        Ok(TListIdentifier::new(element_type, size))
    }

    fn read_list_end(&mut self) -> thrift::Result<()> {
        self.leave();
        Ok(())
    }

    fn read_set_begin(&mut self) -> thrift::Result<TSetIdentifier> {
        let element_type = self.read_type()?;
        let size = i32::from_be_bytes(self.read_array()?);
        let size = self.check_count(size, "set")?;
        self.enter()?;
        Ok(TSetIdentifier::new(element_type, size))
    }

    fn read_set_end(&mut self) -> thrift::Result<()> {
        self.leave();
        Ok(())
    }

    fn read_map_begin(&mut self) -> thrift::Result<TMapIdentifier> {
        let key_type = self.read_type()?;
        let value_type = self.read_type()?;
        let size = i32::from_be_bytes(self.read_array()?);
        let size = self.check_count(size, "map")?;
        self.enter()?;
        Ok(TMapIdentifier::new(key_type, value_type, size))
    }

    fn read_map_end(&mut self) -> thrift::Result<()> {
        self.leave();
        Ok(())
    }

    fn read_byte(&mut self) -> thrift::Result<u8> {
        let [byte] = self.read_array()?;
        Ok(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of a protocol error (its `Display` names only the kind).
    fn error_text(error: thrift::Error) -> String {
        match error {
            thrift::Error::Protocol(p) => p.message,
            other => other.to_string(),
        }
    }

    fn input(bytes: &[u8]) -> LimitedBinaryInput<&[u8]> {
        LimitedBinaryInput::new(bytes, InputLimits::default())
    }

    fn message(name: &str, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0x80, 0x01, 0x00, 0x01];
        m.extend((name.len() as i32).to_be_bytes());
        m.extend(name.as_bytes());
        m.extend(0i32.to_be_bytes());
        m.extend(body);
        m
    }

    #[test]
    fn reads_a_strict_header_and_replays_a_peeked_one() {
        let bytes = message("get_version", &[0]);
        let mut i = input(&bytes);
        let peeked = i.peek_message_begin().unwrap();
        assert_eq!(peeked.name, "get_version");
        assert_eq!(i.read_message_begin().unwrap(), peeked);
        assert!(i.read_struct_begin().is_ok());
        assert_eq!(i.read_field_begin().unwrap().field_type, TType::Stop);
    }

    #[test]
    fn refuses_garbage_and_non_strict_headers() {
        let err = error_text(
            input(b"GET / HTTP/1.1\r\n")
                .read_message_begin()
                .unwrap_err(),
        );
        assert!(err.contains("not a strict Thrift binary message"), "{err}");
    }

    #[test]
    fn refuses_negative_and_oversized_lengths_without_allocating() {
        let mut bytes = message("sql_execute", &[]);
        bytes.extend([11, 0, 1]);
        bytes.extend((-5i32).to_be_bytes());
        let mut i = input(&bytes);
        i.read_message_begin().unwrap();
        i.read_field_begin().unwrap();
        let err = error_text(i.read_string().unwrap_err());
        assert!(err.contains("negative binary length"), "{err}");

        // Under the element limit, over what is left of the message.
        let mut bytes = message("sql_execute", &[]);
        bytes.extend([12]);
        bytes.extend(i32::MAX.to_be_bytes());
        let mut i = LimitedBinaryInput::new(
            &bytes[..],
            InputLimits {
                max_collection_len: u64::MAX,
                ..InputLimits::default()
            },
        );
        i.read_message_begin().unwrap();
        let err = error_text(i.read_list_begin().unwrap_err());
        assert!(err.contains("exceeds the message size limit"), "{err}");

        let mut bytes = message("x", &[]);
        bytes.extend((1i32 << 30).to_be_bytes());
        let mut i = LimitedBinaryInput::new(
            &bytes[..],
            InputLimits {
                max_message_bytes: 1 << 20,
                max_depth: 8,
                max_string_bytes: u64::MAX,
                ..InputLimits::default()
            },
        );
        i.read_message_begin().unwrap();
        let err = error_text(i.read_bytes().unwrap_err());
        assert!(err.contains("limit of 1048576 bytes"), "{err}");
    }

    #[test]
    fn refuses_strings_and_collections_over_their_own_limits() {
        let limits = InputLimits {
            max_string_bytes: 16,
            max_collection_len: 4,
            ..InputLimits::default()
        };
        // A 17-byte string is refused on its length prefix, though the body never comes.
        let mut bytes = message("sql_execute", &[]);
        bytes.extend(17i32.to_be_bytes());
        let mut i = LimitedBinaryInput::new(&bytes[..], limits);
        i.read_message_begin().unwrap();
        let err = error_text(i.read_string().unwrap_err());
        assert!(
            err.contains("17 bytes exceeds the server's limit of 16 bytes (max_string_mb)"),
            "{err}"
        );
        assert!(i.failure().is_some());

        // 16 bytes fit.
        let mut bytes = message("sql_execute", &[]);
        bytes.extend(16i32.to_be_bytes());
        bytes.extend([b'x'; 16]);
        let mut i = LimitedBinaryInput::new(&bytes[..], limits);
        i.read_message_begin().unwrap();
        assert_eq!(i.read_string().unwrap(), "x".repeat(16));

        for (kind, read) in [
            (
                "list",
                (|i: &mut LimitedBinaryInput<&[u8]>| i.read_list_begin().map(drop))
                    as fn(&mut LimitedBinaryInput<&[u8]>) -> thrift::Result<()>,
            ),
            ("set", |i| i.read_set_begin().map(drop)),
        ] {
            let mut bytes = message("x", &[]);
            bytes.push(8);
            bytes.extend(5i32.to_be_bytes());
            bytes.extend([0u8; 20]);
            let mut i = LimitedBinaryInput::new(&bytes[..], limits);
            i.read_message_begin().unwrap();
            let err = error_text(read(&mut i).unwrap_err());
            assert!(
                err.contains(&format!(
                    "{kind} of 5 elements exceeds the server's limit of 4 elements \
                     (max_collection_len)"
                )),
                "{err}"
            );
        }
        let mut bytes = message("x", &[8, 8]);
        bytes.extend(5i32.to_be_bytes());
        let mut i = LimitedBinaryInput::new(&bytes[..], limits);
        i.read_message_begin().unwrap();
        let err = error_text(i.read_map_begin().unwrap_err());
        assert!(err.contains("map of 5 elements"), "{err}");

        // 4 elements fit.
        let mut bytes = message("x", &[8]);
        bytes.extend(4i32.to_be_bytes());
        let mut i = LimitedBinaryInput::new(&bytes[..], limits);
        i.read_message_begin().unwrap();
        assert_eq!(i.read_list_begin().unwrap().size, 4);
    }

    #[test]
    fn limits_nesting() {
        let body: Vec<u8> = std::iter::repeat_n([15u8, 0, 0, 0, 1], 100)
            .flatten()
            .collect();
        let bytes = message("x", &body);
        let mut i = input(&bytes);
        i.read_message_begin().unwrap();
        let err = error_text(i.skip(TType::List).unwrap_err());
        assert!(
            err.contains("nesting") || err.contains("parse past"),
            "{err}"
        );
    }
}

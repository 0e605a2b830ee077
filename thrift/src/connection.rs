//! Serving one TCP connection: TBinaryProtocol over a buffered transport, the way
//! HeavyDB's port 6274 speaks it.
//!
//! The accept loop (and so threads, limits and shutdown) belongs to the daemon; this module
//! only turns bytes into calls of a [`Service`]'s processors and makes sure that whatever a
//! peer sends, it gets an answer naming the problem and the server's state is untouched.
//! After an error that leaves the stream position unknown, the connection must be closed.
//! Both ports use it: HeavyDB's (one processor, plain method names) and rbc's RemoteJIT
//! (multiplexed `service:method` names, see [`crate::remotejit`]).

use std::io::{self, BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use thrift::protocol::{
    TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TMessageIdentifier, TMessageType,
    TOutputProtocol, TSerializable, TStoredInputProtocol, TStructIdentifier, TType,
};
use thrift::server::TProcessor;
use thrift::{ApplicationError, ApplicationErrorKind};

use crate::generated::heavy::{HEAVY_METHODS, HeavySyncHandler, HeavySyncProcessor};
use crate::input::{InputLimits, LimitedBinaryInput};

/// What one port serves: which processor runs a call, and how its refusals look.
pub trait Service {
    /// The processor of the call named `name` and the method name that processor
    /// dispatches on (and replies with), or `None` for an unknown method.
    fn route<'n>(&self, name: &'n str) -> Option<(&dyn TProcessor, &'n str)>;

    /// Why `name` is unknown, for its `UNKNOWN_METHOD` reply.
    fn unknown_method(&self, name: &str) -> String {
        format!("unknown method `{name}`")
    }

    /// Writes the exception every method declares as result field 1, saying `message`:
    /// what a refused call is answered with, so that any client shows the message.
    fn write_refusal(&self, message: &str, o: &mut dyn TOutputProtocol) -> thrift::Result<()>;
}

/// HeavyDB's port: one processor, plain method names, `TDBException` refusals.
impl<H: HeavySyncHandler> Service for HeavySyncProcessor<H> {
    fn route<'n>(&self, name: &'n str) -> Option<(&dyn TProcessor, &'n str)> {
        HEAVY_METHODS
            .contains(&name)
            .then_some((self as &dyn TProcessor, name))
    }

    fn write_refusal(&self, message: &str, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        crate::TDBException::new(message.to_string()).write_to_out_protocol(o)
    }
}

/// Whether the next call has started arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Bytes of a call are waiting.
    Call,
    /// Nothing arrived within the wait.
    Idle,
    /// The peer closed the connection.
    Closed,
}

/// What became of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// The processor answered the call (possibly with an error reply). The connection can
    /// carry more calls.
    Call { method: String },
    /// The method does not exist; the peer got an `UNKNOWN_METHOD` exception and the
    /// connection can carry more calls.
    UnknownMethod { method: String },
    /// The call could not be read or answered; the peer got an exception if possible, and
    /// the connection must be closed.
    Broken {
        method: Option<String>,
        reason: String,
    },
}

/// One client connection.
pub struct Connection {
    stream: TcpStream,
    peer: Option<SocketAddr>,
    input: LimitedBinaryInput<BufReader<TcpStream>>,
    output: TBinaryOutputProtocol<BufWriter<TcpStream>>,
}

impl Connection {
    pub fn new(stream: TcpStream, limits: InputLimits) -> io::Result<Connection> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr().ok();
        let reader = BufReader::with_capacity(64 << 10, stream.try_clone()?);
        let writer = BufWriter::with_capacity(64 << 10, stream.try_clone()?);
        Ok(Connection {
            stream,
            peer,
            input: LimitedBinaryInput::new(reader, limits),
            output: TBinaryOutputProtocol::new(writer, true),
        })
    }

    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Waits at most `wait` for the first bytes of the next call, so that an idle
    /// connection's thread can notice a shutdown.
    pub fn wait(&mut self, wait: Duration) -> io::Result<Readiness> {
        let reader = self.input.get_mut();
        if !reader.buffer().is_empty() {
            return Ok(Readiness::Call);
        }
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match reader.fill_buf() {
            Ok([]) => Ok(Readiness::Closed),
            Ok(_) => Ok(Readiness::Call),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(Readiness::Idle)
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(Readiness::Closed),
            Err(e) => Err(e),
        }
    }

    /// Reads one call, runs it through the processor `service` routes it to and writes
    /// the reply. `read_timeout` bounds how long the rest of a started call may take to
    /// arrive.
    pub fn serve_call(&mut self, service: &dyn Service, read_timeout: Duration) -> Served {
        if let Err(e) = self.stream.set_read_timeout(Some(read_timeout)) {
            return Served::Broken {
                method: None,
                reason: format!("cannot set the read timeout: {e}"),
            };
        }
        serve_one(service, &mut self.input, &mut self.output)
    }

    /// Answers the next call with `service`'s refusal saying `message`, without running
    /// it. The reply carries the method name the call would have been answered under.
    pub fn refuse_call(&mut self, service: &dyn Service, message: &str, read_timeout: Duration) {
        if self.stream.set_read_timeout(Some(read_timeout)).is_err() {
            return;
        }
        let Ok(ident) = self
            .input
            .read_message_begin()
            .and_then(|ident| self.input.skip(TType::Struct).map(|_| ident))
        else {
            return;
        };
        let name = service
            .route(&ident.name)
            .map_or(ident.name.as_str(), |(_, dispatched)| dispatched);
        let header = TMessageIdentifier::new(name, TMessageType::Reply, ident.sequence_number);
        let o = &mut self.output;
        let _ = o
            .write_message_begin(&header)
            .and_then(|_| o.write_struct_begin(&TStructIdentifier::new("result")))
            .and_then(|_| o.write_field_begin(&TFieldIdentifier::new("e", TType::Struct, 1)))
            .and_then(|_| service.write_refusal(message, o))
            .and_then(|_| o.write_field_end())
            .and_then(|_| o.write_field_stop())
            .and_then(|_| o.write_struct_end())
            .and_then(|_| o.write_message_end())
            .and_then(|_| o.flush());
    }

    /// Closes both directions, so that a peer blocked on a read sees the end.
    pub fn shutdown(&mut self) {
        let _ = self.output.flush();
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.stream.flush();
    }
}

/// Serves every call in `bytes` the way a connection that received them would, without a
/// socket: one after the other until the bytes run out or a call breaks the stream. Returns
/// what became of each call and the replies written. The request path of the daemon minus
/// the accept loop, for the fuzzer (`fuzz/`) and tests.
pub fn serve_bytes(
    service: &dyn Service,
    bytes: &[u8],
    limits: InputLimits,
) -> (Vec<Served>, Vec<u8>) {
    let mut input = LimitedBinaryInput::new(bytes, limits);
    let mut replies = Vec::new();
    let mut output = TBinaryOutputProtocol::new(&mut replies, true);
    let mut served = Vec::new();
    while !input.get_ref().is_empty() {
        let call = serve_one(service, &mut input, &mut output);
        let broken = matches!(call, Served::Broken { .. });
        served.push(call);
        if broken {
            break;
        }
    }
    (served, replies)
}

/// Reads one call from `input`, runs it through the processor `service` routes it to and
/// writes the reply to `output`.
fn serve_one<R: Read, W: Write>(
    service: &dyn Service,
    input: &mut LimitedBinaryInput<R>,
    output: &mut TBinaryOutputProtocol<W>,
) -> Served {
    let ident = match input.peek_message_begin() {
        Ok(ident) => ident,
        Err(e) => {
            let reason = input.failure().map(str::to_string).unwrap_or(e.to_string());
            let header = TMessageIdentifier::new("", TMessageType::Exception, 0);
            reply_exception(
                output,
                &header,
                ApplicationErrorKind::ProtocolError,
                &reason,
            );
            return Served::Broken {
                method: None,
                reason,
            };
        }
    };
    let method = ident.name.clone();
    if !matches!(
        ident.message_type,
        TMessageType::Call | TMessageType::OneWay
    ) {
        let reason = format!(
            "expected a call, got a {:?} message for `{method}`",
            ident.message_type
        );
        reply_exception(
            output,
            &ident,
            ApplicationErrorKind::InvalidMessageType,
            &reason,
        );
        return Served::Broken {
            method: Some(method),
            reason,
        };
    }
    let Some((processor, dispatched)) = service.route(&method) else {
        // Consume the arguments so that the next call starts where it should.
        let skipped = input
            .read_message_begin()
            .and_then(|_| input.skip(TType::Struct))
            .and_then(|_| input.read_message_end());
        let reason = service.unknown_method(&method);
        reply_exception(output, &ident, ApplicationErrorKind::UnknownMethod, &reason);
        return match skipped {
            Ok(()) => Served::UnknownMethod { method },
            Err(e) => Served::Broken {
                method: Some(method),
                reason: format!("{reason}; its arguments are unreadable: {e}"),
            },
        };
    };
    // The processor reads the header again, under the name it dispatches on.
    let header = TMessageIdentifier::new(dispatched, ident.message_type, ident.sequence_number);
    let result = catch_unwind(AssertUnwindSafe(|| {
        input.read_message_begin()?;
        processor.process(
            &mut TStoredInputProtocol::new(&mut *input, header),
            &mut *output,
        )
    }));
    match result {
        Ok(Ok(())) if input.failure().is_none() && !input.unfinished() => Served::Call { method },
        // The generated processor already answered with an exception; the stream
        // position is unknown, so the connection ends here.
        Ok(Ok(())) => {
            let reason = input.failure().map_or_else(
                || format!("the arguments of `{method}` were not read to their end"),
                str::to_string,
            );
            Served::Broken {
                method: Some(method),
                reason,
            }
        }
        Ok(Err(e)) => Served::Broken {
            method: Some(method),
            reason: format!("cannot answer: {e}"),
        },
        Err(panic) => {
            let what = panic_message(panic.as_ref());
            let reason = format!("internal error (a bug in udf-server) in `{method}`: {what}");
            reply_exception(output, &ident, ApplicationErrorKind::InternalError, &reason);
            Served::Broken {
                method: Some(method),
                reason,
            }
        }
    }
}

/// Best effort: the peer may be gone or may not be speaking Thrift at all.
fn reply_exception<W: Write>(
    output: &mut TBinaryOutputProtocol<W>,
    to: &TMessageIdentifier,
    kind: ApplicationErrorKind,
    message: &str,
) {
    let header =
        TMessageIdentifier::new(to.name.clone(), TMessageType::Exception, to.sequence_number);
    let error = ApplicationError::new(kind, message.to_string());
    let _ = output
        .write_message_begin(&header)
        .and_then(|_| thrift::Error::write_application_error_to_out_protocol(&error, output))
        .and_then(|_| output.write_message_end())
        .and_then(|_| output.flush());
}

/// The text of a panic payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remotejit::{Data, RemoteJitService, RemotejitSyncHandler, error_reply};
    use std::collections::BTreeMap;

    struct Stub;

    impl RemotejitSyncHandler for Stub {
        fn handle_targets(&self) -> thrift::Result<BTreeMap<String, String>> {
            Ok(BTreeMap::from([("cpu".to_string(), "{}".to_string())]))
        }
        fn handle_compile(&self, _: String, _: String, _: String) -> thrift::Result<bool> {
            Ok(true)
        }
        fn handle_call(&self, _: String, _: Data) -> thrift::Result<Data> {
            Err(error_reply("RuntimeError", "no"))
        }
        fn handle_python(&self, _: String) -> thrift::Result<bool> {
            panic!("stub panics")
        }
    }

    fn call(name: &str, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0x80, 0x01, 0x00, 0x01];
        m.extend((name.len() as u32).to_be_bytes());
        m.extend(name.as_bytes());
        m.extend(7i32.to_be_bytes());
        m.extend(body);
        m
    }

    /// The message types and names of the replies, in order.
    fn replies(mut bytes: &[u8]) -> Vec<(TMessageType, String)> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let mut p = thrift::protocol::TBinaryInputProtocol::new(&mut bytes, true);
            let ident = p.read_message_begin().unwrap();
            p.skip(TType::Struct).unwrap();
            out.push((ident.message_type, ident.name));
        }
        out
    }

    #[test]
    fn serve_bytes_answers_every_call_in_order() {
        let mut bytes = call("remotejit:targets", &[0]);
        bytes.extend(call("remotejit:exec", &[0x0b, 0, 1, 0, 0, 0, 1, b'x', 0]));
        bytes.extend(call("remotejit:targets", &[0]));
        let (served, out) =
            serve_bytes(&RemoteJitService::new(Stub), &bytes, InputLimits::default());
        let method = |m: &str| m.to_string();
        assert_eq!(
            served,
            [
                Served::Call {
                    method: method("remotejit:targets")
                },
                Served::UnknownMethod {
                    method: method("remotejit:exec")
                },
                Served::Call {
                    method: method("remotejit:targets")
                },
            ]
        );
        assert_eq!(
            replies(&out),
            [
                (TMessageType::Reply, method("targets")),
                (TMessageType::Exception, method("remotejit:exec")),
                (TMessageType::Reply, method("targets")),
            ]
        );
    }

    #[test]
    fn serve_bytes_stops_at_a_broken_call_and_answers_it() {
        // A truncated call: the connection cannot go on, the peer still gets an answer.
        let mut bytes = call("remotejit:compile", &[0x0b, 0, 1, 0, 0, 0, 9, b'x']);
        let (served, out) =
            serve_bytes(&RemoteJitService::new(Stub), &bytes, InputLimits::default());
        assert!(
            matches!(&served[..], [Served::Broken { reason, .. }] if reason.contains("closed in the middle")),
            "{served:?}"
        );
        assert_eq!(replies(&out).len(), 1);

        // A handler panic is caught and answered as an internal error.
        bytes = call("remotejit:python", &[0x0b, 0, 1, 0, 0, 0, 1, b'x', 0]);
        bytes.extend(call("remotejit:targets", &[0]));
        let (served, out) =
            serve_bytes(&RemoteJitService::new(Stub), &bytes, InputLimits::default());
        assert!(
            matches!(&served[..], [Served::Broken { reason, .. }] if reason.contains("stub panics")),
            "{served:?}"
        );
        assert_eq!(
            replies(&out),
            [(TMessageType::Exception, "remotejit:python".to_string())]
        );
    }

    /// The generated code and the `thrift` crate's `skip` give up on some inputs with
    /// errors of their own (here: a field of type VOID, which cannot be skipped), leaving
    /// the stream inside the arguments. Reading on would take argument bytes for the next
    /// call, so the connection ends there.
    #[test]
    fn arguments_abandoned_part_way_end_the_connection() {
        let mut bytes = call("remotejit:compile", &[0x01, 0, 9, 0]);
        bytes.extend(call("remotejit:targets", &[0]));
        let (served, out) =
            serve_bytes(&RemoteJitService::new(Stub), &bytes, InputLimits::default());
        assert!(
            matches!(&served[..], [Served::Broken { reason, .. }]
                if reason.contains("arguments of `remotejit:compile` were not read to their end")),
            "{served:?}"
        );
        assert_eq!(
            replies(&out),
            [(TMessageType::Exception, "compile".to_string())]
        );
    }
}

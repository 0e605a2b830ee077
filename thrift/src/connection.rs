//! Serving one TCP connection: TBinaryProtocol over a buffered transport, the way
//! HeavyDB's port 6274 speaks it.
//!
//! The accept loop (and so threads, limits and shutdown) belongs to the daemon; this module
//! only turns bytes into calls of a [`Service`]'s processors and makes sure that whatever a
//! peer sends, it gets an answer naming the problem and the server's state is untouched.
//! After an error that leaves the stream position unknown, the connection must be closed.
//! Both ports use it: HeavyDB's (one processor, plain method names) and rbc's RemoteJIT
//! (multiplexed `service:method` names, see [`crate::remotejit`]).

use std::io::{self, BufRead, BufReader, BufWriter, ErrorKind, Write};
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
        let ident = match self.input.peek_message_begin() {
            Ok(ident) => ident,
            Err(e) => {
                let reason = self
                    .input
                    .failure()
                    .map(str::to_string)
                    .unwrap_or(e.to_string());
                let header = TMessageIdentifier::new("", TMessageType::Exception, 0);
                self.reply_exception(&header, ApplicationErrorKind::ProtocolError, &reason);
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
            self.reply_exception(&ident, ApplicationErrorKind::InvalidMessageType, &reason);
            return Served::Broken {
                method: Some(method),
                reason,
            };
        }
        let Some((processor, dispatched)) = service.route(&method) else {
            // Consume the arguments so that the next call starts where it should.
            let skipped = self
                .input
                .read_message_begin()
                .and_then(|_| self.input.skip(TType::Struct))
                .and_then(|_| self.input.read_message_end());
            let reason = service.unknown_method(&method);
            self.reply_exception(&ident, ApplicationErrorKind::UnknownMethod, &reason);
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
        let input = &mut self.input;
        let output = &mut self.output;
        let result = catch_unwind(AssertUnwindSafe(|| {
            input.read_message_begin()?;
            processor.process(&mut TStoredInputProtocol::new(input, header), output)
        }));
        match result {
            Ok(Ok(())) if self.input.failure().is_none() => Served::Call { method },
            // The generated processor already answered with an exception; the stream
            // position is unknown, so the connection ends here.
            Ok(Ok(())) => Served::Broken {
                method: Some(method),
                reason: self.input.failure().unwrap_or_default().to_string(),
            },
            Ok(Err(e)) => Served::Broken {
                method: Some(method),
                reason: format!("cannot answer: {e}"),
            },
            Err(panic) => {
                let what = panic_message(panic.as_ref());
                let reason = format!("internal error (a bug in udf-server) in `{method}`: {what}");
                self.reply_exception(&ident, ApplicationErrorKind::InternalError, &reason);
                Served::Broken {
                    method: Some(method),
                    reason,
                }
            }
        }
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

    /// Best effort: the peer may be gone or may not be speaking Thrift at all.
    fn reply_exception(
        &mut self,
        to: &TMessageIdentifier,
        kind: ApplicationErrorKind,
        message: &str,
    ) {
        let header =
            TMessageIdentifier::new(to.name.clone(), TMessageType::Exception, to.sequence_number);
        let error = ApplicationError::new(kind, message.to_string());
        let _ = self
            .output
            .write_message_begin(&header)
            .and_then(|_| {
                thrift::Error::write_application_error_to_out_protocol(&error, &mut self.output)
            })
            .and_then(|_| self.output.write_message_end())
            .and_then(|_| self.output.flush());
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

/// The text of a panic payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

//! rbc's RemoteJIT protocol on the wire (`shared/protocols/rbc-remotejit.md`): the types
//! generated from `idl/remotejit.thrift`, the IDL text the client builds its stubs from,
//! and serving one connection.
//!
//! The protocol differs from HeavyDB's port in three ways that matter here: calls are
//! multiplexed (`info:thrift_content`, `remotejit:compile`) while replies carry the bare
//! method name; the client opens a connection per call; and errors must be *replies*
//! whose result field 1 is an `Exception` with the text `"<PythonErrorClass>: <text>"`
//! (an EXCEPTION message would surface as an untranslated `TApplicationException`).
//! The `info` service is answered here; `remotejit` goes to a [`RemotejitSyncHandler`].
//! Connections are served by [`crate::connection::Connection`], as HeavyDB's are; what
//! differs is this port's [`Service`].

use thrift::protocol::{TOutputProtocol, TSerializable};
use thrift::server::TProcessor;
use thrift::{ApplicationError, ApplicationErrorKind};

use crate::connection::Service;
pub use crate::generated::remotejit::{
    Data, DataKind, Exception, ExceptionKind, RemotejitSyncHandler,
};
use crate::generated::remotejit::{InfoSyncHandler, InfoSyncProcessor, RemotejitSyncProcessor};

/// What `info:thrift_content` returns. The client writes it to a file and parses it with
/// thriftpy2, then looks up `Exception`, `ExceptionKind.EXC_*` and `remotejit` by name,
/// so these declarations must match `idl/remotejit.thrift` (a test checks that they do).
/// The `info` service is left out: the client has already used its own copy of it.
pub const CLIENT_IDL: &str = "\
enum ExceptionKind { EXC_MESSAGE = 0, EXC_TBLIB = 1 }
enum DataKind { DATA_RAW = 0, DATA_ENCODED = 1, DATA_PICKLED = 2 }
exception Exception { 1: ExceptionKind kind; 2: string message; }
struct Data { 1: DataKind kind; 2: string info; 3: binary data; }
service remotejit {
  map<string, string> targets() throws (1: Exception e),
  bool compile(1: string name, 2: string signatures, 3: string ir) throws (1: Exception e),
  Data call(1: string fullname, 2: Data arguments) throws (1: Exception e),
  bool python(1: string statement) throws (1: Exception e),
}
";

/// The methods of the `info` service, as the IDL declares them.
pub const INFO_METHODS: &[&str] = &["thrift_content", "nvidia_smi_query"];
/// The methods of the `remotejit` service, as the IDL declares them.
pub const REMOTEJIT_METHODS: &[&str] = &["targets", "compile", "call", "python"];

/// An error reply the client raises as `class(message)`: `class` must be a Python
/// builtin exception name (`RuntimeError`, `TypeError`, …), else the client raises a
/// plain `Exception` with the whole text.
pub fn error_reply(class: &str, message: impl std::fmt::Display) -> crate::ThriftError {
    crate::ThriftError::User(Box::new(Exception::new(
        ExceptionKind::EXC_MESSAGE,
        format!("{class}: {message}"),
    )))
}

/// `Data` holding a pickle, as `call` sends and expects it (`info` is `str(None)`).
pub fn pickled_data(pickle: Vec<u8>) -> Data {
    Data::new(DataKind::DATA_PICKLED, "None".to_string(), pickle)
}

/// The `info` service: the IDL text, and a refusal of `nvidia_smi_query` (rbc's server
/// runs `nvidia-smi -q`; no client uses it, and it would describe the host to anyone).
struct Info;

impl InfoSyncHandler for Info {
    fn handle_thrift_content(&self) -> thrift::Result<String> {
        Ok(CLIENT_IDL.to_string())
    }

    fn handle_nvidia_smi_query(&self) -> thrift::Result<String> {
        Err(thrift::Error::Application(ApplicationError::new(
            ApplicationErrorKind::UnknownMethod,
            "info:nvidia_smi_query is not served by udf-server",
        )))
    }
}

/// Both services of the port: `info` answered here, `remotejit` by `H`.
pub struct RemoteJitService<H: RemotejitSyncHandler> {
    info: InfoSyncProcessor<Info>,
    remotejit: RemotejitSyncProcessor<H>,
}

impl<H: RemotejitSyncHandler> RemoteJitService<H> {
    pub fn new(handler: H) -> Self {
        RemoteJitService {
            info: InfoSyncProcessor::new(Info),
            remotejit: RemotejitSyncProcessor::new(handler),
        }
    }
}

/// Calls are multiplexed (`remotejit:compile`) and dispatched, and answered, under the
/// bare method name; refusals are `Exception { EXC_MESSAGE, … }` replies, which the client
/// raises as the message says (`"RuntimeError: …"`).
impl<H: RemotejitSyncHandler> Service for RemoteJitService<H> {
    fn route<'n>(&self, name: &'n str) -> Option<(&dyn TProcessor, &'n str)> {
        let (service, method) = name.split_once(':')?;
        match service {
            "info" if INFO_METHODS.contains(&method) => Some((&self.info, method)),
            "remotejit" if REMOTEJIT_METHODS.contains(&method) => Some((&self.remotejit, method)),
            _ => None,
        }
    }

    fn unknown_method(&self, name: &str) -> String {
        format!(
            "unknown method `{name}` (this port serves info:thrift_content and remotejit:{})",
            REMOTEJIT_METHODS.join(", remotejit:")
        )
    }

    fn write_refusal(&self, message: &str, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        Exception::new(
            ExceptionKind::EXC_MESSAGE,
            format!("RuntimeError: {message}"),
        )
        .write_to_out_protocol(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Connection, Readiness, Served};
    use crate::input::InputLimits;
    use std::collections::BTreeMap;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// Answers like a server that compiled `add_lallA` and fails every other call.
    struct Stub;

    impl RemotejitSyncHandler for Stub {
        fn handle_targets(&self) -> thrift::Result<BTreeMap<String, String>> {
            Ok(BTreeMap::from([("cpu".to_string(), "{}".to_string())]))
        }
        fn handle_compile(&self, name: String, sigs: String, _ir: String) -> thrift::Result<bool> {
            assert_eq!((name.as_str(), sigs.as_str()), ("add", "_lallA"));
            Ok(true)
        }
        fn handle_call(&self, fullname: String, args: Data) -> thrift::Result<Data> {
            assert_eq!(args.kind, Some(DataKind::DATA_PICKLED));
            if fullname == "panic" {
                panic!("stub panics");
            }
            Ok(pickled_data(vec![0x80, 0x04, 0x4b, 0x03, 0x2e]))
        }
        fn handle_python(&self, _statement: String) -> thrift::Result<bool> {
            Err(error_reply("RuntimeError", "boom"))
        }
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u32).to_be_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    fn call(name: &str, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0x80, 0x01, 0x00, 0x01];
        m.extend(string(name));
        m.extend(0i32.to_be_bytes());
        m.extend(body);
        m
    }

    fn reply(name: &str, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0x80, 0x01, 0x00, 0x02];
        m.extend(string(name));
        m.extend(0i32.to_be_bytes());
        m.extend(body);
        m
    }

    /// Serves one connection on a loopback socket; returns what a client sending
    /// `request` and then closing its side receives.
    fn exchange(request: &[u8]) -> (Vec<u8>, Served) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let request = request.to_vec();
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(&request).unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got
        });
        let (stream, _) = listener.accept().unwrap();
        let service = RemoteJitService::new(Stub);
        let mut conn = Connection::new(stream, InputLimits::default()).unwrap();
        assert_eq!(conn.wait(Duration::from_secs(5)).unwrap(), Readiness::Call);
        let served = conn.serve_call(&service, Duration::from_secs(5));
        conn.shutdown();
        drop(conn);
        (client.join().unwrap(), served)
    }

    #[test]
    fn answers_the_captured_frames_of_the_fact_sheet() {
        // info:thrift_content() -> string
        let (got, served) = exchange(&call("info:thrift_content", &[0]));
        assert!(matches!(served, Served::Call { .. }), "{served:?}");
        let mut body = vec![0x0b, 0, 0];
        body.extend(string(CLIENT_IDL));
        body.push(0);
        assert_eq!(got, reply("thrift_content", &body));

        // remotejit:compile("add", "_lallA", IR) -> true
        let mut args = vec![0x0b, 0, 1];
        args.extend(string("add"));
        args.extend([0x0b, 0, 2]);
        args.extend(string("_lallA"));
        args.extend([0x0b, 0, 3]);
        args.extend(string(
            "define i64 @add_lallA(i64 %a, i64 %b) { ret i64 %a }",
        ));
        args.push(0);
        let (got, _) = exchange(&call("remotejit:compile", &args));
        assert_eq!(got, reply("compile", &[0x02, 0, 0, 1, 0]));

        // remotejit:call("add_lallA", Data{2, "None", pickle((1, 2))}) -> Data{2, "None", 3}
        let mut args = vec![0x0b, 0, 1];
        args.extend(string("add_lallA"));
        args.extend([0x0c, 0, 2, 0x08, 0, 1, 0, 0, 0, 2, 0x0b, 0, 2]);
        args.extend(string("None"));
        args.extend([0x0b, 0, 3]);
        let pickle = [
            0x80, 4, 0x95, 7, 0, 0, 0, 0, 0, 0, 0, 0x4b, 1, 0x4b, 2, 0x86, 0x94, 0x2e,
        ];
        args.extend((pickle.len() as u32).to_be_bytes());
        args.extend(pickle);
        args.extend([0, 0]);
        let (got, _) = exchange(&call("remotejit:call", &args));
        let mut body = vec![0x0c, 0, 0, 0x08, 0, 1, 0, 0, 0, 2, 0x0b, 0, 2];
        body.extend(string("None"));
        body.extend([0x0b, 0, 3, 0, 0, 0, 5, 0x80, 4, 0x4b, 3, 0x2e, 0, 0]);
        assert_eq!(got, reply("call", &body));
    }

    #[test]
    fn errors_are_replies_with_the_exception_in_field_1() {
        let mut args = vec![0x0b, 0, 1];
        args.extend(string("x"));
        args.push(0);
        let (got, _) = exchange(&call("remotejit:python", &args));
        let mut body = vec![0x0c, 0, 1, 0x08, 0, 1, 0, 0, 0, 0, 0x0b, 0, 2];
        body.extend(string("RuntimeError: boom"));
        body.extend([0, 0]);
        assert_eq!(got, reply("python", &body));
    }

    #[test]
    fn unknown_methods_garbage_and_panics_get_an_answer() {
        let (got, served) = exchange(&call("remotejit:exec", &[0]));
        assert!(matches!(served, Served::UnknownMethod { .. }), "{served:?}");
        assert!(String::from_utf8_lossy(&got).contains("unknown method `remotejit:exec`"));

        let (got, served) = exchange(&call("compile", &[0]));
        assert!(matches!(served, Served::UnknownMethod { .. }), "{served:?}");
        assert!(!got.is_empty());

        let (got, served) = exchange(b"GET / HTTP/1.1\r\n\r\n");
        assert!(matches!(served, Served::Broken { .. }), "{served:?}");
        assert!(String::from_utf8_lossy(&got).contains("not a strict Thrift binary message"));

        let mut args = vec![0x0b, 0, 1];
        args.extend(string("panic"));
        args.extend([0x0c, 0, 2, 0x08, 0, 1, 0, 0, 0, 2, 0]);
        args.push(0);
        let (got, served) = exchange(&call("remotejit:call", &args));
        assert!(matches!(served, Served::Broken { .. }), "{served:?}");
        assert!(String::from_utf8_lossy(&got).contains("stub panics"));
    }

    /// Every declaration the client needs is served as the IDL file spells it, and the
    /// method lists used for routing are the IDL's.
    #[test]
    fn client_idl_matches_the_idl_file() {
        let idl = include_str!("../idl/remotejit.thrift");
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let file = squash(idl);
        for line in CLIENT_IDL.lines() {
            assert!(
                file.contains(&squash(line)),
                "`{line}` is not in remotejit.thrift"
            );
        }
        for method in REMOTEJIT_METHODS {
            assert!(CLIENT_IDL.contains(&format!(" {method}(")), "{method}");
        }
        for method in INFO_METHODS {
            assert!(idl.contains(&format!(" {method}(")), "{method}");
        }
    }
}

//! A blocking client for the `Heavy` service (used by `udf-sql --host`).

use std::io::{BufReader, BufWriter};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use thrift::protocol::{TBinaryInputProtocol, TBinaryOutputProtocol};

use crate::generated::heavy::HeavySyncClient;

pub type Client = HeavySyncClient<
    TBinaryInputProtocol<BufReader<TcpStream>>,
    TBinaryOutputProtocol<BufWriter<TcpStream>>,
>;

/// Connects to `host:port`, trying each address the name resolves to.
pub fn connect(host: &str, port: u16, timeout: Duration) -> std::io::Result<Client> {
    let mut last = None;
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                let input = TBinaryInputProtocol::new(BufReader::new(stream.try_clone()?), true);
                let output = TBinaryOutputProtocol::new(BufWriter::new(stream), true);
                return Ok(HeavySyncClient::new(input, output));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{host} resolves to no address"),
        )
    }))
}

//! The Thrift side of udf-server: the HeavyDB-compatible `Heavy` service's wire types
//! (generated from `idl/heavy.thrift`, see `scripts/regen.sh`), a hardened reader for
//! them, serving one connection, and a client; and rbc's RemoteJIT protocol
//! ([`remotejit`], generated from `idl/remotejit.thrift`).
//!
//! This is the only crate that depends on the `thrift` crate; others use the types and
//! helpers re-exported here.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, dead_code, unused_variables, non_camel_case_types)]
pub mod generated {
    pub mod heavy;
    pub mod remotejit;
}

pub mod client;
pub mod connection;
pub mod input;
pub mod remotejit;

pub use generated::heavy::*;
pub use thrift::server::TProcessor;
pub use thrift::{ApplicationError, ApplicationErrorKind, OrderedFloat};

/// What a handler returns: a value, or an error that becomes the reply.
pub type Result<T> = thrift::Result<T>;
pub use thrift::Error as ThriftError;

/// An error reply the clients understand: `TDBException { error_msg }`. HeavyDB clients
/// map only this exception to their own error classes.
pub fn db_exception(message: impl Into<String>) -> ThriftError {
    ThriftError::User(Box::new(TDBException::new(message.into())))
}

/// The text of an error as a client would show it: a `TDBException`'s message, or the
/// protocol or transport failure.
pub fn error_message(error: &ThriftError) -> String {
    match error {
        ThriftError::User(user) => match user.downcast_ref::<TDBException>() {
            Some(db) => db.error_msg.clone().unwrap_or_default(),
            None => user.to_string(),
        },
        ThriftError::Application(app) => app.message.clone(),
        ThriftError::Protocol(p) => p.message.clone(),
        ThriftError::Transport(t) => t.message.clone(),
    }
}

//! The udf-server daemon and its command-line tools.
//!
//! The daemon (`bin/udf-server.rs`): [`config`] (file, environment, flags), [`server`]
//! (accept loop, a thread per connection, graceful stop), [`sessions`] (global sessions),
//! [`auth`] (logins: password checks, throttling, the configured users),
//! [`heavy`] (the HeavyDB-compatible Thrift methods over a [`db_glue::Engine`]),
//! [`remotejit`] (rbc's RemoteJIT protocol on a second, optional port).
//!
//! `udf-sql` runs SQL in-process on an engine or, with `--host`, on a server:
//! [`splitter`] finds statement boundaries (psql rules, `$$` bodies included),
//! [`shell`] runs statements and `\` commands, [`render`] prints results.
//!
//! **Architecture Invariant:** nothing here names DataFusion; engine types come through
//! `db_glue` (Arrow through `db_glue::arrow`).

pub mod admin;
pub mod auth;
pub mod c_frontend;
pub mod config;
pub mod daemon;
pub mod error;
pub mod heavy;
pub mod metrics;
pub mod remote;
pub mod remotejit;
pub mod render;
pub mod server;
pub mod sessions;
pub mod shell;
pub mod splitter;

//! Shared pieces of the udf-server command-line tools.
//!
//! `udf-sql` (embedded mode) runs SQL in-process on a [`db_glue::Engine`]:
//! [`splitter`] finds statement boundaries (psql rules, `$$` bodies included),
//! [`shell`] runs statements and `\` commands, [`render`] prints results.
//!
//! **Architecture Invariant:** nothing here names DataFusion; engine types come through
//! `db_glue` (Arrow through `db_glue::arrow`).

pub mod render;
pub mod shell;
pub mod splitter;

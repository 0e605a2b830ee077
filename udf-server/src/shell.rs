//! The psql-like session behind `udf-sql`: takes text from any source (`-c`, a script,
//! the prompt), splits it into statements, runs them on an embedded [`Engine`] or a
//! remote server ([`Backend`]) and prints results, timings and errors.
//!
//! Input sources differ only in where lines come from, so they all go through
//! [`Shell::feed`]; the binary owns the prompt and the command line. Every statement
//! passes [`c_frontend::rewrite`] on its way to either backend, so `LANGUAGE c` works
//! the same embedded and remote.

use std::io::{self, Write};
use std::time::Instant;

use db_glue::Engine;
use db_glue::arrow::array::RecordBatch;
use db_glue::arrow::datatypes::SchemaRef;

use crate::c_frontend;
use crate::remote::RemoteSession;
use crate::render::{OutputFormat, write_result};
use crate::splitter::{LexState, StatementSplitter};

/// Settings that `\` commands and flags may change during a session.
#[derive(Debug, Clone, Default)]
pub struct ShellOptions {
    /// Print `Time: N.NNN ms` after each statement.
    pub timing: bool,
    /// Stop at the first failed statement instead of going on with the next.
    pub stop_on_error: bool,
    pub format: OutputFormat,
    /// How NULL is shown in aligned output.
    pub null: String,
    /// At a prompt: `quit`/`exit` end the session and Ctrl-C cancels a running
    /// statement (outside a prompt, Ctrl-C keeps its default: end the process).
    pub interactive: bool,
}

/// One result set of a statement: schema, batches, and a status message (`OK`, …).
type StatementResult = (SchemaRef, Vec<RecordBatch>, Option<String>);

/// Whether the caller should keep feeding input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// Where statements run.
pub enum Backend<'a> {
    Embedded {
        engine: &'a Engine,
        runtime: &'a tokio::runtime::Runtime,
    },
    Remote(RemoteSession),
}

/// One session over one backend.
pub struct Shell<'a> {
    backend: Backend<'a>,
    pub options: ShellOptions,
    splitter: StatementSplitter,
    out: Box<dyn Write + 'a>,
    err: Box<dyn Write + 'a>,
    failures: usize,
}

const HELP: &str = "\
General
  \\q                quit (also `quit`, `exit` or Ctrl-D at the prompt)
  \\?                this help
Query buffer
  \\r                reset (clear) the statement being typed
Informational
  \\df               list user-defined functions (SHOW FUNCTIONS)
Settings
  \\timing [on|off]  toggle/set printing the time each statement takes
Statements end with `;`; a `$$ ... $$` body (e.g. LLVM IR) may contain `;` and newlines.
A LANGUAGE c body is compiled here by clang ($UDF_CLANG, clang-22 or clang) and sent as
LANGUAGE llvm.
";

impl<'a> Shell<'a> {
    pub fn new(
        backend: Backend<'a>,
        options: ShellOptions,
        out: Box<dyn Write + 'a>,
        err: Box<dyn Write + 'a>,
    ) -> Self {
        Shell {
            backend,
            options,
            splitter: StatementSplitter::new(),
            out,
            err,
            failures: 0,
        }
    }

    /// The server's version in remote mode.
    pub fn server_version(&self) -> Option<&str> {
        match &self.backend {
            Backend::Remote(remote) => Some(&remote.server_version),
            Backend::Embedded { .. } => None,
        }
    }

    /// How many statements (or `\` commands) have failed so far.
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// True when no statement is partly typed.
    pub fn at_statement_start(&self) -> bool {
        self.splitter.is_blank()
    }

    /// The prompt for the next line, psql-style: `=>` at the start of a statement, and a
    /// character telling what is still open in a continuation line.
    pub fn prompt(&self) -> &'static str {
        match self.splitter.state() {
            _ if self.splitter.is_blank() => "udf=> ",
            LexState::Normal | LexState::LineComment => "udf-> ",
            LexState::SingleQuote => "udf'> ",
            LexState::DoubleQuote => "udf\"> ",
            LexState::DollarQuote(_) => "udf$> ",
            LexState::BlockComment(_) => "udf*> ",
        }
    }

    /// Feeds text (one or more lines); runs every statement it completes and every `\`
    /// command on a line of its own. Errors in statements are reported and counted; the
    /// `Err` case is only for output that cannot be written (e.g. a closed pipe).
    pub fn feed(&mut self, text: &str) -> io::Result<Flow> {
        for line in text.split_inclusive('\n') {
            if self.feed_line(line)? == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        Ok(Flow::Continue)
    }

    /// Ends the input: runs a last statement that no `;` closed.
    pub fn finish(&mut self) -> io::Result<Flow> {
        match self.splitter.finish() {
            Some(stmt) => self.run_statement(&stmt),
            None => Ok(Flow::Continue),
        }
    }

    /// Drops a partly typed statement (Ctrl-C at the prompt).
    pub fn reset(&mut self) {
        self.splitter.clear();
    }

    fn feed_line(&mut self, line: &str) -> io::Result<Flow> {
        let trimmed = line.trim();
        // Backslash commands are recognised outside quotes, comments and dollar bodies,
        // so a `\` line inside a function body stays part of the body.
        if *self.splitter.state() == LexState::Normal && trimmed.starts_with('\\') {
            return self.meta_command(trimmed);
        }
        if self.options.interactive
            && self.splitter.is_blank()
            && matches!(trimmed, "quit" | "exit" | "quit;" | "exit;")
        {
            return Ok(Flow::Quit);
        }
        for stmt in self.splitter.push(line) {
            if self.run_statement(&stmt)? == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        Ok(Flow::Continue)
    }

    fn meta_command(&mut self, line: &str) -> io::Result<Flow> {
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or_default();
        let arg = words.next();
        match (command, arg) {
            ("\\q", _) => return Ok(Flow::Quit),
            ("\\?", _) => write!(self.out, "{HELP}")?,
            ("\\r", _) => {
                self.splitter.clear();
                writeln!(self.out, "Query buffer reset (cleared).")?;
            }
            ("\\timing", arg) => {
                let on = match arg.map(str::to_ascii_lowercase).as_deref() {
                    None => !self.options.timing,
                    Some("on") => true,
                    Some("off") => false,
                    Some(other) => {
                        return self.fail(&format!(
                            "\\timing: unrecognized value \"{other}\": expected on or off"
                        ));
                    }
                };
                self.options.timing = on;
                let state = if on { "on" } else { "off" };
                writeln!(self.out, "Timing is {state}.")?;
            }
            ("\\df", _) => return self.run_statement("SHOW FUNCTIONS"),
            (other, _) => {
                return self.fail(&format!("invalid command {other}. Try \\? for help."));
            }
        }
        self.out.flush()?;
        Ok(Flow::Continue)
    }

    /// Runs one statement and prints its results (or its error) and timing. The time
    /// includes compiling a `LANGUAGE c` body, which is part of creating the function.
    pub fn run_statement(&mut self, sql: &str) -> io::Result<Flow> {
        tracing::debug!(sql, "executing statement");
        let start = Instant::now();
        let result = match c_frontend::rewrite(sql) {
            // Nothing reaches the backend: a half-compiled function must not exist.
            Err(e) => Some(Err(e.to_string())),
            Ok(None) => self.execute(sql),
            Ok(Some(rewritten)) => {
                if let Some(warnings) = &rewritten.warnings {
                    self.out.flush()?;
                    writeln!(self.err, "WARNING: clang: {warnings}")?;
                }
                tracing::debug!(sql = rewritten.sql, "LANGUAGE c rewritten to LANGUAGE llvm");
                self.execute(&rewritten.sql)
            }
        };
        let elapsed = start.elapsed();
        let flow = match result {
            Some(Ok(results)) => {
                for (schema, batches, message) in &results {
                    write_result(
                        &mut self.out,
                        self.options.format,
                        &self.options.null,
                        schema,
                        batches,
                        message.as_deref(),
                    )?;
                }
                Flow::Continue
            }
            Some(Err(e)) => self.fail(&e)?,
            None => self.fail("canceling statement due to user request")?,
        };
        if self.options.timing {
            writeln!(self.out, "Time: {:.3} ms", elapsed.as_secs_f64() * 1e3)?;
        }
        self.out.flush()?;
        Ok(flow)
    }

    /// Sends one statement to the backend; `None` when the user cancelled it.
    fn execute(&mut self, sql: &str) -> Option<Result<Vec<StatementResult>, String>> {
        let interactive = self.options.interactive;
        match &mut self.backend {
            Backend::Embedded { engine, runtime } => {
                let engine = *engine;
                let results = if interactive {
                    // A long query can be abandoned with Ctrl-C without leaving the
                    // session. Dropping the future cancels DataFusion's streams; a kernel
                    // already inside a batch finishes that batch first.
                    runtime.block_on(async {
                        tokio::select! {
                            r = engine.execute(sql) => Some(r),
                            _ = tokio::signal::ctrl_c() => None,
                        }
                    })
                } else {
                    Some(runtime.block_on(engine.execute(sql)))
                };
                results.map(|r| {
                    r.map(|results| {
                        results
                            .into_iter()
                            .map(|r| (r.schema, r.batches, r.message))
                            .collect::<Vec<_>>()
                    })
                    .map_err(|e| e.to_string())
                })
            }
            Backend::Remote(remote) => Some(
                remote
                    .execute(sql)
                    .map(|(schema, batches)| vec![(schema, batches, None)]),
            ),
        }
    }

    fn fail(&mut self, message: &str) -> io::Result<Flow> {
        self.failures += 1;
        // Results so far go out before the error, so the two streams read in order
        // when they share a terminal.
        self.out.flush()?;
        writeln!(self.err, "ERROR: {message}")?;
        self.err.flush()?;
        Ok(if self.options.stop_on_error {
            Flow::Quit
        } else {
            Flow::Continue
        })
    }
}

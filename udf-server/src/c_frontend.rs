//! `CREATE FUNCTION … LANGUAGE c AS $$<C source>$$` in `udf-sql`: semi-remote
//! compilation. clang on the client turns the C into LLVM IR (the front end), and the
//! statement goes on as `LANGUAGE llvm` with that IR, so the engine or server (the back
//! end) checks, optimises and links it exactly like IR from any other client. Neither
//! the engine nor the Thrift protocol knows about C.
//!
//! The rewrite touches two tokens of the statement, the language and the body; name,
//! arguments, `RETURNS`, `OR REPLACE` and a `, 'symbol'` after the body stay as written,
//! so the engine picks the IR symbol as for any IR: the link symbol when given, else the
//! function named like the SQL function.

use std::io::{self, Write};
use std::ops::Range;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// clang's arguments, before the input (`-`, standard input).
///
/// `-O2` because the back end runs O3 again after inlining into the column kernel, so
/// more here only costs time. `-fno-math-errno`: SQL cannot see `errno` and the server
/// drops the write anyway; without it clang guards `sqrt` with a libm call for negative
/// input. `-fno-stack-protector`: a distribution clang may default to it, and the
/// server refuses the `__stack_chk_*` symbols it needs. No `-ffast-math`: results must
/// be those the C means.
pub const CLANG_ARGS: &[&str] = &[
    "-x",
    "c",
    "-S",
    "-emit-llvm",
    "-O2",
    "-fno-math-errno",
    "-fno-stack-protector",
    "-fno-ident",
    "-g0",
    "-o",
    "-",
];

/// Tried in order when `$UDF_CLANG` is unset. LLVM 22 reads the IR of older clangs too.
const CLANG_NAMES: &[&str] = &["clang-22", "clang"];

/// A statement after the rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The statement to send: `LANGUAGE llvm AS $$<IR>$$`.
    pub sql: String,
    /// What clang printed while succeeding (warnings), for the user to see.
    pub warnings: Option<String>,
}

/// Rewrites a `CREATE FUNCTION … LANGUAGE c` statement into its `LANGUAGE llvm` form by
/// compiling the body with clang; `Ok(None)` for every other statement, which is sent
/// as it is. On an error nothing should be sent.
pub fn rewrite(sql: &str) -> Result<Option<Rewritten>> {
    let Some(function) = find_c_function(sql)? else {
        return Ok(None);
    };
    let compiled = compile(&function.name, &function.source)?;
    Ok(Some(Rewritten {
        sql: function.with_ir(&compiled.ir),
        warnings: compiled.warnings,
    }))
}

/// A `CREATE FUNCTION … LANGUAGE c` statement, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CFunction<'a> {
    sql: &'a str,
    /// The SQL name as written (unquoted), for messages and clang's file name.
    pub name: String,
    /// The body, unquoted.
    pub source: String,
    language: Range<usize>,
    body: Range<usize>,
}

impl CFunction<'_> {
    /// The statement with `LANGUAGE llvm` and `ir` as the body.
    pub fn with_ir(&self, ir: &str) -> String {
        let mut ir = ir.to_string();
        // A body ending in `$` would run into the closing delimiter.
        if !ir.ends_with('\n') {
            ir.push('\n');
        }
        let body = dollar_quote(&ir);
        let mut edits = [
            (self.language.clone(), "llvm".to_string()),
            (self.body.clone(), body),
        ];
        edits.sort_by_key(|(range, _)| range.start);
        let mut out = String::with_capacity(self.sql.len() + ir.len());
        let mut at = 0;
        for (range, text) in edits {
            out.push_str(&self.sql[at..range.start]);
            out.push_str(&text);
            at = range.end;
        }
        out.push_str(&self.sql[at..]);
        out
    }
}

/// `$$…$$` around `text`, or `$ir$…$ir$` (`$ir1$`, …) when the text holds the shorter
/// delimiter (LLVM identifiers may contain `$`).
fn dollar_quote(text: &str) -> String {
    let tag = std::iter::once(String::new())
        .chain(std::iter::once("ir".to_string()))
        .chain((1..).map(|n| format!("ir{n}")))
        .map(|t| format!("${t}$"))
        .find(|delimiter| !text.contains(delimiter.as_str()))
        .unwrap_or_default();
    format!("{tag}{text}{tag}")
}

/// Finds `CREATE [OR REPLACE] FUNCTION name … LANGUAGE c … AS <string>`; `None` for any
/// other statement (another language included). Unterminated strings are left to the
/// engine, whose parser reports them.
pub fn find_c_function(sql: &str) -> Result<Option<CFunction<'_>>> {
    let mut tokens = Lexer::new(sql);
    let next_word = |tokens: &mut Lexer<'_>| tokens.next().filter(|t| t.kind == Kind::Word);
    let is = |t: &Token, word: &str| sql[t.span.clone()].eq_ignore_ascii_case(word);
    if !next_word(&mut tokens).is_some_and(|t| is(&t, "create")) {
        return Ok(None);
    }
    let Some(mut token) = next_word(&mut tokens) else {
        return Ok(None);
    };
    if is(&token, "or") {
        if !next_word(&mut tokens).is_some_and(|t| is(&t, "replace")) {
            return Ok(None);
        }
        let Some(next) = next_word(&mut tokens) else {
            return Ok(None);
        };
        token = next;
    }
    if !is(&token, "function") {
        return Ok(None);
    }
    let name = match tokens.next() {
        Some(Token {
            kind: Kind::Word,
            span,
        }) => sql[span].to_string(),
        Some(Token {
            kind: Kind::QuotedIdent(name),
            ..
        }) => name,
        _ => return Ok(None),
    };

    let rest: Vec<Token> = tokens.collect();
    let mut depth = 0usize;
    let mut language = None;
    let mut body = None;
    for (i, token) in rest.iter().enumerate() {
        match token.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => depth = depth.saturating_sub(1),
            Kind::Word if depth == 0 => {
                let following = rest.get(i + 1);
                if is(token, "language") && language.is_none() {
                    language = following.map(|t| {
                        let value = match &t.kind {
                            Kind::QuotedIdent(v) | Kind::Str { value: v, .. } => v.clone(),
                            _ => sql[t.span.clone()].to_string(),
                        };
                        (value, t.span.clone())
                    });
                } else if is(token, "as") && body.is_none() {
                    body = following.and_then(|t| match &t.kind {
                        Kind::Str { value, terminated } => {
                            Some((value.clone(), t.span.clone(), *terminated))
                        }
                        _ => None,
                    });
                }
            }
            _ => {}
        }
    }
    let Some((lang, language)) = language else {
        return Ok(None);
    };
    if !lang.eq_ignore_ascii_case("c") {
        return Ok(None);
    }
    match body {
        Some((_, _, false)) => Ok(None),
        Some((source, body, true)) => Ok(Some(CFunction {
            sql,
            name,
            source,
            language,
            body,
        })),
        None => Err(Error::CFunction(format!(
            "`{name}` is LANGUAGE c but has no C source: write AS $$<C source>$$"
        ))),
    }
}

/// IR from clang, and its warnings.
#[derive(Debug)]
pub struct Compiled {
    pub ir: String,
    pub warnings: Option<String>,
}

/// Compiles the C source of SQL function `function` to IR text with the clang that
/// [`clang_candidates`] finds first.
pub fn compile(function: &str, source: &str) -> Result<Compiled> {
    // The body usually starts on the line after `AS $$`; a line marker names the input
    // after the function and numbers its lines from the first line of C, so clang's
    // `hypexp.c:3:12: error: …` points into the body.
    let source = source
        .strip_prefix("\r\n")
        .or_else(|| source.strip_prefix('\n'))
        .unwrap_or(source);
    let input = format!("#line 1 \"{}.c\"\n{source}", file_stem(function));
    let (candidates, looked_for) = clang_candidates();
    for clang in &candidates {
        let child = Command::new(clang)
            .args(CLANG_ARGS)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(Error::ClangRun {
                    clang: clang.clone(),
                    function: function.to_string(),
                    source,
                });
            }
        };
        let run_error = |source| Error::ClangRun {
            clang: clang.clone(),
            function: function.to_string(),
            source,
        };
        // Written from a second thread: clang may fill its output pipes (diagnostics for
        // a long source) before it has read all its input.
        let stdin = child.stdin.take();
        let output = std::thread::scope(|scope| {
            let writer = scope.spawn(|| match stdin {
                Some(mut pipe) => pipe.write_all(input.as_bytes()),
                None => Ok(()),
            });
            let output = child.wait_with_output();
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
            (output, written)
        });
        let output = match output {
            (Err(e), _) => return Err(run_error(e)),
            // clang stopping early (e.g. an unknown option) closes its input; its status
            // and diagnostics say why.
            (Ok(output), Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => output,
            (Ok(_), Err(e)) => return Err(run_error(e)),
            (Ok(output), Ok(())) => output,
        };
        let diagnostics = String::from_utf8_lossy(&output.stderr)
            .trim_end()
            .to_string();
        if !output.status.success() {
            let diagnostics = if diagnostics.is_empty() {
                format!("{clang} exited with {}", output.status)
            } else {
                diagnostics
            };
            return Err(Error::CCompile {
                function: function.to_string(),
                diagnostics,
            });
        }
        return Ok(Compiled {
            ir: String::from_utf8_lossy(&output.stdout).into_owned(),
            warnings: (!diagnostics.is_empty()).then_some(diagnostics),
        });
    }
    Err(Error::ClangNotFound { looked_for })
}

/// The clangs to try, and how to name them in a message: `$UDF_CLANG` alone when set
/// (a clang chosen on purpose is not silently replaced), else [`CLANG_NAMES`] on `PATH`.
pub fn clang_candidates() -> (Vec<String>, String) {
    match std::env::var("UDF_CLANG") {
        Ok(clang) if !clang.trim().is_empty() => {
            let looked_for = format!("$UDF_CLANG = {clang}");
            (vec![clang], looked_for)
        }
        _ => (
            CLANG_NAMES.iter().map(|s| s.to_string()).collect(),
            format!("$UDF_CLANG, {}", CLANG_NAMES.join(", ")),
        ),
    }
}

/// The function name as a file name: clang prints it in every diagnostic.
fn file_stem(function: &str) -> String {
    let stem: String = function
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "function".into()
    } else {
        stem
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A keyword, identifier or number.
    Word,
    /// `"…"`, unquoted.
    QuotedIdent(String),
    /// `'…'` or `$tag$…$tag$`, unquoted.
    Str {
        value: String,
        terminated: bool,
    },
    Punct(u8),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    span: Range<usize>,
}

/// Just enough of SQL's lexical rules (those of [`crate::splitter`]) to find the
/// keywords of a statement outside strings and comments.
struct Lexer<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str) -> Self {
        Lexer { sql, pos: 0 }
    }

    fn skip_space_and_comments(&mut self) {
        let bytes = self.sql.as_bytes();
        loop {
            let rest = &bytes[self.pos..];
            if rest.first().is_some_and(u8::is_ascii_whitespace) {
                self.pos += 1;
            } else if rest.starts_with(b"--") {
                self.pos += rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| i + 1);
            } else if rest.starts_with(b"/*") {
                // Block comments nest in SQL.
                let mut depth = 0usize;
                let mut i = 0;
                while i < rest.len() {
                    if rest[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if rest[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                self.pos += i;
            } else {
                return;
            }
        }
    }

    /// `'…'` or `"…"` from `self.pos` (at the opening quote): the value with doubled
    /// quotes undone, and whether the closing quote was found.
    fn quoted(&mut self, quote: u8) -> (String, bool) {
        let bytes = self.sql.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut value = String::new();
        let mut from = start;
        while i < bytes.len() {
            if bytes[i] == quote {
                value.push_str(&self.sql[from..i]);
                if bytes.get(i + 1) == Some(&quote) {
                    value.push(quote as char);
                    i += 2;
                    from = i;
                    continue;
                }
                self.pos = i + 1;
                return (value, true);
            }
            i += 1;
        }
        value.push_str(&self.sql[from..]);
        self.pos = bytes.len();
        (value, false)
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.skip_space_and_comments();
        let bytes = self.sql.as_bytes();
        let start = self.pos;
        let &c = bytes.get(start)?;
        let kind = match c {
            b'\'' => {
                let (value, terminated) = self.quoted(b'\'');
                Kind::Str { value, terminated }
            }
            b'"' => Kind::QuotedIdent(self.quoted(b'"').0),
            b'$' => match dollar_tag(&bytes[start..]) {
                Some(len) => {
                    let tag = &self.sql[start..start + len];
                    let body_start = start + len;
                    match self.sql[body_start..].find(tag) {
                        Some(off) => {
                            self.pos = body_start + off + len;
                            Kind::Str {
                                value: self.sql[body_start..body_start + off].to_string(),
                                terminated: true,
                            }
                        }
                        None => {
                            self.pos = bytes.len();
                            Kind::Str {
                                value: self.sql[body_start..].to_string(),
                                terminated: false,
                            }
                        }
                    }
                }
                None => {
                    self.pos += 1;
                    Kind::Punct(b'$')
                }
            },
            c if is_ident_byte(c) => {
                // `$` inside a word (`a$b`) does not open a quote.
                let len = bytes[start..]
                    .iter()
                    .position(|&b| !(is_ident_byte(b) || b == b'$'))
                    .unwrap_or(bytes.len() - start);
                self.pos += len;
                Kind::Word
            }
            c => {
                // One character, whole: a non-ASCII one is an identifier byte above.
                self.pos += 1;
                Kind::Punct(c)
            }
        };
        Some(Token {
            kind,
            span: start..self.pos,
        })
    }
}

/// The length of a dollar-quote delimiter at the start of `s`: `$` + an optional
/// identifier that does not start with a digit + `$`.
fn dollar_tag(s: &[u8]) -> Option<usize> {
    for (k, &b) in s.iter().enumerate().skip(1) {
        match b {
            b'$' => return Some(k + 1),
            b'0'..=b'9' if k == 1 => return None,
            b if is_ident_byte(b) => {}
            _ => return None,
        }
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(sql: &str) -> CFunction<'_> {
        find_c_function(sql)
            .expect("no error")
            .unwrap_or_else(|| panic!("not found in {sql:?}"))
    }

    #[test]
    fn other_statements_are_left_alone() {
        for sql in [
            "SELECT 1",
            "CREATE TABLE t(language c)",
            "CREATE FUNCTION f(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$ define $$",
            "create or replace function f(int) returns int language LLVM as 'x'",
            "-- LANGUAGE c\nCREATE FUNCTION f(INT) RETURNS INT LANGUAGE llvm AS $$ c $$",
            "CREATE FUNCTION f(INT) RETURNS INT /* LANGUAGE c */ LANGUAGE llvm AS $$x$$",
            "CREATE FUNCTION f(INT) RETURNS INT AS $$ LANGUAGE c $$ LANGUAGE llvm",
            "DROP FUNCTION c",
            "",
        ] {
            assert_eq!(find_c_function(sql).unwrap(), None, "{sql}");
        }
    }

    #[test]
    fn finds_name_language_and_body() {
        let sql = "CREATE FUNCTION Twice(BIGINT) RETURNS BIGINT LANGUAGE C AS $$\n\
                   long Twice(long x) { return 2 * x; }\n$$";
        let f = found(sql);
        assert_eq!(f.name, "Twice");
        assert_eq!(f.source, "\nlong Twice(long x) { return 2 * x; }\n");
        assert_eq!(
            f.with_ir("define i64 @Twice(i64 %x) { ret i64 %x }\n"),
            "CREATE FUNCTION Twice(BIGINT) RETURNS BIGINT LANGUAGE llvm AS \
             $$define i64 @Twice(i64 %x) { ret i64 %x }\n$$"
        );
    }

    #[test]
    fn keeps_or_replace_comments_and_the_link_symbol() {
        let sql = "-- doubles\ncreate or replace function \"twice\"(int) returns int \
                   language c as $c$ int my_twice(int x) { return 2 * x; } /* $$; */ $c$, \
                   'my_twice'";
        let f = found(sql);
        assert_eq!(f.name, "twice");
        assert_eq!(
            f.source,
            " int my_twice(int x) { return 2 * x; } /* $$; */ "
        );
        assert_eq!(
            f.with_ir("IR"),
            "-- doubles\ncreate or replace function \"twice\"(int) returns int \
             language llvm as $$IR\n$$, 'my_twice'"
        );
    }

    #[test]
    fn language_after_the_body_and_quoted_forms() {
        let f = found(
            "CREATE FUNCTION f(INT) RETURNS INT AS 'int f(int x) { return x*''a''; }' LANGUAGE \"c\"",
        );
        assert_eq!(f.source, "int f(int x) { return x*'a'; }");
        assert_eq!(
            f.with_ir("X"),
            "CREATE FUNCTION f(INT) RETURNS INT AS $$X\n$$ LANGUAGE llvm"
        );
        assert!(
            find_c_function("CREATE FUNCTION f() RETURNS INT LANGUAGE 'c' AS $$x$$")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn ir_holding_the_delimiter_gets_a_tag() {
        assert_eq!(dollar_quote("a\n"), "$$a\n$$");
        assert_eq!(dollar_quote("@f$$g\n"), "$ir$@f$$g\n$ir$");
        assert_eq!(dollar_quote("$$ $ir$\n"), "$ir1$$$ $ir$\n$ir1$");
    }

    #[test]
    fn c_without_a_body_is_an_error() {
        let err = find_c_function("CREATE FUNCTION f(INT) RETURNS INT LANGUAGE c").unwrap_err();
        assert!(err.to_string().contains("`f` is LANGUAGE c"), "{err}");
    }

    #[test]
    fn unterminated_body_is_left_to_the_parser() {
        assert_eq!(
            find_c_function("CREATE FUNCTION f(INT) RETURNS INT LANGUAGE c AS $$ int f(").unwrap(),
            None
        );
    }

    #[test]
    fn dollar_signs_that_open_no_quote() {
        let f = found("CREATE FUNCTION a$b(INT) RETURNS INT LANGUAGE c AS $body$x$body$");
        assert_eq!(f.name, "a$b");
        assert_eq!(f.source, "x");
        assert_eq!(file_stem("a$b"), "a_b");
    }
}

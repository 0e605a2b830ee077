//! Splits SQL text into statements the way psql does: a statement ends at a `;` that is
//! outside quotes, dollar quotes and comments.
//!
//! The splitter is fed text incrementally (a line at a time from the prompt, or a whole
//! script at once) so that the shell knows whether to show a continuation prompt. It
//! never interprets SQL beyond lexing, so a `CREATE FUNCTION … AS $$ … $$` body full of
//! `;`, quotes and newlines (LLVM IR) stays one statement.

/// Where the scanner stands at the end of the text fed so far; the shell picks its
/// prompt from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexState {
    /// Between tokens.
    Normal,
    /// Inside `'…'`.
    SingleQuote,
    /// Inside `"…"` (a quoted identifier).
    DoubleQuote,
    /// Inside `$tag$…$tag$`; holds the full delimiter, e.g. `$$` or `$body$`.
    DollarQuote(String),
    /// Inside `-- …` up to the end of the line.
    LineComment,
    /// Inside `/* … */`; SQL block comments nest, so this counts the depth.
    BlockComment(usize),
}

/// Accumulates SQL text and hands out complete statements.
#[derive(Debug, Clone)]
pub struct StatementSplitter {
    buf: String,
    /// Byte offset in `buf` up to which the text has been lexed.
    pos: usize,
    state: LexState,
    /// Whether the pending statement has anything besides whitespace and comments; a
    /// statement without content (`;;`, a comment-only line) is dropped, not executed.
    has_content: bool,
}

impl Default for StatementSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl StatementSplitter {
    pub fn new() -> Self {
        StatementSplitter {
            buf: String::new(),
            pos: 0,
            state: LexState::Normal,
            has_content: false,
        }
    }

    /// Appends `text` and returns the statements it completed, in order, each without
    /// its terminating `;` and trimmed of surrounding whitespace.
    pub fn push(&mut self, text: &str) -> Vec<String> {
        self.buf.push_str(text);
        let mut out = Vec::new();
        while let Some(end) = self.scan() {
            let rest = self.buf.split_off(end + 1);
            let mut stmt = std::mem::replace(&mut self.buf, rest);
            stmt.pop(); // the `;`
            if self.has_content {
                out.push(stmt.trim().to_string());
            }
            self.pos = 0;
            self.has_content = false;
        }
        out
    }

    /// Ends the input: returns the pending statement, if it has content, even though no
    /// `;` closed it (psql runs a last unterminated statement of a script too).
    pub fn finish(&mut self) -> Option<String> {
        let stmt = std::mem::take(&mut self.buf);
        // Text that was held back for look-ahead (e.g. a trailing `$`) still counts.
        let has_content = self.has_content || !self.scan_rest_is_blank(&stmt);
        self.pos = 0;
        self.state = LexState::Normal;
        self.has_content = false;
        has_content.then(|| stmt.trim().to_string())
    }

    /// True when nothing but whitespace is pending: the shell then shows its main prompt
    /// and accepts `quit`.
    pub fn is_blank(&self) -> bool {
        self.buf.trim().is_empty()
    }

    /// The lexical state at the end of the text fed so far.
    pub fn state(&self) -> &LexState {
        &self.state
    }

    /// Drops the pending text (Ctrl-C at the prompt).
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    fn scan_rest_is_blank(&self, stmt: &str) -> bool {
        stmt.get(self.pos..).is_none_or(|s| s.trim().is_empty())
    }

    /// Lexes from `self.pos`; returns the byte offset of a statement-ending `;`, or None
    /// when the text runs out (possibly leaving `pos` before a token whose end needs
    /// more text to be recognised).
    fn scan(&mut self) -> Option<usize> {
        let buf = std::mem::take(&mut self.buf);
        let end = self.scan_bytes(buf.as_bytes());
        self.buf = buf;
        end
    }

    fn scan_bytes(&mut self, bytes: &[u8]) -> Option<usize> {
        while self.pos < bytes.len() {
            let i = self.pos;
            let c = bytes[i];
            let next = bytes.get(i + 1).copied();
            // Cloning allocates only inside a dollar quote, where one search covers
            // everything fed so far.
            match self.state.clone() {
                LexState::Normal => match c {
                    b';' => {
                        self.pos = i + 1;
                        return Some(i);
                    }
                    b'\'' => self.enter(LexState::SingleQuote, i + 1),
                    b'"' => self.enter(LexState::DoubleQuote, i + 1),
                    b'-' if next == Some(b'-') => {
                        self.state = LexState::LineComment;
                        self.pos = i + 2;
                    }
                    b'-' if next.is_none() => return None,
                    b'/' if next == Some(b'*') => {
                        self.state = LexState::BlockComment(1);
                        self.pos = i + 2;
                    }
                    b'/' if next.is_none() => return None,
                    b'$' if i > 0 && is_ident_byte(bytes[i - 1]) => {
                        // `$` inside an identifier (`a$b`) starts no quote.
                        self.content(i + 1);
                    }
                    b'$' => match dollar_tag(&bytes[i..]) {
                        Tag::Complete(len) => {
                            let tag = String::from_utf8_lossy(&bytes[i..i + len]).into_owned();
                            self.enter(LexState::DollarQuote(tag), i + len);
                        }
                        Tag::NoQuote => self.content(i + 1),
                        Tag::NeedMore => return None,
                    },
                    c if c.is_ascii_whitespace() => self.pos = i + 1,
                    _ => self.content(i + 1),
                },
                LexState::SingleQuote | LexState::DoubleQuote => {
                    let quote = if self.state == LexState::SingleQuote {
                        b'\''
                    } else {
                        b'"'
                    };
                    // A doubled quote ('') is an escaped quote: leaving and re-entering
                    // the quoted state handles it without special casing.
                    match memchr(quote, &bytes[i..]) {
                        Some(off) => {
                            self.state = LexState::Normal;
                            self.pos = i + off + 1;
                        }
                        None => self.pos = bytes.len(),
                    }
                }
                LexState::DollarQuote(tag) => {
                    let tag = tag.as_bytes();
                    match find(&bytes[i..], tag) {
                        Some(off) => {
                            self.pos = i + off + tag.len();
                            self.state = LexState::Normal;
                        }
                        None => {
                            // Keep the last tag.len()-1 bytes: a closing tag may straddle
                            // the end of the text fed so far.
                            let keep = tag.len().saturating_sub(1);
                            self.pos = bytes.len().saturating_sub(keep).max(i);
                            return None;
                        }
                    }
                }
                LexState::LineComment => match memchr(b'\n', &bytes[i..]) {
                    Some(off) => {
                        self.state = LexState::Normal;
                        self.pos = i + off + 1;
                    }
                    None => self.pos = bytes.len(),
                },
                LexState::BlockComment(depth) => {
                    if c == b'*' && next == Some(b'/') {
                        self.state = if depth == 1 {
                            LexState::Normal
                        } else {
                            LexState::BlockComment(depth - 1)
                        };
                        self.pos = i + 2;
                    } else if c == b'/' && next == Some(b'*') {
                        self.state = LexState::BlockComment(depth + 1);
                        self.pos = i + 2;
                    } else if (c == b'*' || c == b'/') && next.is_none() {
                        return None;
                    } else {
                        self.pos = i + 1;
                    }
                }
            }
        }
        None
    }

    fn enter(&mut self, state: LexState, pos: usize) {
        self.state = state;
        self.has_content = true;
        self.pos = pos;
    }

    fn content(&mut self, pos: usize) {
        self.has_content = true;
        self.pos = pos;
    }
}

enum Tag {
    /// A dollar-quote delimiter of this many bytes (`$$` = 2, `$fn$` = 4).
    Complete(usize),
    /// A `$` that opens no quote (`$1`, a lone `$`).
    NoQuote,
    /// The text ends before the delimiter does.
    NeedMore,
}

/// Recognises a dollar-quote delimiter at the start of `s` (which starts with `$`):
/// `$` + an optional identifier that does not start with a digit + `$`.
fn dollar_tag(s: &[u8]) -> Tag {
    for (k, &b) in s.iter().enumerate().skip(1) {
        match b {
            b'$' => return Tag::Complete(k + 1),
            b'0'..=b'9' if k == 1 => return Tag::NoQuote,
            b if is_ident_byte(b) => {}
            _ => return Tag::NoQuote,
        }
    }
    Tag::NeedMore
}

fn is_ident_byte(b: u8) -> bool {
    // Non-ASCII bytes belong to identifiers (Postgres allows any non-ASCII letter).
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(text: &str) -> Vec<String> {
        let mut s = StatementSplitter::new();
        let mut out = s.push(text);
        out.extend(s.finish());
        out
    }

    fn split_lines(text: &str) -> Vec<String> {
        let mut s = StatementSplitter::new();
        let mut out = Vec::new();
        for line in text.split_inclusive('\n') {
            out.extend(s.push(line));
        }
        out.extend(s.finish());
        out
    }

    fn split_bytes(text: &str) -> Vec<String> {
        let mut s = StatementSplitter::new();
        let mut out = Vec::new();
        for (i, _) in text.char_indices() {
            let end = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
            out.extend(s.push(&text[i..end]));
        }
        out.extend(s.finish());
        out
    }

    /// Every way of feeding the text gives the same statements.
    fn check(text: &str, expected: &[&str]) {
        assert_eq!(split_all(text), expected, "whole text");
        assert_eq!(split_lines(text), expected, "line by line");
        assert_eq!(split_bytes(text), expected, "char by char");
    }

    #[test]
    fn plain_statements() {
        check("select 1; select 2;", &["select 1", "select 2"]);
        check("select 1;\nselect\n  2\n;", &["select 1", "select\n  2"]);
    }

    #[test]
    fn last_statement_without_semicolon_runs_at_end() {
        check("select 1; select 2", &["select 1", "select 2"]);
    }

    #[test]
    fn empty_and_comment_only_statements_are_dropped() {
        check(" ; ;\n-- just a comment\n;/* c */;", &[]);
        check("-- trailing comment", &[]);
    }

    #[test]
    fn semicolons_in_quotes_and_comments() {
        check("select 'a;b', \"c;d\";", &["select 'a;b', \"c;d\""]);
        check("select 'it''s;';", &["select 'it''s;'"]);
        check(
            "select 1 -- no; split\n, 2;",
            &["select 1 -- no; split\n, 2"],
        );
        check(
            "select /* a; /* nested; */ still; */ 1;",
            &["select /* a; /* nested; */ still; */ 1"],
        );
    }

    #[test]
    fn dollar_quoted_bodies() {
        let f = "create function f(bigint) returns bigint language llvm as $$\n\
                 define i64 @f(i64 %a) { ; a comment; with semicolons 'and quotes\n\
                 ret i64 %a }\n$$";
        check(&format!("{f};select f(1);"), &[f, "select f(1)"]);
        let tagged = "select $fn$ has $$ and ; inside $fn$";
        check(&format!("{tagged}; select 2;"), &[tagged, "select 2"]);
    }

    #[test]
    fn c_bodies_stay_whole() {
        let c = "create function f(bigint) returns bigint language c as $$\n\
                 #include <stdint.h>\n\
                 /* 'a quote; */ static int64_t g(int64_t x) { return x + ';'; }\n\
                 int64_t f(int64_t x) { return g(x); } // \"$\" and -- no comment\n$$";
        check(&format!("{c};select f(1);"), &[c, "select f(1)"]);
        // C holding `$$` needs a tagged delimiter.
        let tagged = "create function f() returns int language c as $c$\n\
                      int f(void) { const char *s = \"$$;\"; return s[0]; }\n$c$";
        check(&format!("{tagged};\nselect 2;"), &[tagged, "select 2"]);
        let quoted = "create function f() returns int language c as \
                      'int f(void) { return ''$''; }'";
        check(&format!("{quoted}; select 3"), &[quoted, "select 3"]);
    }

    #[test]
    fn dollar_signs_that_open_no_quote() {
        check(
            "select $1; select a$b; select 3;",
            &["select $1", "select a$b", "select 3"],
        );
    }

    #[test]
    fn state_tracks_open_constructs() {
        let mut s = StatementSplitter::new();
        assert!(s.push("create function f() as $$\n").is_empty());
        assert_eq!(s.state(), &LexState::DollarQuote("$$".into()));
        assert!(s.push("ret;\n").is_empty());
        assert_eq!(s.push("$$;\n"), vec!["create function f() as $$\nret;\n$$"]);
        assert_eq!(s.state(), &LexState::Normal);
        assert!(s.is_blank());
        assert!(s.push("select 'x\n").is_empty());
        assert_eq!(s.state(), &LexState::SingleQuote);
        assert!(!s.is_blank());
    }

    #[test]
    fn unterminated_quote_is_returned_at_end() {
        check("select 'oops", &["select 'oops"]);
    }
}

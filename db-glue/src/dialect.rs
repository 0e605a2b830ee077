//! HeavyDB's SQL where DataFusion's parser would refuse it, and where things are in a SQL
//! text (for messages that point at a call).
//!
//! HeavyDB clients create tables with storage clauses DataFusion has no use for:
//! `s TEXT ENCODING DICT(32)`, `d DATE ENCODING DAYS(32)`, `… ) WITH (fragment_size=…)`.
//! They are removed before parsing, token by token with sqlparser's own tokenizer, so that
//! text inside string literals, quoted identifiers and `$$` bodies is never touched. A
//! removed clause is overwritten with spaces (line breaks kept), so every other token keeps
//! its line and column and positions in messages still match what the client sent.

use std::borrow::Cow;
use std::ops::Range;

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::error::SqlSpan;

/// HeavyDB's column encodings; `ENCODING` followed by anything else is left for the parser
/// to judge.
const ENCODINGS: &[&str] = &[
    "NONE",
    "DICT",
    "FIXED",
    "DAYS",
    "COMPRESSED",
    "SPARSE",
    "RL",
    "DIFF",
];

/// `sql` without HeavyDB's storage clauses in `CREATE TABLE` statements: column
/// `ENCODING <name>[(<n>)]` and table `WITH (<options>)`. Borrowed when there was nothing to
/// remove or the text does not tokenize (the parser then reports the error).
pub(crate) fn heavydb_to_datafusion(sql: &str) -> Cow<'_, str> {
    match cursor_subqueries(sql) {
        Cow::Borrowed(sql) => storage_clauses_removed(sql),
        Cow::Owned(sql) => Cow::Owned(storage_clauses_removed(&sql).into_owned()),
    }
}

/// `CURSOR(SELECT …)` → `CURSOR((SELECT …))`: HeavyDB's table function argument, which the
/// generic dialect cannot parse as a function argument, becomes a scalar subquery it can
/// (the table function planner takes either). Adds two characters per cursor, after the
/// cursor's query starts, so positions before it are unchanged.
fn cursor_subqueries(sql: &str) -> Cow<'_, str> {
    if !contains_word(sql, "cursor") {
        return Cow::Borrowed(sql);
    }
    let Some(lexemes) = lex(sql) else {
        return Cow::Borrowed(sql);
    };
    let significant: Vec<&Lexeme> = lexemes
        .iter()
        .filter(|l| !matches!(l.token, Token::Whitespace(_)))
        .collect();
    // (byte offset, text to insert)
    let mut inserts: Vec<(usize, char)> = Vec::new();
    for (i, l) in significant.iter().enumerate() {
        let is_cursor = matches!(&l.token, Token::Word(w)
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("cursor"));
        let opens_query = matches!(
            significant.get(i + 1).map(|l| &l.token),
            Some(Token::LParen)
        ) && matches!(significant.get(i + 2).map(|l| &l.token), Some(Token::Word(w))
                if matches!(w.keyword, Keyword::SELECT | Keyword::WITH));
        if !(is_cursor && opens_query) {
            continue;
        }
        let mut depth = 0usize;
        for close in &significant[i + 1..] {
            match close.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        inserts.push((significant[i + 1].bytes.end, '('));
                        inserts.push((close.bytes.start, ')'));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    if inserts.is_empty() {
        return Cow::Borrowed(sql);
    }
    inserts.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(sql.len() + inserts.len());
    let mut pos = 0;
    for (at, c) in inserts {
        out.push_str(&sql[pos..at]);
        out.push(c);
        pos = at;
    }
    out.push_str(&sql[pos..]);
    Cow::Owned(out)
}

fn storage_clauses_removed(sql: &str) -> Cow<'_, str> {
    // Most statements are not CREATE TABLE; spare them the tokenizer.
    if !contains_word(sql, "create")
        || !(contains_word(sql, "encoding") || contains_word(sql, "with"))
    {
        return Cow::Borrowed(sql);
    }
    let Some(lexemes) = lex(sql) else {
        return Cow::Borrowed(sql);
    };
    let mut blank: Vec<Range<usize>> = Vec::new();
    for statement in statements(&lexemes) {
        if is_create_table(&statement) {
            storage_clauses(&statement, &mut blank);
        }
    }
    if blank.is_empty() {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut pos = 0;
    for range in blank {
        out.push_str(&sql[pos..range.start]);
        out.extend(
            sql[range.clone()]
                .chars()
                .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
        );
        pos = range.end;
    }
    out.push_str(&sql[pos..]);
    Cow::Owned(out)
}

/// Whether `text` contains `word` (lowercase ASCII), in any case.
fn contains_word(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// The byte ranges of the non-empty statements of `sql` (split at `;` outside literals), or
/// `None` when it does not tokenize.
pub(crate) fn statement_ranges(sql: &str) -> Option<Vec<Range<usize>>> {
    let lexemes = lex(sql)?;
    Some(
        statements(&lexemes)
            .into_iter()
            .filter_map(|s| Some(s.first()?.bytes.start..s.last()?.bytes.end))
            .collect(),
    )
}

/// A call of a function in a SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallSite {
    /// From the function name to the closing parenthesis.
    pub(crate) span: SqlSpan,
    pub(crate) arity: usize,
}

/// The first call of `name` within `range` of `sql` taking `arity` arguments, else the first
/// call of `name` at all. Unquoted names compare case-insensitively, as the planner does.
pub(crate) fn find_call(
    sql: &str,
    range: Range<usize>,
    name: &str,
    arity: Option<usize>,
) -> Option<CallSite> {
    let lexemes = lex(sql)?;
    let significant: Vec<&Lexeme> = lexemes
        .iter()
        .filter(|l| !matches!(l.token, Token::Whitespace(_)))
        .filter(|l| l.bytes.start >= range.start && l.bytes.end <= range.end)
        .collect();
    let mut first = None;
    for (i, lexeme) in significant.iter().enumerate() {
        let Token::Word(word) = &lexeme.token else {
            continue;
        };
        let named = match word.quote_style {
            None => word.value.eq_ignore_ascii_case(name),
            Some(_) => word.value == name,
        };
        let qualified = i > 0 && matches!(significant[i - 1].token, Token::Period);
        if !named
            || qualified
            || !matches!(
                significant.get(i + 1).map(|l| &l.token),
                Some(Token::LParen)
            )
        {
            continue;
        }
        let Some((close, commas)) = closing_paren(&significant[i + 1..]) else {
            continue;
        };
        let close = &significant[i + 1 + close];
        let empty = matches!(significant[i + 2].token, Token::RParen);
        let site = CallSite {
            span: SqlSpan {
                start_line: lexeme.start.line,
                start_column: lexeme.start.column,
                end_line: close.start.line,
                end_column: close.start.column,
            },
            arity: if empty { 0 } else { commas + 1 },
        };
        if arity.is_none_or(|a| a == site.arity) {
            return Some(site);
        }
        first.get_or_insert(site);
    }
    first
}

/// A token and where it is: its bytes in the text, and its first position.
struct Lexeme {
    token: Token,
    bytes: Range<usize>,
    start: Location,
}

/// The tokens of `sql`, whitespace and comments included (together they tile the text).
fn lex(sql: &str) -> Option<Vec<Lexeme>> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    // Spans count characters by line and column; walk the text once to turn them into
    // byte offsets. Each token starts where the previous one ended.
    let mut chars = sql.chars();
    let (mut pos, mut line, mut column) = (0usize, 1u64, 1u64);
    let mut lexemes = Vec::with_capacity(tokens.len());
    for t in tokens {
        if (t.span.start.line, t.span.start.column) != (line, column) {
            return None;
        }
        let start = pos;
        while (line, column) < (t.span.end.line, t.span.end.column) {
            let c = chars.next()?;
            pos += c.len_utf8();
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        lexemes.push(Lexeme {
            token: t.token,
            bytes: start..pos,
            start: t.span.start,
        });
    }
    Some(lexemes)
}

/// The significant tokens (no whitespace or comments) of each non-empty statement.
fn statements(lexemes: &[Lexeme]) -> Vec<Vec<&Lexeme>> {
    let mut statements = vec![Vec::new()];
    for lexeme in lexemes {
        match lexeme.token {
            Token::Whitespace(_) => {}
            Token::SemiColon => statements.push(Vec::new()),
            _ => statements
                .last_mut()
                .into_iter()
                .for_each(|s| s.push(lexeme)),
        }
    }
    statements.retain(|s| !s.is_empty());
    statements
}

fn keyword(lexeme: Option<&&Lexeme>, kw: Keyword) -> bool {
    matches!(lexeme.map(|l| &l.token), Some(Token::Word(w)) if w.keyword == kw)
}

/// `CREATE [OR REPLACE] [TEMP|TEMPORARY] TABLE`.
fn is_create_table(statement: &[&Lexeme]) -> bool {
    let mut i = 0;
    if !keyword(statement.first(), Keyword::CREATE) {
        return false;
    }
    i += 1;
    if keyword(statement.get(i), Keyword::OR) && keyword(statement.get(i + 1), Keyword::REPLACE) {
        i += 2;
    }
    if keyword(statement.get(i), Keyword::TEMP) || keyword(statement.get(i), Keyword::TEMPORARY) {
        i += 1;
    }
    keyword(statement.get(i), Keyword::TABLE)
}

/// Adds to `blank` the byte ranges of a `CREATE TABLE` statement's column encodings and
/// table options.
fn storage_clauses(statement: &[&Lexeme], blank: &mut Vec<Range<usize>>) {
    let mut depth = 0usize;
    let mut i = 0;
    while i < statement.len() {
        match &statement[i].token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            // `ENCODING` right after `(` or `,` is a column named encoding.
            Token::Word(w)
                if w.keyword == Keyword::ENCODING
                    && depth == 1
                    && i > 0
                    && !matches!(statement[i - 1].token, Token::LParen | Token::Comma) =>
            {
                let is_encoding = matches!(
                    statement.get(i + 1).map(|l| &l.token),
                    Some(Token::Word(e)) if e.quote_style.is_none()
                        && ENCODINGS.iter().any(|n| e.value.eq_ignore_ascii_case(n))
                );
                if is_encoding {
                    let mut end = i + 1;
                    if matches!(
                        statement.get(end + 1).map(|l| &l.token),
                        Some(Token::LParen)
                    ) && matches!(
                        statement.get(end + 2).map(|l| &l.token),
                        Some(Token::Number(..))
                    ) && matches!(
                        statement.get(end + 3).map(|l| &l.token),
                        Some(Token::RParen)
                    ) {
                        end += 3;
                    }
                    blank.push(statement[i].bytes.start..statement[end].bytes.end);
                    i = end + 1;
                    continue;
                }
            }
            // Table options; a common table expression would have a name before `(`.
            Token::Word(w)
                if w.keyword == Keyword::WITH
                    && depth == 0
                    && matches!(statement.get(i + 1).map(|l| &l.token), Some(Token::LParen)) =>
            {
                if let Some((close, _)) = closing_paren(&statement[i + 1..]) {
                    let end = i + 1 + close;
                    blank.push(statement[i].bytes.start..statement[end].bytes.end);
                    i = end + 1;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Columns declared `ENCODING NONE` in the `CREATE TABLE` statement `sql` (lowercase
/// unless quoted): HeavyDB reports them as unencoded text, the rest as dictionary text.
pub(crate) fn none_encoded_columns(sql: &str) -> Vec<String> {
    if !contains_word(sql, "encoding") {
        return Vec::new();
    }
    let Some(lexemes) = lex(sql) else {
        return Vec::new();
    };
    let mut columns = Vec::new();
    for statement in statements(&lexemes).iter().filter(|s| is_create_table(s)) {
        let mut depth = 0usize;
        let mut column: Option<String> = None;
        for (i, lexeme) in statement.iter().enumerate() {
            match &lexeme.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Comma if depth == 1 => column = None,
                Token::Word(w) if depth == 1 && column.is_none() => {
                    column = Some(match w.quote_style {
                        Some(_) => w.value.clone(),
                        None => w.value.to_lowercase(),
                    });
                }
                Token::Word(w)
                    if depth == 1
                        && w.keyword == Keyword::ENCODING
                        && matches!(
                            statement.get(i + 1).map(|l| &l.token),
                            Some(Token::Word(e)) if e.quote_style.is_none()
                                && e.value.eq_ignore_ascii_case("NONE")
                        ) =>
                {
                    columns.extend(column.clone());
                }
                _ => {}
            }
        }
    }
    columns
}

/// For tokens starting with `(`: the index of the matching `)` and the number of commas
/// directly inside the pair.
fn closing_paren(tokens: &[&Lexeme]) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut commas = 0;
    for (i, lexeme) in tokens.iter().enumerate() {
        match lexeme.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some((i, commas));
                }
            }
            Token::Comma if depth == 1 => commas += 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_queries_become_subqueries() {
        let sql =
            "SELECT * FROM TABLE(f(CURSOR(SELECT a, (b) FROM t), 2)) WHERE x = 'CURSOR(SELECT'";
        assert_eq!(
            heavydb_to_datafusion(sql),
            "SELECT * FROM TABLE(f(CURSOR((SELECT a, (b) FROM t)), 2)) WHERE x = 'CURSOR(SELECT'"
        );
        let sql = "SELECT cursor(1)";
        assert_eq!(heavydb_to_datafusion(sql), sql);
    }

    #[test]
    fn removes_encodings_and_table_options() {
        let sql = "CREATE TABLE IF NOT EXISTS t (s TEXT ENCODING DICT(32), n TEXT ENCODING NONE,\n\
                   d DATE ENCODING DAYS(32), i BIGINT NOT NULL ENCODING FIXED(16), encoding INT,\n\
                   x TEXT ENCODING DICT) WITH (fragment_size=100, partitions='REPLICATED');";
        let out = heavydb_to_datafusion(sql);
        let squeezed: String = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            squeezed,
            "CREATE TABLE IF NOT EXISTS t (s TEXT , n TEXT , d DATE , i BIGINT NOT NULL , \
             encoding INT, x TEXT ) ;"
        );
        // Positions are kept: same lines, same columns.
        assert_eq!(out.lines().count(), sql.lines().count());
        for (a, b) in out.lines().zip(sql.lines()) {
            assert_eq!(a.chars().count(), b.chars().count());
        }
    }

    #[test]
    fn leaves_literals_bodies_and_other_statements_alone() {
        for sql in [
            "SELECT 'ENCODING DICT(32)' AS s",
            "INSERT INTO t VALUES ('x ENCODING NONE')",
            "CREATE TABLE t AS SELECT 'a ENCODING DICT(8)' AS s",
            "CREATE FUNCTION f(INT) RETURNS INT LANGUAGE llvm AS $$ ENCODING DICT(32) WITH (a) $$",
            "CREATE TABLE t AS WITH c AS (SELECT 1 AS v) SELECT v FROM c",
            "CREATE TABLE \"ENCODING\" (\"x ENCODING NONE\" INT)",
            "SELECT 'unterminated",
        ] {
            assert_eq!(heavydb_to_datafusion(sql), sql, "{sql}");
        }
        let sql =
            "SELECT 'x'; CREATE TABLE t (s TEXT ENCODING DICT(32), q TEXT DEFAULT 'ENCODING NONE')";
        let blanked = " ".repeat("ENCODING DICT(32)".len());
        assert_eq!(
            heavydb_to_datafusion(sql),
            format!(
                "SELECT 'x'; CREATE TABLE t (s TEXT {blanked}, q TEXT DEFAULT 'ENCODING NONE')"
            )
        );
    }

    #[test]
    fn finds_none_encoded_columns() {
        let sql = "CREATE TABLE t (a TEXT ENCODING NONE, b TEXT ENCODING DICT(32), \"C\" TEXT ENCODING NONE, encoding INT)";
        assert_eq!(
            none_encoded_columns(sql),
            vec!["a".to_string(), "C".to_string()]
        );
        assert!(none_encoded_columns("SELECT 'ENCODING NONE'").is_empty());
    }

    #[test]
    fn splits_statements() {
        let sql =
            "SELECT 1; ;\nCREATE FUNCTION f() RETURNS INT LANGUAGE llvm AS $$a;b$$;  SELECT ';'";
        let ranges = statement_ranges(sql).unwrap();
        let parts: Vec<&str> = ranges.into_iter().map(|r| &sql[r]).collect();
        assert_eq!(
            parts,
            vec![
                "SELECT 1",
                "CREATE FUNCTION f() RETURNS INT LANGUAGE llvm AS $$a;b$$",
                "SELECT ';'"
            ]
        );
    }

    #[test]
    fn finds_calls() {
        let sql = "SELECT t.foo(1), Foo( a, g(b, c) ),\n  \"foo\"(1), foo()";
        let site = find_call(sql, 0..sql.len(), "foo", Some(2)).unwrap();
        assert_eq!(site.arity, 2);
        assert_eq!(
            site.span.to_string(),
            "From line 1, column 18 to line 1, column 34"
        );
        let site = find_call(sql, 0..sql.len(), "foo", Some(0)).unwrap();
        assert_eq!(
            (
                site.span.start_line,
                site.span.start_column,
                site.span.end_column
            ),
            (2, 13, 17)
        );
        // No call with three arguments: the first call.
        let site = find_call(sql, 0..sql.len(), "foo", Some(3)).unwrap();
        assert_eq!(site.span.start_column, 18);
        assert_eq!(find_call(sql, 0..sql.len(), "bar", None), None);
        // Only within the range.
        assert_eq!(find_call(sql, 0..10, "foo", None), None);
        // Characters, not bytes.
        let sql = "SELECT 'é', f(1)";
        let site = find_call(sql, 0..sql.len(), "f", None).unwrap();
        assert_eq!((site.span.start_column, site.span.end_column), (13, 16));
    }
}

//! Users, passwords and privileges: the statements that manage them, password hashes, and
//! what a grant allows.
//!
//! The statements are parsed here, token by token with sqlparser's tokenizer, rather than
//! by DataFusion's parser: sqlparser knows other dialects' `CREATE USER` (Snowflake's) and
//! DataFusion plans none of them, while clients send PostgreSQL's form
//! (`CREATE USER u WITH PASSWORD 'p' SUPERUSER`) or HeavyDB's
//! (`CREATE USER u (password = 'p', is_super = 'true')`).
//!
//! ```text
//! CREATE USER name [WITH] PASSWORD 'p' [SUPERUSER | NOSUPERUSER]
//! CREATE USER name (password = 'p' [, is_super = 'true'|'false'])
//! ALTER USER name [WITH] {PASSWORD 'p' | SUPERUSER | NOSUPERUSER}...
//! ALTER USER name (password = 'p' | is_super = '…', ...)
//! DROP USER [IF EXISTS] name
//! GRANT CREATE FUNCTION TO name [, name...]
//! REVOKE CREATE FUNCTION FROM name [, name...]
//! GRANT {SELECT|INSERT|UPDATE|DELETE}[, ...] | ALL [PRIVILEGES] ON [TABLE] t TO name [, ...]
//! REVOKE ... ON [TABLE] t FROM name [, ...]
//! SHOW USERS
//! ```
//!
//! User names are kept as written (quoted or not): they are what clients log in with.
//! Table names follow SQL's rule (unquoted names are lowercased), as the tables' own do.

use std::fmt;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::TableReference;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::{DdlStatement, LogicalPlan, Statement, WriteOp};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::engine::QueryResult;
use crate::error::{Error, Result};
use crate::store::{Catalog, DefinitionKind, Store, UserRecord};

/// What a grant on a table allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TablePrivilege {
    Select,
    Insert,
    Update,
    Delete,
}

impl TablePrivilege {
    pub const ALL: [TablePrivilege; 4] = [
        TablePrivilege::Select,
        TablePrivilege::Insert,
        TablePrivilege::Update,
        TablePrivilege::Delete,
    ];

    /// The SQL keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            TablePrivilege::Select => "SELECT",
            TablePrivilege::Insert => "INSERT",
            TablePrivilege::Update => "UPDATE",
            TablePrivilege::Delete => "DELETE",
        }
    }

    pub(crate) fn from_keyword(word: &str) -> Option<TablePrivilege> {
        TablePrivilege::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(word))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for TablePrivilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of table privileges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PrivilegeSet(u8);

impl PrivilegeSet {
    pub(crate) fn all() -> PrivilegeSet {
        TablePrivilege::ALL.into_iter().collect()
    }

    pub(crate) fn contains(self, privilege: TablePrivilege) -> bool {
        self.0 & privilege.bit() != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn union(self, other: PrivilegeSet) -> PrivilegeSet {
        PrivilegeSet(self.0 | other.0)
    }

    pub(crate) fn without(self, other: PrivilegeSet) -> PrivilegeSet {
        PrivilegeSet(self.0 & !other.0)
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = TablePrivilege> {
        TablePrivilege::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<TablePrivilege> for PrivilegeSet {
    fn from_iter<I: IntoIterator<Item = TablePrivilege>>(iter: I) -> Self {
        PrivilegeSet(iter.into_iter().fold(0, |bits, p| bits | p.bit()))
    }
}

impl fmt::Display for PrivilegeSet {
    /// `ALL` for every privilege, else `SELECT, INSERT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == PrivilegeSet::all() {
            return f.write_str("ALL");
        }
        let names: Vec<&str> = self.iter().map(TablePrivilege::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

/// Hashes `password` with Argon2id (the crate's default parameters, a random 16-byte salt)
/// into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::Internal(format!("no randomness for a password salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Internal(format!("encoding a password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `hash` (with the parameters the hash names;
/// the crate compares in constant time). A hash that does not parse matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A password in a statement: never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Password(pub(crate) String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// A statement about users or privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccessStatement {
    CreateUser {
        name: String,
        password: Password,
        superuser: bool,
    },
    AlterUser {
        name: String,
        password: Option<Password>,
        superuser: Option<bool>,
    },
    DropUser {
        name: String,
        if_exists: bool,
    },
    /// `GRANT`/`REVOKE CREATE FUNCTION`.
    FunctionGrant {
        users: Vec<String>,
        grant: bool,
    },
    /// `GRANT`/`REVOKE … ON [TABLE] t`.
    TableGrant {
        privileges: PrivilegeSet,
        table: String,
        users: Vec<String>,
        grant: bool,
    },
    ShowUsers,
}

/// Whether `sql` may hold a statement of this module: spares the tokenizer for the rest.
pub(crate) fn may_contain(sql: &str) -> bool {
    ["user", "grant", "revoke"].iter().any(|word| {
        sql.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    })
}

/// `statement` (one statement's text) as a statement of this module: `None` when it is
/// not one (it goes to DataFusion), `Some(Err)` when it is one and malformed.
pub(crate) fn parse(statement: &str) -> Option<Result<AccessStatement>> {
    let tokens = Tokenizer::new(&GenericDialect {}, statement)
        .tokenize()
        .ok()?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut p = Parser { tokens, pos: 0 };
    let parsed = if p.keywords(&["CREATE", "USER"]) {
        p.create_user()
    } else if p.keywords(&["ALTER", "USER"]) {
        p.alter_user()
    } else if p.keywords(&["DROP", "USER"]) {
        p.drop_user()
    } else if p.keyword("GRANT") {
        p.grant(true)
    } else if p.keyword("REVOKE") {
        p.grant(false)
    } else if p.keywords(&["SHOW", "USERS"]) {
        p.end("SHOW USERS").map(|()| AccessStatement::ShowUsers)
    } else {
        return None;
    };
    Some(parsed)
}

fn syntax(message: String) -> Error {
    Error::Parse(message)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(keyword))
    }

    /// Consumes `keyword` (an unquoted word) if it comes next.
    fn keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes `keywords` if they all come next, else nothing.
    fn keywords(&mut self, keywords: &[&str]) -> bool {
        let start = self.pos;
        if keywords.iter().all(|k| self.keyword(k)) {
            return true;
        }
        self.pos = start;
        false
    }

    fn token(&mut self, token: &Token) -> bool {
        let found = self.peek() == Some(token);
        if found {
            self.pos += 1;
        }
        found
    }

    /// What comes next, for a message.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the statement".into(),
            Some(token) => format!("`{token}`"),
        }
    }

    fn expect_keyword(&mut self, keyword: &str, context: &str) -> Result<()> {
        if self.keyword(keyword) {
            return Ok(());
        }
        Err(syntax(format!(
            "{context}: expected {keyword}, found {}",
            self.found()
        )))
    }

    /// Only `;` may follow.
    fn end(&mut self, context: &str) -> Result<()> {
        while self.token(&Token::SemiColon) {}
        match self.peek() {
            None | Some(Token::EOF) => Ok(()),
            Some(_) => Err(syntax(format!(
                "{context}: unexpected {} after the statement",
                self.found()
            ))),
        }
    }

    /// A user name: an identifier (as written) or a string literal.
    fn user_name(&mut self, context: &str) -> Result<String> {
        let name = match self.peek() {
            Some(Token::Word(w)) => w.value.clone(),
            Some(Token::SingleQuotedString(s)) => s.clone(),
            _ => {
                return Err(syntax(format!(
                    "{context}: expected a user name, found {}",
                    self.found()
                )));
            }
        };
        self.pos += 1;
        check_user_name(&name)?;
        Ok(name)
    }

    /// `name [, name]...`
    fn user_names(&mut self, context: &str) -> Result<Vec<String>> {
        let mut names = vec![self.user_name(context)?];
        while self.token(&Token::Comma) {
            names.push(self.user_name(context)?);
        }
        Ok(names)
    }

    fn string(&mut self, what: &str, context: &str) -> Result<String> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(syntax(format!(
                "{context}: {what} must be a string literal ('…'), found {}",
                self.found()
            ))),
        }
    }

    /// `'true'`, `'false'`, `true` or `false`.
    fn boolean(&mut self, what: &str, context: &str) -> Result<bool> {
        let text = match self.peek() {
            Some(Token::SingleQuotedString(s)) => s.clone(),
            Some(Token::Word(w)) if w.quote_style.is_none() => w.value.clone(),
            _ => String::new(),
        };
        let value = match text.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(syntax(format!(
                    "{context}: {what} must be 'true' or 'false', found {}",
                    self.found()
                )));
            }
        };
        self.pos += 1;
        Ok(value)
    }

    /// The options of `CREATE USER` / `ALTER USER`, in either form.
    fn user_options(&mut self, context: &str) -> Result<(Option<Password>, Option<bool>)> {
        let mut password = None;
        let mut superuser = None;
        if self.token(&Token::LParen) {
            // HeavyDB: (key = value, ...)
            loop {
                let key = match self.peek() {
                    Some(Token::Word(w)) => w.value.to_ascii_lowercase(),
                    _ => {
                        return Err(syntax(format!(
                            "{context}: expected an option name (password, is_super), found {}",
                            self.found()
                        )));
                    }
                };
                self.pos += 1;
                if !self.token(&Token::Eq) {
                    return Err(syntax(format!(
                        "{context}: expected = after `{key}`, found {}",
                        self.found()
                    )));
                }
                match key.as_str() {
                    "password" => {
                        password = Some(Password(self.string("the password", context)?));
                    }
                    "is_super" => superuser = Some(self.boolean("is_super", context)?),
                    "default_db" => {
                        let db = self.string("default_db", context)?;
                        if !db.eq_ignore_ascii_case("heavyai") {
                            return Err(Error::Unsupported(format!(
                                "{context}: default_db '{db}' (this server has one database, `heavyai`)"
                            )));
                        }
                    }
                    "can_login" => {
                        if !self.boolean("can_login", context)? {
                            return Err(Error::Unsupported(format!(
                                "{context}: can_login = 'false' (drop the user instead)"
                            )));
                        }
                    }
                    other => {
                        return Err(syntax(format!(
                            "{context}: unknown option `{other}` (password, is_super, default_db, can_login)"
                        )));
                    }
                }
                if self.token(&Token::RParen) {
                    break;
                }
                if !self.token(&Token::Comma) {
                    return Err(syntax(format!(
                        "{context}: expected , or ), found {}",
                        self.found()
                    )));
                }
            }
        } else {
            // PostgreSQL: [WITH] option...
            self.keyword("WITH");
            loop {
                if self.keyword("PASSWORD") {
                    self.token(&Token::Eq);
                    password = Some(Password(self.string("the password", context)?));
                } else if self.keyword("SUPERUSER") {
                    superuser = Some(true);
                } else if self.keyword("NOSUPERUSER") {
                    superuser = Some(false);
                } else {
                    break;
                }
            }
        }
        if let Some(Password(p)) = &password
            && p.is_empty()
        {
            return Err(Error::InvalidSetting(format!(
                "{context}: the password must not be empty"
            )));
        }
        self.end(context)?;
        Ok((password, superuser))
    }

    fn create_user(&mut self) -> Result<AccessStatement> {
        let name = self.user_name("CREATE USER")?;
        let context = format!("CREATE USER {name}");
        let (password, superuser) = self.user_options(&context)?;
        let Some(password) = password else {
            return Err(syntax(format!(
                "{context} needs a password: CREATE USER {name} WITH PASSWORD '…'"
            )));
        };
        Ok(AccessStatement::CreateUser {
            name,
            password,
            superuser: superuser.unwrap_or(false),
        })
    }

    fn alter_user(&mut self) -> Result<AccessStatement> {
        let name = self.user_name("ALTER USER")?;
        let context = format!("ALTER USER {name}");
        let (password, superuser) = self.user_options(&context)?;
        if password.is_none() && superuser.is_none() {
            return Err(syntax(format!(
                "{context} changes nothing: give PASSWORD '…', SUPERUSER or NOSUPERUSER"
            )));
        }
        Ok(AccessStatement::AlterUser {
            name,
            password,
            superuser,
        })
    }

    fn drop_user(&mut self) -> Result<AccessStatement> {
        let if_exists = self.keywords(&["IF", "EXISTS"]);
        let name = self.user_name("DROP USER")?;
        self.end("DROP USER")?;
        Ok(AccessStatement::DropUser { name, if_exists })
    }

    fn grant(&mut self, grant: bool) -> Result<AccessStatement> {
        let (verb, preposition) = if grant {
            ("GRANT", "TO")
        } else {
            ("REVOKE", "FROM")
        };
        if self.keywords(&["CREATE", "FUNCTION"]) {
            self.expect_keyword(preposition, verb)?;
            let users = self.user_names(verb)?;
            self.end(verb)?;
            return Ok(AccessStatement::FunctionGrant { users, grant });
        }
        let mut privileges = PrivilegeSet::default();
        loop {
            if self.keyword("ALL") {
                self.keyword("PRIVILEGES");
                privileges = PrivilegeSet::all();
            } else {
                let word = match self.peek() {
                    Some(Token::Word(w)) if w.quote_style.is_none() => w.value.clone(),
                    _ => String::new(),
                };
                let Some(privilege) = TablePrivilege::from_keyword(&word) else {
                    return Err(syntax(format!(
                        "{verb}: unknown privilege {} (privileges are CREATE FUNCTION, and \
                         SELECT, INSERT, UPDATE, DELETE or ALL on a table)",
                        self.found()
                    )));
                };
                self.pos += 1;
                privileges = privileges.union([privilege].into_iter().collect());
            }
            if !self.token(&Token::Comma) {
                break;
            }
        }
        self.expect_keyword("ON", verb)?;
        self.keyword("TABLE");
        let table = match self.peek() {
            Some(Token::Word(w)) if w.quote_style.is_some() => w.value.clone(),
            Some(Token::Word(w)) => w.value.to_lowercase(),
            _ => {
                return Err(syntax(format!(
                    "{verb}: expected a table name, found {}",
                    self.found()
                )));
            }
        };
        self.pos += 1;
        if self.peek() == Some(&Token::Period) {
            return Err(Error::Unsupported(format!(
                "{verb} on a qualified name: privileges are kept for the tables of the default schema"
            )));
        }
        self.expect_keyword(preposition, verb)?;
        let users = self.user_names(verb)?;
        self.end(verb)?;
        Ok(AccessStatement::TableGrant {
            privileges,
            table,
            users,
            grant,
        })
    }
}

/// A user name must be printable and not absurdly long (it shows up in messages and logs).
pub(crate) fn check_user_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidSetting("a user needs a name".into()));
    }
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidSetting(format!(
            "`{}` is not a user name (at most 64 printable characters)",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// Who runs a statement, as far as privileges go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    pub(crate) name: String,
    /// A superuser, the engine's owner, or anyone on an engine that checks nothing: no
    /// check applies.
    pub(crate) unrestricted: bool,
}

impl Principal {
    /// The statement's user `owner` (`None`: the engine's owner, `engine_owner`). With
    /// `checked`, a named user's rights come from `catalog`: a user it lacks has none.
    pub(crate) fn resolve(
        owner: Option<&str>,
        engine_owner: &str,
        checked: bool,
        catalog: &Catalog,
    ) -> Principal {
        match owner {
            None => Principal {
                name: engine_owner.to_string(),
                unrestricted: true,
            },
            Some(user) => Principal {
                name: user.to_string(),
                unrestricted: !checked || catalog.user(user).is_some_and(|u| u.superuser),
            },
        }
    }

    fn require_superuser(&self, what: &str) -> Result<()> {
        if self.unrestricted {
            return Ok(());
        }
        Err(Error::PermissionDenied(format!(
            "only a superuser may {what} (`{}` is not one)",
            self.name
        )))
    }
}

/// Whether `who` may create functions: a superuser, or granted CREATE FUNCTION.
pub(crate) fn authorize_create_function(who: &Principal, catalog: &Catalog) -> Result<()> {
    if who.unrestricted || catalog.function_creators.contains(&who.name) {
        return Ok(());
    }
    Err(Error::PermissionDenied(format!(
        "user `{0}` may not create functions (a superuser can GRANT CREATE FUNCTION TO {0})",
        who.name
    )))
}

/// The owner of the table, external table or view `name` as the catalog records it:
/// `None` when the catalog does not have it (not made through this engine's SQL or API),
/// `Some(None)` when it has no recorded owner.
fn recorded_owner<'c>(catalog: &'c Catalog, name: &str) -> Option<(Option<&'c str>, &'static str)> {
    if let Some(table) = catalog.table(name) {
        return Some((table.owner.as_deref(), "table"));
    }
    catalog.definition(name).map(|d| {
        let kind = match d.kind {
            DefinitionKind::View => "view",
            DefinitionKind::External => "external table",
        };
        (d.owner.as_deref(), kind)
    })
}

/// Whether `who` may replace, drop or alter the table or view `name` (`action` says which):
/// its owner or a superuser. Objects the catalog does not have are not checked here.
pub(crate) fn authorize_owner(
    who: &Principal,
    catalog: &Catalog,
    name: &str,
    action: &'static str,
) -> Result<()> {
    if who.unrestricted {
        return Ok(());
    }
    match recorded_owner(catalog, name) {
        None => Ok(()),
        Some((Some(owner), _)) if owner == who.name => Ok(()),
        Some((Some(owner), kind)) => Err(Error::NotOwner {
            kind,
            name: name.to_string(),
            owner: owner.to_string(),
            action,
        }),
        Some((None, kind)) => Err(Error::PermissionDenied(format!(
            "{kind} `{name}` has no recorded owner; only a superuser may {action} it"
        ))),
    }
}

/// Whether `who` may use `privilege` on `table`: its owner, a superuser, or a grantee.
/// Views are not checked (what they read is, for the reader); objects the catalog does
/// not have (`information_schema`) neither.
pub(crate) fn authorize_table(
    who: &Principal,
    catalog: &Catalog,
    table: &str,
    privilege: TablePrivilege,
) -> Result<()> {
    if who.unrestricted {
        return Ok(());
    }
    match recorded_owner(catalog, table) {
        None | Some((_, "view")) => return Ok(()),
        Some((Some(owner), _)) if owner == who.name => return Ok(()),
        Some(_) => {}
    }
    if catalog
        .table_privileges(&who.name, table)
        .contains(privilege)
    {
        return Ok(());
    }
    Err(Error::PermissionDenied(format!(
        "user `{0}` has no {privilege} privilege on table `{table}` (a superuser can GRANT \
         {privilege} ON {table} TO {0})",
        who.name
    )))
}

/// Checks a planned statement for `who`: the privilege its target needs (INSERT, UPDATE,
/// DELETE; ownership to replace or drop), SELECT on every table it scans — through views,
/// which are read with their reader's privileges — and superuser for what reaches the
/// server's files (external tables, COPY) or the catalog's structure. `table_name` maps a
/// plan's table reference to its name in the default schema (`None`: another schema).
pub(crate) fn authorize_plan(
    who: &Principal,
    catalog: &Catalog,
    plan: &LogicalPlan,
    table_name: &dyn Fn(&TableReference) -> Option<String>,
) -> Result<()> {
    if who.unrestricted {
        return Ok(());
    }
    // The target of an UPDATE or DELETE is scanned to find its rows: that needs the
    // statement's own privilege, not SELECT.
    let mut target = None;
    match plan {
        LogicalPlan::Ddl(ddl) => match ddl {
            DdlStatement::CreateMemoryTable(c) if c.or_replace => {
                if let Some(name) = table_name(&c.name) {
                    authorize_owner(who, catalog, &name, "replace")?;
                }
            }
            DdlStatement::CreateView(c) if c.or_replace => {
                if let Some(name) = table_name(&c.name) {
                    authorize_owner(who, catalog, &name, "replace")?;
                }
            }
            DdlStatement::CreateMemoryTable(_) | DdlStatement::CreateView(_) => {}
            DdlStatement::DropTable(d) => {
                if let Some(name) = table_name(&d.name) {
                    authorize_owner(who, catalog, &name, "drop")?;
                }
            }
            DdlStatement::DropView(d) => {
                if let Some(name) = table_name(&d.name) {
                    authorize_owner(who, catalog, &name, "drop")?;
                }
            }
            DdlStatement::CreateExternalTable(_) => {
                who.require_superuser("create external tables (they read the server's files)")?;
            }
            other => who.require_superuser(&format!("run {}", other.name()))?,
        },
        LogicalPlan::Dml(dml) => {
            let needed: &[TablePrivilege] = match &dml.op {
                WriteOp::Insert(_) | WriteOp::Ctas => &[TablePrivilege::Insert],
                WriteOp::Update => &[TablePrivilege::Update],
                WriteOp::Delete | WriteOp::Truncate => &[TablePrivilege::Delete],
                // MERGE, and what later DataFusion releases add: every write privilege.
                _ => &[
                    TablePrivilege::Insert,
                    TablePrivilege::Update,
                    TablePrivilege::Delete,
                ],
            };
            if let Some(name) = table_name(&dml.table_name) {
                for privilege in needed {
                    authorize_table(who, catalog, &name, *privilege)?;
                }
                if !matches!(dml.op, WriteOp::Insert(_) | WriteOp::Ctas) {
                    target = Some(name);
                }
            }
        }
        LogicalPlan::Copy(_) => {
            who.require_superuser("run COPY (it writes files on the server)")?;
        }
        // The engine's settings are shared by every session; a session's own
        // (`statement_timeout`, `udf_device`) never reach the planner.
        LogicalPlan::Statement(Statement::SetVariable(_) | Statement::ResetVariable(_)) => {
            who.require_superuser(
                "change the server's settings (SET and RESET apply to every session)",
            )?;
        }
        _ => {}
    }
    authorize_scans(who, catalog, plan, table_name, target.as_deref())
}

/// SELECT on every table `plan` scans (subqueries and views included), but `skip`.
fn authorize_scans(
    who: &Principal,
    catalog: &Catalog,
    plan: &LogicalPlan,
    table_name: &dyn Fn(&TableReference) -> Option<String>,
    skip: Option<&str>,
) -> Result<()> {
    let mut denied = None;
    let walked = plan.apply_with_subqueries(|node| {
        let LogicalPlan::TableScan(scan) = node else {
            return Ok(TreeNodeRecursion::Continue);
        };
        let checked = match scan.source.get_logical_plan() {
            Some(view) => authorize_scans(who, catalog, &view, table_name, None),
            None => match table_name(&scan.table_name) {
                Some(name) if Some(name.as_str()) != skip => {
                    authorize_table(who, catalog, &name, TablePrivilege::Select)
                }
                _ => Ok(()),
            },
        };
        match checked {
            Ok(()) => Ok(TreeNodeRecursion::Continue),
            Err(e) => {
                denied = Some(e);
                Ok(TreeNodeRecursion::Stop)
            }
        }
    });
    if let Some(e) = denied {
        return Err(e);
    }
    walked.map(drop).map_err(Error::DataFusion)
}

fn done(message: String) -> Result<QueryResult> {
    Ok(QueryResult {
        schema: Arc::new(Schema::empty()),
        batches: Vec::new(),
        message: Some(message),
    })
}

/// The columns of `SHOW USERS`. Never the password hash.
pub(crate) fn show_users_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("superuser", DataType::Boolean, false),
        // `CREATE FUNCTION; SELECT, INSERT ON t; ALL ON u`
        Field::new("privileges", DataType::Utf8, false),
    ]))
}

/// What `user` was granted, as `SHOW USERS` prints it.
fn privileges_text(catalog: &Catalog, user: &str) -> String {
    let mut parts = Vec::new();
    if catalog.function_creators.contains(user) {
        parts.push("CREATE FUNCTION".to_string());
    }
    let mut tables: Vec<_> = catalog
        .table_grants
        .iter()
        .filter(|g| g.user == user)
        .collect();
    tables.sort_by(|a, b| a.table.cmp(&b.table));
    parts.extend(
        tables
            .into_iter()
            .map(|g| format!("{} ON {}", g.privileges, g.table)),
    );
    parts.join("; ")
}

/// Whether, once `catalog` changes as `next`, no superuser would be left where one was:
/// that would leave nobody to manage users.
fn last_superuser_gone(current: &Catalog, next: &Catalog) -> bool {
    current.users.iter().any(|u| u.superuser) && !next.users.iter().any(|u| u.superuser)
}

/// Runs a statement of this module for `who`; every change is one store transaction.
pub(crate) fn execute(
    statement: AccessStatement,
    who: &Principal,
    store: &Store,
) -> Result<QueryResult> {
    match statement {
        AccessStatement::CreateUser {
            name,
            password,
            superuser,
        } => {
            who.require_superuser("create users")?;
            if store.catalog().user(&name).is_some() {
                return Err(Error::UserExists(name));
            }
            // Hashing takes a while: not under the store's lock.
            let password_hash = hash_password(&password.0)?;
            let mut txn = store.begin()?;
            if txn.next.user(&name).is_some() {
                return Err(Error::UserExists(name));
            }
            txn.next.users.push(UserRecord {
                name: name.clone(),
                password_hash,
                superuser,
                created_at: crate::store::now(),
            });
            txn.commit()?;
            tracing::info!(user = name, superuser, by = who.name, "user created");
            done(format!("created user `{name}`"))
        }
        AccessStatement::AlterUser {
            name,
            password,
            superuser,
        } => {
            if superuser.is_some() {
                who.require_superuser("change SUPERUSER")?;
            } else if name != who.name {
                who.require_superuser(&format!("change the password of `{name}`"))?;
            }
            if store.catalog().user(&name).is_none() {
                return Err(Error::UnknownUser(name));
            }
            let password_hash = password.map(|p| hash_password(&p.0)).transpose()?;
            let mut txn = store.begin()?;
            let Some(user) = txn.next.users.iter_mut().find(|u| u.name == name) else {
                return Err(Error::UnknownUser(name));
            };
            if let Some(hash) = password_hash {
                user.password_hash = hash;
            }
            if let Some(superuser) = superuser {
                user.superuser = superuser;
            }
            if last_superuser_gone(txn.current(), &txn.next) {
                return Err(Error::PermissionDenied(format!(
                    "`{name}` is the last superuser; make another user a superuser first"
                )));
            }
            txn.commit()?;
            tracing::info!(user = name, by = who.name, "user altered");
            done(format!("altered user `{name}`"))
        }
        AccessStatement::DropUser { name, if_exists } => {
            who.require_superuser("drop users")?;
            if name == who.name {
                return Err(Error::PermissionDenied(format!(
                    "`{name}` cannot drop itself; another superuser can"
                )));
            }
            let mut txn = store.begin()?;
            if !txn.next.remove_user(&name) {
                return if if_exists {
                    done(format!("no user `{name}` to drop"))
                } else {
                    Err(Error::UnknownUser(name))
                };
            }
            if last_superuser_gone(txn.current(), &txn.next) {
                return Err(Error::PermissionDenied(format!(
                    "`{name}` is the last superuser; make another user a superuser first"
                )));
            }
            txn.commit()?;
            tracing::info!(user = name, by = who.name, "user dropped");
            done(format!("dropped user `{name}`"))
        }
        AccessStatement::FunctionGrant { users, grant } => {
            who.require_superuser(if grant { "grant" } else { "revoke" })?;
            let mut txn = store.begin()?;
            for user in &users {
                if txn.next.user(user).is_none() {
                    return Err(Error::UnknownUser(user.clone()));
                }
                if grant {
                    txn.next.function_creators.insert(user.clone());
                } else {
                    txn.next.function_creators.remove(user);
                }
            }
            txn.commit()?;
            let list = users.join("`, `");
            done(if grant {
                format!("granted CREATE FUNCTION to `{list}`")
            } else {
                format!("revoked CREATE FUNCTION from `{list}`")
            })
        }
        AccessStatement::TableGrant {
            privileges,
            table,
            users,
            grant,
        } => {
            who.require_superuser(if grant { "grant" } else { "revoke" })?;
            let mut txn = store.begin()?;
            match recorded_owner(&txn.next, &table) {
                None => return Err(Error::TableNotFound(table)),
                Some((_, "view")) => {
                    return Err(Error::Unsupported(format!(
                        "privileges on the view `{table}`: a view is read with its reader's \
                         privileges; grant on the tables it reads"
                    )));
                }
                Some(_) => {}
            }
            for user in &users {
                if txn.next.user(user).is_none() {
                    return Err(Error::UnknownUser(user.clone()));
                }
                let held = txn.next.table_privileges(user, &table);
                let set = if grant {
                    held.union(privileges)
                } else {
                    held.without(privileges)
                };
                txn.next.set_table_privileges(user, &table, set);
            }
            txn.commit()?;
            let list = users.join("`, `");
            done(if grant {
                format!("granted {privileges} on `{table}` to `{list}`")
            } else {
                format!("revoked {privileges} on `{table}` from `{list}`")
            })
        }
        AccessStatement::ShowUsers => {
            let catalog = store.catalog();
            let mut users: Vec<&UserRecord> = catalog
                .users
                .iter()
                // Others' rights are a superuser's business.
                .filter(|u| who.unrestricted || u.name == who.name)
                .collect();
            users.sort_by(|a, b| a.name.cmp(&b.name));
            let schema = show_users_schema();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(
                    users.iter().map(|u| u.name.as_str()),
                )),
                Arc::new(BooleanArray::from(
                    users.iter().map(|u| u.superuser).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from_iter_values(
                    users.iter().map(|u| privileges_text(&catalog, &u.name)),
                )),
            ];
            let batch = RecordBatch::try_new(Arc::clone(&schema), columns)
                .map_err(|e| Error::Internal(format!("SHOW USERS batch: {e}")))?;
            Ok(QueryResult {
                schema,
                batches: vec![batch],
                message: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(sql: &str) -> AccessStatement {
        parse(sql)
            .expect("an access statement")
            .expect("well formed")
    }

    fn err(sql: &str) -> String {
        parse(sql)
            .expect("an access statement")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_both_dialects() {
        assert_eq!(
            ok("create user Bob with password 'pw' superuser;"),
            AccessStatement::CreateUser {
                name: "Bob".into(),
                password: Password("pw".into()),
                superuser: true,
            }
        );
        assert_eq!(
            ok("CREATE USER bob (password = 'pw', is_super = 'false')"),
            AccessStatement::CreateUser {
                name: "bob".into(),
                password: Password("pw".into()),
                superuser: false,
            }
        );
        assert_eq!(
            ok("ALTER USER bob (is_super = 'true')"),
            AccessStatement::AlterUser {
                name: "bob".into(),
                password: None,
                superuser: Some(true),
            }
        );
        assert_eq!(
            ok("DROP USER IF EXISTS \"a b\""),
            AccessStatement::DropUser {
                name: "a b".into(),
                if_exists: true,
            }
        );
        assert_eq!(
            ok("GRANT select, INSERT ON TABLE T TO bob, carol"),
            AccessStatement::TableGrant {
                privileges: [TablePrivilege::Select, TablePrivilege::Insert]
                    .into_iter()
                    .collect(),
                table: "t".into(),
                users: vec!["bob".into(), "carol".into()],
                grant: true,
            }
        );
        assert_eq!(
            ok("REVOKE ALL PRIVILEGES ON \"T\" FROM bob"),
            AccessStatement::TableGrant {
                privileges: PrivilegeSet::all(),
                table: "T".into(),
                users: vec!["bob".into()],
                grant: false,
            }
        );
        assert_eq!(
            ok("revoke create function from bob"),
            AccessStatement::FunctionGrant {
                users: vec!["bob".into()],
                grant: false,
            }
        );
        assert_eq!(ok("SHOW USERS"), AccessStatement::ShowUsers);
        assert!(parse("SELECT 'user'").is_none());
        assert!(parse("CREATE TABLE users (a INT)").is_none());
    }

    #[test]
    fn malformed_statements_say_what_is_wrong() {
        assert!(err("CREATE USER bob").contains("needs a password"));
        assert!(err("CREATE USER bob WITH PASSWORD ''").contains("must not be empty"));
        assert!(err("ALTER USER bob").contains("changes nothing"));
        assert!(err("GRANT DROP ON t TO bob").contains("unknown privilege `DROP`"));
        assert!(err("GRANT SELECT ON t bob").contains("expected TO"));
        assert!(err("CREATE USER bob (pw = 'x')").contains("unknown option `pw`"));
        assert!(err("SHOW USERS x").contains("unexpected `x`"));
        // The password never shows in a statement's debug form.
        assert!(!format!("{:?}", ok("CREATE USER a WITH PASSWORD 's3cret'")).contains("s3cret"));
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("pw").unwrap();
        let b = hash_password("pw").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b);
        assert!(verify_password(&a, "pw"));
        assert!(!verify_password(&a, "pW"));
        assert!(!verify_password("not a hash", "pw"));
    }

    #[tokio::test]
    async fn an_engine_with_access_control_checks_named_users() {
        use crate::{Engine, EngineConfig, StatementOptions};
        let engine = Engine::new(EngineConfig {
            access_control: true,
            ..EngineConfig::default()
        })
        .unwrap();
        let as_user = |user: &str| StatementOptions {
            owner: Some(user.into()),
            ..StatementOptions::default()
        };
        let run = |user: &str, sql: &str| {
            let (engine, options) = (engine.clone(), as_user(user));
            let sql = sql.to_string();
            async move {
                engine
                    .execute_one_with(&sql, options)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        // The engine's owner (no named user) is a superuser.
        engine
            .execute(
                "CREATE USER bob WITH PASSWORD 'b'; CREATE TABLE t AS SELECT 1 AS a; \
                 CREATE VIEW v AS SELECT a FROM t",
            )
            .await
            .unwrap();
        let denied = "permission denied: user `bob` has no SELECT privilege on table `t`";
        for sql in [
            "SELECT * FROM t",
            "SELECT * FROM v",
            "EXPLAIN SELECT * FROM v",
        ] {
            let err = run("bob", sql).await.unwrap_err();
            assert!(err.starts_with(denied), "{sql}: {err}");
        }
        let err = engine
            .describe_with("SELECT a FROM t", as_user("bob"))
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with(denied), "{err}");
        let err = run("bob", "UPDATE t SET a = 2").await.unwrap_err();
        assert!(err.contains("no UPDATE privilege on table `t`"), "{err}");
        let err = run("bob", "COPY (SELECT 1) TO '/tmp/x.csv'")
            .await
            .unwrap_err();
        assert!(err.contains("only a superuser may run COPY"), "{err}");
        let err = run(
            "bob",
            "CREATE FUNCTION f(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$x$$",
        )
        .await
        .unwrap_err();
        assert!(err.contains("user `bob` may not create functions"), "{err}");
        // Someone the catalog does not know has no rights at all.
        assert!(run("mallory", "SELECT * FROM v").await.is_err());
        // Bob may change his own password, not his standing.
        run("bob", "ALTER USER bob WITH PASSWORD 'c'")
            .await
            .unwrap();
        let err = run("bob", "ALTER USER bob SUPERUSER").await.unwrap_err();
        assert!(
            err.contains("only a superuser may change SUPERUSER"),
            "{err}"
        );

        engine.execute("GRANT SELECT ON t TO bob").await.unwrap();
        assert_eq!(run("bob", "SELECT * FROM v").await.unwrap().num_rows(), 1);
        // What the catalog says applies to the next statement.
        engine.execute("ALTER USER bob SUPERUSER").await.unwrap();
        run("bob", "UPDATE t SET a = 2").await.unwrap();
        run("bob", "CREATE USER carol WITH PASSWORD 'c'")
            .await
            .unwrap();
    }

    #[test]
    fn privilege_sets_print_as_sql() {
        assert_eq!(PrivilegeSet::all().to_string(), "ALL");
        let some: PrivilegeSet = [TablePrivilege::Delete, TablePrivilege::Select]
            .into_iter()
            .collect();
        assert_eq!(some.to_string(), "SELECT, DELETE");
        assert_eq!(
            PrivilegeSet::all().without(some).to_string(),
            "INSERT, UPDATE"
        );
    }
}

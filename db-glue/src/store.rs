//! The data directory: tables, functions and users that outlive the process.
//!
//! ```text
//! <data>/lock                    locked (flock) while an engine has the directory open
//! <data>/catalog.json            what exists; the commit point
//! <data>/ir/<sha256>             IR modules, named by the SHA-256 (hex) of their bytes
//! <data>/tables/<id>/<n>.arrow   rows: an Arrow IPC file per acknowledged append/insert
//! <data>/code-cache/             the compiler's; never touched here
//! ```
//!
//! `catalog.json` (format version 1) lists every table (id, name, the schema as a hex
//! Arrow IPC file without batches, its segment files with their row counts, constraints,
//! column defaults as SQL text), every view and external table (the `CREATE` statement,
//! replayed at start), every function overload (name, IR symbol, signature in the
//! compiler's grammar, origin, owner, creation time in Unix milliseconds, the SHA-256 of its
//! IR module, and of the client's own GPU module and symbol when it sent one), the users
//! section (name, password hash, superuser, creation time) and the grants (who may create
//! functions; per user and table, the privileges granted). Tables, views and external
//! tables record their owner (who made them); catalogs written before owners and grants
//! existed read as objects without an owner and no grants.
//!
//! **Invariant: acknowledged ⇒ durable.** A change is one [`Txn`]: new files (IR blobs,
//! segments) are written under a temporary name, fsync'd, renamed and their directory
//! fsync'd; then the whole new `catalog.json` is written the same way. The rename of
//! `catalog.json` is the commit point: the engine applies a change to its in-memory state
//! and answers the caller only after it. Files the catalog does not reference are crash
//! leftovers (or files of a failed change) and are deleted when the directory is opened;
//! files a committed change stops referencing are deleted right after the commit. A
//! `kill -9` at any moment therefore leaves either the old or the new catalog, and every
//! file either references exists and is complete.
//!
//! Changes are serialised by the store's lock, which is never held across an `await`:
//! queries never wait for it.
//!
//! Without a directory (`EngineConfig::data_dir: None`) the same catalog is kept in
//! memory only and no file is touched.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use compiler::{Signature, TableSignature};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::common::{Constraint, Constraints};
use parking_lot::{Mutex, MutexGuard};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::access::{PrivilegeSet, TablePrivilege};
use crate::error::{Error, Result};

const CATALOG: &str = "catalog.json";
const LOCK: &str = "lock";
const IR_DIR: &str = "ir";
pub(crate) const TABLES_DIR: &str = "tables";
/// What `catalog.json` says it is, so that a stray JSON file is not taken for one.
const FORMAT: &str = "udf-server-data";
const VERSION: u64 = 1;

/// A user of the users section (`CREATE USER`, or the server's configured users).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    /// A password hash: Argon2id as a PHC string for users made through the engine
    /// ([`crate::hash_password`]); stored as given.
    pub password_hash: String,
    pub superuser: bool,
    pub created_at: SystemTime,
}

/// What kind of SQL object a kept `CREATE` statement makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefinitionKind {
    View,
    External,
}

impl DefinitionKind {
    fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::View => "view",
            DefinitionKind::External => "external",
        }
    }
}

/// A view or an external table: kept as its statement, replayed at start.
#[derive(Debug, Clone)]
pub(crate) struct DefinitionEntry {
    pub(crate) name: String,
    pub(crate) kind: DefinitionKind,
    pub(crate) sql: String,
    /// Who made it; `None` in catalogs from before owners were kept.
    pub(crate) owner: Option<String>,
}

impl DefinitionEntry {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.kind {
            DefinitionKind::View => "view",
            DefinitionKind::External => "external table",
        }
    }
}

/// One file of a table's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    /// The file name inside the table's directory.
    pub(crate) file: String,
    pub(crate) rows: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct TableEntry {
    /// Names the table's directory; never reused, so a table dropped and created again
    /// cannot pick up its predecessor's leftovers.
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) schema: SchemaRef,
    pub(crate) segments: Vec<Segment>,
    pub(crate) constraints: Constraints,
    /// Column defaults: column name and SQL expression text.
    pub(crate) defaults: Vec<(String, String)>,
    /// Who made it; `None` in catalogs from before owners were kept (then only superusers
    /// and grantees may use it).
    pub(crate) owner: Option<String>,
}

/// Privileges a user holds on a table (or external table) of the default schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableGrant {
    pub(crate) user: String,
    pub(crate) table: String,
    pub(crate) privileges: PrivilegeSet,
}

/// One function overload as stored.
#[derive(Debug, Clone)]
pub(crate) struct FunctionEntry {
    pub(crate) name: String,
    pub(crate) symbol: String,
    pub(crate) signature: Signature,
    pub(crate) origin: String,
    pub(crate) owner: String,
    pub(crate) created_at: SystemTime,
    /// SHA-256 (hex) of the IR module.
    pub(crate) ir: String,
    /// The client's own GPU module (SHA-256) and the symbol of this overload's variant.
    pub(crate) gpu: Option<(String, String)>,
}

/// One table function overload as stored.
#[derive(Debug, Clone)]
pub(crate) struct TableFunctionEntry {
    pub(crate) name: String,
    pub(crate) symbol: String,
    pub(crate) signature: TableSignature,
    pub(crate) origin: String,
    pub(crate) owner: String,
    pub(crate) created_at: SystemTime,
    /// SHA-256 (hex) of the IR module.
    pub(crate) ir: String,
}

/// Everything `catalog.json` holds.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// The next table or segment id.
    pub(crate) next_id: u64,
    pub(crate) tables: Vec<TableEntry>,
    /// In creation order: a view may read what an earlier definition made.
    pub(crate) definitions: Vec<DefinitionEntry>,
    pub(crate) functions: Vec<FunctionEntry>,
    pub(crate) table_functions: Vec<TableFunctionEntry>,
    pub(crate) users: Vec<UserRecord>,
    /// Users granted CREATE FUNCTION.
    pub(crate) function_creators: BTreeSet<String>,
    /// Table privileges; a table appears at most once per user, never with an empty set.
    pub(crate) table_grants: Vec<TableGrant>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            next_id: 1,
            tables: Vec::new(),
            definitions: Vec::new(),
            functions: Vec::new(),
            table_functions: Vec::new(),
            users: Vec::new(),
            function_creators: BTreeSet::new(),
            table_grants: Vec::new(),
        }
    }
}

impl Catalog {
    pub(crate) fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub(crate) fn table_by_id_mut(&mut self, id: u64) -> Option<&mut TableEntry> {
        self.tables.iter_mut().find(|t| t.id == id)
    }

    pub(crate) fn definition(&self, name: &str) -> Option<&DefinitionEntry> {
        self.definitions.iter().find(|d| d.name == name)
    }

    /// Forgets the table, view or external table called `name`, and the grants on it (a
    /// table made later under the name starts without them); whether there was one.
    pub(crate) fn remove_name(&mut self, name: &str) -> bool {
        let before = self.tables.len() + self.definitions.len();
        self.tables.retain(|t| t.name != name);
        self.definitions.retain(|d| d.name != name);
        self.table_grants.retain(|g| g.table != name);
        before != self.tables.len() + self.definitions.len()
    }

    pub(crate) fn user(&self, name: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Forgets the user `name` and their grants; whether there was one.
    pub(crate) fn remove_user(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.name != name);
        self.function_creators.remove(name);
        self.table_grants.retain(|g| g.user != name);
        before != self.users.len()
    }

    /// What `user` was granted on `table`.
    pub(crate) fn table_privileges(&self, user: &str, table: &str) -> PrivilegeSet {
        self.table_grants
            .iter()
            .find(|g| g.user == user && g.table == table)
            .map(|g| g.privileges)
            .unwrap_or_default()
    }

    /// Sets what `user` holds on `table` (nothing: no grant at all).
    pub(crate) fn set_table_privileges(&mut self, user: &str, table: &str, set: PrivilegeSet) {
        self.table_grants
            .retain(|g| !(g.user == user && g.table == table));
        if !set.is_empty() {
            self.table_grants.push(TableGrant {
                user: user.to_string(),
                table: table.to_string(),
                privileges: set,
            });
        }
    }

    /// Forgets the overload of `name` taking the arguments of `signature`.
    pub(crate) fn remove_function(&mut self, name: &str, signature: &Signature) {
        self.functions
            .retain(|f| !(f.name == name && f.signature.args == signature.args));
    }

    fn ir_blobs(&self) -> BTreeSet<&str> {
        self.functions
            .iter()
            .flat_map(|f| {
                std::iter::once(f.ir.as_str()).chain(f.gpu.as_ref().map(|g| g.0.as_str()))
            })
            .chain(self.table_functions.iter().map(|f| f.ir.as_str()))
            .collect()
    }

    fn segment_files(&self) -> BTreeMap<u64, BTreeSet<&str>> {
        self.tables
            .iter()
            .map(|t| (t.id, t.segments.iter().map(|s| s.file.as_str()).collect()))
            .collect()
    }
}

/// What opening a data directory found.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Each table's rows, segment by segment, in the catalog's order.
    pub(crate) rows: Vec<Vec<Vec<RecordBatch>>>,
    /// IR modules by SHA-256, checked against their names.
    pub(crate) ir: HashMap<String, Arc<[u8]>>,
    /// Crash leftovers deleted.
    pub(crate) garbage: usize,
}

struct State {
    catalog: Arc<Catalog>,
    /// Set when a commit may or may not have reached the disk (the directory fsync after
    /// the rename failed): memory and disk can no longer be trusted to agree, so every
    /// later change is refused until a restart reloads the catalog.
    poisoned: Option<String>,
}

/// The catalog and, with a data directory, its files.
pub(crate) struct Store {
    dir: Option<PathBuf>,
    /// Held for the store's life: a second process on the same directory would overwrite
    /// this one's catalog.
    _lock: Option<File>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Storage {
        action,
        path,
        source,
    }
}

fn corrupt(path: &Path, detail: impl Into<String>) -> Error {
    Error::CorruptFile {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Makes the entries of `dir` (a creation, a rename, a removal) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("fsync directory", dir))
}

/// Writes a new file: under a temporary name, fsync'd, renamed into place, its directory
/// fsync'd. A crash leaves the old state or the whole new file, never a part of it under
/// the final name.
fn write_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<PathBuf> {
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp"));
    let written = (|| {
        let file = File::create(&temp).map_err(io_error("create", &temp))?;
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| Error::Storage {
            action: "write",
            path: temp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_error("fsync", &temp))?;
        fs::rename(&temp, &target).map_err(io_error("rename into place", &target))
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir)?;
    Ok(target)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn from_unix_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Now, to the millisecond: what the catalog keeps, so that a time reads the same before
/// and after a restart.
pub(crate) fn now() -> SystemTime {
    from_unix_ms(unix_ms(SystemTime::now()))
}

/// A moment as UTC calendar fields (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millis: i64,
}

impl UtcTime {
    /// The fields of `ms` milliseconds after the Unix epoch.
    pub fn from_unix_ms(ms: i64) -> UtcTime {
        let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let secs = ms_of_day / 1000;
        UtcTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            millis: ms_of_day % 1000,
        }
    }
}

/// `t` as RFC 3339 in UTC with milliseconds (`2024-05-01T12:30:00.250Z`).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let u = UtcTime::from_unix_ms(unix_ms(t));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.millis
    )
}

fn schema_to_hex(schema: &SchemaRef) -> Result<String> {
    let mut bytes = Vec::new();
    FileWriter::try_new(&mut bytes, schema)
        .and_then(|mut writer| writer.finish())
        .map_err(|e| Error::Internal(format!("encoding a table schema: {e}")))?;
    Ok(hex::encode(bytes))
}

fn schema_from_hex(text: &str) -> std::result::Result<SchemaRef, String> {
    let bytes = hex::decode(text).map_err(|e| format!("not hex: {e}"))?;
    FileReader::try_new(std::io::Cursor::new(bytes), None)
        .map(|r| r.schema())
        .map_err(|e| format!("not an Arrow IPC schema: {e}"))
}

fn encode(catalog: &Catalog) -> Result<Vec<u8>> {
    let tables = catalog
        .tables
        .iter()
        .map(|t| {
            Ok(json!({
                "id": t.id,
                "name": t.name,
                "schema": schema_to_hex(&t.schema)?,
                "segments": t.segments.iter().map(|s| json!({"file": s.file, "rows": s.rows})).collect::<Vec<_>>(),
                "constraints": t.constraints.iter().map(|c| match c {
                    Constraint::PrimaryKey(columns) => json!({"primary_key": columns}),
                    Constraint::Unique(columns) => json!({"unique": columns}),
                }).collect::<Vec<_>>(),
                "defaults": t.defaults.iter().map(|(c, sql)| json!({"column": c, "sql": sql})).collect::<Vec<_>>(),
                "owner": t.owner,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    let definitions: Vec<Value> = catalog
        .definitions
        .iter()
        .map(|d| json!({"name": d.name, "kind": d.kind.as_str(), "sql": d.sql, "owner": d.owner}))
        .collect();
    let functions: Vec<Value> = catalog
        .functions
        .iter()
        .map(|f| {
            let mut v = json!({
                "name": f.name,
                "symbol": f.symbol,
                "signature": f.signature.to_string(),
                "origin": f.origin,
                "owner": f.owner,
                "created_at_ms": unix_ms(f.created_at),
                "ir": f.ir,
            });
            if let Some((ir, symbol)) = &f.gpu {
                v["gpu"] = json!({"ir": ir, "symbol": symbol});
            }
            v
        })
        .collect();
    let table_functions: Vec<Value> = catalog
        .table_functions
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "symbol": f.symbol,
                "signature": f.signature.to_string(),
                "origin": f.origin,
                "owner": f.owner,
                "created_at_ms": unix_ms(f.created_at),
                "ir": f.ir,
            })
        })
        .collect();
    let users: Vec<Value> = catalog
        .users
        .iter()
        .map(|u| {
            json!({
                "name": u.name,
                "password_hash": u.password_hash,
                "superuser": u.superuser,
                "created_at_ms": unix_ms(u.created_at),
            })
        })
        .collect();
    let table_grants: Vec<Value> = catalog
        .table_grants
        .iter()
        .map(|g| {
            json!({
                "user": g.user,
                "table": g.table,
                "privileges": g.privileges.iter().map(TablePrivilege::as_str).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({
        "format": FORMAT,
        "version": VERSION,
        "next_id": catalog.next_id,
        "tables": tables,
        "definitions": definitions,
        "functions": functions,
        "table_functions": table_functions,
        "users": users,
        "grants": {
            "create_function": catalog.function_creators,
            "tables": table_grants,
        },
    });
    serde_json::to_vec_pretty(&document)
        .map_err(|e| Error::Internal(format!("encoding the catalog: {e}")))
}

/// Reads fields of one JSON object, naming where a bad one is (`tables[2].name`).
struct Fields<'a> {
    value: &'a Value,
    at: String,
}

impl<'a> Fields<'a> {
    fn new(value: &'a Value, at: String) -> std::result::Result<Self, String> {
        if value.is_object() {
            Ok(Fields { value, at })
        } else {
            Err(format!("{at}: expected an object"))
        }
    }

    fn field(&self, name: &str) -> std::result::Result<&'a Value, String> {
        self.value
            .get(name)
            .ok_or_else(|| format!("{}.{name}: missing", self.at))
    }

    fn str(&self, name: &str) -> std::result::Result<&'a str, String> {
        self.field(name)?
            .as_str()
            .ok_or_else(|| format!("{}.{name}: expected a string", self.at))
    }

    fn u64(&self, name: &str) -> std::result::Result<u64, String> {
        self.field(name)?
            .as_u64()
            .ok_or_else(|| format!("{}.{name}: expected an unsigned integer", self.at))
    }

    fn i64(&self, name: &str) -> std::result::Result<i64, String> {
        self.field(name)?
            .as_i64()
            .ok_or_else(|| format!("{}.{name}: expected an integer", self.at))
    }

    /// A string that may be absent (or null): fields added after format version 1 began.
    fn optional_str(&self, name: &str) -> std::result::Result<Option<&'a str>, String> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| format!("{}.{name}: expected a string", self.at)),
        }
    }

    fn bool(&self, name: &str) -> std::result::Result<bool, String> {
        self.field(name)?
            .as_bool()
            .ok_or_else(|| format!("{}.{name}: expected true or false", self.at))
    }

    fn array(&self, name: &str) -> std::result::Result<&'a [Value], String> {
        self.field(name)?
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| format!("{}.{name}: expected an array", self.at))
    }

    fn objects(&self, name: &str) -> std::result::Result<Vec<Fields<'a>>, String> {
        self.array(name)?
            .iter()
            .enumerate()
            .map(|(i, v)| Fields::new(v, format!("{}{name}[{i}]", self.prefix())))
            .collect()
    }

    fn prefix(&self) -> String {
        if self.at.is_empty() {
            String::new()
        } else {
            format!("{}.", self.at)
        }
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A plain file name (no directory part), as segment names must be.
fn is_plain_name(text: &str) -> bool {
    !text.is_empty() && !text.starts_with('.') && !text.contains(['/', '\\', '\0'])
}

fn decode(bytes: &[u8]) -> std::result::Result<Catalog, String> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let root = Fields::new(&document, String::new())
        .map_err(|_| "not a udf-server catalog (not a JSON object)".to_string())?;
    if root.str("format").ok() != Some(FORMAT) {
        return Err(format!(
            "not a udf-server catalog (`format` is not \"{FORMAT}\")"
        ));
    }
    let version = root.u64("version")?;
    if version != VERSION {
        return Err(format!(
            "format version {version}; this udf-server reads version {VERSION} (written by a newer release?)"
        ));
    }
    let mut catalog = Catalog {
        next_id: root.u64("next_id")?,
        ..Catalog::default()
    };
    let mut ids = BTreeSet::new();
    for t in root.objects("tables")? {
        let id = t.u64("id")?;
        if id >= catalog.next_id || !ids.insert(id) {
            return Err(format!("{}.id: {id} is reused or not below next_id", t.at));
        }
        let schema =
            schema_from_hex(t.str("schema")?).map_err(|e| format!("{}.schema: {e}", t.at))?;
        let segments = t
            .objects("segments")?
            .iter()
            .map(|s| {
                let file = s.str("file")?;
                if !is_plain_name(file) {
                    return Err(format!("{}.file: `{file}` is not a plain file name", s.at));
                }
                Ok(Segment {
                    file: file.to_string(),
                    rows: s.u64("rows")?,
                })
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        let columns = schema.fields().len();
        let constraints = t
            .objects("constraints")?
            .iter()
            .map(|c| {
                let (kind, list) = match (c.value.get("primary_key"), c.value.get("unique")) {
                    (Some(list), None) => ("primary_key", list),
                    (None, Some(list)) => ("unique", list),
                    _ => return Err(format!("{}: expected `primary_key` or `unique`", c.at)),
                };
                let indices = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        v.as_u64()
                            .and_then(|i| usize::try_from(i).ok())
                            .filter(|&i| i < columns)
                    })
                    .collect::<Option<Vec<usize>>>()
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| format!("{}.{kind}: expected column indices", c.at))?;
                Ok(if kind == "primary_key" {
                    Constraint::PrimaryKey(indices)
                } else {
                    Constraint::Unique(indices)
                })
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        let defaults = t
            .objects("defaults")?
            .iter()
            .map(|d| Ok((d.str("column")?.to_string(), d.str("sql")?.to_string())))
            .collect::<std::result::Result<Vec<_>, String>>()?;
        catalog.tables.push(TableEntry {
            id,
            name: t.str("name")?.to_string(),
            schema,
            segments,
            constraints: Constraints::new_unverified(constraints),
            defaults,
            owner: t.optional_str("owner")?.map(str::to_string),
        });
    }
    for d in root.objects("definitions")? {
        let kind = match d.str("kind")? {
            "view" => DefinitionKind::View,
            "external" => DefinitionKind::External,
            other => return Err(format!("{}.kind: unknown kind `{other}`", d.at)),
        };
        catalog.definitions.push(DefinitionEntry {
            name: d.str("name")?.to_string(),
            kind,
            sql: d.str("sql")?.to_string(),
            owner: d.optional_str("owner")?.map(str::to_string),
        });
    }
    for f in root.objects("functions")? {
        let signature_text = f.str("signature")?;
        let signature =
            Signature::parse(signature_text).map_err(|e| format!("{}.signature: {e}", f.at))?;
        let ir = f.str("ir")?;
        if !is_sha256(ir) {
            return Err(format!("{}.ir: expected a SHA-256 in lowercase hex", f.at));
        }
        let gpu = match f.value.get("gpu") {
            None | Some(Value::Null) => None,
            Some(g) => {
                let g = Fields::new(g, format!("{}.gpu", f.at))?;
                let ir = g.str("ir")?;
                if !is_sha256(ir) {
                    return Err(format!("{}.ir: expected a SHA-256 in lowercase hex", g.at));
                }
                Some((ir.to_string(), g.str("symbol")?.to_string()))
            }
        };
        catalog.functions.push(FunctionEntry {
            name: f.str("name")?.to_string(),
            symbol: f.str("symbol")?.to_string(),
            signature,
            origin: f.str("origin")?.to_string(),
            owner: f.str("owner")?.to_string(),
            created_at: from_unix_ms(f.i64("created_at_ms")?),
            ir: ir.to_string(),
            gpu,
        });
    }
    // Absent in catalogs from before table functions.
    if root.value.get("table_functions").is_some() {
        for f in root.objects("table_functions")? {
            let signature = TableSignature::parse(f.str("signature")?)
                .map_err(|e| format!("{}.signature: {e}", f.at))?;
            let ir = f.str("ir")?;
            if !is_sha256(ir) {
                return Err(format!("{}.ir: expected a SHA-256 in lowercase hex", f.at));
            }
            catalog.table_functions.push(TableFunctionEntry {
                name: f.str("name")?.to_string(),
                symbol: f.str("symbol")?.to_string(),
                signature,
                origin: f.str("origin")?.to_string(),
                owner: f.str("owner")?.to_string(),
                created_at: from_unix_ms(f.i64("created_at_ms")?),
                ir: ir.to_string(),
            });
        }
    }
    for u in root.objects("users")? {
        catalog.users.push(UserRecord {
            name: u.str("name")?.to_string(),
            password_hash: u.str("password_hash")?.to_string(),
            superuser: u.bool("superuser")?,
            created_at: from_unix_ms(u.i64("created_at_ms")?),
        });
    }
    if let Some(grants) = root.value.get("grants").filter(|g| !g.is_null()) {
        let grants = Fields::new(grants, "grants".into())?;
        for (i, user) in grants.array("create_function")?.iter().enumerate() {
            let user = user
                .as_str()
                .ok_or_else(|| format!("grants.create_function[{i}]: expected a user name"))?;
            catalog.function_creators.insert(user.to_string());
        }
        for g in grants.objects("tables")? {
            let privileges = g
                .array("privileges")?
                .iter()
                .map(|p| p.as_str().and_then(TablePrivilege::from_keyword))
                .collect::<Option<PrivilegeSet>>()
                .ok_or_else(|| {
                    format!(
                        "{}.privileges: expected SELECT, INSERT, UPDATE or DELETE",
                        g.at
                    )
                })?;
            let (user, table) = (g.str("user")?, g.str("table")?);
            catalog.set_table_privileges(user, table, privileges);
        }
    }
    Ok(catalog)
}

fn read_segment(path: &Path, schema: &SchemaRef, rows: u64) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(io_error("open", path))?;
    let reader = FileReader::try_new(BufReader::new(file), None)
        .map_err(|e| corrupt(path, format!("not a complete Arrow IPC file: {e}")))?;
    let file_schema = reader.schema();
    if file_schema.fields() != schema.fields() {
        return Err(corrupt(path, "its columns differ from the table's"));
    }
    let mut batches = Vec::new();
    let mut found = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(path, format!("unreadable batch: {e}")))?;
        found += batch.num_rows() as u64;
        // The table's schema (with its metadata), so that batches and table agree exactly.
        let batch = batch
            .with_schema(Arc::clone(schema))
            .map_err(|e| corrupt(path, e.to_string()))?;
        batches.push(batch);
    }
    if found != rows {
        return Err(corrupt(
            path,
            format!("it holds {found} rows, the catalog says {rows}"),
        ));
    }
    Ok(batches)
}

/// Deletes what a crash left behind: files in `ir/` and `tables/` that `catalog` does not
/// reference, and temporary files at the top.
fn collect_garbage(dir: &Path, catalog: &Catalog) -> usize {
    let mut removed = 0;
    let mut remove = |path: &Path, is_dir: bool| {
        let outcome = if is_dir {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        };
        match outcome {
            Ok(()) => {
                tracing::info!(path = %path.display(), "removed a file no change committed");
                removed += 1;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove an unreferenced file")
            }
        }
    };
    let entries = |d: &Path| -> Vec<(String, PathBuf, bool)> {
        fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.path(),
                    is_dir,
                )
            })
            .collect()
    };
    for (name, path, is_dir) in entries(dir) {
        if !is_dir && name.starts_with('.') && name.ends_with(".tmp") {
            remove(&path, false);
        }
    }
    let blobs = catalog.ir_blobs();
    for (name, path, is_dir) in entries(&dir.join(IR_DIR)) {
        if is_dir || !blobs.contains(name.as_str()) {
            remove(&path, is_dir);
        }
    }
    let segments = catalog.segment_files();
    for (name, path, is_dir) in entries(&dir.join(TABLES_DIR)) {
        let files = name.parse::<u64>().ok().and_then(|id| segments.get(&id));
        match files {
            Some(files) if is_dir => {
                for (file, path, is_dir) in entries(&path) {
                    if is_dir || !files.contains(file.as_str()) {
                        remove(&path, is_dir);
                    }
                }
            }
            _ => remove(&path, is_dir),
        }
    }
    removed
}

impl Store {
    /// A store in memory only.
    pub(crate) fn in_memory() -> Store {
        Store {
            dir: None,
            _lock: None,
            state: Mutex::new(State {
                catalog: Arc::default(),
                poisoned: None,
            }),
        }
    }

    /// Opens (creating it when new) the data directory `dir`: locks it, reads the
    /// catalog and every file it references, and deletes crash leftovers.
    pub(crate) fn open(dir: &Path) -> Result<(Store, Loaded)> {
        let dir = dir.to_path_buf();
        for d in [dir.clone(), dir.join(IR_DIR), dir.join(TABLES_DIR)] {
            if !d.is_dir() {
                fs::create_dir_all(&d).map_err(|source| Error::DataDir {
                    path: d.clone(),
                    source,
                })?;
                if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
                    sync_dir(parent)?;
                }
            }
        }
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_error("open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::DataDirInUse { path: dir });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", &lock_path)(e)),
        }
        let catalog_path = dir.join(CATALOG);
        let catalog = match fs::read(&catalog_path) {
            Ok(bytes) => decode(&bytes).map_err(|detail| corrupt(&catalog_path, detail))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Catalog::default(),
            Err(e) => return Err(io_error("read", &catalog_path)(e)),
        };
        let mut loaded = Loaded::default();
        for table in &catalog.tables {
            let table_dir = dir.join(TABLES_DIR).join(table.id.to_string());
            let segments = table
                .segments
                .iter()
                .map(|s| read_segment(&table_dir.join(&s.file), &table.schema, s.rows))
                .collect::<Result<Vec<_>>>()?;
            loaded.rows.push(segments);
        }
        for sha in catalog.ir_blobs() {
            let path = dir.join(IR_DIR).join(sha);
            let bytes = fs::read(&path).map_err(io_error("read", &path))?;
            if sha256_hex(&bytes) != sha {
                return Err(corrupt(
                    &path,
                    "its content does not match its SHA-256 name",
                ));
            }
            loaded.ir.insert(sha.to_string(), bytes.into());
        }
        loaded.garbage = collect_garbage(&dir, &catalog);
        let store = Store {
            dir: Some(dir),
            _lock: Some(lock),
            state: Mutex::new(State {
                catalog: Arc::new(catalog),
                poisoned: None,
            }),
        };
        Ok((store, loaded))
    }

    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The catalog as last committed.
    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.state.lock().catalog)
    }

    /// Starts a change; changes are serialised until it commits or drops.
    pub(crate) fn begin(&self) -> Result<Txn<'_>> {
        let guard = self.state.lock();
        if let Some(why) = &guard.poisoned {
            return Err(Error::StoreFailed(why.clone()));
        }
        let next = Catalog::clone(&guard.catalog);
        Ok(Txn {
            store: self,
            guard,
            next,
            written: Vec::new(),
        })
    }
}

/// One change of the catalog: files written with [`Txn::write_ir`] and
/// [`Txn::write_segment`], then [`Txn::commit`]. Dropped without committing, it removes
/// what it wrote.
pub(crate) struct Txn<'a> {
    store: &'a Store,
    guard: MutexGuard<'a, State>,
    /// The catalog as the change makes it.
    pub(crate) next: Catalog,
    /// Files (and directories) this change created, removed unless it commits.
    written: Vec<PathBuf>,
}

impl Txn<'_> {
    /// The catalog before this change.
    pub(crate) fn current(&self) -> &Catalog {
        &self.guard.catalog
    }

    /// Stores an IR module (once per content); returns its SHA-256.
    pub(crate) fn write_ir(&mut self, ir: &[u8]) -> Result<String> {
        let sha = sha256_hex(ir);
        if let Some(dir) = &self.store.dir {
            let ir_dir = dir.join(IR_DIR);
            let path = ir_dir.join(&sha);
            if !path.exists() && !self.written.contains(&path) {
                write_file(&ir_dir, &sha, |out| {
                    out.write_all(ir).map_err(io_error("write", &path))
                })?;
                self.written.push(path);
            }
        }
        Ok(sha)
    }

    /// Writes `batches` (all with `schema`) as a new segment of table `table_id`; `None`
    /// when they hold no rows.
    pub(crate) fn write_segment(
        &mut self,
        table_id: u64,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Option<Segment>> {
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if rows == 0 {
            return Ok(None);
        }
        let file = format!("{}.arrow", self.next.allocate_id());
        let Some(dir) = &self.store.dir else {
            return Ok(Some(Segment { file, rows }));
        };
        let tables = dir.join(TABLES_DIR);
        let table_dir = tables.join(table_id.to_string());
        if !table_dir.is_dir() {
            fs::create_dir(&table_dir).map_err(io_error("create directory", &table_dir))?;
            self.written.push(table_dir.clone());
            sync_dir(&tables)?;
        }
        let path = table_dir.join(&file);
        write_file(&table_dir, &file, |out| {
            let encode = |e: datafusion::arrow::error::ArrowError| Error::Storage {
                action: "write",
                path: path.clone(),
                source: std::io::Error::other(e),
            };
            let mut writer = FileWriter::try_new(out, schema).map_err(encode)?;
            for batch in batches {
                writer.write(batch).map_err(encode)?;
            }
            writer.finish().map_err(encode)
        })?;
        self.written.push(path);
        Ok(Some(Segment { file, rows }))
    }

    /// Makes the change durable: writes `catalog.json` (the commit point), then removes
    /// the files the catalog no longer references.
    pub(crate) fn commit(mut self) -> Result<()> {
        let next = Arc::new(std::mem::take(&mut self.next));
        if let Some(dir) = self.store.dir.clone() {
            let bytes = encode(&next)?;
            let target = dir.join(CATALOG);
            let temp = dir.join(format!(".{CATALOG}.tmp"));
            let staged = (|| {
                let mut file = File::create(&temp).map_err(io_error("create", &temp))?;
                file.write_all(&bytes).map_err(io_error("write", &temp))?;
                file.sync_all().map_err(io_error("fsync", &temp))?;
                fs::rename(&temp, &target).map_err(io_error("rename into place", &target))
            })();
            if let Err(e) = staged {
                let _ = fs::remove_file(&temp);
                // Nothing references this change's files: `Drop` removes them.
                return Err(e);
            }
            if let Err(e) = sync_dir(&dir) {
                // The new catalog may or may not survive a crash. Keep its files (the old
                // catalog does not need them, the new one does) and refuse further changes
                // rather than let memory and disk drift apart.
                self.written.clear();
                self.guard.poisoned = Some(format!(
                    "a change may not have reached the disk ({e}); restart the server"
                ));
                self.guard.catalog = next;
                return Err(e);
            }
            let old = Arc::clone(&self.guard.catalog);
            self.written.clear();
            remove_unreferenced(&dir, &old, &next);
        }
        self.written.clear();
        self.guard.catalog = next;
        Ok(())
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        // Newest first: files before the directory that holds them.
        for path in self.written.iter().rev() {
            let outcome = if path.is_dir() {
                fs::remove_dir_all(path)
            } else {
                fs::remove_file(path)
            };
            if let Err(e) = outcome {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a file of a failed change");
            }
        }
    }
}

/// After a commit: removes blobs, segments and table directories that `old` referenced
/// and `new` does not. Failures only leave garbage for the next start.
fn remove_unreferenced(dir: &Path, old: &Catalog, new: &Catalog) {
    let remove = |path: PathBuf, is_dir: bool| {
        let outcome = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if let Err(e) = outcome
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove an unreferenced file");
        }
    };
    let kept = new.ir_blobs();
    for sha in old.ir_blobs().difference(&kept) {
        remove(dir.join(IR_DIR).join(sha), false);
    }
    let kept = new.segment_files();
    for (id, files) in old.segment_files() {
        let table_dir = dir.join(TABLES_DIR).join(id.to_string());
        match kept.get(&id) {
            None => remove(table_dir, true),
            Some(kept) => {
                for file in files.difference(kept) {
                    remove(table_dir.join(file), false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringViewArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("s", DataType::Utf8View, true),
        ]))
    }

    fn batch(values: &[i64]) -> RecordBatch {
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from(values.to_vec())),
                Arc::new(StringViewArray::from_iter(
                    values.iter().map(|v| Some(v.to_string())),
                )),
            ],
        )
        .unwrap()
    }

    #[test]
    fn formats_times_as_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(from_unix_ms(1_709_251_199_999)),
            "2024-02-29T23:59:59.999Z"
        );
        assert_eq!(rfc3339(from_unix_ms(-1)), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn round_trips_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, loaded) = Store::open(dir.path()).unwrap();
            assert!(loaded.rows.is_empty());
            let mut txn = store.begin().unwrap();
            let sha = txn
                .write_ir(b"define i64 @f(i64 %a) {\n  ret i64 %a\n}\n")
                .unwrap();
            let id = txn.next.allocate_id();
            let segment = txn
                .write_segment(id, &schema(), &[batch(&[1, 2]), batch(&[3])])
                .unwrap()
                .unwrap();
            txn.next.tables.push(TableEntry {
                id,
                name: "T x".into(),
                schema: schema(),
                segments: vec![segment],
                constraints: Constraints::new_unverified(vec![Constraint::PrimaryKey(vec![0])]),
                defaults: vec![("s".into(), "'x'".into())],
                owner: Some("alice".into()),
            });
            txn.next.functions.push(FunctionEntry {
                name: "f".into(),
                symbol: "f".into(),
                signature: Signature::parse("int64(int64)").unwrap(),
                origin: "sql".into(),
                owner: "alice".into(),
                created_at: from_unix_ms(1_700_000_000_123),
                ir: sha.clone(),
                gpu: Some((sha, "f__gpu_0".into())),
            });
            txn.next.users.push(UserRecord {
                name: "bob".into(),
                password_hash: "x".into(),
                superuser: true,
                created_at: from_unix_ms(5),
            });
            txn.next.definitions.push(DefinitionEntry {
                name: "v".into(),
                kind: DefinitionKind::View,
                sql: "CREATE VIEW v AS SELECT 1".into(),
                owner: None,
            });
            txn.next.function_creators.insert("bob".into());
            txn.next.set_table_privileges(
                "bob",
                "T x",
                [TablePrivilege::Select, TablePrivilege::Delete]
                    .into_iter()
                    .collect(),
            );
            txn.commit().unwrap();
            // Held open: a second store on the directory is refused.
            let e = Store::open(dir.path()).unwrap_err();
            assert!(matches!(e, Error::DataDirInUse { .. }), "{e}");
        }
        let (store, loaded) = Store::open(dir.path()).unwrap();
        let catalog = store.catalog();
        assert_eq!(catalog.tables[0].name, "T x");
        assert_eq!(catalog.tables[0].schema, schema());
        assert_eq!(catalog.tables[0].constraints.len(), 1);
        assert_eq!(catalog.tables[0].defaults[0].1, "'x'");
        let rows: usize = loaded.rows[0][0].iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 3);
        assert_eq!(catalog.functions[0].owner, "alice");
        assert_eq!(unix_ms(catalog.functions[0].created_at), 1_700_000_000_123);
        assert_eq!(catalog.functions[0].gpu.as_ref().unwrap().1, "f__gpu_0");
        assert_eq!(catalog.users[0].name, "bob");
        assert_eq!(catalog.definitions[0].kind, DefinitionKind::View);
        assert_eq!(catalog.definitions[0].owner, None);
        assert_eq!(catalog.tables[0].owner.as_deref(), Some("alice"));
        assert!(catalog.function_creators.contains("bob"));
        assert_eq!(
            catalog.table_privileges("bob", "T x").to_string(),
            "SELECT, DELETE"
        );
        assert_eq!(loaded.ir.len(), 1);
        assert_eq!(loaded.garbage, 0);
    }

    #[test]
    fn a_failed_change_leaves_nothing_and_leftovers_go_at_start() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            let mut txn = store.begin().unwrap();
            txn.write_ir(b"; nothing").unwrap();
            let id = txn.next.allocate_id();
            txn.write_segment(id, &schema(), &[batch(&[1])]).unwrap();
            // Dropped uncommitted.
        }
        assert_eq!(fs::read_dir(dir.path().join(IR_DIR)).unwrap().count(), 0);
        assert_eq!(
            fs::read_dir(dir.path().join(TABLES_DIR)).unwrap().count(),
            0
        );

        // What a crash between a file's rename and the catalog's leaves.
        fs::write(dir.path().join(IR_DIR).join(sha256_hex(b"x")), b"x").unwrap();
        fs::create_dir(dir.path().join(TABLES_DIR).join("7")).unwrap();
        fs::write(dir.path().join(TABLES_DIR).join("7").join("8.arrow"), b"").unwrap();
        fs::write(dir.path().join(".catalog.json.tmp"), b"{").unwrap();
        let (_, loaded) = Store::open(dir.path()).unwrap();
        assert_eq!(loaded.garbage, 3);
        assert!(!dir.path().join(".catalog.json.tmp").exists());
        assert_eq!(
            fs::read_dir(dir.path().join(TABLES_DIR)).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_catalog_from_before_owners_and_grants_reads() {
        let dir = tempfile::tempdir().unwrap();
        let hex = schema_to_hex(&schema()).unwrap();
        let old = format!(
            "{{\"format\": \"udf-server-data\", \"version\": 1, \"next_id\": 2, \
             \"tables\": [{{\"id\": 1, \"name\": \"t\", \"schema\": \"{hex}\", \
             \"segments\": [], \"constraints\": [], \"defaults\": []}}], \
             \"definitions\": [{{\"name\": \"v\", \"kind\": \"view\", \"sql\": \"CREATE VIEW v AS SELECT 1\"}}], \
             \"functions\": [], \"users\": []}}"
        );
        fs::write(dir.path().join(CATALOG), old).unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let catalog = store.catalog();
        assert_eq!(catalog.tables[0].owner, None);
        assert_eq!(catalog.definitions[0].owner, None);
        assert!(catalog.function_creators.is_empty() && catalog.table_grants.is_empty());
    }

    #[test]
    fn a_bad_catalog_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CATALOG);
        let cases: &[(&[u8], &str)] = &[
            (b"{\"format\": \"udf-server-data\", \"vers", "not valid JSON"),
            (b"[1, 2]", "not a udf-server catalog"),
            (
                b"{\"format\": \"udf-server-data\", \"version\": 9}",
                "format version 9",
            ),
            (
                b"{\"format\": \"udf-server-data\", \"version\": 1, \"next_id\": 1, \"tables\": [{\"id\": 5}]}",
                "tables[0].id: 5 is reused or not below next_id",
            ),
            (
                b"{\"format\": \"udf-server-data\", \"version\": 1, \"next_id\": 1, \"tables\": [], \"definitions\": [], \"functions\": [{\"name\": \"f\", \"symbol\": \"f\", \"signature\": \"int64(\"}]}",
                "functions[0].signature: ",
            ),
        ];
        for (content, expected) in cases {
            fs::write(&path, content).unwrap();
            let e = Store::open(dir.path()).unwrap_err().to_string();
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(e.contains(expected), "{e} lacks {expected}");
        }
    }
}

//! Users, passwords and privileges against the real daemon: who may create, replace and
//! drop functions (SQL and runtime registration), table privileges, throttled logins,
//! what survives a restart, and sessions that are forged, too old, or whose user changed.

use std::time::{Duration, Instant};

use udf_thrift::client::Client;
use udf_thrift::{TExtArgumentType, THeavySyncClient, TStringRow, TStringValue};

mod common;

const ADMIN_PASSWORD: &str = "adm1n";

/// A daemon with a config file of its own (admin's password plus `extra` settings) on a
/// data directory that outlives restarts of the process.
struct Server {
    daemon: common::Daemon,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(extra: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("udf-server.toml");
        std::fs::write(
            &config,
            format!("{extra}\n[users.admin]\npassword = \"{ADMIN_PASSWORD}\"\n"),
        )
        .unwrap();
        let daemon = Self::spawn(&dir);
        Server { daemon, dir }
    }

    fn spawn(dir: &tempfile::TempDir) -> common::Daemon {
        let config = dir.path().join("udf-server.toml");
        common::Daemon::start(
            &dir.path().join("data"),
            &["--config", config.to_str().unwrap()],
        )
    }

    /// SIGTERM, then the same data directory and config again.
    fn restart(&mut self) {
        assert!(self.daemon.terminate().success());
        self.daemon = Self::spawn(&self.dir);
    }

    /// The error text of `connect`, or the session.
    fn try_login(&self, user: &str, password: &str) -> Result<(Client, String), String> {
        let mut c =
            udf_thrift::client::connect("127.0.0.1", self.daemon.port, Duration::from_secs(10))
                .unwrap();
        c.connect(user.into(), password.into(), String::new())
            .map(|s| (c, s))
            .map_err(|e| udf_thrift::error_message(&e))
    }

    /// The error text of a login that must fail.
    fn login_error(&self, user: &str, password: &str) -> String {
        match self.try_login(user, password) {
            Ok(_) => panic!("{user} logged in but should not have"),
            Err(e) => e,
        }
    }

    fn login(&self, user: &str, password: &str) -> User {
        let (client, session) = self
            .try_login(user, password)
            .unwrap_or_else(|e| panic!("{user} cannot log in: {e}"));
        User { client, session }
    }

    fn admin(&self) -> User {
        self.login("admin", ADMIN_PASSWORD)
    }
}

/// A logged-in client.
struct User {
    client: Client,
    session: String,
}

impl User {
    /// Runs `sql`: the rows' first column as text (or the statement's message), or the
    /// error text.
    fn sql(&mut self, sql: &str) -> Result<Vec<String>, String> {
        let result = self
            .client
            .sql_execute(
                self.session.clone(),
                sql.into(),
                true,
                String::new(),
                -1,
                -1,
            )
            .map_err(|e| udf_thrift::error_message(&e))?;
        let columns = result.row_set.unwrap().columns.unwrap();
        let Some(first) = columns.first() else {
            return Ok(Vec::new());
        };
        let data = first.data.as_ref().unwrap();
        Ok(match (&data.int_col, &data.str_col) {
            (Some(ints), _) if !ints.is_empty() => ints.iter().map(i64::to_string).collect(),
            (_, Some(strings)) => strings.clone(),
            _ => Vec::new(),
        })
    }

    /// Runs each statement (the HeavyDB protocol takes one per call).
    fn ok_all(&mut self, statements: &[&str]) {
        for sql in statements {
            self.ok(sql);
        }
    }

    fn ok(&mut self, sql: &str) -> Vec<String> {
        self.sql(sql)
            .unwrap_or_else(|e| panic!("`{sql}` failed: {e}"))
    }

    fn err(&mut self, sql: &str) -> String {
        match self.sql(sql) {
            Ok(rows) => panic!("`{sql}` succeeded ({rows:?}) but should have failed"),
            Err(e) => e,
        }
    }

    /// rbc's registration of `twice__cpu_0` (int64 → int64), or an empty one (unregister).
    fn register(&mut self, with_function: bool) -> Result<(), String> {
        let udfs = if with_function {
            vec![udf_thrift::TUserDefinedFunction {
                name: Some("twice__cpu_0".into()),
                arg_types: Some(vec![TExtArgumentType::INT64]),
                ret_type: Some(TExtArgumentType::INT64),
                annotations: Some(vec![Default::default(); 2]),
            }]
        } else {
            Vec::new()
        };
        let ir = if with_function { TWICE_IR } else { "" };
        self.client
            .register_runtime_extension_functions(
                self.session.clone(),
                udfs,
                vec![],
                [("cpu".to_string(), ir.to_string())].into_iter().collect(),
            )
            .map_err(|e| udf_thrift::error_message(&e))
    }

    fn tables(&mut self) -> Result<Vec<String>, String> {
        self.client
            .get_tables(self.session.clone())
            .map_err(|e| udf_thrift::error_message(&e))
    }
}

const TWICE_IR: &str =
    "define i64 @twice__cpu_0(i64 %a) {\n  %r = mul i64 %a, 2\n  ret i64 %r\n}\n";

fn create_function(name: &str, sql_type: &str, op: &str) -> String {
    let ty = if sql_type == "DOUBLE" {
        "double"
    } else {
        "i64"
    };
    format!(
        "CREATE OR REPLACE FUNCTION {name}({sql_type}) RETURNS {sql_type} LANGUAGE llvm AS $$\n\
         define {ty} @{name}({ty} %a) {{\n  %r = {op} {ty} %a, %a\n  ret {ty} %r\n}}\n$$"
    )
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "`{text}` lacks `{expected}`");
}

#[test]
fn creating_functions_needs_the_grant() {
    let server = Server::start("");
    let mut admin = server.admin();
    admin.ok("CREATE USER bob WITH PASSWORD 'b0b'");
    let mut bob = server.login("bob", "b0b");

    let create = create_function("plus", "BIGINT", "add");
    assert_contains(&bob.err(&create), "user `bob` may not create functions");
    assert_contains(
        &bob.register(true).unwrap_err(),
        "user `bob` may not create functions",
    );

    admin.ok("GRANT CREATE FUNCTION TO bob");
    bob.ok(&create);
    bob.register(true).unwrap();
    assert_eq!(bob.ok("SELECT plus(20), twice(21)"), vec!["40"]);
    assert_eq!(bob.ok("SELECT twice(21)"), vec!["42"]);

    admin.ok("REVOKE CREATE FUNCTION FROM bob");
    assert_contains(
        &bob.err(&create_function("minus", "BIGINT", "sub")),
        "may not create functions",
    );
    assert_contains(&bob.register(true).unwrap_err(), "may not create functions");
    // What bob made stays his; removing his own runtime set needs no grant.
    assert_eq!(bob.ok("SELECT plus(1)"), vec!["2"]);
    bob.register(false).unwrap();
    assert_contains(
        &bob.err("SELECT twice(1)"),
        "No match found for function signature twice(",
    );
}

#[test]
fn only_the_owner_or_a_superuser_replaces_or_drops_a_function() {
    let server = Server::start("");
    let mut admin = server.admin();
    admin.ok_all(&[
        "CREATE USER alice WITH PASSWORD 'a'",
        "CREATE USER bob WITH PASSWORD 'b'",
        "GRANT CREATE FUNCTION TO alice, bob",
    ]);
    let mut alice = server.login("alice", "a");
    let mut bob = server.login("bob", "b");
    alice.ok(&create_function("f", "BIGINT", "add"));

    assert_eq!(
        bob.err(&create_function("f", "BIGINT", "mul")),
        "SQL Error: function `f` is owned by `alice`; only its owner or a superuser may replace it"
    );
    assert_contains(
        &bob.err(&create_function("f", "DOUBLE", "fmul")),
        "only its owner or a superuser may add overloads to it",
    );
    assert_contains(
        &bob.err("DROP FUNCTION f"),
        "function `f` is owned by `alice`; only its owner or a superuser may drop it",
    );
    assert_eq!(bob.ok("SELECT f(21)"), vec!["42"]);

    // Her own, she replaces; a superuser replaces and drops anyone's.
    alice.ok(&create_function("f", "BIGINT", "mul"));
    assert_eq!(bob.ok("SELECT f(5)"), vec!["25"]);
    admin.ok(&create_function("f", "BIGINT", "sub"));
    assert_eq!(bob.ok("SELECT f(5)"), vec!["0"]);
    admin.ok("DROP FUNCTION f");
    assert_contains(
        &bob.err("SELECT f(5)"),
        "No match found for function signature f(",
    );
}

#[test]
fn tables_need_grants_for_others() {
    let server = Server::start("");
    let mut admin = server.admin();
    admin.ok_all(&[
        "CREATE USER alice WITH PASSWORD 'a'",
        "CREATE USER bob WITH PASSWORD 'b'",
    ]);
    let mut alice = server.login("alice", "a");
    let mut bob = server.login("bob", "b");
    alice.ok("CREATE TABLE t (a BIGINT)");
    alice.ok("INSERT INTO t VALUES (1), (2)");
    alice.ok("CREATE VIEW v AS SELECT a * 10 AS a FROM t");

    let denied = "user `bob` has no SELECT privilege on table `t`";
    assert_contains(&bob.err("SELECT count(*) FROM t"), denied);
    // Views are read with the reader's privileges; subqueries are scans too.
    assert_contains(&bob.err("SELECT sum(a) FROM v"), denied);
    assert_contains(
        &bob.err("SELECT count(*) FROM (VALUES (1)) AS x(v) WHERE v IN (SELECT a FROM t)"),
        denied,
    );
    assert_contains(
        &bob.err("INSERT INTO t VALUES (3)"),
        "user `bob` has no INSERT privilege on table `t`",
    );
    // Loading rows over Thrift is an INSERT too.
    let row = TStringRow {
        cols: Some(vec![TStringValue {
            str_val: Some("4".into()),
            is_null: Some(false),
        }]),
    };
    let err = bob
        .client
        .load_table(bob.session.clone(), "t".into(), vec![row.clone()], vec![])
        .unwrap_err();
    assert_contains(
        &udf_thrift::error_message(&err),
        "no INSERT privilege on table `t`",
    );

    admin.ok("GRANT SELECT ON t TO bob");
    assert_eq!(bob.ok("SELECT count(*) FROM t"), vec!["2"]);
    assert_eq!(bob.ok("SELECT sum(a) FROM v"), vec!["30"]);
    assert_contains(&bob.err("INSERT INTO t VALUES (3)"), "no INSERT privilege");
    admin.ok("GRANT INSERT ON TABLE t TO bob");
    bob.ok("INSERT INTO t VALUES (3)");
    bob.client
        .load_table(bob.session.clone(), "t".into(), vec![row], vec![])
        .unwrap();
    assert_eq!(alice.ok("SELECT count(*) FROM t"), vec!["4"]);
    assert_contains(&bob.err("DELETE FROM t WHERE a = 1"), "no DELETE privilege");
    admin.ok("REVOKE SELECT ON t FROM bob");
    assert_contains(&bob.err("SELECT count(*) FROM t"), denied);

    // Only the owner (or a superuser) drops or replaces; a grant does not extend to it.
    assert_eq!(
        bob.err("DROP TABLE t"),
        "SQL Error: table `t` is owned by `alice`; only its owner or a superuser may drop it"
    );
    assert_contains(
        &bob.err("CREATE OR REPLACE TABLE t AS SELECT 1 AS a"),
        "only its owner or a superuser may replace it",
    );
    // Bob's own table is his to read, and the server's files are a superuser's.
    bob.ok("CREATE TABLE mine AS SELECT 7 AS x");
    assert_eq!(bob.ok("SELECT x FROM mine"), vec!["7"]);
    assert_contains(
        &bob.err("CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '/etc/passwd'"),
        "only a superuser may create external tables",
    );
    assert_contains(
        &bob.err("CREATE USER mallory WITH PASSWORD 'm'"),
        "only a superuser may create users",
    );
    assert_contains(
        &bob.err("GRANT SELECT ON t TO bob"),
        "only a superuser may grant",
    );
    // The engine's settings are every session's: a superuser's to change. A session's own
    // settings are anybody's.
    assert_contains(
        &bob.err("SET datafusion.execution.batch_size = 1"),
        "only a superuser may change the server's settings",
    );
    assert_contains(
        &bob.err("RESET datafusion.execution.batch_size"),
        "only a superuser may change the server's settings",
    );
    bob.ok("SET statement_timeout = '5s'");
    bob.ok("SET udf_device = 'cpu'");
    admin.ok("SET datafusion.execution.batch_size = 4096");
    // SHOW USERS shows a non-superuser their own row only.
    assert_eq!(bob.ok("SHOW USERS"), vec!["bob"]);
    alice.ok("DROP TABLE t");
    assert!(!alice.tables().unwrap().contains(&"t".to_string()));
}

#[test]
fn failed_logins_are_throttled_per_user_and_address() {
    let server = Server::start(
        "login_max_failures = 3\nlogin_failure_window_s = 60\nlogin_backoff_s = 2\n\
         login_max_backoff_s = 4\n",
    );
    let mut admin = server.admin();
    admin.ok("CREATE USER bob WITH PASSWORD 'right'");
    for _ in 0..3 {
        assert_contains(
            &server.login_error("bob", "wrong"),
            "Authentication failure",
        );
    }
    // Locked: even the right password is refused, without a check.
    let refused = server.login_error("bob", "right");
    assert!(
        refused.starts_with("too many failed logins for `bob`; try again in "),
        "{refused}"
    );
    // The address had as many failures: other users from it wait too.
    assert_contains(
        &server.login_error("admin", ADMIN_PASSWORD),
        "too many failed logins from 127.0.0.1; try again in",
    );
    // Sessions opened before stay usable.
    assert_eq!(admin.ok("SELECT 1"), vec!["1"]);
    let metrics = admin.client.udf_metrics(admin.session.clone()).unwrap();
    assert_contains(&metrics, "udf_authentication_failures_total 3");
    assert_contains(&metrics, "udf_logins_throttled_total 2");

    std::thread::sleep(Duration::from_millis(2200));
    server.login("bob", "right");
    // A failure right after a lockout locks again, for twice as long.
    assert!(server.try_login("admin", "wrong").is_err());
    let refused = server.login_error("admin", ADMIN_PASSWORD);
    assert!(
        refused.contains("try again in 4 s") || refused.contains("try again in 3 s"),
        "{refused}"
    );
}

#[test]
fn an_unknown_user_looks_like_a_wrong_password() {
    let server = Server::start("login_max_failures = 1000\n");
    server.admin().ok("CREATE USER bob WITH PASSWORD 'right'");
    let attempt = |user: &str| {
        let started = Instant::now();
        let err = server.login_error(user, "wrong");
        (err, started.elapsed())
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let (err, took) = attempt("bob");
        assert_eq!(
            err,
            "Authentication failure: wrong user name or password for `bob`"
        );
        known.push(took);
        let (err, took) = attempt("nobody");
        assert_eq!(
            err,
            "Authentication failure: wrong user name or password for `nobody`"
        );
        unknown.push(took);
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[2], unknown[2]);
    println!("median failed login: known user {known:?}, unknown user {unknown:?}");
    // Both verify an Argon2id hash: an unknown user is not answered early (without the
    // dummy hash it would be answered in well under a tenth of the time).
    assert!(
        unknown * 3 > known && known * 3 > unknown,
        "known user {known:?}, unknown user {unknown:?}"
    );
}

#[test]
fn users_and_grants_survive_a_restart() {
    let mut server = Server::start("");
    let mut admin = server.admin();
    admin.ok_all(&[
        "CREATE USER carol (password = 'c4rol', is_super = 'false')",
        "GRANT CREATE FUNCTION TO carol",
        "CREATE TABLE t AS SELECT 5 AS a",
        "GRANT SELECT ON t TO carol",
    ]);
    let mut carol = server.login("carol", "c4rol");
    carol.ok(&create_function("g", "BIGINT", "add"));
    carol.ok("ALTER USER carol WITH PASSWORD 'n3w'");
    // The session that changed its own password goes on.
    assert_eq!(carol.ok("SELECT g(a) FROM t"), vec!["10"]);
    drop((admin, carol));

    server.restart();
    assert_contains(
        &server.login_error("carol", "c4rol"),
        "Authentication failure",
    );
    let mut carol = server.login("carol", "n3w");
    assert_eq!(carol.ok("SELECT g(a) FROM t"), vec!["10"]);
    carol.ok(&create_function("h", "BIGINT", "mul"));
    assert_contains(
        &carol.err("INSERT INTO t VALUES (1)"),
        "no INSERT privilege",
    );
    let mut admin = server.admin();
    assert_eq!(admin.ok("SHOW USERS"), vec!["admin", "carol"]);
}

#[test]
fn forged_and_stale_sessions_are_refused_with_the_reason() {
    let server = Server::start("");
    let mut admin = server.admin();
    admin.ok_all(&[
        "CREATE USER dave WITH PASSWORD 'd'",
        "CREATE USER erin WITH PASSWORD 'e'",
    ]);

    let forged = admin
        .client
        .get_tables("0123456789abcdef0123456789abcdef".into())
        .unwrap_err();
    assert_eq!(
        udf_thrift::error_message(&forged),
        "Session not valid or expired."
    );

    let mut dave = server.login("dave", "d");
    assert!(dave.tables().is_ok());
    admin.ok("DROP USER dave");
    assert_eq!(
        dave.tables().unwrap_err(),
        "Session not valid or expired: user `dave` was dropped"
    );
    assert_contains(&server.login_error("dave", "d"), "Authentication failure");

    let mut erin = server.login("erin", "e");
    admin.ok("ALTER USER erin WITH PASSWORD 'e2'");
    assert_contains(
        &erin.sql("SELECT 1").unwrap_err(),
        "Session not valid or expired: the password of `erin` changed",
    );
    let mut erin = server.login("erin", "e2");
    assert_eq!(erin.ok("SELECT 1"), vec!["1"]);
    // Taking superuser away applies to live sessions at once.
    admin.ok("ALTER USER erin SUPERUSER");
    erin.ok("CREATE USER frank WITH PASSWORD 'f'");
    admin.ok("ALTER USER erin NOSUPERUSER");
    assert_contains(
        &erin.err("DROP USER frank"),
        "only a superuser may drop users",
    );
}

#[test]
fn sessions_end_at_their_maximum_lifetime() {
    let server = Server::start("session_max_lifetime_s = 2\n");
    let mut admin = server.admin();
    assert_eq!(admin.ok("SELECT 1"), vec!["1"]);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(admin.ok("SELECT 1"), vec!["1"]);
    std::thread::sleep(Duration::from_millis(1200));
    // In use all along, and still ended.
    assert_contains(
        &admin.err("SELECT 1"),
        "Session not valid or expired: it reached its maximum lifetime of 2 s",
    );
    assert_eq!(server.admin().ok("SELECT 1"), vec!["1"]);
}

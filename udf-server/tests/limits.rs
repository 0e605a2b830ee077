//! The daemon's limits over Thrift: per-session `statement_timeout` (and a killed session
//! stopping its running statement), oversized strings, lists and frames refused before
//! they are read, session caps, and the refusal counters in the metrics. After each
//! refusal the server still answers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use udf_thrift::THeavySyncClient;
use udf_thrift::client::Client;

mod common;
use common::Daemon;

/// Loops forever unless its argument is -8 or -7.
const SPIN: &str = "CREATE FUNCTION spin(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$
define i64 @spin(i64 %a) {
entry:
  br label %loop
loop:
  %i = phi i64 [ %a, %entry ], [ %n, %loop ]
  %n = xor i64 %i, 1
  %c = icmp eq i64 %n, -7
  br i1 %c, label %done, label %loop
done:
  ret i64 %n
}
$$";

/// A daemon with `config` as its settings file, and the folder holding both.
fn start(config: &str) -> (Daemon, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("udf-server.toml");
    std::fs::write(&path, config).unwrap();
    let daemon = Daemon::start(
        &dir.path().join("data"),
        &["--no-gpu", "--config", path.to_str().unwrap()],
    );
    (daemon, dir)
}

/// The first cell of a statement's result as text, or the error's message.
fn run(c: &mut Client, session: &str, sql: &str) -> Result<String, String> {
    let result = c
        .sql_execute(session.into(), sql.into(), false, String::new(), -1, -1)
        .map_err(|e| udf_thrift::error_message(&e))?;
    let rows = result.row_set.unwrap().rows.unwrap_or_default();
    let Some(row) = rows.first() else {
        return Ok(String::new());
    };
    let datum = &row.cols.as_ref().unwrap()[row.cols.as_ref().unwrap().len() - 1];
    let value = datum.val.as_ref().unwrap();
    Ok(match (&value.str_val, value.int_val) {
        (Some(s), _) if !s.is_empty() => s.clone(),
        (_, Some(i)) => i.to_string(),
        (s, _) => s.clone().unwrap_or_default(),
    })
}

fn int_datum(value: i64) -> udf_thrift::TDatum {
    udf_thrift::TDatum {
        val: Some(udf_thrift::TDatumVal {
            int_val: Some(value),
            real_val: Some(udf_thrift::OrderedFloat(0.0)),
            str_val: Some(String::new()),
            arr_val: Some(Vec::new()),
        }),
        is_null: Some(false),
    }
}

/// The server answers a fresh connection, with its data intact.
fn still_answers(daemon: &Daemon) {
    let (mut c, session) = daemon.client();
    assert!(c.get_version().unwrap().starts_with("8.0.1-"));
    assert_eq!(run(&mut c, &session, "SELECT 41 + 1").unwrap(), "42");
    c.disconnect(session).unwrap();
}

#[test]
fn statement_timeout_is_per_session_and_a_killed_session_stops_its_statement() {
    let (daemon, _dir) = start("statement_timeout_ms = 400\n");
    let (mut admin, admin_session) = daemon.client();
    run(&mut admin, &admin_session, SPIN).unwrap();

    // Every session starts with the server's default.
    let (mut a, session_a) = daemon.client();
    assert_eq!(
        run(&mut a, &session_a, "SHOW statement_timeout").unwrap(),
        "400ms"
    );
    let started = Instant::now();
    let err = run(&mut a, &session_a, "SELECT spin(0)").unwrap_err();
    assert!(
        err.starts_with("SQL Error: UDF `spin` interrupted after ")
            && err.contains("(statement_timeout = 400 ms)"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // B lifts its own limit; A's stays.
    let (mut b, session_b) = daemon.client();
    assert_eq!(
        run(&mut b, &session_b, "SET statement_timeout = 0").unwrap(),
        "statement_timeout = 0 (no limit) for this session"
    );
    assert_eq!(
        run(&mut b, &session_b, "SHOW statement_timeout").unwrap(),
        "0"
    );
    assert_eq!(
        run(&mut a, &session_a, "SHOW statement_timeout").unwrap(),
        "400ms"
    );
    run(&mut a, &session_a, "SET statement_timeout TO '250ms'").unwrap();
    assert_eq!(
        run(&mut a, &session_a, "SHOW statement_timeout").unwrap(),
        "250ms"
    );
    // A direct call runs with its session's timeout too.
    let err = a
        .udf_call(
            session_a.clone(),
            "spin".into(),
            vec![int_datum(0)],
            vec!["BIGINT".into()],
        )
        .map_err(|e| udf_thrift::error_message(&e))
        .unwrap_err();
    assert!(
        err.contains("UDF `spin` interrupted after ")
            && err.contains("(statement_timeout = 250 ms)"),
        "{err}"
    );
    let err = run(
        &mut a,
        &session_a,
        "SELECT sum(value) FROM range(100000000000)",
    )
    .unwrap_err();
    assert!(
        err.starts_with("SQL Error: statement timed out after ")
            && err.contains("(statement_timeout = 250 ms)"),
        "{err}"
    );

    // B's spin runs past every timeout until an administrator ends the session.
    let spinning = {
        let session_b = session_b.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let result = run(&mut b, &session_b, "SELECT spin(0)");
            (result, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!spinning.is_finished(), "B's statement stopped on its own");
    admin
        .udf_kill_session(admin_session.clone(), session_b[..12].to_string())
        .unwrap();
    let (result, took) = spinning.join().unwrap();
    assert_eq!(
        result.unwrap_err(),
        "SQL Error: statement cancelled: its session was ended by an administrator"
    );
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_eq!(run(&mut a, &session_a, "SELECT spin(-8)").unwrap(), "-7");

    // HeavyDB's `interrupt`: a user stops their own session's statement.
    run(&mut a, &session_a, "SET statement_timeout = 0").unwrap();
    let spinning = {
        let session_a = session_a.clone();
        std::thread::spawn(move || run(&mut a, &session_a, "SELECT spin(0)"))
    };
    std::thread::sleep(Duration::from_millis(500));
    assert!(!spinning.is_finished(), "A's statement stopped on its own");
    let mut other =
        udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(10)).unwrap();
    other
        .interrupt(session_a.clone(), session_a.clone())
        .unwrap();
    assert_eq!(
        spinning.join().unwrap().unwrap_err(),
        "SQL Error: statement cancelled: interrupted by `admin`"
    );
    still_answers(&daemon);
}

/// Writes `bytes` on a fresh connection and returns everything the server sends back
/// until it closes the connection.
fn raw_call(daemon: &Daemon, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", daemon.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(bytes);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

/// A strict binary-protocol call header.
fn call_header(method: &str) -> Vec<u8> {
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend((method.len() as i32).to_be_bytes());
    m.extend(method.as_bytes());
    m.extend(1i32.to_be_bytes());
    m
}

/// A string field's header and length prefix.
fn string_field(id: i16, len: usize) -> Vec<u8> {
    let mut f = vec![11];
    f.extend(id.to_be_bytes());
    f.extend((len as i32).to_be_bytes());
    f
}

#[test]
fn oversized_strings_lists_and_frames_are_refused_and_the_server_goes_on() {
    let (daemon, _dir) =
        start("max_string_mb = 1\nmax_collection_len = 1000\nmax_message_mb = 2\n");

    // A 100 MiB string is refused on its length prefix: nothing of it is sent.
    let mut call = call_header("sql_execute");
    call.extend(string_field(1, 100 << 20));
    let reply = raw_call(&daemon, &call);
    assert!(
        reply.contains("a binary value of 104857600 bytes exceeds the server's limit of 1048576 bytes (max_string_mb)"),
        "{reply:?}"
    );
    still_answers(&daemon);

    // A list of 5000 elements in a field the method does not have (skipped, so checked
    // all the same).
    let mut call = call_header("get_tables");
    call.extend([15, 0, 9, 8]);
    call.extend(5000i32.to_be_bytes());
    let reply = raw_call(&daemon, &call);
    assert!(
        reply.contains(
            "list of 5000 elements exceeds the server's limit of 1000 elements (max_collection_len)"
        ),
        "{reply:?}"
    );
    still_answers(&daemon);

    // Three strings under the string limit that together pass the message limit.
    let mut call = call_header("sql_execute");
    for id in [1, 2, 9] {
        call.extend(string_field(id, 900 << 10));
        call.extend(std::iter::repeat_n(b'x', 900 << 10));
    }
    let reply = raw_call(&daemon, &call);
    assert!(
        reply.contains("message larger than the server's limit of 2097152 bytes"),
        "{reply:?}"
    );
    still_answers(&daemon);
}

fn metric(c: &mut Client, session: &str, name: &str) -> u64 {
    let text = c.udf_metrics(session.into()).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .parse()
        .unwrap()
}

#[test]
fn session_and_connection_caps_refuse_clearly_and_are_counted() {
    let (daemon, _dir) = start(
        "max_sessions = 4\nmax_sessions_per_user = 2\nmax_connections = 8\n\
         [users.alice]\npassword = \"pw\"\nsuperuser = false\n",
    );
    let login = |user: &str, password: &str| -> Result<(Client, String), String> {
        let mut c =
            udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(10)).unwrap();
        let session = c
            .connect(user.into(), password.into(), String::new())
            .map_err(|e| udf_thrift::error_message(&e))?;
        Ok((c, session))
    };
    let (_a1, alice1) = login("alice", "pw").unwrap();
    let (_a2, _alice2) = login("alice", "pw").unwrap();
    let Err(err) = login("alice", "pw") else {
        panic!("a session beyond the cap");
    };
    assert_eq!(
        err,
        "too many sessions for user `alice` (max_sessions_per_user = 2); disconnect unused ones"
    );
    let (mut admin, admin1) = login("admin", common::PASSWORD).unwrap();
    let (_b, _admin2) = login("admin", common::PASSWORD).unwrap();
    // Four sessions live: the next is refused whoever asks.
    let Err(err) = login("admin", common::PASSWORD) else {
        panic!("a session beyond the cap");
    };
    assert!(
        err.starts_with("too many sessions (max_sessions = 4)"),
        "{err}"
    );
    assert_eq!(metric(&mut admin, &admin1, "udf_sessions_refused_total"), 2);

    // A closed session makes room.
    let mut a1 =
        udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(10)).unwrap();
    a1.disconnect(alice1).unwrap();
    // The refused logins' connections are closed; give the server a moment to see it.
    std::thread::sleep(Duration::from_millis(500));
    let (_a3, _alice3) = login("alice", "pw").unwrap();

    // Connections: six are open (a1 included); two more fit, the ninth is refused with
    // the setting's name, and counted.
    let _more: Vec<Client> = (0..2)
        .map(|_| {
            let mut c =
                udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(10))
                    .unwrap();
            assert!(c.get_version().unwrap().starts_with("8.0.1-"));
            c
        })
        .collect();
    let mut extra =
        udf_thrift::client::connect("127.0.0.1", daemon.port, Duration::from_secs(10)).unwrap();
    let err = udf_thrift::error_message(&extra.get_version().unwrap_err());
    assert!(
        err.contains("at its limit of 8 connections (max_connections)"),
        "{err}"
    );
    assert_eq!(
        metric(&mut admin, &admin1, "udf_connections_refused_total"),
        1
    );
    assert!(admin.get_version().unwrap().starts_with("8.0.1-"));
}

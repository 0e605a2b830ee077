"""Protocol robustness: raw sockets with hand-encoded TBinaryProtocol messages, pyheavydb's
generated Thrift client for exact arguments, and many concurrent clients."""

import os
import re
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import heavydb
from heavydb.extension_functions.ttypes import TUserDefinedFunction
from heavydb.thrift.ttypes import TDBException

from conftest import make_remote_heavydb

CALL, REPLY, EXCEPTION = 1, 2, 3
UNKNOWN_METHOD = 1
READ_TIMEOUT_S = 10


# ------------------------------------------------------------------ TBinaryProtocol by hand


def enc_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">i", len(b)) + b


def message(name, mtype=CALL, seqid=0, body=b"\x00"):
    """Strict header (0x8001 | type), name, seqid, then the argument struct."""
    return struct.pack(">I", 0x80010000 | mtype) + enc_str(name) + struct.pack(">i", seqid) + body


def field_string(fid, s):
    return struct.pack(">bh", 11, fid) + enc_str(s)


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def take(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        return self.take(self.i32())

    def value(self, ttype):
        if ttype == 2:
            return self.i8() != 0
        if ttype == 3:
            return self.i8()
        if ttype == 4:
            return struct.unpack(">d", self.take(8))[0]
        if ttype == 6:
            return self.i16()
        if ttype == 8:
            return self.i32()
        if ttype == 10:
            return struct.unpack(">q", self.take(8))[0]
        if ttype == 11:
            return self.string()
        if ttype == 12:
            return self.struct()
        if ttype in (14, 15):
            et, n = self.i8(), self.i32()
            return [self.value(et) for _ in range(n)]
        if ttype == 13:
            kt, vt, n = self.i8(), self.i8(), self.i32()
            return {self.value(kt): self.value(vt) for _ in range(n)}
        raise AssertionError(f"unknown thrift type {ttype}")

    def struct(self):
        fields = {}
        while True:
            ttype = self.i8()
            if ttype == 0:
                return fields
            fid = self.i16()
            fields[fid] = self.value(ttype)

    def message(self):
        """-> (raw 4 header bytes, type, name, seqid, body struct as {id: value})"""
        head = self.take(4)
        version = struct.unpack(">I", head)[0]
        assert version & 0xFFFF0000 == 0x80010000, f"non-strict reply header {head!r}"
        mtype = version & 0xFF
        name = self.string().decode()
        seqid = self.i32()
        return head, mtype, name, seqid, self.struct()


def raw_socket(server):
    s = socket.create_connection((server.host, server.port), timeout=READ_TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def session_of(server):
    with raw_socket(server) as s:
        args = (field_string(1, server.user) + field_string(2, server.password)
                + field_string(3, server.dbname) + b"\x00")
        s.sendall(message("connect", body=args))
        _, mtype, name, _, body = Reader(s).message()
        assert (mtype, name) == (REPLY, "connect")
        return body[0].decode()


def closed_or_app_exception(sock):
    """After garbage the server must close the connection or answer with a
    TApplicationException (message type EXCEPTION). Returns what happened."""
    r = Reader(sock)
    try:
        _, mtype, _, _, body = r.message()
    except (EOFError, ConnectionResetError, BrokenPipeError):
        return "closed"
    except AssertionError:
        pytest.fail("server answered garbage with a non-Thrift reply")
    except socket.timeout:
        pytest.fail(f"server neither closed the connection nor answered within {READ_TIMEOUT_S} s")
    assert mtype == EXCEPTION, f"garbage got a message of type {mtype}: {body}"
    assert isinstance(body.get(1), bytes) and isinstance(body.get(2), int), body
    return "exception"


# ------------------------------------------------------------------ wire format


def test_get_version_reply_is_strict_and_echoes_seqid(alive):
    with raw_socket(alive) as s:
        s.sendall(message("get_version", seqid=12345))
        head, mtype, name, seqid, body = Reader(s).message()
    assert head == b"\x80\x01\x00\x02"
    assert (mtype, name, seqid) == (REPLY, "get_version", 12345)
    version = body[0].decode()
    major, minor = (int(x) for x in version.split("-")[0].split(".")[:2])
    assert (major, minor) >= (6, 4)
    assert "-" in version  # rbc needs a suffix after X.Y.Z


def test_void_reply_is_an_empty_struct(alive):
    session = session_of(alive)
    with raw_socket(alive) as s:
        s.sendall(message("disconnect", seqid=3, body=field_string(1, session) + b"\x00"))
        head, mtype, name, seqid, body = Reader(s).message()
    assert (mtype, name, seqid, body) == (REPLY, "disconnect", 3, {})


def test_unknown_method_gets_application_exception_and_connection_stays_usable(alive):
    with raw_socket(alive) as s:
        r = Reader(s)
        s.sendall(message("no_such_method", seqid=7, body=field_string(1, "x") + b"\x00"))
        head, mtype, name, seqid, body = r.message()
        assert mtype == EXCEPTION
        assert (name, seqid) == ("no_such_method", 7)
        assert body[2] == UNKNOWN_METHOD
        assert isinstance(body[1], bytes) and body[1]
        # same connection, next call works
        s.sendall(message("get_version", seqid=8))
        _, mtype, name, seqid, body = r.message()
        assert (mtype, name, seqid) == (REPLY, "get_version", 8)
        assert body[0]


def test_absent_arguments_take_idl_defaults(alive):
    # sql_execute with only session + query: column_format=false, nonce="",
    # first_n=-1, at_most_n=-1 -> every row, row-wise
    session = session_of(alive)
    with raw_socket(alive) as s:
        body = field_string(1, session) + field_string(2, "SELECT 41 + 1") + b"\x00"
        s.sendall(message("sql_execute", body=body))
        _, mtype, name, _, res = Reader(s).message()
    assert (mtype, name) == (REPLY, "sql_execute"), res
    assert 1 not in res, res.get(1)
    row_set = res[0][1]
    rows = row_set.get(2, [])
    columns = row_set.get(3, [])
    if columns:  # columnar anyway
        assert columns[0][1][1] == [42]
    else:
        assert rows[0][1][0][1][1] == 42  # rows[0].cols[0].val.int_val


# ------------------------------------------------------------------ garbage


GARBAGE = {
    "http_request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "random_bytes": bytes.fromhex("deadbeef") + os.urandom(256),
    "huge_name_length": struct.pack(">I", 0x80010001) + struct.pack(">i", 0x7FFFFFF0) + b"abc",
    "bad_message_type": struct.pack(">I", 0x80010009) + enc_str("get_version")
    + struct.pack(">i", 0) + b"\x00",
    "bad_field_type": message("get_version", body=b"\x7f\x00\x01garbage"),
    "negative_string_length": message("connect", body=b"\x0b\x00\x01\xff\xff\xff\xf0"),
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_only_affects_its_own_connection(alive, kind):
    c = heavydb.connect(**alive.connect_kwargs())
    try:
        assert c.execute("SELECT 1").fetchall() == [(1,)]
        with raw_socket(alive) as s:
            s.sendall(GARBAGE[kind])
            closed_or_app_exception(s)
        # the connection opened before the garbage still works, and so do new ones
        assert c.execute("SELECT 2").fetchall() == [(2,)]
        with heavydb.connect(**alive.connect_kwargs()) as d:
            assert d.execute("SELECT 3").fetchall() == [(3,)]
    finally:
        c.close()


def test_truncated_message_then_close(alive, conn):
    for cut in (1, 5, 12, 20):
        with raw_socket(alive) as s:
            s.sendall(message("sql_execute", body=field_string(1, "x" * 32) + field_string(2, "SELECT 1"))[:cut])
    with raw_socket(alive) as s:  # half a message, client gone mid-request
        s.sendall(message("get_version")[:-1])
        s.shutdown(socket.SHUT_WR)
    time.sleep(0.2)
    assert conn.execute("SELECT 4").fetchall() == [(4,)]


def test_many_idle_connections_do_not_block_others(alive, conn):
    socks = [raw_socket(alive) for _ in range(50)]
    try:
        start = time.monotonic()
        assert conn.execute("SELECT 5").fetchall() == [(5,)]
        with heavydb.connect(**alive.connect_kwargs()) as d:
            assert d.execute("SELECT 6").fetchall() == [(6,)]
        assert time.monotonic() - start < 10
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------------ sessions & errors


FORGED = "0123456789abcdef0123456789abcdef"


def test_forged_session_is_rejected_everywhere(thrift_client):
    client, _ = thrift_client
    calls = [
        lambda: client.sql_execute(FORGED, "SELECT 1", True, None, -1, -1),
        lambda: client.get_tables(FORGED),
        lambda: client.get_table_details(FORGED, "t"),
        lambda: client.get_device_parameters(FORGED),
        lambda: client.get_runtime_function_names(FORGED),
        lambda: client.register_runtime_extension_functions(FORGED, [], [], {}),
        lambda: client.sql_execute_df(FORGED, "SELECT 1", 0, 0, -1, 1),
    ]
    for call in calls:
        with pytest.raises(TDBException) as ei:
            call()
        assert "Session not valid or expired" in ei.value.error_msg.splitlines()[0]
    # the connection is still fine for a valid call
    assert client.get_version()


def test_session_is_shared_across_tcp_connections(alive):
    session = session_of(alive)  # made on one TCP connection, which is now closed

    def one_query(k):
        from heavydb.thrift.Heavy import Client
        from thrift.protocol import TBinaryProtocol
        from thrift.transport import TSocket, TTransport

        t = TTransport.TBufferedTransport(TSocket.TSocket(alive.host, alive.port))
        t.open()
        try:
            res = Client(TBinaryProtocol.TBinaryProtocol(t)).sql_execute(
                session, f"SELECT {k} * 2", True, None, -1, -1)
            return res.row_set.columns[0].data.int_col[0]
        finally:
            t.close()

    # rbc's pattern: a new TCP connection per RPC, concurrently
    with ThreadPoolExecutor(8) as ex:
        assert list(ex.map(one_query, range(40))) == [k * 2 for k in range(40)]


def test_sql_error_is_tdbexception(thrift_client):
    client, session = thrift_client
    with pytest.raises(TDBException) as ei:
        client.sql_execute(session, "SELEC 1", True, None, -1, -1)
    assert ei.value.error_msg.startswith("SQL Error")

    with pytest.raises(TDBException) as ei:
        client.sql_execute(session, "SELECT nosuchfn_robust(1)", True, None, -1, -1)
    first = ei.value.error_msg.splitlines()[0]
    assert first.startswith("SQL Error")
    assert re.search(r": No match found for function signature nosuchfn_robust\(", first, re.I), first
    assert "Exception: " not in ei.value.error_msg
    assert "CalciteContextException" not in ei.value.error_msg

    with pytest.raises(TDBException) as ei:
        client.sql_execute(session, "SELECT 1; SELECT 2", True, None, -1, -1)
    assert "multiple SQL statements not allowed" in ei.value.error_msg
    assert client.sql_execute(session, "SELECT 1;", True, None, -1, -1).row_set.columns[0].data.int_col == [1]


def test_first_n_at_most_n_and_nonce(thrift_client, unique_name):
    client, session = thrift_client
    t = unique_name("rb")

    def q(sql, first_n=-1, at_most_n=-1, nonce=None, column_format=True):
        return client.sql_execute(session, sql, column_format, nonce, first_n, at_most_n)

    q(f"CREATE TABLE {t} (i INT)")
    try:
        for i in range(5):
            q(f"INSERT INTO {t} VALUES ({i})")
        res = q(f"SELECT i FROM {t} ORDER BY i", nonce="my-nonce")
        assert res.nonce == "my-nonce"
        assert res.row_set.columns[0].data.int_col == [0, 1, 2, 3, 4]
        assert res.row_set.is_columnar is True
        res = q(f"SELECT i FROM {t} ORDER BY i", first_n=2)
        assert res.row_set.columns[0].data.int_col == [0, 1]
        res = q(f"SELECT i FROM {t} ORDER BY i", at_most_n=5)
        assert len(res.row_set.columns[0].nulls) == 5
        with pytest.raises(TDBException) as ei:
            q(f"SELECT i FROM {t}", at_most_n=2)
        assert "The result contains more rows than the specified cap of 2" in ei.value.error_msg

        res = q(f"SELECT i, i * 0.5 AS h, 'x' AS s FROM {t} WHERE i < 2 ORDER BY i",
                column_format=False)
        rows = res.row_set.rows
        assert [r.cols[0].val.int_val for r in rows] == [0, 1]
        assert [r.cols[1].val.real_val for r in rows] == [0.0, 0.5]
        assert [r.cols[2].val.str_val for r in rows] == ["x", "x"]
        assert not any(d.is_null for r in rows for d in r.cols)
    finally:
        q(f"DROP TABLE IF EXISTS {t}")


def test_bad_ir_registration_keeps_previous_functions(alive, thrift_client):
    client, session = thrift_client
    db = make_remote_heavydb(alive)

    @db("int32(int32)")
    def survivor(x):
        return x + 100

    db.register()
    assert survivor(1).execute() == 101

    bad = TUserDefinedFunction(name="broken__cpu_0", argTypes=[2], retType=2,
                               annotations=[{}, {}])
    for ir in ("this is not LLVM IR at all",
               "define i32 @broken__cpu_0(i32 %x) {\nentry:\n  ret i32 %undefined_value\n}\n"):
        with pytest.raises(TDBException) as ei:
            client.register_runtime_extension_functions(session, [bad], [], {"cpu": ir})
        msg = ei.value.error_msg
        assert "LLVM IR ParseError" in msg.splitlines()[0], msg

    # nothing of the failed call was applied; the earlier registration still works
    assert survivor(2).execute() == 102
    res = client.sql_execute(session, "SELECT survivor(CAST(5 AS INT))", True, None, -1, -1)
    assert res.row_set.columns[0].data.int_col == [105]
    names = [n.lower() for n in client.get_runtime_function_names(session)]
    assert "survivor" in names and "broken" not in names
    db.unregister()


# ------------------------------------------------------------------ concurrency


def test_many_concurrent_clients(alive, unique_name):
    t = unique_name("rb")
    with heavydb.connect(**alive.connect_kwargs()) as setup:
        setup.execute(f"CREATE TABLE {t} (k INT, v BIGINT)")
        for k in range(20):
            setup.execute(f"INSERT INTO {t} VALUES ({k}, {k * k})")

    threads, per_thread = 16, 20
    errors = []
    barrier = threading.Barrier(threads)

    def worker(tid):
        c = heavydb.connect(**alive.connect_kwargs())
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                if i % 2:
                    got = c.execute(f"SELECT {tid} * 1000 + {i}").fetchall()
                    want = [(tid * 1000 + i,)]
                else:
                    got = c.execute(f"SELECT k, v + {tid} FROM {t} WHERE k = {i}").fetchall()
                    want = [(i, i * i + tid)]
                if got != want:
                    errors.append((tid, i, got, want))
            return per_thread
        finally:
            c.close()

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as ex:
        done = list(ex.map(worker, range(threads)))
    assert errors == []
    assert sum(done) == threads * per_thread
    assert time.monotonic() - start < 60

    with heavydb.connect(**alive.connect_kwargs()) as c:
        assert c.execute(f"SELECT COUNT(*), SUM(v) FROM {t}").fetchall() == [
            (20, sum(k * k for k in range(20)))]
        c.execute(f"DROP TABLE {t}")

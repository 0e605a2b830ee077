"""Cluster mode: a Ballista scheduler (`udf-scheduler`) and two executors (`udf-executor`)
on loopback, a udf-server sending its queries there (`--cluster`), and an embedded
udf-server beside it. UDFs are registered through the Thrift API on both (SQL `CREATE
FUNCTION` with LLVM IR through pyheavydb, Numba functions through rbc's RemoteHeavyDB),
and every query of the set must give the embedded server's result on the cluster.
"""

import math
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import heavydb

from conftest import (
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    _free_port,
    _run_server,
    _server_binary,
    _tail,
    make_remote_heavydb,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TWICE = {
    "INT": "define i32 @twice_i32(i32 %x) {\n  %r = mul i32 %x, 2\n  ret i32 %r\n}\n",
    "BIGINT": "define i64 @twice_i64(i64 %x) {\n  %r = mul i64 %x, 2\n  ret i64 %r\n}\n",
    "DOUBLE": "define double @twice_f64(double %x) {\n"
              "  %r = fmul double %x, 2.000000e+00\n  ret double %r\n}\n",
}

ROWS = 30_000
FILES = 3


def _wait_port(port, proc, what, log):
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited early ({proc.returncode}):\n{_tail(log)}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not listen on {port}:\n{_tail(log)}", pytrace=False)
        time.sleep(0.1)


class Process:
    def __init__(self, what, cmd, log):
        self.what, self.log = what, log
        env = dict(os.environ, RUST_LOG="info")
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)

    def text(self):
        return self.log.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Scheduler and two executors; yields (scheduler port, [executor Process])."""
    bin_dir = _server_binary().parent
    base = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    scheduler = Process("udf-scheduler", [
        str(bin_dir / "udf-scheduler"), "--bind", "127.0.0.1", "--port", str(port),
    ], base / "scheduler.log")
    _wait_port(port, scheduler.proc, "udf-scheduler", scheduler.log)
    executors = []
    for i in range(2):
        flight, grpc = _free_port(), _free_port()
        work = base / f"executor{i}"
        work.mkdir()
        executor = Process(f"udf-executor {i}", [
            str(bin_dir / "udf-executor"), "--scheduler", f"ballista://127.0.0.1:{port}",
            "--bind", "127.0.0.1", "--flight-port", str(flight), "--grpc-port", str(grpc),
            "--concurrent-tasks", "1", "--work-dir", str(work),
        ], base / f"executor{i}.log")
        _wait_port(flight, executor.proc, executor.what, executor.log)
        executors.append(executor)
    yield port, executors, scheduler
    for p in executors + [scheduler]:
        p.stop()


@pytest.fixture(scope="module")
def servers(cluster, tmp_path_factory):
    """(cluster-mode udf-server, embedded udf-server)."""
    port = cluster[0]
    metrics = _free_port()
    clustered = _run_server(tmp_path_factory, "udf-server-cluster",
                            extra=["--cluster", f"ballista://127.0.0.1:{port}",
                                   "--metrics-port", str(metrics)])
    embedded = _run_server(tmp_path_factory, "udf-server-embedded")
    c, e = next(clustered), next(embedded)
    c.metrics_port = metrics
    yield c, e
    for gen in (clustered, embedded):
        try:
            next(gen)
        except StopIteration:
            pass


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory):
    """A table as Parquet files in a folder every executor reads: id, a INT (NULLs), b
    DOUBLE (NULLs), c BIGINT, g INT (group key)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("shared") / "facts"
    folder.mkdir()
    per_file = ROWS // FILES
    for f in range(FILES):
        ids = list(range(f * per_file, (f + 1) * per_file))
        table = pa.table({
            "id": pa.array(ids, pa.int64()),
            "a": pa.array([None if i % 7 == 0 else i % 1000 - 500 for i in ids], pa.int32()),
            "b": pa.array([None if i % 11 == 0 else i / 8.0 for i in ids], pa.float64()),
            "c": pa.array([i * 3 for i in ids], pa.int64()),
            "g": pa.array([i % 5 for i in ids], pa.int32()),
        })
        pq.write_table(table, folder / f"part-{f}.parquet")
    return folder


@pytest.fixture(scope="module")
def prepared(servers, parquet_dir):
    """The servers, each with the query set's tables and functions."""
    dbs = [_setup(s, parquet_dir) for s in servers]
    yield servers
    for db in dbs:
        try:
            db.unregister()
        except Exception:
            pass


def _setup(server, parquet_dir):
    """Creates the tables and functions of the query set on `server` through Thrift."""
    conn = heavydb.connect(**server.connect_kwargs())
    cur = conn.cursor()
    cur.execute(f"CREATE EXTERNAL TABLE facts STORED AS PARQUET LOCATION '{parquet_dir}/'")
    cur.execute("CREATE TABLE dims (g INT, label TEXT, weight DOUBLE)")
    cur.execute("INSERT INTO dims VALUES (0, 'zero', 0.5), (1, 'one', 1.5), (2, 'two', NULL), "
                "(3, 'three', 3.5), (4, 'four', 4.5)")
    for ty, ir in TWICE.items():
        symbol = re.search(r"@(\w+)", ir).group(1)
        cur.execute(f"CREATE FUNCTION twice({ty}) RETURNS {ty} LANGUAGE llvm "
                    f"AS $${ir}$$, '{symbol}'")
    conn.close()

    db = make_remote_heavydb(server)

    @db("double(double, double)")
    def hyp(x, y):
        return math.sqrt(x * x + y * y)

    @db("int64(int32, int64)")
    def mix(x, y):
        return x * 10 + y

    db.register()
    return db


QUERIES = [
    # overloads (INT, BIGINT, DOUBLE) and NULLs
    "SELECT id, twice(a), twice(c), twice(b) FROM facts WHERE id < 200 ORDER BY id",
    # rbc functions, one with mixed argument types
    "SELECT id, hyp(b, CAST(a AS DOUBLE)), mix(a, c) FROM facts WHERE id % 997 = 3 ORDER BY id",
    # aggregates over UDF results, grouped
    "SELECT g, COUNT(twice(a)), SUM(twice(a)), SUM(twice(c)), MIN(twice(b)), MAX(twice(b)) "
    "FROM facts GROUP BY g ORDER BY g",
    "SELECT COUNT(*), SUM(mix(a, c)) FROM facts WHERE twice(a) > 100",
    "SELECT g, AVG(hyp(b, b)) FROM facts GROUP BY g ORDER BY g",
    # a UDF in the join condition, over an external table and a stored one
    "SELECT d.label, COUNT(*), SUM(twice(f.c)) FROM facts f JOIN dims d ON twice(f.g) = twice(d.g) "
    "GROUP BY d.label ORDER BY d.label",
    # a stored table alone (its Arrow segments go to the executors)
    "SELECT label, twice(g), twice(weight) FROM dims ORDER BY g",
    # a subquery with a UDF
    "SELECT COUNT(*) FROM facts WHERE twice(c) > (SELECT MAX(twice(g)) * 1000 FROM dims)",
]


def _rows(server, sql):
    conn = heavydb.connect(**server.connect_kwargs())
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


def _same(a, b):
    """Rows equal; doubles equal to 1e-12 relative (sums over partitions add in another
    order on the cluster)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12):
                    return False
            elif x != y:
                return False
    return True


def _cluster_queries(server):
    """udf_cluster_queries_total from the server's metrics: (cluster, local)."""
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics").read()
    found = dict(re.findall(r'udf_cluster_queries_total\{ran="(\w+)"\} (\d+)', text.decode()))
    return int(found["cluster"]), int(found["local"])


def _shipped_hashes(executors):
    pattern = re.compile(r"compiled a shipped function.*?function=(\w+).*?hash=([0-9a-f]{64})")
    found = set()
    for e in executors:
        for m in pattern.finditer(e.text()):
            found.add((m.group(1), m.group(2)))
    return found


def test_query_set_matches_embedded_mode(cluster, prepared):
    _, executors, scheduler = cluster
    clustered, embedded = prepared
    for sql in QUERIES:
        want = _rows(embedded, sql)
        got = _rows(clustered, sql)
        assert want, f"no rows: {sql}"
        assert _same(got, want), f"{sql}\ncluster:  {got[:5]}\nembedded: {want[:5]}"
    # udf-server sent them (every query of the set reads a table) to the cluster.
    shipped, local = _cluster_queries(clustered)
    assert shipped >= len(QUERIES), (shipped, local)
    # The queries ran on the executors: they compiled the shipped functions themselves,
    # every one of them used.
    names = {name for name, _ in _shipped_hashes(executors)}
    assert {"twice", "hyp", "mix"} <= names, names
    # Both executors took tasks.
    for e in executors:
        assert "compiled a shipped function" in e.text(), f"{e.what} ran nothing:\n{_tail(e.log)}"
    for p in executors + [scheduler]:
        assert p.proc.poll() is None, f"{p.what} died:\n{_tail(p.log)}"


def test_a_replaced_function_reaches_running_executors(cluster, prepared):
    _, executors, _ = cluster
    clustered, embedded = prepared
    pids = [e.proc.pid for e in executors]
    sql = "SELECT SUM(twice(c)) FROM facts"
    before = _rows(clustered, sql)
    assert before == _rows(embedded, sql)
    hashes_before = _shipped_hashes(executors)
    for server in prepared:
        conn = heavydb.connect(**server.connect_kwargs())
        conn.cursor().execute(
            "CREATE OR REPLACE FUNCTION twice(BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$"
            "define i64 @twice_i64(i64 %x) {\n  %r = mul i64 %x, 3\n  ret i64 %r\n}\n$$, "
            "'twice_i64'")
        conn.close()
    after = _rows(clustered, sql)
    assert after == _rows(embedded, sql)
    assert after[0][0] * 2 == before[0][0] * 3, (before, after)
    new = {h for name, h in _shipped_hashes(executors) - hashes_before if name == "twice"}
    assert new, "no executor compiled the replacement"
    assert [e.proc.pid for e in executors] == pids
    assert all(e.proc.poll() is None for e in executors)


def test_cluster_setting_is_per_session(prepared):
    clustered, _ = prepared
    strict = heavydb.connect(**clustered.connect_kwargs())
    other = heavydb.connect(**clustered.connect_kwargs())
    try:
        cur = strict.cursor()
        with pytest.raises(heavydb.exceptions.Error, match="'auto', 'on' or 'off'"):
            cur.execute("SET udf.cluster = 'sometimes'")
        cur.execute("SET udf.cluster = 'on'")
        sql = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'facts'"
        # Catalog tables live in udf-server: `on` refuses, naming why.
        with pytest.raises(heavydb.exceptions.Error,
                           match="cannot run on the cluster: .*information_schema"):
            cur.execute(sql)
        # Other sessions keep `auto`, which answers them here.
        cur2 = other.cursor()
        cur2.execute(sql)
        assert cur2.fetchall() == [(1,)]
        # `on` still runs what the executors can read.
        cur.execute("SELECT COUNT(twice(a)) FROM facts")
        assert cur.fetchall() == [(ROWS - (ROWS + 6) // 7,)]
    finally:
        strict.close()
        other.close()


def test_a_stopped_statement_cancels_its_job(cluster, prepared):
    _, _, scheduler = cluster
    clustered, _ = prepared
    conn = heavydb.connect(**clustered.connect_kwargs())
    cur = conn.cursor()
    try:
        cur.execute("CREATE TABLE slow AS SELECT value AS a, value * 7 % 1000 AS b "
                    "FROM generate_series(1, 200000)")
        cur.execute("SET statement_timeout = 300")
        # 40M joined rows: seconds of work, far more than the timeout.
        with pytest.raises(heavydb.exceptions.Error, match="statement timed out"):
            cur.execute("SELECT COUNT(*), SUM(twice(t1.a) + t2.b) FROM slow t1 "
                        "JOIN slow t2 ON t1.b = t2.b")
        deadline = time.monotonic() + 10
        while "Job cancelled" not in scheduler.text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Job cancelled" in scheduler.text(), _tail(scheduler.log)
        # The session goes on.
        cur.execute("SET statement_timeout = 0")
        cur.execute("SELECT COUNT(*) FROM slow")
        assert cur.fetchall() == [(200_000,)]
    finally:
        conn.close()


def test_a_query_survives_an_executor_killed_under_it(tmp_path_factory):
    """Its own scheduler (3 s executor timeout) and two executors: one is SIGKILLed while
    a join runs; its tasks run again on the other, and the result is right."""
    import threading

    bin_dir = _server_binary().parent
    base = tmp_path_factory.mktemp("dying")
    port = _free_port()
    procs = [Process("udf-scheduler", [
        str(bin_dir / "udf-scheduler"), "--port", str(port), "--executor-timeout-s", "3",
    ], base / "scheduler.log")]
    _wait_port(port, procs[0].proc, "udf-scheduler", procs[0].log)
    for i in range(2):
        flight = _free_port()
        procs.append(Process(f"udf-executor {i}", [
            str(bin_dir / "udf-executor"), "--scheduler", f"ballista://127.0.0.1:{port}",
            "--flight-port", str(flight), "--grpc-port", str(_free_port()),
            "--concurrent-tasks", "1", "--heartbeat-interval-s", "1",
            "--work-dir", str(base),
        ], base / f"executor{i}.log"))
        _wait_port(flight, procs[-1].proc, procs[-1].what, procs[-1].log)
    scheduler, victim = procs[0], procs[2]
    gen = _run_server(tmp_path_factory, "udf-server-dying",
                      extra=["--cluster", f"ballista://127.0.0.1:{port}"])
    server = next(gen)
    try:
        conn = heavydb.connect(**server.connect_kwargs())
        cur = conn.cursor()
        cur.execute("CREATE TABLE big AS SELECT value AS a, value * 7 % 1000 AS b "
                    "FROM generate_series(1, 2000000)")
        cur.execute("CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $$"
                    "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n"
                    "  ret i64 %r\n}\n$$")
        conn.close()
        sql = ("SELECT COUNT(*), SUM(add(t1.a, t2.b)) FROM big t1 "
               "JOIN big t2 ON t1.a = t2.a + 1")
        result = {}

        def run():
            try:
                result["rows"] = _rows(server, sql)
            except Exception as e:  # reported below
                result["error"] = e

        query = threading.Thread(target=run)
        query.start()
        # Kill it once it is running a task of this query.
        deadline = time.monotonic() + 60
        while "Execute task" not in victim.text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Execute task" in victim.text(), _tail(victim.log)
        victim.proc.kill()
        query.join(timeout=120)
        assert not query.is_alive(), "the query did not finish"
        assert "error" not in result, result.get("error")
        n = 2_000_000 - 1
        # t1.a = k + 1, t2.a = k for k in 1..n: sum of (k + 1) + (k * 7 % 1000).
        want = sum(k + 1 + k * 7 % 1000 for k in range(1, n + 1))
        assert result["rows"] == [(n, want)]
        assert server.proc.poll() is None
    finally:
        try:
            next(gen)
        except StopIteration:
            pass
        for p in procs:
            p.stop()

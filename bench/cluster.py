"""Cluster mode against embedded mode: the 10M-row UDF queries of `run.sh` through
pyheavydb, on an embedded udf-server and on udf-server in cluster mode with 1 and then 2
`udf-executor`s (one machine, loopback), plus the per-query scheduling overhead (a
1-row query, cluster minus embedded). Every setup runs in this one process run, so the
ratios compare like with like; medians of --runs after one warm-up.

Usage: python bench/cluster.py --bin-dir DIR [--rows N] [--runs N]
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import heavydb

REPO = Path(__file__).resolve().parents[1]
HYPEXP_IR = REPO.parent / "shared/ir-samples/remotejit/numba068_hypexp_daddA.cpu.ll"
ADD_IR = "define i64 @add(i64 %a, i64 %b) {\n  %r = add i64 %a, %b\n  ret i64 %r\n}\n"

QUERIES = [
    ("add", "udf", "SELECT sum(add(a, b)) FROM t"),
    ("add", "builtin", "SELECT sum(a + b) FROM t"),
    ("hypexp", "udf", "SELECT sum(hypexp(x, y)) FROM t"),
    ("hypexp", "builtin", "SELECT sum(sqrt(x * x + y * y) * exp(-x)) FROM t"),
    ("grouped", "udf", "SELECT b % 10, sum(add(a, b)) FROM t GROUP BY b % 10"),
    ("grouped", "builtin", "SELECT b % 10, sum(a + b) FROM t GROUP BY b % 10"),
    ("overhead", "one_row", "SELECT count(*) FROM one"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, log):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{proc.args[0]} exited:\n{Path(log).read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{proc.args[0]} did not listen on {port}")


class Procs:
    def __init__(self, tmp):
        self.tmp, self.procs = tmp, []

    def start(self, name, cmd, port):
        log = self.tmp / f"{name}.log"
        env = dict(os.environ, RUST_LOG="warn")
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.procs.append(proc)
        wait_port(port, proc, log)
        return proc

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def server(procs, bin_dir, name, cluster=None):
    port = free_port()
    data = procs.tmp / f"{name}-data"
    cmd = [str(bin_dir / "udf-server"), "--port", str(port), "--data-dir", str(data),
           "--query-memory-mb", "0"]
    if cluster:
        cmd += ["--cluster", cluster]
    procs.start(name, cmd, port)
    return port


def sql(port, text):
    conn = heavydb.connect(user="admin", password="HyperInteractive", host="127.0.0.1",
                           port=port, dbname="heavyai")
    try:
        cur = conn.cursor()
        cur.execute(text)
        return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def setup(port, rows):
    sql(port, f"CREATE TABLE t AS SELECT value AS a, value * 7 % 1000 AS b, "
              f"CAST(value AS DOUBLE) / 1e7 AS x, CAST(value % 1000 AS DOUBLE) / 1000.0 AS y "
              f"FROM generate_series(1, {rows})")
    sql(port, "CREATE TABLE one AS SELECT 1 AS v")
    sql(port, f"CREATE FUNCTION add(BIGINT, BIGINT) RETURNS BIGINT LANGUAGE llvm AS $${ADD_IR}$$")
    sql(port, "CREATE FUNCTION hypexp(DOUBLE, DOUBLE) RETURNS DOUBLE LANGUAGE llvm AS "
              f"$${HYPEXP_IR.read_text()}$$")


def measure(port, runs):
    # The table's segment files were just written: let their write-back finish, then
    # warm up every query (compiles, caches, page cache) before timing any.
    os.sync()
    results = {(group, kind): sql(port, text) for group, kind, text in QUERIES}
    times = {}
    for group, kind, text in QUERIES:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            sql(port, text)
            samples.append((time.perf_counter() - start) * 1000)
        times[(group, kind)] = statistics.median(samples)
    return times, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cores = os.cpu_count()
    setups = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        procs = Procs(tmp)
        try:
            port = server(procs, args.bin_dir, "embedded")
            setup(port, args.rows)
            setups["embedded"] = measure(port, args.runs)
            procs.stop()
            for executors in (1, 2):
                sched = free_port()
                procs.start(f"scheduler{executors}", [
                    str(args.bin_dir / "udf-scheduler"), "--port", str(sched)], sched)
                for i in range(executors):
                    flight, grpc = free_port(), free_port()
                    procs.start(f"executor{executors}-{i}", [
                        str(args.bin_dir / "udf-executor"),
                        "--scheduler", f"ballista://127.0.0.1:{sched}",
                        "--flight-port", str(flight), "--grpc-port", str(grpc),
                        # The same cores in all: split between the executors.
                        "--concurrent-tasks", str(max(1, cores // executors)),
                        "--work-dir", str(tmp / f"work{executors}-{i}")], flight)
                port = server(procs, args.bin_dir, f"cluster{executors}",
                              cluster=f"ballista://127.0.0.1:{sched}")
                setup(port, args.rows)
                setups[f"{executors} executor{'s' if executors > 1 else ''}"] = measure(
                    port, args.runs)
                procs.stop()
        finally:
            procs.stop()

    embedded_times, embedded_results = setups["embedded"]
    print(f"rows: {args.rows}, runs: {args.runs} (median ms, through pyheavydb), cores: {cores}")
    names = list(setups)
    print(f"{'query':<26}" + "".join(f"{n:>14}" for n in names))
    for group, kind, _ in QUERIES:
        row = f"{group + '/' + kind:<26}"
        for n in names:
            times, results = setups[n]
            ok = "" if results[(group, kind)] is not None and _close(
                results[(group, kind)], embedded_results[(group, kind)]) else "!"
            row += f"{times[(group, kind)]:>13.1f}{ok or ' '}"
        print(row)
    print("\nratios (same setup): UDF / built-in")
    for group in ("add", "hypexp", "grouped"):
        print(f"  {group:<10}" + "".join(
            f"{setups[n][0][(group, 'udf')] / setups[n][0][(group, 'builtin')]:>14.2f}"
            for n in names))
    print("\nratios: setup / embedded (same query)")
    for group, kind, _ in QUERIES:
        print(f"  {group + '/' + kind:<24}" + "".join(
            f"{setups[n][0][(group, kind)] / embedded_times[(group, kind)]:>14.2f}"
            for n in names))
    print("\nper-query scheduling overhead (1-row query, cluster - embedded):")
    for n in names[1:]:
        print(f"  {n}: {setups[n][0][('overhead', 'one_row')] - embedded_times[('overhead', 'one_row')]:.1f} ms")
    print("('!' marks a result that differs from embedded mode)")


def _close(a, b):
    if len(a) != len(b):
        return False
    for ra, rb in zip(sorted(a), sorted(b)):
        for x, y in zip(ra, rb):
            if isinstance(x, float):
                if abs(x - y) > 1e-9 * max(1.0, abs(y)):
                    return False
            elif x != y:
                return False
    return True


if __name__ == "__main__":
    main()

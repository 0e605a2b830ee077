"""Measures udf_client's direct-call path against a udf-server:

* decorate → first call: from entering ``@client.udf(...)`` (Numba compile, one
  registration with the server, the server's compile) to the first result of ``add(1, 2)``,
  cold (the first function of the process: Numba's lazy initialisation included) and warm;
* the round trip of ``add(1, 2)`` over loopback: p50/p90/p99 of N calls, after a warm-up,
  through ``udf_call`` and through the SQL fallback (``SELECT add(1, 2)``), and the p50 of
  ``get_version`` on the same connection (the protocol alone) as the baseline.

    python python/benchmarks/call_latency.py                    # starts a local udf-server
    python python/benchmarks/call_latency.py --binary target/release/udf-server
    python python/benchmarks/call_latency.py --address 127.0.0.1:6274
"""

from __future__ import annotations

import argparse
import statistics
import time

import udf_client


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def decorate_to_first_call(client, name):
    started = time.perf_counter()

    @client.udf("int64(int64, int64)", "f64(f64, f64)", name=name)
    def add(a, b):
        return a + b

    registered = time.perf_counter()
    assert add(1, 2) == 3
    done = time.perf_counter()
    numba = add.compiled.compile_seconds
    parts = (f"Numba {numba * 1e3:.0f} ms, "
             f"registration {(registered - started - numba) * 1e3:.0f} ms, "
             f"first call {(done - registered) * 1e3:.1f} ms")
    return add, parts, done - started


def round_trips(fn, calls, warmup=50):
    for _ in range(warmup):
        fn(1, 2)
    samples = []
    for _ in range(calls):
        t = time.perf_counter()
        fn(1, 2)
        samples.append(time.perf_counter() - t)
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="use this server instead of starting one")
    ap.add_argument("--binary", help="udf-server binary to start (default: as LocalServer)")
    ap.add_argument("--calls", type=int, default=1000)
    args = ap.parse_args()

    server = None
    address = args.address
    if not address:
        server = udf_client.start_local_server(binary=args.binary)
        address = server.address
        print(f"server: {server.binary}")
    try:
        results = {}
        for i, mode in enumerate(["udf_call", "sql"]):
            client = udf_client.connect(address, call_mode=mode)
            _ = client.compiler  # connect, parameters, Numba set-up: not part of "decorating"
            fn, reg, first = decorate_to_first_call(client, f"add_{mode}")
            label = "cold" if i == 0 else "warm"
            print(f"[{mode}] decorate → first call ({label}): {first * 1e3:.1f} ms ({reg})")
            samples = round_trips(fn, args.calls)
            results[mode] = samples
            if mode == "udf_call":
                # The floor of any call on this connection, same run: the protocol alone.
                floor = round_trips(lambda a, b: client._conn.call("get_version"), args.calls)
                print(f"[baseline] get_version x{args.calls}: "
                      f"p50 {statistics.median(floor) * 1e3:.3f} ms; add(1, 2) p50 is "
                      f"{statistics.median(samples) / statistics.median(floor):.2f}x that")
            path = fn.call(1, 2).path
            print(f"[{mode}] add(1, 2) x{args.calls} via {path}: "
                  f"p50 {statistics.median(samples) * 1e3:.3f} ms, "
                  f"p90 {percentile(samples, 0.9) * 1e3:.3f} ms, "
                  f"p99 {percentile(samples, 0.99) * 1e3:.3f} ms")
            client.close()
        # once more, warm, for the udf_call path
        client = udf_client.connect(address, call_mode="udf_call")
        _, reg, first = decorate_to_first_call(client, "add_again")
        print(f"[udf_call] decorate → first call (warm): {first * 1e3:.1f} ms ({reg})")
        client.close()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()

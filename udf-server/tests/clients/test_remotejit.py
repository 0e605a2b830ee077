"""The unmodified rbc RemoteJIT client (rbc-project 0.13.0) against `udf-server
--remotejit-port`: Numba compiles the Python functions to LLVM IR on the client, the
server compiles that IR with its own compiler and runs it on pickled arguments.

Function sources are those of shared/ir-samples/README.md (add, hypexp, collatz_steps,
mul, is_pos). Every test builds its own `RemoteJIT` object (the `rjit` fixture), so each
compiles what it calls; compiled functions are process-wide on the server.
"""

import ctypes
import math
import socket
import threading
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "ir-samples" / "remotejit"


def raw_call(rjit, method, *args):
    """One `remotejit:<method>` RPC through the client's own thrift layer, with exact
    arguments (what a client other than the decorator path would send)."""
    return rjit.client(remotejit={method: args})["remotejit"][method]


def test_add(rjit):
    @rjit("int64(int64, int64)")
    def add(a, b):
        return a + b

    assert add(1, 2) == 3
    assert type(add(1, 2)) is int
    assert add(-5, 2**40) == 2**40 - 5
    assert add(2**62, 2**62 - 1) == 2**63 - 1


def test_hypexp(rjit):
    @rjit("f64(f64, f64)")
    def hypexp(x, y):
        return math.sqrt(x * x + y * y) * math.exp(-x)

    got = hypexp(3.0, 4.0)
    assert type(got) is float
    assert got == pytest.approx(5.0 * math.exp(-3.0), rel=1e-12)
    # Python ints are sent as they are; the server converts them to float64.
    assert hypexp(0, 2) == pytest.approx(2.0, rel=1e-12)


def test_collatz_steps(rjit):
    @rjit("int64(int64)")
    def collatz_steps(n):
        steps = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        return steps

    assert collatz_steps(1) == 0
    assert collatz_steps(27) == 111
    assert collatz_steps(837799) == 524


def test_several_signatures_on_one_function(rjit):
    @rjit("i32(i32, i32)", "double(double, double)")
    def mul(a, b):
        return a * b

    assert mul(3, 4) == 12
    assert type(mul(3, 4)) is int
    assert mul(1.5, 2.0) == 3.0
    assert type(mul(1.5, 2.0)) is float
    # Each signature was compiled separately and registered under its own fullname.
    assert mul(-7, 6) == -42


def test_bool_result(rjit):
    @rjit("bool(float32)")
    def is_pos(x):
        return x > 0

    assert is_pos(1.5) is True
    assert is_pos(-1.5) is False
    assert is_pos(0.0) is False


def test_recompiling_a_fullname_replaces_it(remotejit_server):
    from rbc import RemoteJIT

    first = RemoteJIT(host="127.0.0.1", port=remotejit_server.remotejit_port)

    @first("int64(int64, int64)")
    def swap_me(a, b):
        return a + b

    plus = swap_me
    assert plus(10, 3) == 13

    second = RemoteJIT(host="127.0.0.1", port=remotejit_server.remotejit_port)

    @second("int64(int64, int64)")
    def swap_me(a, b):  # noqa: F811 - same name on purpose
        return a - b

    assert swap_me(10, 3) == 7
    # Compiled functions are process-wide: the first client's (cached) swap_me_lallA is
    # now the second body too, as with rbc's own server.
    assert plus(10, 3) == 7


def test_signature_mismatch_is_a_clear_error(rjit):
    @rjit("int64(int64, int64)")
    def add(a, b):
        return a + b

    # The client chooses signatures itself: no declared one takes strings.
    with pytest.raises(TypeError, match="found no matching function signature"):
        add("a", "b")

    assert add(1, 2) == 3  # compiles add_lallA
    # Wrong arity and wrong types are refused by the server, naming what was wrong.
    with pytest.raises(RuntimeError, match=r"`add_lallA` takes 2 arguments \(int64\(int64, int64\)\), got 1"):
        raw_call(rjit, "call", "add_lallA", (1,))
    with pytest.raises(RuntimeError, match="argument 2: expected int64, got float 2.5"):
        raw_call(rjit, "call", "add_lallA", (1, 2.5))
    with pytest.raises(RuntimeError, match=r"argument 1: 300 does not fit int8"):
        ir = (SAMPLES / "wire_numba061_mul_iaiiA.cpu.ll").read_text()
        ir = ir.replace("i32", "i8").replace("mul_iaiiA", "narrow_BaBBA")
        assert raw_call(rjit, "compile", "narrow", "_BaBBA", ir) is True
        raw_call(rjit, "call", "narrow_BaBBA", (300, 1))
    # IR that does not define what the signature says: the compiler names the symbol.
    ir = (SAMPLES / "wire_numba061_add_lallA.cpu.ll").read_text()
    with pytest.raises(RuntimeError, match=r"cannot compile `add`: .*add_daddA"):
        raw_call(rjit, "compile", "add", "_daddA", ir)
    with pytest.raises(RuntimeError, match=r"no such compiled function `add_daddA`\. Available functions: "):
        raw_call(rjit, "call", "add_daddA", (1.0, 2.0))


def test_unsupported_types_are_refused_by_name(rjit):
    @rjit("double(double*, int64)")
    def psum(p, n):
        s = 0.0
        for i in range(n):
            s += p[i]
        return s

    arr = (ctypes.c_double * 3)(1.0, 2.0, 3.0)
    ptr = ctypes.cast(arr, ctypes.POINTER(ctypes.c_double))
    with pytest.raises(RuntimeError, match=r"argument 1 has type float64\* \(pointers are not supported\)"):
        psum(ptr, 3)

    @rjit("complex128(complex128, complex128)")
    def cadd(a, b):
        return a + b

    with pytest.raises(RuntimeError, match=r"return type complex128 cannot be passed \(complex numbers"):
        cadd(1 + 2j, 3 - 1j)


def test_remote_python_is_refused(rjit):
    with pytest.raises(RuntimeError, match="remote python execution is disabled on udf-server"):
        rjit.python("import os; os.system('touch /tmp/pwned-by-remotejit')")
    assert not Path("/tmp/pwned-by-remotejit").exists()


def test_unknown_function_and_hostile_pickles(rjit):
    with pytest.raises(RuntimeError, match=r"no such compiled function `nope_lalA`\. Available functions:"):
        raw_call(rjit, "call", "nope_lalA", (1,))

    @rjit("int64(int64, int64)")
    def add(a, b):
        return a + b

    assert add(2, 3) == 5
    thrift = rjit.client.thrift
    for payload, message in [
        (b"\x80\x04cos\nsystem\n(X\x02\x00\x00\x00lstR.", "`os.system`, which udf-server does not unpickle"),
        (b"\x80\x04]\x94(K\x01K\x02e.", r"0x5d \(EMPTY_LIST\)"),
        (b"\x80\x04K\x01", "the pickle ends inside an opcode"),
        (b"garbage", "unsupported pickle opcode"),
    ]:
        data = thrift.Data(kind=thrift.DataKind.DATA_PICKLED, info="None", data=payload)
        with pytest.raises(RuntimeError, match=message):
            raw_call(rjit, "call", "add_lallA", data)
    assert add(2, 3) == 5


def test_garbage_bytes_leave_the_server_serving(rjit, remotejit_server):
    port = remotejit_server.remotejit_port
    for junk in [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x80\x01\x00\x01\x7f\xff\xff\xff",           # a 2 GiB method name
        b"\x80\x01\x00\x01\x00\x00\x00\x0bremotejit:x\x00\x00\x00\x00\x00",  # unknown method
        b"\x80\x01\x00\x01\x00\x00\x00\x0eremotejit:call\x00\x00\x00\x00\x0c\x00\x02\x0f",
        bytes(range(256)) * 4,
    ]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        # Every one gets an answer (a Thrift exception) and the connection is closed.
        assert reply.startswith(b"\x80\x01\x00\x03"), (junk[:20], reply[:60])
    # An idle connection that never sends a byte does not block anyone either.
    idle = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        @rjit("int64(int64, int64)")
        def add(a, b):
            return a + b

        assert add(20, 22) == 42
    finally:
        idle.close()


def test_targets_describe_the_host_cpu(rjit):
    targets = rjit.targets
    assert list(targets) == ["cpu"]
    cpu = targets["cpu"]
    assert cpu.is_cpu and not cpu.is_gpu
    assert cpu.triple.startswith(("x86_64", "aarch64"))
    assert cpu.sizeof("size_t") == 8 and cpu.sizeof("int") == 4
    # Only libm is offered: the server's IR policy refuses everything else.
    assert [lib.name for lib in cpu._supported_libraries] == ["m"]
    assert cpu.supports("sqrt") and cpu.supports("exp")
    assert not cpu.supports("printf") and not cpu.supports("malloc")


def test_concurrent_clients(remotejit_server):
    """8 threads calling at once, each on its own connections. They send `call` through
    the client's thrift layer: rbc's decorator path keeps a process-global target (its
    `TargetInfo` context asserts when two threads enter it), so it is not thread-safe on
    the client side."""
    from rbc import RemoteJIT

    port = remotejit_server.remotejit_port
    rjit = RemoteJIT(host="127.0.0.1", port=port)

    @rjit("int64(int64, int64)")
    def add(a, b):
        return a + b

    assert add(1, 1) == 2
    clients = [RemoteJIT(host="127.0.0.1", port=port) for _ in range(8)]
    errors, results = [], []

    def worker(k):
        try:
            for i in range(25):
                results.append(raw_call(clients[k], "call", "add_lallA", (k, i)) == k + i)
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 200 and all(results)

"""Fixtures for driving the real HeavyDB Python clients against the udf-server binary.

The server is started once per pytest session on a free loopback port with a temporary
data directory; every test gets its own client objects and unique table names.

Binary lookup: $UDF_SERVER_BIN, else $CARGO_TARGET_DIR/debug/udf-server, else
<repo>/target/debug/udf-server, else ~/.cache/udf-server/target/debug/udf-server (the
CARGO_TARGET_DIR that scripts/setup.sh exports). A missing binary is an error, not a skip.
"""

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent

ADMIN_USER = "admin"
ADMIN_PASSWORD = "HyperInteractive"  # default admin password on loopback
DBNAME = "heavyai"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def _server_binary() -> Path:
    env = os.environ.get("UDF_SERVER_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            pytest.fail(f"UDF_SERVER_BIN={env} does not exist", pytrace=False)
        return path
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates = [Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "udf-server"]
    else:
        candidates = [
            REPO / "target" / "debug" / "udf-server",
            Path.home() / ".cache" / "udf-server" / "target" / "debug" / "udf-server",
        ]
    for path in candidates:
        if path.is_file():
            return path
    pytest.fail(
        "udf-server binary not found (looked at "
        + ", ".join(str(p) for p in candidates)
        + "). Build it with `cargo build -p udf-server --bin udf-server` "
        "or point UDF_SERVER_BIN at it.",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no output>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


@dataclass
class Server:
    host: str
    port: int
    proc: subprocess.Popen
    stderr_path: Path
    data_dir: Path
    user: str = ADMIN_USER
    password: str = ADMIN_PASSWORD
    dbname: str = DBNAME
    binary: Path = field(default=None)
    remotejit_port: int | None = None

    def stderr_tail(self, lines: int = 60) -> str:
        return _tail(self.stderr_path, lines)

    def check_alive(self):
        rc = self.proc.poll()
        if rc is not None:
            pytest.fail(
                f"udf-server exited with code {rc}; stderr tail:\n{self.stderr_tail()}",
                pytrace=False,
            )

    def connect_kwargs(self, **over):
        kw = dict(
            user=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            dbname=self.dbname,
        )
        kw.update(over)
        return kw


_SERVER = None  # for the report hook


def pytest_configure(config):
    # The pinned clients use numpy/pandas APIs that numpy 1.26 / pandas 2.2 deprecate
    # (rbc: numpy.str0/bool8; heavyai: DataFrame.swapaxes, fillna downcasting).
    for line in (
        "ignore:`np.str0` is a deprecated alias:DeprecationWarning",
        "ignore:`np.bool8` is a deprecated alias:DeprecationWarning",
        "ignore::FutureWarning:heavyai",
        "ignore::DeprecationWarning:heavyai",
    ):
        config.addinivalue_line("filterwarnings", line)


def _run_server(tmp_path_factory, name: str, remotejit: bool = False, extra=()):
    """Starts udf-server on free loopback ports with its own data dir (`extra`: more
    flags), yields it once it accepts connections (on the RemoteJIT port, with
    `remotejit`), then stops it with
    SIGTERM and fails unless it exits with code 0 in time."""
    binary = _server_binary()
    base = tmp_path_factory.mktemp(name)
    data_dir = base / "data"
    data_dir.mkdir()
    stderr_path = base / "stderr.log"
    stdout_path = base / "stdout.log"
    port = _free_port()
    env = dict(os.environ)
    env.pop("UDF_ADMIN_PASSWORD", None)
    env.pop("UDF_REMOTEJIT_BIND", None)
    env["RUST_LOG"] = "info"
    cmd = [
        str(binary),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--data-dir", str(data_dir),
    ]
    rjit_port = None
    if remotejit:
        rjit_port = _free_port()
        while rjit_port == port:
            rjit_port = _free_port()
        cmd += ["--remotejit-port", str(rjit_port)]
    cmd += list(extra)
    with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    srv = Server(host="127.0.0.1", port=port, proc=proc, stderr_path=stderr_path,
                 data_dir=data_dir, binary=binary, remotejit_port=rjit_port)

    ready_port = rjit_port if remotejit else port
    what = "RemoteJIT connections" if remotejit else "connections"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        rc = proc.poll()
        if rc is not None:
            pytest.fail(
                f"udf-server exited early with code {rc}: {' '.join(cmd)}\n"
                f"stderr tail:\n{srv.stderr_tail()}",
                pytrace=False,
            )
        try:
            with socket.create_connection(("127.0.0.1", ready_port), timeout=1):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(
                f"udf-server did not accept {what} on port {ready_port} within "
                f"{START_TIMEOUT_S} s\nstderr tail:\n{srv.stderr_tail()}",
                pytrace=False,
            )
        time.sleep(0.1)

    yield srv

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(
                f"udf-server did not exit within {STOP_TIMEOUT_S} s of SIGTERM\n"
                f"stderr tail:\n{srv.stderr_tail()}",
                pytrace=False,
            )
    else:
        rc = proc.returncode
    assert rc == 0, f"udf-server exited with code {rc}\nstderr tail:\n{srv.stderr_tail()}"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    global _SERVER
    for srv in _run_server(tmp_path_factory, "udf-server"):
        _SERVER = srv
        yield srv
        _SERVER = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for label, srv in (("udf-server", _SERVER), ("udf-server (remotejit)", _REMOTEJIT_SERVER)):
            if srv is None:
                continue
            state = "running" if srv.proc.poll() is None else f"exited ({srv.proc.returncode})"
            rep.sections.append((f"{label} stderr tail ({state})", srv.stderr_tail(40)))


# --------------------------------------------------------------------------- RemoteJIT

_REMOTEJIT_SERVER = None  # for the report hook


@pytest.fixture(scope="session")
def remotejit_server(tmp_path_factory):
    """udf-server with `--remotejit-port <free>` on loopback (rbc RemoteJIT protocol): its
    own process and data dir, so the RemoteJIT tests cannot disturb the HeavyDB ones, and
    vice versa."""
    global _REMOTEJIT_SERVER
    for srv in _run_server(tmp_path_factory, "udf-server-remotejit", remotejit=True):
        _REMOTEJIT_SERVER = srv
        yield srv
        _REMOTEJIT_SERVER = None


@pytest.fixture
def rjit(remotejit_server):
    """A fresh, unmodified `rbc.RemoteJIT` client on the server's RemoteJIT port. host is
    always given: rbc replaces 'localhost' by the machine's LAN address."""
    from rbc import RemoteJIT

    remotejit_server.check_alive()
    yield RemoteJIT(host="127.0.0.1", port=remotejit_server.remotejit_port)
    remotejit_server.check_alive()


# --------------------------------------------------------------------------- HeavyDB


@pytest.fixture
def alive(server):
    """The server, checked to be still running before and after the test."""
    server.check_alive()
    yield server
    server.check_alive()


# --------------------------------------------------------------------------- clients


@pytest.fixture
def conn(alive):
    """A pyheavydb connection (one TCP connection, session from `connect`)."""
    import heavydb

    c = heavydb.connect(**alive.connect_kwargs())
    yield c
    c.close()


@pytest.fixture
def connect(alive):
    """Factory for extra pyheavydb connections; all are closed after the test."""
    import heavydb

    made = []

    def make(**over):
        c = heavydb.connect(**alive.connect_kwargs(**over))
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def hai(alive):
    """A heavyai connection (pyheavydb subclass with Arrow/columnar loaders)."""
    import heavyai

    c = heavyai.connect(**alive.connect_kwargs())
    yield c
    c.close()


def make_remote_heavydb(server, **options):
    """rbc RemoteHeavyDB. host and dbname are always passed: with host='localhost' rbc
    replaces the host by the LAN IP, and with dbname=None it calls get_version on
    localhost:6274 whatever port was given."""
    from rbc.heavydb import RemoteHeavyDB

    return RemoteHeavyDB(
        user=server.user,
        password=server.password,
        host="127.0.0.1",
        port=server.port,
        dbname=server.dbname,
        **options,
    )


@pytest.fixture
def rbc_heavydb(alive):
    """A fresh rbc RemoteHeavyDB; its runtime functions are unregistered afterwards so
    tests do not see each other's UDFs (registration is global and replace-all)."""
    db = make_remote_heavydb(alive)
    yield db
    try:
        if db._session_id is not None:
            db.unregister()
    except Exception:  # the test's own assertions matter more
        pass


@pytest.fixture
def thrift_client(alive):
    """pyheavydb's generated Thrift client on its own TCP connection (buffered, strict
    binary), for calling methods with exact arguments. Yields (client, session)."""
    from heavydb.thrift.Heavy import Client
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport

    sock = TSocket.TSocket(alive.host, alive.port)
    sock.setTimeout(60_000)
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    client = Client(TBinaryProtocol.TBinaryProtocol(transport))
    session = client.connect(alive.user, alive.password, alive.dbname)
    yield client, session
    try:
        client.disconnect(session)
    except Exception:
        pass
    transport.close()


# --------------------------------------------------------------------------- names


@pytest.fixture
def unique_name(request):
    """unique_name('t') -> 't_<test name>_<8 hex>' (lower case, [a-z0-9_])."""

    def make(prefix="t"):
        stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:24]
        return f"{prefix}_{stem}_{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def table(conn, unique_name):
    """A unique table name, dropped (IF EXISTS) after the test."""
    name = unique_name("t")
    yield name
    try:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:
        pass

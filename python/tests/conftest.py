"""Fixtures: the real udf-server binary, started once per session on a free loopback port
with a temporary data directory (the approach of udf-server/tests/clients/conftest.py,
through udf_client.LocalServer).

Binary lookup: $UDF_SERVER_BIN, else $CARGO_TARGET_DIR/debug/udf-server, else
~/.cache/udf-server/target/debug/udf-server, else PATH. A missing binary is an error, not
a skip.
"""

from __future__ import annotations

import re
import uuid

import pytest

import udf_client
from udf_client.server import LocalServer, find_server_binary

_SERVER = None


@pytest.fixture(scope="session")
def server():
    global _SERVER
    try:
        binary = find_server_binary()
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)
    srv = LocalServer(binary)
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    _SERVER = srv
    yield srv
    _SERVER = None
    rc = srv.stop()
    assert rc == 0, f"udf-server exited with code {rc}\n{srv.final_log}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _SERVER is not None:
        state = "running" if _SERVER.running() else f"exited ({_SERVER.proc.returncode})"
        rep.sections.append((f"udf-server log tail ({state})", _SERVER.log_tail(40)))


@pytest.fixture
def alive(server):
    """The server, checked to be running before and after the test."""
    assert server.running(), server.log_tail()
    yield server
    assert server.running(), server.log_tail()


@pytest.fixture
def client(alive):
    """A udf_client session (direct calls: udf_call when available, else SQL)."""
    c = udf_client.connect(alive.address, user="admin", password="HyperInteractive",
                           database="heavyai")
    yield c
    c.close()


@pytest.fixture(params=["auto", "sql"])
def any_client(alive, request):
    """Clients for both direct-call paths: "auto" (udf_call if the IDL and server have it)
    and "sql" (SELECT f(...))."""
    c = udf_client.connect(alive.address, call_mode=request.param)
    yield c
    c.close()


@pytest.fixture
def unique_name(request):
    """unique_name('t') -> 't_<test name>_<8 hex>'."""

    def make(prefix="t"):
        stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:24]
        return f"{prefix}_{stem}_{uuid.uuid4().hex[:8]}"

    return make

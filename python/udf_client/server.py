"""Starting a local ``udf-server`` (for notebooks and tests).

.. code-block:: python

    with udf_client.start_local_server() as server:      # free port, temporary data dir
        client = udf_client.connect(server.address)

Binary lookup (:func:`find_server_binary`): ``$UDF_SERVER_BIN``, else
``$CARGO_TARGET_DIR/debug/udf-server``, else ``~/.cache/udf-server/target/debug/udf-server``
(the target directory ``scripts/setup.sh`` uses), else ``udf-server`` on ``PATH``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["find_server_binary", "free_port", "LocalServer", "start_local_server"]


def find_server_binary() -> Path:
    """The ``udf-server`` executable to start; FileNotFoundError says where it looked."""
    env = os.environ.get("UDF_SERVER_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            raise FileNotFoundError(f"UDF_SERVER_BIN={env} does not exist")
        return path
    candidates: List[Path] = []
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "udf-server")
    candidates.append(Path.home() / ".cache" / "udf-server" / "target" / "debug" / "udf-server")
    for path in candidates:
        if path.is_file():
            return path
    found = shutil.which("udf-server")
    if found:
        return Path(found)
    raise FileNotFoundError(
        "udf-server binary not found (looked at "
        + ", ".join(str(p) for p in candidates)
        + " and PATH). Build it with `cargo build -p udf-server --bin udf-server` "
        "or point UDF_SERVER_BIN at it."
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A ``udf-server`` child process on loopback.

    The admin password is HeavyDB's default (``HyperInteractive``) unless ``password`` is
    given; ``stop()`` sends SIGTERM (graceful stop) and returns the exit code.
    """

    def __init__(
        self,
        binary: Optional[os.PathLike] = None,
        *,
        port: Optional[int] = None,
        data_dir: Optional[os.PathLike] = None,
        password: Optional[str] = None,
        args: Sequence[str] = (),
        env: Optional[Dict[str, str]] = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.binary = Path(binary) if binary else find_server_binary()
        self.port = port or free_port()
        self.host = "127.0.0.1"
        # Log (and, unless given, the data directory) live in a temporary directory that
        # stop() removes.
        self._tmp: Optional[str] = tempfile.mkdtemp(prefix="udf-server-")
        if data_dir is None:
            data_dir = Path(self._tmp) / "data"
            Path(data_dir).mkdir()
        self.data_dir = Path(data_dir)
        self.log_path = Path(self._tmp) / "server.log"
        self.password = password or "HyperInteractive"
        self.args = list(args)
        self.start_timeout = start_timeout
        self._env = dict(os.environ if env is None else env)
        for key in ("UDF_ADMIN_PASSWORD", "UDF_CONFIG"):
            self._env.pop(key, None)
        if password:
            self._env["UDF_ADMIN_PASSWORD"] = password
        self._env.setdefault("RUST_LOG", "info")
        self.proc: Optional[subprocess.Popen] = None
        self.final_log = ""
        """The log's last lines, kept by stop() before the temporary directory goes."""

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, for :func:`udf_client.connect`."""
        return f"{self.host}:{self.port}"

    def start(self) -> "LocalServer":
        """Starts the process and waits until it accepts connections."""
        cmd = [str(self.binary), "--bind", self.host, "--port", str(self.port),
               "--data-dir", str(self.data_dir), *self.args]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self._env)
        atexit.register(self.stop)  # a notebook kernel that exits takes its server along
        deadline = time.monotonic() + self.start_timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise RuntimeError(
                    f"udf-server exited with code {rc} at start: {' '.join(cmd)}\n"
                    f"{self.log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(
                    f"udf-server did not accept connections on port {self.port} within "
                    f"{self.start_timeout} s\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server logged."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"
        return "\n".join(text.splitlines()[-lines:]) or "<empty log>"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> Optional[int]:
        """SIGTERM, wait up to ``timeout`` s (then SIGKILL); returns the exit code."""
        if self.proc is None:
            return None
        atexit.unregister(self.stop)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        if self._tmp is not None:
            self.final_log = self.log_tail(200)
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        return rc

    def __enter__(self) -> "LocalServer":
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running() else "stopped"
        return f"<LocalServer {self.address} ({state}) data_dir={self.data_dir}>"


def start_local_server(**kwargs: Any) -> LocalServer:
    """Starts a :class:`LocalServer` (same arguments) and returns it, running."""
    return LocalServer(**kwargs).start()

"""HeavyDB's Thrift protocol over one TCP connection (thriftpy2, binary protocol, buffered
transport), with the server's IDL shipped as package data (``heavy.thrift``)."""

from __future__ import annotations

import threading
from importlib import resources
from types import ModuleType
from typing import Any, Optional

__all__ = ["idl", "Connection", "IDL_MODULE_NAME"]

IDL_MODULE_NAME = "udf_client_heavy_thrift"

_idl: Optional[ModuleType] = None
_idl_lock = threading.Lock()


def idl() -> ModuleType:
    """The ``Heavy`` service and its structs, parsed once from the packaged IDL."""
    global _idl
    with _idl_lock:
        if _idl is None:
            import thriftpy2

            ref = resources.files("udf_client").joinpath("heavy.thrift")
            with resources.as_file(ref) as path:
                _idl = thriftpy2.load(str(path), module_name=IDL_MODULE_NAME)
        return _idl


def _factories() -> Any:
    try:  # the Cython implementations are ~10x faster; same wire format
        from thriftpy2.protocol import TCyBinaryProtocolFactory as Proto
        from thriftpy2.transport import TCyBufferedTransportFactory as Trans
    except ImportError:  # pragma: no cover - pure-Python thriftpy2 builds
        from thriftpy2.protocol import TBinaryProtocolFactory as Proto
        from thriftpy2.transport import TBufferedTransportFactory as Trans
    return Proto(), Trans()


class Connection:
    """One TCP connection to the ``Heavy`` service; calls are serialised by a lock.

    After a transport error the socket is closed and the next call opens a new one.
    """

    def __init__(self, host: str, port: int, timeout_s: float, connect_timeout_s: float = 10.0):
        self.host = host
        self.port = port
        self.timeout_ms = int(timeout_s * 1000)
        self.connect_timeout_ms = int(connect_timeout_s * 1000)
        self.module = idl()
        self._lock = threading.Lock()
        self._transport: Any = None
        self._client: Any = None

    def _open(self) -> None:
        from thriftpy2.thrift import TClient
        from thriftpy2.transport import TSocket

        proto_factory, trans_factory = _factories()
        sock = TSocket(
            self.host,
            self.port,
            socket_timeout=self.timeout_ms,
            connect_timeout=self.connect_timeout_ms,
        )
        transport = trans_factory.get_transport(sock)
        transport.open()
        self._transport = transport
        self._client = TClient(self.module.Heavy, proto_factory.get_protocol(transport))

    def has_method(self, name: str) -> bool:
        """Whether the packaged IDL declares method ``name``."""
        return name in self.module.Heavy.thrift_services

    def call(self, method: str, *args: Any) -> Any:
        """Calls ``method``; Thrift exceptions (``TDBException``, ``TApplicationException``)
        propagate, transport errors close the socket and propagate."""
        from thriftpy2.transport import TTransportException

        with self._lock:
            if self._client is None:
                self._open()
            try:
                return getattr(self._client, method)(*args)
            except (TTransportException, OSError, EOFError):
                self._close_locked()
                raise

    def _close_locked(self) -> None:
        if self._transport is not None:
            try:
                self._transport.close()
            except Exception:
                pass
        self._transport = None
        self._client = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()

"""Exceptions raised by :mod:`udf_client`.

Every exception derives from :class:`UdfClientError`. Errors the server reports
(``TDBException``) are :class:`ServerError`\\ s whose message is the server's text.
"""

from __future__ import annotations

import re
from typing import List, Optional

__all__ = [
    "UdfClientError",
    "SignatureError",
    "CompileError",
    "ServerError",
    "RegistrationError",
    "NoMatchingOverload",
    "ConnectionLost",
]


class UdfClientError(Exception):
    """Base class of every error raised by udf_client."""


class SignatureError(UdfClientError, ValueError):
    """A signature string (``"int64(int64, int64)"``) or template could not be used."""


class CompileError(UdfClientError):
    """Numba could not compile the Python function for one of its signatures.

    Attributes: ``function`` (the Python name), ``signature`` (the overload that failed,
    e.g. ``int64(int64, int64)``), ``reason`` (Numba's message).
    """

    def __init__(self, function: str, signature: str, reason: str) -> None:
        self.function = function
        self.signature = signature
        self.reason = reason
        super().__init__(
            f"Numba cannot compile `{function}` as {signature}:\n{reason.strip()}"
        )


class ServerError(UdfClientError):
    """The server answered with an error (HeavyDB ``TDBException``).

    ``str(e)`` is the server's message (for :class:`NoMatchingOverload` without the SQL
    position prefix); ``server_message`` the exact text; ``method`` the Thrift method.
    """

    def __init__(self, message: str, *, method: str = "", server_message: Optional[str] = None):
        self.method = method
        self.server_message = message if server_message is None else server_message
        super().__init__(message)


class RegistrationError(ServerError):
    """The server refused to register the functions (its IR checks or compile failed).

    Nothing changed on the server, and the client keeps its previous set of functions.
    """


_CANDIDATE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\([^()]*\)\s*->\s*[A-Za-z0-9_]+")


class NoMatchingOverload(ServerError):
    """No overload of the function takes the argument types of a call.

    The message starts with ``No match found for function signature f(DOUBLE, DOUBLE)``
    and lists the available signatures; ``signatures`` holds them as a list.
    """

    @property
    def signatures(self) -> List[str]:
        """The available overloads the server listed (``add(int64, int64) -> int64`` …)."""
        _, _, rest = str(self).partition("\n")
        return _CANDIDATE_RE.findall(rest)


class ConnectionLost(UdfClientError, ConnectionError):
    """The connection to the server broke during a call; the next call reconnects."""

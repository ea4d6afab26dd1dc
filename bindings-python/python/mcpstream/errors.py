"""The mcpstream exception hierarchy, the same names as in the Rust core and the Ruby gem.

Every error the client raises is an :class:`MCPError`. Transport and timeout errors also
derive from the built-in ``ConnectionError`` and ``TimeoutError`` so generic handlers work.
"""

from __future__ import annotations

import builtins

# typing costs more to import than the package; annotations need it only for type checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

__all__ = [
    "MCPError",
    "TransportError",
    "TimeoutError",
    "HTTPError",
    "SessionExpiredError",
    "RPCError",
    "ProtocolError",
    "NotConnectedError",
    "ToolError",
    "AuthorizationError",
    "AuthorizationRequired",
    "InsufficientScopeError",
    "AuthorizationDeniedError",
]


class MCPError(Exception):
    """Base class of every error raised by mcpstream."""


class TransportError(MCPError, ConnectionError):
    """The request got no HTTP answer: DNS, connect, TLS, reset or I/O failure."""


class TimeoutError(MCPError, builtins.TimeoutError):  # noqa: A001 - the hierarchy's own name
    """No complete answer arrived within the allowed time."""


class HTTPError(MCPError):
    """The server answered with a non-2xx status. The message is one line: the request's
    method and URL (without its query) and the status; the body is kept apart.

    Attributes:
        status: the HTTP status code.
        error_type: what the status means, e.g. ``"not_found"``, ``"bad_request"``,
            ``"method_not_allowed"``, ``"server_error"``.
        body: the response body (capped), often useful for diagnosis.
        http_method: the HTTP method of the request (``"POST"``, ``"GET"``, ``"DELETE"``).
        url: the URL that answered, without its query string.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_type: str,
        body: str = "",
        http_method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.body = body
        self.http_method = http_method
        self.url = url


class SessionExpiredError(HTTPError):
    """The server no longer knows the session the request carried: the session is gone.

    Raised for a 404 to a request with a session id, and for a 400 whose body says the session
    id was refused (servers such as server-everything answer that way). The client has already
    cleared its session; call ``connect()`` to start a new one.

    Attributes:
        session_id: the id of the session that expired.
        status: 404, or 400 from such a server.
    """

    def __init__(
        self,
        message: str,
        *,
        session_id: str,
        status: int = 404,
        error_type: str = "not_found",
    ) -> None:
        super().__init__(message, status=status, error_type=error_type, body="")
        self.session_id = session_id


class RPCError(MCPError):
    """The server answered with a JSON-RPC error.

    Raise it from a handler to answer the server with this error.

    Attributes:
        code: the JSON-RPC error code (e.g. -32601 method not found, -32602 invalid params).
        rpc_message: the server's error message (as in the Ruby gem); ``message`` is the same.
        data: the optional ``data`` member, decoded from JSON (``None`` if absent).
    """

    def __init__(self, message: str, *, code: int, rpc_message: str, data: Optional[Any] = None) -> None:
        super().__init__(message)
        self.code = code
        self.rpc_message = rpc_message
        self.message = rpc_message
        self.data = data


class ProtocolError(MCPError):
    """The server's answer broke the protocol: malformed JSON or SSE, an unsupported protocol
    version, an invalid session id, an oversize body, or a stream that ended too early."""


class NotConnectedError(MCPError):
    """A call that needs a connection was made before ``connect()``, after ``close()``, or
    after the session expired (with ``on_session_expired="raise"``). Nothing was sent; call
    ``connect()`` (or use the client as a context manager)."""


class ToolError(MCPError):
    """A tool reported its own failure (``isError: true``) to a ``call_tool`` made with
    ``raise_on_error=True``. Without it, such a result is returned like any other.

    Attributes:
        tool: the name of the tool.
        result: the whole result (``content``, ``isError``, ...), as ``call_tool`` would have
            returned it.
    """

    def __init__(self, message: str, *, tool: str, result: Dict[str, Any]) -> None:
        super().__init__(message)
        self.tool = tool
        self.result = result


class AuthorizationError(MCPError):
    """Authorization (OAuth) could not give the request a token: discovery, registration or
    the token endpoint failed, or an answer broke the rules (an issuer or state mismatch, an
    authorization server without PKCE, an insecure endpoint).

    Attributes:
        error: the authorization server's OAuth error code (``invalid_grant``, ...), if any.
        error_description: its explanation, if any.
        authorization_url: for :class:`AuthorizationRequired`, the URL the user must open.
        scope: for :class:`InsufficientScopeError`, the scope the server asked for.
    """

    def __init__(
        self,
        message: str,
        *,
        error: Optional[str] = None,
        error_description: Optional[str] = None,
        authorization_url: Optional[str] = None,
        scope: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.error_description = error_description
        self.authorization_url = authorization_url
        self.scope = scope


class AuthorizationRequired(AuthorizationError):
    """The user must authorize in a browser and no ``on_authorize`` callback was given.

    Open :attr:`authorization_url`, then pass the URL the browser was sent back to to
    ``client.complete_authorization(callback_url)`` and try again."""


class InsufficientScopeError(AuthorizationError):
    """The server answered 403 ``insufficient_scope`` and stepping up (authorizing again for
    the wider :attr:`scope`) did not help or was not possible."""


class AuthorizationDeniedError(AuthorizationError):
    """The user or the authorization server refused (``access_denied``, or an ``error`` in
    the redirect)."""

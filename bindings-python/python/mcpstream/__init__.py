"""mcpstream: a fast, native Model Context Protocol client for the Streamable HTTP transport.

from mcpstream import Client

with Client("http://127.0.0.1:8000/mcp") as client:
    print(client.call_tool("echo", {"text": "hi"}))
"""

import atexit

from mcpstream import _native, types
from mcpstream._auth import ClientCredentials, FileTokenStore, MemoryTokenStore, OAuth, TokenStore
from mcpstream._client import AsyncClient, Client
from mcpstream._native import DEFAULT_MAX_RESPONSE_BYTES, __version__, forget_verdict
from mcpstream._subscription import AsyncSubscription, Subscription, SubscriptionEvent
from mcpstream.errors import (
    AuthorizationDeniedError,
    AuthorizationError,
    AuthorizationRequired,
    HTTPError,
    InsufficientScopeError,
    MCPError,
    NotConnectedError,
    ProtocolError,
    RPCError,
    SessionExpiredError,
    TimeoutError,
    ToolError,
    TransportError,
)

# Runtime threads must be done with Python before the interpreter finalizes.
atexit.register(_native.shutdown)

__all__ = [
    "AsyncClient",
    "AsyncSubscription",
    "AuthorizationDeniedError",
    "AuthorizationError",
    "AuthorizationRequired",
    "Client",
    "ClientCredentials",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FileTokenStore",
    "HTTPError",
    "InsufficientScopeError",
    "MemoryTokenStore",
    "OAuth",
    "TokenStore",
    "MCPError",
    "NotConnectedError",
    "ProtocolError",
    "RPCError",
    "SessionExpiredError",
    "Subscription",
    "SubscriptionEvent",
    "TimeoutError",
    "ToolError",
    "TransportError",
    "__version__",
    "forget_verdict",
    "types",
]

"""mcpstream: a fast, native Model Context Protocol client for the Streamable HTTP transport.

from mcpstream import Client

with Client("http://127.0.0.1:8000/mcp") as client:
    print(client.call_tool("echo", {"text": "hi"}))
"""

import atexit

from mcpstream import _native
from mcpstream._client import AsyncClient, Client
from mcpstream._native import DEFAULT_MAX_RESPONSE_BYTES, __version__, forget_verdict
from mcpstream._subscription import AsyncSubscription, Subscription, SubscriptionEvent
from mcpstream.errors import (
    HTTPError,
    MCPError,
    ProtocolError,
    RPCError,
    SessionExpiredError,
    TimeoutError,
    TransportError,
)

# Runtime threads must be done with Python before the interpreter finalizes.
atexit.register(_native.shutdown)

__all__ = [
    "AsyncClient",
    "AsyncSubscription",
    "Client",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "HTTPError",
    "MCPError",
    "ProtocolError",
    "RPCError",
    "SessionExpiredError",
    "Subscription",
    "SubscriptionEvent",
    "TimeoutError",
    "TransportError",
    "__version__",
    "forget_verdict",
]

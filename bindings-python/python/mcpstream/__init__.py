"""mcpstream: a fast, native Model Context Protocol client for the Streamable HTTP transport.

from mcpstream import Client

with Client("http://127.0.0.1:8000/mcp") as client:
    print(client.call_tool("echo", {"text": "hi"}))
"""

import atexit

from mcpstream import _native
from mcpstream._client import AsyncClient, Client
from mcpstream._native import DEFAULT_MAX_RESPONSE_BYTES, __version__, forget_verdict
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

# These need typing (and SubscriptionEvent, dataclasses), which cost more to import than the
# rest of the package: they load when first named (`from mcpstream import OAuth` does that),
# not with the package. Type checkers see them as plain imports.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from mcpstream import types
    from mcpstream._auth import ClientCredentials, FileTokenStore, MemoryTokenStore, OAuth, TokenStore
    from mcpstream._subscription import AsyncSubscription, Subscription, SubscriptionEvent

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

_LAZY = {
    "ClientCredentials": "mcpstream._auth",
    "FileTokenStore": "mcpstream._auth",
    "MemoryTokenStore": "mcpstream._auth",
    "OAuth": "mcpstream._auth",
    "TokenStore": "mcpstream._auth",
    "AsyncSubscription": "mcpstream._subscription",
    "Subscription": "mcpstream._subscription",
    "SubscriptionEvent": "mcpstream._subscription",
}

if not TYPE_CHECKING:
    # Hidden from type checkers: they would take any misspelt name for one of these.

    def __getattr__(name: str) -> object:
        module_name = "mcpstream.types" if name == "types" else _LAZY.get(name)
        if module_name is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        module = importlib.import_module(module_name)
        value = module if name == "types" else getattr(module, name)
        globals()[name] = value  # later lookups find it without coming here
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))

"""OpenTelemetry client spans, and the trace context sent in ``params._meta``.

When the application uses the OpenTelemetry API (``opentelemetry-api``, the
``mcpstream[otel]`` extra: it has imported ``opentelemetry.trace``), each request-type call
runs in a CLIENT span described as the semantic conventions for MCP (development status) say,
and that span's context is injected with the global propagator (W3C ``traceparent``/
``tracestate`` by default) into the request's ``_meta``. mcpstream never imports it first:
an application that has it installed but does not trace must not pay its import (over 100
ms) at its first call; without it a call pays one dictionary lookup. With the API alone (no SDK) spans
are the API's no-op ones: nothing is added to the request, unless the caller's context came
from elsewhere (extracted from an incoming request), which is then passed on as it is.
"""

from __future__ import annotations

import sys

from mcpstream.errors import HTTPError, RPCError, ToolError

# Annotations need typing only for type checkers; it costs more to import than the package.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import Token
    from types import TracebackType
    from typing import Any, Dict, Mapping, Optional, Tuple, Type

    from opentelemetry.context import Context
    from opentelemetry.trace import Span

# The operations that send requests, by the method they send (a list sends one per page, all
# inside its span). Other operations (connect, ping, close, ...) get no span.
_METHODS = {
    "call_tool": "tools/call",
    "list_tools": "tools/list",
    "list_resources": "resources/list",
    "read_resource": "resources/read",
    "list_prompts": "prompts/list",
    "get_prompt": "prompts/get",
}
# Methods whose params name a resource, for `mcp.resource.uri`.
_RESOURCE_METHODS = frozenset({"resources/read", "resources/subscribe", "resources/unsubscribe"})


class _OpenTelemetry:
    """The parts of the OpenTelemetry API a call uses, looked up once."""

    def __init__(self) -> None:
        from opentelemetry import context, propagate, trace

        from mcpstream._native import __version__

        # A proxy until the application sets a tracer provider, then that provider's tracer.
        self.tracer = trace.get_tracer("mcpstream", __version__)
        self.client_kind = trace.SpanKind.CLIENT
        self.set_span_in_context = trace.set_span_in_context
        self.attach = context.attach
        self.detach = context.detach
        self.inject = propagate.inject
        self.error_status = trace.Status
        self.error_code = trace.StatusCode.ERROR


_otel: Optional[_OpenTelemetry] = None


def _in_use() -> Optional[_OpenTelemetry]:
    """The API's parts once the application has imported it; asked again at every call until
    then, as the application may start tracing after its first call."""
    global _otel
    if _otel is None and "opentelemetry.trace" in sys.modules:
        try:
            _otel = _OpenTelemetry()
        except ImportError:
            return None
    return _otel


def start(client: Any, op: str, fields: Mapping[str, Any]) -> Optional[ClientSpan]:
    """The span for operation ``op`` of ``client`` (a ``Client`` or ``AsyncClient``) with the
    operation's ``fields``, started; ``None`` without OpenTelemetry, for an operation that
    sends no request of its own, or when there is neither a span to record nor a context to
    pass on."""
    otel = _in_use()
    if otel is None:
        return None
    # Only calls that trace need it (OpenTelemetry has loaded it by then).
    from collections.abc import Mapping

    method = _METHODS.get(op) or (fields.get("method") if op == "request" else None)
    if not isinstance(method, str):
        return None
    params = fields.get("params") if op == "request" else fields
    name, attributes = _describe(method, params if isinstance(params, Mapping) else {})
    span = otel.tracer.start_span(name, kind=otel.client_kind, attributes=attributes)
    if span.is_recording():
        span.set_attributes(_client_attributes(client))
    elif not span.get_span_context().is_valid:
        # The API's no-op span (no SDK, no incoming context): nothing to record or send.
        return None
    return ClientSpan(otel, span, method)


def session_fingerprint(session_id: str) -> str:
    """What spans say of the session: on many servers the id is a bearer credential, and spans
    go to a tracing backend, so they carry the fingerprint the client's logs use instead."""
    import hashlib

    return hashlib.sha256(session_id.encode()).hexdigest()[:8]


def _client_attributes(client: Any) -> Dict[str, Any]:
    """What the client knows of the server and the connection; read only for spans that record."""
    attributes = _server(client.url)
    session_id = client.session_id
    if session_id is not None:
        attributes["mcp.session.id"] = session_fingerprint(session_id)
    version = client.protocol_version
    if version is not None:
        attributes["mcp.protocol.version"] = version
    return attributes


def _describe(method: str, params: Mapping[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """The span name and the attributes the method and its params give."""
    attributes: Dict[str, Any] = {"mcp.method.name": method}
    target = params.get("name")
    if method == "tools/call" and isinstance(target, str):
        attributes["gen_ai.tool.name"] = target
        attributes["gen_ai.operation.name"] = "execute_tool"
        return f"{method} {target}", attributes
    if method == "prompts/get" and isinstance(target, str):
        attributes["gen_ai.prompt.name"] = target
        return f"{method} {target}", attributes
    uri = params.get("uri")
    # Not in the span name: URIs are many, and names should be few.
    if method in _RESOURCE_METHODS and isinstance(uri, str):
        attributes["mcp.resource.uri"] = uri
    return method, attributes


def _server(url: str) -> Dict[str, Any]:
    """`server.*` and `network.*` attributes of an endpoint."""
    from urllib.parse import urlsplit

    attributes: Dict[str, Any] = {"network.transport": "tcp", "network.protocol.name": "http"}
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.hostname:
        attributes["server.address"] = parts.hostname
        attributes["server.port"] = port or (443 if parts.scheme == "https" else 80)
    return attributes


class ClientSpan:
    """One call's span: ``meta`` is what goes into the request's ``_meta`` (``None`` when the
    propagators wrote nothing); ``with`` makes the span current while the call runs (progress
    callbacks on the calling thread see it) and ends it with the call's outcome."""

    __slots__ = ("_otel", "_span", "_method", "_context", "_token", "meta")

    def __init__(self, otel: _OpenTelemetry, span: Span, method: str) -> None:
        self._otel = otel
        self._span = span
        self._method = method
        self._context: Context = otel.set_span_in_context(span)
        self._token: Optional[Token[Context]] = None
        carrier: Dict[str, str] = {}
        otel.inject(carrier, context=self._context)
        self.meta: Optional[Dict[str, str]] = carrier or None

    def __enter__(self) -> ClientSpan:
        self._token = self._otel.attach(self._context)
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            if exc is not None:
                self._failed(exc)
        finally:
            if self._token is not None:
                self._otel.detach(self._token)
            self._span.end()

    def succeeded(self, result: Mapping[str, Any]) -> None:
        """A result came back: a tool's own failure (``isError``) is still an error."""
        if self._method == "tools/call" and result.get("isError") is True:
            self._span.set_attribute("error.type", "tool_error")
            self._span.set_status(self._otel.error_status(self._otel.error_code))

    def _failed(self, error: BaseException) -> None:
        span = self._span
        if not span.is_recording():
            return
        description = str(error)
        if isinstance(error, RPCError):
            span.set_attribute("rpc.response.status_code", str(error.code))
            description = error.rpc_message
        span.set_attribute("error.type", _error_type(error))
        span.record_exception(error)
        span.set_status(self._otel.error_status(self._otel.error_code, description))


def _error_type(error: BaseException) -> str:
    """The convention's `error.type`: the JSON-RPC error code, `tool_error`, `timeout`, the
    HTTP status, else the exception's class."""
    if isinstance(error, RPCError):
        return str(error.code)
    if isinstance(error, ToolError):
        return "tool_error"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, HTTPError):
        return str(error.status)
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"

"""The blocking :class:`Client` and the asyncio :class:`AsyncClient`."""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Type

from mcpstream import _hooks
from mcpstream._native import NativeClient

JSONDict = Dict[str, Any]


def _op(op: str, **fields: Any) -> str:
    """An operation for the native layer: a JSON object naming it and its fields."""
    fields["op"] = op
    return json.dumps(fields)


def _result(text: str) -> JSONDict:
    result: JSONDict = json.loads(text)
    return result


def _optional(text: Optional[str]) -> Optional[JSONDict]:
    return None if text is None else _result(text)


class _Base:
    """Settings left as ``None`` take the core's defaults: ``timeout`` 30 s for one request,
    ``connect_timeout`` 10 s, ``close_timeout`` 5 s for the DELETE of ``close()``,
    ``max_request_time`` 600 s however often progress resets the timeout,
    ``max_response_bytes`` 16 MiB for a JSON body or one SSE event, ``on_session_expired``
    ``"raise"``, ``standalone_stream`` on, and ``standalone_open_timeout`` 1 s: how long
    ``connect()`` waits for the server to answer the standalone GET stream."""

    def __init__(
        self,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        close_timeout: Optional[float] = None,
        max_request_time: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        client_info: Optional[Mapping[str, Any]] = None,
        on_session_expired: Optional[str] = None,
        on_sampling: Optional[_hooks.RequestHandler] = None,
        on_elicitation: Optional[_hooks.RequestHandler] = None,
        on_roots: Optional[_hooks.RequestHandler] = None,
        on_notification: Optional[_hooks.NotificationHandler] = None,
        on_session_change: Optional[_hooks.SessionChangeHandler] = None,
        standalone_stream: Optional[bool] = None,
        standalone_open_timeout: Optional[float] = None,
    ) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        settings = {
            "headers": None if headers is None else dict(headers),
            "timeout": timeout,
            "connect_timeout": connect_timeout,
            "close_timeout": close_timeout,
            "max_request_time": max_request_time,
            "max_response_bytes": max_response_bytes,
            "client_info": None if client_info is None else dict(client_info),
            "on_session_expired": on_session_expired,
            "standalone_stream": standalone_stream,
            "standalone_open_timeout": standalone_open_timeout,
        }
        get_loop = self._event_loop
        self._native = NativeClient(
            url,
            json.dumps({name: value for name, value in settings.items() if value is not None}),
            on_sampling=None if on_sampling is None else _hooks.request(on_sampling, get_loop),
            on_elicitation=None if on_elicitation is None else _hooks.request(on_elicitation, get_loop),
            on_roots=None if on_roots is None else _hooks.request(on_roots, get_loop),
            on_notification=None if on_notification is None else _hooks.notification(on_notification, get_loop),
            on_session_change=None if on_session_change is None else _hooks.session_change(on_session_change, get_loop),
        )

    def _event_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop

    def _progress(self, on_progress: Optional[_hooks.ProgressHandler]) -> Optional[_hooks.ProgressAdapter]:
        return None if on_progress is None else _hooks.progress(on_progress, self._event_loop)

    @property
    def url(self) -> str:
        """The MCP endpoint."""
        return self._native.url

    @property
    def session_id(self) -> Optional[str]:
        """The server-assigned session id; ``None`` before connecting, after the session ended,
        and for stateless servers."""
        return self._native.session_id

    @property
    def protocol_version(self) -> Optional[str]:
        """The protocol version negotiated by ``connect()``."""
        return self._native.protocol_version

    @property
    def server_info(self) -> Optional[JSONDict]:
        """The server's ``serverInfo`` from the current session's InitializeResult."""
        return _optional(self._native.server_info)

    @property
    def server_capabilities(self) -> Optional[JSONDict]:
        """The server's ``capabilities`` from the current session's InitializeResult."""
        return _optional(self._native.server_capabilities)

    def __repr__(self) -> str:
        state = "connected" if self.protocol_version else "not connected"
        return f"<{type(self).__name__} {self.url} {state}>"


class Client(_Base):
    """A blocking MCP client for the Streamable HTTP transport.

    One client may be shared by many threads; the GIL is released while a call waits on the
    network, and Ctrl-C interrupts a waiting call (the client stays usable). Callbacks may call
    the client they belong to.

    ``with Client(url) as client:`` connects on entry and closes the session on exit.
    """

    def connect(self) -> JSONDict:
        """Runs the ``initialize`` handshake and returns the server's InitializeResult."""
        return _result(self._native.call(_op("connect")))

    def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        """Sends a JSON-RPC request and returns its ``result``."""
        op = _op("request", method=method, params=params, timeout=timeout)
        return _result(self._native.call(op, self._progress(on_progress)))

    def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        """Sends a JSON-RPC notification."""
        self._native.call(_op("notify", method=method, params=params))

    def ping(self) -> None:
        """Sends ``ping``; raises if the server does not answer."""
        self._native.call(_op("ping"))

    def list_tools(self) -> JSONDict:
        """All tools, following ``nextCursor`` to the last page: ``{"tools": [...]}``."""
        return _result(self._native.call(_op("list_tools")))

    def call_tool(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        """Calls a tool. A tool's own failure is a result with ``isError: true``, not an exception.
        ``on_progress`` receives the params of each progress notification for this call."""
        op = _op("call_tool", name=name, arguments=arguments, timeout=timeout)
        return _result(self._native.call(op, self._progress(on_progress)))

    def list_resources(self) -> JSONDict:
        """All resources, following ``nextCursor``: ``{"resources": [...]}``."""
        return _result(self._native.call(_op("list_resources")))

    def read_resource(self, uri: str) -> JSONDict:
        """The contents of one resource: ``{"contents": [...]}``."""
        return _result(self._native.call(_op("read_resource", uri=uri)))

    def list_prompts(self) -> JSONDict:
        """All prompts, following ``nextCursor``: ``{"prompts": [...]}``."""
        return _result(self._native.call(_op("list_prompts")))

    def get_prompt(self, name: str, arguments: Optional[Mapping[str, str]] = None) -> JSONDict:
        """One prompt, filled in with ``arguments``: ``{"messages": [...]}``."""
        return _result(self._native.call(_op("get_prompt", name=name, arguments=arguments)))

    def set_logging_level(self, level: str) -> None:
        """Asks the server to send log messages (``on_notification`` gets them) of ``level``
        and above: debug, info, notice, warning, error, critical, alert or emergency."""
        self._native.call(_op("set_logging_level", level=level))

    def close(self) -> str:
        """Ends the session (HTTP DELETE). Local state is cleared whatever happens. Returns
        ``"terminated"``, ``"not_supported"`` (405), ``"already_gone"`` (404),
        ``"no_session"`` or ``"failed"``."""
        outcome: str = json.loads(self._native.call(_op("close")))
        return outcome

    def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier (by another client or process) without ``initialize``.
        Nothing is sent; if the server no longer knows the session, the next call raises
        :class:`SessionExpiredError`."""
        self._native.call(_op("resume", session_id=session_id, protocol_version=protocol_version))

    def __enter__(self) -> Client:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncClient(_Base):
    """The asyncio twin of :class:`Client`: the same methods, as coroutines.

    ``async with AsyncClient(url) as client:`` connects on entry and closes on exit.
    Cancelling a call (e.g. ``asyncio.wait_for``) drops its request and tells the server.
    Handlers and callbacks may be coroutines; they run on the loop that connected.
    """

    async def connect(self) -> JSONDict:
        """Runs the ``initialize`` handshake and returns the server's InitializeResult."""
        # Async handlers run on the loop that connected.
        self._loop = asyncio.get_running_loop()
        return _result(await self._native.call_async(_op("connect")))

    async def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        """Sends a JSON-RPC request and returns its ``result``."""
        op = _op("request", method=method, params=params, timeout=timeout)
        return _result(await self._native.call_async(op, self._progress(on_progress)))

    async def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        """Sends a JSON-RPC notification."""
        await self._native.call_async(_op("notify", method=method, params=params))

    async def ping(self) -> None:
        """Sends ``ping``; raises if the server does not answer."""
        await self._native.call_async(_op("ping"))

    async def list_tools(self) -> JSONDict:
        """All tools, following ``nextCursor`` to the last page: ``{"tools": [...]}``."""
        return _result(await self._native.call_async(_op("list_tools")))

    async def call_tool(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        """Calls a tool. A tool's own failure is a result with ``isError: true``, not an exception.
        ``on_progress`` receives the params of each progress notification for this call."""
        op = _op("call_tool", name=name, arguments=arguments, timeout=timeout)
        return _result(await self._native.call_async(op, self._progress(on_progress)))

    async def list_resources(self) -> JSONDict:
        """All resources, following ``nextCursor``: ``{"resources": [...]}``."""
        return _result(await self._native.call_async(_op("list_resources")))

    async def read_resource(self, uri: str) -> JSONDict:
        """The contents of one resource: ``{"contents": [...]}``."""
        return _result(await self._native.call_async(_op("read_resource", uri=uri)))

    async def list_prompts(self) -> JSONDict:
        """All prompts, following ``nextCursor``: ``{"prompts": [...]}``."""
        return _result(await self._native.call_async(_op("list_prompts")))

    async def get_prompt(self, name: str, arguments: Optional[Mapping[str, str]] = None) -> JSONDict:
        """One prompt, filled in with ``arguments``: ``{"messages": [...]}``."""
        return _result(await self._native.call_async(_op("get_prompt", name=name, arguments=arguments)))

    async def set_logging_level(self, level: str) -> None:
        """Asks the server for log messages of ``level`` and above; see :meth:`Client.set_logging_level`."""
        await self._native.call_async(_op("set_logging_level", level=level))

    async def close(self) -> str:
        """Ends the session (HTTP DELETE); see :meth:`Client.close`."""
        outcome: str = json.loads(await self._native.call_async(_op("close")))
        return outcome

    async def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier without ``initialize``; see :meth:`Client.resume`."""
        self._loop = asyncio.get_running_loop()
        op = _op("resume", session_id=session_id, protocol_version=protocol_version)
        await self._native.call_async(op)

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

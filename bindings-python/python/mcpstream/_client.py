"""The blocking :class:`Client` and the asyncio :class:`AsyncClient`."""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Type

from mcpstream import _hooks
from mcpstream._native import NativeClient

DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

JSONDict = Dict[str, Any]


def _dumps(value: Optional[Mapping[str, Any]]) -> Optional[str]:
    return None if value is None else json.dumps(value)


def _resume_args(session_id: str, protocol_version: str) -> str:
    return json.dumps({"session_id": session_id, "protocol_version": protocol_version})


def _loads(text: Optional[str]) -> JSONDict:
    result: JSONDict = json.loads(text) if text is not None else {}
    return result


class _Base:
    def __init__(
        self,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        timeout: float = 30.0,
        close_timeout: float = 5.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        client_info: Optional[Mapping[str, Any]] = None,
        on_session_expired: str = "raise",
        on_sampling: Optional[_hooks.RequestHandler] = None,
        on_elicitation: Optional[_hooks.RequestHandler] = None,
        on_roots: Optional[_hooks.RequestHandler] = None,
        on_notification: Optional[_hooks.NotificationHandler] = None,
        on_session_change: Optional[_hooks.SessionChangeHandler] = None,
        standalone_stream: bool = True,
    ) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        get_loop = self._event_loop
        hooks = (
            None if on_sampling is None else _hooks.request(on_sampling, get_loop),
            None if on_elicitation is None else _hooks.request(on_elicitation, get_loop),
            None if on_roots is None else _hooks.request(on_roots, get_loop),
            None if on_notification is None else _hooks.notification(on_notification, get_loop),
            None if on_session_change is None else _hooks.session_change(on_session_change, get_loop),
        )
        self._native = NativeClient(
            url,
            list((headers or {}).items()),
            float(timeout),
            float(close_timeout),
            int(max_response_bytes),
            _dumps(client_info),
            bool(standalone_stream),
            on_session_expired,
            hooks,
        )

    def _event_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop

    def _progress(self, on_progress: Optional[_hooks.ProgressHandler]) -> Any:
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
        return self._initialize_field("serverInfo")

    @property
    def server_capabilities(self) -> Optional[JSONDict]:
        """The server's ``capabilities`` from the current session's InitializeResult."""
        return self._initialize_field("capabilities")

    def _initialize_field(self, key: str) -> Optional[JSONDict]:
        text = self._native.initialize_result_json
        if text is None:
            return None
        value: Optional[JSONDict] = json.loads(text).get(key)
        return value

    def __repr__(self) -> str:
        state = "connected" if self.protocol_version else "not connected"
        return f"<{type(self).__name__} {self.url} {state}>"


class Client(_Base):
    """A blocking MCP client for the Streamable HTTP transport.

    One client may be shared by many threads; the GIL is released while a call waits on the
    network, and Ctrl-C interrupts a waiting call (the client stays usable).

    ``with Client(url) as client:`` connects on entry and closes the session on exit.
    """

    def connect(self) -> JSONDict:
        """Runs the ``initialize`` handshake and returns the server's InitializeResult."""
        return _loads(self._native.call("connect"))

    def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        """Sends a JSON-RPC request and returns its ``result``."""
        return _loads(self._native.call("request", method, _dumps(params), timeout, self._progress(on_progress)))

    def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        """Sends a JSON-RPC notification."""
        self._native.call("notify", method, _dumps(params))

    def ping(self) -> None:
        self._native.call("ping")

    def list_tools(self) -> JSONDict:
        """All tools, following ``nextCursor`` to the last page: ``{"tools": [...]}``."""
        return _loads(self._native.call("list_tools"))

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
        progress = self._progress(on_progress)
        return _loads(self._native.call("call_tool", name, _dumps(arguments), timeout, progress))

    def list_resources(self) -> JSONDict:
        return _loads(self._native.call("list_resources"))

    def read_resource(self, uri: str) -> JSONDict:
        return _loads(self._native.call("read_resource", uri))

    def list_prompts(self) -> JSONDict:
        return _loads(self._native.call("list_prompts"))

    def get_prompt(self, name: str, arguments: Optional[Mapping[str, str]] = None) -> JSONDict:
        return _loads(self._native.call("get_prompt", name, _dumps(arguments)))

    def close(self) -> str:
        """Ends the session (HTTP DELETE). Local state is cleared whatever happens. Returns
        ``"terminated"``, ``"not_supported"`` (405), ``"already_gone"`` (404),
        ``"no_session"`` or ``"failed"``."""
        return self._native.call("close") or "failed"

    def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier (by another client or process) without ``initialize``.
        Nothing is sent; if the server no longer knows the session, the next call raises
        :class:`SessionExpiredError`."""
        self._native.call("resume", None, _resume_args(session_id, protocol_version))

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
    Cancelling a call (e.g. ``asyncio.wait_for``) drops its request.
    """

    async def connect(self) -> JSONDict:
        # Async handlers run on the loop that connected.
        self._loop = asyncio.get_running_loop()
        return _loads(await self._native.call_async("connect"))

    async def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        progress = self._progress(on_progress)
        return _loads(await self._native.call_async("request", method, _dumps(params), timeout, progress))

    async def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        await self._native.call_async("notify", method, _dumps(params))

    async def ping(self) -> None:
        await self._native.call_async("ping")

    async def list_tools(self) -> JSONDict:
        return _loads(await self._native.call_async("list_tools"))

    async def call_tool(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[_hooks.ProgressHandler] = None,
    ) -> JSONDict:
        progress = self._progress(on_progress)
        return _loads(await self._native.call_async("call_tool", name, _dumps(arguments), timeout, progress))

    async def list_resources(self) -> JSONDict:
        return _loads(await self._native.call_async("list_resources"))

    async def read_resource(self, uri: str) -> JSONDict:
        return _loads(await self._native.call_async("read_resource", uri))

    async def list_prompts(self) -> JSONDict:
        return _loads(await self._native.call_async("list_prompts"))

    async def get_prompt(self, name: str, arguments: Optional[Mapping[str, str]] = None) -> JSONDict:
        return _loads(await self._native.call_async("get_prompt", name, _dumps(arguments)))

    async def close(self) -> str:
        return (await self._native.call_async("close")) or "failed"

    async def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier without ``initialize``; see :meth:`Client.resume`."""
        self._loop = asyncio.get_running_loop()
        await self._native.call_async("resume", None, _resume_args(session_id, protocol_version))

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

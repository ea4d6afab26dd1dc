"""The blocking :class:`Client` and the asyncio :class:`AsyncClient`."""

from __future__ import annotations

import json
import os

from mcpstream import _hooks, _tracing
from mcpstream._native import NativeClient

# typing and asyncio cost more to import than the rest of the package, and annotations need
# neither at run time: an AsyncClient runs where asyncio is loaded already, a Client never
# needs it. Authorization, subscriptions and the result types load when first used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from types import TracebackType
    from typing import Any, Dict, Iterable, Mapping, Optional, Type, Union, cast

    from mcpstream import _auth
    from mcpstream._aliases import (
        JSONDict,
        NotificationHandler,
        ProgressAdapter,
        ProgressHandler,
        RequestHandler,
        SessionChangeHandler,
    )
    from mcpstream._subscription import AsyncSubscription, Subscription
    from mcpstream.types import (
        CallToolResult,
        DiscoverResult,
        GetPromptResult,
        Implementation,
        InitializeResult,
        ListPromptsResult,
        ListResourcesResult,
        ListToolsResult,
        ReadResourceResult,
        ServerCapabilities,
        Verdict,
    )
else:

    def cast(_type: object, value: object) -> object:
        """typing.cast, whose types are strings here (they are not imported at run time)."""
        return value


def _op(op: str, **fields: Any) -> JSONDict:
    """An operation for the native layer: its name and fields, which it reads as JSON."""
    fields["op"] = op
    return fields


def _result(value: Any) -> JSONDict:
    """A call's result, which the native layer hands over decoded."""
    result: JSONDict = value
    return result


def _optional(text: Optional[str]) -> Optional[JSONDict]:
    result: Optional[JSONDict] = None if text is None else json.loads(text)
    return result


def _filter(
    tools_list_changed: bool,
    prompts_list_changed: bool,
    resources_list_changed: bool,
    resource_subscriptions: Optional[Iterable[str]],
) -> str:
    """``listen``'s arguments under their own names, for the native layer to check."""
    uris = resource_subscriptions
    # One URI given as a string goes through as it is, to be refused, not split into letters.
    if uris is not None and not isinstance(uris, str):
        uris = list(uris)
    return json.dumps(
        {
            "tools_list_changed": tools_list_changed,
            "prompts_list_changed": prompts_list_changed,
            "resources_list_changed": resources_list_changed,
            "resource_subscriptions": uris,
        }
    )


class _Base:
    """Settings left as ``None`` take the core's defaults: ``timeout`` 30 s for one request,
    ``connect_timeout`` 10 s, ``close_timeout`` 5 s for the DELETE of ``close()``,
    ``max_request_time`` 600 s however often progress resets the timeout,
    ``max_response_bytes`` 16 MiB for a JSON body or one SSE event, ``on_session_expired``
    ``"raise"``, ``standalone_stream`` on, and ``standalone_open_timeout`` 1 s: how long
    ``connect()`` waits for the server to answer the standalone GET stream.

    The protocol era: ``era`` ``"auto"`` (default) asks the server with ``server/discover``
    and falls back to the session era's ``initialize``; ``"legacy"`` only initializes;
    ``"modern"`` or a modern version (``"2026-07-28"``) requires the modern era, with no
    fallback. ``prior`` is a :attr:`verdict` saved from an earlier client: ``connect()`` trusts
    it and sends no probe. ``probe_timeout`` (10 s, never more than ``timeout``) bounds the
    probe, and ``max_input_rounds`` (10) the rounds a modern call may ask for input, which
    ``on_elicitation``, ``on_sampling`` and ``on_roots`` answer from inside the call.

    Per call, lists, reads and prompts take ``timeout`` (seconds, for each request; a list
    sends one per page), ``fresh`` (modern era: ask the server even if a result it allowed to
    be reused is still kept) and ``log_level`` (modern era: the level of log messages the
    server may send during this request, over ``set_logging_level``); ``call_tool`` and
    ``request`` take ``log_level`` too.

    ``auth``: :class:`~mcpstream.OAuth` or :class:`~mcpstream.ClientCredentials` for servers
    that need authorization (not together with an ``Authorization`` header)."""

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
        on_sampling: Optional[RequestHandler] = None,
        on_elicitation: Optional[RequestHandler] = None,
        on_roots: Optional[RequestHandler] = None,
        on_notification: Optional[NotificationHandler] = None,
        on_session_change: Optional[SessionChangeHandler] = None,
        standalone_stream: Optional[bool] = None,
        standalone_open_timeout: Optional[float] = None,
        era: Optional[str] = None,
        prior: Optional[Mapping[str, Any]] = None,
        probe_timeout: Optional[float] = None,
        max_input_rounds: Optional[int] = None,
        auth: Optional[Union[_auth.OAuth, _auth.ClientCredentials]] = None,
        http_version: Optional[str] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        ca_pem: Optional[str] = None,
        client_cert: Optional[Union[str, os.PathLike[str]]] = None,
        client_key: Optional[Union[str, os.PathLike[str]]] = None,
        danger_skip_tls_verify: bool = False,
        proxy: Optional[str] = "env",
        idle_timeout: Optional[float] = None,
        tcp_keepalive: Optional[float] = None,
    ) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        if auth is not None:
            from mcpstream import _auth  # it needs typing at run time: loaded only for clients that authorize
        auth_settings, on_authorize, token_store = (None, None, None) if auth is None else _auth.native_settings(auth)
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
            "era": era,
            "prior": None if prior is None else dict(prior),
            "probe_timeout": probe_timeout,
            "max_input_rounds": max_input_rounds,
            "auth": auth_settings,
            "http_version": http_version,
            "ca_file": None if ca_file is None else os.fspath(ca_file),
            "ca_pem": ca_pem,
            "client_cert": None if client_cert is None else os.fspath(client_cert),
            "client_key": None if client_key is None else os.fspath(client_key),
            "danger_skip_tls_verify": danger_skip_tls_verify or None,
            "idle_timeout": idle_timeout,
            "tcp_keepalive": tcp_keepalive,
        }
        options: Dict[str, Any] = {name: value for name, value in settings.items() if value is not None}
        if proxy != "env":
            options["proxy"] = proxy  # None turns proxies off, the environment's too
        get_loop = self._event_loop
        self._native = NativeClient(
            url,
            json.dumps(options),
            on_sampling=None if on_sampling is None else _hooks.request(on_sampling, get_loop),
            on_elicitation=None if on_elicitation is None else _hooks.request(on_elicitation, get_loop),
            on_roots=None if on_roots is None else _hooks.request(on_roots, get_loop),
            on_notification=None if on_notification is None else _hooks.notification(on_notification, get_loop),
            on_session_change=None if on_session_change is None else _hooks.session_change(on_session_change, get_loop),
            on_authorize=on_authorize,
            token_store=token_store,
        )

    def _event_loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop

    def _progress(self, on_progress: Optional[ProgressHandler]) -> Optional[ProgressAdapter]:
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
    def server_info(self) -> Optional[Implementation]:
        """The server's ``serverInfo``, from its InitializeResult or DiscoverResult."""
        return cast("Optional[Implementation]", _optional(self._native.server_info))

    @property
    def server_capabilities(self) -> Optional[ServerCapabilities]:
        """The server's ``capabilities``, from its InitializeResult or DiscoverResult."""
        return cast("Optional[ServerCapabilities]", _optional(self._native.server_capabilities))

    @property
    def era(self) -> Optional[str]:
        """The protocol era ``connect()`` settled on: ``"legacy"`` (the session era,
        ``initialize``) or ``"modern"`` (2026-07-28, no session); ``None`` when not connected."""
        return self._native.era

    @property
    def verdict(self) -> Optional[Verdict]:
        """What ``connect()`` learnt about the server's era: ``{"era": "legacy"}`` or
        ``{"era": "modern", "version": ..., "discover": {...}}``. Plain JSON: save it and pass it
        as ``prior=`` to a later client (another run, say) so it connects without a probe."""
        return cast("Optional[Verdict]", _optional(self._native.verdict))

    @property
    def instructions(self) -> Optional[str]:
        """The server's ``instructions``, if it gave any."""
        return self._native.instructions

    @property
    def discover_result(self) -> Optional[DiscoverResult]:
        """The server's description in the shape of a DiscoverResult in either era:
        ``supportedVersions``, ``capabilities``, ``serverInfo`` and ``instructions`` if given
        (in the session era, built from the InitializeResult with the negotiated version)."""
        return cast("Optional[DiscoverResult]", _optional(self._native.discover_result))

    def __repr__(self) -> str:
        state = f"connected ({self.era})" if self.era else "not connected"
        return f"<{type(self).__name__} {self.url} {state}>"


class Client(_Base):
    """A blocking MCP client for the Streamable HTTP transport.

    One client may be shared by many threads; the GIL is released while a call waits on the
    network, and Ctrl-C interrupts a waiting call (the client stays usable). Callbacks may call
    the client they belong to.

    ``with Client(url) as client:`` connects on entry and closes the session on exit.
    """

    def connect(self) -> Union[InitializeResult, DiscoverResult]:
        """Connects in the era ``era`` asks for and returns the server's InitializeResult
        (session era) or DiscoverResult (modern era). A session this client holds is closed
        first."""
        return cast("Union[InitializeResult, DiscoverResult]", _result(self._native.call(_op("connect"))))

    def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[ProgressHandler] = None,
        log_level: Optional[str] = None,
    ) -> JSONDict:
        """Sends a JSON-RPC request and returns its ``result``."""
        return self._call("request", on_progress, method=method, params=params, timeout=timeout, log_level=log_level)

    def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        """Sends a JSON-RPC notification. The modern era has none over HTTP: ``ValueError``."""
        self._native.call(_op("notify", method=method, params=params))

    def ping(self) -> None:
        """Sends ``ping`` (``server/discover`` in the modern era, which has no ``ping``);
        raises if the server does not answer."""
        self._native.call(_op("ping"))

    def list_tools(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListToolsResult:
        """All tools, following ``nextCursor`` to the last page: ``{"tools": [...]}``."""
        return cast("ListToolsResult", self._call("list_tools", timeout=timeout, fresh=fresh, log_level=log_level))

    def call_tool(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[ProgressHandler] = None,
        log_level: Optional[str] = None,
        raise_on_error: bool = False,
    ) -> CallToolResult:
        """Calls a tool. A tool's own failure (an unknown tool, say) is a result with
        ``isError: true``, not an exception, unless ``raise_on_error=True``: then it raises
        :class:`~mcpstream.ToolError`, which carries the result. ``on_progress`` receives the
        params of each progress notification for this call."""
        result = self._call(
            "call_tool",
            on_progress,
            name=name,
            arguments=arguments,
            timeout=timeout,
            log_level=log_level,
            raise_on_error=raise_on_error,
        )
        return cast("CallToolResult", result)

    def list_resources(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListResourcesResult:
        """All resources, following ``nextCursor``: ``{"resources": [...]}``."""
        result = self._call("list_resources", timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ListResourcesResult", result)

    def read_resource(
        self, uri: str, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ReadResourceResult:
        """The contents of one resource: ``{"contents": [...]}``."""
        result = self._call("read_resource", uri=uri, timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ReadResourceResult", result)

    def list_prompts(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListPromptsResult:
        """All prompts, following ``nextCursor``: ``{"prompts": [...]}``."""
        return cast("ListPromptsResult", self._call("list_prompts", timeout=timeout, fresh=fresh, log_level=log_level))

    def get_prompt(
        self,
        name: str,
        arguments: Optional[Mapping[str, str]] = None,
        *,
        timeout: Optional[float] = None,
        fresh: bool = False,
        log_level: Optional[str] = None,
    ) -> GetPromptResult:
        """One prompt, filled in with ``arguments``: ``{"messages": [...]}``."""
        result = self._call(
            "get_prompt", name=name, arguments=arguments, timeout=timeout, fresh=fresh, log_level=log_level
        )
        return cast("GetPromptResult", result)

    def clear_cache(self) -> None:
        """Forgets every result kept under the server's ``ttlMs`` hints (modern era), so the
        next list or read asks the server; ``fresh=True`` does that for one call."""
        self._native.call(_op("clear_cache"))

    def listen(
        self,
        *,
        tools_list_changed: bool = False,
        prompts_list_changed: bool = False,
        resources_list_changed: bool = False,
        resource_subscriptions: Optional[Iterable[str]] = None,
    ) -> Subscription:
        """Subscribes to the notifications asked for (``subscriptions/listen``, modern era only:
        ``ValueError`` in the session era, whose notifications come on the standalone stream
        to ``on_notification``). Returns once the server acknowledged the filter. The events
        reach ``on_notification`` as well."""
        from mcpstream._subscription import Subscription

        wanted = _filter(tools_list_changed, prompts_list_changed, resources_list_changed, resource_subscriptions)
        return Subscription(self._native.listen(wanted))

    def set_logging_level(self, level: str) -> None:
        """Asks the server to send log messages (``on_notification`` gets them) of ``level``
        and above: debug, info, notice, warning, error, critical, alert or emergency. In the
        modern era nothing is sent: every later request carries the level."""
        self._native.call(_op("set_logging_level", level=level))

    def close(self) -> str:
        """Ends the session (HTTP DELETE). Local state is cleared whatever happens. Returns
        ``"terminated"``, ``"not_supported"`` (405), ``"already_gone"`` (404),
        ``"no_session"`` (also in the modern era, which has no session), ``"failed"``, or
        ``"left_to_parent"`` in a forked child whose session came from the parent (forgotten
        here, not ended on the server)."""
        outcome: str = self._native.call(_op("close"))
        return outcome

    def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier (by another client or process) without ``initialize``.
        Nothing is sent; if the server no longer knows the session, the next call raises
        :class:`SessionExpiredError`."""
        self._native.call(_op("resume", session_id=session_id, protocol_version=protocol_version))

    def complete_authorization(self, callback_url: str) -> None:
        """Finishes an authorization that raised :class:`~mcpstream.AuthorizationRequired`:
        ``callback_url`` is the URL the authorization server sent the browser back to. Then
        call again (or ``connect()``)."""
        self._native.call(_op("complete_authorization", callback_url=callback_url))

    def _call(self, op: str, on_progress: Optional[ProgressHandler] = None, **fields: Any) -> JSONDict:
        """Runs a request-type operation, in a client span when OpenTelemetry is installed."""
        span = _tracing.start(self, op, fields)
        if span is None:
            return _result(self._native.call(_op(op, **fields), self._progress(on_progress)))
        with span:
            result = _result(self._native.call(_op(op, meta=span.meta, **fields), self._progress(on_progress)))
            span.succeeded(result)
            return result

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

    async def connect(self) -> Union[InitializeResult, DiscoverResult]:
        """Connects and returns the server's InitializeResult or DiscoverResult; see
        :meth:`Client.connect`."""
        # Async handlers run on the loop that connected.
        import asyncio

        self._loop = asyncio.get_running_loop()
        return cast("Union[InitializeResult, DiscoverResult]", _result(await self._native.call_async(_op("connect"))))

    async def request(
        self,
        method: str,
        params: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[ProgressHandler] = None,
        log_level: Optional[str] = None,
    ) -> JSONDict:
        """Sends a JSON-RPC request and returns its ``result``."""
        return await self._call_async(
            "request", on_progress, method=method, params=params, timeout=timeout, log_level=log_level
        )

    async def notify(self, method: str, params: Optional[Mapping[str, Any]] = None) -> None:
        """Sends a JSON-RPC notification."""
        await self._native.call_async(_op("notify", method=method, params=params))

    async def ping(self) -> None:
        """Sends ``ping``; raises if the server does not answer."""
        await self._native.call_async(_op("ping"))

    async def list_tools(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListToolsResult:
        """All tools, following ``nextCursor`` to the last page: ``{"tools": [...]}``."""
        result = await self._call_async("list_tools", timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ListToolsResult", result)

    async def call_tool(
        self,
        name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[ProgressHandler] = None,
        log_level: Optional[str] = None,
        raise_on_error: bool = False,
    ) -> CallToolResult:
        """Calls a tool. A tool's own failure (an unknown tool, say) is a result with
        ``isError: true``, not an exception, unless ``raise_on_error=True``: then it raises
        :class:`~mcpstream.ToolError`, which carries the result. ``on_progress`` receives the
        params of each progress notification for this call."""
        result = await self._call_async(
            "call_tool",
            on_progress,
            name=name,
            arguments=arguments,
            timeout=timeout,
            log_level=log_level,
            raise_on_error=raise_on_error,
        )
        return cast("CallToolResult", result)

    async def list_resources(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListResourcesResult:
        """All resources, following ``nextCursor``: ``{"resources": [...]}``."""
        result = await self._call_async("list_resources", timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ListResourcesResult", result)

    async def read_resource(
        self, uri: str, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ReadResourceResult:
        """The contents of one resource: ``{"contents": [...]}``."""
        result = await self._call_async("read_resource", uri=uri, timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ReadResourceResult", result)

    async def list_prompts(
        self, *, timeout: Optional[float] = None, fresh: bool = False, log_level: Optional[str] = None
    ) -> ListPromptsResult:
        """All prompts, following ``nextCursor``: ``{"prompts": [...]}``."""
        result = await self._call_async("list_prompts", timeout=timeout, fresh=fresh, log_level=log_level)
        return cast("ListPromptsResult", result)

    async def get_prompt(
        self,
        name: str,
        arguments: Optional[Mapping[str, str]] = None,
        *,
        timeout: Optional[float] = None,
        fresh: bool = False,
        log_level: Optional[str] = None,
    ) -> GetPromptResult:
        """One prompt, filled in with ``arguments``: ``{"messages": [...]}``."""
        result = await self._call_async(
            "get_prompt", name=name, arguments=arguments, timeout=timeout, fresh=fresh, log_level=log_level
        )
        return cast("GetPromptResult", result)

    async def clear_cache(self) -> None:
        """Forgets every result kept under the server's ``ttlMs`` hints; see :meth:`Client.clear_cache`."""
        await self._native.call_async(_op("clear_cache"))

    async def listen(
        self,
        *,
        tools_list_changed: bool = False,
        prompts_list_changed: bool = False,
        resources_list_changed: bool = False,
        resource_subscriptions: Optional[Iterable[str]] = None,
    ) -> AsyncSubscription:
        """Subscribes to the notifications asked for; see :meth:`Client.listen`. Cancelling
        this drops the listen request."""
        from mcpstream._subscription import AsyncSubscription

        wanted = _filter(tools_list_changed, prompts_list_changed, resources_list_changed, resource_subscriptions)
        return AsyncSubscription(await self._native.listen_async(wanted))

    async def set_logging_level(self, level: str) -> None:
        """Asks the server for log messages of ``level`` and above; see :meth:`Client.set_logging_level`."""
        await self._native.call_async(_op("set_logging_level", level=level))

    async def close(self) -> str:
        """Ends the session (HTTP DELETE); see :meth:`Client.close`."""
        outcome: str = await self._native.call_async(_op("close"))
        return outcome

    async def resume(self, session_id: str, protocol_version: str) -> None:
        """Adopts a session made earlier without ``initialize``; see :meth:`Client.resume`."""
        import asyncio

        self._loop = asyncio.get_running_loop()
        op = _op("resume", session_id=session_id, protocol_version=protocol_version)
        await self._native.call_async(op)

    async def complete_authorization(self, callback_url: str) -> None:
        """Finishes an authorization that raised :class:`~mcpstream.AuthorizationRequired`;
        see :meth:`Client.complete_authorization`."""
        await self._native.call_async(_op("complete_authorization", callback_url=callback_url))

    async def _call_async(self, op: str, on_progress: Optional[ProgressHandler] = None, **fields: Any) -> JSONDict:
        """Runs a request-type operation, in a client span when OpenTelemetry is installed."""
        span = _tracing.start(self, op, fields)
        if span is None:
            return _result(await self._native.call_async(_op(op, **fields), self._progress(on_progress)))
        with span:
            op_text = _op(op, meta=span.meta, **fields)
            result = _result(await self._native.call_async(op_text, self._progress(on_progress)))
            span.succeeded(result)
            return result

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

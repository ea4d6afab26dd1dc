"""Adapters between user callbacks and the native layer.

The native layer calls these with JSON text and expects JSON text back. They run on the
client's own threads, never on the runtime's: request handlers each on a thread of their own,
notification, progress and session-change callbacks one at a time, in order, on the client's
callback thread. User handlers may be plain functions or, on AsyncClient, coroutines, which
run on the client's event loop.
"""

from __future__ import annotations

import json

from mcpstream.errors import RPCError

# typing, asyncio and inspect cost more to import than the rest of the package; annotations
# need none of them at run time, and only async handlers need asyncio and inspect, which run
# where asyncio is already loaded.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Awaitable, Optional

    from mcpstream._aliases import (
        JSONDict,
        LoopGetter,
        NotificationAdapter,
        NotificationHandler,
        ProgressAdapter,
        ProgressHandler,
        RequestAdapter,
        RequestHandler,
        SessionChangeAdapter,
        SessionChangeHandler,
    )


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _run(result: Any, loop_getter: LoopGetter, wait: bool) -> Any:
    """Runs an awaitable a handler returned on the client's loop (waiting for it if asked)."""
    import inspect

    if not inspect.isawaitable(result):
        return result
    loop = loop_getter()
    if loop is None or loop.is_closed():
        raise RuntimeError("an async handler needs AsyncClient and its running event loop")
    import asyncio

    future = asyncio.run_coroutine_threadsafe(_awaited(result), loop)
    return future.result() if wait else None


def _loads(text: Optional[str]) -> Optional[JSONDict]:
    value: Optional[JSONDict] = None if text is None else json.loads(text)
    return value


def request(handler: RequestHandler, loop_getter: LoopGetter) -> RequestAdapter:
    """A server request's answer as JSON text (the binding kit's shape): the handler's result,
    an RPCError it raised, or any other exception (sent to the server as -32603)."""

    def call(params: Optional[str]) -> str:
        try:
            result = _run(handler(_loads(params)), loop_getter, wait=True)
            return json.dumps({"result": result})
        except RPCError as e:
            return json.dumps({"error": {"code": e.code, "message": e.rpc_message, "data": e.data}})
        except Exception as e:  # noqa: BLE001 - any failure becomes a JSON-RPC error for the server
            return json.dumps({"raised": {"class": type(e).__name__, "message": str(e)}})

    return call


def notification(handler: NotificationHandler, loop_getter: LoopGetter) -> NotificationAdapter:
    def call(method: str, params: Optional[str]) -> None:
        _run(handler(method, _loads(params)), loop_getter, wait=False)

    return call


def progress(handler: ProgressHandler, loop_getter: LoopGetter) -> ProgressAdapter:
    def call(params: str) -> None:
        _run(handler(json.loads(params)), loop_getter, wait=False)

    return call


def session_change(handler: SessionChangeHandler, loop_getter: LoopGetter) -> SessionChangeAdapter:
    def call(old: Optional[str], new: Optional[str], reason: str) -> None:
        _run(handler(old, new, reason), loop_getter, wait=False)

    return call

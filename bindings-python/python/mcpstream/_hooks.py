"""Adapters between user callbacks and the native layer.

The native layer calls these with JSON text and expects fixed shapes back. User handlers may
be plain functions or, on AsyncClient, coroutines, which run on the client's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any, Awaitable, Callable, Optional, Tuple

from mcpstream.errors import RPCError

LoopGetter = Callable[[], Optional[asyncio.AbstractEventLoop]]
RequestHandler = Callable[[Optional[dict]], Any]
NotificationHandler = Callable[[str, Optional[dict]], Any]
ProgressHandler = Callable[[dict], Any]
SessionChangeHandler = Callable[[Optional[str], Optional[str], str], Any]

INTERNAL_ERROR = -32603


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _run(result: Any, loop_getter: LoopGetter, wait: bool) -> Any:
    """Runs an awaitable a handler returned on the client's loop (waiting for it if asked)."""
    if not inspect.isawaitable(result):
        return result
    loop = loop_getter()
    if loop is None or loop.is_closed():
        raise RuntimeError("an async handler needs AsyncClient and its running event loop")
    future = asyncio.run_coroutine_threadsafe(_awaited(result), loop)
    return future.result() if wait else None


def _loads(text: Optional[str]) -> Optional[dict]:
    return None if text is None else json.loads(text)


def request(
    handler: RequestHandler, loop_getter: LoopGetter
) -> Callable[[Optional[str]], Tuple[bool, Optional[str], int, str]]:
    """A server request's answer: its result, or an RPCError it raised, or -32603 for any other
    exception, as ``(ok, json, code, message)``."""

    def call(params: Optional[str]) -> Tuple[bool, Optional[str], int, str]:
        try:
            result = _run(handler(_loads(params)), loop_getter, wait=True)
            return (True, json.dumps(result), 0, "")
        except RPCError as e:
            return (False, None if e.data is None else json.dumps(e.data), e.code, e.message)
        except Exception as e:  # noqa: BLE001 - any failure becomes a JSON-RPC error for the server
            return (False, None, INTERNAL_ERROR, f"{type(e).__name__}: {e}")

    return call


def notification(handler: NotificationHandler, loop_getter: LoopGetter) -> Callable[[str, Optional[str]], None]:
    def call(method: str, params: Optional[str]) -> None:
        _run(handler(method, _loads(params)), loop_getter, wait=False)

    return call


def progress(handler: ProgressHandler, loop_getter: LoopGetter) -> Callable[[str], None]:
    def call(params: str) -> None:
        _run(handler(json.loads(params)), loop_getter, wait=False)

    return call


def session_change(
    handler: SessionChangeHandler, loop_getter: LoopGetter
) -> Callable[[Optional[str], Optional[str], str], None]:
    def call(old: Optional[str], new: Optional[str], reason: str) -> None:
        _run(handler(old, new, reason), loop_getter, wait=False)

    return call

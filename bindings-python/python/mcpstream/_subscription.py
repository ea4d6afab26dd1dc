"""Subscriptions (``subscriptions/listen``, modern era): :class:`Subscription`,
:class:`AsyncSubscription` and the :class:`SubscriptionEvent` both yield."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Dict, Iterator, Literal, Optional, Tuple, Type, cast

from mcpstream._native import NativeSubscription
from mcpstream.errors import MCPError

JSONDict = Dict[str, Any]


@dataclass(frozen=True)
class SubscriptionEvent:
    """What a subscription reports, in order.

    - ``"notification"``: a notification the filter asked for; ``method`` and ``params`` (whose
      ``_meta["io.modelcontextprotocol/subscriptionId"]`` names the subscription). The client's
      ``on_notification`` handler gets it too.
    - ``"relistened"``: the stream dropped and the client listened again after ``attempts``
      tries; ``acknowledged`` is the filter honoured now. Nothing sent in between was replayed:
      re-read whatever the subscription is about.
    - ``"ended"``: the last event. ``error`` is ``None`` when the server ended the
      subscription, else the :class:`MCPError` it ended with (listening again failed, say, or
      the subscription was made before ``fork()`` and is read in the child).
    """

    type: Literal["notification", "relistened", "ended"]
    method: Optional[str] = None
    params: Optional[JSONDict] = None
    attempts: Optional[int] = None
    acknowledged: Optional[JSONDict] = None
    error: Optional[MCPError] = None


def _event(raw: Optional[Tuple[str, Optional[BaseException]]]) -> Optional[SubscriptionEvent]:
    if raw is None:
        return None
    text, error = raw
    fields: JSONDict = json.loads(text)
    # The binding kit makes every ending error an MCPError.
    return SubscriptionEvent(**fields, error=cast(Optional[MCPError], error))


class _Base:
    def __init__(self, native: NativeSubscription) -> None:
        self._native = native
        self._acknowledged: JSONDict = json.loads(native.acknowledged)

    @property
    def acknowledged(self) -> JSONDict:
        """The filter the server honours (it may have narrowed what was asked), e.g.
        ``{"toolsListChanged": True}``."""
        return self._acknowledged

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._acknowledged}>"


class Subscription(_Base):
    """An open subscription, from :meth:`Client.listen`. Iterating yields events until the
    ``"ended"`` one (or until closed); ``with`` closes it on exit. Waiting releases the GIL
    and Ctrl-C interrupts it without ending the subscription.

    It stays with the process that listened: in a child forked after ``listen`` the parent
    goes on receiving, and here the first wait returns at once an ``"ended"`` event whose
    ``error`` says so. Listen again in the child."""

    def next(self, timeout: Optional[float] = None) -> Optional[SubscriptionEvent]:
        """The next event, waiting at most ``timeout`` seconds (``None``: as long as it takes).
        ``None`` when none came in time, after the ``"ended"`` event, or once closed."""
        return _event(self._native.next(timeout))

    def close(self) -> None:
        """Ends the subscription (closes its stream). A wait in another thread returns ``None``."""
        self._native.close()

    def __iter__(self) -> Iterator[SubscriptionEvent]:
        return self

    def __next__(self) -> SubscriptionEvent:
        event = self.next()
        if event is None:
            raise StopIteration
        return event

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncSubscription(_Base):
    """The asyncio twin of :class:`Subscription`, from :meth:`AsyncClient.listen`:
    ``async for`` yields events until the ``"ended"`` one, ``async with`` closes it on exit.
    Cancelling a wait leaves the subscription open."""

    async def next(self, timeout: Optional[float] = None) -> Optional[SubscriptionEvent]:
        """The next event, or ``None``; see :meth:`Subscription.next`."""
        return _event(await self._native.next_async(timeout))

    async def aclose(self) -> None:
        """Ends the subscription (closes its stream)."""
        self._native.close()

    def __aiter__(self) -> AsyncSubscription:
        return self

    async def __anext__(self) -> SubscriptionEvent:
        event = await self.next()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> AsyncSubscription:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

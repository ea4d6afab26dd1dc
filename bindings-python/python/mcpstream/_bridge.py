"""Completes asyncio futures for the native layer (always on the event loop's thread)."""

from __future__ import annotations

import asyncio
from typing import Any


def resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # cancelled while the result was on its way
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)

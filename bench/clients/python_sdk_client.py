"""The official Python SDK client (mcp 2.3: streamable_http_client + ClientSession) under
benchmark: sequential (the default, or `seq`), `cN` (N calls in flight on one session) or
`cold` (connect, one call, report at once: the remote benchmark times a fresh process to its
first result). Same contract as every bench client: `URL short|1k|1m SECONDS [MODE]`."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, Dict, List

from benchreport import TEXTS, report, rss_kb, warmup_calls
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def measure(session: ClientSession, args: Dict[str, Any], seconds: float, in_flight: int) -> None:
    rss = rss_kb()
    latencies: List[float] = []
    cpu0, start = time.process_time(), time.perf_counter()

    async def worker() -> None:
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            await session.call_tool("echo", args)
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    report(latencies, time.perf_counter() - start, time.process_time() - cpu0, rss)


async def main() -> None:
    url, text, seconds = sys.argv[1], TEXTS[sys.argv[2]], float(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "seq"
    args = {"text": text}
    # The same 16 MiB cap as mcpstream's default (the SDK's own, 1 MiB, refuses the 1 MiB echo).
    limit = 16 * 1024 * 1024
    started = time.perf_counter()
    async with (
        streamable_http_client(url, max_sse_event_size=limit) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        if mode == "cold":
            await session.call_tool("echo", args)
            took = time.perf_counter() - started
            report([took], took, time.process_time(), rss_kb())
            sys.stdout.flush()
            return
        for _ in range(warmup_calls(text)):
            await session.call_tool("echo", args)
        await measure(session, args, seconds, int(mode[1:]) if mode.startswith("c") else 1)


if __name__ == "__main__":
    asyncio.run(main())

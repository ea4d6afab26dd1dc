"""The official Python SDK client (mcp 2.3: streamable_http_client + ClientSession) under
benchmark, sequential. Same contract as every bench client: `URL short|1k|1m SECONDS`."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import List

from benchreport import TEXTS, report, rss_kb, warmup_calls
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def main() -> None:
    url, text, seconds = sys.argv[1], TEXTS[sys.argv[2]], float(sys.argv[3])
    args = {"text": text}
    # The same 16 MiB cap as mcpstream's default (the SDK's own, 1 MiB, refuses the 1 MiB echo).
    limit = 16 * 1024 * 1024
    async with (
        streamable_http_client(url, max_sse_event_size=limit) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        for _ in range(warmup_calls(text)):
            await session.call_tool("echo", args)
        rss = rss_kb()
        latencies: List[float] = []
        cpu0, start = time.process_time(), time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            await session.call_tool("echo", args)
            latencies.append(time.perf_counter() - t)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    report(latencies, elapsed, cpu, rss)


if __name__ == "__main__":
    asyncio.run(main())

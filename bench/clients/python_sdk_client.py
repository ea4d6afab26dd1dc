"""The official Python SDK client (mcp 2.3: streamable_http_client + ClientSession) under
benchmark, sequential. Same contract as every bench client: `URL short|1k|1m SECONDS`."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from typing import List

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

TEXTS = {"short": "hello", "1k": "x" * 1024, "1m": "x" * (1024 * 1024)}


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


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
        for _ in range(2 if len(text) > 65536 else 20):
            await session.call_tool("echo", args)
        rss = rss_kb()
        latencies: List[float] = []
        cpu0, start = time.process_time(), time.perf_counter()
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            await session.call_tool("echo", args)
            latencies.append(time.perf_counter() - t)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[max(1, math.ceil(len(latencies) * q)) - 1] * 1e6 if latencies else 0.0

    print(
        json.dumps(
            {
                "calls": len(latencies),
                "seconds": elapsed,
                "p50_us": pick(0.5),
                "p99_us": pick(0.99),
                "cpu_seconds": cpu,
                "rss_idle_kb": rss,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

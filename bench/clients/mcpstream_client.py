"""mcpstream's Python package under benchmark: `sync` (one thread), `legacy` (one thread, 2025
session era), `t8` (8 threads sharing one Client), `aN` (AsyncClient with N calls in flight,
e.g. `a64`) or `cold` (connect, one call, report at once: the remote benchmark times a fresh
process to its first result). Same contract as every bench client: `URL short|1k|1m SECONDS
[MODE]`, one JSON line out."""

from __future__ import annotations

import sys
import threading
import time

import mcpstream
from benchreport import TEXTS, report, rss_kb, warmup_calls


def main() -> None:
    url, text, seconds = sys.argv[1], TEXTS[sys.argv[2]], float(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "sync"
    warmup = warmup_calls(text)
    args = {"text": text}
    if mode.startswith("a"):
        # Imported only here: a cold start must not pay for what a sync script never loads
        # (asyncio alone is ~60 ms).
        import asyncio

        asyncio.run(run_async(url, args, seconds, warmup, int(mode[1:])))
        return
    # `legacy`: one thread speaking the 2025 session era, as the official clients do.
    client = mcpstream.Client(url, timeout=60, era="legacy" if mode == "legacy" else "auto")
    if mode == "cold":
        started = time.perf_counter()
        client.connect()
        client.call_tool("echo", args)
        report([time.perf_counter() - started], time.perf_counter() - started, time.process_time(), rss_kb())
        sys.stdout.flush()
        client.close()
        return
    client.connect()
    for _ in range(warmup):
        client.call_tool("echo", args)
    rss = rss_kb()
    threads = 8 if mode == "t8" else 1
    results: list[list[float]] = [[] for _ in range(threads)]
    cpu0, start = time.process_time(), time.perf_counter()
    deadline = start + seconds

    def worker(latencies: list[float]) -> None:
        call, clock = client.call_tool, time.perf_counter
        while clock() < deadline:
            t = clock()
            call("echo", args)
            latencies.append(clock() - t)

    if threads == 1:
        worker(results[0])
    else:
        pool = [threading.Thread(target=worker, args=(r,)) for r in results]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    report([x for r in results for x in r], elapsed, cpu, rss)
    client.close()


async def run_async(url: str, args: dict, seconds: float, warmup: int, in_flight: int) -> None:
    client = mcpstream.AsyncClient(url, timeout=60)
    await client.connect()
    for _ in range(warmup):
        await client.call_tool("echo", args)
    rss = rss_kb()
    latencies: list[float] = []
    cpu0, start = time.process_time(), time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        clock = time.perf_counter
        while clock() < deadline:
            t = clock()
            await client.call_tool("echo", args)
            latencies.append(clock() - t)

    import asyncio

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    report(latencies, time.perf_counter() - start, time.process_time() - cpu0, rss)
    await client.close()


if __name__ == "__main__":
    main()

"""One client shared by many asyncio tasks or threads, and Ctrl-C on a waiting call."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

from mcpstream import AsyncClient, Client


def test_100_concurrent_calls_on_one_async_client(server):
    async def main():
        async with AsyncClient(server.url) as client:
            results = await asyncio.gather(*(client.call_tool("echo", {"text": f"call {i}"}) for i in range(100)))
            return client.session_id, [r["content"][0]["text"] for r in results]

    sid, texts = asyncio.run(main())
    assert texts == [f"call {i}" for i in range(100)]
    calls = server.posts("tools/call")
    assert len(calls) == 100
    assert {c["headers"]["mcp-session-id"] for c in calls} == {sid}


def test_8_threads_share_one_client_and_run_in_parallel(server):
    client = Client(server.url)
    client.connect()
    errors = []
    results = {}

    def work(t):
        try:
            # Each thread's slow call overlaps the others' only if the GIL is released.
            results[t] = client.call_tool("slow", {"ms": 300})["content"][0]["text"]
            for i in range(10):
                assert client.call_tool("echo", {"text": f"{t}-{i}"})["content"][0]["text"] == f"{t}-{i}"
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    elapsed = time.monotonic() - start
    assert not errors, errors
    assert len(results) == 8
    # 8 × 300 ms serialised would take 2.4 s; in parallel it takes a little over 0.3 s.
    assert elapsed < 2.0, f"threads did not overlap: {elapsed:.2f}s"
    client.close()


INTERRUPTED_CALL = textwrap.dedent(
    """
    import sys, time
    from mcpstream import Client
    client = Client(sys.argv[1])
    client.connect()
    print("ready", flush=True)
    try:
        client.call_tool("slow", {"ms": 10000})
        print("not interrupted", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.time():.6f}", flush=True)
    print(client.call_tool("echo", {"text": "still usable"})["content"][0]["text"], flush=True)
    """
)


def test_ctrl_c_interrupts_a_blocking_call_and_the_client_stays_usable(server):
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_CALL, server.url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # let the call reach the server and block
        sent = time.time()
        os.kill(child.pid, signal.SIGINT)
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
    lines = out.splitlines()
    assert lines[0].startswith("interrupted"), out
    latency = float(lines[0].split()[1]) - sent
    assert latency < 0.5, f"KeyboardInterrupt took {latency:.3f}s"
    assert lines[1] == "still usable"


ASYNC_THEN_EXIT = textwrap.dedent(
    """
    import asyncio, sys
    from mcpstream import AsyncClient
    async def main():
        async with AsyncClient(sys.argv[1]) as client:
            await asyncio.gather(*(client.ping() for _ in range(20)))
    asyncio.run(main())
    """
)


def test_interpreter_exits_cleanly_right_after_async_calls(server):
    # Runtime threads finishing asyncio futures used to race interpreter finalization
    # (a segfault in a few percent of runs); repeat to give the race a chance to show.
    for _ in range(15):
        out = subprocess.run([sys.executable, "-c", ASYNC_THEN_EXIT, server.url], capture_output=True, timeout=30)
        assert out.returncode == 0, (out.returncode, out.stderr[-500:])

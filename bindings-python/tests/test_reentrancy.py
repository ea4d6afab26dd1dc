"""User code never runs on a runtime thread or under a core lock: callbacks and handlers that
call their own client, sleep or raise finish (or raise) within their timeouts, and nothing
else waits for them."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from mcpstream import AsyncClient, Client, RPCError

ECHO = {"text": "inner"}


def echo_text(result):
    return result["content"][0]["text"]


def test_a_progress_callback_can_call_its_own_client(server):
    with Client(server.url, timeout=5) as client:
        inner = []

        def on_progress(params):
            inner.append(echo_text(client.call_tool("echo", ECHO)))

        out = client.call_tool("progress", {"steps": 3}, on_progress=on_progress)
        assert echo_text(out) == "done 3"
        assert inner == ["inner"] * 3


def test_a_progress_callback_can_make_a_call_with_progress_of_its_own(server):
    with Client(server.url, timeout=5) as client:
        outer, inner = [], []

        def on_outer(params):
            outer.append(params["progress"])
            if params["progress"] == 1:
                client.call_tool("progress", {"steps": 2}, on_progress=lambda p: inner.append(p["progress"]))

        started = time.monotonic()
        client.call_tool("progress", {"steps": 2}, on_progress=on_outer)
        assert time.monotonic() - started < 2
        assert (outer, inner) == ([1, 2], [1, 2])


def test_a_notification_handler_can_call_its_own_client(server):
    answers = []
    done = threading.Event()
    holder = {}

    def on_notification(method, params):
        answers.append(echo_text(holder["client"].call_tool("progress", {"steps": 1}, on_progress=lambda p: None)))
        if len(answers) == 2:
            done.set()

    with Client(server.url, timeout=5, on_notification=on_notification) as client:
        holder["client"] = client
        # Without a progress token the tool logs each step as notifications/message.
        client.call_tool("progress", {"steps": 2})
        assert done.wait(5), "the nested calls finished"
    assert answers == ["done 1", "done 1"]


def test_an_elicitation_handler_can_call_its_own_client_with_progress(server):
    holder = {}

    def on_elicitation(params):
        seen = []
        holder["client"].call_tool("progress", {"steps": 2}, on_progress=seen.append)
        return {"action": "accept", "content": {"name": f"saw {len(seen)}"}}

    with Client(server.url, timeout=5, on_elicitation=on_elicitation) as client:
        holder["client"] = client
        out = client.call_tool("ask", {"kind": "elicitation"})
        assert out["structuredContent"]["result"]["content"] == {"name": "saw 2"}


def test_a_sleeping_callback_slows_no_other_call_and_no_other_client(server, make_server):
    other_server = make_server()
    with Client(server.url, timeout=5) as client, Client(other_server.url, timeout=5) as other:
        sleeping = threading.Event()

        def on_progress(params):
            sleeping.set()
            time.sleep(1.5)

        worker = threading.Thread(
            target=client.call_tool, args=("progress", {"steps": 1}), kwargs={"on_progress": on_progress}
        )
        worker.start()
        assert sleeping.wait(5)
        # Another thread's call on the same client, with a progress callback of its own.
        started = time.monotonic()
        client.call_tool("progress", {"steps": 2}, on_progress=lambda p: None)
        same_client = time.monotonic() - started
        # And an unrelated client.
        started = time.monotonic()
        for _ in range(5):
            other.call_tool("echo", ECHO)
        other_client = time.monotonic() - started
        worker.join(5)
        assert same_client < 0.5, f"blocked {same_client:.2f}s behind a sleeping callback"
        assert other_client < 0.5, f"an unrelated client took {other_client:.2f}s"


def test_two_blocked_callbacks_do_not_stall_the_runtime(server, make_server):
    # Two callbacks that each wait on their own client used to hold two runtime workers.
    other_server = make_server()
    with Client(server.url, timeout=5) as a, Client(server.url, timeout=5) as b, Client(other_server.url) as other:
        results = []

        def nested(client):
            def on_progress(params):
                results.append(echo_text(client.call_tool("slow", {"ms": 300})))

            return on_progress

        threads = [
            threading.Thread(target=c.call_tool, args=("progress", {"steps": 1}), kwargs={"on_progress": nested(c)})
            for c in (a, b)
        ]
        for t in threads:
            t.start()
        started = time.monotonic()
        other.call_tool("slow", {"ms": 200}, timeout=2)
        assert time.monotonic() - started < 1.0
        for t in threads:
            t.join(5)
        assert len(results) == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_callbacks_that_raise_do_not_stop_the_call(server):
    def on_notification(method, params):
        raise RuntimeError("notification handler failed")

    def on_elicitation(params):
        raise ValueError("no answer today")

    with Client(server.url, timeout=5, on_notification=on_notification, on_elicitation=on_elicitation) as client:

        def on_progress(params):
            raise RuntimeError("progress callback failed")

        out = client.call_tool("progress", {"steps": 2, "log": True}, on_progress=on_progress)
        assert echo_text(out) == "done 2"
        out = client.call_tool("ask", {"kind": "elicitation"})
        error = out["structuredContent"]["error"]
        assert error["code"] == -32603 and "ValueError: no answer today" in error["message"]
        assert echo_text(client.call_tool("echo", ECHO)) == "inner"


def test_a_handler_that_returns_nothing_is_answered_at_once(server):
    with Client(server.url, timeout=5, on_elicitation=lambda params: None, on_roots=lambda params: "/src") as client:
        started = time.monotonic()
        # The server hears it, and so does the developer: the call may never say.
        with pytest.warns(RuntimeWarning, match="the elicitation handler returned nothing"):
            out = client.call_tool("ask", {"kind": "elicitation"})
        assert time.monotonic() - started < 2
        error = out["structuredContent"]["error"]
        assert error["code"] == -32603
        assert "elicitation handler returned nothing" in error["message"]
        with pytest.warns(RuntimeWarning, match="the roots handler returned a string, not a result object"):
            out = client.call_tool("ask", {"kind": "roots"})
        assert out["structuredContent"]["error"]["code"] == -32603


def test_a_modern_handler_that_returns_nothing_fails_the_call_at_once(make_server):
    server = make_server(era="modern")
    with Client(server.url, timeout=5, on_elicitation=lambda params: None) as client:
        started = time.monotonic()
        with pytest.warns(RuntimeWarning), pytest.raises(RPCError, match="elicitation handler returned nothing"):
            client.call_tool("ask_input", {"kind": "elicitation"})
        assert time.monotonic() - started < 2


def test_async_progress_callbacks_run_on_the_loop_and_may_call_the_client(server):
    async def main():
        async with AsyncClient(server.url, timeout=5) as client:
            loop_thread = threading.get_ident()
            seen = []
            inner = []

            async def on_progress(params):
                seen.append(threading.get_ident())
                inner.append(echo_text(await client.call_tool("echo", ECHO)))

            out = await client.call_tool("progress", {"steps": 2}, on_progress=on_progress)
            assert echo_text(out) == "done 2"
            await asyncio.sleep(0.2)  # coroutine callbacks run as tasks on the loop
            assert seen == [loop_thread, loop_thread]
            assert inner == ["inner", "inner"]

    asyncio.run(main())

"""Subscriptions (``subscriptions/listen``, modern era) and per-call options (``timeout``,
``fresh``, ``log_level``) through the Python API, against the reference server driven through
its admin routes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import rpc_method
from mcpstream import AsyncClient, AsyncSubscription, Client, MCPError, Subscription, SubscriptionEvent

SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
LOG_LEVEL = "io.modelcontextprotocol/logLevel"
TOOLS_CHANGED = "notifications/tools/list_changed"
UPDATED = "notifications/resources/updated"


def eventually(check, what, limit=5.0):
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def listen_id(server):
    """The JSON-RPC id of the last listen request, which names the subscription."""
    return server.posts("subscriptions/listen")[-1]["body"]["id"]


@pytest.mark.timeout(30)
def test_notifications_arrive_tagged_and_reach_on_notification_too(make_server):
    server = make_server(era="modern")
    heard = []
    client = Client(server.url, on_notification=lambda method, params: heard.append((method, params)))
    client.connect()
    with client.listen(tools_list_changed=True, resource_subscriptions=["mem://greeting"]) as sub:
        assert isinstance(sub, Subscription)
        assert sub.acknowledged == {"toolsListChanged": True, "resourceSubscriptions": ["mem://greeting"]}
        assert sub.next(timeout=0.05) is None, "nothing sent yet"

        assert server.notify(method=TOOLS_CHANGED) == 1
        event = sub.next(timeout=5)
        assert isinstance(event, SubscriptionEvent)
        assert (event.type, event.method, event.error) == ("notification", TOOLS_CHANGED, None)
        assert event.params is not None and event.params["_meta"][SUBSCRIPTION_ID] == listen_id(server)

        assert server.notify(method=UPDATED, uri="mem://greeting") == 1
        assert server.notify(method=UPDATED, uri="mem://other") == 0, "not subscribed"
        event = next(sub)
        assert event.method == UPDATED and event.params is not None and event.params["uri"] == "mem://greeting"
        with pytest.raises(AttributeError):
            event.type = "ended"  # type: ignore[misc]
    eventually(lambda: [m for m, _ in heard] == [TOOLS_CHANGED, UPDATED], "on_notification")

    # Only what was asked for is on the wire: unset flags are left out.
    assert server.posts("subscriptions/listen")[-1]["body"]["params"]["notifications"] == {
        "toolsListChanged": True,
        "resourceSubscriptions": ["mem://greeting"],
    }


@pytest.mark.timeout(30)
def test_the_server_ending_a_subscription_ends_the_iteration(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client:
        sub = client.listen(prompts_list_changed=True)
        server.notify(method="notifications/prompts/list_changed")
        server.notify(end=True)
        events = list(sub)
        assert [e.type for e in events] == ["notification", "ended"]
        assert events[-1].error is None
        assert sub.next() is None and sub.next(timeout=1) is None, "nothing after the end"
        assert server.listeners() == 0


@pytest.mark.timeout(30)
def test_a_dropped_stream_is_listened_to_again(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client, client.listen(tools_list_changed=True) as sub:
        first = listen_id(server)
        assert server.notify(drop=True) == 1
        event = sub.next(timeout=10)
        assert event is not None and event.type == "relistened", event
        assert event.attempts is not None and event.attempts >= 1
        assert event.acknowledged == {"toolsListChanged": True}
        again = listen_id(server)
        assert again != first and len(server.posts("subscriptions/listen")) == 2
        server.notify(method=TOOLS_CHANGED)
        event = sub.next(timeout=5)
        assert event is not None and event.params is not None
        assert event.params["_meta"][SUBSCRIPTION_ID] == again


@pytest.mark.timeout(30)
def test_closing_ends_the_stream_and_a_wait_in_another_thread(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client:
        with client.listen(tools_list_changed=True):
            assert server.listeners() == 1
        eventually(lambda: server.listeners() == 0, "the closed stream")

        sub = client.listen(tools_list_changed=True)
        seen = []
        waiter = threading.Thread(target=lambda: seen.extend(sub))
        waiter.start()
        time.sleep(0.2)
        sub.close()
        waiter.join(timeout=5)
        assert not waiter.is_alive() and seen == [], "close ends the iteration"
        eventually(lambda: server.listeners() == 0, "the closed stream")
        client.call_tool("echo", {"text": "still usable"})


def test_listen_needs_the_modern_era_and_checks_its_arguments(make_server):
    legacy = make_server(era="legacy")
    with Client(legacy.url) as client:
        with pytest.raises(ValueError, match="modern era"):
            client.listen(tools_list_changed=True)
    modern = make_server(era="modern")
    with Client(modern.url) as client:
        with pytest.raises(ValueError, match="resource_subscriptions"):
            client.listen(resource_subscriptions="mem://greeting")
        with pytest.raises(ValueError, match="tools_list_changed"):
            client.listen(tools_list_changed="yes")  # type: ignore[arg-type]
        with client.listen(resource_subscriptions=(uri for uri in ["mem://greeting"])) as sub:
            assert sub.acknowledged == {"resourceSubscriptions": ["mem://greeting"]}
            with pytest.raises(ValueError, match="timeout"):
                sub.next(timeout=-1)


INTERRUPTED_WAIT = textwrap.dedent(
    """
    import sys, time
    from mcpstream import Client
    client = Client(sys.argv[1])
    client.connect()
    sub = client.listen(tools_list_changed=True)
    print("ready", flush=True)
    try:
        sub.next()
        print("not interrupted", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.time():.6f}", flush=True)
    event = sub.next(timeout=10)
    print(event.method if event else "no event", flush=True)
    """
)


@pytest.mark.timeout(30)
def test_ctrl_c_interrupts_a_wait_and_the_subscription_stays_open(make_server):
    server = make_server(era="modern")
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_WAIT, server.url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        sent = time.time()
        os.kill(child.pid, signal.SIGINT)
        line = child.stdout.readline().split()
        assert line[0] == "interrupted", line
        assert float(line[1]) - sent < 0.5, "KeyboardInterrupt came late"
        assert server.notify(method=TOOLS_CHANGED) == 1, "the stream is still open"
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
    assert out.strip() == TOOLS_CHANGED


@pytest.mark.timeout(30)
def test_async_subscriptions(make_server):
    server = make_server(era="modern")
    legacy = make_server(era="legacy")

    async def main():
        async with AsyncClient(server.url) as client:
            async with await client.listen(tools_list_changed=True) as sub:
                assert isinstance(sub, AsyncSubscription)
                assert sub.acknowledged == {"toolsListChanged": True}
                assert await sub.next(timeout=0.05) is None
                # A cancelled wait leaves the subscription open.
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(sub.next(), 0.1)
                server.notify(method=TOOLS_CHANGED)
                event = await sub.next(timeout=5)
                assert event is not None and event.method == TOOLS_CHANGED
                assert event.params is not None and event.params["_meta"][SUBSCRIPTION_ID] == listen_id(server)
                server.notify(drop=True)
                event = await sub.next(timeout=10)
                assert event is not None and event.type == "relistened"
                server.notify(method=TOOLS_CHANGED)
                server.notify(end=True)
                assert [e.type async for e in sub] == ["notification", "ended"]
            sub = await client.listen(prompts_list_changed=True)
            assert server.listeners() == 1
            await sub.aclose()
            assert await sub.next() is None
        async with AsyncClient(legacy.url) as client:
            with pytest.raises(ValueError):
                await client.listen(tools_list_changed=True)

    asyncio.run(main())
    eventually(lambda: server.listeners() == 0, "the closed streams")


def test_an_ending_error_is_an_mcperror():
    # Built as the binding builds it: the dataclass takes whichever fields the event has.
    event = SubscriptionEvent(type="ended", error=MCPError("gave up"))
    assert event.error is not None and str(event.error) == "gave up"
    assert (event.method, event.params, event.attempts, event.acknowledged) == (None, None, None, None)


def list_pages(server):
    return len(server.posts("tools/list"))


def test_fresh_bypasses_a_kept_result_and_clear_cache_forgets_them(make_server):
    server = make_server("--ttl-ms", "60000", era="modern")
    with Client(server.url) as client:
        tools = client.list_tools()
        pages = list_pages(server)
        assert pages >= 1
        assert client.list_tools() == tools
        assert list_pages(server) == pages, "a result the server allowed to be reused is reused"
        assert client.list_tools(fresh=True) == tools
        assert list_pages(server) == 2 * pages, "fresh asks the server"
        client.list_tools()
        assert list_pages(server) == 2 * pages, "and keeps the new result"
        client.clear_cache()
        client.list_tools()
        assert list_pages(server) == 3 * pages

        client.read_resource("mem://greeting")
        client.read_resource("mem://greeting")
        client.read_resource("mem://greeting", fresh=True)
        assert len(server.posts("resources/read")) == 2


def test_log_level_and_timeout_per_call(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client:
        client.list_tools(log_level="debug", timeout=5)
        client.call_tool("echo", {"text": "x"}, log_level="warning")
        client.read_resource("mem://greeting", log_level="error", timeout=5)
        client.list_prompts(log_level="info")
        client.request("resources/list", log_level="notice")
        with pytest.raises(ValueError, match="timeout"):
            client.list_tools(timeout=-1)
        with pytest.raises(ValueError, match="fresh"):
            client.list_tools(fresh="yes")  # type: ignore[arg-type]
    levels = {
        rpc_method(r): r["body"]["params"]["_meta"].get(LOG_LEVEL)
        for r in server.requests()
        if rpc_method(r) != "server/discover"
    }
    assert levels == {
        "tools/list": "debug",
        "tools/call": "warning",
        "resources/read": "error",
        "prompts/list": "info",
        "resources/list": "notice",
    }


def test_async_per_call_options(make_server):
    server = make_server("--ttl-ms", "60000", era="modern")
    holder = {}

    async def main():
        async with AsyncClient(server.url) as client:
            await client.list_tools()
            pages = list_pages(server)
            holder["pages"] = pages
            await client.list_tools()
            await client.list_tools(fresh=True, log_level="debug")
            assert list_pages(server) == 2 * pages
            await client.clear_cache()
            await client.list_tools()
            assert list_pages(server) == 3 * pages
            prompt = (await client.list_prompts(timeout=5))["prompts"][0]["name"]
            await client.get_prompt(prompt, {"name": "Ada"}, log_level="alert")

    asyncio.run(main())
    pages = holder["pages"]
    levels = [r["body"]["params"]["_meta"].get(LOG_LEVEL) for r in server.posts("tools/list")]
    assert levels == [None] * pages + ["debug"] * pages + [None] * pages, "only the fresh list had a level"
    assert server.posts("prompts/get")[-1]["body"]["params"]["_meta"][LOG_LEVEL] == "alert"

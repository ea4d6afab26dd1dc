"""Handlers, notifications, progress, the expiry policy and cancellation through Python."""

from __future__ import annotations

import asyncio
import time

import pytest
from mcpstream import AsyncClient, Client, RPCError


def wait_for(check, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_sync_elicitation_handler_answers_on_both_streams(server):
    asked = []

    def on_elicitation(params):
        asked.append(params["message"])
        return {"action": "accept", "content": {"name": "Ada"}}

    with Client(server.url, on_elicitation=on_elicitation) as client:
        for via in ("post", "get"):
            out = client.call_tool("ask", {"kind": "elicitation", "via": via})
            assert out["structuredContent"]["result"]["content"] == {"name": "Ada"}, via
    assert asked == ["What is your name?", "What is your name?"]
    caps = server.posts("initialize")[0]["body"]["params"]["capabilities"]
    assert caps == {"elicitation": {}}


def test_handler_errors_reach_the_server_as_json_rpc_errors(server):
    def on_sampling(params):
        raise RPCError("declined", code=-1, rpc_message="user declined", data={"why": "test"})

    def on_roots(params):
        raise ValueError("no roots today")

    with Client(server.url, on_sampling=on_sampling, on_roots=on_roots) as client:
        out = client.call_tool("ask", {"kind": "sampling"})
        assert out["structuredContent"]["error"] == {"code": -1, "message": "user declined", "data": {"why": "test"}}
        out = client.call_tool("ask", {"kind": "roots"})
        assert out["structuredContent"]["error"]["code"] == -32603
        assert "no roots today" in out["structuredContent"]["error"]["message"]
        out = client.call_tool("ask", {"kind": "elicitation"})
        assert out["structuredContent"]["error"]["code"] == -32601, "no handler: method not found"


def test_async_handlers_run_on_the_event_loop(server):
    async def main():
        loop = asyncio.get_running_loop()
        seen_loops = []

        async def on_elicitation(params):
            seen_loops.append(asyncio.get_running_loop())
            await asyncio.sleep(0.01)
            return {"action": "accept", "content": {"name": "Grace"}}

        async with AsyncClient(server.url, on_elicitation=on_elicitation) as client:
            out = await client.call_tool("ask", {"kind": "elicitation"})
        return loop, seen_loops, out

    loop, seen_loops, out = asyncio.run(main())
    assert seen_loops == [loop]
    assert out["structuredContent"]["result"]["content"]["name"] == "Grace"


def test_progress_and_notifications(make_server):
    server = make_server("--retry-ms", "50")
    notes = []
    with Client(server.url, on_notification=lambda method, params: notes.append((method, params))) as client:
        progress = []
        args = {"steps": 6, "delay_ms": 10, "drop_after": 3, "mid_event": True, "log": True}
        out = client.call_tool("progress", args, on_progress=progress.append)
        assert out["content"][0]["text"] == "done 6"
        assert [p["progress"] for p in progress] == [1, 2, 3, 4, 5, 6], "resumed: nothing lost or doubled"
        assert progress[0]["total"] == 6
    assert [m for m, _ in notes] == ["notifications/message"] * 6
    assert notes[0][1]["data"] == "step 1"
    assert server.with_method("GET"), "the stream was resumed with GET"


def test_retry_policy_survives_a_restart_and_reports_the_change_once(server):
    changes = []
    client = Client(
        server.url,
        on_session_expired="retry",
        standalone_stream=False,
        on_session_change=lambda old, new, reason: changes.append((old, new, reason)),
    )
    client.connect()
    old = client.session_id
    assert changes == [(None, old, "connected")]
    server.expire_sessions()
    assert client.call_tool("echo", {"text": "still here"})["content"][0]["text"] == "still here"
    new = client.session_id
    assert new not in (None, old)
    assert changes[1:] == [(old, new, "reinitialized")]
    assert client.close() == "terminated"
    assert changes[-1] == (new, None, "closed")


def test_bad_policy_is_a_value_error(server):
    with pytest.raises(ValueError, match="on_session_expired"):
        Client(server.url, on_session_expired="sometimes")


def test_cancelling_an_async_call_cancels_it_on_the_server(server):
    async def main():
        async with AsyncClient(server.url) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.call_tool("slow", {"ms": 3000}), timeout=0.2)
            await client.ping()

    asyncio.run(main())
    wait_for(lambda: server.posts("notifications/cancelled"), "notifications/cancelled")
    cancelled = server.posts("notifications/cancelled")[0]["body"]["params"]
    assert cancelled["requestId"] == server.posts("tools/call")[0]["body"]["id"]


def test_a_server_request_right_after_connect_is_not_lost(make_server):
    # The server answers the GET late and sends the elicitation on it at once (no waiting):
    # connect() must not return before the stream is open.
    server = make_server("--get-delay-ms", "300")

    def on_elicitation(params):
        return {"action": "accept", "content": {"name": "Ada"}}

    with Client(server.url, on_elicitation=on_elicitation, timeout=10) as client:
        out = client.call_tool("ask", {"kind": "elicitation", "via": "get", "wait": False})
        assert out["structuredContent"]["result"]["content"] == {"name": "Ada"}, out

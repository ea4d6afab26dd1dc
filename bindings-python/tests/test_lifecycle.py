"""The session lifecycle through the Python API, asserting on what the server received."""

from __future__ import annotations

import asyncio

import mcpstream
import pytest
from conftest import ALL_TOOLS
from mcpstream import AsyncClient, Client, RPCError


def test_connect_sends_session_and_version_on_every_later_request(server):
    client = Client(server.url)
    init = client.connect()
    assert init["serverInfo"]["name"] == "mcpstream-testserver"
    assert client.server_info == {"name": "mcpstream-testserver", "version": mcpstream.__version__}
    assert "tools" in client.server_capabilities
    sid = client.session_id
    assert sid and server.sessions() == [sid]
    assert client.protocol_version == "2025-11-25"
    client.call_tool("echo", {"text": "hi"})
    assert client.close() == "terminated"

    requests = server.after_probe()
    assert requests[0]["body"]["method"] == "initialize"
    assert "mcp-session-id" not in requests[0]["headers"]
    later = requests[1:]
    assert [r["method"] for r in later if r["method"] != "GET"] == ["POST", "POST", "DELETE"]
    assert [r["method"] for r in later].count("GET") == 1, "the standalone stream"
    for r in later:
        assert r["headers"]["mcp-session-id"] == sid
        assert r["headers"]["mcp-protocol-version"] == "2025-11-25"
    assert client.session_id is None
    assert server.sessions() == []


def test_with_statement_connects_and_closes(server):
    with Client(server.url) as client:
        assert client.session_id is not None
        assert client.call_tool("add", {"a": 2, "b": 3})["structuredContent"] == {"sum": 5}
    assert client.session_id is None
    assert len(server.with_method("DELETE")) == 1


def test_close_outcomes(make_server):
    no_delete = make_server("--no-delete")
    client = Client(no_delete.url)
    assert client.close() == "no_session"
    assert no_delete.requests() == []
    client.connect()
    assert client.close() == "not_supported"
    assert client.session_id is None

    server = make_server()
    client = Client(server.url)
    client.connect()
    server.expire_sessions()
    assert client.close() == "already_gone"
    assert client.close() == "no_session"

    client.connect()
    server.stop()
    assert client.close() == "failed"
    assert client.session_id is None


def test_stateless_server_has_no_session(make_server):
    server = make_server("--stateless")
    with Client(server.url) as client:
        assert client.session_id is None
        assert client.protocol_version == "2025-11-25"
        client.ping()
    assert all("mcp-session-id" not in r["headers"] for r in server.requests())
    assert server.with_method("DELETE") == []


def test_calls_return_plain_json_shapes(make_server):
    server = make_server("--page-size", "1")
    with Client(
        server.url, headers={"Authorization": "Bearer abc"}, client_info={"name": "py-test", "version": "9"}
    ) as client:
        tools = client.list_tools()["tools"]
        assert [t["name"] for t in tools] == ALL_TOOLS
        assert len(server.posts("tools/list")) == len(ALL_TOOLS)
        assert client.list_resources()["resources"][0]["uri"] == "mem://greeting"
        assert client.read_resource("mem://about")["contents"][0]["text"] == "mcpstream reference server"
        assert client.list_prompts()["prompts"][0]["name"] == "greet"
        prompt = client.get_prompt("greet", {"name": "Ada"})
        assert prompt["messages"][0]["content"]["text"] == "Say hello to Ada"
        assert client.request("ping") == {}
        client.notify("notifications/roots/list_changed")
        failed = client.call_tool("fail", {"message": "boom"})
        assert failed["isError"] is True
    init = server.posts("initialize")[0]
    assert init["body"]["params"]["clientInfo"] == {"name": "py-test", "version": "9"}
    assert all(r["headers"]["authorization"] == "Bearer abc" for r in server.requests())


def test_json_response_mode(make_server):
    server = make_server("--json")
    with Client(server.url) as client:
        assert client.call_tool("echo", {"text": "j"})["content"][0]["text"] == "j"


def test_async_client_lifecycle(server):
    async def main():
        async with AsyncClient(server.url) as client:
            sid = client.session_id
            assert sid
            assert (await client.call_tool("echo", {"text": "a"}))["content"][0]["text"] == "a"
            assert len((await client.list_tools())["tools"]) == len(ALL_TOOLS)
            await client.ping()
            server.expire_sessions()
            with pytest.raises(mcpstream.SessionExpiredError) as info:
                await client.ping()
            assert info.value.session_id == sid
            await client.connect()
            assert client.session_id not in (None, sid)
        return client

    client = asyncio.run(main())
    assert client.session_id is None


def test_old_server_versions_are_accepted(make_server):
    server = make_server("--protocol-version", "2025-03-26")
    with Client(server.url) as client:
        assert client.protocol_version == "2025-03-26"
        client.ping()
    assert server.posts("ping")[0]["headers"]["mcp-protocol-version"] == "2025-03-26"


def test_resume_adopts_a_live_session_and_reports_a_dead_one(server):
    first = Client(server.url, standalone_stream=False)
    first.connect()
    sid, version = first.session_id, first.protocol_version

    second = Client(server.url, standalone_stream=False)
    second.resume(sid, version)
    assert second.session_id == sid
    assert second.call_tool("add", {"a": 2, "b": 3})["structuredContent"] == {"sum": 5}
    assert len(server.posts("initialize")) == 1, "resume sends no initialize"
    assert server.posts("tools/call")[-1]["headers"]["mcp-session-id"] == sid

    assert first.close() == "terminated"
    with pytest.raises(mcpstream.SessionExpiredError) as info:
        second.list_tools()
    assert info.value.session_id == sid and info.value.status == 404
    assert second.session_id is None

    with pytest.raises(ValueError):
        second.resume("has space", version)
    with pytest.raises(ValueError):
        second.resume(sid, "1999-01-01")


def test_async_resume(server):
    async def main() -> None:
        first = AsyncClient(server.url, standalone_stream=False)
        await first.connect()
        second = AsyncClient(server.url, standalone_stream=False)
        await second.resume(first.session_id or "", first.protocol_version or "")
        await second.ping()
        assert second.session_id == first.session_id
        await first.close()

    asyncio.run(main())


def test_set_logging_level_sync_and_async(server):
    with Client(server.url) as client:
        assert client.set_logging_level("error") is None
        with pytest.raises(RPCError) as refused:
            client.set_logging_level("loud")
        assert refused.value.code == -32602

    async def main() -> None:
        async with AsyncClient(server.url) as client:
            await client.set_logging_level("debug")

    asyncio.run(main())
    assert [r["body"]["params"]["level"] for r in server.posts("logging/setLevel")] == ["error", "loud", "debug"]


def test_close_keeps_to_close_timeout_behind_a_backlog_of_slow_callbacks(server):
    import time

    def slow_listener(method, params):
        time.sleep(0.3)

    client = Client(server.url, close_timeout=0.5, on_notification=slow_listener)
    client.connect()
    # Ten log notifications: three seconds of callbacks still queued when the call returns.
    client.call_tool("progress", {"steps": 10, "delay_ms": 1, "log": True})
    started = time.monotonic()
    assert client.close() == "terminated"
    took = time.monotonic() - started
    assert took < 1.5, f"close() waited {took:.1f} s for the callbacks"

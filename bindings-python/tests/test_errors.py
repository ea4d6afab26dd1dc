"""The exception hierarchy and its attributes, raised for real server behaviour."""

from __future__ import annotations

import asyncio
import builtins
import socket
import time

import mcpstream
import pytest
from mcpstream import (
    Client,
    HTTPError,
    MCPError,
    NotConnectedError,
    ProtocolError,
    RPCError,
    SessionExpiredError,
    TimeoutError,
    ToolError,
    TransportError,
)


def test_hierarchy():
    assert issubclass(TransportError, MCPError) and issubclass(TransportError, ConnectionError)
    assert issubclass(TimeoutError, MCPError) and issubclass(TimeoutError, builtins.TimeoutError)
    assert issubclass(SessionExpiredError, HTTPError) and issubclass(HTTPError, MCPError)
    assert issubclass(RPCError, MCPError) and issubclass(ProtocolError, MCPError)
    assert issubclass(NotConnectedError, MCPError) and issubclass(ToolError, MCPError)
    everything = (MCPError, TransportError, TimeoutError, HTTPError, SessionExpiredError, RPCError, ProtocolError)
    for cls in (*everything, NotConnectedError, ToolError):
        assert cls.__doc__, cls
        assert cls.__module__ == "mcpstream.errors"


def test_session_expiry_clears_the_session(server):
    # Without the standalone stream, so the ping (not a GET reconnect) meets the expiry.
    client = Client(server.url, standalone_stream=False)
    client.connect()
    sid = client.session_id
    server.expire_sessions()
    with pytest.raises(SessionExpiredError) as info:
        client.ping()
    e = info.value
    assert e.session_id == sid
    assert e.status == 404 and e.error_type == "not_found"
    assert isinstance(e, HTTPError) and isinstance(e, MCPError)
    assert sid not in str(e), "session ids stay out of messages"
    assert client.session_id is None
    pings = len(server.posts("ping"))
    with pytest.raises(NotConnectedError):
        client.ping()
    assert len(server.posts("ping")) == pings, "nothing is sent without a session"
    client.connect()
    client.ping()


def test_not_found_without_a_session_is_plain_http_error(server):
    client = Client(server.base + "/nowhere")
    with pytest.raises(HTTPError) as info:
        client.connect()
    assert type(info.value) is HTTPError
    assert info.value.status == 404 and info.value.error_type == "not_found"
    assert str(info.value) == f"POST {server.base}/nowhere: HTTP 404 (not_found)"


def test_server_error_keeps_the_session(server):
    with Client(server.url) as client:
        sid = client.session_id
        server.script(
            status=500, body="<html>broken</html>", headers=[["content-type", "text/html"]], for_method="ping"
        )
        with pytest.raises(HTTPError) as info:
            client.ping()
        assert info.value.status == 500
        assert info.value.error_type == "server_error"
        assert "broken" in info.value.body
        assert client.session_id == sid
        client.ping()


def test_method_not_found_404_is_an_rpc_error(server):
    with Client(server.url) as client:
        body = '{"jsonrpc":"2.0","id":{{id}},"error":{"code":-32601,"message":"Method not found"}}'
        server.script(status=404, body=body, headers=[["content-type", "application/json"]], for_method="ping")
        with pytest.raises(RPCError) as info:
            client.ping()
        assert info.value.code == -32601
        assert client.session_id is not None


def test_rpc_error_attributes(server):
    with Client(server.url) as client:
        with pytest.raises(RPCError) as info:
            client.call_tool("no-such-tool")
        assert info.value.code == -32602
        assert "no-such-tool" in info.value.message
        assert info.value.data is None
        body = 'data: {"jsonrpc":"2.0","id":{{id}},"error":{"code":-32000,"message":"busy","data":{"retry":[1,2]}}}\n\n'
        server.script(status=200, body=body, headers=[["content-type", "text/event-stream"]], for_method="ping")
        with pytest.raises(RPCError) as info:
            client.ping()
        assert (info.value.code, info.value.message, info.value.data) == (-32000, "busy", {"retry": [1, 2]})


def test_protocol_errors(server):
    with Client(server.url) as client:
        server.script(status=200, body="{garbage", headers=[["content-type", "application/json"]], for_method="ping")
        with pytest.raises(ProtocolError):
            client.ping()
        server.script(
            status=200, body="data: [1]\n\n", headers=[["content-type", "text/event-stream"]], for_method="ping"
        )
        with pytest.raises(ProtocolError):
            client.ping()
        client.ping()


def test_oversize_body_is_a_protocol_error(server):
    with Client(server.url, max_response_bytes=4096) as client:
        with pytest.raises(ProtocolError, match="maximum response size"):
            client.call_tool("big", {"bytes": 100_000})
        client.ping()


def test_timeout(server):
    with Client(server.url) as client:
        start = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            client.call_tool("slow", {"ms": 3000}, timeout=0.2)
        assert isinstance(info.value, builtins.TimeoutError)
        assert time.monotonic() - start < 2
        assert client.call_tool("slow", {"ms": 1})["content"][0]["text"] == "slept 1 ms"


def test_unreachable_host_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}/mcp", timeout=5)
    with pytest.raises(TransportError) as info:
        client.connect()
    assert isinstance(info.value, ConnectionError)
    assert client.session_id is None


def test_bad_arguments_are_value_errors(server):
    with pytest.raises(ValueError):
        Client("ftp://example/mcp")
    with pytest.raises(ValueError):
        Client(server.url, timeout=-1)
    with pytest.raises(ValueError):
        Client(server.url, headers={"MCP-Session-Id": "mine"})
    with pytest.raises(ValueError):
        Client(server.url, headers={"bad name": "x"})
    client = Client(server.url)
    with pytest.raises(TypeError):
        client.call_tool("echo", {"text": object()})


def test_async_errors_are_the_same_classes(server):
    async def main():
        client = mcpstream.AsyncClient(server.url)
        await client.connect()
        with pytest.raises(RPCError):
            await client.call_tool("no-such-tool")
        with pytest.raises(TimeoutError):
            await client.call_tool("slow", {"ms": 3000}, timeout=0.1)
        await client.close()

    asyncio.run(main())

"""Mistakes a new user makes are answered locally, with a typed error that says what is wrong:
calls without a connection, a URL without its scheme, tool arguments that are not a mapping;
and a failing tool is a result unless ``raise_on_error=True`` asks for a ToolError."""

from __future__ import annotations

import asyncio

import pytest
from mcpstream import AsyncClient, Client, HTTPError, MCPError, NotConnectedError, ToolError


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_calls_before_connect_and_after_close_raise_not_connected(make_server, era):
    server = make_server(era=era)
    client = Client(server.url, timeout=5)
    with pytest.raises(NotConnectedError, match=r"call connect\(\) first"):
        client.call_tool("echo", {"text": "hi"})
    with pytest.raises(NotConnectedError):
        client.list_tools()
    with pytest.raises(NotConnectedError):
        client.listen(tools_list_changed=True)
    assert server.requests() == [], "nothing is sent without a connection"
    client.connect()
    assert client.era == era
    client.ping()
    client.close()
    sent = len(server.requests())
    with pytest.raises(NotConnectedError) as info:
        client.ping()
    assert isinstance(info.value, MCPError)
    assert len(server.requests()) == sent


def test_async_calls_before_connect_raise_not_connected(server):
    async def main() -> None:
        client = AsyncClient(server.url, timeout=5)
        with pytest.raises(NotConnectedError):
            await client.call_tool("echo", {"text": "hi"})
        async with client:
            await client.ping()
        with pytest.raises(NotConnectedError):
            await client.read_resource("file:///a")

    asyncio.run(main())
    assert server.posts("tools/call") == []


def test_an_expired_session_raises_not_connected_until_connect(server):
    client = Client(server.url, standalone_stream=False, timeout=5)
    client.connect()
    server.expire_sessions()
    with pytest.raises(HTTPError):
        client.ping()
    with pytest.raises(NotConnectedError):
        client.ping()
    client.connect()
    client.ping()
    client.close()


def test_a_url_without_its_scheme_says_so():
    for url in ("127.0.0.1:8000/mcp", "localhost:8000/mcp"):
        with pytest.raises(ValueError) as info:
            Client(url)
        assert str(info.value) == f'URL must start with http:// or https://, got "{url}"'


def test_tool_arguments_must_be_a_mapping(server):
    with Client(server.url, timeout=5) as client:
        for wrong, kind in (("a=1", "a string"), ([1, 2], "a list / Array"), (3, "a number")):
            with pytest.raises(ValueError) as info:
                client.call_tool("echo", wrong)  # type: ignore[arg-type]
            assert str(info.value) == f"call_tool: arguments must be a mapping (dict / Hash), not {kind}"
        with pytest.raises(ValueError, match="arguments must be a mapping"):
            client.get_prompt("greet", "world")  # type: ignore[arg-type]
    assert server.posts("tools/call") == [], "refused before anything was sent"


def test_http_errors_are_one_line_with_method_url_and_status(server):
    with Client(server.url, timeout=5) as client:
        page = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n"
        server.script(status=502, body=page, headers=[["content-type", "text/html"]], for_method="tools/list")
        with pytest.raises(HTTPError) as info:
            client.list_tools()
    e = info.value
    assert str(e) == f"POST {server.url}: HTTP 502 (server_error)"
    assert (e.http_method, e.url, e.status, e.error_type) == ("POST", server.url, 502, "server_error")
    assert e.body == page, "the body is kept, out of the message"


def test_a_failing_tool_is_a_result_unless_raise_on_error(server):
    with Client(server.url, timeout=5) as client:
        result = client.call_tool("fail", {"message": "disk full"})
        assert result["isError"] is True
        with pytest.raises(ToolError) as info:
            client.call_tool("fail", {"message": "disk full"}, raise_on_error=True)
        assert isinstance(info.value, MCPError)
        assert str(info.value) == 'tool "fail" failed: disk full'
        assert info.value.tool == "fail"
        assert info.value.result == result
        ok = client.call_tool("add", {"a": 1, "b": 2}, raise_on_error=True)
        assert ok["structuredContent"] == {"sum": 3}

    async def main() -> None:
        async with AsyncClient(server.url, timeout=5) as client:
            with pytest.raises(ToolError) as info:
                await client.call_tool("fail", {"message": "async"}, raise_on_error=True)
            assert info.value.result["isError"] is True

    asyncio.run(main())


def test_network_settings_are_checked_when_the_client_is_made(tmp_path):
    url = "https://127.0.0.1:9/mcp"
    with pytest.raises(ValueError, match="cannot read ca_file /nonexistent/ca.pem"):
        Client(url, ca_file="/nonexistent/ca.pem")
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate")
    with pytest.raises(ValueError, match="no certificate in it"):
        Client(url, ca_file=not_pem)
    with pytest.raises(ValueError, match="client_key needs client_cert"):
        Client(url, client_key="/k.pem")
    with pytest.raises(ValueError, match="http_version must be auto, http1 or http2"):
        Client(url, http_version="3")
    with pytest.raises(ValueError, match="invalid proxy URL"):
        Client(url, proxy="::not a url::")
    Client(url, proxy=None, http_version="http1", idle_timeout=5, tcp_keepalive=0)

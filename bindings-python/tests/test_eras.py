"""The protocol eras through the Python API: which one ``connect()`` picks against modern-only,
dual-era and legacy-only servers, verdicts saved and handed back, and the modern era's own
ways (input requests answered by the handlers from inside a call, arguments as headers)."""

from __future__ import annotations

import asyncio
import json
import threading

import mcpstream
import pytest
from conftest import MODERN_VERSION, rpc_method
from mcpstream import AsyncClient, Client, ProtocolError, RPCError

PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
LOG_LEVEL = "io.modelcontextprotocol/logLevel"


def meta(request):
    return request["body"]["params"]["_meta"]


@pytest.mark.parametrize("era", ["modern", "dual"])
def test_auto_speaks_modern_to_a_server_that_offers_it(make_server, era):
    server = make_server(era=era)
    client = Client(server.url)
    discovered = client.connect()
    assert MODERN_VERSION in discovered["supportedVersions"]
    assert client.era == "modern"
    assert client.protocol_version == MODERN_VERSION
    assert client.session_id is None
    assert client.server_info["name"] == "mcpstream-testserver"
    assert client.discover_result["capabilities"] == client.server_capabilities
    assert client.discover_result["supportedVersions"] == discovered["supportedVersions"]
    assert client.instructions == discovered.get("instructions")
    assert client.call_tool("echo", {"text": "hi"})["content"][0]["text"] == "hi"
    assert client.close() == "no_session"
    assert client.era is None

    requests = server.requests()
    methods = [rpc_method(r) for r in requests]
    # A call lists the tools first (every page), to learn which arguments travel as headers.
    pages = len(methods) - 2
    assert methods == ["server/discover", *["tools/list"] * pages, "tools/call"] and pages >= 1, methods
    for r in requests:
        assert r["method"] == "POST", "no GET stream and no DELETE in the modern era"
        assert r["headers"]["mcp-method"] == r["body"]["method"]
        assert r["headers"]["mcp-protocol-version"] == MODERN_VERSION
        assert "mcp-session-id" not in r["headers"]
        assert meta(r)[PROTOCOL_VERSION] == MODERN_VERSION
        assert meta(r)["io.modelcontextprotocol/clientInfo"]["name"] == "mcpstream"
    assert requests[-1]["headers"]["mcp-name"] == "echo"


def test_auto_falls_back_to_the_session_era(make_server):
    server = make_server(era="legacy")
    with Client(server.url) as client:
        assert client.era == "legacy"
        assert client.session_id and server.sessions() == [client.session_id]
        assert client.protocol_version == "2025-11-25"
        assert client.verdict == {"era": "legacy"}
        assert client.discover_result["supportedVersions"] == ["2025-11-25"]
        assert client.discover_result["serverInfo"] == client.server_info
        client.ping()
    posts = [rpc_method(r) for r in server.after_probe() if r["method"] == "POST"]
    assert posts[:2] == ["initialize", "notifications/initialized"]
    assert "ping" in posts, "the session era still pings"
    assert server.sessions() == []


def test_legacy_era_sends_no_probe_even_to_a_dual_server(make_server):
    server = make_server(era="dual")
    with Client(server.url, era="legacy") as client:
        assert client.era == "legacy"
        assert client.session_id
        client.call_tool("echo", {"text": "x"})
    assert server.posts("server/discover") == []
    assert len(server.posts("initialize")) == 1


def test_a_pinned_modern_version_never_falls_back(make_server):
    server = make_server(era="legacy")
    client = Client(server.url, era=MODERN_VERSION)
    with pytest.raises(ProtocolError) as info:
        client.connect()
    message = str(info.value)
    assert MODERN_VERSION in message and "no fallback" in message, message
    assert client.era is None and client.session_id is None
    assert server.posts("initialize") == []


def test_a_verdict_handed_back_as_prior_spares_the_probe(make_server):
    server = make_server(era="modern")
    first = Client(server.url)
    discovered = first.connect()
    # As an application keeps it between runs.
    saved = json.loads(json.dumps(first.verdict))
    assert saved == {"era": "modern", "version": MODERN_VERSION, "discover": discovered}

    # Without the process's own memory, only the prior can spare the probe.
    mcpstream.forget_verdict(server.url)
    second = Client(server.url, prior=saved)
    assert second.connect() == saved["discover"]
    assert second.era == "modern"
    second.call_tool("echo", {"text": "x"})
    assert len(server.posts("server/discover")) == 1, "only the first client probed"

    mcpstream.forget_verdict(server.url)
    Client(server.url).connect()
    assert len(server.posts("server/discover")) == 2, "without a prior, a forgotten server is probed"

    legacy = make_server(era="legacy")
    first = Client(legacy.url)
    first.connect()
    saved = first.verdict
    assert saved == {"era": "legacy"}
    first.close()
    mcpstream.forget_verdict(legacy.url)
    with Client(legacy.url, prior=saved) as second:
        assert second.era == "legacy" and second.session_id
    assert len(legacy.posts("server/discover")) == 1


def test_era_options_are_checked(server):
    for bad in (
        {"era": "2025-11-25"},
        {"era": "sometimes"},
        {"probe_timeout": 0},
        {"max_input_rounds": 0},
        {"prior": {"era": "modern", "discover": {"supportedVersions": ["2025-11-25"]}}},
        {"prior": {"era": "later"}},
    ):
        with pytest.raises(ValueError):
            Client(server.url, **bad)
    for good in ("auto", "legacy", "modern", MODERN_VERSION):
        Client(server.url, era=good, probe_timeout=2.5, max_input_rounds=3)


def test_modern_ping_logging_and_notifications(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client:
        client.set_logging_level("debug")
        client.ping()
        with pytest.raises(ValueError, match="notification"):
            client.notify("notifications/roots/list_changed")
    probe, ping = server.posts("server/discover")
    assert LOG_LEVEL not in meta(probe)
    assert meta(ping)[LOG_LEVEL] == "debug", "the level rides on every later request"
    assert server.posts("logging/setLevel") == [] and server.posts("ping") == []


def test_annotated_arguments_travel_as_headers(make_server):
    server = make_server(era="modern")
    with Client(server.url) as client:
        names = [t["name"] for t in client.list_tools()["tools"]]
        assert "headers_echo" in names and "ask_input" in names
        client.call_tool("headers_echo", {"region": "eu-west-1", "count": 3, "dry_run": True, "note": "n"})
    headers = server.posts("tools/call")[-1]["headers"]
    assert headers["mcp-param-region"] == "eu-west-1"
    assert headers["mcp-param-count"] == "3"
    assert headers["mcp-param-dry-run"] == "true"
    assert not any(name.startswith("mcp-param-note") for name in headers), "note has no header"


def ask_input_calls(server):
    return [c for c in server.posts("tools/call") if c["body"]["params"]["name"] == "ask_input"]


# A deadlock would hang, not fail: both the call's own timeout and this bound it.
@pytest.mark.timeout(30)
def test_input_requests_are_answered_by_on_elicitation_from_inside_the_call(make_server):
    server = make_server(era="modern")
    caller = threading.get_ident()
    asked = []
    holder = {}

    def on_elicitation(params):
        # The handler runs while its caller is blocked in the same client, and calls it too.
        inside = holder["client"].call_tool("echo", {"text": "Ada"})["content"][0]["text"]
        asked.append((params, threading.get_ident()))
        return {"action": "accept", "content": {"name": inside}}

    with Client(server.url, on_elicitation=on_elicitation, timeout=10) as client:
        holder["client"] = client
        result = client.call_tool("ask_input", {"kind": "elicitation", "rounds": 2, "with_state": True})
    assert "Ada" in result["content"][0]["text"], result
    assert len(asked) == 2, "one elicitation per round"
    assert all(isinstance(params, dict) for params, _ in asked)
    assert all(thread != caller for _, thread in asked), "handlers run on a handler thread"

    calls = ask_input_calls(server)
    assert len(calls) == 3
    assert "inputResponses" not in calls[0]["body"]["params"]
    for later in calls[1:]:
        assert later["body"]["params"]["inputResponses"]
        assert isinstance(later["body"]["params"]["requestState"], str)
        assert later["body"]["params"]["arguments"] == calls[0]["body"]["params"]["arguments"]
    assert len({c["body"]["id"] for c in calls}) == 3, "every round is a new request"
    assert meta(calls[0])[CLIENT_CAPABILITIES] == {"elicitation": {}}


@pytest.mark.timeout(30)
def test_async_input_requests_are_answered_by_a_coroutine_handler(make_server):
    server = make_server(era="modern")
    asked = []

    async def main():
        holder = {}

        async def on_elicitation(params):
            inside = await holder["client"].call_tool("echo", {"text": "Grace"})
            asked.append(params)
            return {"action": "accept", "content": {"name": inside["content"][0]["text"]}}

        async with AsyncClient(server.url, on_elicitation=on_elicitation, timeout=10) as client:
            holder["client"] = client
            assert client.era == "modern"
            return await client.call_tool("ask_input", {"kind": "elicitation", "rounds": 1})

    result = asyncio.run(main())
    assert "Grace" in result["content"][0]["text"], result
    assert len(asked) == 1
    assert len(ask_input_calls(server)) == 2


@pytest.mark.timeout(30)
def test_sampling_and_roots_input_and_undeclared_capabilities(make_server):
    server = make_server(era="modern")
    with Client(
        server.url,
        on_sampling=lambda params: {
            "role": "assistant",
            "content": {"type": "text", "text": "4"},
            "model": "m",
        },
        on_roots=lambda params: {"roots": [{"uri": "file:///work", "name": "work"}]},
        max_input_rounds=3,
    ) as client:
        for kind in ("sampling", "roots"):
            result = client.call_tool("ask_input", {"kind": kind, "rounds": 1, "with_state": False})
            assert not result.get("isError"), result
        with pytest.raises(ProtocolError, match="max_input_rounds"):
            client.call_tool("ask_input", {"kind": "roots", "rounds": 5})
        # No on_elicitation: the capability is not declared, and the server says so.
        with pytest.raises(RPCError) as info:
            client.call_tool("ask_input", {"kind": "elicitation", "rounds": 1})
        assert info.value.code == -32021
    for call in ask_input_calls(server):
        assert meta(call)[CLIENT_CAPABILITIES] == {"sampling": {}, "roots": {}}


def test_a_failing_handler_fails_the_call_and_nothing_more_is_sent(make_server):
    server = make_server(era="modern")

    def on_elicitation(params):
        raise ValueError("no one is there")

    with Client(server.url, on_elicitation=on_elicitation) as client:
        # Answers are not sent back as errors in this era: the call itself fails, here.
        with pytest.raises(RPCError) as info:
            client.call_tool("ask_input", {"kind": "elicitation", "rounds": 1})
        assert info.value.code == -32603
        assert "ValueError: no one is there" in str(info.value)
    assert len(ask_input_calls(server)) == 1

"""OpenTelemetry: each call's client span, and its context reaching the server in ``_meta``.

The SDK's tracer provider is this process's only while a test here uses it (``traced``);
otherwise the API's no-op one answers, so the other suites' calls stay untraced. How the
client behaves with the API alone, or without OpenTelemetry at all, is seen in fresh
interpreters.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
from typing import Any, Dict, Iterator, List, Optional

import pytest
from conftest import RefServer
from mcpstream import AsyncClient, Client, RPCError, ToolError
from opentelemetry import trace
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _SwitchingTracer(trace.Tracer):
    """Starts spans with whichever provider its owner holds now."""

    def __init__(self, owner: _SwitchableProvider, name: str, version: Optional[str]) -> None:
        self._owner = owner
        self._name = name
        self._version = version

    def _now(self) -> Any:
        return self._owner.current.get_tracer(self._name, self._version)

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._now().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._now().start_as_current_span(*args, **kwargs)


class _SwitchableProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self.current: Any = trace.NoOpTracerProvider()

    def get_tracer(self, name: str, version: Optional[str] = None, *args: Any, **kwargs: Any) -> Any:
        return _SwitchingTracer(self, name, version)


_PROVIDER = _SwitchableProvider()
trace.set_tracer_provider(_PROVIDER)


@pytest.fixture
def traced() -> Iterator[InMemorySpanExporter]:
    """The SDK records this test's spans into the exporter it yields."""
    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _PROVIDER.current = provider
    yield exporter
    _PROVIDER.current = trace.NoOpTracerProvider()
    provider.shutdown()


def client_spans(exporter: InMemorySpanExporter) -> List[Any]:
    return [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]


def received_meta(server: RefServer, rpc_method: str) -> Dict[str, Any]:
    """The ``_meta`` of the last ``rpc_method`` request the server received."""
    meta: Dict[str, Any] = server.posts(rpc_method)[-1]["body"]["params"].get("_meta", {})
    return meta


def call_echo(client_kind: str, url: str, era: str) -> Any:
    """Calls ``echo`` once with a connected client of that kind and returns its result."""
    if client_kind == "sync":
        with Client(url, era=era) as client:
            return client.call_tool("echo", {"text": "hi"})

    async def main() -> Any:
        async with AsyncClient(url, era=era) as client:
            return await client.call_tool("echo", {"text": "hi"})

    return asyncio.run(main())


@pytest.mark.parametrize("client_kind", ["sync", "async"])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_server_receives_the_client_spans_context_in_meta(make_server, traced, era, client_kind):
    server = make_server(era=era)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("application") as outer:
        call_echo(client_kind, server.url, era)
    [span] = client_spans(traced)
    # The client span is the application span's child, and the server's parent.
    assert span.parent.span_id == outer.get_span_context().span_id
    version, trace_id, parent_id, flags = received_meta(server, "tools/call")["traceparent"].split("-")
    assert (version, flags) == ("00", "01")
    assert int(trace_id, 16) == span.context.trace_id == outer.get_span_context().trace_id
    assert int(parent_id, 16) == span.context.span_id


def test_tracestate_goes_along(make_server, traced):
    server = make_server(era="modern")
    parent = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
            span_id=0x00F067AA0BA902B7,
            is_remote=True,
            trace_flags=trace.TraceFlags(1),
            trace_state=trace.TraceState([("rojo", "00f067aa0ba902b7")]),
        )
    )
    with trace.use_span(parent):
        call_echo("sync", server.url, "modern")
    meta = received_meta(server, "tools/call")
    assert meta["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert meta["tracestate"] == "rojo=00f067aa0ba902b7"


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_a_successful_tool_call_span(make_server, traced, era):
    server = make_server(era=era)
    with Client(server.url, era=era) as client:
        client.call_tool("echo", {"text": "hi"})
        session_id = client.session_id
        protocol_version = client.protocol_version
    [span] = client_spans(traced)
    assert span.name == "tools/call echo"
    assert span.status.status_code == trace.StatusCode.UNSET
    port = int(server.url.split(":")[2].split("/")[0])
    expected = {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "echo",
        "gen_ai.operation.name": "execute_tool",
        "mcp.protocol.version": protocol_version,
        "network.transport": "tcp",
        "network.protocol.name": "http",
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    if era == "legacy":
        expected["mcp.session.id"] = hashlib.sha256(session_id.encode()).hexdigest()[:8]
    assert dict(span.attributes) == expected
    assert span.instrumentation_scope.name == "mcpstream"


def test_an_rpc_error_fails_the_span(server, traced):
    with Client(server.url) as client:
        with pytest.raises(RPCError) as info:
            client.request("no/such/method")
    [span] = client_spans(traced)
    assert span.name == "no/such/method"
    assert span.attributes["mcp.method.name"] == "no/such/method"
    assert span.attributes["error.type"] == str(info.value.code) == "-32601"
    assert span.attributes["rpc.response.status_code"] == "-32601"
    assert span.status.status_code == trace.StatusCode.ERROR
    assert span.status.description == info.value.rpc_message
    assert [event.name for event in span.events] == ["exception"]


def test_a_tool_error_result_fails_the_span(server, traced):
    with Client(server.url) as client:
        result = client.call_tool("fail", {"message": "broken"})
        assert result["isError"] is True
        with pytest.raises(ToolError):
            client.call_tool("fail", {"message": "broken"}, raise_on_error=True)
    returned, raised = client_spans(traced)
    for span in (returned, raised):
        assert span.name == "tools/call fail"
        assert span.attributes["error.type"] == "tool_error"
        assert span.status.status_code == trace.StatusCode.ERROR
    assert [event.name for event in raised.events] == ["exception"]


def test_every_request_type_call_is_a_span(make_server, traced):
    server = make_server(era="modern")

    async def main() -> None:
        async with AsyncClient(server.url, era="modern") as client:
            await client.list_tools()
            await client.read_resource("mem://greeting")
            await client.get_prompt("greet", {"name": "Ada"})
            await client.request("resources/list")

    asyncio.run(main())
    spans = {span.name: span for span in client_spans(traced)}
    assert set(spans) == {"tools/list", "resources/read", "prompts/get greet", "resources/list"}
    assert spans["resources/read"].attributes["mcp.resource.uri"] == "mem://greeting"
    assert spans["prompts/get greet"].attributes["gen_ai.prompt.name"] == "greet"
    for rpc_method in ("tools/list", "resources/read", "prompts/get", "resources/list"):
        assert "traceparent" in received_meta(server, rpc_method), rpc_method


def test_progress_callbacks_run_inside_the_call_span(server, traced):
    seen = []
    with Client(server.url) as client:
        client.call_tool(
            "progress", {"steps": 2, "delay_ms": 1}, on_progress=lambda _: seen.append(trace.get_current_span())
        )
    [span] = client_spans(traced)
    assert len(seen) == 2
    assert all(s.get_span_context().span_id == span.context.span_id for s in seen)


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_with_the_api_alone_nothing_is_sent_and_an_incoming_context_passes_through(server):
    out = run_python(
        f"""
        import sys
        import mcpstream
        print("imported at start:", "opentelemetry" in sys.modules)
        from opentelemetry import context, propagate
        with mcpstream.Client({server.url!r}) as client:
            client.call_tool("echo", {{"text": "untraced"}})
            incoming = propagate.extract({{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
            token = context.attach(incoming)
            client.call_tool("echo", {{"text": "passed on"}})
            context.detach(token)
        """
    )
    assert out.splitlines() == ["imported at start: False"]
    untraced, passed_on = [r["body"]["params"] for r in server.posts("tools/call")]
    assert "traceparent" not in untraced.get("_meta", {})
    # No SDK, no span of its own: the caller's context goes on as it came.
    assert passed_on["_meta"]["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_without_opentelemetry_calls_go_on_untraced(server):
    out = run_python(
        f"""
        import sys

        class NoOpenTelemetry:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "opentelemetry":
                    raise ImportError(name)

        sys.meta_path.insert(0, NoOpenTelemetry())
        import mcpstream
        with mcpstream.Client({server.url!r}) as client:
            print(client.call_tool("echo", {{"text": "plain"}})["content"][0]["text"])
        """
    )
    assert out.splitlines() == ["plain"]
    [call] = server.posts("tools/call")
    assert "_meta" not in call["body"]["params"]


def test_an_installed_but_unused_opentelemetry_is_never_imported(server):
    out = run_python(
        f"""
        import sys
        import mcpstream
        with mcpstream.Client({server.url!r}) as client:
            client.call_tool("echo", {{"text": "untraced"}})
        print("imported:", any(name.startswith("opentelemetry") for name in sys.modules))
        """
    )
    assert out.splitlines() == ["imported: False"], "its import would cost the first call 100+ ms"

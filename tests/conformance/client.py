"""The conformance suite's client under test, built on the mcpstream Python package.

The suite runs `python client.py <server-url>` with MCP_CONFORMANCE_SCENARIO set, and judges
what the server side saw. Each scenario does what a real agent would do for that feature;
nothing here works around the suite. One script serves both runs: run.sh (suite 0.1.16, the
2025 session era) and run-modern.sh (suite 0.2.0, the 2026-07-28 stateless era). The client
always uses the default era (`auto`), so every scenario also proves that `Client(url)` finds
the server's era by itself.

The suite also passes MCP_CONFORMANCE_PROTOCOL_VERSION (0.2.0 and later; 0.1.16 does not), the
revision the scenario's server speaks, and MCP_CONFORMANCE_CONTEXT (JSON) with the inputs a
scenario hands the client, such as the tool calls to make.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List, Union

import mcpstream

CLIENT_INFO = {"name": "mcpstream-conformance", "version": mcpstream.__version__}
MODERN = "2026-07-28"

JSONDict = Dict[str, Any]


def context() -> JSONDict:
    text = os.environ.get("MCP_CONFORMANCE_CONTEXT")
    return {} if not text else dict(json.loads(text))


def check_era(client: mcpstream.Client) -> None:
    """When the suite says which revision its server speaks, auto must have found that era."""
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION")
    if not version:
        return
    expected = "modern" if version >= MODERN else "legacy"
    assert client.era == expected, f"server speaks {version}, client chose era {client.era!r}"
    if expected == "modern":
        assert client.protocol_version == version, client.protocol_version


def text_of(result: JSONDict) -> str:
    assert not result.get("isError"), result
    return "".join(block.get("text", "") for block in result.get("content", []))


def form_answer(params: JSONDict) -> JSONDict:
    """What a user filling in an elicitation form gives back: a value for every field."""
    if params.get("mode") == "url":
        return {"action": "accept"}
    content: JSONDict = {}
    for name, field in params.get("requestedSchema", {}).get("properties", {}).items():
        if "default" in field:
            content[name] = field["default"]
        elif field.get("enum"):
            content[name] = field["enum"][0]
        elif field.get("type") == "boolean":
            content[name] = True
        elif field.get("type") in ("integer", "number"):
            content[name] = field.get("minimum", 1)
        else:
            content[name] = "yes"
    return {"action": "accept", "content": content}


def sample_arguments(tool: JSONDict) -> JSONDict:
    """Arguments an agent would fill in from a tool's input schema: each required property."""
    schema = tool.get("inputSchema", {})
    samples = {"string": "us-west1", "integer": 1, "number": 1.5, "boolean": True}
    properties = schema.get("properties", {})
    return {name: samples.get(properties.get(name, {}).get("type"), "x") for name in schema.get("required", [])}


def initialize(url: str) -> None:
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        client.list_tools()


def tools_call(url: str) -> None:
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        names = [tool["name"] for tool in client.list_tools()["tools"]]
        assert "add_numbers" in names, names
        result = client.call_tool("add_numbers", {"a": 5, "b": 3})
        assert not result.get("isError"), result


def sse_retry(url: str) -> None:
    # The server closes the tool's stream after its priming event; the client must come back
    # by GET with Last-Event-ID after the server's `retry`. No standalone stream, so the only
    # GET the server sees is that resumption.
    with mcpstream.Client(url, client_info=CLIENT_INFO, standalone_stream=False) as client:
        client.list_tools()
        result = client.call_tool("test_reconnection", {}, timeout=10)
        assert not result.get("isError"), result


def elicitation_defaults(url: str) -> None:
    # Accepting without filling anything in: the client supplies the schema's defaults
    # (SEP-1034). The request arrives on the standalone GET stream.
    def accept(params: Dict[str, Any]) -> Dict[str, Any]:
        return {"action": "accept", "content": {}}

    with mcpstream.Client(url, client_info=CLIENT_INFO, on_elicitation=accept) as client:
        result = client.call_tool("test_client_elicitation_defaults", {})
        assert not result.get("isError"), result


def request_metadata(url: str) -> None:
    # An agent that can answer elicitation, sampling and roots, so all three capabilities go
    # in every request's _meta. The server turns down the first request (whatever it is)
    # with -32022 naming 2026-07-28; the client must send it again at that version.
    def sample(params: JSONDict) -> JSONDict:
        return {"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "stand-in"}

    def roots(params: JSONDict) -> JSONDict:
        return {"roots": [{"uri": "file:///workspace", "name": "workspace"}]}

    with mcpstream.Client(
        url, client_info=CLIENT_INFO, on_elicitation=form_answer, on_sampling=sample, on_roots=roots
    ) as client:
        check_era(client)
        discovered = client.discover_result
        assert discovered is not None and MODERN in discovered.get("supportedVersions", []), discovered
        client.list_tools()


def mrtr_request_state(url: str) -> None:
    # Multi round-trip requests (SEP-2322): each tool answers input_required with an
    # elicitation; the client asks the user (form_answer), then retries the call with the
    # answers and the server's requestState. While the user is answering the first question,
    # the agent makes an unrelated call, which must carry none of that round's state.
    asked: List[str] = []
    client: mcpstream.Client

    def on_elicitation(params: JSONDict) -> JSONDict:
        asked.append(params.get("message", ""))
        if len(asked) == 1:
            assert text_of(client.call_tool("test_mrtr_unrelated", {})) == "unrelated-ok"
        return form_answer(params)

    with mcpstream.Client(url, client_info=CLIENT_INFO, on_elicitation=on_elicitation) as client:
        check_era(client)
        names = {tool["name"] for tool in client.list_tools()["tools"]}
        assert {"test_mrtr_echo_state", "test_mrtr_no_state", "test_mrtr_no_result_type"} <= names, names
        assert text_of(client.call_tool("test_mrtr_echo_state", {})) == "echo-state-ok"
        assert text_of(client.call_tool("test_mrtr_no_state", {})) == "no-state-ok"
        # No resultType in this result: it is complete (a legacy-shaped result), not a question.
        assert text_of(client.call_tool("test_mrtr_no_result_type", {})) == "no-result-type-test-ok"
        assert len(asked) == 2, asked


def standard_headers(url: str) -> None:
    # Everything a client can ask of a server with tools, resources and prompts; each POST
    # carries Mcp-Method, and calls, reads and gets carry Mcp-Name.
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        for tool in client.list_tools()["tools"]:
            text_of(client.call_tool(tool["name"], sample_arguments(tool)))
        for resource in client.list_resources()["resources"]:
            client.read_resource(resource["uri"])
        for prompt in client.list_prompts()["prompts"]:
            client.get_prompt(prompt["name"])


def custom_headers(url: str) -> None:
    # The calls the scenario hands over, made exactly as given: the client mirrors the
    # arguments its tool schemas annotate with x-mcp-header into Mcp-Param-* headers.
    calls = context()["toolCalls"]
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        names = {tool["name"] for tool in client.list_tools()["tools"]}
        for call in calls:
            assert call["name"] in names, (call["name"], names)
            text_of(client.call_tool(call["name"], call["arguments"]))


def invalid_tool_headers(url: str) -> None:
    # An agent uses every tool the client offers it. Tools whose x-mcp-header annotations are
    # invalid must not be among them (the client drops them from tools/list).
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        tools = client.list_tools()["tools"]
        for tool in tools:
            text_of(client.call_tool(tool["name"], sample_arguments(tool)))
        assert [tool["name"] for tool in tools] == ["valid_tool"], [tool["name"] for tool in tools]


def schema_ref_no_deref(url: str) -> None:
    # A tool schema with a $ref to a network URL: listing tools must not fetch it, and the
    # schema reaches the caller as the server wrote it.
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        tools = {tool["name"]: tool for tool in client.list_tools()["tools"]}
        schema = tools["lookup_user"]["inputSchema"]
        assert schema["properties"]["profile"]["$ref"].startswith("http://"), schema
        assert schema["properties"]["id"] == {"$ref": "#/$defs/userId"}, schema


def schema_preservation(url: str) -> None:
    # A JSON Schema 2020-12 input schema goes back to the server verbatim (json_schema_echo):
    # the client must not have dropped or changed any keyword on the way in.
    with mcpstream.Client(url, client_info=CLIENT_INFO) as client:
        check_era(client)
        tools = {tool["name"]: tool for tool in client.list_tools()["tools"]}
        schema = tools["json_schema_2020_12_tool"]["inputSchema"]
        text_of(client.call_tool("json_schema_echo", {"schema": schema}))


# What a real app would configure: a Client ID Metadata Document it hosts (used where the
# authorization server supports those, with dynamic registration as the fallback) and a
# loopback redirect URI. The suite's authorization server redirects at once, with no login
# page, so "the user" here is a request that reads the redirect instead of following it.
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
REDIRECT_URI = "http://localhost:3000/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def headless_authorize(url: str) -> str:
    """The browser's part: open the authorization URL, return where it sends us back."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        location = answer.headers.get("Location")
        if answer.code in (301, 302, 303, 307, 308) and location:
            return str(location)
        raise
    raise RuntimeError("the authorization endpoint did not redirect back")


def authorized(url: str) -> None:
    # An agent using a server that needs OAuth: it lists the tools and calls one. The
    # 2025-03-26 scenarios are servers without resource metadata, which the client reaches
    # only when told to accept that older discovery (legacy_discovery, off by default).
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    given = context()
    auth: Union[mcpstream.OAuth, mcpstream.ClientCredentials]
    if scenario.startswith("auth/client-credentials"):
        auth = mcpstream.ClientCredentials(
            client_id=given["client_id"],
            client_secret=given.get("client_secret"),
            private_key_pem=given.get("private_key_pem"),
            algorithm=given.get("signing_algorithm", "ES256"),
        )
    else:
        auth = mcpstream.OAuth(
            client_name="mcpstream-conformance",
            redirect_uri=REDIRECT_URI,
            on_authorize=headless_authorize,
            client_id=given.get("client_id"),
            client_secret=given.get("client_secret"),
            client_metadata_url=CLIENT_METADATA_URL,
            legacy_discovery=scenario.startswith("auth/2025-03-26-"),
        )
    with mcpstream.Client(url, client_info=CLIENT_INFO, auth=auth) as client:
        client.list_tools()
        client.call_tool("test-tool", {})


SCENARIOS = {
    "initialize": initialize,
    "tools_call": tools_call,
    "sse-retry": sse_retry,
    "elicitation-sep1034-client-defaults": elicitation_defaults,
    "request-metadata": request_metadata,
    "sep-2322-client-request-state": mrtr_request_state,
    "http-standard-headers": standard_headers,
    "http-custom-headers": custom_headers,
    "http-invalid-tool-headers": invalid_tool_headers,
    "json-schema-ref-no-deref": schema_ref_no_deref,
    "json-schema-2020-12-preservation": schema_preservation,
}


def main() -> int:
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    url = sys.argv[-1]
    run = SCENARIOS.get(scenario)
    if run is None and scenario.startswith("auth/"):
        run = authorized
    if run is None:
        # auth/* and anything newer: plain use of the server, which fails where a feature is
        # missing (OAuth), so the suite reports it rather than this script hiding it.
        run = initialize
    run(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

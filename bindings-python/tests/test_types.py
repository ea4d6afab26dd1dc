"""The result types of ``mcpstream.types``: the client's annotations name them, the reference
server's results fit them in both eras, ``mypy --strict`` rejects what they rule out, the
example that indexes results runs, and docs/api-python.md lists every type with its keys."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from typing import Any, Dict, List, Literal, Set, Tuple, Union, get_args, get_origin, get_type_hints

import mcpstream
import pytest
from conftest import REPO
from mcpstream import _aliases, types

EXAMPLE = REPO / "bindings-python" / "examples" / "typed_results.py"
DOC = REPO / "docs" / "api-python.md"
SOURCE = REPO / "bindings-python" / "python"
DOC_SECTION = "## Result types"


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def misfits(value: Any, tp: Any, where: str = "result") -> List[str]:
    """Where ``value`` (decoded JSON) does not fit ``tp``: a required key missing, a key the
    type does not know, or a value of another type."""
    if tp is Any:
        return []
    origin = get_origin(tp)
    if origin is Union:
        options = [misfits(value, option, where) for option in get_args(tp)]
        return [] if any(not found for found in options) else min(options, key=len)
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{where}: {value!r} is none of {get_args(tp)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: not a list: {value!r}"]
        (item,) = get_args(tp)
        return [problem for i, v in enumerate(value) for problem in misfits(v, item, f"{where}[{i}]")]
    if origin is dict:
        _, item = get_args(tp)
        if not isinstance(value, dict):
            return [f"{where}: not an object: {value!r}"]
        return [problem for k, v in value.items() for problem in misfits(v, item, f"{where}[{k!r}]")]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: not an object: {value!r}"]
        hints = get_type_hints(tp)
        problems = [f"{where}: no {key!r} ({tp.__name__} requires it)" for key in tp.__required_keys__ - value.keys()]
        problems += [f"{where}: {key!r} is not a key of {tp.__name__}" for key in value.keys() - hints.keys()]
        for key in value.keys() & hints.keys():
            problems += misfits(value[key], hints[key], f"{where}[{key!r}]")
        return problems
    if tp is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{where}: {value!r}"]
    if tp is int and isinstance(value, bool):
        return [f"{where}: {value!r} is not an integer"]
    return [] if isinstance(value, tp) else [f"{where}: {value!r} is not a {tp.__name__}"]


def returned(method: Any) -> Any:
    """The return annotation, resolved (a coroutine's is what awaiting it gives). The client's
    module imports the names its annotations use for type checkers only (``import mcpstream``
    would cost more otherwise), so they come from where it imports them."""
    names = {**vars(typing), **vars(_aliases), **vars(types)}
    return get_type_hints(method, globalns=names)["return"]


EXPECTED_RETURNS = {
    "connect": Union[types.InitializeResult, types.DiscoverResult],
    "list_tools": types.ListToolsResult,
    "call_tool": types.CallToolResult,
    "list_resources": types.ListResourcesResult,
    "read_resource": types.ReadResourceResult,
    "list_prompts": types.ListPromptsResult,
    "get_prompt": types.GetPromptResult,
}
EXPECTED_PROPERTIES = {
    "server_info": types.Implementation,
    "server_capabilities": types.ServerCapabilities,
    "verdict": types.Verdict,
    "discover_result": types.DiscoverResult,
}


@pytest.mark.parametrize("cls", [mcpstream.Client, mcpstream.AsyncClient])
def test_the_clients_results_are_annotated_with_the_result_types(cls):
    for name, expected in EXPECTED_RETURNS.items():
        assert returned(getattr(cls, name)) == expected, name
    for name, expected in EXPECTED_PROPERTIES.items():
        assert returned(getattr(cls, name).fget) == typing.Optional[expected], name
    assert returned(cls.request) == Dict[str, Any], "any method's result is an open object"


def results(client: mcpstream.Client) -> List[Tuple[str, Any, Any]]:
    """(what, value, the type the client's annotation gives it) for every typed result."""
    out = [("connect", client.connect(), EXPECTED_RETURNS["connect"])]
    out += [(name, getattr(client, name), EXPECTED_PROPERTIES[name]) for name in EXPECTED_PROPERTIES]
    out += [
        ("list_tools", client.list_tools(), types.ListToolsResult),
        ("call_tool", client.call_tool("echo", {"text": "hi"}), types.CallToolResult),
        ("call_tool error", client.call_tool("fail", {"message": "no"}), types.CallToolResult),
        ("list_resources", client.list_resources(), types.ListResourcesResult),
        ("read_resource", client.read_resource("mem://greeting"), types.ReadResourceResult),
        ("list_prompts", client.list_prompts(), types.ListPromptsResult),
        ("get_prompt", client.get_prompt("greet", {"name": "Ada"}), types.GetPromptResult),
    ]
    return out


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_reference_servers_results_fit_their_types(make_server, era):
    server = make_server(era=era)
    with mcpstream.Client(server.url) as client:
        checked = results(client)
        if era == "modern":
            templates = client.request("resources/templates/list")
            checked.append(("resources/templates/list", templates, types.ListResourceTemplatesResult))
    assert {what for what, value, _ in checked if value is None} == set()
    problems = [problem for what, value, tp in checked for problem in misfits(value, tp, what)]
    assert problems == []
    # Runtime values stay what json.loads made: no wrapper, no copy into another class.
    assert all(type(value) is dict for _, value, _ in checked)


def test_the_fit_check_can_fail():
    tool = {"name": "t", "inputSchema": {"type": "object"}}
    assert misfits({"tools": [tool]}, types.ListToolsResult) == []
    assert misfits({"tools": [{"name": "t"}]}, types.ListToolsResult) == [
        "result['tools'][0]: no 'inputSchema' (Tool requires it)"
    ]
    assert misfits({"content": [{"type": "txt", "text": "x"}]}, types.CallToolResult) != []
    assert misfits({"content": [], "isError": "yes"}, types.CallToolResult) == [
        "result['isError']: 'yes' is not a bool"
    ]
    assert misfits({"content": [], "extra": 1}, types.CallToolResult) == [
        "result: 'extra' is not a key of CallToolResult"
    ]


# Each snippet is a file of its own; the errors mypy --strict must report in it, in order.
SNIPPETS = {
    "indexes_correctly.py": (
        """
        from typing import List, Optional
        from mcpstream import AsyncClient, Client
        from mcpstream.types import Tool

        def first_text(client: Client) -> Optional[str]:
            block = client.call_tool("echo", {"text": "hi"})["content"][0]
            return block["text"] if block["type"] == "text" else None

        def schemas(client: Client) -> List[object]:
            tools: List[Tool] = client.list_tools()["tools"]
            return [tool["inputSchema"].get("properties") for tool in tools]

        async def resource_text(client: AsyncClient) -> str:
            contents = (await client.read_resource("mem://a"))["contents"][0]
            return contents["text"] if "text" in contents else contents["blob"]

        def saved(client: Client) -> Client:
            info = client.server_info
            print(info["name"] if info else None, (client.server_capabilities or {}).get("tools"))
            return Client(client.url, prior=client.verdict)
        """,
        [],
    ),
    "misspelt_key.py": (
        """
        from mcpstream import Client

        def content(client: Client) -> object:
            return client.call_tool("echo")["contnet"]
        """,
        ['TypedDict "CallToolResult" has no key "contnet"'],
    ),
    "unnarrowed_block.py": (
        """
        from mcpstream import Client

        def text(client: Client) -> str:
            return client.call_tool("echo")["content"][0]["text"]
        """,
        [
            f'TypedDict "{name}" has no key "text"'
            for name in ("ImageContent", "AudioContent", "ResourceLink", "EmbeddedResource")
        ],
    ),
    "blob_read_as_text.py": (
        """
        from mcpstream import AsyncClient

        async def text(client: AsyncClient) -> str:
            return (await client.read_resource("mem://a"))["contents"][0]["text"]
        """,
        ['TypedDict "BlobResourceContents" has no key "text"'],
    ),
    "wrong_value_type.py": (
        """
        from mcpstream import Client

        def count(client: Client) -> int:
            name: int = client.list_tools()["tools"][0]["name"]
            return name
        """,
        ['Incompatible types in assignment (expression has type "str", variable has type "int")'],
    ),
}


def test_mypy_strict_accepts_indexing_and_rejects_what_the_types_rule_out(tmp_path):
    for name, (code, _) in SNIPPETS.items():
        (tmp_path / name).write_text(re.sub(r"^        ", "", code.lstrip("\n"), flags=re.M))
    # The package's source, so the check reads the types under test whichever build is installed.
    env = dict(os.environ, MYPYPATH=str(SOURCE))
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *SNIPPETS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    reported: Dict[str, List[str]] = {name: [] for name in SNIPPETS}
    for line in out.stdout.splitlines():
        if ": note: " in line:
            continue
        found = re.match(r"([\w.]+):\d+: error: (.*?)  \[[\w-]+\]$", line)
        assert found and found.group(1) in reported, f"unexpected mypy output: {line}\n{out.stdout}{out.stderr}"
        reported[found.group(1)].append(found.group(2))
    assert reported == {name: errors for name, (_, errors) in SNIPPETS.items()}, out.stdout + out.stderr


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_example_runs(make_server, era):
    server = make_server(era=era)
    env = dict(os.environ, MCP_URL=server.url)
    out = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"server mcpstream-testserver in the {era} era",
        f"tool list changes announced: {era == 'modern'}",
        "tools: echo(text), add(a, b)",
        "echo -> typed ok",
        "mem://greeting -> hello from the reference server",
        "user -> Say hello to Ada",
    ]


def documented() -> Dict[str, Tuple[Set[str], Set[str]]]:
    """The doc's result types: the code spans of each entry's first line, split at
    ``optional`` into (required or members, optional)."""
    text = DOC.read_text()
    start = text.index("\n" + DOC_SECTION)
    end = text.find("\n## ", start + 1)
    found: Dict[str, Tuple[Set[str], Set[str]]] = {}
    for line in text[start : end if end != -1 else None].splitlines():
        entry = re.match(r"- `(\w+)`: (.*)", line)
        if entry:
            head, _, tail = entry.group(2).partition("optional")
            found[entry.group(1)] = (set(re.findall(r"`(\w+)`", head)), set(re.findall(r"`(\w+)`", tail)))
    return found


def declared() -> Dict[str, Tuple[Set[str], Set[str]]]:
    out: Dict[str, Tuple[Set[str], Set[str]]] = {}
    for name in types.__all__:
        value = getattr(types, name)
        if is_typeddict(value):
            out[name] = (set(value.__required_keys__), set(value.__optional_keys__))
        else:
            out[name] = ({member.__name__ for member in get_args(value)}, set())
    return out


def test_the_document_lists_every_result_type_with_its_keys():
    assert "types" in mcpstream.__all__ and mcpstream.types is types
    assert declared() == documented()

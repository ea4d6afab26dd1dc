"""Arguments and results cross into the native layer as Python objects, not JSON text: the server
must read what it read from ``json.dumps``'s text, and a call must return what ``json.loads``
made of the result's text, errors included."""

from __future__ import annotations

import enum
import json
import math
import struct
import urllib.error
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest
from conftest import RefServer
from mcpstream import Client

NESTED = {"list": [1, [2, [3, {"deep": []}]], {}], "empty_dict": {}, "empty_list": []}
# Small ints, within 64 bits, and u64's top.
INTEGERS = [0, -1, 2**62 - 1, 2**62, -(2**62) - 1, 2**63 - 1, -(2**63), 2**64 - 1]
# -1.5e-300: serde_json without its float_roundtrip feature reads it one ULP off.
FLOATS = [1.0, -0.0, 0.1, 1e300, 123.456, 2.0**60, 5e-324, 1.7976931348623157e308, -1.5e-300]
TEXTS = ["", "plain", "ünïcödé", "日本語", "astral 😀 𝄞", '" \\ / \u0000 \u001f \u007f \u2028']
ARGUMENTS = {
    "text": "hi",
    "nested": NESTED,
    "integers": INTEGERS,
    "floats": FLOATS,
    "texts": TEXTS,
    "others": [True, False, None],
}


# The text route's writer, unaffected by the counting fixture.
real_dumps = json.dumps


class Colour(enum.IntEnum):
    RED = 1


class Named(str, enum.Enum):
    ALICE = "alice"


@pytest.fixture
def dumps_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[Any]]:
    """The objects ``json.dumps`` was asked to write, to tell the direct route from the text
    route (the native layer looks ``json.dumps`` up when it falls back)."""
    calls: List[Any] = []

    def counting(obj: Any, *args: Any, **kwargs: Any) -> str:
        calls.append(obj)
        return real_dumps(obj, *args, **kwargs)

    monkeypatch.setattr(json, "dumps", counting)
    yield calls


def assert_same_json(expected: Any, actual: Any, path: str = "") -> None:
    """Deep equality that tells 1 from 1.0 and 0.0 from -0.0, as == does not."""
    assert type(expected) is type(actual), f"type at {path}: {expected!r} vs {actual!r}"
    if isinstance(expected, dict):
        assert list(expected) == list(actual), f"keys at {path}"
        for key, value in expected.items():
            assert_same_json(value, actual[key], f"{path}/{key}")
    elif isinstance(expected, list):
        assert len(expected) == len(actual), f"length at {path}"
        for i, (want, got) in enumerate(zip(expected, actual)):
            assert_same_json(want, got, f"{path}/{i}")
    elif isinstance(expected, float):
        assert struct.pack(">d", expected) == struct.pack(">d", actual), f"bits at {path}: {expected!r} {actual!r}"
    else:
        assert expected == actual, f"at {path}"


def last_arguments(server: RefServer) -> Dict[str, Any]:
    arguments: Dict[str, Any] = server.posts("tools/call")[-1]["body"]["params"]["arguments"]
    return arguments


def read_from_text(server: RefServer, arguments: Any) -> Dict[str, Any]:
    """What the server reads of ``json.dumps``'s text for these arguments (the route the client
    took before), through the same record."""
    params = {"name": "echo", "arguments": arguments}
    body = real_dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
    request = urllib.request.Request(
        server.url,
        data=body.encode(),
        method="POST",
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()
    except urllib.error.HTTPError as refused:
        refused.read()  # Without a session the server refuses it, after recording it.
    return last_arguments(server)


def sent_as_text_would_be(server: RefServer, client: Client, arguments: Dict[str, Any]) -> Dict[str, Any]:
    client.call_tool("echo", arguments)
    sent = last_arguments(server)
    assert_same_json(read_from_text(server, arguments), sent)
    return sent


def scripted_result(server: RefServer, client: Client, result_text: str) -> Any:
    body = '{"jsonrpc":"2.0","id":{{id}},"result":' + result_text + "}"
    server.script(status=200, body=body, headers=[["content-type", "application/json"]], for_method="x/values")
    return client.request("x/values")


def nested_lists(depth: int) -> List[Any]:
    value: List[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(item) for item in value]
    return value


def test_plain_arguments_reach_the_server_as_json_dumps_wrote_them_without_it(
    server: RefServer, dumps_calls: List[Any]
) -> None:
    with Client(server.url, standalone_stream=False) as client:
        dumps_calls.clear()  # The client's options went through it.
        client.call_tool("echo", ARGUMENTS)
        assert dumps_calls == [], "plain values take the direct route"
        sent = sent_as_text_would_be(server, client, ARGUMENTS)
        assert_same_json(sorted_keys(NESTED), sent["nested"])
        assert_same_json(INTEGERS, sent["integers"])
        assert_same_json(FLOATS, sent["floats"])
        assert_same_json(TEXTS, sent["texts"])
        # A tuple is a list to json.dumps, and to the direct route.
        client.call_tool("echo", {"text": "hi", "t": (1, "two", None)})
        assert last_arguments(server)["t"] == [1, "two", None]
        assert dumps_calls == []


def test_what_json_dumps_writes_its_own_way_is_left_to_it(server: RefServer, dumps_calls: List[Any]) -> None:
    cases: List[Any] = [
        (Colour.RED, 1),
        (Named.ALICE, "alice"),
        (2**64, 2.0**64),
        (
            {2: "integer key", True: "bool key", None: "none key"},
            {"2": "integer key", "true": "bool key", "null": "none key"},
        ),
        (type("MyDict", (dict,), {})(a=1), {"a": 1}),
        (nested_lists(110), nested_lists(110)),
    ]
    with Client(server.url, standalone_stream=False) as client:
        for value, expected in cases:
            dumps_calls.clear()
            sent = sent_as_text_would_be(server, client, {"text": "hi", "v": value})
            assert_same_json(sorted_keys(expected), sent["v"])
            assert len(dumps_calls) == 1, f"{value!r} takes the text route"


def test_what_json_dumps_refuses_fails_as_before_and_sends_nothing(server: RefServer) -> None:
    cycle: Dict[str, Any] = {"text": "hi"}
    cycle["self"] = cycle
    refused: List[Any] = [{"x": object()}, {"x": {1, 2}}, cycle, {"x": b"bytes"}]
    with Client(server.url, standalone_stream=False) as client:
        for bad in refused:
            with pytest.raises(Exception) as expected:
                json.dumps({"op": "call_tool", "arguments": bad})
            with pytest.raises(type(expected.value)) as raised:
                client.call_tool("echo", bad)
            assert str(raised.value) == str(expected.value)
        assert server.posts("tools/call") == []


def test_non_finite_floats_and_lone_surrogates_are_refused_as_the_text_route_refused_them(server: RefServer) -> None:
    with Client(server.url, standalone_stream=False) as client:
        for bad in ({"x": math.nan}, {"x": -math.inf}, {"x": "\ud800"}):
            with pytest.raises(ValueError):
                client.call_tool("echo", bad)
        assert server.posts("tools/call") == []


def test_results_are_what_json_loads_makes_of_their_text(server: RefServer) -> None:
    # Keys sorted, as the core keeps them, so json.loads of this text is what the core's own
    # text of the result gave.
    text = json.dumps(
        sorted_keys(
            {
                "nested": NESTED,
                "integers": INTEGERS,
                "floats": FLOATS,
                "texts": TEXTS,
                "others": [True, False, None],
                "whole": 3.0,
            }
        )
    )
    with Client(server.url, standalone_stream=False) as client:
        assert_same_json(json.loads(text), scripted_result(server, client, text))
        # serde_json holds integers beyond 64 bits as floats, which the text route passed on.
        big = scripted_result(server, client, '{"big":1180591620717411303424,"small":-18446744073709551616}')
        assert_same_json({"big": 2.0**70, "small": -(2.0**64)}, big)
        escaped = scripted_result(server, client, '{"s":"\\ud83d\\ude00\\u00e9\\u0000"}')
        assert_same_json({"s": "\U0001f600\u00e9\u0000"}, escaped)
        deep = json.dumps({"a": nested_lists(120)})
        assert_same_json(json.loads(deep), scripted_result(server, client, deep))


def test_a_large_result_and_argument_cross_whole(server: RefServer) -> None:
    with Client(server.url, standalone_stream=False) as client:
        text = client.call_tool("big", {"bytes": 1 << 20})["content"][0]["text"]
        assert text == "x" * (1 << 20)
        echoed = client.call_tool("echo", {"text": "ü" * (1 << 19)})["content"][0]["text"]
        assert echoed == "ü" * (1 << 19)

"""The interop scenario against a real peer, through the Python package.

Usage: python scenario.py URL SPEC_JSON

SPEC_JSON (written by run.py): {"tool", "args", "expected", "stateless", "legacy", "modern",
"json_only", "proxy", "direct", "rounds"}. URL is the peer behind the recording proxy at
`proxy`; `direct` is the same peer without the proxy, for timing.

1. What connect() costs: the requests each era choice sends (read off the proxy) and, against
   `direct`, the median time of `rounds` connects of each, the choices taking turns: `auto` on
   first contact (the verdict forgotten each time), `auto` with the verdict remembered,
   `era="legacy"`, `era="modern"`.
2. The session era (`era="legacy"`), if the peer serves it: connect -> session id and version
   -> list and call a tool -> close -> the closed session's id is refused -> a client with
   on_session_expired="retry" recovers from it -> a new connect works.
3. The modern era, if the peer serves it: list and call a tool, a call whose x-mcp-header
   argument becomes the Mcp-Param-Region header (plain and base64-encoded), an input_required
   elicitation answered by on_elicitation, a subscription that hears tools/list_changed after
   the `poke` tool, and progress notifications for a call with on_progress.

Prints {"rows": [[behaviour, result], ...], "timings": {...}, "details": [...]} as JSON. The
lifecycle exits 1 (reason on stderr) on the first outcome a user would not rely on; each
modern feature is tried on its own and reported "FAILED" (why in "details").
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

import mcpstream

Row = Tuple[str, str]
NAME = "mcpstream interop"
REGIONS = [("plain value", "eu-west-1"), ("non-ASCII value (sent base64)", "Zürich Süd")]
STEPS = 3


def text_of(result: Dict[str, Any]) -> str:
    return " ".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def refusal(error: mcpstream.MCPError) -> str:
    """An error as the same words in Python and Ruby."""
    if isinstance(error, mcpstream.RPCError):
        return f"refused: RPCError {error.code}"
    if isinstance(error, mcpstream.HTTPError):
        return f"refused: {type(error).__name__} {error.status}"
    return f"refused: {type(error).__name__}"


def proxy_requests(proxy: str) -> List[Dict[str, Any]]:
    """What the peer received since the last call (the proxy's record is read and cleared)."""
    request = urllib.request.Request(f"{proxy}/_proxy/requests", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as answer:
        requests: List[Dict[str, Any]] = json.load(answer)["requests"]
        return requests


def wire(requests: List[Dict[str, Any]]) -> str:
    """The requests a connect sent, e.g. "2: server/discover 400, initialize 200"."""
    if not requests:
        return "0"
    names = [f"{r['rpc_method'] or r['method']} {r['status']}" for r in requests]
    return f"{len(names)}: {', '.join(names)}"


CHOICES: List[Tuple[str, Dict[str, Any], bool]] = [
    ("auto, first contact", {}, True),
    ("auto, verdict remembered", {}, False),
    ('era="legacy"', {"era": "legacy"}, False),
    ('era="modern"', {"era": "modern"}, False),
]


def connect_once(url: str, options: Dict[str, Any], forget: bool) -> Tuple[Optional[mcpstream.Client], float, str]:
    """Connects once; returns the client (None if refused), the seconds connect() took and
    the refusal, if any."""
    if forget:
        mcpstream.forget_verdict(url)
    client = mcpstream.Client(url, timeout=10, **options)
    started = time.perf_counter()
    try:
        client.connect()
    except mcpstream.MCPError as e:
        return None, time.perf_counter() - started, refusal(e)
    return client, time.perf_counter() - started, ""


def probe_cost(spec: Dict[str, Any], url: str) -> Tuple[List[Row], Dict[str, Optional[float]]]:
    rows: List[Row] = []
    proxy_requests(spec["proxy"])
    for label, options, forget in CHOICES:
        client, _, refused = connect_once(url, options, forget)
        sent = wire(proxy_requests(spec["proxy"]))
        if client is None:
            rows.append((f"connect requests, {label}", f"{sent} ({refused})"))
            continue
        if label == "auto, first contact":
            rows.insert(0, ("connect, era auto: era (version)", f"{client.era} ({client.protocol_version})"))
        rows.append((f"connect requests, {label}", sent))
        client.close()
        proxy_requests(spec["proxy"])
    # The choices take turns, so a peer still warming up (a JIT) weighs on none of them more;
    # the first round only warms up.
    samples: Dict[str, List[float]] = {label: [] for label, _, _ in CHOICES}
    for turn in range(spec["rounds"] + 1):
        for label, options, forget in CHOICES:
            client, seconds, _ = connect_once(spec["direct"], options, forget)
            if client is not None:
                client.close()
                if turn > 0:
                    samples[label].append(seconds)
    timings = {label: statistics.median(s) * 1000 if s else None for label, s in samples.items()}
    proxy_requests(spec["proxy"])
    return rows, timings


def lifecycle(url: str, tool: str, args: Dict[str, Any], expected: str, stateless: bool) -> List[Row]:
    rows: List[Row] = []
    # Dual-era peers would otherwise be spoken to in the modern era, which has no session.
    client = mcpstream.Client(url, timeout=10, era="legacy")
    client.connect()
    sid, version = client.session_id, client.protocol_version
    check((sid is None) == stateless, f"session id {sid!r} for a {'stateless' if stateless else 'stateful'} server")
    rows.append(("connect: session id", "none (stateless)" if sid is None else "assigned"))
    rows.append(("connect: negotiated version", str(version)))

    names = [t["name"] for t in client.list_tools()["tools"]]
    check(tool in names, f"{tool} not in {names}")
    result = client.call_tool(tool, args)
    check(expected in text_of(result) and not result.get("isError"), f"unexpected result {result}")
    rows.append(("tools/list and tools/call", "ok"))

    outcome = client.close()
    check(outcome == ("no_session" if stateless else "terminated"), f"close() -> {outcome}")
    check(client.session_id is None, "session kept after close()")
    rows.append(("close()", outcome))

    if sid is None or version is None:
        rows.append(("the closed session's id, reused", "n/a (no session)"))
        rows.append(('the same, with on_session_expired="retry"', "n/a (no session)"))
    else:
        stale = mcpstream.Client(url, timeout=10, standalone_stream=False)
        stale.resume(sid, version)
        try:
            stale.list_tools()
            raise AssertionError("the closed session's id was accepted")
        except mcpstream.SessionExpiredError as e:
            check(e.session_id == sid and stale.session_id is None, "expiry did not clear the session")
            rows.append(("the closed session's id, reused", f"SessionExpiredError ({e.status})"))

        healing = mcpstream.Client(url, timeout=10, standalone_stream=False, on_session_expired="retry")
        healing.resume(sid, version)
        result = healing.call_tool(tool, args)
        check(expected in text_of(result), f"unexpected result after recovery {result}")
        check(healing.session_id not in (None, sid), "no new session after recovery")
        healing.close()
        rows.append(('the same, with on_session_expired="retry"', "recovered in a new session"))

    again = mcpstream.Client(url, timeout=10, era="legacy")
    again.connect()
    check(again.session_id is None or again.session_id != sid, "the new session reused the old id")
    check(expected in text_of(again.call_tool(tool, args)), "call in the new session failed")
    again.close()
    rows.append(("connect again", "ok"))
    return rows


def modern(url: str, spec: Dict[str, Any]) -> Tuple[List[Row], List[str]]:
    rows: List[Row] = []
    details: List[str] = []
    asked: List[Optional[Dict[str, Any]]] = []

    def on_elicitation(params: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        asked.append(params)
        return {"action": "accept", "content": {"name": NAME}}

    client = mcpstream.Client(url, timeout=10, era="modern", on_elicitation=on_elicitation)

    def attempt(behaviour: str, feature: Callable[[], str]) -> None:
        try:
            rows.append((f"modern: {behaviour}", feature()))
        except Exception as e:  # noqa: BLE001 - every failure is a row, the rest still runs
            rows.append((f"modern: {behaviour}", "FAILED"))
            details.append(f"{behaviour}: {type(e).__name__}: {e}")

    def connect() -> str:
        client.connect()
        check(client.era == "modern", f"era {client.era}")
        return f"session id {client.session_id or 'none'}, version {client.protocol_version}"

    def call() -> str:
        names = [t["name"] for t in client.list_tools()["tools"]]
        missing = {spec["tool"], "region", "greet", "progress", "poke"} - set(names)
        check(not missing, f"tools missing from tools/list: {sorted(missing)} (got {names})")
        result = client.call_tool(spec["tool"], spec["args"])
        check(spec["expected"] in text_of(result) and not result.get("isError"), f"unexpected result {result}")
        return "ok"

    def header(value: str) -> Callable[[], str]:
        def run() -> str:
            result = client.call_tool("region", {"region": value, "text": "routed"})
            check(text_of(result) == f"routed in {value}" and not result.get("isError"), f"unexpected {result}")
            return "accepted"

        return run

    def elicitation() -> str:
        result = client.call_tool("greet", {})
        check(text_of(result) == f"hello {NAME}" and not result.get("isError"), f"unexpected result {result}")
        check(len(asked) == 1, f"on_elicitation ran {len(asked)} times")
        message = (asked[0] or {}).get("message")
        return f'answered "{message}" once; the result shows the answer'

    def subscription() -> str:
        with client.listen(tools_list_changed=True) as subscription:
            honoured = ", ".join(sorted(k for k, v in subscription.acknowledged.items() if v)) or "nothing"
            client.call_tool("poke", {})
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                event = subscription.next(timeout=max(0.0, deadline - time.monotonic()))
                if event is None:
                    break
                check(event.type != "ended", f"the subscription ended: {event}")
                if event.type == "notification" and event.method == "notifications/tools/list_changed":
                    return f"acknowledged {honoured}; notifications/tools/list_changed received"
        raise AssertionError("no notifications/tools/list_changed within 10 s of poke")

    def progress() -> str:
        seen: List[Dict[str, Any]] = []
        result = client.call_tool("progress", {"steps": STEPS}, on_progress=seen.append)
        check(text_of(result) == f"{STEPS} steps done", f"unexpected result {result}")
        if not seen and spec["json_only"]:
            return "none sent (the peer answers JSON only)"
        values = [p.get("progress") for p in seen]
        check(values == sorted(values) and len(set(values)) == len(values), f"progress not increasing: {values}")
        check(len(seen) == STEPS, f"{len(seen)} of {STEPS} notifications: {seen}")
        return f"{len(seen)} of {STEPS}, increasing, before the result"

    attempt("connect, era modern", connect)
    attempt("tools/list and tools/call", call)
    for label, value in REGIONS:
        attempt(f"x-mcp-header argument, {label}", header(value))
    attempt("input_required elicitation (on_elicitation)", elicitation)
    attempt("listen: tools/list_changed after poke", subscription)
    attempt("progress (on_progress)", progress)
    attempt("close()", client.close)
    return rows, details


def main() -> int:
    url, spec = sys.argv[1], json.loads(sys.argv[2])
    try:
        rows, timings = probe_cost(spec, url)
        if spec["legacy"]:
            rows += lifecycle(url, spec["tool"], spec["args"], spec["expected"], spec["stateless"])
        details: List[str] = []
        if spec["modern"]:
            extra, details = modern(url, spec)
            rows += extra
    except (AssertionError, mcpstream.MCPError) as e:
        print(f"scenario failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"rows": rows, "timings": timings, "details": details}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

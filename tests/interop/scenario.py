"""The session-lifecycle scenario against a real peer, through the Python package.

Usage: python scenario.py URL TOOL ARGS_JSON EXPECTED_TEXT [--stateless]

which era a client with no era option picks -> then, in the session era whatever the peer
prefers: connect -> session id and version -> list and call a tool -> close -> the closed
session's id is refused -> a client with on_session_expired="retry" recovers from it -> a new
connect works.
Prints {"rows": [[behaviour, result], ...]} as JSON; exits 1 (reason on stderr) on the first
outcome that is not what a user relies on.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Tuple

import mcpstream

Row = Tuple[str, str]


def text_of(result: Dict[str, Any]) -> str:
    return " ".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run(url: str, tool: str, args: Dict[str, Any], expected: str, stateless: bool) -> List[Row]:
    rows: List[Row] = []
    chooser = mcpstream.Client(url, timeout=10)
    chooser.connect()
    rows.append(("connect, era auto: era (version)", f"{chooser.era} ({chooser.protocol_version})"))
    chooser.close()

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


def main() -> int:
    url, tool, args, expected = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
    try:
        rows = run(url, tool, args, expected, "--stateless" in sys.argv[5:])
    except (AssertionError, mcpstream.MCPError) as e:
        print(f"scenario failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

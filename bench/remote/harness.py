"""The remote run: namespaces up, the servers and nginx in the server namespace, then for each
one-way delay the delay bridge, a ping check and every client's measurements; everything ended
and the namespaces removed at the end, whatever happened."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, Dict, List, Optional, Set, Tuple

from . import proxy
from .clients import COLD, SEQUENTIAL, RemoteClient, remote_clients
from .measure import ClientRun, ping_rtt_ms, run_client
from .netns import inside, layout, net_sh
from .runlock import one_run_at_a_time
from .steal import cpu_ticks, steal_pct
from .summary import summarize

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "target" / "release"
sys.path.insert(0, str(ROOT / "tests" / "interop"))
from processes import Running  # noqa: E402 - shared with the interop runner

TOOLS = ["ip", "ethtool", "ping", "openssl", "nginx"]
UPSTREAM_PORTS = {"rmcp": 8001, "python_sdk": 8002}
SERVER_NAMES = {"rmcp": "rmcp 3.9", "python_sdk": "Python SDK 2.3"}
WARMUP_CALLS = 20  # what every bench client sends before it measures (short workload)
NET = layout()


def why_not() -> Optional[str]:
    """Why the remote run cannot happen here, if it cannot."""
    if os.geteuid() != 0:
        return "it needs root to create network namespaces (CI runs as root)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()]
    if missing:
        raise RuntimeError(f"the remote benchmark needs {', '.join(missing)}: run `make remote-setup` (root)")
    return None


class Servers:
    """The upstream servers and nginx, in the server namespace."""

    def __init__(self) -> None:
        self.running: List[Running] = []

    def start(self, namespace: str, address: str, sdk_python: List[str], work: Path, tls: Path) -> None:
        config = proxy.write_config(work, tls, address, UPSTREAM_PORTS)
        commands = {
            "rmcp": [str(RELEASE / "rmcp-peer-server"), "--port", str(UPSTREAM_PORTS["rmcp"])],
            "python_sdk": sdk_python
            + [str(ROOT / "tests" / "interop" / "peers" / "py_server.py"), str(UPSTREAM_PORTS["python_sdk"])],
        }
        with inside(namespace):
            for name, command in commands.items():
                self.running.append(Running(command, work / f"{name}.log"))
                self.running[-1].wait_for_port(UPSTREAM_PORTS[name], f"the {name} server")
            nginx = Running(proxy.nginx_command(work, config), work / "nginx.out")
            self.running.append(nginx)
            wait_for_tls(nginx, address)

    def stop(self) -> None:
        for running in reversed(self.running):
            running.stop()


def wait_for_tls(nginx: Running, address: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if nginx.process.poll() is not None:
            raise RuntimeError(f"nginx exited: {nginx.log.read_text(errors='replace')[-1500:]}")
        try:
            with socket.create_connection((address, 443), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {address}:443 within {seconds:.0f} s")


def start_bridge(namespace: str, interfaces: List[str], delay_ms: float, log: Path) -> Running:
    command = [str(RELEASE / "delay-bridge"), "--delay-ms", str(delay_ms), "--realtime", "--max-seconds", "3600"]
    with inside(namespace):
        bridge = Running(command + interfaces, log)
    deadline = time.monotonic() + 10
    while "ready" not in log.read_text(errors="replace"):
        if bridge.process.poll() is not None or time.monotonic() > deadline:
            bridge.stop()
            raise RuntimeError(f"the delay bridge did not start: {log.read_text(errors='replace')[-1500:]}")
        time.sleep(0.05)
    return bridge


def check_link(namespace: str, address: str, delay_ms: float) -> Dict[str, float]:
    """Pings across the bridge: the round trip must be twice the one-way delay, plus at most a
    little for the kernel and the bridge's wake-ups, or the figures that follow mean nothing."""
    rtt = ping_rtt_ms(namespace, address, 20)
    if rtt is None:
        raise RuntimeError(f"no ping reply from {address} across the delay bridge")
    slack = max(2.0, 0.1 * 2 * delay_ms)
    print(f"bench: remote: {delay_ms:g} ms each way: ping RTT min/avg/max {rtt}", flush=True)
    if not (2 * delay_ms <= rtt["min"] and rtt["avg"] <= 2 * delay_ms + slack):
        raise RuntimeError(f"ping RTT {rtt} ms is not {2 * delay_ms:g} ms (+ up to {slack:g}): the link is wrong")
    return rtt


def bridge_counts(log: Path) -> Dict[str, Any]:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {}


def raise_on_sigterm() -> None:
    """A terminated run still cleans up: SIGTERM unwinds like Ctrl-C does."""

    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run(
    loopback: Dict[str, Tuple[List[str], List[str]]], sdk_python: List[str], quick: bool, seconds: float
) -> Dict[str, Any]:
    """The remote section of results.json, or {"skipped": why} where it cannot run."""
    reason = why_not()
    if reason is not None:
        print(f"bench: remote benchmark skipped: {reason}", flush=True)
        return {"skipped": reason}
    raise_on_sigterm()
    work = ROOT / "target" / "remote"
    ticks = cpu_ticks()
    with one_run_at_a_time():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print("bench: remote: creating the namespaces", flush=True)
        net_sh("up")
        servers = Servers()
        try:
            ca = proxy.make_certificates(work / "tls", NET["SERVER_ADDR"])
            env = {**os.environ, "SSL_CERT_FILE": str(ca), "NODE_EXTRA_CA_CERTS": str(ca)}
            servers.start(NET["SERVER_NS"], NET["SERVER_ADDR"], sdk_python, work, work / "tls")
            plan = Plan(remote_clients(loopback), seconds, cold_samples=1 if quick else 3, env=env, work=work)
            # The smoke proves every client and both routes work; the second server's other
            # measurements add only minutes of interpreter start-ups to `make test`.
            plan.only_sequential = {"python_sdk"} if quick else set()
            for delay in [5.0] if quick else [5.0, 25.0]:
                plan.measure_link(delay)
        finally:
            servers.stop()
            net_sh("down")
            print("bench: remote: namespaces removed", flush=True)
    remote = summarize(plan.runs, proxy.traffic_by_run(work / "access.log"), plan.links, WARMUP_CALLS)
    remote["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    remote["seconds_per_run"] = seconds
    remote["cold_samples"] = plan.cold_samples
    remote["steal_pct"] = steal_pct(ticks, cpu_ticks())
    return remote


class Plan:
    """Every client's measurements against every server, one delay at a time; each client run
    gets its own tag in the URL (see proxy.py)."""

    def __init__(
        self, clients: List[RemoteClient], seconds: float, cold_samples: int, env: Dict[str, str], work: Path
    ) -> None:
        self.clients, self.seconds, self.cold_samples = clients, seconds, cold_samples
        self.env, self.work = env, work
        self.runs: List[Dict[str, Any]] = []
        self.links: List[Dict[str, Any]] = []
        self.tag = 0
        self.only_sequential: Set[str] = set()

    def measure_link(self, delay: float) -> None:
        log = self.work / f"bridge-{delay:g}ms.log"
        bridge = start_bridge(NET["BRIDGE_NS"], NET["BRIDGE_IFACES"].split(), delay, log)
        try:
            rtt = check_link(NET["CLIENT_NS"], NET["SERVER_ADDR"], delay)
            for server in UPSTREAM_PORTS:
                for client in self.clients:
                    for measurement, mode in client.modes.items():
                        if server in self.only_sequential and measurement != SEQUENTIAL:
                            continue
                        for _ in range(self.cold_samples if measurement == COLD else 1):
                            self.measure(client, server, delay, measurement, mode)
        finally:
            bridge.stop()
        counts = bridge_counts(log)
        self.links.append({"delay_ms": delay, "ping_rtt_ms": rtt, "bridge": counts})
        lost = counts.get("kernel_drops", 0) + sum(counts.get(d, {}).get("oversize", 0) for d in ("a_to_b", "b_to_a"))
        if lost:
            print(f"bench: remote: warning: the delay bridge lost {lost} frames ({counts})", flush=True)

    def measure(self, client: RemoteClient, server: str, delay: float, measurement: str, mode: str) -> None:
        self.tag += 1
        url = f"https://{NET['SERVER_ADDR']}/run-{self.tag}/{server}/mcp"
        duration = 0.0 if measurement == COLD else self.seconds
        command = client.command + [url, "short", str(duration), mode]
        done = run_client(NET["CLIENT_NS"], command, self.env, self.work / f"client-{self.tag}.err", timeout=240)
        self.runs.append(record(self.tag, client, server, delay, measurement, done))
        print(f"bench: remote: {describe(self.runs[-1])}", flush=True)


def record(
    tag: int, client: RemoteClient, server: str, delay: float, measurement: str, done: ClientRun
) -> Dict[str, Any]:
    return {
        "tag": tag,
        "client": client.name,
        "official": client.official,
        "server": SERVER_NAMES[server],
        "rtt_ms": 2 * delay,
        "measurement": measurement,
        "report": done.report,
        "first_line_s": done.first_line_s,
    }


def describe(run: Dict[str, Any]) -> str:
    what = f"{run['client']} / {run['server']} / {run['rtt_ms']:g} ms RTT / {run['measurement']}"
    if run["measurement"] == COLD:
        return f"{what}: {run['first_line_s'] * 1000:.0f} ms"
    report = run["report"]
    return f"{what}: {report['calls'] / report['seconds']:,.0f} calls/s"

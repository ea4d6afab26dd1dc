"""The remote section of RESULTS.md."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .clients import COLD, OFFICIAL

SHORT_NAMES = {"Python SDK 2.3": "Python SDK", "TypeScript SDK 1.32": "TS SDK", "rmcp 3.9 client": "rmcp"}


def fmt(value: Optional[float], digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def ratios(row: Dict[str, Any]) -> str:
    return " | ".join(fmt(row["ratios"].get(o), 2) for o in OFFICIAL)


def sequence(row: Dict[str, Any]) -> str:
    """The requests in order, repeats folded: `initialize, tools/call ×2, GET`."""
    folded: List[List[Any]] = []
    for what in row.get("sequence", []):
        if folded and folded[-1][0] == what:
            folded[-1][1] += 1
        else:
            folded.append([what, 1])
    return ", ".join(what if n == 1 else f"{what} ×{n}" for what, n in folded) or "-"


def handshakes(row: Dict[str, Any]) -> str:
    resumed = f" ({row['tls_resumed']} resumed)" if row["tls_resumed"] else ""
    return f"{row['tls_handshakes']}{resumed}"


def markdown(remote: Dict[str, Any], quick: bool) -> List[str]:
    rtts = sorted({r["rtt_ms"] for r in remote["rows"]})
    title = " and ".join(f"{rtt:g} ms" for rtt in rtts)
    links = "; ".join(
        f"{link['delay_ms']:g} ms each way → "
        + ("/".join(f"{link['ping_rtt_ms'][k]:.2f}" for k in ("min", "avg", "max")) if link["ping_rtt_ms"] else "?")
        + " ms"
        for link in remote["links"]
    )
    official = " | ".join(f"× {SHORT_NAMES[o]}" for o in OFFICIAL)
    lines = [
        f"## Remote (TLS, {title} RTT)" + (" (quick smoke run, not a measurement)" if quick else ""),
        "",
        f"Measured on {remote.get('date', '?')} (`make bench-remote` reruns only this part): each",
        f"timed run lasted {remote.get('seconds_per_run', '?')} s, each cold connect was sampled"
        f" {remote.get('cold_samples', '?')} times.",
        "The clients ran in one network namespace and the servers in another, behind nginx (Debian's",
        "1.22) terminating TLS and offering HTTP/2 and HTTP/1.1 by ALPN, proxying with keep-alive and",
        "no buffering to the servers on the server namespace's loopback. Between the two namespaces,",
        "`delay-bridge` (bench/src/bin/delay-bridge) held every Ethernet frame for the one-way delay;",
        "the run set it up with bench/remote/net.sh and removed it after.",
        f"Link check, ping RTT min/avg/max across the bridge: {links}."
        + (
            f" CPU steal over the remote run: {remote['steal_pct']:.0f}% (time the hypervisor gave this"
            " machine's CPUs to others)."
            if remote.get("steal_pct") is not None
            else ""
        ),
        "Cold connect: a fresh process, from its creation by the harness to its first `tools/call`",
        "result (the median of the samples). Sequential and 16 in flight: `tools/call echo` with a",
        "short text after 20 warm-up calls. TLS handshakes: the TLS connections nginx accepted from",
        "the client's whole run, warm-up and close included (resumed ones in brackets); HTTP: the",
        "version nginx saw. × columns: calls/s over the official client's, or its cold connect time",
        "over ours, both in this run; above 1 is better.",
        "",
        "### Cold connect",
        "",
        f"| client | server | RTT ms | ms | samples | HTTP | requests (as nginx finished them) | TLS handshakes"
        f" | {official} |",
        "|---|---|---:|---:|---|---|---|---:|---:|---:|---:|",
    ]
    rows = sorted(remote["rows"], key=lambda r: (r["server"], r["rtt_ms"]))
    for r in (r for r in rows if r["measurement"] == COLD):
        samples = ", ".join(fmt(s) for s in r["cold_samples_ms"])
        lines.append(
            f"| {r['client']} | {r['server']} | {r['rtt_ms']:g} | {fmt(r['cold_ms'])} | {samples} | {r['http']}"
            f" | {sequence(r)} | {handshakes(r)} | {ratios(r)} |"
        )
    lines += [
        "",
        "### Calls",
        "",
        f"| client | server | RTT ms | measurement | calls/s | p50 ms | p99 ms | CPU ms/call | HTTP"
        f" | TLS handshakes | per 1,000 calls | {official} |",
        "|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in (r for r in rows if r["measurement"] != COLD):
        lines.append(
            f"| {r['client']} | {r['server']} | {r['rtt_ms']:g} | {r['measurement']} | {fmt(r['calls_per_s'])}"
            f" | {fmt(r['p50_ms'], 1)} | {fmt(r['p99_ms'], 1)} | {fmt(r['cpu_ms_per_call'], 2)} | {r['http']}"
            f" | {handshakes(r)} | {fmt(r['handshakes_per_1k_calls'], 1)} | {ratios(r)} |"
        )
    lines += [
        "",
        "### Remote targets (10 ms RTT)",
        "",
        "| server | target | measured | needed | met |",
        "|---|---|---:|---|---|",
    ]
    for t in remote["targets"]:
        lines.append(
            f"| {t['server']} | {t['target']} | {fmt(t['measured'], 1)} | {t['needed']}"
            f" | {'yes' if t['met'] else '**no**'} |"
        )
    lines += ["", "Where a remote target is missed, PROFILE.md's Remote section says why.", ""]
    return lines

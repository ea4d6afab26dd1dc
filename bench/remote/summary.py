"""From the remote runs and nginx's log to the rows of the table: one row per client, server,
RTT and measurement, with ratios to each official client measured in the same run, and the
issue's targets checked on the 10 ms link."""

from __future__ import annotations

import statistics
from typing import Any, Dict, List, Optional, Tuple

from .clients import COLD, IN_FLIGHT, OFFICIAL, SEQUENTIAL
from .proxy import RunTraffic

Key = Tuple[str, str, float, str]  # client, server, RTT ms, measurement


def summarize(
    runs: List[Dict[str, Any]], traffic: Dict[int, RunTraffic], links: List[Dict[str, Any]], warmup: int
) -> Dict[str, Any]:
    grouped: Dict[Key, List[Dict[str, Any]]] = {}
    for run in runs:
        grouped.setdefault((run["client"], run["server"], run["rtt_ms"], run["measurement"]), []).append(run)
    rows = [row(key, samples, traffic, warmup) for key, samples in grouped.items()]
    add_ratios(rows)
    return {"links": links, "rows": rows, "targets": targets(rows)}


def row(key: Key, samples: List[Dict[str, Any]], traffic: Dict[int, RunTraffic], warmup: int) -> Dict[str, Any]:
    client, server, rtt, measurement = key
    # The median sample stands for the row (one sample except for cold connects).
    samples = sorted(samples, key=lambda s: float(s["first_line_s"]))
    chosen = samples[(len(samples) - 1) // 2]
    report = chosen["report"]
    seen = traffic.get(chosen["tag"], RunTraffic())
    calls = int(report["calls"])
    made = calls if measurement == COLD else calls + warmup
    result: Dict[str, Any] = {
        "client": client,
        "official": chosen["official"],
        "server": server,
        "rtt_ms": rtt,
        "measurement": measurement,
        "calls": calls,
        "http": seen.main_protocol,
        "http_versions": seen.protocols,
        "tls_handshakes": seen.handshakes,
        "tls_resumed": len(seen.resumed),
        "requests": seen.requests,
        "sequence": seen.sequence if measurement == COLD else [],
        "error_statuses": {s: n for s, n in seen.statuses.items() if not s.startswith("2")},
        "handshakes_per_1k_calls": seen.handshakes * 1000 / made if made else None,
    }
    if measurement == COLD:
        result["cold_ms"] = statistics.median(float(s["first_line_s"]) * 1000 for s in samples)
        result["cold_samples_ms"] = [float(s["first_line_s"]) * 1000 for s in samples]
    else:
        result["calls_per_s"] = calls / float(report["seconds"])
        result["p50_ms"] = float(report["p50_us"]) / 1000
        result["p99_ms"] = float(report["p99_us"]) / 1000
        result["cpu_ms_per_call"] = float(report["cpu_seconds"]) * 1000 / calls if calls else None
    return result


def figure(row: Dict[str, Any]) -> Optional[float]:
    """The row's headline, larger is better: calls/s, or connects per second for a cold connect."""
    if row["measurement"] == COLD:
        return 1000 / row["cold_ms"] if row.get("cold_ms") else None
    value = row.get("calls_per_s")
    return float(value) if value else None


def add_ratios(rows: List[Dict[str, Any]]) -> None:
    """× each official client: calls/s over theirs, or their cold connect time over ours (so
    above 1 is better either way)."""
    by_key = {(r["client"], r["server"], r["rtt_ms"], r["measurement"]): r for r in rows}
    for r in rows:
        r["ratios"] = {}
        mine = figure(r)
        for official in OFFICIAL:
            base = by_key.get((official, r["server"], r["rtt_ms"], r["measurement"]))
            theirs = figure(base) if base else None
            r["ratios"][official] = mine / theirs if mine and theirs else None


def targets(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def find(client: str, server: str, measurement: str) -> Optional[Dict[str, Any]]:
        key = (client, server, 10.0, measurement)
        return next((r for r in rows if (r["client"], r["server"], r["rtt_ms"], r["measurement"]) == key), None)

    out: List[Dict[str, Any]] = []
    for server in sorted({r["server"] for r in rows}):
        cold = find("mcpstream Python", server, COLD)
        sequential = find("mcpstream Python", server, SEQUENTIAL)
        parallel = find("mcpstream Python", server, IN_FLIGHT)
        if cold is None or sequential is None:
            continue
        slowest_ratio = min((v for v in cold["ratios"].values() if v is not None), default=None)
        checks: List[Tuple[str, Optional[float], str, bool]] = [
            ("Python cold connect ≤ 60 ms", cold["cold_ms"], "≤ 60 ms", cold["cold_ms"] <= 60),
            (
                "Python cold connect faster than every official client (lowest ×)",
                slowest_ratio,
                "> 1",
                slowest_ratio is not None and slowest_ratio > 1,
            ),
            ("Python sequential calls/s", sequential["calls_per_s"], "≥ 90", sequential["calls_per_s"] >= 90),
            (
                "TLS handshakes, whole sequential Python run",
                float(sequential["tls_handshakes"]),
                "≤ 2",
                sequential["tls_handshakes"] <= 2,
            ),
        ]
        if parallel is not None:
            one_h2_connection = parallel["http"] == "HTTP/2.0" and parallel["tls_handshakes"] == 1
            checks.append(
                (
                    f"AsyncClient 16 in flight calls/s (over {parallel['http']}, "
                    f"TLS connections: {parallel['tls_handshakes']})",
                    parallel["calls_per_s"],
                    "≥ 1,200 over HTTP/2 on one connection",
                    parallel["calls_per_s"] >= 1200 and one_h2_connection,
                )
            )
        out += [
            {"server": server, "target": name, "measured": value, "needed": needed, "met": met}
            for name, value, needed, met in checks
        ]
    return out

"""What the Python bench clients share: the workloads and the one-line JSON report that
bench/run.py reads (the Rust clients' twin is bench/src/lib.rs). Plain standard library, so
both the mcpstream venv and the Python SDK's venv can import it from this folder."""

from __future__ import annotations

import json
import math

TEXTS = {"short": "hello", "1k": "x" * 1024, "1m": "x" * (1024 * 1024)}


def warmup_calls(text: str) -> int:
    return 2 if len(text) > 65536 else 20


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def report(latencies: list[float], seconds: float, cpu: float, rss: int) -> None:
    latencies.sort()

    def pick(q: float) -> float:
        if not latencies:
            return 0.0
        return latencies[max(1, math.ceil(len(latencies) * q)) - 1] * 1e6

    print(
        json.dumps(
            {
                "calls": len(latencies),
                "seconds": seconds,
                "p50_us": pick(0.50),
                "p99_us": pick(0.99),
                "cpu_seconds": cpu,
                "rss_idle_kb": rss,
            }
        )
    )

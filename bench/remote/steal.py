"""How much CPU time the hypervisor took from this machine during a measurement: steal time
slows every client alike and no client can help it, so the reports show it next to the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple


def cpu_ticks() -> Tuple[int, int]:
    """The machine's stolen CPU time and all its CPU time so far, in ticks."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return fields[7], sum(fields)


def steal_pct(before: Tuple[int, int], after: Tuple[int, int]) -> float:
    return 100.0 * (after[0] - before[0]) / max(1, after[1] - before[1])

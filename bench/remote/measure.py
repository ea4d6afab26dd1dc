"""Running one bench client in the client namespace and timing it from the outside: the clock
starts before the process is created, and the first line it prints (a cold-connect client
prints its report right after its first result) stops the cold-connect clock."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from .netns import inside


@dataclass
class ClientRun:
    report: Dict[str, Any]
    first_line_s: float  # process start to its first line of output
    wall_s: float


def run_client(namespace: str, command: List[str], env: Dict[str, str], stderr_log: Path, timeout: float) -> ClientRun:
    with stderr_log.open("wb") as errors:
        start = time.perf_counter()
        with inside(namespace):
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        output, first_line_at = b"", None
        deadline = start + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    process.kill()
                    process.wait()
                    raise RuntimeError(f"{' '.join(command)} gave no result within {timeout:.0f} s")
                if not selector.select(left):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
                if first_line_at is None and b"\n" in output:
                    first_line_at = time.perf_counter()
        try:
            process.wait(timeout=max(1.0, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"{' '.join(command)} did not exit within {timeout:.0f} s") from None
        process.stdout.close()
        wall = time.perf_counter() - start
    if process.returncode != 0:
        tail = stderr_log.read_text(errors="replace").strip()[-1500:]
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}: {tail}")
    lines = [line for line in output.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(command)} printed no report")
    return ClientRun(json.loads(lines[-1]), (first_line_at or time.perf_counter()) - start, wall)


PING_SUMMARY = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def ping_rtt_ms(namespace: str, address: str, count: int) -> Optional[Dict[str, float]]:
    """min, avg and max round trip of `count` pings, after one that resolves the address."""
    with inside(namespace):
        subprocess.run(["ping", "-c", "1", "-W", "2", address], capture_output=True, timeout=10)
        done = subprocess.run(
            ["ping", "-q", "-c", str(count), "-i", "0.05", "-W", "2", address],
            capture_output=True,
            text=True,
            timeout=30,
        )
    match = PING_SUMMARY.search(done.stdout)
    if done.returncode != 0 or match is None:
        return None
    low, average, high, _ = (float(x) for x in match.groups())
    return {"min": low, "avg": average, "max": high}

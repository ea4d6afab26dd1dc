"""Runs each fuzz target of core/fuzz (built by `make fuzz-build`) for a while, with the seeded
corpus committed in core/fuzz/corpus/<target> and a work corpus in target/fuzz/corpus/<target>
that grows from run to run. Fails if a target crashed (a panic, an assertion, a timeout or an
out-of-memory), naming the input libFuzzer saved; writes the executions and findings to
target/fuzz/summary.md.

Usage: python fuzz.py --seconds N [--bin DIR] [TARGET ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
FUZZ = REPO / "core" / "fuzz"
TARGETS = ["sse", "jsonrpc", "session", "www_authenticate", "auth_metadata"]
DICTIONARIES = {
    "sse": "sse.dict",
    "jsonrpc": "json.dict",
    "session": "json.dict",
    "auth_metadata": "json.dict",
    "www_authenticate": "www_authenticate.dict",
}


def run(target: str, binary: Path, seconds: int, work: Path) -> Dict[str, str]:
    corpus = work / "corpus" / target
    artifacts = work / "artifacts" / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        str(binary),
        str(corpus),
        str(FUZZ / "corpus" / target),
        f"-dict={FUZZ / 'dict' / DICTIONARIES[target]}",
        f"-max_total_time={seconds}",
        f"-artifact_prefix={artifacts}/",
        "-max_len=4096",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=seconds + 120)
    took = time.monotonic() - started
    log = done.stdout + done.stderr
    (work / f"{target}.log").write_text(log)
    stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.MULTILINE))
    crashed = done.returncode != 0
    saved = re.findall(r"Test unit written to (\S+)", log)
    return {
        "target": target,
        "executions": stat.get("number_of_executed_units", "?"),
        "per_second": stat.get("average_exec_per_sec", "?"),
        "new_units": stat.get("new_units_added", "?"),
        "corpus": str(sum(1 for _ in corpus.iterdir())),
        "seconds": f"{took:.0f}",
        "result": f"CRASH ({', '.join(saved) or f'exit {done.returncode}'})" if crashed else "no crash",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, required=True, help="per target")
    parser.add_argument("--bin", type=Path, default=REPO / "target" / "fuzz" / "release")
    parser.add_argument("targets", nargs="*", default=TARGETS)
    opts = parser.parse_args()
    work = REPO / "target" / "fuzz"
    rows: List[Dict[str, str]] = []
    for target in opts.targets:
        row = run(target, opts.bin / target, opts.seconds, work)
        rows.append(row)
        print(f"fuzz: {target}: {row['executions']} executions ({row['per_second']}/s), {row['result']}", flush=True)
    columns = ["target", "seconds", "executions", "per_second", "new_units", "corpus", "result"]
    lines = [
        "# Fuzzing: this run",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(row[c] for c in columns) + " |" for row in rows),
    ]
    (work / "summary.md").write_text("\n".join(lines) + "\n")
    crashed = [row for row in rows if row["result"] != "no crash"]
    for row in crashed:
        print(f"fuzz: FAILED: {row['target']}: {row['result']}; log in target/fuzz/{row['target']}.log")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the soak (test_soak.py) watches and what "flat" means there, as in the core's soak
(tests/soak): this process's RSS and open file descriptors and the TCP sockets in TIME_WAIT on
the server's port, read from Linux's /proc every few operations of a phase, then judged against
the bounds below. docs/soak.md explains them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

# RSS growth allowed within a phase, from the sample after its first tenth to its end. Wider
# than the core's 2 MiB: the interpreter's own heap moves by a few hundred KiB on its own.
RSS_GROWTH_BOUND_MIB = 4.0
# Descriptors a phase may hold above where it started: a client's pooled connection(s) and
# the ones the runtime is still closing.
FD_SLACK_IN_PHASE = 8
# Descriptors left once the phase's clients are closed and dropped.
FD_SLACK_AFTER = 2
# A phase of calls reuses one pooled connection: hardly any TIME_WAIT.
CALLS_TIME_WAIT = 4
# A cycle leaves at most the connections it opened, fewer than its five requests (the core's
# judge.rs says which); measured: 1 to 2.7 a cycle.
TIME_WAIT_PER_CYCLE = 4
# Closed connections are torn down by the runtime's threads shortly after.
SETTLE_SECONDS = 2.0
SAMPLES_PER_PHASE = 10


def scaled(count: int) -> int:
    """``count`` times ``MCPSTREAM_SOAK_SCALE`` (1 in the test suite; ``make soak`` sets more)."""
    return max(1, round(count * float(os.environ.get("MCPSTREAM_SOAK_SCALE", "1"))))


def _status_kib(status: str, name: str) -> int:
    for line in status.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def _time_wait(port: int) -> int:
    """TIME_WAIT is state 06; whichever end closed first holds it, so either end may be the port."""
    suffix = f":{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "06" and (fields[1].endswith(suffix) or fields[2].endswith(suffix)):
                count += 1
    return count


@dataclass(frozen=True)
class Reading:
    rss_kib: int
    peak_rss_kib: int
    open_fds: int
    time_wait: int

    @classmethod
    def now(cls, port: int) -> Reading:
        status = Path("/proc/self/status").read_text()
        return cls(
            rss_kib=_status_kib(status, "VmRSS"),
            peak_rss_kib=_status_kib(status, "VmHWM"),
            open_fds=len(os.listdir("/proc/self/fd")),
            time_wait=_time_wait(port),
        )

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024


@dataclass(frozen=True)
class Sample:
    op: int
    seconds: float
    reading: Reading


@dataclass
class Phase:
    """One workload repeated ``ops`` times; call ``after(n)`` after each operation n (from 1),
    then ``finish()`` once its clients are closed and dropped."""

    name: str
    ops: int
    port: int
    calls: bool  # else connect/close cycles
    samples: List[Sample] = field(default_factory=list)
    after_clients: Optional[Reading] = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self._every = max(1, self.ops // SAMPLES_PER_PHASE)
        self._started = time.monotonic()
        self._take(0)

    def _take(self, op: int) -> None:
        self.samples.append(Sample(op, time.monotonic() - self._started, Reading.now(self.port)))

    def after(self, op: int) -> None:
        if op % self._every == 0 or op == self.ops:
            self._take(op)

    def finish(self) -> None:
        self.seconds = time.monotonic() - self._started
        limit = self.samples[0].reading.open_fds + FD_SLACK_AFTER
        deadline = time.monotonic() + SETTLE_SECONDS
        reading = Reading.now(self.port)
        while reading.open_fds > limit and time.monotonic() < deadline:
            time.sleep(0.02)
            reading = Reading.now(self.port)
        self.after_clients = reading

    def warmed_up(self) -> Sample:
        tenth = -(-self.ops // 10)
        return next((s for s in self.samples if s.op >= tenth), self.samples[0])

    def problems(self) -> List[str]:
        """Every bound this phase broke, each as a sentence; empty if it stayed flat."""
        first, last = self.samples[0].reading, self.samples[-1].reading
        found = []
        growth = last.rss_mib - self.warmed_up().reading.rss_mib
        if growth > RSS_GROWTH_BOUND_MIB:
            found.append(f"RSS grew by {growth:.2f} MiB after warm-up (bound {RSS_GROWTH_BOUND_MIB} MiB)")
        most_fds = max(s.reading.open_fds for s in self.samples)
        if most_fds > first.open_fds + FD_SLACK_IN_PHASE:
            found.append(f"open fds went from {first.open_fds} to {most_fds} (bound +{FD_SLACK_IN_PHASE})")
        if self.after_clients and self.after_clients.open_fds > first.open_fds + FD_SLACK_AFTER:
            found.append(
                f"{self.after_clients.open_fds} fds open once the clients were gone, "
                f"{first.open_fds} before (bound +{FD_SLACK_AFTER})"
            )
        allowed = CALLS_TIME_WAIT if self.calls else TIME_WAIT_PER_CYCLE * self.ops
        most_tw = max(s.reading.time_wait for s in self.samples)
        if most_tw > first.time_wait + allowed:
            found.append(f"TIME_WAIT sockets went from {first.time_wait} to {most_tw} (bound +{allowed})")
        return found

    def row(self) -> str:
        first, last = self.samples[0].reading, self.samples[-1].reading
        after = self.after_clients or last
        peak = max(s.reading.peak_rss_kib for s in self.samples) / 1024
        return (
            f"| {self.name} | {self.ops} | {self.seconds:.1f} | {self.ops / max(self.seconds, 1e-9):.0f} "
            f"| {first.rss_mib:.1f} / {self.warmed_up().reading.rss_mib:.1f} / {last.rss_mib:.1f} | {peak:.1f} "
            f"| {first.open_fds} / {max(s.reading.open_fds for s in self.samples)} / {after.open_fds} "
            f"| {first.time_wait} / {max(s.reading.time_wait for s in self.samples)} / {last.time_wait} "
            f"| {'flat' if not self.problems() else '**NOT FLAT**'} |"
        )


def write_report(path: Path, title: str, phases: List[Phase]) -> None:
    """A summary row per phase, then every sample, as Markdown."""
    lines = [
        f"# Soak: {title}",
        "",
        f"RSS growth bound {RSS_GROWTH_BOUND_MIB} MiB per phase after warm-up; MCPSTREAM_SOAK_SCALE="
        f"{os.environ.get('MCPSTREAM_SOAK_SCALE', '1')}.",
        "",
        "| phase | operations | seconds | per second | RSS start / warmed / end MiB | peak RSS MiB "
        "| fds start / max / after | TIME_WAIT start / max / end | verdict |",
        "| --- | ---: | ---: | ---: | --- | ---: | --- | --- | --- |",
        *(phase.row() for phase in phases),
        "",
        "## Samples",
        "",
        "| phase | operation | seconds | RSS MiB | open fds | TIME_WAIT |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for phase in phases:
        for s in phase.samples:
            r = s.reading
            lines.append(
                f"| {phase.name} | {s.op} | {s.seconds:.2f} | {r.rss_mib:.1f} | {r.open_fds} | {r.time_wait} |"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")

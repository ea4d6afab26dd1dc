"""One remote run at a time on a machine: the namespace names are fixed (so a run can remove
what a killed one left), which makes two runs at once tear down each other's network. The lock
is a flock, so a killed run never leaves it held."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

LOCK = Path("/run/lock" if os.path.isdir("/run/lock") else "/tmp") / "mcpstream-remote-bench.lock"


@contextlib.contextmanager
def one_run_at_a_time(wait_seconds: float = 1800) -> Iterator[None]:
    with LOCK.open("w") as handle:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another remote benchmark held {LOCK} for {wait_seconds:.0f} s") from None
                if not told:
                    print(f"bench: remote: waiting for another remote run to finish ({LOCK})", flush=True)
                    told = True
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

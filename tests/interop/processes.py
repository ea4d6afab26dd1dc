"""Child processes for the interop and benchmark runners: free loopback ports, servers started
with their output in a log file, waited for until they listen, and always stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """A child process with its output in a log file; `stop()` ends it."""

    def __init__(self, command: List[str], log: Path, env: Optional[Dict[str, str]] = None) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            command,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def wait_for_port(self, port: int, what: str, seconds: float = 60) -> None:
        """Returns once 127.0.0.1:`port` accepts connections; raises if the process exits first
        or the time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.process.returncode} before listening (log: {self.log})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{what} did not listen on {port} within {seconds:.0f}s (log: {self.log})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

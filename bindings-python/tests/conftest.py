"""Fixtures: the reference server binary, one per test, and helpers to see what it received.

The suites other than test_eras.py are the session era's: their servers speak only it
(``--legacy-only``), so ``Client(url)`` with no era option must find its way there (its
``server/discover`` probe refused, then ``initialize``) and keep sessions as it always did.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import mcpstream
import pytest

REPO = Path(__file__).resolve().parents[2]
# The reference server's `--tls` certificate is signed by this test CA.
TEST_CA = ssl.create_default_context(cafile=str(REPO / "tests" / "testkit" / "certs" / "ca.pem"))
ALL_TOOLS = ["echo", "add", "slow", "fail", "big", "progress", "ask"]
MODERN_VERSION = "2026-07-28"
# The reference server answers both eras unless told otherwise.
ERA_FLAGS = {"legacy": ["--legacy-only"], "modern": ["--modern-only"], "dual": []}


def rpc_method(request: Dict[str, Any]) -> Optional[str]:
    """The JSON-RPC method of a recorded POST, else ``None``."""
    body = request["body"]
    return body.get("method") if request["method"] == "POST" and isinstance(body, dict) else None


def server_binary() -> str:
    binary = os.environ.get("MCPSTREAM_TESTSERVER", str(REPO / "target" / "debug" / "mcpstream-testserver"))
    if not Path(binary).exists():
        raise RuntimeError(f"reference server not built: {binary} (run `cargo build -p mcpstream-testkit`)")
    return binary


class RefServer:
    """A running `mcpstream-testserver` and its admin routes."""

    def __init__(self, *flags: str) -> None:
        self.process = subprocess.Popen([server_binary(), "--port", "0", *flags], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
            self.stop()
            raise RuntimeError(f"reference server did not start: {self.url!r}")
        self.base = self.url[: -len("/mcp")]
        # Ports are reused: an earlier server's era, remembered for this URL, must not decide.
        mcpstream.forget_verdict(self.url)

    def _admin(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=5, context=TEST_CA if self.url.startswith("https") else None) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def requests(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = self._admin("GET", "/_admin/requests")
        return result

    def posts(self, rpc_method: str) -> List[Dict[str, Any]]:
        return [
            r
            for r in self.requests()
            if r["method"] == "POST" and isinstance(r["body"], dict) and r["body"].get("method") == rpc_method
        ]

    def with_method(self, http_method: str) -> List[Dict[str, Any]]:
        return [r for r in self.requests() if r["method"] == http_method]

    def after_probe(self) -> List[Dict[str, Any]]:
        """Every request after the ``server/discover`` probe an ``auto`` client sends first,
        checking there was exactly that one probe."""
        requests = self.requests()
        assert requests and rpc_method(requests[0]) == "server/discover", "the era probe comes first"
        later = requests[1:]
        assert all(rpc_method(r) != "server/discover" for r in later), "one probe only"
        return later

    def expire_sessions(self) -> int:
        result: int = self._admin("POST", "/_admin/expire")["expired"]
        return result

    def sessions(self) -> List[str]:
        result: List[str] = self._admin("GET", "/_admin/sessions")["sessions"]
        return result

    def script(self, **script: Any) -> None:
        self._admin("POST", "/_admin/script", script)

    def notify(self, **command: Any) -> int:
        """Feeds the modern era's listen streams: ``method=`` (and ``uri=``), ``end=True`` or
        ``drop=True``; how many streams it reached."""
        result: int = self._admin("POST", "/_admin/notify", command)["delivered"]
        return result

    def listeners(self) -> int:
        """Listen streams the server still holds open."""
        result: int = self._admin("GET", "/_admin/listeners")["listeners"]
        return result

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


@pytest.fixture
def server() -> Iterator[RefServer]:
    s = RefServer(*ERA_FLAGS["legacy"])
    yield s
    s.stop()


@pytest.fixture
def make_server() -> Iterator[Any]:
    """``make_server(*flags, era="legacy")``; ``era`` is ``"legacy"``, ``"modern"`` or
    ``"dual"`` (the server answers both)."""
    started: List[RefServer] = []

    def start(*flags: str, era: str = "legacy") -> RefServer:
        s = RefServer(*ERA_FLAGS[era], *flags)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()

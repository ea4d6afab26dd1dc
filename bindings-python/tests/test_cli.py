"""The `mcpstream` command line."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ALL_TOOLS


def run(*args: str):
    return subprocess.run([sys.executable, "-m", "mcpstream", *args], capture_output=True, text=True, timeout=60)


def test_tools_call_and_ping(server):
    out = run("tools", server.url)
    assert out.returncode == 0, out.stderr
    assert [t["name"] for t in json.loads(out.stdout)["tools"]] == ALL_TOOLS
    out = run("call", server.url, "add", '{"a": 20, "b": 22}', "-H", "X-Trace: cli-test")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["structuredContent"] == {"sum": 42}
    assert server.posts("tools/call")[-1]["headers"]["x-trace"] == "cli-test"
    out = run("ping", server.url, "--timeout", "5")
    assert out.returncode == 0 and json.loads(out.stdout) == {"ok": True}
    assert server.sessions() == [], "the CLI closes its sessions"


def test_failures_are_one_line_on_stderr_with_nonzero_exit(server):
    out = run("call", server.url, "no-such-tool")
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "RPCError" in out.stderr
    out = run("call", server.url, "echo", "not json")
    assert out.returncode == 1 and "ValueError" in out.stderr
    out = run("ping", "http://127.0.0.1:1/mcp")
    assert out.returncode == 1 and "TransportError" in out.stderr
    out = run("ping", server.url, "-H", "no colon")
    assert out.returncode == 1 and "header" in out.stderr


def test_console_script_is_installed():
    import shutil

    exe = shutil.which("mcpstream") or str(__import__("pathlib").Path(sys.executable).parent / "mcpstream")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "tools" in out.stdout

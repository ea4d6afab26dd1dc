"""The `mcpstream` command line."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ALL_TOOLS, MODERN_VERSION


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
    assert "(era legacy, protocol 2025-11-25)" in out.stderr, "it failed after connecting"
    out = run("call", server.url, "echo", "not json")
    assert out.returncode == 1 and "ValueError" in out.stderr
    out = run("ping", "http://127.0.0.1:1/mcp")
    assert out.returncode == 1 and "TransportError" in out.stderr
    out = run("ping", server.url, "-H", "no colon")
    assert out.returncode == 1 and "header" in out.stderr


def test_a_tool_that_reports_failure_exits_nonzero_with_its_result(server):
    out = run("call", server.url, "fail", '{"message": "disk full"}')
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["isError"] is True and result["content"][0]["text"] == "disk full"
    assert out.stderr == 'mcpstream: ToolError: tool "fail" failed: disk full (era legacy, protocol 2025-11-25)\n'


def test_the_era_is_chosen_by_option_and_reported_on_stderr(make_server):
    dual = make_server(era="dual")
    out = run("tools", dual.url)
    assert out.returncode == 0, out.stderr
    assert "echo" in [t["name"] for t in json.loads(out.stdout)["tools"]]
    assert out.stderr == f"mcpstream: era modern, protocol {MODERN_VERSION}\n"
    out = run("ping", dual.url, "--era", "legacy")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True}
    assert out.stderr == "mcpstream: era legacy, protocol 2025-11-25\n"
    assert len(dual.posts("server/discover")) == 1, "only the auto run probed"

    legacy = make_server()
    out = run("ping", legacy.url, "--era", MODERN_VERSION)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "ProtocolError" in out.stderr and MODERN_VERSION in out.stderr
    out = run("ping", legacy.url, "--era", "sometimes")
    assert out.returncode == 1 and "ValueError: era must be" in out.stderr


def test_console_script_is_installed():
    import shutil

    exe = shutil.which("mcpstream") or str(__import__("pathlib").Path(sys.executable).parent / "mcpstream")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "tools" in out.stdout

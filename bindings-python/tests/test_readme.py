"""The README's Python quickstart is the examples, verbatim, and they run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO

EXAMPLES = REPO / "bindings-python" / "examples"


def readme_python_blocks():
    text = (REPO / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```python\n(.*?)```", text, flags=re.S)]


def run_example(name, url):
    env = dict(os.environ, MCP_URL=url)
    out = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_readme_shows_the_examples_verbatim():
    blocks = readme_python_blocks()
    for name in ("quickstart.py", "async_quickstart.py"):
        assert (EXAMPLES / name).read_text().strip() in blocks, f"README does not show {name} as it is"


def test_quickstart_runs(server):
    out = run_example("quickstart.py", server.url)
    assert out.splitlines() == [
        "protocol 2025-11-25",
        "tools: echo, add, slow, fail, big, progress, ask",
        "add -> 42",
    ]
    assert server.sessions() == [], "the with block closed the session"


def test_quickstart_stops_loudly_without_the_reference_servers_tool(server):
    tools = '{"jsonrpc":"2.0","id":{{id}},"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}}'
    server.script(status=200, body=tools, headers=[["content-type", "application/json"]], for_method="tools/list")
    env = dict(os.environ, MCP_URL=server.url)
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"{server.url} has no tool 'add': this example needs the reference server (`make demo` starts it)"
    )
    assert server.posts("tools/call") == []
    assert server.sessions() == [], "the session was closed on the way out"


def test_async_quickstart_runs(server):
    out = run_example("async_quickstart.py", server.url)
    assert out.splitlines() == ["hello 0", "hello 1", "hello 2"]


def test_readme_shows_the_oauth_examples_verbatim():
    # They run in test_auth.py, against the reference authorization server.
    blocks = readme_python_blocks()
    for name in ("oauth_login.py", "oauth_app.py"):
        assert (EXAMPLES / name).read_text().strip() in blocks, f"README does not show {name} as it is"

"""The `mcpstream` command line, run as a subprocess against the reference server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional

from conftest import ALL_TOOLS, MODERN_VERSION, REPO, RefServer

CERTS = REPO / "tests" / "testkit" / "certs"
LEGACY = "(era legacy, protocol 2025-11-25)"


def run(*args: str, stdin: Optional[str] = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcpstream", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, **env},
    )


def rows(stdout: str) -> Dict[str, List[str]]:
    """A table's rows by their first column, each split on runs of two spaces or more."""
    import re

    return {cells[0]: cells[1:] for cells in (re.split(r" {2,}", line) for line in stdout.splitlines())}


def sent_arguments(server: RefServer) -> Any:
    return server.posts("tools/call")[-1]["body"]["params"]["arguments"]


def script_json_result(server: RefServer, rpc_method: str, result: Dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "result": result}).replace('"id": 0', '"id": {{id}}')
    server.script(status=200, headers=[["content-type", "application/json"]], body=body, for_method=rpc_method)


def test_tools_call_and_ping(server: RefServer) -> None:
    out = run("tools", server.url, "--json")
    assert out.returncode == 0, out.stderr
    assert [t["name"] for t in json.loads(out.stdout)["tools"]] == ALL_TOOLS
    out = run("call", server.url, "add", '{"a": 20, "b": 22}', "-H", "X-Trace: cli-test", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["structuredContent"] == {"sum": 42}
    assert server.posts("tools/call")[-1]["headers"]["x-trace"] == "cli-test"
    out = run("ping", server.url, "--timeout", "5")
    assert out.returncode == 0 and json.loads(out.stdout) == {"ok": True}
    assert server.sessions() == [], "the CLI closes its sessions"


def test_tools_prints_a_table_of_names_arguments_and_descriptions(server: RefServer) -> None:
    out = run("tools", server.url, COLUMNS="200")
    assert out.returncode == 0, out.stderr
    table = rows(out.stdout)
    assert list(table) == ["NAME", *ALL_TOOLS]
    assert table["NAME"] == ["ARGUMENTS", "DESCRIPTION"]
    assert table["add"] == ["a b", "Adds two numbers"]
    assert table["echo"] == ["text", "Returns its text"]

    narrow = run("tools", server.url, COLUMNS="50")
    lines = narrow.stdout.splitlines()
    assert max(len(line) for line in lines) == 50, "cut to the terminal's width"
    assert rows(narrow.stdout)["progress"][1].endswith("…")
    assert rows(narrow.stdout)["add"] == ["a b", "Adds two numbers"], "short rows stay whole"
    assert "\x1b" not in out.stdout + narrow.stdout, "no colour when not a terminal"


def test_optional_arguments_are_bracketed(server: RefServer) -> None:
    schema = {"type": "object", "properties": {"query": {}, "limit": {}, "page": {}}, "required": ["query"]}
    script_json_result(server, "tools/list", {"tools": [{"name": "search", "inputSchema": schema}]})
    out = run("tools", server.url)
    assert out.returncode == 0, out.stderr
    assert rows(out.stdout)["search"] == ["query [limit] [page]"]


def test_call_arguments_from_arg_are_json_when_they_parse(server: RefServer) -> None:
    out = run(
        "call",
        server.url,
        "echo",
        "--arg",
        "text=hello world",
        "-a",
        "count=42",
        "-a",
        "ratio=0.5",
        "-a",
        "on=true",
        "-a",
        "none=null",
        "-a",
        "list=[1, 2]",
        "-a",
        'object={"k": "v"}',
        "-a",
        "zip=01234",
        "-a",
        'quoted:="42"',
        "-a",
        "eq=a=b",
        "-a",
        "nan=NaN",
    )
    assert out.returncode == 0, out.stderr
    assert sent_arguments(server) == {
        "text": "hello world",
        "count": 42,
        "ratio": 0.5,
        "on": True,
        "none": None,
        "list": [1, 2],
        "object": {"k": "v"},
        "zip": "01234",
        "quoted": "42",
        "eq": "a=b",
        "nan": "NaN",
    }
    assert out.stdout == "hello world\n"


def test_call_arguments_from_json_stdin_or_a_file_with_arg_on_top(server: RefServer, tmp_path: Any) -> None:
    out = run("call", server.url, "add", "--arg", "b=2", '{"a": 1, "b": 100}')
    assert out.returncode == 0, out.stderr
    assert sent_arguments(server) == {"a": 1, "b": 2}
    out = run("call", server.url, "add", "-", stdin='{"a": 3, "b": 4}')
    assert out.returncode == 0 and sent_arguments(server) == {"a": 3, "b": 4}, out.stderr
    (tmp_path / "args.json").write_text('{"text": "from a file"}')
    out = run("call", server.url, "echo", f"@{tmp_path / 'args.json'}")
    assert out.returncode == 0 and out.stdout == "from a file\n", out.stderr


def test_call_prints_text_then_structured_content_or_with_json_the_whole_result(server: RefServer) -> None:
    out = run("call", server.url, "add", "-a", "a=20", "-a", "b=22")
    assert out.returncode == 0, out.stderr
    text, structured = out.stdout.split("\n", 1)
    assert text == "42"
    assert json.loads(structured) == {"sum": 42}
    out = run("call", server.url, "add", "-a", "a=20", "-a", "b=22", "--json")
    assert json.loads(out.stdout) == {
        "content": [{"type": "text", "text": "42"}],
        "isError": False,
        "structuredContent": {"sum": 42},
    }


def test_call_summarises_blocks_that_are_not_text(server: RefServer) -> None:
    content = [
        {"type": "text", "text": "a chart:"},
        {"type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo="},
        {"type": "resource_link", "uri": "file:///tmp/report.csv", "name": "report"},
        {"type": "resource", "resource": {"uri": "mem://note", "mimeType": "text/plain", "text": "four"}},
        {"type": "text", "text": '{"rows": 3}'},
    ]
    script_json_result(server, "tools/call", {"content": content, "structuredContent": {"rows": 3}})
    out = run("call", server.url, "chart")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "a chart:",
        "[image image/png, 8 bytes]",
        "[resource link file:///tmp/report.csv (report)]",
        "[resource mem://note text/plain, 4 characters]",
        "{",
        '  "rows": 3',
        "}",
    ], "the text block repeating the structured content is printed once, as JSON"


def test_inspect_shows_the_server_and_counts_what_it_has(server: RefServer) -> None:
    out = run("inspect", server.url)
    assert out.returncode == 0, out.stderr
    table = rows(out.stdout)
    assert table["era"] == ["legacy"] and table["protocol"] == ["2025-11-25"]
    assert table["server"][0].startswith("mcpstream-testserver ")
    assert table["capabilities"] == ["logging, prompts, resources, tools"]
    assert (table["tools"], table["resources"], table["prompts"]) == (["7"], ["2"], ["1"])
    session_id = server.posts("tools/list")[-1]["headers"]["mcp-session-id"]
    assert table["session"] == ["yes (id hidden: -vv shows it)"]
    assert session_id not in out.stdout + out.stderr, "a session id can be a credential"

    report = json.loads(run("inspect", server.url, "--json").stdout)
    assert report["era"] == "legacy" and report["protocol_version"] == "2025-11-25"
    assert report["server_info"]["name"] == "mcpstream-testserver"
    assert set(report["capabilities"]) == {"logging", "prompts", "resources", "tools"}
    assert report["counts"] == {"tools": 7, "resources": 2, "prompts": 1} and report["errors"] == {}
    assert report["session"] == {"present": True}

    shown = json.loads(run("inspect", server.url, "--json", "-vv").stdout)
    assert shown["session"]["id"] == server.posts("tools/list")[-1]["headers"]["mcp-session-id"]


def test_inspect_shows_a_failed_list_by_its_error_class(server: RefServer) -> None:
    server.script(status=500, body="broken", for_method="prompts/list")
    out = run("inspect", server.url)
    assert out.returncode == 0, out.stderr
    table = rows(out.stdout)
    assert table["tools"] == ["7"]
    assert table["prompts"][0].startswith("HTTPError: ") and "500" in table["prompts"][0]


def test_inspect_in_the_modern_era_counts_only_what_the_server_offers(make_server: Any) -> None:
    modern = make_server(era="modern")
    report = json.loads(run("inspect", modern.url, "--json").stdout)
    assert report["era"] == "modern" and report["protocol_version"] == MODERN_VERSION
    assert report["session"] == {"present": False}
    assert report["instructions"] == "mcpstream reference server"
    assert set(report["counts"]) == {"tools", "resources", "prompts"}

    script_json_result(
        modern,
        "server/discover",
        {
            "supportedVersions": [MODERN_VERSION],
            "capabilities": {"tools": {"listChanged": True}},
            "instructions": "one\ntwo\nthree\nfour\nfive",
            "resultType": "complete",
            "_meta": {
                "io.modelcontextprotocol/serverInfo": {"name": "scripted", "version": "1.2", "title": "Scripted"}
            },
        },
    )
    listed = len(modern.posts("resources/list")), len(modern.posts("prompts/list")), len(modern.posts("tools/list"))
    out = run("inspect", modern.url, "--era", "modern")
    assert out.returncode == 0, out.stderr
    table = rows(out.stdout)
    assert table["session"] == ["none"]
    assert table["server"] == ["scripted 1.2"] and table["title"] == ["Scripted"]
    assert table["capabilities"] == ["tools (listChanged)"]
    assert "resources" not in table and "prompts" not in table
    now = len(modern.posts("resources/list")), len(modern.posts("prompts/list")), len(modern.posts("tools/list"))
    assert now[:2] == listed[:2] and now[2] > listed[2], "it lists what the server offers, only that"
    lines = out.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("instructions")))
    assert [line.removeprefix("instructions").strip() for line in lines[start : start + 4]] == [
        "one",
        "two",
        "three",
        "… (2 more lines)",
    ]


def test_a_tool_that_reports_failure_exits_1_with_its_result(server: RefServer) -> None:
    out = run("call", server.url, "fail", "--arg", "message=disk full")
    assert out.returncode == 1
    assert out.stdout == "disk full\n"
    assert out.stderr == f'mcpstream: ToolError: tool "fail" failed: disk full {LEGACY}\n'
    out = run("call", server.url, "fail", '{"message": "disk full"}', "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["isError"] is True and result["content"][0]["text"] == "disk full"


def test_each_error_class_has_its_exit_code_and_one_line_on_stderr(server: RefServer) -> None:
    def fails(code: int, name: str, *args: str) -> str:
        out = run(*args)
        assert (out.returncode, out.stdout) == (code, ""), out.stderr
        assert out.stderr.count("\n") == 1 and f"mcpstream: {name}: " in out.stderr, out.stderr
        return out.stderr

    fails(3, "TransportError", "ping", "http://127.0.0.1:9/mcp")
    fails(4, "TimeoutError", "call", server.url, "slow", "--arg", "ms=5000", "--timeout", "0.5")
    server.script(status=500, body="on fire", for_method="tools/list")
    assert "500" in fails(5, "HTTPError", "tools", server.url)
    assert LEGACY in fails(7, "RPCError", "call", server.url, "no-such-tool"), "it failed after connecting"
    assert MODERN_VERSION in fails(8, "ProtocolError", "ping", server.url, "--era", MODERN_VERSION)
    sent = len(server.requests())
    fails(2, "ValueError", "call", server.url, "echo", "not json")
    fails(2, "ValueError", "call", server.url, "echo", "--arg", "text")
    fails(2, "ValueError", "call", server.url, "echo", "--arg", "n:=forty")
    fails(2, "ValueError", "ping", server.url, "-H", "no colon")
    assert "era must be" in fails(2, "ValueError", "ping", server.url, "--era", "sometimes")
    assert len(server.requests()) == sent, "a usage error sends nothing"


def test_usage_errors_exit_2_with_argparse_usage(server: RefServer) -> None:
    for args in (["tools"], ["call", server.url], ["ping", server.url, "--http1", "--http2"], ["frobnicate"]):
        out = run(*args)
        assert out.returncode == 2 and out.stdout == "" and "usage: mcpstream" in out.stderr, args


def test_verbose_logs_to_stderr(server: RefServer) -> None:
    quiet = run("ping", server.url)
    assert quiet.stderr == f"mcpstream: {LEGACY[1:-1]}\n"
    info = run("ping", server.url, "-v")
    assert info.returncode == 0, info.stderr
    assert "INFO mcpstream.client: connected to " in info.stderr
    assert " DEBUG " not in info.stderr
    assert "connected to " in run("-v", "ping", server.url).stderr, "-v before the command too"
    debug = run("ping", server.url, "-vv")
    assert " DEBUG " in debug.stderr and debug.stdout == quiet.stdout


def test_the_era_is_chosen_by_option_and_reported_on_stderr(make_server: Any) -> None:
    dual = make_server(era="dual")
    out = run("tools", dual.url)
    assert out.returncode == 0, out.stderr
    assert "echo" in rows(out.stdout)
    assert out.stderr == f"mcpstream: era modern, protocol {MODERN_VERSION}\n"
    out = run("ping", dual.url, "--era", "legacy")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True}
    assert out.stderr == "mcpstream: era legacy, protocol 2025-11-25\n"
    assert len(dual.posts("server/discover")) == 1, "only the auto run probed"


def test_tls_options(make_server: Any) -> None:
    server = make_server("--tls")
    ca = str(CERTS / "ca.pem")
    out = run("ping", server.url)
    assert out.returncode == 3 and "certificate" in out.stderr
    out = run("ping", server.url, "--ca-file", ca, "--http1")
    assert out.returncode == 0, out.stderr
    assert {r["http_version"] for r in server.requests()} == {"HTTP/1.1"}
    out = run("ping", server.url, "--insecure")
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("mcpstream: warning: --insecure: TLS certificates are not checked\n")

    mutual = make_server("--tls-client-ca")
    assert run("ping", mutual.url, "--ca-file", ca).returncode == 3
    cert = ["--client-cert", str(CERTS / "client.pem"), "--client-key", str(CERTS / "client-key.pem")]
    out = run("ping", mutual.url, "--ca-file", ca, *cert)
    assert out.returncode == 0, out.stderr


def test_proxy_options(server: RefServer) -> None:
    env = {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""}
    assert run("ping", server.url, **env).returncode == 3, "the environment's proxy is used by default"
    out = run("ping", server.url, "--no-proxy", **env)
    assert out.returncode == 0, out.stderr
    assert run("ping", server.url, "--proxy", "http://127.0.0.1:9", NO_PROXY="", no_proxy="").returncode == 3
    earlier = len(server.requests())
    out = run("ping", server.url, "--http2")
    assert out.returncode == 0, out.stderr
    assert {r["http_version"] for r in server.requests()[earlier:]} == {"HTTP/2.0"}


def test_help_lists_commands_examples_and_exit_codes() -> None:
    import mcpstream.cli

    out = run("--help")
    assert out.returncode == 0
    for command in ("login", "tools", "call", "inspect", "ping"):
        assert f"\n    {command} " in out.stdout, command
        sub = run(command, "--help")
        assert sub.returncode == 0 and "example" in sub.stdout and f"mcpstream {command} " in sub.stdout
    assert "examples:" in out.stdout
    assert mcpstream.cli.EXIT_CODES in out.stdout
    assert mcpstream.cli.__doc__ and mcpstream.cli.EXIT_CODES in mcpstream.cli.__doc__, "the docstring's table"


def test_exit_codes_follow_the_error_hierarchy() -> None:
    from mcpstream import errors
    from mcpstream.cli import EXIT_CODES, exit_code

    listed = {line.split()[1].rstrip(":"): int(line.split()[0]) for line in EXIT_CODES.splitlines()}
    for name in errors.__all__:
        error = getattr(errors, name)
        if error is not errors.MCPError and name in listed:
            assert exit_code(error.__new__(error)) == listed[name], name
    assert exit_code(errors.InsufficientScopeError("x")) == listed["AuthorizationError"]
    assert exit_code(errors.SessionExpiredError("x", session_id="s")) == listed["SessionExpiredError"]


def readme_cli_examples() -> List[List[str]]:
    """The README's command line session: each `$ mcpstream ...` line and the lines shown
    after it (up to a `...` that stands for the rest)."""
    import re

    section = (REPO / "README.md").read_text().split("\n## Command line\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block, "the README's Command line section shows a session"
    examples: List[List[str]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            examples.append([line[2:].split("  #")[0].strip()])
        elif examples:
            examples[-1].append(line)
    return examples


def test_the_readme_shows_what_the_commands_print(server: RefServer) -> None:
    import shlex

    import mcpstream

    examples = readme_cli_examples()
    assert [e[0].split()[1] for e in examples] == ["tools", "call", "inspect", "ping"]
    for command, *shown in examples:
        argv = shlex.split(command.replace("http://127.0.0.1:8000/mcp", server.url))
        out = run(*argv[1:], COLUMNS="100")
        assert out.returncode == 0, out.stderr
        expected = [line.replace("http://127.0.0.1:8000/mcp", server.url) for line in shown]
        expected = [line.replace("0.1.0", mcpstream.__version__) for line in expected]
        printed = out.stdout.splitlines()
        if "..." in expected:
            expected = expected[: expected.index("...")]
            printed = printed[: len(expected)]
        assert printed == expected, command


def test_console_script_is_installed() -> None:
    import shutil

    exe = shutil.which("mcpstream") or str(__import__("pathlib").Path(sys.executable).parent / "mcpstream")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "tools" in out.stdout

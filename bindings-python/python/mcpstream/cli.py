"""``mcpstream`` command line: ``tools``, ``call``, ``inspect`` and ``ping`` a server, and
``login`` to one that needs OAuth (then ``--auth`` on the others). ``mcpstream --help`` and
``mcpstream COMMAND --help`` show the options and examples.

Results go to stdout, readable by default and as JSON with ``--json`` (``ping`` and ``login``
print JSON always); nothing else goes to stdout, so the output can be piped. The era and
protocol version the connection used go to stderr as one line, and so does a failure, with
the era when it was known. ``-v`` adds the client's log (INFO), ``-vv`` every request (DEBUG).

Exit codes (the table below, also in ``--help``):
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from mcpstream import _cli_input, _cli_output
from mcpstream._auth import FileTokenStore, OAuth
from mcpstream._client import Client
from mcpstream.errors import (
    AuthorizationError,
    HTTPError,
    MCPError,
    NotConnectedError,
    ProtocolError,
    RPCError,
    SessionExpiredError,
    TimeoutError,
    ToolError,
    TransportError,
)

EXIT_CODES = """\
    0    success
    1    the tool reported failure (isError: true); its result is printed as usual
    2    usage: a bad option, header, --arg, JSON or era (nothing was sent)
    3    TransportError: no HTTP answer (refused, DNS, TLS, reset)
    4    TimeoutError: no complete answer in time (--timeout)
    5    HTTPError: the server answered with a non-2xx status
    6    SessionExpiredError: the server forgot the session
    7    RPCError: the server answered with a JSON-RPC error
    8    ProtocolError: the answer broke the protocol (or no common version)
    9    AuthorizationError: OAuth failed, was refused or needs a login
    10   NotConnectedError: no connection to send on
    130  interrupted (Ctrl-C)
    141  stdout was closed early (piped into head, say)
"""
__doc__ = f"{__doc__}\n{EXIT_CODES}"

USAGE_ERROR = 2
_EXIT_CODE_OF_ERROR: Dict[type, int] = {
    ToolError: 1,
    TransportError: 3,
    TimeoutError: 4,
    HTTPError: 5,
    SessionExpiredError: 6,
    RPCError: 7,
    ProtocolError: 8,
    AuthorizationError: 9,
    NotConnectedError: 10,
}
# An MCPError subclass added later and missing above still fails the run.
_OTHER_ERROR = 1
_INTERRUPTED = 130
_BROKEN_PIPE = 141


def exit_code(error: BaseException) -> int:
    """The exit code for ``error``: its own class's, else its nearest ancestor's."""
    for cls in type(error).__mro__:
        if cls in _EXIT_CODE_OF_ERROR:
            return _EXIT_CODE_OF_ERROR[cls]
    return USAGE_ERROR if isinstance(error, ValueError) else _OTHER_ERROR


def token_file() -> str:
    """Where the command line keeps tokens: ``$MCPSTREAM_TOKEN_FILE``, else
    ``$XDG_CONFIG_HOME/mcpstream/tokens.json`` (``~/.config`` by default)."""
    explicit = os.environ.get("MCPSTREAM_TOKEN_FILE")
    if explicit:
        return explicit
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "mcpstream", "tokens.json")


# --- commands -------------------------------------------------------------------------------

# A command runs on a connected client and returns what goes to stdout.
Command = Callable[[Client, argparse.Namespace], str]


def _login(client: Client, args: argparse.Namespace) -> str:
    return _cli_output.dump_json({"authorized": True, "token_file": token_file()})


def _ping(client: Client, args: argparse.Namespace) -> str:
    client.ping()
    return _cli_output.dump_json({"ok": True})


def _tools(client: Client, args: argparse.Namespace) -> str:
    result = client.list_tools()
    return (
        _cli_output.dump_json(result)
        if args.json
        else _cli_output.tools_table(result["tools"], _cli_output.terminal_width())
    )


def _call(client: Client, args: argparse.Namespace) -> str:
    result = client.call_tool(args.tool, args.tool_arguments, raise_on_error=True)
    return _cli_output.dump_json(result) if args.json else _cli_output.tool_result_text(result)


def _counts(client: Client, capabilities: Mapping[str, Any]) -> Iterator[Tuple[str, Any]]:
    listers: List[Tuple[str, Callable[[], Mapping[str, Any]]]] = [
        ("tools", client.list_tools),
        ("resources", client.list_resources),
        ("prompts", client.list_prompts),
    ]
    for kind, lister in listers:
        if kind in capabilities:
            try:
                yield kind, len(lister()[kind])
            except MCPError as e:
                yield kind, e


def inspection(client: Client, show_session_id: bool) -> Dict[str, Any]:
    """What ``inspect`` reports, as the JSON object ``--json`` prints."""
    capabilities = dict(client.server_capabilities or {})
    session: Dict[str, Any] = {"present": client.session_id is not None}
    if show_session_id and client.session_id is not None:
        session["id"] = client.session_id
    counted = list(_counts(client, capabilities))
    return {
        "url": client.url,
        "era": client.era,
        "protocol_version": client.protocol_version,
        "session": session,
        "server_info": client.server_info,
        "instructions": client.instructions,
        "capabilities": capabilities,
        "counts": {kind: n for kind, n in counted if isinstance(n, int)},
        "errors": {kind: f"{type(e).__name__}: {e}" for kind, e in counted if isinstance(e, MCPError)},
    }


def _inspect(client: Client, args: argparse.Namespace) -> str:
    # A session id is a bearer credential on some servers: shown only where the client's own
    # log would show it (DEBUG).
    report = inspection(client, show_session_id=args.verbosity >= 2)
    return (
        _cli_output.dump_json(report) if args.json else _cli_output.inspect_text(report, _cli_output.terminal_width())
    )


# --- the parser -----------------------------------------------------------------------------

_DESCRIPTION = "Talk to an MCP server over Streamable HTTP."

_EXAMPLES = """\
examples:
  mcpstream tools http://127.0.0.1:8000/mcp
  mcpstream call http://127.0.0.1:8000/mcp add --arg a=20 --arg b=22
  mcpstream call http://127.0.0.1:8000/mcp echo '{"text": "hi"}' --json
  mcpstream inspect https://example.com/mcp --auth -v
  mcpstream login https://example.com/mcp
"""

_COMMAND_EXAMPLES = {
    "login": """\
example:
  mcpstream login https://example.com/mcp             # then: mcpstream tools URL --auth
""",
    "tools": """\
examples:
  mcpstream tools http://127.0.0.1:8000/mcp
  mcpstream tools http://127.0.0.1:8000/mcp --json | jq '.tools[].name'
""",
    "call": """\
examples:
  mcpstream call URL add --arg a=20 --arg b=22        # numbers: JSON when it parses
  mcpstream call URL echo --arg text=hello
  mcpstream call URL echo --arg 'text:="42"'          # key:=JSON, here the string "42"
  mcpstream call URL search --arg 'filter:={"tags": ["x"]}' --arg limit=5
  mcpstream call URL add '{"a": 1, "b": 2}'
  mcpstream call URL add @args.json --json            # or - to read stdin
""",
    "inspect": """\
examples:
  mcpstream inspect http://127.0.0.1:8000/mcp
  mcpstream inspect http://127.0.0.1:8000/mcp --json -vv   # -vv: with the session id
""",
    "ping": """\
example:
  mcpstream ping http://127.0.0.1:8000/mcp --timeout 5
""",
}


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("url", help="the server's MCP endpoint, e.g. http://127.0.0.1:8000/mcp")
    common.add_argument(
        "-H", "--header", action="append", default=[], metavar="'Name: value'", help="extra HTTP header (repeatable)"
    )
    common.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="seconds per request (default 30)"
    )
    common.add_argument(
        "--era",
        metavar="auto|legacy|modern|VERSION",
        help="protocol era: probe and fall back (auto, the default), session era only (legacy), "
        "or the modern era at its newest or a given version (modern, 2026-07-28), without fallback",
    )
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr: -v what the client does, -vv every request"
    )
    network = common.add_argument_group("network")
    network.add_argument("--ca-file", metavar="PATH", help="also trust the CA certificates in this PEM file")
    network.add_argument("--client-cert", metavar="PATH", help="client certificate (PEM) for mutual TLS")
    network.add_argument("--client-key", metavar="PATH", help="its private key, if not in the certificate's file")
    network.add_argument(
        "--insecure", action="store_true", help="accept any TLS certificate (development against a self-signed server)"
    )
    # Not mutually exclusive groups: those lose their section in a subcommand's help.
    network.add_argument(
        "--proxy", metavar="URL", help="use this proxy (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY...)"
    )
    network.add_argument("--no-proxy", action="store_true", help="no proxy, whatever the environment says")
    network.add_argument("--http1", action="store_true", help="HTTP/1.1 only")
    network.add_argument("--http2", action="store_true", help="HTTP/2 from the first byte (h2c on http://)")
    oauth = common.add_argument_group("authorization (OAuth)")
    oauth.add_argument(
        "--auth", action="store_true", help="authorize with OAuth, reusing the tokens `mcpstream login` stored"
    )
    oauth.add_argument("--client-id", help="an OAuth app registered with the server's authorization server")
    oauth.add_argument("--client-secret", help="that app's secret, if it has one")
    oauth.add_argument("--scopes", help="space-separated scopes to ask for")
    oauth.add_argument(
        "--redirect-uri",
        default="http://127.0.0.1:0/callback",
        help="where the browser comes back to (default: a free port on 127.0.0.1)",
    )
    oauth.add_argument("--no-browser", action="store_true", help="print the authorization URL instead of opening it")
    return common


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def parser() -> argparse.ArgumentParser:
    """The ``mcpstream`` argument parser."""
    top = argparse.ArgumentParser(
        prog="mcpstream",
        description=_DESCRIPTION,
        epilog=_EXAMPLES + "\nexit codes:\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Also before the command (`mcpstream -v tools URL`); counted apart, as a subcommand's
    # defaults would overwrite a shared destination.
    top.add_argument("-v", "--verbose", dest="verbose_before", action="count", default=0, help=argparse.SUPPRESS)
    common = _common_options()
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    def command(name: str, run: Command, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=_COMMAND_EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run, command_parser=sub)
        return sub

    command("login", _login, "authorize with the server (opens a browser) and keep the tokens")
    tools = command("tools", _tools, "list the server's tools: name, arguments ([optional]), description")
    _json_option(tools, "the whole tools/list result")
    call = command("call", _call, "call a tool and print its content")
    call.add_argument("tool", help="the tool's name")
    call.add_argument(
        "arguments",
        nargs="?",
        metavar="JSON",
        help="tool arguments as a JSON object; @PATH reads it from a file, - from stdin",
    )
    call.add_argument(
        "-a",
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one argument (repeatable, over JSON): VALUE is JSON if it parses (42, true, null, [1], {...}), "
        "else text; KEY:=VALUE must be JSON",
    )
    _json_option(call, "the whole CallToolResult")
    inspect = command(
        "inspect", _inspect, "show the era, protocol, server, capabilities and how many tools, resources and prompts"
    )
    _json_option(inspect, "the same")
    command("ping", _ping, "check the server answers")
    return top


# --- running --------------------------------------------------------------------------------


def _show_user(open_browser: bool) -> Callable[[str], None]:
    def show(url: str) -> None:
        print(f"mcpstream: authorize in your browser: {url}", file=sys.stderr)
        if open_browser:
            import webbrowser  # costs as much as the rest of the command line's imports

            webbrowser.open(url)

    return show


def _auth(args: argparse.Namespace) -> Optional[OAuth]:
    if args.command != "login" and not args.auth:
        return None
    return OAuth(
        client_name="mcpstream CLI",
        redirect_uri=args.redirect_uri,
        on_authorize=_show_user(not args.no_browser),
        client_id=args.client_id,
        client_secret=args.client_secret,
        scopes=args.scopes,
        token_store=FileTokenStore(token_file()),
    )


def _client(args: argparse.Namespace) -> Client:
    return Client(
        args.url,
        headers=_cli_input.headers(args.header),
        timeout=args.timeout,
        era=args.era,
        auth=_auth(args),
        http_version="http1" if args.http1 else "http2" if args.http2 else None,
        ca_file=args.ca_file,
        client_cert=args.client_cert,
        client_key=args.client_key,
        danger_skip_tls_verify=args.insecure,
        proxy=None if args.no_proxy else (args.proxy or "env"),
    )


def _configure_logging(verbosity: int) -> None:
    """Sends the ``mcpstream`` logger to stderr: INFO at ``-v``, DEBUG at ``-vv``. Before any
    client is made, as a client reads the level when it is made."""
    if verbosity <= 0:
        return
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("mcpstream")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)


def _run(args: argparse.Namespace) -> int:
    connection: Optional[str] = None  # read while connected: close() forgets it
    try:
        if args.command == "call":
            args.tool_arguments = _cli_input.tool_arguments(args.arguments, args.arg)
        with _client(args) as client:
            connection = f"era {client.era}, protocol {client.protocol_version}"
            output = args.run(client, args)
    except ToolError as e:
        # The tool's own words are its result: printed as a success's would be.
        sys.stdout.write(_cli_output.dump_json(e.result) if args.json else _cli_output.tool_result_text(e.result))
        print(f"mcpstream: {type(e).__name__}: {e} ({connection})", file=sys.stderr)
        return exit_code(e)
    except (MCPError, ValueError) as e:
        known = f" ({connection})" if connection else ""
        print(f"mcpstream: {type(e).__name__}: {e}{known}", file=sys.stderr)
        return exit_code(e)
    sys.stdout.write(output)
    print(f"mcpstream: {connection}", file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args, extra = parser().parse_known_args(argv)
    # argparse leaves an optional positional unfilled when an option comes before it
    # (`call URL add --arg a=1 '{...}'`): it is then the one thing left over.
    if (
        args.command == "call"
        and args.arguments is None
        and len(extra) == 1
        and (extra[0] == "-" or not extra[0].startswith("-"))
    ):
        args.arguments = extra.pop()
    if extra:
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    for one, other in (("http1", "http2"), ("proxy", "no_proxy")):
        if getattr(args, one) and getattr(args, other):
            args.command_parser.error(f"--{one.replace('_', '-')} and --{other.replace('_', '-')} exclude each other")
    args.verbosity = args.verbose + args.verbose_before
    _configure_logging(args.verbosity)
    if args.insecure:
        print("mcpstream: warning: --insecure: TLS certificates are not checked", file=sys.stderr)
    try:
        code = _run(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print("mcpstream: interrupted", file=sys.stderr)
        return _INTERRUPTED
    except BrokenPipeError:
        # The reader is gone: nothing more can be said on stdout, and Python must not try
        # again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _BROKEN_PIPE

"""``mcpstream`` command line: ``tools URL``, ``call URL TOOL [JSON]``, ``ping URL``, and
``login URL`` for servers that need OAuth (then ``--auth`` on the others).

Results go to stdout as JSON, and nothing else does, so the output can be piped. The era and
protocol version the connection used go to stderr as one line, and so does a failure (with
the era when it was known), which exits 1. A tool that reports failure (``isError: true``)
exits 1 too, its result printed as usual."""

from __future__ import annotations

import argparse
import json
import os
import sys
import webbrowser
from typing import Any, Dict, List, Optional

from mcpstream._auth import FileTokenStore, OAuth
from mcpstream._client import Client
from mcpstream.errors import MCPError, ToolError


def _headers(pairs: List[str]) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header must look like 'Name: value', got {pair!r}")
        headers[name.strip()] = value.strip()
    return headers


def _arguments(text: str) -> Dict[str, Any]:
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"tool arguments are not valid JSON: {e}") from None
    if not isinstance(arguments, dict):
        raise ValueError("tool arguments must be a JSON object")
    return arguments


def token_file() -> str:
    """Where the command line keeps tokens: ``$MCPSTREAM_TOKEN_FILE``, else
    ``$XDG_CONFIG_HOME/mcpstream/tokens.json`` (``~/.config`` by default)."""
    explicit = os.environ.get("MCPSTREAM_TOKEN_FILE")
    if explicit:
        return explicit
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "mcpstream", "tokens.json")


def _show_user(open_browser: bool) -> Any:
    def show(url: str) -> None:
        print(f"mcpstream: authorize in your browser: {url}", file=sys.stderr)
        if open_browser:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mcpstream", description="Talk to an MCP server over Streamable HTTP.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("url", help="the server's MCP endpoint, e.g. http://127.0.0.1:8000/mcp")
    common.add_argument(
        "-H", "--header", action="append", default=[], metavar="'Name: value'", help="extra HTTP header (repeatable)"
    )
    common.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    common.add_argument(
        "--era",
        metavar="auto|legacy|modern|VERSION",
        help="protocol era: probe and fall back (auto, the default), session era only (legacy), "
        "or the modern era at its newest or a given version (modern, 2026-07-28), without fallback",
    )
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
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "login", parents=[common], help="authorize with the server (opens a browser) and keep the tokens"
    )
    commands.add_parser("tools", parents=[common], help="list the server's tools")
    call = commands.add_parser("call", parents=[common], help="call a tool")
    call.add_argument("tool")
    call.add_argument("arguments", nargs="?", default="{}", help="tool arguments as a JSON object")
    commands.add_parser("ping", parents=[common], help="check the server answers")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Read while connected: close() forgets it.
    connection: Optional[str] = None
    try:
        headers = _headers(args.header)
        arguments = _arguments(args.arguments) if args.command == "call" else {}
        auth = _auth(args)
        with Client(args.url, headers=headers, timeout=args.timeout, era=args.era, auth=auth) as client:
            connection = f"era {client.era}, protocol {client.protocol_version}"
            if args.command == "login":
                result: object = {"authorized": True, "token_file": token_file()}
            elif args.command == "tools":
                result = client.list_tools()
            elif args.command == "call":
                result = client.call_tool(args.tool, arguments, raise_on_error=True)
            else:
                client.ping()
                result = {"ok": True}
    except ToolError as e:
        # The tool's own words are its result: printed as a success's would be, yet exit 1.
        json.dump(e.result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        print(f"mcpstream: {type(e).__name__}: {e} ({connection})", file=sys.stderr)
        return 1
    except (MCPError, ValueError) as e:
        known = f" ({connection})" if connection else ""
        print(f"mcpstream: {type(e).__name__}: {e}{known}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mcpstream: interrupted", file=sys.stderr)
        return 130
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    print(f"mcpstream: {connection}", file=sys.stderr)
    return 0

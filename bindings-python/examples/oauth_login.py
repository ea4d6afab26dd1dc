"""Connects to an MCP server that needs OAuth. The first run opens a browser to log in (the
client registers itself with the server's authorization server); later runs reuse the tokens
kept in a file, refreshing them when they expire."""

import os
import webbrowser

from mcpstream import AuthorizationError, Client, FileTokenStore, OAuth

url = os.environ["MCP_URL"]  # e.g. https://mcp.example.com/mcp
tokens = os.environ.get("MCP_TOKEN_FILE", "~/.config/my-agent/mcp-tokens.json")
auth = OAuth(
    client_name="My Agent",
    redirect_uri="http://127.0.0.1:0/callback",  # the client listens here for the browser
    on_authorize=webbrowser.open,
    token_store=FileTokenStore(tokens),
)
try:
    with Client(url, auth=auth) as client:
        print("tools:", ", ".join(tool["name"] for tool in client.list_tools()["tools"]))
except AuthorizationError as e:
    raise SystemExit(f"could not authorize: {e}") from None

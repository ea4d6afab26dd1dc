"""Connects with an OAuth app registered beforehand with the server's authorization server, as
servers without dynamic registration (GitHub's, for one) require: the app's client id and
secret, and the redirect URI exactly as registered with it."""

import os
import webbrowser

from mcpstream import Client, FileTokenStore, OAuth

auth = OAuth(
    client_name="My Agent",
    client_id=os.environ["MCP_CLIENT_ID"],
    client_secret=os.environ.get("MCP_CLIENT_SECRET"),
    redirect_uri="http://127.0.0.1:8765/callback",
    on_authorize=webbrowser.open,
    token_store=FileTokenStore(os.environ.get("MCP_TOKEN_FILE", "~/.config/my-agent/mcp-tokens.json")),
)
with Client(os.environ["MCP_URL"], auth=auth) as client:
    print("tools:", ", ".join(tool["name"] for tool in client.list_tools()["tools"]))

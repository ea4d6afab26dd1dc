import os
import sys

from mcpstream import Client

# Written for the reference server (`make demo` starts it): another server may lack `add`.
url = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")

with Client(url) as client:  # connects, and closes the session on exit
    print("protocol", client.protocol_version)
    names = [tool["name"] for tool in client.list_tools()["tools"]]
    print("tools:", ", ".join(names))
    if "add" not in names:
        sys.exit(f"{url} has no tool 'add': this example needs the reference server (`make demo` starts it)")
    result = client.call_tool("add", {"a": 2, "b": 40}, raise_on_error=True)  # a failing tool raises ToolError
    block = result["content"][0]  # a TextContent, ImageContent, ...: "type" tells which
    print("add ->", block["text"] if block["type"] == "text" else block)

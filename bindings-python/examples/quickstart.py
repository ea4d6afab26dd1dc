import os

from mcpstream import Client

url = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")

with Client(url) as client:  # connects, and closes the session on exit
    print("protocol", client.protocol_version)
    tools = client.list_tools()["tools"]
    print("tools:", ", ".join(tool["name"] for tool in tools))
    result = client.call_tool("add", {"a": 2, "b": 40})
    print("add ->", result["content"][0]["text"])

"""Results are plain dicts, typed by mcpstream.types: an editor completes their keys and
`mypy --strict` checks them. Written for the reference server (`make demo` starts it)."""

import os
from typing import List

from mcpstream import Client
from mcpstream.types import ContentBlock, Tool

url = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")


def shown(block: ContentBlock) -> str:
    # "type" tells content blocks apart: after comparing it the checker knows the block's keys.
    if block["type"] == "text":
        return block["text"]
    if block["type"] == "image" or block["type"] == "audio":
        return f"<{block['mimeType']}, {len(block['data'])} base64 characters>"
    if block["type"] == "resource_link":
        return f"<link to {block['uri']}>"
    return f"<embedded {block['resource']['uri']}>"


def signature(tool: Tool) -> str:
    properties = tool["inputSchema"].get("properties", {})
    parameters: List[str] = sorted(properties)
    return f"{tool['name']}({', '.join(parameters)})"


with Client(url) as client:
    info = client.server_info
    capabilities = client.server_capabilities or {}
    print("server", info["name"] if info else "(unnamed)", "in the", client.era, "era")
    print("tool list changes announced:", capabilities.get("tools", {}).get("listChanged", False))

    tools = client.list_tools()["tools"]
    print("tools:", ", ".join(signature(tool) for tool in tools[:2]))

    result = client.call_tool("echo", {"text": "typed"})
    print("echo ->", " ".join(shown(block) for block in result["content"]), "error" if result.get("isError") else "ok")

    for contents in client.read_resource("mem://greeting")["contents"]:
        # Text and blob contents carry no tag: the key present tells them apart.
        print(contents["uri"], "->", contents["text"] if "text" in contents else f"{len(contents['blob'])} base64")

    prompt = client.get_prompt("greet", {"name": "Ada"})
    for message in prompt["messages"]:
        print(message["role"], "->", shown(message["content"]))

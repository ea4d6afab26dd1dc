"""An MCP server on the official Python SDK (mcp 2.3), as a real peer for interop tests.

Dual-era: the SDK routes a request by its MCP-Protocol-Version header, so 2025 clients get
the session era and 2026-07-28 requests its modern lane. The tools beyond echo and add
exercise what the modern era adds:
  region(region, text)  `region` is annotated x-mcp-header "Region" (the Mcp-Param-Region header)
  greet()               asks the client for a name (input_required with an elicitation), then greets it
  progress(steps)       reports progress once per step (sent when the call has a progressToken)
  poke()                publishes tools/list_changed to every open subscriptions/listen stream

Usage: python py_server.py PORT [--json] [--stateless]
"""

from __future__ import annotations

import sys
from typing import Annotated

import mcp_types
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "description": "Your name"}},
    "required": ["name"],
}


def main() -> None:
    port = int(sys.argv[1])
    flags = set(sys.argv[2:])
    server = MCPServer("python-sdk-peer")

    @server.tool()
    def echo(text: str) -> str:
        """Returns its text argument."""
        return text

    @server.tool()
    def add(a: float, b: float) -> str:
        """Adds two numbers."""
        return str(a + b)

    @server.tool()
    def region(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})], text: str) -> str:
        """Returns the region it was routed to (sent as the Mcp-Param-Region header too)."""
        return f"{text} in {region}"

    @server.tool()
    def greet(ctx: Context) -> str | mcp_types.InputRequiredResult:
        """Asks who is calling, then greets them."""
        answer = (ctx.input_responses or {}).get("who")
        content = getattr(answer, "content", None) or {}
        if getattr(answer, "action", None) != "accept" or not isinstance(content.get("name"), str):
            ask = mcp_types.ElicitRequest(
                params=mcp_types.ElicitRequestFormParams(message="Who is calling?", requested_schema=NAME_SCHEMA)
            )
            return mcp_types.InputRequiredResult(input_requests={"who": ask})
        return f"hello {content['name']}"

    @server.tool()
    async def progress(steps: int, ctx: Context) -> str:
        """Reports progress once per step."""
        for step in range(1, steps + 1):
            await ctx.report_progress(step, steps, f"step {step}")
        return f"{steps} steps done"

    @server.tool()
    async def poke(ctx: Context) -> str:
        """Sends tools/list_changed to every subscription."""
        await ctx.notify_tools_changed()
        return "poked"

    print(f"listening on http://127.0.0.1:{port}/mcp", flush=True)
    server.run(
        "streamable-http",
        host="127.0.0.1",
        port=port,
        json_response="--json" in flags,
        stateless_http="--stateless" in flags,
    )


if __name__ == "__main__":
    main()

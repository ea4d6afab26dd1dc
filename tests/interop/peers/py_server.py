"""An MCP server on the official Python SDK (mcp 2.3), as a real peer for interop tests.

Usage: python py_server.py PORT [--json] [--stateless]
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer


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

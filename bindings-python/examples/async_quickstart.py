import asyncio
import os

from mcpstream import AsyncClient


async def main() -> None:
    url = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")
    async with AsyncClient(url) as client:
        calls = (client.call_tool("echo", {"text": f"hello {i}"}, raise_on_error=True) for i in range(3))
        for reply in await asyncio.gather(*calls):
            block = reply["content"][0]
            print(block["text"] if block["type"] == "text" else block)


asyncio.run(main())

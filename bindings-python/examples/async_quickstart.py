import asyncio
import os

from mcpstream import AsyncClient, SessionExpiredError


async def main() -> None:
    url = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")
    async with AsyncClient(url) as client:
        replies = await asyncio.gather(*(client.call_tool("echo", {"text": f"hello {i}"}) for i in range(3)))
        for reply in replies:
            print(reply["content"][0]["text"])
        try:
            await client.ping()
        except SessionExpiredError:
            await client.connect()  # the server forgot the session (e.g. it restarted)


asyncio.run(main())

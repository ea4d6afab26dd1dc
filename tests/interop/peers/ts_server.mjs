// A stateful MCP server on the TypeScript SDK (1.32), shaped like the SDK's own
// simpleStreamableHttp example: one transport per session, kept in a map by session id.
// Usage: node ts_server.mjs PORT
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const port = Number(process.argv[2] ?? 0);

function buildServer() {
  const server = new McpServer({ name: "ts-sdk-peer", version: "1.32.2" });
  server.registerTool(
    "echo",
    { description: "Returns its text argument", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  return server;
}

const transports = new Map();
const app = createMcpExpressApp({ host: "127.0.0.1" });

app.post("/mcp", async (req, res) => {
  const sessionId = req.headers["mcp-session-id"];
  let transport = sessionId ? transports.get(sessionId) : undefined;
  if (!transport && !sessionId && isInitializeRequest(req.body)) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
    await buildServer().connect(transport);
  } else if (!transport) {
    res.status(sessionId ? 404 : 400).json({
      jsonrpc: "2.0",
      error: { code: -32000, message: sessionId ? "Session not found" : "Bad Request: missing session id" },
      id: null,
    });
    return;
  }
  await transport.handleRequest(req, res, req.body);
});

async function bySession(req, res) {
  const sessionId = req.headers["mcp-session-id"];
  const transport = sessionId && transports.get(sessionId);
  if (!transport) {
    res.status(sessionId ? 404 : 400).send(sessionId ? "Session not found" : "Missing session id");
    return;
  }
  await transport.handleRequest(req, res);
}
app.get("/mcp", bySession);
app.delete("/mcp", bySession);

const listener = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${listener.address().port}/mcp`);
});

// An MCP server on the TypeScript SDK v2 (@modelcontextprotocol/server 2.4 with the Node
// adapter 2.1): `createMcpHandler` serves MCP 2026-07-28 and, unless `--modern-only`, the
// 2025 era through its stateless legacy fallback. A fresh server instance per request, as
// the SDK does it; the tools exercise what the modern era adds:
//   region(region, text)  `region` is annotated x-mcp-header "Region" (the Mcp-Param-Region header)
//   greet()               asks the client for a name (input_required with an elicitation), then greets it
//   progress(steps)       sends a progress notification per step when the call has a progressToken
//   poke()                publishes tools/list_changed to every open subscriptions/listen stream
// Usage: node ts2_server.mjs PORT [--modern-only]
import http from "node:http";
import { McpServer, acceptedContent, createMcpHandler, inputRequired } from "@modelcontextprotocol/server";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { z } from "zod";

const port = Number(process.argv[2] ?? 0);
const modernOnly = process.argv.includes("--modern-only");
const text = (value) => ({ content: [{ type: "text", text: value }] });
const NAME_SCHEMA = {
  type: "object",
  properties: { name: { type: "string", description: "Your name" } },
  required: ["name"],
};

let handler;

function buildServer() {
  const server = new McpServer(
    { name: "ts-sdk-v2-peer", version: "2.4.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  server.registerTool(
    "echo",
    { description: "Returns its text argument", inputSchema: z.object({ text: z.string() }) },
    async ({ text: value }) => text(value),
  );
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => text(String(a + b)),
  );
  server.registerTool(
    "region",
    {
      description: "Returns the region it was routed to (sent as the Mcp-Param-Region header too)",
      inputSchema: z.object({ region: z.string().meta({ "x-mcp-header": "Region" }), text: z.string() }),
    },
    async ({ region, text: value }) => text(`${value} in ${region}`),
  );
  server.registerTool(
    "greet",
    { description: "Asks who is calling, then greets them", inputSchema: z.object({}) },
    async (_args, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "who");
      if (typeof answer?.name !== "string") {
        return inputRequired({
          inputRequests: { who: inputRequired.elicit({ message: "Who is calling?", requestedSchema: NAME_SCHEMA }) },
        });
      }
      return text(`hello ${answer.name}`);
    },
  );
  server.registerTool(
    "progress",
    { description: "Reports progress once per step", inputSchema: z.object({ steps: z.number().int() }) },
    async ({ steps }, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (let step = 1; progressToken !== undefined && step <= steps; step++) {
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken, progress: step, total: steps, message: `step ${step}` },
        });
      }
      return text(`${steps} steps done`);
    },
  );
  server.registerTool(
    "poke",
    { description: "Sends tools/list_changed to every subscription", inputSchema: z.object({}) },
    async () => {
      handler.notify.toolsChanged();
      return text("poked");
    },
  );
  return server;
}

handler = createMcpHandler(buildServer, modernOnly ? { legacy: "reject" } : {});
const listener = http.createServer(toNodeHandler(handler));
listener.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${listener.address().port}/mcp`);
});

// The official TypeScript SDK client (1.32) under benchmark, sequential.
// Same contract as every bench client: `URL short|1k|1m SECONDS`, one JSON line out.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, workload, secondsText] = process.argv.slice(2);
const text = { short: "hello", "1k": "x".repeat(1024), "1m": "x".repeat(1024 * 1024) }[workload];
const seconds = Number(secondsText);
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);

const client = new Client({ name: "bench-ts-sdk", version: "1.32.2" });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
for (let i = 0; i < (text.length > 65536 ? 2 : 20); i++) {
  await client.callTool({ name: "echo", arguments: { text } });
}
const rss = rssKb();
const latencies = [];
const cpu0 = process.cpuUsage();
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const t = performance.now();
  await client.callTool({ name: "echo", arguments: { text } });
  latencies.push(performance.now() - t);
}
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const pick = (q) => (latencies.length ? latencies[Math.max(1, Math.ceil(latencies.length * q)) - 1] * 1000 : 0);
console.log(JSON.stringify({
  calls: latencies.length, seconds: elapsed, p50_us: pick(0.5), p99_us: pick(0.99),
  cpu_seconds: (cpu.user + cpu.system) / 1e6, rss_idle_kb: rss,
}));
await client.close();

// The official TypeScript SDK client (1.32) under benchmark: sequential (the default, or `seq`),
// `cN` (N calls in flight on one client) or `cold` (connect, one call, report at once: the
// remote benchmark times a fresh process to its first result).
// Same contract as every bench client: `URL short|1k|1m SECONDS [MODE]`, one JSON line out.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, workload, secondsText, mode = "seq"] = process.argv.slice(2);
const text = { short: "hello", "1k": "x".repeat(1024), "1m": "x".repeat(1024 * 1024) }[workload];
const seconds = Number(secondsText);
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
const call = () => client.callTool({ name: "echo", arguments: { text } });

const client = new Client({ name: "bench-ts-sdk", version: "1.32.2" });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
if (mode === "cold") {
  await call();
  const took = performance.now() / 1000; // Node's clock starts with the process
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({
    calls: 1, seconds: took, p50_us: took * 1e6, p99_us: took * 1e6,
    cpu_seconds: (cpu.user + cpu.system) / 1e6, rss_idle_kb: rssKb(),
  }));
  await client.close();
  process.exit(0);
}
for (let i = 0; i < (text.length > 65536 ? 2 : 20); i++) {
  await call();
}
const rss = rssKb();
const latencies = [];
const cpu0 = process.cpuUsage();
const start = performance.now();
const worker = async () => {
  while (performance.now() - start < seconds * 1000) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
};
await Promise.all(Array.from({ length: mode.startsWith("c") ? Number(mode.slice(1)) : 1 }, worker));
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const pick = (q) => (latencies.length ? latencies[Math.max(1, Math.ceil(latencies.length * q)) - 1] * 1000 : 0);
console.log(JSON.stringify({
  calls: latencies.length, seconds: elapsed, p50_us: pick(0.5), p99_us: pick(0.99),
  cpu_seconds: (cpu.user + cpu.system) / 1e6, rss_idle_kb: rss,
}));
await client.close();

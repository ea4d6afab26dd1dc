# frozen_string_literal: true

# mcpstream's Ruby gem under benchmark: `sync` (one thread), `t8` (8 threads sharing one
# client) or `cold` (connect, one call, report at once: the remote benchmark times a fresh
# process to its first result). Same contract as every bench client: `URL short|1k|1m SECONDS [MODE]`.

require "json"
require "mcpstream"

TEXTS = { "short" => "hello", "1k" => "x" * 1024, "1m" => "x" * (1024 * 1024) }.freeze

def rss_kb = File.foreach("/proc/self/status").find { |l| l.start_with?("VmRSS:") }.split[1].to_i
def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

url, workload, seconds, mode = ARGV
text = TEXTS.fetch(workload)
seconds = Float(seconds)
args = { "text" => text }
client = MCPStream::Client.new(url, timeout: 60)
if mode == "cold"
  started = now
  client.connect
  client.call_tool("echo", args)
  took = now - started
  puts JSON.generate({ calls: 1, seconds: took, p50_us: took * 1e6, p99_us: took * 1e6, cpu_seconds: cpu,
                       rss_idle_kb: rss_kb })
  $stdout.flush
  client.close
  exit
end
client.connect
(text.size > 65_536 ? 2 : 20).times { client.call_tool("echo", args) }
rss = rss_kb
threads = mode == "t8" ? 8 : 1
cpu0 = cpu
start = now
deadline = start + seconds
results = Array.new(threads) do
  Thread.new do
    latencies = []
    while now < deadline
      t = now
      client.call_tool("echo", args)
      latencies << (now - t)
    end
    latencies
  end
end.flat_map(&:value).sort
elapsed = now - start
pick = ->(q) { results.empty? ? 0.0 : results[[(results.size * q).ceil, 1].max - 1] * 1e6 }
puts JSON.generate({ calls: results.size, seconds: elapsed, p50_us: pick.(0.5), p99_us: pick.(0.99),
                     cpu_seconds: cpu - cpu0, rss_idle_kb: rss })
client.close

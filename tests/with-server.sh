#!/usr/bin/env bash
# Runs a command with MCP_URL pointing at a fresh reference server, then stops the server.
# Usage: tests/with-server.sh [server flags --] command [args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server="${MCPSTREAM_TESTSERVER:-$root/target/debug/mcpstream-testserver}"
flags=()
if [[ " $* " == *" -- "* ]]; then
  while [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
fi
out=$(mktemp)
"$server" --port 0 "${flags[@]}" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
MCP_URL=$(head -n1 "$out")
[[ $MCP_URL == http*://127.0.0.1:* ]] || { echo "reference server did not start" >&2; exit 1; }
export MCP_URL
"$@"

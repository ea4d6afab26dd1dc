#!/usr/bin/env bash
# What a user without a Rust toolchain gets from the wheel: checks it is abi3 (Python 3.9+) and
# manylinux2014 (auditwheel show), installs it into a fresh venv with cargo and rustc off the
# PATH, imports it from there and runs the Python quickstart against the reference server.
# Prints the wheel's size and the import time.
# Usage: tests/packaging/check_wheel.sh WHEEL   (AUDITWHEEL: the auditwheel to run)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/packaging/toolchain_free.sh"
wheel=$(realpath "$1")
auditwheel=${AUDITWHEEL:-$root/.venv/bin/auditwheel}

[[ $(basename "$wheel") == mcpstream-*-cp39-abi3-*.whl ]] || fail "$wheel is not an abi3 wheel for Python 3.9+"
# auditwheel wraps its report; squeeze the whitespace to match the sentence that names the policy.
audit=$("$auditwheel" show "$wheel" | tr -s ' \n' '  ')
[[ $audit == *'consistent with the following platform tag: "manylinux_2_17_x86_64"'* ]] ||
  fail "auditwheel does not find $wheel manylinux2014 (manylinux_2_17_x86_64): $audit"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
leave_the_rust_toolchain_off_the_path
export PATH="$work/venv/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1
unset PYTHONPATH
cd "$work"
pip install --quiet --no-index --no-deps "$wheel"
python - "$work/venv" <<'PY'
import sys

import mcpstream

assert mcpstream.__file__.startswith(sys.argv[1]), f"mcpstream imported from {mcpstream.__file__}, not the venv"
PY
out=$("$root/tests/with-server.sh" python "$root/bindings-python/examples/quickstart.py")
echo "$out"
[[ $out == *"add -> 42"* ]] || fail "the quickstart did not add 2 and 40 through the installed wheel"

# The import's own cost, best of five (the first run also writes bytecode caches).
best=""
for _ in 1 2 3 4 5; do
  us=$(python -X importtime -c 'import mcpstream' 2>&1 | awk -F'|' '$3 ~ / mcpstream$/ { print $2 + 0 }')
  [[ -z $best || $us -lt $best ]] && best=$us
done
echo "wheel ok: $(basename "$wheel"), $(stat -c %s "$wheel") bytes; import mcpstream: $((best / 1000)) ms (best of 5)"

#!/usr/bin/env bash
# The sdist holds all a source build needs: unpacks it into an empty directory, builds a wheel
# from there as pip does (PEP 517, with the venv's pinned maturin as the backend, offline), installs
# it into a fresh venv and runs the Python quickstart against the reference server. Unless
# CARGO_TARGET_DIR names one, cargo builds in the unpacked tree from nothing: minutes.
# Usage: tests/packaging/check_sdist.sh SDIST
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/packaging/toolchain_free.sh"
sdist=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tar -xzf "$sdist" -C "$work"
source_tree=$(echo "$work"/mcpstream-*/)
[[ -f $source_tree/pyproject.toml ]] || fail "$sdist has no pyproject.toml at its top"
# The user's cargo, not the one `make` sets for portable builds.
unset CARGO
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$root/.venv/bin/pip" wheel --quiet --no-deps --no-build-isolation --no-index -w "$work/wheels" "$source_tree"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --no-deps "$work"/wheels/mcpstream-*.whl
cd "$work"
out=$("$root/tests/with-server.sh" "$work/venv/bin/python" "$root/bindings-python/examples/quickstart.py")
echo "$out"
[[ $out == *"add -> 42"* ]] || fail "the quickstart did not add 2 and 40 through the wheel built from $sdist"
echo "sdist ok: $(basename "$sdist"), $(stat -c %s "$sdist") bytes"

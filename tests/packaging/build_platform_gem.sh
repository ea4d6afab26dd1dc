#!/usr/bin/env bash
# Builds the platform gem (x86_64-linux) around an extension already compiled (`make gem` passes
# the one ruby-install built, so nothing compiles again): the gem's Ruby files with the
# extension as bindings-ruby/lib/mcpstream/<Ruby minor version>/mcpstream_native.so, packed by
# mcpstream.gemspec in its prebuilt mode.
# Usage: tests/packaging/build_platform_gem.sh OUT_DIR EXTENSION
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(realpath "$1")
extension=$(realpath "$2")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

ruby_minor=$(ruby -e 'print RUBY_VERSION[/\A\d+\.\d+/]')
mkdir -p "$stage/bindings-ruby"
cp "$root/mcpstream.gemspec" "$root/README.md" "$stage/"
cp -r "$root/bindings-ruby/lib" "$root/bindings-ruby/sig" "$stage/bindings-ruby/"
mkdir -p "$stage/bindings-ruby/lib/mcpstream/$ruby_minor"
cp "$extension" "$stage/bindings-ruby/lib/mcpstream/$ruby_minor/mcpstream_native.so"
(cd "$stage" && MCPSTREAM_GEM_PREBUILT=1 gem build --quiet mcpstream.gemspec >/dev/null && mv ./*.gem "$out/")

#!/usr/bin/env bash
# What a user without a Rust toolchain gets from the platform gem: checks it is an x86_64-linux
# gem with nothing to build whose extension needs glibc 2.17 at most, installs it with
# `gem install --local` into a fresh GEM_HOME with cargo and rustc off the PATH, and runs the
# Ruby quickstart from there against the reference server. Prints the gem's size.
# Usage: tests/packaging/check_gem.sh PLATFORM_GEM
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/packaging/toolchain_free.sh"
gem=$(realpath "$1")

read -r platform extensions < <(ruby -rrubygems/package -e 'spec = Gem::Package.new(ARGV[0]).spec; puts "#{spec.platform} #{spec.extensions.size}"' "$gem")
[[ $platform == x86_64-linux ]] || fail "$gem is for $platform, not x86_64-linux"
[[ $extensions == 0 ]] || fail "$gem builds an extension on install"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only Debian's gems beside the fresh GEM_HOME, as in `make test` (RUBY_ENV).
export GEM_HOME="$work/gems" GEM_PATH="$work/gems:$(gem env gempath)"
leave_the_rust_toolchain_off_the_path
unset RUBYLIB RUBYOPT
cd "$work"
gem install --local --no-document --quiet "$gem" >/dev/null

library=$(ruby -e 'require "mcpstream"; print $LOADED_FEATURES.grep(/mcpstream_native/).first')
[[ $library == "$GEM_HOME"/gems/mcpstream-*-x86_64-linux/* ]] || fail "mcpstream_native loaded from $library, not the installed gem"
# The newest glibc symbol version the extension binds to: what a user's system must have.
glibc=$(objdump -T "$library" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
[[ $(printf '%s\n' "$glibc" 2.17 | sort -V | tail -n1) == 2.17 ]] || fail "$library needs glibc $glibc, over 2.17"

out=$("$root/tests/with-server.sh" ruby -w "$root/bindings-ruby/examples/quickstart.rb")
echo "$out"
[[ $out == *"add -> 42"* ]] || fail "the quickstart did not add 2 and 40 through the installed gem"
echo "gem ok: $(basename "$gem"), $(stat -c %s "$gem") bytes; its extension needs glibc $glibc"

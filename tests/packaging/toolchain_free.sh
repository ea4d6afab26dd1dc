# Sourced by the packaging checks: a PATH without cargo or rustc, as a user without a Rust
# toolchain has, and helpers to report failures.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Drops every PATH entry holding cargo or rustc (~/.cargo/bin, say) and checks that neither is
# found afterwards (they would be if a system directory such as /usr/bin had them).
leave_the_rust_toolchain_off_the_path() {
  local entry kept=()
  local IFS=:
  for entry in $PATH; do
    [[ -n $entry && ! -x $entry/cargo && ! -x $entry/rustc ]] && kept+=("$entry")
  done
  PATH="${kept[*]}"
  export PATH
  unset CARGO RUSTC RUSTUP_TOOLCHAIN CARGO_TARGET_DIR
  if command -v cargo >/dev/null || command -v rustc >/dev/null; then
    fail "cargo or rustc is still on the PATH ($(command -v cargo rustc | tr '\n' ' ')): cannot test an install without them"
  fi
}

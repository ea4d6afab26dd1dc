# Two commands matter: `make demo` and `make test`. Both install what they need first, so a
# fresh machine (or CI) needs nothing but this repository, cargo and network to the registries.

CARGO ?= cargo

.PHONY: test demo setup lint rust-test

test: setup lint rust-test

demo: setup
	$(CARGO) run -q -p mcpstream --example demo

# Idempotent: only installs what is missing.
setup:
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test

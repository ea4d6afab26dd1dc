# Two commands matter: `make demo` and `make test`. Both install what they need first
# (idempotently), so a fresh machine needs only this repository, cargo, python3 and access to
# crates.io and PyPI.

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

PY_TOOLS := maturin==1.16.0 pytest==9.2.0 pytest-timeout==2.4.0 ruff==0.17.6 mypy==2.4.1

.PHONY: test demo setup rust-setup python-setup python-install testserver lint rust-test python-test

test: lint rust-test python-test

demo: python-install testserver
	tests/with-server.sh $(VENV)/bin/python bindings-python/examples/quickstart.py
	$(CARGO) run -q -p mcpstream --example demo

setup: rust-setup python-setup

rust-setup:
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

python-setup: $(VENV)/.tools-installed

$(VENV)/.tools-installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade $(PY_TOOLS)
	touch $@

# Builds the extension from the working tree and installs it into the venv, as `pip install .`.
python-install: python-setup
	$(VENV)/bin/pip install -q --no-build-isolation --force-reinstall --no-deps .

testserver:
	$(CARGO) build -q -p mcpstream-testkit --bin mcpstream-testserver

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check bindings-python
	$(VENV)/bin/ruff format --check bindings-python

rust-test: rust-setup
	$(CARGO) test

python-test: python-install testserver
	$(VENV)/bin/python -m mypy.stubtest mcpstream
	$(VENV)/bin/mypy --strict bindings-python/examples
	$(VENV)/bin/python -m pytest -q

# Two commands matter: `make demo` and `make test`. Both install what they need first
# (idempotently), so a fresh machine needs only this repository, cargo, python3 and access to
# crates.io and PyPI.

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

PY_TOOLS := maturin==1.16.0 pytest==9.2.0 pytest-timeout==2.4.0 ruff==0.17.6 mypy==2.4.1

RUBY_GEM_HOME := $(CURDIR)/target/ruby-gem-home
RUBY_PACKAGES := ruby ruby-dev ruby-minitest rake libclang-dev

.PHONY: test demo setup rust-setup python-setup ruby-setup python-install ruby-install testserver \
	lint rust-test python-test ruby-test

test: lint rust-test python-test ruby-test

demo: python-install ruby-install testserver
	tests/with-server.sh $(VENV)/bin/python bindings-python/examples/quickstart.py
	GEM_HOME=$(RUBY_GEM_HOME) GEM_PATH=$(RUBY_GEM_HOME):$$(gem env gempath) tests/with-server.sh ruby bindings-ruby/examples/quickstart.rb
	$(CARGO) run -q -p mcpstream --example demo

setup: rust-setup python-setup ruby-setup

rust-setup:
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

python-setup: $(VENV)/.tools-installed

$(VENV)/.tools-installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade $(PY_TOOLS)
	touch $@

# Debian's Ruby 3.1 with headers, minitest and rake, and libclang for rb-sys's bindgen.
ruby-setup:
	@dpkg -s $(RUBY_PACKAGES) >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(RUBY_PACKAGES))

# Builds the gem and installs it into a throwaway GEM_HOME, as a user would (offline). The
# cargo target directory is kept outside the gem, for speed.
ruby-install: ruby-setup
	rm -rf $(RUBY_GEM_HOME) target/gem && mkdir -p target/gem
	gem build -q mcpstream.gemspec -o target/gem/mcpstream.gem
	CARGO_TARGET_DIR=$(CURDIR)/target/ruby-ext gem install -q --local --no-document \
		--install-dir $(RUBY_GEM_HOME) target/gem/mcpstream.gem

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

ruby-test: ruby-install testserver
	GEM_HOME=$(RUBY_GEM_HOME) GEM_PATH=$(RUBY_GEM_HOME):$$(gem env gempath) ruby -w bindings-ruby/test/run.rb

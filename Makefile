# Two commands matter: `make demo` and `make test`. Both install what they need first
# (idempotently), so a fresh machine needs only this repository, cargo, python3 and access to
# crates.io and PyPI.

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

PY_TOOLS := maturin==1.16.0 pytest==9.2.0 pytest-timeout==2.4.0 ruff==0.17.6 mypy==2.4.1 \
	opentelemetry-api==1.41.1 opentelemetry-sdk==1.41.1

RUBY_GEM_HOME := $(CURDIR)/target/ruby-gem-home
RUBY_PACKAGES := ruby ruby-dev ruby-minitest rake libclang-dev
# Runs Ruby with the gem that ruby-install put in RUBY_GEM_HOME.
RUBY_ENV = GEM_HOME=$(RUBY_GEM_HOME) GEM_PATH=$(RUBY_GEM_HOME):$$(gem env gempath)

# Interop peers: npm packages (Node 22, the conformance suite, the TypeScript SDK and
# server-everything) and the official Python SDK, pinned, in git-ignored folders.
NODE_MODULES := tests/interop/node_modules
PEERS_VENV := .tools/peers-venv
RMCP_PEER := target/release/rmcp-peer-server
RECORDING_PROXY := target/debug/mcpstream-recording-proxy

.PHONY: test check check-lint check-python check-ruby demo setup rust-setup python-setup ruby-setup python-install ruby-install testserver \
	lint rust-test python-test ruby-test interop-setup peers conformance interop bench bench-quick \
	bench-build

test: lint rust-test python-test ruby-test conformance interop bench-quick reliability fuzz-quick package-check

# The quick loop while working: formatting, lints, cargo test, and the Python and Ruby suites
# against the reference server, all from debug builds. No root, no npm, no release builds;
# the Ruby part needs Ruby's headers and libclang installed once (`make ruby-setup`, as root).
check: check-lint rust-test check-python check-ruby

demo: python-install ruby-install testserver
	tests/with-server.sh $(VENV)/bin/python bindings-python/examples/quickstart.py
	$(RUBY_ENV) tests/with-server.sh ruby bindings-ruby/examples/quickstart.rb
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

# What the packages are built from: they are rebuilt when one of these changes, and only then.
CRATE_SOURCES := Cargo.toml Cargo.lock $(shell find core/src bindings-kit/src -type f) \
	core/Cargo.toml bindings-kit/Cargo.toml
PYTHON_SOURCES := $(CRATE_SOURCES) pyproject.toml README.md bindings-python/Cargo.toml \
	$(shell find bindings-python/src bindings-python/python -type f -not -name '*.pyc' -not -name '*.so')
RUBY_SOURCES := $(CRATE_SOURCES) mcpstream.gemspec bindings-ruby/Cargo.toml \
	$(shell find bindings-ruby/src bindings-ruby/lib bindings-ruby/ext bindings-ruby/sig -type f -not -name '*.so')

# Builds the gem and installs it into a throwaway GEM_HOME, as a user would (offline). Its
# cargo build shares target/ with the Python wheel's, so the dependencies compile once.
ruby-install: ruby-setup $(RUBY_GEM_HOME)/.installed

$(RUBY_GEM_HOME)/.installed: $(RUBY_SOURCES)
	@echo "make: building the Ruby gem's extension (release; the first build compiles every dependency, a few minutes)"
	rm -rf $(RUBY_GEM_HOME) target/gem && mkdir -p target/gem
	gem build -q mcpstream.gemspec -o target/gem/mcpstream.gem
	CARGO_TARGET_DIR=$(CURDIR)/target gem install --local --no-document \
		--install-dir $(RUBY_GEM_HOME) target/gem/mcpstream.gem
	touch $@

# Builds the wheel from the working tree (cargo's progress shows) and installs it into the
# venv, as `pip install .` would.
python-install: python-setup $(VENV)/.mcpstream-installed

$(VENV)/.mcpstream-installed: $(PYTHON_SOURCES) $(VENV)/.tools-installed
	@echo "make: building the Python extension (release; the first build compiles every dependency, a few minutes)"
	rm -rf target/wheels/make
	$(VENV)/bin/maturin build --release --out target/wheels/make
	$(VENV)/bin/pip install -q --force-reinstall --no-deps target/wheels/make/mcpstream-*.whl
	touch $@

testserver:
	$(CARGO) build -q -p mcpstream-testkit --bin mcpstream-testserver --bin mcpstream-test-proxy

lint: setup check-lint

check-lint: rust-setup python-setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check bindings-python tests/interop tests/conformance bench tests/reliability
	$(VENV)/bin/ruff format --check bindings-python tests/interop tests/conformance bench tests/reliability

rust-test: rust-setup
	$(CARGO) test

python-test: python-install testserver python-suite

python-suite:
	$(VENV)/bin/python -m mypy.stubtest mcpstream
	$(VENV)/bin/mypy --strict bindings-python/python/mcpstream bindings-python/examples
	$(VENV)/bin/python -m pytest -q

# A debug build of the extension, installed into the venv in place.
check-python: python-setup testserver
	rm -f $(VENV)/.mcpstream-installed  # the debug build replaces the installed wheel
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/maturin develop -q
	$(MAKE) --no-print-directory python-suite

# The extension from a debug build, loaded from target/ruby-dev instead of an installed gem.
check-ruby: testserver
	@ruby -rrbconfig -e 'exit File.exist?(File.join(RbConfig::CONFIG["rubyhdrdir"], "ruby.h"))' 2>/dev/null || \
		{ echo "check-ruby needs Ruby with its headers and libclang: run 'make ruby-setup' (root) once"; exit 1; }
	$(CARGO) build -q -p mcpstream-ruby
	mkdir -p target/ruby-dev && cp target/debug/libmcpstream_ruby.so target/ruby-dev/mcpstream_native.so
	MCPSTREAM_RUBY_EXT_DIR=$(CURDIR)/target/ruby-dev RUBYLIB=$(CURDIR)/bindings-ruby/lib:$(CURDIR)/target/ruby-dev \
		ruby -w bindings-ruby/test/run.rb

ruby-test: ruby-install testserver
	$(RUBY_ENV) ruby -w bindings-ruby/test/run.rb

interop-setup: $(NODE_MODULES)/.installed $(PEERS_VENV)/.installed

$(NODE_MODULES)/.installed: tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(PEERS_VENV)/.installed: tests/interop/requirements.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q -r tests/interop/requirements.txt
	touch $@

# The rmcp peer in release (benchmarks use it too) and the recording proxy.
peers:
	$(CARGO) build -q --release -p mcpstream-rmcp-peer
	$(CARGO) build -q -p mcpstream-testkit --bin mcpstream-recording-proxy

# The official conformance suite's client scenarios, against tests/conformance/client.py: the
# 2025 session era (suite 0.1.16, from tests/interop), then every client scenario MCP 2026-07-28
# requires (suite 0.2.0-alpha.12, pinned in tests/conformance/modern, run on the interop Node 22)
# into target/conformance-2026-07-28, then the tier-1 and client-credentials auth scenarios of
# 0.1.16 through Ruby (tests/conformance/client.rb). Its mock servers listen on all interfaces, so each runs in
# a loopback-only network namespace: root, and iproute2 (installed here if `ip` is missing).
CONFORMANCE_MODERN := tests/conformance/modern/node_modules

conformance: python-install ruby-install interop-setup $(CONFORMANCE_MODERN)/.installed
	@command -v ip >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2)
	tests/conformance/run.sh $(CURDIR)/$(VENV)/bin/python
	tests/conformance/run-modern.sh $(CURDIR)/$(VENV)/bin/python
	$(RUBY_ENV) tests/conformance/run-ruby-auth.sh "ruby -w"

$(CONFORMANCE_MODERN)/.installed: tests/conformance/modern/package.json tests/conformance/modern/package-lock.json
	cd tests/conformance/modern && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The session lifecycle through Python and Ruby against real peer servers; rewrites
# docs/interop.md from the run and fails if it changed.
interop: python-install ruby-install interop-setup peers
	$(RUBY_ENV) $(VENV)/bin/python tests/interop/run.py --python $(VENV)/bin/python --ruby "ruby -w" \
		--peer-python $(PEERS_VENV)/bin/python --rmcp $(RMCP_PEER) --proxy $(RECORDING_PROXY) \
		--doc docs/interop.md

# Benchmarks: every client (the raw-HTTP floor, the core, Python, Ruby, the official Python,
# TypeScript and rmcp clients) against the reference and rmcp servers in one run, with ratios.
# `make bench` writes bench/RESULTS.md and bench/results.json; `make test` runs the quick mode,
# which only proves every client still runs (into target/bench/, no timing is judged).
BENCH_ARGS = --python $(VENV)/bin/python --sdk-python $(PEERS_VENV)/bin/python --ruby "ruby -w"

bench-build: python-install ruby-install interop-setup peers
	$(CARGO) build -q --release -p mcpstream-bench -p mcpstream-testkit

bench: bench-build
	$(RUBY_ENV) $(VENV)/bin/python bench/run.py $(BENCH_ARGS)

bench-quick: bench-build
	$(RUBY_ENV) $(VENV)/bin/python bench/run.py $(BENCH_ARGS) --quick

# The fault matrix: the reference server's hostile lane against the core, Python and Ruby, the
# same cases in each (core/tests/faults*.rs and fork.rs, bindings-*/test*/test_faults.* and
# test_fork.*). Fails if a case missed its time or memory bound, or if docs/reliability.md no
# longer matches the run's outcomes and bounds (then rewrites it); this run's times and memory
# go to target/reliability/figures.md, and into the doc with RELIABILITY_FIGURES=1.
.PHONY: reliability fuzz fuzz-build fuzz-quick
RELIABILITY := target/reliability

reliability: python-install ruby-install testserver
	rm -rf $(RELIABILITY)
	$(CARGO) test -q -p mcpstream --test faults --test faults_memory --test fork
	$(VENV)/bin/python -m pytest -q bindings-python/tests/test_faults.py bindings-python/tests/test_fork.py
	$(RUBY_ENV) ruby -w -e 'ARGV.each { |f| require File.expand_path(f) }' \
		bindings-ruby/test/test_faults.rb bindings-ruby/test/test_fork.rb
	$(PYTHON) tests/reliability/report.py --results $(RELIABILITY) --doc docs/reliability.md \
		$(if $(RELIABILITY_FIGURES),--update-figures)

# Coverage-guided fuzzing of what the client parses from the network (core/fuzz): libFuzzer
# through libfuzzer-sys, on the stable toolchain; RUSTC_BOOTSTRAP=1 only lets cargo read the
# fuzz crate's per-package rustflags, which instrument mcpstream and the targets alone.
# `make fuzz-quick` (in `make test`) runs each target for a few seconds from the committed
# corpus, `make fuzz` for FUZZ_SECONDS each; executions and crashes go to target/fuzz/summary.md.
FUZZ_SECONDS ?= 600
FUZZ_QUICK_SECONDS ?= 5

fuzz-build:
	cd core/fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(CURDIR)/target/fuzz $(CARGO) build -q --release --bins

fuzz-quick: fuzz-build
	$(PYTHON) tests/reliability/fuzz.py --seconds $(FUZZ_QUICK_SECONDS)

fuzz: fuzz-build
	$(PYTHON) tests/reliability/fuzz.py --seconds $(FUZZ_SECONDS)

# Larger targets with their own files (the soak, packaging).
-include mk/*.mk

# The soak (docs/soak.md): connect, call, close cycles and calls on one client against the
# reference server, in both eras, while the process's RSS, open fds and TIME_WAIT sockets are
# read; each part fails if they do not stay flat within its stated bounds. Not in `make test`,
# whose Python and Ruby suites run the same soak at small counts (test_soak.*); here the core
# runs SOAK_CYCLES/SOAK_CALLS from release builds, and the bindings their suite counts times
# SOAK_SCALE. Figures go to target/soak/{core,python,ruby}.md. `make -k soak` runs every part
# even when one fails.
.PHONY: soak soak-build soak-core soak-python soak-ruby

SOAK_CYCLES ?= 10000
SOAK_CALLS ?= 100000
SOAK_SCALE ?= 20
SOAK_SERVER := MCPSTREAM_TESTSERVER=$(CURDIR)/target/release/mcpstream-testserver

soak: soak-core soak-python soak-ruby

soak-build:
	$(CARGO) build -q --release -p mcpstream-soak -p mcpstream-testkit

soak-core: soak-build
	$(SOAK_SERVER) target/release/mcpstream-soak --cycles $(SOAK_CYCLES) --calls $(SOAK_CALLS) \
		--out target/soak/core.md

# The suite's per-test timeout is for its own counts; scaled phases take longer.
soak-python: soak-build python-install
	$(SOAK_SERVER) MCPSTREAM_SOAK_SCALE=$(SOAK_SCALE) $(VENV)/bin/python -m pytest -q --timeout 1800 \
		bindings-python/tests/test_soak.py
	@sed -n '1,/^## Samples/p' target/soak/python.md

soak-ruby: soak-build ruby-install
	$(SOAK_SERVER) MCPSTREAM_SOAK_SCALE=$(SOAK_SCALE) $(RUBY_ENV) ruby -w bindings-ruby/test/test_soak.rb
	@sed -n '1,/^## Samples/p' target/soak/ruby.md

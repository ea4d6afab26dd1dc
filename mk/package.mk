# Packages that install without a Rust toolchain (issue 16): an abi3 manylinux2014 wheel and an
# x86_64-linux platform gem, beside the sdist and the source gem, which build with cargo.
#   make wheel          target/dist/mcpstream-*-cp39-abi3-manylinux*.whl
#   make sdist          target/dist/mcpstream-*.tar.gz
#   make gem            target/dist/mcpstream-*.gem (source) and mcpstream-*-x86_64-linux.gem
#   make package-check  installs the wheel and the platform gem with cargo and rustc off the PATH
#                       and runs the quickstarts against the reference server
#   make sdist-check    builds a wheel from the unpacked sdist, from scratch, and runs the
#                       quickstart with it (a cold release build: minutes, not in `make test`)
.PHONY: package-setup wheel sdist gem package-check sdist-check

# zig links against glibc 2.17's symbols (cargo-zigbuild drives it), auditwheel checks the result.
PACKAGE_TOOLS := ziglang==0.15.2 cargo-zigbuild==0.24.0 auditwheel==6.8.2
PACKAGE_CARGO := $(CURDIR)/tests/packaging/cargo-manylinux
DIST := target/dist
GEM_VERSION = $(shell ruby -e 'load "bindings-ruby/lib/mcpstream/version.rb"; print MCPStream::VERSION')

package-setup: $(VENV)/.package-tools-installed

$(VENV)/.package-tools-installed: $(VENV)/.tools-installed mk/package.mk
	$(VENV)/bin/pip install -q $(PACKAGE_TOOLS)
	touch $@

# python-install and ruby-install build through PACKAGE_CARGO too: what they install is what
# `make wheel` and `make gem` ship, the four share one compile of the dependencies, and the
# packages built here need only cargo again when the Rust sources change.
$(VENV)/.mcpstream-installed $(RUBY_GEM_HOME)/.installed: $(VENV)/.package-tools-installed $(PACKAGE_CARGO)
$(VENV)/.mcpstream-installed $(RUBY_GEM_HOME)/.installed: export CARGO := $(PACKAGE_CARGO)
# RubyGems runs an extension's build with SOURCE_DATE_EPOCH set to the time of day unless it is
# set, and build scripts that compile C (aws-lc-sys) rerun whenever it changes: one fixed value
# (1980-01-02, RubyGems' own default for reproducible gems), unless the environment has one,
# lets the wheel, the gem and every later run share that compile.
$(VENV)/.mcpstream-installed $(RUBY_GEM_HOME)/.installed wheel: export SOURCE_DATE_EPOCH ?= 315619200

# --compatibility makes maturin refuse a library that needs more than glibc 2.17.
wheel: package-setup
	rm -f $(DIST)/mcpstream-*.whl
	CARGO=$(PACKAGE_CARGO) $(VENV)/bin/maturin build --release --compatibility manylinux2014 --out $(DIST)

sdist: python-setup
	rm -f $(DIST)/mcpstream-*.tar.gz
	$(VENV)/bin/maturin sdist --out $(DIST)

# The platform gem carries the extension ruby-install compiled (through PACKAGE_CARGO) and loads.
gem: ruby-install
	rm -f $(DIST)/mcpstream-*.gem
	mkdir -p $(DIST)
	gem build -q mcpstream.gemspec -o $(DIST)/mcpstream-$(GEM_VERSION).gem
	tests/packaging/build_platform_gem.sh $(DIST) \
		"$$($(RUBY_ENV) ruby -e 'require "mcpstream"; print $$LOADED_FEATURES.grep(/mcpstream_native/).first')"

package-check: wheel gem testserver
	AUDITWHEEL=$(VENV)/bin/auditwheel tests/packaging/check_wheel.sh $(DIST)/mcpstream-*-cp39-abi3-*.whl
	tests/packaging/check_gem.sh $(DIST)/mcpstream-*-x86_64-linux.gem

# A cold build in a directory of its own: with target/, cargo would reuse what it compiled from
# the working tree, whose sources the unpacked sdist's match.
sdist-check: sdist testserver
	env -u CARGO_TARGET_DIR tests/packaging/check_sdist.sh $(DIST)/mcpstream-*.tar.gz

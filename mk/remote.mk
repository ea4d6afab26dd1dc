# The remote benchmark (bench/remote): the bench clients against the rmcp and Python SDK servers
# behind a TLS-terminating nginx, across a delayed link between network namespaces the run makes
# and removes. `make bench` and `make bench-quick` run it when root (bench-build installs its
# tools first) and say why they skip it otherwise; `make bench-remote` runs only it, keeping the
# loopback figures already in bench/results.json.
.PHONY: remote-setup bench-remote

# Debian's nginx (1.22, http_v2 and ssl), ethtool for the veth offloads, ping for the link check.
REMOTE_PACKAGES := nginx-light ethtool iputils-ping iproute2 openssl
REMOTE_TOOLS := /usr/sbin/nginx /usr/sbin/ethtool /usr/bin/ping /usr/sbin/ip /usr/bin/openssl

bench-build: remote-setup

remote-setup:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "remote-setup: not root, so no tools installed (the remote benchmark will be skipped)"; \
	else \
		for tool in $(REMOTE_TOOLS); do [ -x $$tool ] || missing=1; done; \
		[ -z "$$missing" ] || { apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(REMOTE_PACKAGES); }; \
	fi

bench-remote: bench-build
	$(RUBY_ENV) $(VENV)/bin/python bench/run.py $(BENCH_ARGS) --remote-only

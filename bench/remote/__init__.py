"""The remote benchmark: the bench clients against the rmcp and Python SDK servers behind a
TLS-terminating nginx, across a link with added delay between network namespaces the run
creates (net.sh) and removes."""

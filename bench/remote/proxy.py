"""The TLS-terminating reverse proxy in front of the servers: a CA and a server certificate made
for this run (openssl), an nginx configuration (HTTP/2 and HTTP/1.1 by ALPN, SSE unbuffered,
keep-alive to the upstreams), and what its access log says about each client run: TLS
connections (each one handshake, full or resumed), requests and HTTP versions.

Every client run gets its own path prefix, `/run-N/<server>/mcp`, which nginx rewrites to the
upstream's `/mcp`; the log line carries the prefix, so a request is counted for the run that
sent it even when it is logged after the client has gone (a standalone GET stream is logged
when it closes)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Set

# log_format fields, in order; request_uri first so the run tag is easy to find, the request
# body last (it may hold spaces) for the JSON-RPC method it carries.
LOG_FORMAT = (
    "$request_uri $connection $connection_requests $ssl_session_reused $server_protocol"
    " $ssl_protocol $request_method $status $request_time $request_body"
)
RUN_PATH = re.compile(r"^/run-(\d+)/")
RPC_METHOD = re.compile(r'\\"method\\":\s*\\"([^"\\]+)')


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path, server_address: str) -> Path:
    """A CA and a certificate for `server_address` (an IP SAN) signed by it; returns the CA file
    the clients are told to trust."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, request = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr"))
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl(
        "req", "-x509", *curve, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=mcpstream remote bench CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl("req", *curve, "-keyout", str(key), "-out", str(request), "-subj", f"/CN={server_address}")
    extensions = directory / "server.ext"
    extensions.write_text(
        f"subjectAltName=IP:{server_address}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(directory / "server.pem"), "-days", "2", "-extfile", str(extensions),
    )  # fmt: skip
    return ca


def upstream_block(name: str, port: int) -> str:
    return f"""
    upstream {name} {{
        server 127.0.0.1:{port};
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }}"""


def location_block(name: str, port: int) -> str:
    # Host as the server sees it on loopback: the Python SDK refuses other hosts (DNS-rebinding
    # protection). proxy_set_header here replaces the server level's, so both headers are set.
    return f"""
        location ~ ^/run-\\d+/{name}/mcp$ {{
            rewrite ^ /mcp break;
            proxy_pass http://{name};
            proxy_set_header Host 127.0.0.1:{port};
            proxy_set_header Connection "";
        }}"""


def write_config(directory: Path, tls: Path, server_address: str, upstreams: Dict[str, int]) -> Path:
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    config = directory / "nginx.conf"
    config.write_text(f"""# Written by bench/remote/proxy.py for one remote benchmark run.
daemon off;
master_process on;
# One worker, so $connection numbers every accepted connection of the run.
worker_processes 1;
# The run's files are root's, under target/.
user root;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    log_format bench escape=json '{LOG_FORMAT}';
    access_log {directory}/access.log bench;
    client_body_temp_path {directory}/tmp/body;
    proxy_temp_path {directory}/tmp/proxy;
    # Far above one run's requests: a connection the client keeps is never closed under it, so
    # the handshake count is the client's doing, not nginx's default of 1,000 per connection.
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:bench:10m;
    ssl_session_timeout 1h;
{"".join(upstream_block(name, port) for name, port in upstreams.items())}

    server {{
        # nginx 1.22 (Debian 12) spells `http2 on` as a listen flag; ALPN offers h2, http/1.1.
        listen {server_address}:443 ssl http2;
        ssl_certificate {tls}/server.pem;
        ssl_certificate_key {tls}/server.key;
        proxy_http_version 1.1;
        # SSE passes through as it comes; streams stay open as long as the client keeps them.
        proxy_buffering off;
        proxy_read_timeout 3600s;
        proxy_send_timeout 3600s;
{"".join(location_block(name, port) for name, port in upstreams.items())}
    }}
}}
""")
    return config


def nginx_command(directory: Path, config: Path) -> List[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(directory), "-c", str(config), "-e", str(directory / "error.log")]


@dataclass
class RunTraffic:
    """What nginx saw from one client run."""

    requests: int = 0
    connections: Set[int] = field(default_factory=set)
    resumed: Set[int] = field(default_factory=set)
    protocols: Dict[str, int] = field(default_factory=dict)
    statuses: Dict[str, int] = field(default_factory=dict)
    # What was sent, in the order nginx finished the requests: JSON-RPC methods, GET, DELETE.
    sequence: List[str] = field(default_factory=list)

    @property
    def handshakes(self) -> int:
        return len(self.connections)

    @property
    def main_protocol(self) -> str:
        return max(self.protocols, key=lambda p: self.protocols[p]) if self.protocols else "-"


def traffic_by_run(access_log: Path) -> Dict[int, RunTraffic]:
    runs: Dict[int, RunTraffic] = {}
    if not access_log.exists():
        return runs
    for line in access_log.read_text().splitlines():
        fields = line.split(" ", 9)
        match = RUN_PATH.match(fields[0]) if fields else None
        if match is None or len(fields) < 9:
            continue
        run = runs.setdefault(int(match.group(1)), RunTraffic())
        connection, reused, protocol, status = int(fields[1]), fields[3], fields[4], fields[7]
        run.requests += 1
        run.connections.add(connection)
        if reused == "r":
            run.resumed.add(connection)
        run.protocols[protocol] = run.protocols.get(protocol, 0) + 1
        run.statuses[status] = run.statuses.get(status, 0) + 1
        method = RPC_METHOD.search(fields[9]) if len(fields) > 9 else None
        run.sequence.append(method.group(1) if method else fields[6])
    return runs

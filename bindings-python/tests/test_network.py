"""The network options through Python against the reference server over TLS (its test CA in
tests/testkit/certs), HTTP/2, mutual TLS and the recording proxy (mcpstream-test-proxy)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest
from conftest import REPO, RefServer
from mcpstream import AsyncClient, Client, TransportError

CERTS = REPO / "tests" / "testkit" / "certs"
CA = str(CERTS / "ca.pem")


class Proxy:
    """A running mcpstream-test-proxy."""

    def __init__(self, *flags: str) -> None:
        binary = REPO / "target" / "debug" / "mcpstream-test-proxy"
        self.process = subprocess.Popen([str(binary), "--port", "0", *flags], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def proxied(self) -> List[Dict[str, Any]]:
        with urllib.request.urlopen(self.url + "/_admin/proxied", timeout=5) as resp:
            result: List[Dict[str, Any]] = json.loads(resp.read())["proxied"]
            return result

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    p = Proxy("--auth", "user:secret")
    yield p
    p.stop()


def echo(client: Client, text: str) -> None:
    assert client.call_tool("echo", {"text": text})["content"][0] == {"type": "text", "text": text}


def versions_and_peers(server: RefServer) -> tuple[set[str], set[str]]:
    requests = server.requests()
    return {r["http_version"] for r in requests}, {r["peer"] for r in requests}


def test_a_private_ca_and_http2_with_concurrent_calls_on_one_connection(make_server: Any) -> None:
    server = make_server("--tls")
    assert server.url.startswith("https://")

    async def main() -> None:
        async with AsyncClient(server.url, ca_file=CA) as client:
            await asyncio.gather(*(client.call_tool("slow", {"ms": 200}) for _ in range(16)))

    asyncio.run(main())
    versions, peers = versions_and_peers(server)
    assert versions == {"HTTP/2.0"}
    assert len(peers) == 1, peers


def test_http1_can_be_forced_and_an_unknown_ca_is_a_transport_error(make_server: Any) -> None:
    server = make_server("--tls")
    with pytest.raises(TransportError, match="certificate"):
        Client(server.url).connect()
    with Client(server.url, ca_pem=open(CA).read(), http_version="http1") as client:
        echo(client, "h1")
    versions, _ = versions_and_peers(server)
    assert versions == {"HTTP/1.1"}
    with Client(server.url, danger_skip_tls_verify=True) as client:
        echo(client, "unverified")


def test_h2c_by_prior_knowledge(server: RefServer) -> None:
    with Client(server.url, http_version="http2") as client:
        echo(client, "h2c")
    versions, _ = versions_and_peers(server)
    assert versions == {"HTTP/2.0"}


def test_mutual_tls(make_server: Any) -> None:
    server = make_server("--tls-client-ca")
    with pytest.raises(TransportError):
        Client(server.url, ca_file=CA).connect()
    with Client(
        server.url, ca_file=CA, client_cert=CERTS / "client.pem", client_key=CERTS / "client-key.pem"
    ) as client:
        echo(client, "mutual")


def test_an_explicit_proxy_with_credentials_and_none(make_server: Any, proxy: Proxy) -> None:
    server = make_server("--tls")
    authorized = proxy.url.replace("http://", "http://user:secret@")
    with Client(server.url, ca_file=CA, proxy=authorized) as client:
        echo(client, "tunnelled")
    target = server.url.split("/")[2]
    tunnels = [p for p in proxy.proxied() if p["method"] == "CONNECT"]
    assert tunnels and all(t["target"] == target and t["authorized"] for t in tunnels), tunnels
    with pytest.raises(TransportError):
        Client(server.url, ca_file=CA, proxy=proxy.url).connect()
    assert any(p["status"] == 407 for p in proxy.proxied())


def test_the_environment_names_roots_and_proxy_and_none_turns_it_off(make_server: Any, proxy: Proxy) -> None:
    server = make_server("--tls")
    authorized = proxy.url.replace("http://", "http://user:secret@")
    script = (
        "import sys, mcpstream\n"
        "url, mode = sys.argv[1], sys.argv[2]\n"
        "kwargs = {'proxy': None} if mode == 'direct' else {}\n"
        "with mcpstream.Client(url, **kwargs) as c:\n"
        "    print(c.call_tool('echo', {'text': mode})['content'][0]['text'])\n"
    )
    env = {**os.environ, "SSL_CERT_FILE": CA, "HTTPS_PROXY": authorized}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    for mode in ("proxied", "direct"):
        out = subprocess.run(
            [sys.executable, "-c", script, server.url, mode], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0 and out.stdout.strip() == mode, out.stderr
        tunnels = [p for p in proxy.proxied() if p["method"] == "CONNECT"]
        assert len(tunnels) == 1, f"{mode}: only the first client went through the proxy: {tunnels}"

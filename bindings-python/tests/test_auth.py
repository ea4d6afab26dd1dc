"""OAuth against the reference authorization server (``mcpstream-testserver --auth``): a user
logs in once, a token expiry costs one refresh, a 403 steps up, a second process reuses the
stored token, and the ways to finish an authorization without a callback, in both clients,
the examples and the command line.

The reference authorization server approves at once: its authorization endpoint redirects
straight back, so "the user" is a request that reads that redirect (``approve``) or, for the
examples, ``tests/fake_browser.py`` as the ``BROWSER``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

import mcpstream
import pytest
from conftest import REPO, RefServer

EXAMPLES = REPO / "bindings-python" / "examples"
FAKE_BROWSER = REPO / "tests" / "fake_browser.py"


class _Manual(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def approve(url: str) -> str:
    """The user approves: the URL the authorization server sends the browser back to."""
    try:
        urllib.request.build_opener(_Manual).open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.code
        return str(answer.headers["Location"])
    raise AssertionError("the authorization endpoint did not redirect")


def stats(server: RefServer) -> Dict[str, Any]:
    result: Dict[str, Any] = server._admin("GET", "/_admin/auth/stats")
    return result


def scopes_asked(server: RefServer) -> List[str]:
    return [a.get("scope", "") for a in stats(server)["authorizations"]]


def bearer(request: Dict[str, Any]) -> Optional[str]:
    value = request["headers"].get("authorization")
    return value[len("Bearer ") :] if value and value.startswith("Bearer ") else None


def mcp_requests(server: RefServer) -> List[Dict[str, Any]]:
    return [r for r in server.requests() if r["path"] == "/mcp"]


@pytest.fixture
def auth_server(make_server: Any) -> RefServer:
    # Only `mcp:read` is offered up front, so calling `add` (which needs `mcp:write`) steps up.
    server: RefServer = make_server("--auth", "--auth-prm-scopes", "mcp:read", era="dual")
    return server


def test_log_in_once_refresh_once_and_step_up(auth_server: RefServer) -> None:
    asked: List[str] = []

    def user(url: str) -> str:
        asked.append(url)
        return approve(url)

    auth = mcpstream.OAuth(client_name="pytest", on_authorize=user)
    with mcpstream.Client(auth_server.url, auth=auth) as client:
        for _ in range(3):
            client.call_tool("echo", {"text": "hi"})
        assert len(asked) == 1 and stats(auth_server)["registrations"] == 1
        issued = stats(auth_server)["access_tokens"]
        assert bearer(mcp_requests(auth_server)[-1]) == issued[-1]

        auth_server._admin("POST", "/_admin/auth/expire-tokens")
        client.call_tool("echo", {"text": "after expiry"})
        assert stats(auth_server)["refreshes"] == 1
        assert len(asked) == 1, "a refresh needs no user"

        result = client.call_tool("add", {"a": 2, "b": 3})
        assert result["content"][0]["text"] == "5"
    assert scopes_asked(auth_server) == ["mcp:read offline_access", "mcp:read offline_access mcp:write"]


def test_a_step_up_budget_of_zero_raises_insufficient_scope(auth_server: RefServer) -> None:
    auth = mcpstream.OAuth(on_authorize=approve, max_step_ups=0)
    with mcpstream.Client(auth_server.url, auth=auth) as client:
        with pytest.raises(mcpstream.InsufficientScopeError) as raised:
            client.call_tool("add", {"a": 1, "b": 1})
    assert raised.value.scope == "mcp:write"
    assert isinstance(raised.value, mcpstream.AuthorizationError)


def test_async_client_authorizes_with_an_async_caller(auth_server: RefServer) -> None:
    async def run() -> str:
        auth = mcpstream.OAuth(on_authorize=approve)
        async with mcpstream.AsyncClient(auth_server.url, auth=auth) as client:
            results = await asyncio.gather(*(client.call_tool("echo", {"text": str(i)}) for i in range(8)))
            return ",".join(r["content"][0]["text"] for r in results)

    assert asyncio.run(run()) == "0,1,2,3,4,5,6,7"
    assert len(stats(auth_server)["authorizations"]) == 1


def test_threads_meeting_an_expired_token_share_one_refresh(make_server: Any) -> None:
    server: RefServer = make_server("--auth", "--auth-token-delay-ms", "200", era="dual")
    with mcpstream.Client(server.url, auth=mcpstream.OAuth(on_authorize=approve)) as client:
        server._admin("POST", "/_admin/auth/expire-tokens")
        failures: List[BaseException] = []

        def call() -> None:
            try:
                client.call_tool("echo", {"text": "x"})
            except BaseException as e:  # noqa: BLE001 - collected for the assertion below
                failures.append(e)

        threads = [threading.Thread(target=call) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert failures == []
    assert stats(server)["refreshes"] == 1


def test_without_a_callback_the_url_comes_with_the_error(auth_server: RefServer) -> None:
    auth = mcpstream.OAuth(redirect_uri="http://127.0.0.1:8765/callback")
    client = mcpstream.Client(auth_server.url, auth=auth)
    with pytest.raises(mcpstream.AuthorizationRequired) as raised:
        client.connect()
    url = raised.value.authorization_url
    assert url is not None and "code_challenge=" in url
    client.complete_authorization(approve(url))
    with client:
        assert client.call_tool("echo", {"text": "resumed"})["content"][0]["text"] == "resumed"


def test_a_refusal_carries_the_servers_words(auth_server: RefServer) -> None:
    auth_server._admin(
        "POST", "/_admin/auth/fail-next-authorize", {"error": "access_denied", "error_description": "not today"}
    )
    with pytest.raises(mcpstream.AuthorizationDeniedError) as raised:
        mcpstream.Client(auth_server.url, auth=mcpstream.OAuth(on_authorize=approve)).connect()
    assert (raised.value.error, raised.value.error_description) == ("access_denied", "not today")


def test_an_applications_store_is_used_and_shared(auth_server: RefServer) -> None:
    class DictStore:
        def __init__(self) -> None:
            self.values: Dict[str, Dict[str, Any]] = {}

        def load(self, key: str) -> Optional[Dict[str, Any]]:
            return self.values.get(key)

        def save(self, key: str, value: Dict[str, Any]) -> None:
            self.values[key] = value

        def delete(self, key: str) -> None:
            self.values.pop(key, None)

    store = DictStore()
    with mcpstream.Client(auth_server.url, auth=mcpstream.OAuth(on_authorize=approve, token_store=store)) as c:
        c.list_tools()
    assert any("|" in key for key in store.values), store.values.keys()
    # A second client with the same store needs no login; it has no callback to log in with.
    with mcpstream.Client(auth_server.url, auth=mcpstream.OAuth(token_store=store)) as c:
        c.list_tools()
    assert len(stats(auth_server)["authorizations"]) == 1


def test_an_authorization_header_and_auth_are_refused_together() -> None:
    with pytest.raises(ValueError, match="Authorization"):
        mcpstream.Client(
            "http://127.0.0.1:9/mcp", headers={"Authorization": "Bearer x"}, auth=mcpstream.OAuth(on_authorize=approve)
        )
    with pytest.raises(TypeError):
        mcpstream.Client("http://127.0.0.1:9/mcp", auth=mcpstream.OAuth(token_store=object()))  # type: ignore[arg-type]


def test_client_credentials_need_no_user(make_server: Any) -> None:
    server: RefServer = make_server("--auth", "--auth-pre-registered", "machine:s3cret", era="dual")
    auth = mcpstream.ClientCredentials(client_id="machine", client_secret="s3cret")
    with mcpstream.Client(server.url, auth=auth) as client:
        client.list_tools()
    grants = [r["grant_type"] for r in stats(server)["token_requests"]]
    assert grants == ["client_credentials"]
    assert stats(server)["token_requests"][0]["auth"] == "basic"


def run_example(name: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    browser = f"{sys.executable} {FAKE_BROWSER} %s"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BROWSER": browser, **env},
    )


def test_the_example_logs_in_once_and_a_second_process_reuses_the_token(auth_server: RefServer, tmp_path: Any) -> None:
    env = {"MCP_URL": auth_server.url, "MCP_TOKEN_FILE": str(tmp_path / "tokens.json")}
    first = run_example("oauth_login.py", env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("tools: echo, add"), first.stdout
    assert len(stats(auth_server)["authorizations"]) == 1
    assert (os.stat(tmp_path / "tokens.json").st_mode & 0o777) == 0o600
    seen = len(mcp_requests(auth_server))

    second = run_example("oauth_login.py", env)
    assert second.returncode == 0, second.stderr
    assert len(stats(auth_server)["authorizations"]) == 1, "no second login"
    later = mcp_requests(auth_server)[seen:]
    assert later and all(r["status"] < 400 for r in later), [r["status"] for r in later]
    assert bearer(later[0]) in stats(auth_server)["access_tokens"]


def test_the_pre_registered_app_example(make_server: Any, tmp_path: Any) -> None:
    server: RefServer = make_server(
        "--auth", "--auth-no-registration", "--auth-pre-registered", "my-app:app-secret", era="dual"
    )
    env = {
        "MCP_URL": server.url,
        "MCP_CLIENT_ID": "my-app",
        "MCP_CLIENT_SECRET": "app-secret",
        "MCP_TOKEN_FILE": str(tmp_path / "tokens.json"),
    }
    out = run_example("oauth_app.py", env)
    assert out.returncode == 0, out.stderr
    assert stats(server)["authorizations"][0]["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert stats(server)["token_requests"][0]["auth"] == "basic"


def test_cli_login_then_auth(auth_server: RefServer, tmp_path: Any) -> None:
    env = {
        **os.environ,
        "BROWSER": f"{sys.executable} {FAKE_BROWSER} %s",
        "MCPSTREAM_TOKEN_FILE": str(tmp_path / "cli-tokens.json"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mcpstream", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)

    login = cli("login", auth_server.url)
    assert login.returncode == 0, login.stderr
    assert "authorize in your browser: http" in login.stderr
    tools = cli("tools", auth_server.url, "--auth", "--json")
    assert tools.returncode == 0, tools.stderr
    assert '"name": "echo"' in tools.stdout
    assert len(stats(auth_server)["authorizations"]) == 1
    without = cli("tools", auth_server.url)
    assert without.returncode == 5 and "HTTPError" in without.stderr and "401" in without.stderr

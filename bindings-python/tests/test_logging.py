"""The core's log records reach Python's ``logging`` under the ``mcpstream`` logger: a
session's life at INFO and WARNING, requests at DEBUG, and no session id or token in any
record above DEBUG (tokens in none at all). Records travel through a thread of their own, so
the tests wait (bounded) for them."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, List

import mcpstream
import pytest
from conftest import RefServer
from mcpstream import Client, SessionExpiredError


def wait_for(caplog: pytest.LogCaptureFixture, found: Callable[[List[logging.LogRecord]], bool]) -> None:
    deadline = time.monotonic() + 5
    while not found(caplog.records):
        assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
        time.sleep(0.01)


def mcpstream_records(caplog: pytest.LogCaptureFixture, at_least: int) -> List[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("mcpstream") and r.levelno >= at_least]


def test_a_sessions_life_is_logged_without_its_ids(server: RefServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mcpstream")
    client = Client(server.url, on_session_expired="reinitialize")
    client.connect()
    first = client.session_id
    client.call_tool("echo", {"text": "hi"})
    server.expire_sessions()
    with pytest.raises(SessionExpiredError):
        client.call_tool("echo", {"text": "hi"})
    second = client.session_id
    assert client.close() == "terminated"
    # The standalone stream notices its end on its own time, possibly after close().
    wait_for(
        caplog,
        lambda rs: any("closed" in r.getMessage() for r in rs) and any(r.name == "mcpstream.stream" for r in rs),
    )

    records = mcpstream_records(caplog, logging.INFO)
    lines = [(r.levelname, r.getMessage()) for r in records if r.name == "mcpstream.client"]
    assert [level for level, _ in lines] == [
        "INFO",  # connected
        "WARNING",  # expired
        "INFO",  # a new session in its place
        "INFO",  # closed
    ], lines
    connected, expired, replaced, closed = (message for _, message in lines)
    assert connected.startswith(f"connected to {server.url}: legacy era, protocol 2025-11-25, session #")
    tag = connected.rsplit(" ", 1)[1]
    assert expired == f"session {tag} expired: the server no longer knows it"
    assert replaced.startswith("started session #") and replaced.endswith(f"in place of the expired session {tag}")
    assert closed.endswith(": terminated") and closed != f"closed session {tag}: terminated"
    # The expiry also ended the standalone GET stream, which the client tried to resume.
    resumed = [r.getMessage() for r in records if r.name == "mcpstream.stream"]
    assert resumed and resumed[0].startswith("resuming the standalone stream: attempt 1 of 5 in "), resumed
    for record in records:
        assert first not in record.getMessage() and second not in record.getMessage(), record.getMessage()


def test_debug_shows_requests_and_the_session_id(server: RefServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mcpstream")
    with Client(server.url) as client:
        client.call_tool("echo", {"text": "hi"})
        session = client.session_id
    wait_for(caplog, lambda rs: any("closed" in r.getMessage() for r in rs))
    debug = [r.getMessage() for r in mcpstream_records(caplog, logging.DEBUG) if r.levelno == logging.DEBUG]
    assert any(m.endswith(f"has id {session}") for m in debug), debug
    assert any(m.startswith("tools/call (session #") for m in debug), debug


def test_nothing_is_made_or_printed_by_default(server: RefServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert logging.getLogger("mcpstream").getEffectiveLevel() == logging.WARNING
    client = Client(server.url)
    client.connect()
    server.expire_sessions()
    with pytest.raises(SessionExpiredError):
        client.call_tool("echo", {"text": "hi"})  # a WARNING record, which no handler prints
    time.sleep(0.2)
    captured = capsys.readouterr()
    assert "expired" not in captured.err and "expired" not in captured.out


def test_tokens_never_reach_a_record(make_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server: RefServer = make_server("--auth", "--auth-pre-registered", "machine:s3cret", era="dual")
    caplog.set_level(logging.DEBUG, logger="mcpstream")
    auth = mcpstream.ClientCredentials(client_id="machine", client_secret="s3cret")
    with Client(server.url, auth=auth) as client:
        client.list_tools()
    wait_for(caplog, lambda rs: any("closed" in r.getMessage() for r in rs))
    tokens = [
        r["headers"]["authorization"].split(" ", 1)[1] for r in server.requests() if "authorization" in r["headers"]
    ]
    assert tokens, "the calls carried a token"
    messages = [r.getMessage() for r in mcpstream_records(caplog, logging.DEBUG)]
    assert any("obtained an access token" in m for m in messages), messages
    for message in messages:
        assert "s3cret" not in message
        assert all(token not in message for token in tokens), message

"""The fault matrix through the Python package: every misbehaviour of the reference server's
hostile lane (``/_admin/hostile``) gives a typed exception (or the documented success) within
the timeout plus a small slack, the process's memory stays bounded while 64 MiB arrive, and the
client works afterwards. The core (core/tests/faults*.rs) and Ruby (test_faults.rb) run the same
cases; each case appends its result to target/reliability/python.jsonl, which
tests/reliability/report.py renders into docs/reliability.md."""

from __future__ import annotations

import _thread
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import mcpstream
import pytest
from conftest import REPO, RefServer
from mcpstream import Client

TIMEOUT = 1.0  # the request, connect and close timeout of every case
SLACK = 1.0  # what a case may take beyond it (debug builds, a loaded 2-core machine)
BOUND = TIMEOUT + SLACK
RSS_BOUND_MIB = 48.0  # peak RSS growth while 64 MiB arrive: less than the answer itself
OUT = Path(os.environ.get("MCPSTREAM_RELIABILITY_DIR", str(REPO / "target" / "reliability"))) / "python.jsonl"
ECHO = {"text": "hi"}


def record(case: str, outcome: str, seconds: float, bound: float, rss_growth: Optional[float] = None) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "language": "python",
        "case": case,
        "outcome": outcome,
        "seconds": seconds,
        "bound_seconds": bound,
        "rss_growth_mib": rss_growth,
        "rss_bound_mib": None if rss_growth is None else RSS_BOUND_MIB,
    }
    with OUT.open("a") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")


def outcome_of(error: Optional[BaseException]) -> str:
    """The class name the three languages agree on, with the status or code that tells cases apart."""
    if error is None:
        return "ok"
    if isinstance(error, mcpstream.SessionExpiredError):
        return "SessionExpiredError"
    if isinstance(error, mcpstream.HTTPError):
        return f"HTTPError {error.status}"
    if isinstance(error, mcpstream.RPCError):
        return f"RPCError {error.code}"
    return type(error).__name__


def attempt(action: Callable[[], Any]) -> tuple[Optional[BaseException], float, Any]:
    started = time.monotonic()
    try:
        value = action()
    except mcpstream.MCPError as e:
        return e, time.monotonic() - started, None
    return None, time.monotonic() - started, value


def arm(server: RefServer, fault: str, **fields: Any) -> None:
    server._admin("POST", "/_admin/hostile", {"fault": fault, **fields})


def calm(server: RefServer) -> None:
    server._admin("DELETE", "/_admin/hostile")


def client_for(server: RefServer, **options: Any) -> Client:
    settings: Dict[str, Any] = {
        "timeout": TIMEOUT,
        "connect_timeout": TIMEOUT,
        "close_timeout": TIMEOUT,
        "era": "legacy",
        "standalone_stream": False,
    }
    settings.update(options)
    return Client(server.url, **settings)


def text(result: Dict[str, Any]) -> str:
    value: str = result["content"][0]["text"]
    return value


def still_usable(client: Client) -> None:
    if client.session_id is None and client.era != "modern":
        client.connect()
    assert text(client.call_tool("echo", ECHO)) == "hi"


def finish(
    case: str, server: RefServer, client: Client, error: Optional[BaseException], took: float, want: str
) -> None:
    got = outcome_of(error)
    assert got == want, f"{case}: {error!r}"
    assert took <= BOUND, f"{case}: took {took:.3f}s"
    calm(server)
    still_usable(client)
    record(case, got, took, BOUND)


CALL_CASES = [
    ("close_after_request", {"fault": "close_after_request"}, "TransportError"),
    ("sse_cut_mid_event", {"fault": "sse_cut_mid_event"}, "ProtocolError"),
    ("never_answer", {"fault": "never_answer"}, "TimeoutError"),
    ("keepalive_forever", {"fault": "keepalive_forever"}, "TimeoutError"),
    ("drip_json", {"fault": "drip_json"}, "ok"),
    ("drip_json_slow", {"fault": "drip_json", "interval_ms": 50}, "TimeoutError"),
    ("garbage_json", {"fault": "garbage_json"}, "ProtocolError"),
    ("wrong_id", {"fault": "wrong_id"}, "ProtocolError"),
    ("html500", {"fault": "html500"}, "HTTPError 500"),
    ("not_found", {"fault": "not_found"}, "SessionExpiredError"),
    ("redirect_post_302", {"fault": "redirect_post", "status": 302}, "HTTPError 302"),
    ("redirect_post_303", {"fault": "redirect_post", "status": 303}, "HTTPError 303"),
    ("die_and_forget", {"fault": "die_and_forget"}, "SessionExpiredError"),
]


@pytest.mark.parametrize("case,fault,want", CALL_CASES, ids=[c[0] for c in CALL_CASES])
def test_a_call_meets_a_fault(server: RefServer, case: str, fault: Dict[str, Any], want: str) -> None:
    with client_for(server) as client:
        arm(server, for_method="tools/call", **fault)
        error, took, value = attempt(lambda: client.call_tool("echo", ECHO))
        if want == "ok":
            assert text(value) == "dripped"
        finish(case, server, client, error, took, want)


def test_a_connect_that_is_never_answered_times_out(server: RefServer) -> None:
    client = client_for(server)
    arm(server, "never_answer", for_method="initialize")
    error, took, _ = attempt(client.connect)
    assert client.session_id is None
    finish("never_answer_initialize", server, client, error, took, "TimeoutError")
    client.close()


@pytest.mark.parametrize("case", ["initialize_bad_session_id", "initialize_unknown_version"])
def test_an_initialize_answer_that_breaks_the_rules(server: RefServer, case: str) -> None:
    client = client_for(server)
    arm(server, case)
    error, took, _ = attempt(client.connect)
    assert client.session_id is None
    finish(case, server, client, error, took, "ProtocolError")
    client.close()


def test_a_redirect_to_another_origin_carries_nothing_there(server: RefServer) -> None:
    with client_for(server, headers={"Authorization": "Bearer secret"}) as client:
        arm(server, "redirect_cross_origin", for_method="tools/call")
        error, took, _ = attempt(lambda: client.call_tool("echo", ECHO))
        assert server._admin("GET", "/_admin/hostile")["elsewhere"] == []
        assert client.session_id is not None
        finish("redirect_cross_origin", server, client, error, took, "HTTPError 307")


def test_a_delete_that_is_never_answered(server: RefServer) -> None:
    client = client_for(server)
    client.connect()
    arm(server, "delete_never_answers")
    started = time.monotonic()
    outcome = f"close: {client.close()}"
    took = time.monotonic() - started
    assert outcome == "close: failed"
    assert took <= BOUND, took
    assert client.session_id is None
    calm(server)
    still_usable(client)
    client.close()
    record("delete_never_answers", outcome, took, BOUND)


def test_a_server_that_dies_mid_call_and_the_retry_policy(server: RefServer) -> None:
    with client_for(server, on_session_expired="retry") as client:
        before = client.session_id
        arm(server, "die_and_forget", for_method="tools/call")
        error, took, _ = attempt(lambda: client.call_tool("echo", ECHO))
        # The server had taken the call (it may have run): a new session, but no second send.
        assert client.session_id not in (None, before)
        assert len(server.posts("tools/call")) == 1, "sent once"
        finish("die_and_forget_retry", server, client, error, took, "SessionExpiredError")


def test_a_modern_server_that_wants_input_forever(make_server: Any) -> None:
    server = make_server(era="modern")
    asked: List[Any] = []

    def on_elicitation(params: Dict[str, Any]) -> Dict[str, Any]:
        asked.append(params)
        return {"action": "accept", "content": {"answer": "again"}}

    with client_for(server, era="modern", on_elicitation=on_elicitation, max_input_rounds=3) as client:
        arm(server, "input_required_forever", for_method="tools/call", times=0)
        error, took, _ = attempt(lambda: client.call_tool("echo", ECHO))
        assert len(asked) == 3
        finish("input_required_forever", server, client, error, took, "ProtocolError")


def rss_kib(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, field
    return float(match.group(1))


MEMORY_CASES = [
    ("huge_json", {"fault": "huge_json", "bytes": 64 << 20}, "ProtocolError"),
    ("huge_sse_event", {"fault": "huge_sse_event", "bytes": 64 << 20}, "ProtocolError"),
    ("notification_flood", {"fault": "notification_flood"}, "TimeoutError"),
]


@pytest.mark.parametrize("case,fault,want", MEMORY_CASES, ids=[c[0] for c in MEMORY_CASES])
def test_memory_stays_bounded(server: RefServer, case: str, fault: Dict[str, Any], want: str) -> None:
    notes: List[str] = []
    with client_for(server, on_notification=lambda method, params: notes.append(method)) as client:
        client.call_tool("echo", ECHO)
        arm(server, for_method="tools/call", **fault)
        Path("/proc/self/clear_refs").write_text("5")  # from here, the peak is the current RSS
        baseline = rss_kib("VmRSS")
        error, took, _ = attempt(lambda: client.call_tool("echo", ECHO))
        growth = (rss_kib("VmHWM") - baseline) / 1024
        got = outcome_of(error)
        assert got == want, f"{case}: {error!r}"
        assert took <= BOUND, f"{case}: took {took:.3f}s"
        assert growth < RSS_BOUND_MIB, f"{case}: peak RSS grew by {growth:.1f} MiB"
        if case == "notification_flood":
            assert len(notes) > 100
        calm(server)
        still_usable(client)
        record(case, got, took, BOUND, growth)


def test_sixteen_threads_share_a_client_while_half_their_calls_time_out(server: RefServer) -> None:
    with client_for(server) as client:
        outcomes: Dict[int, List[str]] = {}

        def work(t: int) -> None:
            got = []
            for i in range(3):
                if t % 2 == 0:
                    error, _, _ = attempt(lambda: client.call_tool("slow", {"ms": 3000}, timeout=0.3))
                    got.append(outcome_of(error))
                else:
                    sent = f"{t}-{i}"
                    got.append("ok" if text(client.call_tool("echo", {"text": sent})) == sent else "wrong answer")
            outcomes[t] = got

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        took = time.monotonic() - started
        for t in range(16):
            assert outcomes.get(t) == ["TimeoutError" if t % 2 == 0 else "ok"] * 3, (t, outcomes.get(t))
        limit = 0.9 + BOUND
        assert took <= limit, took
        still_usable(client)
        record("threads16_half_timeout", "ok", took, limit)


def test_handlers_that_call_their_own_client(server: RefServer) -> None:
    holder: Dict[str, Client] = {}
    inner: List[str] = []
    notified = threading.Event()

    def on_notification(method: str, params: Any) -> None:
        inner.append(text(holder["client"].call_tool("echo", ECHO)))
        notified.set()

    def on_elicitation(params: Dict[str, Any]) -> Dict[str, Any]:
        return {"action": "accept", "content": {"name": text(holder["client"].call_tool("echo", ECHO))}}

    with client_for(server, on_notification=on_notification, on_elicitation=on_elicitation) as client:
        holder["client"] = client
        started = time.monotonic()

        def on_progress(params: Dict[str, Any]) -> None:
            inner.append(text(client.call_tool("echo", ECHO)))

        assert text(client.call_tool("progress", {"steps": 3}, on_progress=on_progress)) == "done 3"
        assert text(client.call_tool("progress", {"steps": 1})) == "done 1"
        asked = client.call_tool("ask", {"kind": "elicitation"})
        assert "hi" in json.dumps(asked), asked
        assert notified.wait(BOUND)
        took = time.monotonic() - started
        assert inner == ["hi"] * 4, inner
        assert took <= BOUND, took
        still_usable(client)
        record("reentrant_handlers", "ok", took, BOUND)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the raises are reported
def test_handlers_that_raise(server: RefServer) -> None:
    def on_notification(method: str, params: Any) -> None:
        raise RuntimeError("a notification handler that raises")

    def on_elicitation(params: Dict[str, Any]) -> Dict[str, Any]:
        raise ValueError("an elicitation handler that raises")

    def on_progress(params: Dict[str, Any]) -> None:
        raise RuntimeError("a progress callback that raises")

    with client_for(server, on_notification=on_notification, on_elicitation=on_elicitation) as client:
        started = time.monotonic()
        progress, _, _ = attempt(lambda: client.call_tool("progress", {"steps": 2}, on_progress=on_progress))
        logged, _, _ = attempt(lambda: client.call_tool("progress", {"steps": 2}))
        asked, _, out = attempt(lambda: client.call_tool("ask", {"kind": "elicitation"}))
        took = time.monotonic() - started
        assert out["structuredContent"]["error"]["code"] == -32603, out
        got = f"progress: {outcome_of(progress)}; notification: {outcome_of(logged)}; elicitation: {outcome_of(asked)}"
        assert got == "progress: ok; notification: ok; elicitation: ok", got
        assert took <= 3 * BOUND, took
        still_usable(client)
        record("raising_handlers", got, took, 3 * BOUND)


def interrupted(action: Callable[[], Any], after: float = 0.3) -> float:
    """Seconds from Ctrl-C (``_thread.interrupt_main``) to ``KeyboardInterrupt`` out of ``action``."""
    sent: List[float] = []

    def ctrl_c() -> None:
        sent.append(time.monotonic())
        _thread.interrupt_main()

    timer = threading.Timer(after, ctrl_c)
    timer.start()
    try:
        action()
    except KeyboardInterrupt:
        return time.monotonic() - sent[0]
    finally:
        timer.cancel()
    raise AssertionError("the blocking call was not interrupted")


def test_ctrl_c_during_connect_call_and_close(server: RefServer) -> None:
    client = client_for(server, timeout=30, connect_timeout=30, close_timeout=30)
    latencies = []
    arm(server, "never_answer", for_method="initialize")
    latencies.append(interrupted(client.connect))
    calm(server)
    client.connect()
    arm(server, "never_answer", for_method="tools/call")
    latencies.append(interrupted(lambda: client.call_tool("echo", ECHO)))
    calm(server)
    still_usable(client)
    arm(server, "delete_never_answers")
    latencies.append(interrupted(client.close))
    calm(server)
    still_usable(client)
    client.close()
    worst = max(latencies)
    assert worst <= SLACK, latencies
    record("interrupt_connect_call_close", "ok", worst, SLACK)

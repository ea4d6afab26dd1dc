"""fork(): gunicorn --preload, Celery prefork and multiprocessing fork a process that already
holds a client. In the child the client works (new connections, the same session; its
callbacks run), close() there leaves the session to the parent, a call in flight in another
thread at fork time wedges neither process, and a subscription made before the fork ends at
once in the child and goes on in the parent. The child reports through its exit code.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Callable

from mcpstream import Client, MCPError
from test_faults import record

CHILD_LIMIT = 20.0
CHILD_BOUND = 5.0  # its calls run under a 3 s timeout; it should take well under a second


def in_child(case: str, child: Callable[[], int]) -> int:
    """Runs ``child`` in a forked child; its exit code. A child still running after
    ``CHILD_LIMIT`` seconds is killed and the test fails: that is a hang. The child's time
    goes to the fault matrix as ``case``."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 101
        try:
            code = child()
        finally:
            os._exit(code)
    deadline = time.monotonic() + CHILD_LIMIT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            assert os.WIFEXITED(status), f"the child died: {status}"
            code = os.WEXITSTATUS(status)
            record(case, "ok" if code == 0 else f"exit {code}", time.monotonic() - started, CHILD_BOUND)
            return code
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the child hung for {CHILD_LIMIT} s")


def echo(client: Client, text: str) -> bool:
    return bool(client.call_tool("echo", {"text": text})["content"][0]["text"] == text)


def test_a_client_made_before_fork_works_in_the_child_and_leaves_the_session_to_the_parent(server):
    notes: list[str] = []
    client = Client(server.url, timeout=3, on_notification=lambda method, params: notes.append(method))
    client.connect()
    assert echo(client, "before")
    session = client.session_id

    def child() -> int:
        if not echo(client, "in the child"):
            return 1
        if client.session_id != session:
            return 2
        notes.clear()
        client.call_tool("progress", {"steps": 2, "delay_ms": 1, "log": True})
        if notes != ["notifications/message"] * 2:
            return 3  # the parent's callback thread is gone: the child needs its own
        return 0 if client.close() == "left_to_parent" else 4

    code = in_child("fork_client_made_before", child)
    assert code == 0, "in the child: a call (1), the session (2), callbacks (3) or close (4) failed"
    [call] = [r for r in server.posts("tools/call") if r["body"]["params"]["arguments"].get("text") == "in the child"]
    assert call["headers"]["mcp-session-id"] == session, "the child goes on with the parent's session"
    assert not server.with_method("DELETE"), "the child did not end the parent's session"
    assert echo(client, "after"), "the parent's session survives the child"
    assert client.close() == "terminated"


def test_a_call_in_flight_at_fork_time_wedges_neither_process(server):
    client = Client(server.url, timeout=3)
    client.connect()
    finished: list[bool] = []
    in_flight = threading.Thread(target=lambda: finished.append(bool(client.call_tool("slow", {"ms": 800})["content"])))
    in_flight.start()
    time.sleep(0.2)

    def child() -> int:
        if not echo(client, "old client"):
            return 1
        with Client(server.url, timeout=3) as fresh:
            if not echo(fresh, "new client"):
                return 2
        return 0

    code = in_child("fork_call_in_flight", child)
    assert code == 0, "in the child: the old client (1) or a new one (2) failed"
    in_flight.join(timeout=5)
    assert finished == [True], "the parent's call in flight finished"
    assert echo(client, "parent again")
    client.close()


def test_a_subscription_made_before_fork_ends_at_once_in_the_child_and_goes_on_in_the_parent(make_server):
    server = make_server(era="modern")
    client = Client(server.url, timeout=3)
    client.connect()
    sub = client.listen(tools_list_changed=True)
    heard: list[str] = []
    # A thread waits on the subscription at fork time: in the child nothing it held is used.
    waiting = threading.Thread(target=lambda: heard.extend(str(e.method) for e in sub))
    waiting.start()
    time.sleep(0.2)

    def child() -> int:
        event = sub.next()  # no timeout: the parent's stream feeds nothing here
        if event is None or event.type != "ended":
            return 1
        if not isinstance(event.error, MCPError) or "fork()" not in str(event.error):
            return 2
        if sub.next() is not None or list(sub) != []:
            return 3
        sub.close()
        with client.listen(prompts_list_changed=True) as own:
            return 0 if own.acknowledged == {"promptsListChanged": True} else 4

    code = in_child("fork_subscription_made_before", child)
    assert code == 0, "in the child: no end (1), not the fork's error (2), events after the end (3), listen (4)"
    assert server.notify(method="notifications/tools/list_changed") == 1
    deadline = time.monotonic() + 5
    while not heard and time.monotonic() < deadline:
        time.sleep(0.01)
    assert heard == ["notifications/tools/list_changed"], "the parent's subscription goes on"
    sub.close()
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    client.close()

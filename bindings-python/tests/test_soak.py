"""The soak through the Python package (the core's is tests/soak, `make soak`): connect, call,
close cycles with a new client each time and with one client reconnecting (the call matters in
the modern era, where connecting once the era is known sends nothing), and calls on one client,
in both eras against a server that speaks both; the process's RSS, open fds and TIME_WAIT
sockets must stay flat (soak_probe.py has the bounds). Small counts here; ``make soak`` scales
them with MCPSTREAM_SOAK_SCALE. The figures go to target/soak/python.md."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from conftest import REPO, RefServer
from mcpstream import AsyncClient, Client
from soak_probe import Phase, scaled, write_report

REPORT = Path(os.environ.get("MCPSTREAM_SOAK_DIR", str(REPO / "target" / "soak"))) / "python.md"
# The session era asks for it by name; the modern one is what "auto" finds on a dual server.
ERA_OPTION = {"legacy": "legacy", "modern": "auto"}
# What close() answers when it did its job: the session era ends a session, the modern has none.
CLOSED = {"legacy": "terminated", "modern": "no_session"}
ERAS = ["legacy", "modern"]

_phases: List[Phase] = []


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    if _phases:
        write_report(REPORT, "Python", _phases)


@pytest.fixture(scope="module", autouse=True)
def runtime_started() -> None:
    """One cycle before any phase: the shared runtime starts with the first client and keeps
    descriptors of its own (epoll, wakers), which are no client's."""
    server = RefServer("--no-record")
    try:
        Client(server.url).connect()
    finally:
        server.stop()


@pytest.fixture
def dual(make_server: Callable[..., RefServer]) -> RefServer:
    # --no-record: the server would otherwise keep every request it got.
    return make_server("--no-record", era="dual")


def port_of(server: RefServer) -> int:
    return int(server.base.rsplit(":", 1)[1])


def soak(phase: Phase, step: Callable[[int], None]) -> Phase:
    for n in range(phase.ops):
        step(n)
        phase.after(n + 1)
    return phase


def judged(phase: Phase) -> None:
    phase.finish()
    _phases.append(phase)
    assert not phase.problems(), f"{phase.name}: " + "; ".join(phase.problems())


def echoed(result: Any, text: str) -> None:
    assert result["content"][0]["text"] == text


def connected(url: str, era: str) -> Client:
    client = Client(url, era=ERA_OPTION[era])
    client.connect()
    assert client.era == era
    return client


@pytest.mark.parametrize("era", ERAS)
def test_a_new_client_per_cycle_leaves_nothing_behind(dual: RefServer, era: str) -> None:
    def cycle(n: int) -> None:
        client = connected(dual.url, era)
        echoed(client.call_tool("echo", {"text": f"soak {n}"}), f"soak {n}")
        assert client.close() == CLOSED[era]

    judged(soak(Phase(f"fresh clients, {era}", scaled(50), port_of(dual), calls=False), cycle))


@pytest.mark.parametrize("era", ERAS)
def test_one_client_reconnecting_leaves_nothing_behind(dual: RefServer, era: str) -> None:
    judged(reconnecting(dual.url, era, Phase(f"reconnect, {era}", scaled(250), port_of(dual), calls=False)))


@pytest.mark.parametrize("era", ERAS)
def test_calls_on_one_client_stay_flat(dual: RefServer, era: str) -> None:
    judged(calling(dual.url, era, Phase(f"calls, {era}", scaled(1000), port_of(dual), calls=True)))


# The phase's client lives in these functions only, so it is gone when the phase is judged.
def reconnecting(url: str, era: str, phase: Phase) -> Phase:
    client = Client(url, era=ERA_OPTION[era])

    def cycle(n: int) -> None:
        client.connect()
        assert client.era == era
        echoed(client.call_tool("echo", {"text": f"soak {n}"}), f"soak {n}")
        assert client.close() == CLOSED[era]

    return soak(phase, cycle)


def calling(url: str, era: str, phase: Phase) -> Phase:
    client = connected(url, era)

    def call(n: int) -> None:
        echoed(client.call_tool("echo", {"text": f"soak {n}"}), f"soak {n}")

    soak(phase, call)
    assert client.close() == CLOSED[era]
    return phase


def test_async_calls_on_one_client_stay_flat(dual: RefServer) -> None:
    phase = Phase("async calls, modern", scaled(600), port_of(dual), calls=True)

    async def run() -> None:
        async with AsyncClient(dual.url) as client:
            assert client.era == "modern"
            for n in range(phase.ops):
                echoed(await client.call_tool("echo", {"text": f"soak {n}"}), f"soak {n}")
                phase.after(n + 1)

    asyncio.run(run())
    judged(phase)

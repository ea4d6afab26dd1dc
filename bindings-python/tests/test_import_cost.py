"""``import mcpstream`` stays light: it loads none of the modules that made it slow (typing,
dataclasses, asyncio, ...); the names that need them load when first used, and every public
name is still there. Seen in fresh interpreters, as a program starting up sees it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import mcpstream

# What `import mcpstream` used to load and must not: each costs milliseconds, together more
# than the rest of the package. The package loads them when a feature needs them (an
# AsyncClient runs where asyncio is loaded, OAuth needs typing, a subscription dataclasses).
COSTLY = [
    "asyncio",
    "dataclasses",
    "inspect",
    "logging",
    "mcpstream._auth",
    "mcpstream._subscription",
    "mcpstream.types",
    "opentelemetry",
    "typing",
]


def fresh(code: str) -> Any:
    """What ``code`` prints as JSON, run in a new interpreter importing this mcpstream."""
    package_dir = str(Path(mcpstream.__file__).parents[1])
    path = os.pathsep.join(filter(None, [package_dir, os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, PYTHONPATH=path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def loaded_by(statement: str) -> list:
    """The modules of COSTLY that ``statement`` loads (one loaded before it, by the
    interpreter's own start-up, does not count)."""
    return fresh(
        f"""
        import json, sys
        costly = {COSTLY!r}
        before = {{m for m in costly if m in sys.modules}}
        {statement}
        print(json.dumps(sorted(m for m in costly if m in sys.modules and m not in before)))
        """
    )


def test_import_loads_none_of_the_costly_modules():
    assert loaded_by("import mcpstream") == []


def test_the_client_and_the_errors_load_none_of_them_either():
    assert loaded_by("from mcpstream import AsyncClient, Client, MCPError, TimeoutError, forget_verdict") == []


def test_a_sync_script_loads_none_of_them_either(server: Any) -> None:
    # `logging` among them: an application that has not imported it has no handler for the
    # client's records, so the client does not import it either (most of a first Client()).
    script = f"""
        import mcpstream
        client = mcpstream.Client({server.url!r})
        client.connect()
        client.call_tool("echo", {{"text": "hi"}})
        client.close()
    """
    assert loaded_by(textwrap.dedent(script).strip().replace("\n", "; ")) == []


def test_a_name_that_needs_one_loads_it_when_first_named():
    assert "mcpstream._auth" in loaded_by("from mcpstream import OAuth")
    assert "mcpstream.types" in loaded_by("import mcpstream; mcpstream.types.CallToolResult")
    assert "dataclasses" in loaded_by("import mcpstream; mcpstream.SubscriptionEvent")


def test_every_public_name_is_there_and_is_the_same_object():
    found = fresh(
        """
        import json, mcpstream
        listed = set(dir(mcpstream))
        missing = [name for name in mcpstream.__all__ if name not in listed]
        from mcpstream import OAuth, SubscriptionEvent, TokenStore, types
        from mcpstream._auth import OAuth as OAuth_, TokenStore as TokenStore_
        from mcpstream._subscription import SubscriptionEvent as SubscriptionEvent_
        import mcpstream.types as types_
        same = [OAuth is OAuth_, TokenStore is TokenStore_, SubscriptionEvent is SubscriptionEvent_, types is types_]
        namespace = {}
        exec("from mcpstream import *", namespace)
        try:
            mcpstream.NoSuchName
            unknown = "found"
        except AttributeError as e:
            unknown = str(e)
        print(json.dumps({
            "missing": missing,
            "same": same,
            "star": sorted(set(mcpstream.__all__) - set(namespace)),
            "unknown": unknown,
        }))
        """
    )
    assert found == {
        "missing": [],
        "same": [True, True, True, True],
        "star": [],
        "unknown": "module 'mcpstream' has no attribute 'NoSuchName'",
    }


def test_logging_configured_after_the_client_is_made_gets_the_records_from_connect_on(server: Any) -> None:
    # The level is read again at connect(), which then finds logging imported and configured.
    printed = fresh(
        f"""
        import io, json, time, mcpstream
        client = mcpstream.Client({server.url!r})
        import logging
        out = io.StringIO()
        logging.basicConfig(level=logging.INFO, stream=out, format="%(name)s %(message)s")
        client.connect()
        # Records reach logging from a thread of their own, a moment later.
        deadline = time.monotonic() + 10
        while "connected" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        client.close()
        print(json.dumps([line for line in out.getvalue().splitlines() if line.startswith("mcpstream")]))
        """
    )
    assert any("connected" in line for line in printed), printed

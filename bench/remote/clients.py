"""Which bench clients the remote run drives, and the mode argument for each measurement. The
commands themselves come from bench/run.py's table (the loopback benchmark's), so a client is
started the same way in both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

OFFICIAL = ["Python SDK 2.3", "TypeScript SDK 1.32", "rmcp 3.9 client"]
COLD, SEQUENTIAL, IN_FLIGHT = "cold connect", "sequential", "16 in flight"


@dataclass
class RemoteClient:
    name: str
    command: List[str]
    modes: Dict[str, str]  # measurement -> the client's MODE argument

    @property
    def official(self) -> bool:
        return self.name in OFFICIAL


def remote_clients(loopback: Dict[str, Tuple[List[str], List[str]]]) -> List[RemoteClient]:
    def command(name: str) -> List[str]:
        return loopback[name][0]

    def modes(sequential: str, in_flight: Optional[str]) -> Dict[str, str]:
        chosen = {COLD: "cold", SEQUENTIAL: sequential}
        if in_flight is not None:
            chosen[IN_FLIGHT] = in_flight
        return chosen

    return [
        RemoteClient("mcpstream core", command("mcpstream core, async, shared runtime"), modes("async", "c16")),
        RemoteClient("mcpstream Python", command("mcpstream Python, sync"), modes("sync", "a16")),
        RemoteClient("mcpstream Ruby", command("mcpstream Ruby, 1 thread"), modes("sync", None)),
        RemoteClient("Python SDK 2.3", command("Python SDK 2.3"), modes("seq", "c16")),
        RemoteClient("TypeScript SDK 1.32", command("TypeScript SDK 1.32"), modes("seq", "c16")),
        RemoteClient("rmcp 3.9 client", command("rmcp 3.9 client"), modes("seq", "c16")),
    ]

"""The namespaces net.sh makes: bringing them up and down, and running code or processes inside
one. Entering is setns(2) on the calling thread, so a process started inside inherits the
namespace with nothing (no `ip netns exec`) between the harness's clock and the process."""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
from pathlib import Path
from typing import Dict, Iterator

NET_SH = Path(__file__).resolve().parent / "net.sh"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns({path}): {os.strerror(errno)}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def inside(namespace: str) -> Iterator[None]:
    """Runs the block (sockets it opens, processes it starts) in `namespace`, then returns to the
    namespace the thread was in."""
    home = f"/proc/self/fd/{os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)}"
    home_fd = int(home.rsplit("/", 1)[1])
    try:
        _setns(f"/run/netns/{namespace}")
        yield
    finally:
        try:
            _setns(home)
        finally:
            os.close(home_fd)


def net_sh(action: str) -> str:
    done = subprocess.run([str(NET_SH), action], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"net.sh {action} failed: {done.stderr.strip()}")
    return done.stdout


def layout() -> Dict[str, str]:
    """The names and addresses net.sh uses (its `show`), so they are written down once."""
    return dict(line.split("=", 1) for line in net_sh("show").splitlines() if "=" in line)

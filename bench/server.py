"""A sandbox in its own process, so the server's CPU does not share the client's GIL."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from sandbox import ADMIN_TOKEN

_SERVE = """
import sys
from sandbox import SandboxConfig, serve
serve("127.0.0.1", int(sys.argv[1]), SandboxConfig(seed=int(sys.argv[2]),
      clock_start=float(sys.argv[3]), events_per_day=int(sys.argv[4]),
      history_days=int(sys.argv[5])))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(
    *, seed: int = 7, now: float, events_per_day: int, history_days: int
) -> Iterator[str]:
    """Start ``serve`` in a child process; yield its URL; stop it."""
    port = _free_port()
    args = [str(port), str(seed), str(now), str(events_per_day), str(history_days)]
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVE, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=10)


def set_faults(url: str, faults: dict[str, object]) -> None:
    """Change the fault knobs of a running sandbox through its admin route."""
    response = httpx.post(
        f"{url}/_sandbox/faults",
        json=faults,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()

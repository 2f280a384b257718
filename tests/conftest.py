"""Shared fixtures: sandboxes on loopback with a frozen clock, and clients for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox import SandboxConfig, SandboxServer

# 2026-03-11T15:00:00Z, a Wednesday afternoon: recent hours are busy.
FROZEN_NOW = 1_773_241_200
SMALL_HISTORY_DAYS = 30

Walk = Callable[..., list[dict[str, Any]]]


def _config(**overrides: Any) -> SandboxConfig:
    values: dict[str, Any] = {
        "seed": 7,
        "history_days": SMALL_HISTORY_DAYS,
        "clock_start": FROZEN_NOW,
    }
    values.update(overrides)
    return SandboxConfig(**values)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A private sandbox for one test (seed 7, 30 days, frozen clock at FROZEN_NOW); free to
    advance its clock or set faults."""
    with SandboxServer(_config(), warm=False) as server:
        yield server


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SandboxServer]:
    """One sandbox shared by the whole session, configured like `sandbox`. Read-only: never
    advance its clock or set its faults (use `sandbox` or `make_sandbox` for that)."""
    with SandboxServer(_config(), warm=False) as server:
        yield server


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Factory: `make_sandbox(**config_overrides)` starts a private sandbox, stopped after."""
    servers: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxServer:
        server = SandboxServer(_config(**overrides), warm=False).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox_client_for() -> Iterator[Callable[..., httpx.Client]]:
    """Factory: `sandbox_client_for(server, token=None)`: an httpx client, admin by default."""
    clients: list[httpx.Client] = []

    def make(server: SandboxServer, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or server.admin_token}"}
        client = httpx.Client(base_url=server.url, headers=headers, timeout=10, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def shared_client(shared_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An admin client for `shared_sandbox`."""
    headers = {"Authorization": f"Bearer {shared_sandbox.admin_token}"}
    with httpx.Client(base_url=shared_sandbox.url, headers=headers, timeout=10) as http:
        yield http


def walk_pages(
    http: httpx.Client, path: str, max_pages: int = 10_000, **params: Any
) -> list[dict[str, Any]]:
    """Follow `end_cursor` until the last page; returns every item in served order."""
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(max_pages):
        query = {**params, **({"after": after} if after else {})}
        response = http.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if not page["has_next_page"]:
            assert page["end_cursor"] is None
            return items
        assert page["end_cursor"], "has_next_page without a cursor"
        after = page["end_cursor"]
    raise AssertionError(f"more than {max_pages} pages")


@pytest.fixture(scope="session")
def walk() -> Walk:
    """`walk(client, path, **params)`: every item of a paginated query, in served order."""
    return walk_pages

"""Helpers shared by the pipeline tests: a Runner wired to a sandbox, and lake look-ups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from pipeline.config import Settings
from pipeline.extract.client import DevinClient, RetryPolicy, make_http_client
from pipeline.runner import Runner
from queries.lake import connect
from sandbox import SandboxServer

FAST_RETRIES = RetryPolicy(max_retries=4, backoff_initial=0.01, backoff_max=0.1, retry_after_max=5)


@contextmanager
def runner_for(
    srv: SandboxServer,
    lake: str | Path,
    *,
    token: str | None = None,
    retry: RetryPolicy = FAST_RETRIES,
    **settings: Any,
) -> Iterator[Runner]:
    """A Runner against ``srv`` (admin token unless given), on the sandbox's clock."""
    token = token or srv.admin_token
    config = Settings(api_url=srv.url, api_token=SecretStr(token), lake=lake, **settings)
    with make_http_client(srv.url, token, 30) as http:
        yield Runner(config, DevinClient(http, retry=retry), now=srv.clock.now)


def lake_column(lake: Path, view: str, column: str, where: str = "TRUE") -> list[Any]:
    """One column of a lake view, as a list (duplicates kept, so tests can look for them)."""
    con = connect(lake)
    try:
        sql = f"SELECT {column} FROM {view} WHERE {where}"  # noqa: S608 - test-only literals
        return [row[0] for row in con.execute(sql).fetchall()]
    finally:
        con.close()

"""Paging guards: a misbehaving API must never make the extractor loop or skip."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pipeline.errors import PaginationError
from pipeline.extract.client import DevinClient, RetryPolicy
from pipeline.extract.pages import PagingStats, iter_pages

EVENTS = [{"audit_log_id": f"a{i:03d}", "created_at": 1000 + i // 3} for i in range(30)]


def fake_api(bug: str | None = None, page_size: int = 5):
    """A tiny keyset-paged API over EVENTS; ``bug`` switches on one misbehaviour."""
    calls: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        calls.append(q)
        lo = int(q.get("time_after", 0))
        matching = [e for e in EVENTS if e["created_at"] >= lo]
        offset = int(q.get("after") or 0)
        items = matching[offset : offset + page_size]
        more = offset + page_size < len(matching)
        cursor: str | None = str(offset + page_size) if more else None
        if bug == "missing_cursor" and more:
            cursor = None
        if bug == "repeat_cursor" and more and offset >= 10:
            cursor = q.get("after")
        if bug == "empty_forever":
            items, more, cursor = [], True, str(offset + 1)
        return httpx.Response(
            200, json={"items": items, "end_cursor": cursor, "has_next_page": more}
        )

    client = DevinClient(
        httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(handler)),
        retry=RetryPolicy(max_retries=0),
    )
    return client, calls


def ids(client: DevinClient, **kw: Any) -> list[str]:
    out = []
    for _page, items in iter_pages(client, "/a", {"order": "asc", "time_after": 0}, **kw):
        out.extend(i["audit_log_id"] for i in items)
    return out


def test_normal_paging_reads_everything_once() -> None:
    client, calls = fake_api()
    assert ids(client, page_size=5) == [e["audit_log_id"] for e in EVENTS]
    assert len(calls) == 6


@pytest.mark.parametrize("bug", ["missing_cursor", "repeat_cursor"])
def test_broken_cursors_recover_from_the_last_timestamp(bug: str) -> None:
    client, calls = fake_api(bug)
    stats = PagingStats()
    got = ids(client, page_size=5, stats=stats)
    assert set(got) == {e["audit_log_id"] for e in EVENTS}  # nothing skipped
    assert stats.recoveries >= 1
    assert len(calls) < 40  # and no loop


def test_empty_pages_that_claim_more_stop_instead_of_looping() -> None:
    client, calls = fake_api("empty_forever")
    with pytest.raises(PaginationError, match="cannot move forward"):
        ids(client)
    assert len(calls) == 3


def test_page_cap_stops_the_window() -> None:
    client, _ = fake_api()
    with pytest.raises(PaginationError, match="stopped after 2 pages"):
        ids(client, page_size=5, max_pages=2)


def test_a_second_wider_than_a_page_without_cursor_is_an_error_not_a_loop() -> None:
    global EVENTS
    saved = EVENTS
    EVENTS = [{"audit_log_id": f"b{i}", "created_at": 5000} for i in range(12)]
    try:
        client, calls = fake_api("missing_cursor")
        with pytest.raises(PaginationError):
            ids(client, page_size=5)
        assert len(calls) <= 3
    finally:
        EVENTS = saved

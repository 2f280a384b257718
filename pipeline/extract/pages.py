"""Cursor paging over one query, with guards so a misbehaving API cannot make us loop.

Rules: follow ``end_cursor`` while ``has_next_page``. When the API gives ``has_next_page`` with
no ``end_cursor`` (the audit-log bug fixed on 2026-01-15), repeats a cursor, or keeps answering
empty pages that claim more, restart the query at the last ``created_at`` seen (``order=asc``
makes that a safe resume point; deduplication by id absorbs the re-read). If a restart would not
move forward, or the page cap is reached, raise ``PaginationError`` instead of looping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.errors import PaginationError
from pipeline.extract.client import DevinClient, Page

log = logging.getLogger(__name__)

MAX_EMPTY_PAGES = 3


@dataclass
class PagingStats:
    """What paging one query took, for the run summary."""

    pages: int = 0
    items: int = 0
    recoveries: int = 0


def _items(page: Page) -> list[dict[str, Any]]:
    body = page.body
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise PaginationError(f"{page.path} answered without an 'items' list")
    return [item for item in body["items"] if isinstance(item, dict)]


def _created_at(item: dict[str, Any]) -> int | None:
    value = item.get("created_at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value > 1e12 else value
    return int(seconds)


def iter_pages(
    client: DevinClient,
    path: str,
    params: dict[str, Any],
    *,
    page_size: int = 200,
    max_pages: int = 100_000,
    time_field: str | None = "time_after",
    stats: PagingStats | None = None,
) -> Iterator[tuple[Page, list[dict[str, Any]]]]:
    """Yield ``(page, items)`` for every page of one query.

    ``params`` are the query's fixed parameters (``order``, the time window, filters). With
    ``time_field`` set, recovery moves that parameter forward; without it (lists with no time
    filter) a broken cursor is an error.
    """
    stats = stats if stats is not None else PagingStats()
    query = dict(params)
    cursor: str | None = None
    seen_cursors: set[str] = set()
    last_ts: int | None = None
    empty_streak = 0
    while True:
        if stats.pages >= max_pages:
            raise PaginationError(
                f"{path}: stopped after {max_pages} pages (DEVIN_MAX_PAGES_PER_WINDOW); "
                "narrow the window or raise the cap"
            )
        page = client.get(path, {**query, "first": page_size, "after": cursor})
        items = _items(page)
        stats.pages += 1
        stats.items += len(items)
        yield page, items
        raw = [i["created_at"] for i in items if type(i.get("created_at")) in (int, float)]
        if raw:
            newest = _created_at({"created_at": max(raw)})
            last_ts = newest if last_ts is None or newest is None else max(last_ts, newest)
        body = page.body
        if not body.get("has_next_page"):
            return
        end_cursor = body.get("end_cursor")
        empty_streak = 0 if items else empty_streak + 1
        problem = None
        if not end_cursor:
            problem = "has_next_page without an end_cursor"
        elif end_cursor == cursor or end_cursor in seen_cursors:
            problem = "a repeated cursor"
        elif empty_streak >= MAX_EMPTY_PAGES:
            problem = f"{empty_streak} empty pages that claim more"
        if problem is None:
            seen_cursors.add(str(end_cursor))
            cursor = str(end_cursor)
            continue
        current = query.get(time_field) if time_field else None
        if time_field is None or last_ts is None or (current is not None and last_ts <= current):
            raise PaginationError(
                f"{path}: the API returned {problem} and paging cannot move forward "
                f"(last created_at {last_ts}); the rest of this window was not read"
            )
        log.warning(
            "%s returned %s; restarting the query at created_at=%s (deduplication absorbs the "
            "re-read)",
            path,
            problem,
            last_ts,
        )
        stats.recoveries += 1
        query[time_field] = last_ts
        cursor = None
        seen_cursors.clear()
        empty_streak = 0

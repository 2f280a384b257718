"""The legacy v2 enterprise audit log, for tenants that only hold an enterprise admin's
``apk_user_`` key (behind ``DEVIN_LEGACY_V2=true``).

``GET /v2/enterprise/audit-logs`` takes ``before``, ``after`` and ``limit`` and answers
``{"audit_logs": [...]}`` with ``created_at`` in **milliseconds** and action fields flat on the
entry. The docs leave the meaning of ``before``/``after`` (cursor, timestamp or date), the sort
order and the largest ``limit`` unconfirmed, so this pager is tolerant: it sends millisecond
timestamps, works out the order from each page, narrows the range from the side it has read
(with a millisecond of overlap that deduplication absorbs), and stops with an error rather than
loop when a page brings nothing new. Records land raw as stream ``audit_logs_v2``; the transform
maps them into the same ``audit_logs`` table as v3.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipeline.errors import PaginationError
from pipeline.extract.client import DevinClient, Page

V2_PATH = "/v2/enterprise/audit-logs"


def _ms(item: dict[str, Any]) -> int | None:
    value = item.get("created_at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value if value > 1e12 else value * 1000)  # tolerate seconds too


def iter_v2_pages(
    client: DevinClient,
    start_ms: int,
    end_ms: int,
    *,
    limit: int = 100,
    path: str = V2_PATH,
    max_pages: int = 100_000,
) -> Iterator[tuple[Page, list[dict[str, Any]]]]:
    """Yield ``(page, new_items)`` until ``[start_ms, end_ms)`` is read."""
    after, before = start_ms, end_ms
    seen: set[str] = set()
    for _ in range(max_pages):
        page = client.get(path, {"after": after, "before": before, "limit": limit})
        body = page.body if isinstance(page.body, dict) else {}
        raw = body.get("audit_logs", body.get("items"))
        if not isinstance(raw, list):
            raise PaginationError(f"{path} answered without an 'audit_logs' list")
        items = [i for i in raw if isinstance(i, dict)]
        fresh = [i for i in items if str(i.get("audit_log_id")) not in seen]
        seen.update(str(i.get("audit_log_id")) for i in fresh)
        yield page, fresh
        stamps = [ms for ms in (_ms(i) for i in items) if ms is not None]
        if len(items) < limit or not stamps:
            return
        if not fresh:
            raise PaginationError(
                f"{path}: a full page brought nothing new (after={after}, before={before}); "
                "the v2 paging semantics differ from what we assume, see README"
            )
        if stamps[0] <= stamps[-1]:  # oldest first: move the lower bound up
            after = max(stamps) - 1
        else:  # newest first (as v1 documents): move the upper bound down
            before = min(stamps) + 1
        if after >= before:
            return
    raise PaginationError(f"{path}: stopped after {max_pages} pages")

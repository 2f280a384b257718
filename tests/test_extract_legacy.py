"""The tolerant v2 pager, against both orders a v2 server might use (MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from pipeline.errors import PaginationError
from pipeline.extract.client import DevinClient, RetryPolicy
from pipeline.extract.legacy import iter_v2_pages

ENTRIES = [
    {
        "audit_log_id": f"audit_log-{i:032x}",
        "action": "login",
        "created_at": 1_700_000_000_000 + i * 500 // 2,
        "user_id": "email|abc",
    }
    for i in range(57)
]


def v2_api(newest_first: bool, ignore_bounds: bool = False) -> DevinClient:
    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        rows = sorted(ENTRIES, key=lambda e: e["created_at"], reverse=newest_first)
        if not ignore_bounds:
            rows = [e for e in rows if int(q["after"]) <= e["created_at"] < int(q["before"])]
        return httpx.Response(200, json={"audit_logs": rows[: int(q["limit"])]})

    http = httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(handler))
    return DevinClient(http, retry=RetryPolicy(max_retries=0))


@pytest.mark.parametrize("newest_first", [True, False])
def test_v2_pager_reads_every_entry_once_in_either_order(newest_first: bool) -> None:
    client = v2_api(newest_first)
    got = [
        i["audit_log_id"]
        for _p, items in iter_v2_pages(client, 1_699_999_999_000, 1_800_000_000_000, limit=10)
        for i in items
    ]
    assert sorted(got) == sorted(e["audit_log_id"] for e in ENTRIES)
    assert len(got) == len(set(got))


def test_v2_pager_stops_when_the_server_ignores_the_bounds() -> None:
    with pytest.raises(PaginationError, match="nothing new"):
        list(iter_v2_pages(v2_api(True, ignore_bounds=True), 0, 2_000_000_000_000, limit=10))

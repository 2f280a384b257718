"""Keyset pagination: complete walks, order, totals, and query-bound cursors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import FROZEN_NOW, Walk

from sandbox import SandboxServer

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
DAY = 86_400


def _keys(items: list[dict[str, Any]], id_field: str) -> list[tuple[int, Any]]:
    return [(item["created_at"], item[id_field]) for item in items]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_audit_walk_matches_ground_truth(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk, order: str
) -> None:
    items = walk(shared_client, AUDIT, order=order, first=200)
    ids = [item["audit_log_id"] for item in items]
    assert len(ids) == len(set(ids)), "duplicate ids across pages"
    assert set(ids) == shared_sandbox.world.audit_log_ids()
    keys = _keys(items, "audit_log_id")
    assert keys == sorted(keys, reverse=order == "desc")
    assert len(ids) > 20_000  # 30 days at ~1,200 a day


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_guardrail_walk_matches_ground_truth(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk, order: str
) -> None:
    items = walk(shared_client, GUARDRAILS, order=order, first=50)
    ids = [item["violation_id"] for item in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == shared_sandbox.world.violation_ids()
    keys = _keys(items, "violation_id")
    assert keys == sorted(keys, reverse=order == "desc")
    # violation ids rise with time
    ordered = sorted(items, key=lambda item: item["violation_id"])
    assert [i["created_at"] for i in ordered] == sorted(i["created_at"] for i in ordered)


def test_default_order_is_desc_and_first_is_100(shared_client: httpx.Client) -> None:
    page = shared_client.get(AUDIT).json()
    assert len(page["items"]) == 100
    created = [item["created_at"] for item in page["items"]]
    assert created == sorted(created, reverse=True)


def test_total_counts_every_matching_item(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    window = {"time_after": FROZEN_NOW - 3 * DAY, "time_before": FROZEN_NOW - DAY}
    page = shared_client.get(AUDIT, params={**window, "first": 5}).json()
    assert page["total"] == len(shared_sandbox.world.audit_log_ids(**window))
    everything = shared_client.get(AUDIT, params={"first": 1}).json()
    assert everything["total"] == len(shared_sandbox.world.audit_log_ids())


def test_windowed_walk_matches_ground_truth(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    window = {"time_after": FROZEN_NOW - 2 * DAY - 1234, "time_before": FROZEN_NOW - DAY + 77}
    items = walk(shared_client, AUDIT, order="asc", first=200, **window)
    assert {i["audit_log_id"] for i in items} == shared_sandbox.world.audit_log_ids(**window)


def test_last_page_has_no_cursor(shared_client: httpx.Client) -> None:
    window = {"time_after": FROZEN_NOW - 600, "time_before": FROZEN_NOW}
    page = shared_client.get(AUDIT, params={**window, "first": 200}).json()
    assert not page["has_next_page"]
    assert page["end_cursor"] is None


def test_empty_result(shared_client: httpx.Client) -> None:
    window = {"time_after": FROZEN_NOW + 3600, "time_before": FROZEN_NOW + 7200}
    page = shared_client.get(AUDIT, params=window).json()
    assert page == {"items": [], "end_cursor": None, "has_next_page": False, "total": 0}


def test_cursor_is_opaque_url_safe_text(shared_client: httpx.Client) -> None:
    cursor = shared_client.get(AUDIT, params={"first": 2}).json()["end_cursor"]
    assert isinstance(cursor, str)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))  # base64url, like the docs


@pytest.mark.parametrize(
    "changed",
    [
        {"first": 3},
        {"order": "asc"},
        {"action": "login"},
        {"time_after": FROZEN_NOW - DAY},
        {"time_after": FROZEN_NOW - DAY, "time_before": FROZEN_NOW},
    ],
)
def test_cursor_reused_with_another_query_is_400(
    shared_client: httpx.Client, changed: dict[str, Any]
) -> None:
    cursor = shared_client.get(AUDIT, params={"first": 2}).json()["end_cursor"]
    response = shared_client.get(AUDIT, params={"first": 2, **changed, "after": cursor})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert "does not belong to this query" in body["detail"]


def test_cursor_from_another_scope_is_400(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    org_id = shared_sandbox.world.roster.orgs[0].org_id
    cursor = shared_client.get(AUDIT, params={"first": 2}).json()["end_cursor"]
    org_path = f"/v3/enterprise/organizations/{org_id}/audit-logs"
    assert shared_client.get(org_path, params={"first": 2, "after": cursor}).status_code == 400
    assert shared_client.get(GUARDRAILS, params={"first": 2, "after": cursor}).status_code == 400


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ", "", "%%%"])
def test_malformed_cursor_is_400(shared_client: httpx.Client, cursor: str) -> None:
    response = shared_client.get(AUDIT, params={"first": 2, "after": cursor})
    if cursor == "":
        assert response.status_code == 200  # an empty `after` means "first page"
        return
    assert response.status_code == 400
    assert response.json()["title"] == "Bad Request"


def test_tampered_cursor_is_400(shared_client: httpx.Client) -> None:
    cursor = shared_client.get(AUDIT, params={"first": 2}).json()["end_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    forged = base64.urlsafe_b64encode(raw.replace(b'"t":17', b'"t":16')).rstrip(b"=").decode()
    assert shared_client.get(AUDIT, params={"first": 2, "after": forged}).status_code == 400


def test_cursor_from_another_server_is_400(
    make_sandbox: Callable[..., SandboxServer],
    sandbox_client_for: Callable[..., httpx.Client],
    shared_client: httpx.Client,
) -> None:
    other = sandbox_client_for(make_sandbox())
    cursor = other.get(AUDIT, params={"first": 2}).json()["end_cursor"]
    assert shared_client.get(AUDIT, params={"first": 2, "after": cursor}).status_code == 400


def test_cursor_is_valid_across_v3_and_v3beta1(shared_client: httpx.Client) -> None:
    first = shared_client.get(AUDIT, params={"first": 2}).json()
    beta = shared_client.get(
        "/v3beta1/enterprise/audit-logs", params={"first": 2, "after": first["end_cursor"]}
    )
    assert beta.status_code == 200
    again = shared_client.get(AUDIT, params={"first": 2, "after": first["end_cursor"]})
    assert beta.json()["items"] == again.json()["items"]


def test_resuming_a_cursor_continues_where_it_stopped(shared_client: httpx.Client) -> None:
    big = shared_client.get(AUDIT, params={"first": 10}).json()["items"]
    page1 = shared_client.get(AUDIT, params={"first": 5}).json()
    page2 = shared_client.get(AUDIT, params={"first": 5, "after": page1["end_cursor"]}).json()
    assert page1["items"] + page2["items"] == big


def test_burst_sharing_one_second_crosses_a_page_boundary(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    truth = shared_sandbox.world.audit_logs(time_after=FROZEN_NOW - 10 * DAY)
    seconds = [item["created_at"] for item in truth]
    # find a burst: >= 10 rows in one second
    burst_second = next(s for s in seconds if seconds.count(s) >= 10)
    start = seconds.index(burst_second)
    size = seconds.count(burst_second)
    # choose time_after so the 200-item page boundary falls inside the burst
    for back in range(195, 150, -1):
        time_after = seconds[start - back]
        preceding = sum(1 for s in seconds if time_after <= s < burst_second)
        if preceding < 200 < preceding + size:
            break
    else:
        pytest.fail("no window put the page boundary inside the burst")
    window = {"time_after": time_after, "time_before": burst_second + 60}
    page = shared_client.get(AUDIT, params={**window, "order": "asc", "first": 200}).json()
    assert page["items"][-1]["created_at"] == burst_second
    items = walk(shared_client, AUDIT, order="asc", first=200, **window)
    in_burst = [i["audit_log_id"] for i in items if i["created_at"] == burst_second]
    assert len(in_burst) == size == len(set(in_burst))
    assert {i["audit_log_id"] for i in items} == shared_sandbox.world.audit_log_ids(**window)


def test_new_events_arriving_mid_walk_are_picked_up(
    sandbox: SandboxServer, sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    http = sandbox_client_for(sandbox)
    window_start = FROZEN_NOW - 3 * 3600
    before = sandbox.world.audit_log_ids(time_after=window_start)
    seen: list[str] = []
    after = None
    advanced = False
    while True:
        params: dict[str, Any] = {"order": "asc", "first": 100, "time_after": window_start}
        if after:
            params["after"] = after
        page = http.get(AUDIT, params=params).json()
        seen += [item["audit_log_id"] for item in page["items"]]
        if not advanced:
            sandbox.clock.advance(1800)  # half an hour of new activity lands mid-walk
            advanced = True
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    new = set(seen) - before
    assert new, "events created after the walk started were not picked up"
    # what is missing can only be late arrivals timestamped before the cursor position
    missing = sandbox.world.audit_log_ids(time_after=window_start) - set(seen)
    assert len(missing) < len(new)

"""Filters and scopes: action, time window, session_id, guardrail_id, per-org paths."""

from __future__ import annotations

import httpx
import pytest
from conftest import FROZEN_NOW, Walk

from sandbox import SandboxServer

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
DAY = 86_400


@pytest.mark.parametrize("action", ["login", "update_ai_guardrail", "ai_guardrail_violation"])
def test_action_filter(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk, action: str
) -> None:
    items = walk(shared_client, AUDIT, action=action, first=200)
    assert items, f"no {action} events in 30 days"
    assert {i["action"] for i in items} == {action}
    truth = shared_sandbox.world.audit_logs(action=action)
    assert [i["audit_log_id"] for i in items] == [t["audit_log_id"] for t in reversed(truth)]
    assert shared_client.get(AUDIT, params={"action": action}).json()["total"] == len(truth)


def test_action_filter_with_no_match_is_empty_not_an_error(shared_client: httpx.Client) -> None:
    window = {"time_after": FROZEN_NOW - 60, "time_before": FROZEN_NOW}
    page = shared_client.get(AUDIT, params={**window, "action": "delete_org"}).json()
    assert page["items"] == [] and page["total"] == 0


def test_time_after_is_inclusive_and_time_before_exclusive(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    truth = shared_sandbox.world.audit_logs(time_after=FROZEN_NOW - DAY)
    edge = truth[len(truth) // 2]["created_at"]
    at_edge = {t["audit_log_id"] for t in truth if t["created_at"] == edge}
    after = walk(shared_client, AUDIT, time_after=edge, time_before=edge + 3600, first=200)
    assert at_edge <= {i["audit_log_id"] for i in after}
    before = walk(shared_client, AUDIT, time_after=edge - 3600, time_before=edge, first=200)
    assert not at_edge & {i["audit_log_id"] for i in before}
    assert all(edge - 3600 <= i["created_at"] < edge for i in before)


def test_window_of_exactly_100_days_is_accepted(shared_client: httpx.Client) -> None:
    params = {"time_after": FROZEN_NOW - 100 * DAY, "time_before": FROZEN_NOW, "first": 1}
    assert shared_client.get(AUDIT, params=params).status_code == 200


def test_time_after_alone_is_accepted(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    page = shared_client.get(AUDIT, params={"time_after": FROZEN_NOW - 3600}).json()
    assert page["total"] == len(shared_sandbox.world.audit_log_ids(time_after=FROZEN_NOW - 3600))


def test_guardrail_filters(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    everything = shared_sandbox.world.violations()
    guardrail_id = everything[0]["guardrail_id"]
    by_guardrail = walk(shared_client, GUARDRAILS, guardrail_id=guardrail_id, first=200)
    assert by_guardrail and {v["guardrail_id"] for v in by_guardrail} == {guardrail_id}
    assert len(by_guardrail) == sum(1 for v in everything if v["guardrail_id"] == guardrail_id)

    session_id = next(v["session_id"] for v in everything if v["session_id"])
    by_session = walk(shared_client, GUARDRAILS, session_id=session_id)
    assert by_session and {v["session_id"] for v in by_session} == {session_id}
    assert len(by_session) == sum(1 for v in everything if v["session_id"] == session_id)

    page = shared_client.get(GUARDRAILS, params={"session_id": "devin-nope"}).json()
    assert page["items"] == [] and page["total"] == 0


def test_guardrail_time_window(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    window = {"time_after": FROZEN_NOW - 5 * DAY, "time_before": FROZEN_NOW - 2 * DAY}
    items = walk(shared_client, GUARDRAILS, first=200, **window)
    assert {v["violation_id"] for v in items} == shared_sandbox.world.violation_ids(**window)
    assert all(window["time_after"] <= v["created_at"] < window["time_before"] for v in items)


def test_per_org_audit_scope(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    window = {"time_after": FROZEN_NOW - 2 * DAY, "time_before": FROZEN_NOW}
    enterprise = shared_sandbox.world.audit_logs(window["time_after"], window["time_before"])
    union: set[str] = set()
    for org in shared_sandbox.world.roster.orgs:
        for prefix in ("/v3", "/v3beta1"):
            path = f"{prefix}/enterprise/organizations/{org.org_id}/audit-logs"
            items = walk(shared_client, path, first=200, **window)
            assert {i["org_id"] for i in items} <= {org.org_id}
            ids = {i["audit_log_id"] for i in items}
            assert ids == {e["audit_log_id"] for e in enterprise if e["org_id"] == org.org_id}
        union |= ids
        total = shared_client.get(path, params={"first": 1}).json()["total"]
        assert total == len(shared_sandbox.world.audit_logs(org_id=org.org_id))
    enterprise_level = {e["audit_log_id"] for e in enterprise if e["org_id"] is None}
    assert enterprise_level, "expected some enterprise-level (org_id null) events"
    assert union | enterprise_level == {e["audit_log_id"] for e in enterprise}


def test_per_org_guardrail_scope(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    org_id = shared_sandbox.world.roster.orgs[0].org_id
    path = f"/v3beta1/enterprise/organizations/{org_id}/guardrail-violations"
    items = walk(shared_client, path, first=200)
    assert items and {v["org_id"] for v in items} == {org_id}
    assert len(items) == len(shared_sandbox.world.violations(org_id=org_id))


def test_per_org_filter_combines_with_action(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    org_id = shared_sandbox.world.roster.orgs[1].org_id
    path = f"/v3/enterprise/organizations/{org_id}/audit-logs"
    items = walk(shared_client, path, action="create_session", first=200)
    truth = shared_sandbox.world.audit_logs(org_id=org_id, action="create_session")
    assert {i["audit_log_id"] for i in items} == {t["audit_log_id"] for t in truth}
    page = shared_client.get(path, params={"action": "create_session", "first": 1}).json()
    assert page["total"] == len(truth)


@pytest.mark.parametrize(
    "path",
    [
        "/v3/enterprise/organizations/org-000000000000/audit-logs",
        "/v3beta1/enterprise/organizations/org-000000000000/audit-logs",
        "/v3beta1/enterprise/organizations/org-000000000000/guardrail-violations",
    ],
)
def test_unknown_org_is_404(shared_client: httpx.Client, path: str) -> None:
    response = shared_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "org-000000000000" in response.json()["detail"]


def test_no_time_filter_means_all_retained_history(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    oldest = shared_client.get(AUDIT, params={"order": "asc", "first": 1}).json()["items"][0]
    assert FROZEN_NOW - 30 * DAY <= oldest["created_at"] < FROZEN_NOW - 30 * DAY + 3600
    older = {"time_after": FROZEN_NOW - 60 * DAY, "time_before": FROZEN_NOW - 31 * DAY}
    assert shared_client.get(AUDIT, params=older).json()["total"] == 0

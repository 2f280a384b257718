"""Enrichment lookups: self, organizations, users, service users, sessions."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from conftest import FROZEN_NOW, Walk

from sandbox import SandboxServer
from sandbox.spec import (
    ORGANIZATION_FIELDS,
    SERVICE_USER_FIELDS,
    SESSION_FIELDS,
    SESSION_ORIGINS,
    SESSION_STATUS_DETAILS,
    SESSION_STATUSES,
    USER_FIELDS,
)


def test_organizations_list(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    orgs = walk(shared_client, "/v3/enterprise/organizations", first=2)
    assert len(orgs) == 6
    assert len({o["org_id"] for o in orgs}) == 6
    for org in orgs:
        assert tuple(org) == ORGANIZATION_FIELDS
        assert org["org_id"].startswith("org-") and len(org["org_id"]) == 16
        assert org["created_at"] <= org["updated_at"] < FROZEN_NOW
    assert {o["org_id"] for o in orgs} == shared_sandbox.world.org_ids()
    page = shared_client.get("/v3/enterprise/organizations").json()
    assert page["total"] == 6 and not page["has_next_page"] and page["end_cursor"] is None


def test_users_list_and_email_filter(shared_client: httpx.Client, walk: Walk) -> None:
    users = walk(shared_client, "/v3/enterprise/members/users", first=200)
    assert len(users) == 300
    assert len({u["user_id"] for u in users}) == 300
    assert len({u["email"] for u in users}) == 300
    for user in users:
        assert tuple(user) == USER_FIELDS
        assert user["email"].endswith("@example-corp.test")
        assert 2 <= len(user["role_assignments"]) <= 3  # enterprise role + 1-2 orgs
        for assignment in user["role_assignments"]:
            role = assignment["role"]
            assert set(role) == {"role_id", "role_name", "role_type"}
            assert (assignment["org_id"] is None) == (role["role_type"] == "enterprise")
    target = users[17]
    page = shared_client.get("/v3/enterprise/members/users", params={"email": target["email"]})
    assert page.json()["items"] == [target]
    upper = shared_client.get("/v3/enterprise/members/users", params={"email": "nobody@x.test"})
    assert upper.json()["items"] == []


def test_service_users_list(
    shared_sandbox: SandboxServer, shared_client: httpx.Client, walk: Walk
) -> None:
    service_users = walk(shared_client, "/v3/enterprise/members/service-users", first=3)
    assert len(service_users) == 5 + len(shared_sandbox.tokens)
    for su in service_users:
        assert tuple(su) == SERVICE_USER_FIELDS
        assert su["service_user_id"].startswith("service-user-")
    me = shared_client.get("/v3/self").json()
    assert me["service_user_id"] in {su["service_user_id"] for su in service_users}


def test_directory_cursors_are_query_bound(shared_client: httpx.Client) -> None:
    cursor = shared_client.get("/v3/enterprise/members/users", params={"first": 5}).json()[
        "end_cursor"
    ]
    again = shared_client.get("/v3/enterprise/members/users", params={"first": 6, "after": cursor})
    assert again.status_code == 400
    other = shared_client.get("/v3/enterprise/organizations", params={"first": 5, "after": cursor})
    assert other.status_code == 400


def test_sessions_resolve_for_ids_the_audit_log_emits(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    created = shared_sandbox.world.audit_logs(action="create_session")
    ids = sorted({item["data"]["session_id"] for item in created})
    found = 0
    missing = 0
    for session_id in ids[::7]:
        response = shared_client.get(f"/v3/enterprise/sessions/{session_id}")
        if response.status_code == 404:
            missing += 1
            assert response.headers["content-type"] == "application/problem+json"
            continue
        assert response.status_code == 200
        found += 1
        session = response.json()
        assert tuple(session) == SESSION_FIELDS
        assert session["session_id"] == session_id
        assert session["status"] in SESSION_STATUSES
        assert session["status_detail"] in SESSION_STATUS_DETAILS
        assert session["origin"] in SESSION_ORIGINS
        assert session["url"].endswith(session_id.removeprefix("devin-"))
        assert session["created_at"] <= session["updated_at"] <= FROZEN_NOW
        assert (session["user_id"] is None) or isinstance(session["user_id"], str)
        assert session["user_id"] or session["service_user_id"]
    assert found > 100
    # about 3% of sessions were deleted since
    assert 0 < missing / (found + missing) < 0.08


def test_session_matches_its_audit_events(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    for item in shared_sandbox.world.audit_logs(action="create_session")[:50]:
        response = shared_client.get(f"/v3/enterprise/sessions/{item['data']['session_id']}")
        if response.status_code == 404:
            continue
        session = response.json()
        assert session["org_id"] == item["org_id"]
        assert session["created_at"] == item["created_at"]
        assert session["service_user_id"] == item["service_user_id"]
        if item["user_id"]:
            assert session["user_id"] == item["user_id"]


def test_violation_sessions_resolve(
    shared_sandbox: SandboxServer, shared_client: httpx.Client
) -> None:
    statuses = set()
    for violation in shared_sandbox.world.violations()[:40]:
        if violation["session_id"] is None:
            continue
        response = shared_client.get(f"/v3/enterprise/sessions/{violation['session_id']}")
        statuses.add(response.status_code)
        if response.status_code == 200:
            assert response.json()["org_id"] == violation["org_id"]
    assert 200 in statuses and statuses <= {200, 404}


def test_session_org_id_param(shared_sandbox: SandboxServer, shared_client: httpx.Client) -> None:
    item = next(
        i
        for i in shared_sandbox.world.audit_logs(action="create_session")
        if shared_sandbox.world.session(i["data"]["session_id"])
    )
    path = f"/v3/enterprise/sessions/{item['data']['session_id']}"
    assert shared_client.get(path, params={"org_id": item["org_id"]}).status_code == 200
    other = next(o.org_id for o in shared_sandbox.world.roster.orgs if o.org_id != item["org_id"])
    assert shared_client.get(path, params={"org_id": other}).status_code == 404
    assert shared_client.get(path.replace("/v3/", "/v3beta1/")).status_code == 200


def test_unknown_sessions_are_404(shared_client: httpx.Client) -> None:
    for session_id in (
        "devin-0000000000000000000000000000000",
        "devin-abc123",
        "devin-fffff000000000000000000000000000",  # a day far in the future
        "not-a-session",
    ):
        response = shared_client.get(f"/v3/enterprise/sessions/{session_id}")
        assert response.status_code == 404
    response = shared_client.get("/v3/enterprise/sessions/0502b0e788667189bc855fd990b34277")
    assert "devin-" in response.json()["detail"]


def test_session_status_moves_with_the_clock(
    sandbox: SandboxServer, sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    http = sandbox_client_for(sandbox)
    recent = [
        i["data"]["session_id"]
        for i in sandbox.world.audit_logs(time_after=FROZEN_NOW - 600, action="create_session")
    ]
    running = [
        sid
        for sid in recent
        if (r := http.get(f"/v3/enterprise/sessions/{sid}")).status_code == 200
        and r.json()["status"] == "running"
    ]
    assert running, "expected a session started in the last 10 minutes to be running"
    sandbox.clock.advance(2 * 86_400)
    after = http.get(f"/v3/enterprise/sessions/{running[0]}").json()
    assert after["status"] in {"exit", "suspended", "error"}

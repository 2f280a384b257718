"""Authentication and permissions on every endpoint group; unknown paths and methods."""

from __future__ import annotations

import functools

import httpx
import pytest
from conftest import FROZEN_NOW

from sandbox import ADMIN_TOKEN, SandboxServer, World
from sandbox.credentials import LEGACY_TOKENS

# (path, token name lacking its permission, permission named in the 403)
ENDPOINTS = [
    ("/v3/enterprise/audit-logs", "no_audit", "ManageEnterpriseSettings"),
    ("/v3beta1/enterprise/audit-logs", "no_audit", "ManageEnterpriseSettings"),
    ("/v3/enterprise/organizations/{org}/audit-logs", "no_audit", "ManageEnterpriseSettings"),
    ("/v3beta1/enterprise/guardrail-violations", "no_audit", "ManageEnterpriseSettings"),
    (
        "/v3beta1/enterprise/organizations/{org}/guardrail-violations",
        "no_audit",
        "ManageEnterpriseSettings",
    ),
    ("/v3/enterprise/organizations", "no_orgs", "ManageOrganizations"),
    ("/v3/enterprise/members/users", "no_members", "ManageAccountMembership"),
    ("/v3/enterprise/members/service-users", "no_members", "ManageAccountMembership"),
    ("/v3/enterprise/sessions/{session}", "no_sessions", "ViewAccountSessions"),
    ("/v3/self", "self_only", None),
]


@functools.cache
def _live_session(world: World) -> str:
    return next(
        item["data"]["session_id"]
        for item in world.audit_logs(time_after=FROZEN_NOW - 86_400, action="create_session")
        if world.session(item["data"]["session_id"]) is not None
    )


def _path(template: str, sandbox: SandboxServer) -> str:
    session = _live_session(sandbox.world)
    return template.format(org=sandbox.world.roster.orgs[0].org_id, session=session)


def _get(sandbox: SandboxServer, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(sandbox.url + path, headers=headers, timeout=10)


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    return dict(body)


@pytest.mark.parametrize(("template", "token_name", "permission"), ENDPOINTS)
def test_each_endpoint_enforces_auth(
    shared_sandbox: SandboxServer, template: str, token_name: str, permission: str | None
) -> None:
    path = _path(template, shared_sandbox)
    ok = _get(shared_sandbox, path, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code == 200, ok.text

    missing = _assert_problem(_get(shared_sandbox, path, {}), 401)
    assert "Bearer" in str(missing["detail"])
    assert _get(shared_sandbox, path, {}).headers["www-authenticate"].startswith("Bearer")

    bad = _get(shared_sandbox, path, {"Authorization": "Bearer cog_not_a_real_token"})
    _assert_problem(bad, 401)
    wrong_scheme = _get(shared_sandbox, path, {"Authorization": f"Basic {ADMIN_TOKEN}"})
    _assert_problem(wrong_scheme, 401)

    for legacy in LEGACY_TOKENS.values():
        response = _get(shared_sandbox, path, {"Authorization": f"Bearer {legacy}"})
        detail = str(_assert_problem(response, 401)["detail"])
        assert "cog_" in detail and "v3" in detail

    lacking = shared_sandbox.tokens[token_name]
    response = _get(shared_sandbox, path, {"Authorization": f"Bearer {lacking}"})
    if permission is None:
        assert response.status_code == 200  # ReadAccountMeta is enough for /v3/self
    else:
        assert permission in str(_assert_problem(response, 403)["detail"])


def test_tokens_map(shared_sandbox: SandboxServer) -> None:
    tokens = shared_sandbox.tokens
    assert tokens["admin"] == shared_sandbox.admin_token == ADMIN_TOKEN
    assert {"admin", "no_audit", "no_members", "no_sessions", "no_orgs"} <= set(tokens)
    assert all(token.startswith("cog_") for token in tokens.values())
    assert len(set(tokens.values())) == len(tokens)


def test_self_names_the_principal_of_each_token(shared_sandbox: SandboxServer) -> None:
    names = set()
    for token in shared_sandbox.tokens.values():
        body = _get(shared_sandbox, "/v3/self", {"Authorization": f"Bearer {token}"}).json()
        assert body["principal_type"] == "service_user"
        assert body["org_id"] is None
        assert body["service_user_id"].startswith("service-user-")
        names.add(body["service_user_name"])
    assert len(names) == len(shared_sandbox.tokens)


def test_guardrails_have_no_v3_path(
    shared_client: httpx.Client, shared_sandbox: SandboxServer
) -> None:
    org_id = shared_sandbox.world.roster.orgs[0].org_id
    for path in (
        "/v3/enterprise/guardrail-violations",
        f"/v3/enterprise/organizations/{org_id}/guardrail-violations",
    ):
        response = shared_client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/v3/organizations/org-abc/audit-logs",  # not documented, treated as nonexistent
        "/v2/enterprise/sessions",  # v2 beyond the audit log is not simulated
        "/v3/enterprise/audit-log",
        "/",
        "/v3/enterprise/audit-logs/extra",
    ],
)
def test_unknown_paths_are_404_even_without_auth(shared_sandbox: SandboxServer, path: str) -> None:
    _assert_problem(_get(shared_sandbox, path, {}), 404)


def test_wrong_method_is_405(shared_client: httpx.Client) -> None:
    response = shared_client.post("/v3/enterprise/audit-logs")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_admin_routes_need_the_admin_token(shared_sandbox: SandboxServer) -> None:
    no_audit = {"Authorization": f"Bearer {shared_sandbox.tokens['no_audit']}"}
    assert _get(shared_sandbox, "/_sandbox/faults", no_audit).status_code == 403
    assert _get(shared_sandbox, "/_sandbox/clock", {}).status_code == 401
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert _get(shared_sandbox, "/_sandbox/clock", admin).json()["frozen"] is True
    assert _get(shared_sandbox, "/_sandbox/health", {}).json() == {"status": "ok"}

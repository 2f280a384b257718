"""Conformance: served shapes equal the documented ones, and spec.py equals devin-api.md."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from conftest import Walk

from sandbox import SandboxServer, spec
from sandbox.activity import covered_actions

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
# The fact sheet lives beside the checkout (../shared); a copy under tests/data lets a clean
# clone in CI, where ../shared is absent, hold the sandbox to it too.
SHARED_DOC = Path(__file__).resolve().parents[2] / "shared" / "devin-api.md"
VENDORED_DOC = Path(__file__).resolve().parent / "data" / "devin-api.md"
HEX = re.compile(r"[0-9a-f]+")


# -- served responses ----------------------------------------------------------------------------


def test_audit_items_conform(shared_client: httpx.Client, walk: Walk) -> None:
    items = walk(shared_client, AUDIT, first=200, time_after=1_773_241_200 - 3 * 86_400)
    assert items
    for item in items:
        assert tuple(item) == spec.AUDIT_LOG_FIELDS
        assert item["action"] in spec.AUDIT_ACTION_SET
        assert item["audit_log_id"].startswith(spec.AUDIT_LOG_ID_PREFIX)
        suffix = item["audit_log_id"].removeprefix(spec.AUDIT_LOG_ID_PREFIX)
        assert len(suffix) == 32 and HEX.fullmatch(suffix)
        assert isinstance(item["created_at"], int) and 1e9 < item["created_at"] < 1e10  # seconds
        assert isinstance(item["data"], dict)
        for field in spec.AUDIT_LOG_FIELDS:
            if item[field] is None:
                assert field in spec.AUDIT_LOG_NULLABLE
        if item["org_id"] is not None:
            assert item["org_id"].startswith(spec.ORG_ID_PREFIX)
        if item["service_user_id"] is not None:
            assert item["service_user_id"].startswith(spec.SERVICE_USER_ID_PREFIX)
            assert item["user_id"] is None and item["service_user_name"]
        if item["user_id"] is not None:
            assert item["user_email"] and item["service_user_id"] is None
        session_id = item["data"].get("session_id")
        if session_id is not None:
            assert session_id.startswith(spec.SESSION_ID_PREFIX)


def test_guardrail_items_conform(shared_client: httpx.Client, walk: Walk) -> None:
    items = walk(shared_client, GUARDRAILS, first=200)
    assert items
    for item in items:
        assert tuple(item) == spec.GUARDRAIL_VIOLATION_FIELDS
        assert isinstance(item["violation_id"], int) and not isinstance(item["violation_id"], bool)
        assert item["action_taken"] in spec.ACTION_TAKEN
        assert 0 <= item["confidence_score"] <= 1
        assert item["org_id"].startswith(spec.ORG_ID_PREFIX)
        assert item["session_id"] is None or item["session_id"].startswith(spec.SESSION_ID_PREFIX)
        for field in spec.GUARDRAIL_VIOLATION_FIELDS:
            if item[field] is None:
                assert field in spec.GUARDRAIL_VIOLATION_NULLABLE
        assert all(isinstance(item[k], str) for k in ("event_id", "guardrail_id", "reasoning"))
    assert {i["action_taken"] for i in items} == set(spec.ACTION_TAKEN)


def test_envelopes_conform(shared_client: httpx.Client) -> None:
    for path in (AUDIT, GUARDRAILS, "/v3/enterprise/organizations", "/v3/enterprise/members/users"):
        page = shared_client.get(path, params={"first": 1}).json()
        assert tuple(page) == spec.ENVELOPE_FIELDS
        assert isinstance(page["has_next_page"], bool) and isinstance(page["total"], int)


def test_error_bodies_are_problem_details(shared_client: httpx.Client) -> None:
    for response in (
        shared_client.get(AUDIT, params={"first": 0}),
        shared_client.get("/nope"),
        shared_client.get(AUDIT, params={"after": "bad"}),
        httpx.get(str(shared_client.base_url) + AUDIT),
    ):
        assert response.headers["content-type"] == spec.PROBLEM_CONTENT_TYPE
        body = response.json()
        assert set(spec.PROBLEM_FIELDS) <= set(body)
        assert body["status"] == response.status_code
        assert ("errors" in body) == (response.status_code == 422)


def test_self_conforms(shared_client: httpx.Client) -> None:
    assert tuple(shared_client.get("/v3/self").json()) == spec.SELF_FIELDS


def test_every_action_of_the_world_is_documented_and_every_documented_one_can_occur(
    shared_sandbox: SandboxServer,
) -> None:
    assert covered_actions() == spec.AUDIT_ACTION_SET
    seen = {item["action"] for item in shared_sandbox.world.audit_logs()}
    assert seen <= spec.AUDIT_ACTION_SET
    assert len(seen) > 70  # rare admin actions need more than 30 days to all appear


# -- spec.py against the fact sheet --------------------------------------------------------------


@pytest.fixture(scope="module")
def doc() -> str:
    return (SHARED_DOC if SHARED_DOC.exists() else VENDORED_DOC).read_text(encoding="utf-8")


def test_the_vendored_fact_sheet_is_current() -> None:
    if not SHARED_DOC.exists():
        pytest.skip(f"no {SHARED_DOC} beside this checkout: the vendored copy is all there is")
    assert VENDORED_DOC.read_bytes() == SHARED_DOC.read_bytes(), (
        f"{SHARED_DOC} changed: copy it to {VENDORED_DOC} and rerun the conformance tests"
    )


def _between(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def _table_first_column(section: str) -> list[str]:
    names = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and re.fullmatch(r"`[^`]+`", cells[0]):
            names.append(cells[0].strip("`"))
    return names


def _table_nullable(section: str) -> set[str]:
    nullable = set()
    for line in section.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 3 and re.fullmatch(r"`[^`]+`", cells[0]):
            if cells[2].strip("*").lower() == "yes":
                nullable.add(cells[0].strip("`"))
    return nullable


def test_snapshot_enum_matches_doc(doc: str) -> None:
    section = _between(doc, "**(a)", "**(b)")
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    values = re.findall(r"`([a-z0-9_]+)`", table)
    assert len(values) == 97
    assert tuple(values) == spec.AUDIT_ACTIONS_SNAPSHOT


def test_newer_enum_values_match_doc(doc: str) -> None:
    section = _between(doc, "**(b)", "**More values")
    bullets = [line for line in section.splitlines() if line.startswith("* ")]
    values = [v for line in bullets for v in re.findall(r"`([a-z0-9_]+)`", line)]
    assert tuple(values) == spec.AUDIT_ACTIONS_NEWER
    assert len(spec.AUDIT_ACTIONS) == len(spec.AUDIT_ACTION_SET) == 110


def test_audit_fields_match_doc(doc: str) -> None:
    section = _between(doc, "### 1.3", "### 1.4")
    table = section[: section.index("* The earliest")]
    assert tuple(_table_first_column(table)) == spec.AUDIT_LOG_FIELDS
    assert _table_nullable(table) == spec.AUDIT_LOG_NULLABLE


def test_guardrail_fields_match_doc(doc: str) -> None:
    section = _between(doc, "### 2.3", "### 2.4")
    assert tuple(_table_first_column(section)) == spec.GUARDRAIL_VIOLATION_FIELDS
    assert _table_nullable(section) == spec.GUARDRAIL_VIOLATION_NULLABLE
    action_row = next(line for line in section.splitlines() if line.startswith("| `action_taken`"))
    assert tuple(re.findall(r"`([a-z_]+)`", action_row.split("Documented values")[1])) == (
        spec.ACTION_TAKEN
    )


def test_session_fields_match_doc(doc: str) -> None:
    section = _between(doc, "**`SessionResponse` fields**", "There is also")
    documented = _table_first_column(section)
    # is_advanced is "not in the current docs SDK SessionResponse"; the sandbox omits it.
    assert tuple(f for f in documented if f != "is_advanced") == spec.SESSION_FIELDS
    status_row = next(line for line in section.splitlines() if line.startswith("| `status` "))
    assert tuple(re.findall(r"`([a-z_]+)`", status_row)[1:-1]) == spec.SESSION_STATUSES
    origins = _between(doc, "Current docs SDK `Origin`", "It looks as if")
    assert tuple(re.findall(r"`([a-z_]+)`", origins)) == spec.SESSION_ORIGINS


def test_enrichment_fields_match_doc(doc: str) -> None:
    orgs = _between(doc, "### 3.2", "### 3.3")
    org_line = next(line for line in orgs.splitlines() if "Item fields" in line)
    assert tuple(re.findall(r"`([a-z_]+)` \(", org_line)) == spec.ORGANIZATION_FIELDS
    users = _between(doc, "### 3.3", "### 3.4")
    user_line = next(line for line in users.splitlines() if "User fields" in line)
    assert tuple(re.findall(r"`([a-z_]+)(?:\[\])?`", user_line)) == spec.USER_FIELDS
    service = _between(doc, "### 3.4", "### 3.5")
    fields_line = next(line for line in service.splitlines() if "Fields:" in line)
    assert tuple(re.findall(r"`([a-z_]+)(?:\[\])?`", fields_line)) == spec.SERVICE_USER_FIELDS
    self_section = _between(doc, "### 3.5", "### 3.6")
    self_fields = re.findall(r"^  \* `([a-z_]+)`", self_section, flags=re.MULTILINE)
    assert tuple(self_fields) == spec.SELF_FIELDS


def test_permissions_and_limits_match_doc(doc: str) -> None:
    section = _between(doc, "### 0.3", "### 0.4")
    documented = set(_table_first_column(section))
    assert documented <= set(spec.PERMISSIONS)
    assert set(spec.PERMISSIONS) - documented == {"ViewAccountMembership"}
    assert "`ViewAccountMembership`" in section
    envelope = _between(doc, "### 0.4", "## 1. Audit logs")
    assert tuple(_table_first_column(envelope)) == spec.ENVELOPE_FIELDS
    assert "default `100`, range `1 <= first <= 200`" in envelope
    assert (spec.FIRST_DEFAULT, spec.FIRST_MIN, spec.FIRST_MAX) == (100, 1, 200)
    assert "must be **≤ 100 days**" in doc and spec.MAX_WINDOW_SECONDS == 100 * 86_400
    problem = _between(doc, "**v3 error body: `ProblemDetail`**", "**v2 (and earlier v3) 422")
    assert set(spec.PROBLEM_FIELDS) | {"errors"} == set(_table_first_column(problem))

"""The legacy v2 audit log: the sandbox's endpoint over real HTTP, and a v2 run end to end."""

from __future__ import annotations

import httpx

from pipeline.extract.windows import DAY
from sandbox.credentials import LEGACY_TOKENS
from tests.helpers import lake_column, runner_for

V2 = "/v2/enterprise/audit-logs"


def test_v2_takes_only_an_enterprise_admins_personal_key(sandbox) -> None:
    ok = httpx.get(
        sandbox.url + V2,
        params={"limit": 5},
        headers={"Authorization": f"Bearer {LEGACY_TOKENS['apk_user']}"},
    )
    assert ok.status_code == 200
    entries = ok.json()["audit_logs"]
    assert len(entries) == 5
    assert all(e["created_at"] > 1e12 for e in entries)  # milliseconds
    assert [e["created_at"] for e in entries] == sorted(
        (e["created_at"] for e in entries), reverse=True
    )
    assert "data" not in entries[0]  # flat, as v2 documents
    for token in (sandbox.admin_token, LEGACY_TOKENS["apk"]):
        denied = httpx.get(sandbox.url + V2, headers={"Authorization": f"Bearer {token}"})
        assert denied.status_code == 401 and "apk_user_" in denied.json()["detail"]
    bad = httpx.get(
        sandbox.url + V2,
        params={"limit": "x"},
        headers={"Authorization": f"Bearer {LEGACY_TOKENS['apk_user']}"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]


def test_a_legacy_v2_run_lands_the_same_audit_log(sandbox, tmp_path) -> None:
    token = LEGACY_TOKENS["apk_user"]
    with runner_for(sandbox, tmp_path, token=token, initial_days=3, legacy_v2=True) as runner:
        summary = runner.run()
    start = int(sandbox.clock.now()) + 1 - 3 * DAY
    expected = sandbox.world.audit_log_ids(time_after=start)
    assert summary.new_rows["audit_logs"] == len(expected)
    assert set(lake_column(tmp_path, "audit_logs", "audit_log_id")) == expected
    years = {t.year for t in lake_column(tmp_path, "audit_logs", "created_at")}
    assert years <= {2026}  # milliseconds were read as milliseconds
    assert any("no guardrail violations" in w for w in summary.dimensions.warnings)

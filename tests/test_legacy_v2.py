"""The legacy v2 audit log: the sandbox's endpoint over real HTTP, and a v2 run end to end."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from pipeline.config import Settings
from pipeline.extract.client import DevinClient, RetryPolicy, make_http_client
from pipeline.extract.windows import DAY
from pipeline.runner import Runner
from queries.lake import connect
from sandbox.credentials import LEGACY_TOKENS

V2 = "/v2/enterprise/audit-logs"


def test_v2_takes_only_an_enterprise_admins_personal_key(sandbox) -> None:
    ok = httpx.get(sandbox.url + V2, params={"limit": 5},
                   headers={"Authorization": f"Bearer {LEGACY_TOKENS['apk_user']}"})
    assert ok.status_code == 200
    entries = ok.json()["audit_logs"]
    assert len(entries) == 5
    assert all(e["created_at"] > 1e12 for e in entries)  # milliseconds
    assert [e["created_at"] for e in entries] == sorted((e["created_at"] for e in entries),
                                                        reverse=True)
    assert "data" not in entries[0]  # flat, as v2 documents
    for token in (sandbox.admin_token, LEGACY_TOKENS["apk"]):
        denied = httpx.get(sandbox.url + V2, headers={"Authorization": f"Bearer {token}"})
        assert denied.status_code == 401 and "apk_user_" in denied.json()["detail"]
    bad = httpx.get(sandbox.url + V2, params={"limit": "x"},
                    headers={"Authorization": f"Bearer {LEGACY_TOKENS['apk_user']}"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]


def test_a_legacy_v2_run_lands_the_same_audit_log(sandbox, tmp_path) -> None:
    token = LEGACY_TOKENS["apk_user"]
    settings = Settings(api_url=sandbox.url, api_token=SecretStr(token), lake=tmp_path,
                        initial_days=3, legacy_v2=True)
    http = make_http_client(sandbox.url, token, 30)
    with http:
        summary = Runner(settings, DevinClient(http, retry=RetryPolicy(max_retries=1)),
                         now=sandbox.clock.now).run()
    start = int(sandbox.clock.now()) + 1 - 3 * DAY
    expected = sandbox.world.audit_log_ids(time_after=start)
    assert summary.new_rows["audit_logs"] == len(expected)
    con = connect(tmp_path)
    try:
        rows = con.execute("SELECT audit_log_id, created_at, data FROM audit_logs").fetchall()
    finally:
        con.close()
    assert {r[0] for r in rows} == expected
    assert rows[0][1].year >= 2026  # milliseconds were read as milliseconds
    assert any("dev" in warning for warning in summary.dimensions.warnings) or \
        summary.dimensions.warnings  # says what v2 cannot do

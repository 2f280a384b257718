"""The synthetic enterprise: determinism, realism, cross-source consistency, throughput."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import FROZEN_NOW, SMALL_HISTORY_DAYS, Walk

from sandbox import SandboxConfig, SandboxServer, World
from sandbox.activity import DAY, session_day
from sandbox.clock import Clock
from sandbox.world import Selection

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
SESSION_ACTIONS = {"create_session", "send_message", "sleep_session", "terminate_session"}


def _world(**overrides: object) -> World:
    values = {"seed": 7, "history_days": 10, "clock_start": FROZEN_NOW, **overrides}
    config = SandboxConfig.model_validate(values)
    return World(config, Clock(config.clock_start))


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_same_data_over_http(
    make_sandbox: Callable[..., SandboxServer],
    sandbox_client_for: Callable[..., httpx.Client],
    walk: Walk,
) -> None:
    window = {"time_after": FROZEN_NOW - 2 * DAY, "time_before": FROZEN_NOW}
    pages = []
    for seed in (7, 7, 8):
        http = sandbox_client_for(make_sandbox(seed=seed, history_days=3))
        pages.append(
            (
                walk(http, AUDIT, first=200, **window),
                walk(http, GUARDRAILS, first=200, **window),
                walk(http, "/v3/enterprise/members/users", first=200),
            )
        )
    assert pages[0] == pages[1]
    assert pages[0][0] != pages[2][0] and pages[0][2] != pages[2][2]


def test_days_do_not_depend_on_generation_order_or_eviction() -> None:
    ordered = _world()
    day = FROZEN_NOW // DAY - 4
    expected = [ordered.bucket("audit", d).rows for d in range(day - 3, day + 1)]
    shuffled = _world(cache_days=2)
    got = [shuffled.bucket("audit", d).rows for d in (day, day - 2, day - 3, day - 1)]
    by_day = dict(zip((day, day - 2, day - 3, day - 1), got, strict=True))
    assert [by_day[d] for d in range(day - 3, day + 1)] == expected
    assert len(shuffled._days) <= 3  # LRU held


def test_small_cache_serves_the_same_history() -> None:
    roomy, tight = _world(), _world(cache_days=2)
    assert roomy.audit_log_ids() == tight.audit_log_ids()
    assert roomy.violations() == tight.violations()
    assert roomy.count(Selection("audit", tag="login")) == tight.count(
        Selection("audit", tag="login")
    )


# -- realism ----------------------------------------------------------------------------------


def test_volume_and_mix(shared_sandbox: SandboxServer) -> None:
    items = shared_sandbox.world.audit_logs()
    per_day = Counter(item["created_at"] // DAY for item in items)
    full_days = [n for d, n in per_day.items() if d not in (min(per_day), max(per_day))]
    assert 900 <= statistics.mean(full_days) <= 1500
    weekday = [n for d, n in per_day.items() if (d + 3) % 7 < 5 and n in full_days]
    weekend = [n for d, n in per_day.items() if (d + 3) % 7 >= 5 and n in full_days]
    assert statistics.mean(weekday) > 2 * statistics.mean(weekend)

    actions = Counter(item["action"] for item in items)
    dominant = sum(actions[a] for a in SESSION_ACTIONS | {"login", "search_query"})
    assert dominant / len(items) > 0.75
    assert actions["login"] > actions["create_knowledge"] > actions["update_ai_guardrail"]
    assert actions["update_ai_guardrail"] < 0.005 * len(items)

    hours = Counter(item["created_at"] % DAY // 3600 for item in items)
    assert hours[15] > 3 * hours[4]  # working hours

    assert any(i["org_id"] is None for i in items)  # enterprise-level
    by_service = [i for i in items if i["service_user_id"]]
    assert by_service and all(i["user_id"] is None for i in by_service)
    assert any(i["user_id"] is None and i["service_user_id"] is None for i in items)  # system


def test_bursts_share_one_second(shared_sandbox: SandboxServer) -> None:
    seconds = Counter(item["created_at"] for item in shared_sandbox.world.audit_logs())
    bursts = [n for n in seconds.values() if n >= 5]
    assert len(bursts) >= 5 and max(bursts) >= 20


def test_late_arrivals_fraction(shared_sandbox: SandboxServer) -> None:
    world = shared_sandbox.world
    rows = [
        r
        for d in range(FROZEN_NOW // DAY - 10, FROZEN_NOW // DAY)
        for r in world.bucket("audit", d).rows
    ]
    delays = [r.visible_at - r.created_at for r in rows]
    late = [d for d in delays if d > 2]
    assert 0.015 < len(late) / len(rows) < 0.05
    assert max(delays) <= 900 and min(delays) >= 0


def test_violations_per_day_and_fields(shared_sandbox: SandboxServer) -> None:
    violations = shared_sandbox.world.violations()
    assert 10 <= len(violations) / SMALL_HISTORY_DAYS <= 40
    names = Counter(v["guardrail_name"] for v in violations)
    assert {"Prompt Injection", "Data Exfiltration", "Secrets in Prompt"} <= set(names)
    assert any(v["session_id"] is None for v in violations)
    assert len({v["event_id"] for v in violations}) == len(violations)


SECRET_SHAPES = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ghp_[A-Za-z0-9]{36}"),
    re.compile(r"xox[bp]-[^\s]+"),
    re.compile(r"sk_(?:live|test)_[^\s]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"://[^/\s:@]+:[^@\s]+@"),
    re.compile(r"aws_secret_access_key=\S+"),
]


def test_every_secret_in_a_message_is_visibly_fake(shared_sandbox: SandboxServer) -> None:
    found = 0
    for violation in shared_sandbox.world.violations():
        message = violation["user_message"]
        for shape in SECRET_SHAPES:
            for match in shape.finditer(message):
                found += 1
                start = max(0, match.start() - 5)
                window = message[start : match.end() + 40]
                assert "FAKE" in window or "EXAMPLE" in window, window
    assert found >= 10, "expected messages carrying fake secrets"


def test_each_violation_appears_in_the_audit_log(shared_sandbox: SandboxServer) -> None:
    audit = shared_sandbox.world.audit_logs(action="ai_guardrail_violation")
    violations = shared_sandbox.world.violations()
    assert len(audit) == len(violations)
    unmatched = list(audit)
    for violation in violations:
        match = next(
            a
            for a in unmatched
            if a["org_id"] == violation["org_id"]
            and a["data"]["session_id"] == violation["session_id"]
            and a["data"]["guardrail_id"] == violation["guardrail_id"]
            and a["data"]["action_taken"] == violation["action_taken"]
            and 0 <= a["created_at"] - violation["created_at"] <= 2
        )
        unmatched.remove(match)
        assert "violation_id" not in match["data"]
        assert match["data"]["guardrail_name"] == violation["guardrail_name"]
        assert match["user_id"] or match["service_user_id"]


def test_violation_actor_is_the_sessions_user(shared_sandbox: SandboxServer) -> None:
    world = shared_sandbox.world
    audit = world.audit_logs(action="ai_guardrail_violation")
    checked = 0
    for event in audit:
        session_id = event["data"]["session_id"]
        session = world.session(session_id) if session_id else None
        if session is None:
            continue
        if event["service_user_id"]:
            assert event["service_user_id"] == session["service_user_id"]
        else:
            assert event["user_id"] == session["user_id"]
        checked += 1
    assert checked > 50


def test_session_ids_encode_their_day(shared_sandbox: SandboxServer) -> None:
    for item in shared_sandbox.world.audit_logs(action="create_session")[:200]:
        day = session_day(item["data"]["session_id"])
        assert day is not None and day <= item["created_at"] // DAY
    assert session_day("devin-abc") is None and session_day("org-x") is None


def test_directory_is_consistent_with_events(shared_sandbox: SandboxServer) -> None:
    roster = shared_sandbox.world.roster
    users = {u.user_id: u for u in roster.users}
    orgs = {o.org_id for o in roster.orgs}
    service = {s.service_user_id: s for s in roster.service_users}
    for item in shared_sandbox.world.audit_logs(time_after=FROZEN_NOW - DAY):
        if item["user_id"]:
            user = users[item["user_id"]]
            assert item["user_email"] == user.email
            if item["org_id"] and item["action"] in SESSION_ACTIONS:
                assert item["org_id"] in user.org_ids
        if item["service_user_id"]:
            assert item["service_user_name"] == service[item["service_user_id"]].name
        assert item["org_id"] is None or item["org_id"] in orgs


# -- throughput --------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc"])
def test_throughput_over_loopback(shared_client: httpx.Client, order: str) -> None:
    shared_client.get(AUDIT, params={"first": 1})  # warm the day cache
    started = time.perf_counter()
    served = 0
    after = None
    while served < 20_000:
        params: dict[str, Any] = {"first": 200, "order": order}
        if after:
            params["after"] = after
        page = shared_client.get(AUDIT, params=params).json()
        served += len(page["items"])
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    rate = served / (time.perf_counter() - started)
    assert rate > 5_000, f"{rate:.0f} items/s"

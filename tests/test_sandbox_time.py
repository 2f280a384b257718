"""Time: late arrivals, new events as the clock moves, retention, the real-time clock."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from conftest import FROZEN_NOW, Walk

from sandbox import SandboxServer
from sandbox.clock import Clock

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
DAY = 86_400


def test_late_events_are_invisible_until_their_time(
    make_sandbox: Callable[..., SandboxServer],
    sandbox_client_for: Callable[..., httpx.Client],
    walk: Walk,
) -> None:
    # At the default 3% only ~0.4 late events are in flight at any moment; raise the rate.
    sandbox = make_sandbox(late_fraction=0.3, history_days=2)
    http = sandbox_client_for(sandbox)
    pending = sandbox.world.pending("audit")
    late = [(seen, item) for seen, item in pending if seen - item["created_at"] > 2]
    assert late, "expected late arrivals around now"
    visible_at, item = min(late, key=lambda pair: pair[0])
    window = {"time_after": item["created_at"], "time_before": item["created_at"] + 1}
    ids = {i["audit_log_id"] for i in walk(http, AUDIT, **window)}
    assert item["audit_log_id"] not in ids  # timestamped in the past, not served yet

    sandbox.clock.advance(visible_at - sandbox.clock.now())
    ids = {i["audit_log_id"] for i in walk(http, AUDIT, **window)}
    assert item["audit_log_id"] in ids
    assert item["audit_log_id"] in sandbox.world.audit_log_ids(**window)


def test_nothing_is_visible_before_its_visible_at(
    make_sandbox: Callable[..., SandboxServer],
    sandbox_client_for: Callable[..., httpx.Client],
    walk: Walk,
) -> None:
    sandbox = make_sandbox(late_fraction=0.5, history_days=2)
    pending = sandbox.world.pending("audit") + sandbox.world.pending("guardrail")
    assert pending
    assert all(item["created_at"] <= FROZEN_NOW < seen for seen, item in pending)
    pending_ids = {item.get("audit_log_id", item.get("violation_id")) for _, item in pending}
    http = sandbox_client_for(sandbox)
    window = {"time_after": FROZEN_NOW - 3600}
    served = {i["audit_log_id"] for i in walk(http, AUDIT, first=200, **window)}
    served |= {v["violation_id"] for v in walk(http, GUARDRAILS, first=200, **window)}
    assert not pending_ids & served


def test_new_events_appear_after_the_clock_advances(
    sandbox: SandboxServer, sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    http = sandbox_client_for(sandbox)
    recent = {"time_after": FROZEN_NOW - DAY, "first": 1}  # clear of the retention edge
    before = http.get(AUDIT, params=recent).json()
    sandbox.clock.advance(3600)
    after = http.get(AUDIT, params=recent).json()
    assert after["total"] > before["total"]
    newest = after["items"][0]
    assert FROZEN_NOW < newest["created_at"] <= FROZEN_NOW + 3600


def test_new_violations_appear_over_a_day(
    sandbox: SandboxServer, sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    http = sandbox_client_for(sandbox)
    window = {"time_after": FROZEN_NOW, "time_before": FROZEN_NOW + DAY}
    assert http.get(GUARDRAILS, params=window).json()["total"] == 0
    sandbox.clock.advance(DAY)
    page = http.get(GUARDRAILS, params=window).json()
    assert 5 <= page["total"] <= 80


def test_history_ages_out_of_retention(
    make_sandbox: Callable[..., SandboxServer], sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    sandbox = make_sandbox(history_days=3)
    http = sandbox_client_for(sandbox)
    oldest = http.get(AUDIT, params={"order": "asc", "first": 1}).json()["items"][0]
    sandbox.clock.advance(2 * DAY)
    window = {"time_after": oldest["created_at"], "time_before": oldest["created_at"] + 1}
    assert http.get(AUDIT, params=window).json()["total"] == 0


def test_clock_modes() -> None:
    frozen = Clock(100.0)
    assert frozen.frozen and frozen.now() == 100.0
    assert frozen.advance(5) == 105.0
    real = Clock()
    assert not real.frozen
    assert abs(real.now() - time.time()) < 1
    real.advance(3600)
    assert 3599 < real.now() - time.time() < 3601


def test_real_time_sandbox_serves_recent_events(
    make_sandbox: Callable[..., SandboxServer], sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    server = make_sandbox(clock_start=None, history_days=3)
    http = sandbox_client_for(server)
    page = http.get(AUDIT, params={"first": 5}).json()
    assert page["items"]
    assert all(item["created_at"] <= time.time() for item in page["items"])
    assert page["items"][0]["created_at"] > time.time() - DAY


def test_clock_admin_route(
    sandbox: SandboxServer, sandbox_client_for: Callable[..., httpx.Client]
) -> None:
    http = sandbox_client_for(sandbox)
    response = http.post("/_sandbox/clock", json={"advance": 120})
    assert response.status_code == 200
    assert response.json()["now"] == FROZEN_NOW + 120 == sandbox.clock.now()
    assert http.post("/_sandbox/clock", json={"advance": -5}).status_code == 400
    assert http.post("/_sandbox/clock", content=b"not json").status_code == 400

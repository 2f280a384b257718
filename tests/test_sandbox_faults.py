"""Fault injection, each knob observed at the HTTP level, plus the config grammar."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import FROZEN_NOW, Walk

from sandbox import FaultConfig, SandboxServer
from sandbox.faults import UNKNOWN_ACTIONS, FaultInjector, RateLimited, unknown_action_for
from sandbox.spec import AUDIT_ACTION_SET, AUDIT_LOG_FIELDS, ENVELOPE_FIELDS

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
WINDOW = {"time_after": FROZEN_NOW - 6 * 3600, "time_before": FROZEN_NOW}

MakeSandbox = Callable[..., SandboxServer]
ClientFor = Callable[..., httpx.Client]


@pytest.fixture
def chaos_pair(
    make_sandbox: MakeSandbox, sandbox_client_for: ClientFor
) -> tuple[SandboxServer, httpx.Client]:
    server = make_sandbox(history_days=3)
    return server, sandbox_client_for(server)


# -- transport faults --------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["seconds", "ms", "date"])
def test_rate_limit_headers(chaos_pair: tuple[SandboxServer, httpx.Client], style: str) -> None:
    server, http = chaos_pair
    server.set_faults(
        FaultConfig.model_validate(
            {"rate_limit_rate": 1.0, "retry_after_seconds": 2, "retry_after_style": style}
        )
    )
    response = http.get(AUDIT)
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    if style == "seconds":
        assert response.headers["retry-after"] == "2"
    elif style == "ms":
        assert response.headers["retry-after-ms"] == "2000"
        assert "retry-after" not in response.headers
    else:
        when = email.utils.parsedate_to_datetime(response.headers["retry-after"])
        assert 0 < when.timestamp() - time.time() <= 3


def test_rate_limit_burst(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(seed=3, rate_limit_rate=0.2, rate_limit_burst=3))
    statuses = [http.get(AUDIT, params={"first": 1}).status_code for _ in range(60)]
    assert 429 in statuses and 200 in statuses
    runs: list[int] = []
    for status in statuses:
        if status == 429 and runs and runs[-1] > 0:
            runs[-1] += 1
        elif status == 429:
            runs.append(1)
        elif not runs or runs[-1] != 0:
            runs.append(0)
    complete = [run for run in runs[:-1] if run > 0]
    assert complete and all(run >= 4 for run in complete), statuses


def test_mixed_rate_limit_styles_all_appear(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(rate_limit_rate=1.0))
    seen = set()
    for _ in range(30):
        headers = http.get(AUDIT).headers
        if "retry-after-ms" in headers:
            seen.add("ms")
        elif headers["retry-after"].isdigit():
            seen.add("seconds")
        else:
            seen.add("date")
    assert seen == {"seconds", "ms", "date"}


def test_server_errors(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(server_error_rate=1.0))
    shapes = set()
    statuses = set()
    for _ in range(40):
        response = http.get(GUARDRAILS)
        statuses.add(response.status_code)
        kind = response.headers["content-type"]
        if kind == "application/problem+json":
            assert response.json()["status"] == response.status_code
            shapes.add("problem")
        elif kind == "application/json":
            assert isinstance(response.json()["detail"], str)
            shapes.add("legacy")
        else:
            assert kind == "text/html" and response.status_code in (502, 503)
            shapes.add("html")
    assert statuses == {500, 502, 503}
    assert shapes == {"problem", "legacy", "html"}


def test_slow_responses(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=0.3))
    started = time.perf_counter()
    response = http.get(AUDIT, params={"first": 1})
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        http.get(AUDIT, params={"first": 1}, timeout=0.1)


def test_dropped_connections_raise_transport_errors(
    chaos_pair: tuple[SandboxServer, httpx.Client],
) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(drop_rate=1.0))
    kinds = set()
    for _ in range(8):
        with pytest.raises(httpx.TransportError) as caught:
            http.get(AUDIT)
        kinds.add(type(caught.value).__name__)
    assert kinds & {"RemoteProtocolError", "ReadError"}
    server.set_faults(FaultConfig())
    assert http.get(AUDIT).status_code == 200  # the server survives


def test_enrichment_faults_are_opt_in(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(server_error_rate=1.0))
    assert http.get("/v3/enterprise/organizations").status_code == 200
    assert http.get("/v3/self").status_code == 200
    server.set_faults(FaultConfig(server_error_rate=1.0, enrichment=True))
    assert http.get("/v3/enterprise/organizations").status_code >= 500
    assert http.get("/v3/self").status_code == 200  # identity is never faulted


def test_faults_are_deterministic_per_seed(
    make_sandbox: MakeSandbox, sandbox_client_for: ClientFor
) -> None:
    def statuses(seed: int) -> list[int]:
        server = make_sandbox(
            history_days=2, faults=FaultConfig.parse(f"seed={seed},429=0.3,5xx=0.3")
        )
        http = sandbox_client_for(server)
        return [http.get(AUDIT, params={"first": 1}).status_code for _ in range(30)]

    assert statuses(11) == statuses(11)
    assert statuses(11) != statuses(12)


# -- response faults ---------------------------------------------------------------------------


def test_missing_end_cursor(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(missing_end_cursor=True))
    page = http.get(AUDIT, params={**WINDOW, "first": 10}).json()
    assert page["items"] and page["has_next_page"] is True and page["end_cursor"] is None
    last = http.get(AUDIT, params={**WINDOW, "first": 200, "time_after": FROZEN_NOW - 60}).json()
    assert last["has_next_page"] is False and last["end_cursor"] is None
    # the bug was in the audit-log API only
    guardrails = http.get(GUARDRAILS, params={"first": 1}).json()
    assert guardrails["has_next_page"] and guardrails["end_cursor"]


def test_repeated_cursor(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    first = http.get(AUDIT, params={"first": 5}).json()
    server.set_faults(FaultConfig(repeat_cursor_rate=1.0))
    second = http.get(AUDIT, params={"first": 5, "after": first["end_cursor"]}).json()
    assert second["items"] and second["items"] != first["items"]
    assert second["end_cursor"] == first["end_cursor"]
    assert second["has_next_page"] is True


def test_unknown_fields(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(unknown_fields=True))
    for path, fields in ((AUDIT, set(AUDIT_LOG_FIELDS)), (GUARDRAILS, None)):
        page = http.get(path, params={"first": 3}).json()
        assert set(ENVELOPE_FIELDS) < set(page)
        for item in page["items"]:
            if fields is not None:
                assert fields < set(item)
            assert {"request_id", "policy_version"} & set(item)


def test_unknown_actions_keep_ids_and_filter_as_served(
    chaos_pair: tuple[SandboxServer, httpx.Client], walk: Walk
) -> None:
    server, http = chaos_pair
    plain = walk(http, AUDIT, first=200, **WINDOW)
    server.set_faults(FaultConfig(unknown_actions=0.2))
    odd = walk(http, AUDIT, first=200, **WINDOW)
    assert [i["audit_log_id"] for i in odd] == [i["audit_log_id"] for i in plain]
    strange = [i for i in odd if i["action"] not in AUDIT_ACTION_SET]
    assert 0.1 < len(strange) / len(odd) < 0.3
    assert {i["action"] for i in strange} <= set(UNKNOWN_ACTIONS)
    changed = {p["audit_log_id"] for p, o in zip(plain, odd, strict=True) if p != o}
    assert changed == {i["audit_log_id"] for i in strange}

    widget = walk(http, AUDIT, first=200, action="create_widget_v9", **WINDOW)
    assert [i["audit_log_id"] for i in widget] == [
        i["audit_log_id"] for i in odd if i["action"] == "create_widget_v9"
    ]
    logins = http.get(AUDIT, params={**WINDOW, "first": 200, "action": "login"}).json()
    assert logins["total"] == sum(1 for i in odd if i["action"] == "login")
    assert {i["action"] for i in logins["items"]} == {"login"}


def test_omit_total(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig(omit_total=True))
    assert "total" not in http.get(AUDIT).json()
    assert "total" not in http.get(GUARDRAILS).json()


def test_chaos_is_survivable_with_retries(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    server.set_faults(FaultConfig.chaos(seed=5))
    seen: dict[int, dict[str, Any]] = {}
    after = None
    failures = 0
    for _ in range(500):
        params: dict[str, Any] = {"first": 3, "order": "asc", **({"after": after} if after else {})}
        try:
            response = http.get(GUARDRAILS, params=params)
        except httpx.TransportError:
            failures += 1
            continue
        if response.status_code in (429, 500, 502, 503):
            failures += 1
            continue
        page = response.json()
        seen.update({item["violation_id"]: item for item in page["items"]})
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    assert failures > 0
    assert set(seen) == server.world.violation_ids()


# -- configuration ----------------------------------------------------------------------------


def test_parse_grammar() -> None:
    config = FaultConfig.parse(
        "429=0.1,5xx=0.05,slow=0.1:0.2,drop=0.05,missing_end_cursor,repeat_cursor=0.02,"
        "unknown_fields,unknown_actions"
    )
    assert config.rate_limit_rate == 0.1
    assert config.server_error_rate == 0.05
    assert (config.slow_rate, config.slow_seconds) == (0.1, 0.2)
    assert config.drop_rate == 0.05
    assert config.missing_end_cursor and config.unknown_fields
    assert config.repeat_cursor_rate == 0.02
    assert config.unknown_actions == 0.05
    assert not config.omit_total

    assert FaultConfig.parse("") == FaultConfig() == FaultConfig.parse("none")
    assert FaultConfig.parse("429=0.3:4").rate_limit_burst == 4
    assert FaultConfig.parse("429").rate_limit_rate == 0.1
    assert FaultConfig.parse("retry_after=0.5,retry_after_style=ms").retry_after_style == "ms"
    assert FaultConfig.parse("chaos") == FaultConfig.chaos()
    assert FaultConfig.parse("chaos,drop=0").drop_rate == 0
    assert FaultConfig.parse("seed=9,enrichment,omit_total") == FaultConfig(
        seed=9, enrichment=True, omit_total=True
    )


@pytest.mark.parametrize(
    "bad", ["explode", "429=lots", "slow=0.1:x", "unknown_fields=maybe", "429=2"]
)
def test_parse_rejects_bad_items(bad: str) -> None:
    with pytest.raises(ValueError):
        FaultConfig.parse(bad)


def test_config_values() -> None:
    assert FaultConfig(unknown_actions=True).unknown_actions == 0.05
    assert FaultConfig(unknown_actions=False).unknown_actions == 0.0
    chaos = FaultConfig.chaos()
    assert chaos.any_transport and chaos.missing_end_cursor and chaos.omit_total
    assert not FaultConfig().any_transport


def test_injector_is_a_pure_function_of_seed_and_sequence() -> None:
    config = FaultConfig(seed=1, rate_limit_rate=0.3, server_error_rate=0.2, drop_rate=0.1)
    first, second = FaultInjector(config), FaultInjector(config)
    plans = [first.plan() for _ in range(50)]
    assert plans == [second.plan() for _ in range(50)]
    assert any(isinstance(p.outcome, RateLimited) for p in plans)


def test_unknown_action_choice_is_stable() -> None:
    ids = [f"audit_log-{i:032x}" for i in range(2000)]
    chosen = [unknown_action_for(i, 0.1) for i in ids]
    assert chosen == [unknown_action_for(i, 0.1) for i in ids]
    assert 100 < sum(c is not None for c in chosen) < 300
    assert all(unknown_action_for(i, 0.0) is None for i in ids)


def test_fault_admin_route(chaos_pair: tuple[SandboxServer, httpx.Client]) -> None:
    server, http = chaos_pair
    response = http.post("/_sandbox/faults", json={"omit_total": True, "seed": 4})
    assert response.status_code == 200
    assert server.faults == FaultConfig(omit_total=True, seed=4)
    assert "total" not in http.get(AUDIT).json()
    response = http.post("/_sandbox/faults", json={"spec": "429=1"})
    assert response.json()["rate_limit_rate"] == 1.0
    assert http.get(AUDIT).status_code == 429
    assert http.get("/_sandbox/faults").json()["rate_limit_rate"] == 1.0  # admin is never faulted
    bad = http.post("/_sandbox/faults", json={"drop_rate": 7})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "drop_rate"]
    assert http.post("/_sandbox/faults", json={"spec": "explode"}).status_code == 400
    assert http.post("/_sandbox/faults", json={}).json() == FaultConfig().model_dump()
    assert http.get(AUDIT).status_code == 200

"""Parameter validation: 422 problem+json bodies with FastAPI-shaped `errors`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import FROZEN_NOW

AUDIT = "/v3/enterprise/audit-logs"
GUARDRAILS = "/v3beta1/enterprise/guardrail-violations"
DAY = 86_400

CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"first": 0}, "first", "greater_than_equal"),
    ({"first": -5}, "first", "greater_than_equal"),
    ({"first": 201}, "first", "less_than_equal"),
    ({"first": "ten"}, "first", "int_parsing"),
    ({"first": "1.5"}, "first", "int_parsing"),
    ({"time_before": FROZEN_NOW}, "time_before", "value_error"),
    (
        {"time_after": FROZEN_NOW - 100 * DAY - 1, "time_before": FROZEN_NOW},
        "time_before",
        "value_error",
    ),
    ({"time_after": "yesterday"}, "time_after", "int_parsing"),
    ({"time_after": "1773241200.5"}, "time_after", "int_parsing"),
    ({"time_after": 1, "time_before": "now"}, "time_before", "int_parsing"),
    ({"order": "newest"}, "order", "enum"),
    ({"order": "ASC"}, "order", "enum"),
]


def _assert_422(response: httpx.Response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(body)
    assert body["status"] == 422
    assert body["title"] == "Unprocessable Entity"
    assert body["instance"] == response.request.url.path
    assert any(e["loc"] == ["query", field] and e["type"] == kind for e in body["errors"])
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert isinstance(error["msg"], str) and error["msg"]


@pytest.mark.parametrize(("params", "field", "kind"), CASES)
@pytest.mark.parametrize("path", [AUDIT, GUARDRAILS])
def test_invalid_params_are_422(
    shared_client: httpx.Client, path: str, params: dict[str, Any], field: str, kind: str
) -> None:
    _assert_422(shared_client.get(path, params=params), field, kind)


def test_unknown_action_is_422(shared_client: httpx.Client) -> None:
    _assert_422(shared_client.get(AUDIT, params={"action": "create_widget_v9"}), "action", "enum")


def test_several_errors_are_reported_together(shared_client: httpx.Client) -> None:
    response = shared_client.get(AUDIT, params={"first": 0, "order": "up", "time_before": 5})
    assert response.status_code == 422
    fields = {e["loc"][1] for e in response.json()["errors"]}
    assert fields == {"first", "order", "time_before"}


def test_bounds_are_inclusive_for_first(shared_client: httpx.Client) -> None:
    for first in (1, 200):
        page = shared_client.get(AUDIT, params={"first": first}).json()
        assert len(page["items"]) == first


def test_directory_lists_validate_first(shared_client: httpx.Client) -> None:
    for path in (
        "/v3/enterprise/organizations",
        "/v3/enterprise/members/users",
        "/v3/enterprise/members/service-users",
    ):
        _assert_422(shared_client.get(path, params={"first": 201}), "first", "less_than_equal")


def test_unknown_query_params_are_ignored(shared_client: httpx.Client) -> None:
    assert shared_client.get(AUDIT, params={"limit": 5, "first": 2}).status_code == 200


def test_guardrails_ignore_the_audit_action_param(shared_client: httpx.Client) -> None:
    # `action` is not a guardrail parameter; like any unknown parameter it is ignored.
    assert shared_client.get(GUARDRAILS, params={"action": "nonsense"}).status_code == 200

"""The API client's retry, error and pacing rules, over httpx.MockTransport (no network)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pipeline.errors import (
    AuthError,
    ForbiddenError,
    NotFoundError,
    RequestError,
    RetriableError,
    TransportError,
)
from pipeline.extract.client import DevinClient, RateLimiter, RetryPolicy, parse_retry_after

FAST = RetryPolicy(max_retries=3, backoff_initial=0.001, backoff_max=0.01, retry_after_max=5)


def client_for(handler, policy: RetryPolicy = FAST) -> DevinClient:
    http = httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(handler))
    return DevinClient(http, retry=policy)


def problem(status: int, detail: str, **extra) -> httpx.Response:
    body = {"type": "about:blank", "title": "Err", "status": status, "detail": detail, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 <= parse_retry_after({"retry-after": format_datetime(when, usegmt=True)}) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_retriable_statuses_are_retried_then_succeed(status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            return problem(status, "try later")
        return httpx.Response(200, json={"items": []})

    client = client_for(handler)
    assert client.get("/x").body == {"items": []}
    assert len(calls) == 3 and client.retries == 2


def test_retry_after_is_honoured() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after-ms": "300"}, json={"detail": "slow"})
        return httpx.Response(200, json={})

    client_for(handler).get("/x")
    assert calls[1] - calls[0] >= 0.29


def test_retry_after_beyond_the_limit_fails_fast() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "3600"}, json={"detail": "later"})

    with pytest.raises(RetriableError) as info:
        client_for(handler).get("/x")
    assert info.value.retry_after == 3600


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RequestError),
        (401, AuthError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (422, RequestError),
    ],
)
def test_client_errors_are_never_retried(status: int, error: type) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return problem(status, "no")

    with pytest.raises(error):
        client_for(handler).get("/v3/enterprise/audit-logs")
    assert len(calls) == 1


def test_forbidden_names_the_missing_permission() -> None:
    client = client_for(lambda r: problem(403, "Forbidden"))
    with pytest.raises(ForbiddenError) as info:
        client.get("/v3/enterprise/audit-logs")
    assert "ManageEnterpriseSettings" in str(info.value)
    with pytest.raises(ForbiddenError) as info:
        client.get("/v3/enterprise/sessions/devin-1")
    assert "ViewAccountSessions" in str(info.value)


def test_unauthorized_says_what_to_do() -> None:
    with pytest.raises(AuthError) as info:
        client_for(lambda r: problem(401, "invalid token")).get("/v3/self")
    assert "cog_" in str(info.value)


def test_both_error_shapes_parse() -> None:
    legacy = {"detail": [{"loc": ["query", "first"], "msg": "must be <= 200", "type": "le"}]}
    with pytest.raises(RequestError) as info:
        client_for(lambda r: httpx.Response(422, json=legacy)).get("/x")
    assert info.value.errors[0]["loc"] == ["query", "first"]
    assert "query.first: must be <= 200" in str(info.value)
    modern = problem(
        422,
        "Validation failed",
        errors=[{"loc": ["query", "time_before"], "msg": "needs time_after"}],
    )
    with pytest.raises(RequestError) as info:
        client_for(lambda r: modern).get("/x")
    assert "query.time_before: needs time_after" in str(info.value)
    assert "Validation failed" in str(info.value)


def test_transport_errors_are_retried_then_wrapped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransportError) as info:
        client_for(handler).get("/x")
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_token_never_appears_in_errors() -> None:
    secret = "cog_" + "FAKE" * 8

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {secret}"
        return problem(401, "bad token")

    http = httpx.Client(
        base_url="http://api.test",
        transport=httpx.MockTransport(handler),
        headers={"Authorization": f"Bearer {secret}"},
    )
    with pytest.raises(AuthError) as info:
        DevinClient(http, retry=FAST).get("/v3/self")
    assert secret not in str(info.value)


def test_rate_limiter_paces_requests() -> None:
    limiter = RateLimiter(per_second=50, burst=1)
    start = time.monotonic()
    for _ in range(6):
        limiter.acquire()
    assert time.monotonic() - start >= 0.09

"""A thin client for the Devin v3 API: auth, pacing, retries and typed errors.

The ``httpx.Client`` is injected so tests and benchmarks decide the transport. Retries use
tenacity: 408, 409, 429, 5xx and transport errors are retried with exponential backoff and jitter,
honouring ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date); 400, 401, 403, 404
and 422 never are.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from pipeline.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RequestError,
    RetriableError,
    TransportError,
)

log = logging.getLogger(__name__)

USER_AGENT = "devin-audit-pipeline/0.1"
RETRIABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}

# Which permission a 403 on a path most likely lacks (devin-api.md §0.3).
_PERMISSION_BY_PATH = (
    ("audit-logs", "ManageEnterpriseSettings"),
    ("guardrail-violations", "ManageEnterpriseSettings"),
    ("/members/", "ManageAccountMembership (or ViewAccountMembership)"),
    ("/sessions", "ViewAccountSessions"),
    ("/organizations", "ManageOrganizations"),
    ("/self", "ReadAccountMeta"),
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a request is given up."""

    max_retries: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0


@dataclass(frozen=True)
class Page:
    """One decoded JSON answer and where it came from."""

    body: Any
    path: str
    request_id: str
    fetched_at: float


class RateLimiter:
    """A token bucket shared by every thread of one process (one rate budget)."""

    def __init__(self, per_second: float, burst: int = 5) -> None:
        self._rate = per_second
        self._capacity = float(max(1, burst))
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self._rate <= 0:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            time.sleep(wait)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait as the server asked: ``retry-after-ms``, then ``Retry-After``."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_response(response: httpx.Response, path: str) -> ApiError:
    """Build the typed error for an HTTP error answer, from problem+json or ``{"detail": ...}``."""
    status = response.status_code
    title = response.reason_phrase or "Error"
    detail: str | None = None
    errors: list[dict[str, Any]] = []
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        title = str(body.get("title") or title)
        raw_detail = body.get("detail")
        if isinstance(raw_detail, list):  # legacy FastAPI 422: {"detail": [{loc, msg, type}]}
            errors = [e for e in raw_detail if isinstance(e, dict)]
        elif raw_detail is not None:
            detail = str(raw_detail)
        if isinstance(body.get("errors"), list):
            errors = [e for e in body["errors"] if isinstance(e, dict)]
    elif response.content and status >= 500:
        detail = response.text[:200]
    retry_after = parse_retry_after(response.headers)
    kwargs: dict[str, Any] = {"path": path, "errors": errors, "retry_after": retry_after}
    if status == 401:
        return AuthError(
            status,
            title,
            detail,
            hint="Set DEVIN_API_TOKEN to a cog_ service-user credential (or a cog_ personal "
            "access token); apk_ keys only work with the legacy v1/v2 APIs.",
            **kwargs,
        )
    if status == 403:
        needed = next((perm for frag, perm in _PERMISSION_BY_PATH if frag in path), None)
        hint = (
            f"The service user lacks {needed}; grant it in Devin's enterprise settings."
            if needed
            else "The service user lacks a permission for this endpoint."
        )
        return ForbiddenError(status, title, detail, hint=hint, **kwargs)
    if status == 404:
        return NotFoundError(status, title, detail, **kwargs)
    if status in (400, 422):
        return RequestError(
            status,
            title,
            detail,
            hint="This request is wrong and will not be retried; please report it as a bug.",
            **kwargs,
        )
    if status in RETRIABLE_STATUS or status >= 500:
        return RetriableError(status, title, detail, **kwargs)
    return ApiError(status, title, detail, **kwargs)


class DevinClient:
    """GET JSON from the Devin API with auth, pacing, retries and typed errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = http
        self._retry = retry or RetryPolicy()
        self._limiter = limiter or RateLimiter(0)
        self.retries = 0  # how many retries this client made, for the run summary

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Page:
        """GET ``path`` and decode its JSON, retrying what is worth retrying."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        retrying = Retrying(
            retry=retry_if_exception_type((RetriableError, TransportError)),
            stop=stop_after_attempt(self._retry.max_retries + 1),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(self._get_once, path, clean)

    def _get_once(self, path: str, params: dict[str, Any]) -> Page:
        self._limiter.acquire()
        request_id = uuid.uuid4().hex
        try:
            response = self._http.get(path, params=params, headers={"X-Request-ID": request_id})
        except httpx.TransportError as err:
            raise TransportError(
                f"no answer from {self._http.base_url}{path}: {type(err).__name__}. Check "
                "DEVIN_API_URL and the network path to it."
            ) from err
        if response.status_code >= 400:
            raise error_from_response(response, path)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as err:
            # A truncated body is a transport fault in disguise: worth another try.
            raise RetriableError(
                response.status_code, "Invalid JSON", "the body was not JSON", path=path
            ) from err
        return Page(body=body, path=path, request_id=request_id, fetched_at=time.time())

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            if retry_after > self._retry.retry_after_max:
                raise exc  # type: ignore[misc]
            return float(retry_after)
        backoff = wait_random_exponential(  # "full jitter" exponential backoff
            multiplier=self._retry.backoff_initial, max=self._retry.backoff_max
        )
        return float(backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "retrying after %s (attempt %d): %s",
            type(exc).__name__,
            state.attempt_number,
            str(exc).splitlines()[0] if exc else "",
        )


def make_http_client(base_url: str, token: str, timeout: float) -> httpx.Client:
    """An ``httpx.Client`` with the bearer token and sane limits; the caller closes it."""
    return httpx.Client(
        base_url=base_url,
        headers={
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        },
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        follow_redirects=False,
    )

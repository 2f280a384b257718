"""The one error tree of the pipeline, grouped by what the caller does next.

    PipelineError                      anything we raise on purpose; the message says what to do
    ├── ConfigError                    fatal: fix the configuration (URL, token shape, paths)
    ├── ApiError                       the Devin API answered with an error (status, title, detail)
    │   ├── AuthError          401     fatal: the token is missing, wrong, or not a cog_ credential
    │   ├── ForbiddenError     403     fatal: the service user lacks a permission (named if known)
    │   ├── NotFoundError      404     fatal, except where a caller falls back (paths, sessions)
    │   ├── RequestError   400/422     fatal: a bug in our request; never retried
    │   └── RetriableError             408, 409, 429, 5xx: retried with backoff, then fatal
    ├── TransportError                 connection refused/reset/timeout: retried, then fatal
    ├── PaginationError                the API's paging misbehaved and could not be recovered
    └── StateError                     the cursor state is unreadable or would move backwards

Third-party exceptions (httpx, OS errors) are wrapped at the boundary with ``raise ... from err``.
"""

from __future__ import annotations

from typing import Any


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""


class ConfigError(PipelineError):
    """The configuration cannot work; the message says what to change."""


class StateError(PipelineError):
    """The cursor state file is unreadable or an update would move it backwards."""


class PaginationError(PipelineError):
    """Paging could not make progress (repeated cursor, stuck page, page cap)."""


class TransportError(PipelineError):
    """The request never got an HTTP answer (refused, reset, timed out)."""


class ApiError(PipelineError):
    """An HTTP error answer from the API, parsed from problem+json or the legacy shape."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        path: str = "",
        errors: list[dict[str, Any]] | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.path = path
        self.errors = errors or []
        self.hint = hint
        self.retry_after = retry_after
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"HTTP {self.status} {self.title}"]
        if self.path:
            parts.append(f"on {self.path}")
        text = " ".join(parts)
        if self.detail:
            text += f": {self.detail}"
        for err in self.errors[:5]:
            loc = ".".join(str(x) for x in err.get("loc", []))
            text += f"\n  - {loc}: {err.get('msg', '')}"
        if self.hint:
            text += f"\n  → {self.hint}"
        return text


class AuthError(ApiError):
    """401: the credential is missing, invalid, or of a kind v3 does not take."""


class ForbiddenError(ApiError):
    """403: the credential is valid but lacks a permission."""


class NotFoundError(ApiError):
    """404: the path or the object does not exist."""


class RequestError(ApiError):
    """400 or 422: our request is wrong; retrying cannot help."""


class RetriableError(ApiError):
    """408, 409, 429 or 5xx: worth retrying after a pause (``retry_after`` when the API said)."""

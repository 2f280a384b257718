"""What an endpoint hands back to the HTTP layer, and the RFC 9457 problem bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson

from sandbox.spec import PROBLEM_CONTENT_TYPE

JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request: method, path, last value of each query key, headers, body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    """A complete response; `delay` is real seconds to wait before sending it."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Close the connection without a response (RST when `reset`, else FIN)."""

    reset: bool = False
    delay: float = 0.0


Outcome = Response | Drop


def json_response(
    value: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """`value` encoded with orjson."""
    return Response(status, orjson.dumps(value), JSON, headers)


def problem(
    status: int,
    detail: str | None,
    instance: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    """An `application/problem+json` body: type, title, status, detail, instance (+ errors)."""
    body: dict[str, Any] = {
        "type": "about:blank",  # RFC 9457: the title is then the HTTP status phrase
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(status, orjson.dumps(body), PROBLEM_CONTENT_TYPE, headers)


def legacy_error(status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """The pre-ProblemDetail `{"detail": "..."}` body some errors still use."""
    return Response(status, orjson.dumps({"detail": detail}), JSON, headers)


@dataclass
class ErrorList:
    """Collects 422 field errors in FastAPI/pydantic shape: {loc, msg, type}."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, msg: str, kind: str, where: str = "query") -> None:
        """Record one error for parameter `name`."""
        self.errors.append({"loc": [where, name], "msg": msg, "type": kind})

    def __bool__(self) -> bool:
        return bool(self.errors)

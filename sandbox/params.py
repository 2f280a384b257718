"""Query-parameter validation for the list endpoints, with FastAPI-shaped 422 errors.

Empty values (`?after=`) count as absent: httpx sends `None` params that way, and a client
should not get a 422 for it. Everything else is strict: integers must be plain base-10
integers, `first` must be within 1..200, `order` must be asc or desc, `time_before` needs
`time_after`, and the window may not exceed 100 days (devin-api.md §0.4, §1.2).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, cast

from sandbox.responses import ErrorList
from sandbox.spec import FIRST_DEFAULT, FIRST_MAX, FIRST_MIN, MAX_WINDOW_SECONDS, ORDER_DEFAULT

Order = Literal["asc", "desc"]
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class ListParams:
    """Validated paging and filter parameters of one list request."""

    first: int = FIRST_DEFAULT
    after: str | None = None
    order: Order = "desc"  # spec.ORDER_DEFAULT
    time_after: int | None = None
    time_before: int | None = None
    action: str | None = None
    session_id: str | None = None
    guardrail_id: str | None = None
    email: str | None = None


def _value(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    return value if value else None


def _integer(query: Mapping[str, str], name: str, errors: ErrorList) -> int | None:
    raw = _value(query, name)
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw.strip()):
        errors.add(name, "Input should be a valid integer, unable to parse string as an integer",
                   "int_parsing")  # fmt: skip
        return None
    return int(raw)


def _paging(query: Mapping[str, str], errors: ErrorList) -> tuple[int, str | None]:
    first = _integer(query, "first", errors)
    if first is not None and first < FIRST_MIN:
        errors.add("first", f"Input should be greater than or equal to {FIRST_MIN}",
                   "greater_than_equal")  # fmt: skip
    elif first is not None and first > FIRST_MAX:
        errors.add("first", f"Input should be less than or equal to {FIRST_MAX}",
                   "less_than_equal")  # fmt: skip
    return (first if first is not None else FIRST_DEFAULT), _value(query, "after")


def directory_params(query: Mapping[str, str]) -> ListParams | ErrorList:
    """`first`, `after` and `email` for the org, user and service-user lists."""
    errors = ErrorList()
    first, after = _paging(query, errors)
    if errors:
        return errors
    return ListParams(first=first, after=after, email=_value(query, "email"))


def event_params(
    query: Mapping[str, str],
    *,
    guardrail: bool,
    actions: Collection[str] = (),
) -> ListParams | ErrorList:
    """Paging, order, time window and filters for audit logs (`guardrail=False`) or
    guardrail violations; `actions` are the values `action` may take."""
    errors = ErrorList()
    first, after = _paging(query, errors)
    order = _value(query, "order") or ORDER_DEFAULT
    if order not in ("asc", "desc"):
        errors.add("order", "Input should be 'asc' or 'desc'", "enum")
    time_after = _integer(query, "time_after", errors)
    time_before = _integer(query, "time_before", errors)
    if time_before is not None and time_after is None and _value(query, "time_after") is None:
        errors.add("time_before", "time_before requires time_after", "value_error")
    if (
        time_after is not None
        and time_before is not None
        and time_before - time_after > MAX_WINDOW_SECONDS
    ):
        errors.add("time_before",
                   "time_before - time_after must be at most 100 days (8640000 seconds)",
                   "value_error")  # fmt: skip
    action = None if guardrail else _value(query, "action")
    if action is not None and action not in actions:
        errors.add("action", "Input should be a valid AuditLogAction value", "enum")
    if errors:
        return errors
    return ListParams(
        first=first,
        after=after,
        order=cast(Order, order),
        time_after=time_after,
        time_before=time_before,
        action=action,
        session_id=_value(query, "session_id") if guardrail else None,
        guardrail_id=_value(query, "guardrail_id") if guardrail else None,
    )

"""What the exporters read from a lake row: its times, its actor, its audit ``data``, its target.

A row is a plain dict: one row of the lake's ``events`` view as DuckDB returns it (times are
aware datetimes) or as ``pipeline.transform.normalize`` builds it (times are UTC microseconds);
both are accepted. Only ``event_id``, ``source``, ``source_id`` and ``event_time`` are required;
every other column, including the enrichment columns (``org_name``, ``actor_name``,
``session_origin``, ``session_title``), reads as None when it is missing, so the exporters work
on lakes written before or after those columns existed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

AUDIT_SOURCE = "audit_log"
VIOLATION_SOURCE = "guardrail_violation"

PRODUCT = "Devin"
VENDOR = "Cognition"

Row = Mapping[str, Any]

# Words the action names abbreviate, spelled out the way people write them in titles.
_ACRONYMS = {"ai": "AI", "api": "API", "pat": "PAT", "mcp": "MCP", "pr": "PR", "org": "Org"}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Actor:
    """Who did it: ``kind`` is user, service_user, system, or None when the row does not say."""

    kind: str | None
    id: str | None
    email: str | None
    name: str | None


@dataclass(frozen=True)
class Target:
    """What an audit action was done to, when the record names it (devin-api.md §1.3)."""

    kind: str  # user | service_user | group
    id: str


def epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch of an aware datetime or of an int of UTC microseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _micros(value) // 1000  # integer arithmetic: no float rounding of the ms
    return int(value) // 1000


def iso_utc(value: Any) -> str | None:
    """RFC 3339 UTC text with milliseconds (``2026-01-01T00:00:00.000Z``) of the same inputs."""
    ms = epoch_ms(value)
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _aware(value: datetime) -> datetime:
    # The lake stores UTC; a naive datetime can only have come from a UTC session.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _micros(value: datetime) -> int:
    delta = _aware(value) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def actor(event: Row, audit: Row | None = None, actor_name: str | None = None) -> Actor:
    """The row's actor; its name from ``actor_name``, else the row's enrichment, else the audit
    record's ``service_user_name``."""
    kind = event.get("actor_type")
    name = actor_name or event.get("actor_name")
    if name is None and kind == "service_user" and audit is not None:
        name = audit.get("service_user_name")
    return Actor(kind, event.get("actor_id"), event.get("actor_email"), name)


def session_actor(violation: Row) -> Actor | None:
    """Who ran a violation's session, from the session columns the enrichment adds, if any."""
    if violation.get("session_user_id"):
        return Actor("user", violation["session_user_id"], None, None)
    if violation.get("session_service_user_id"):
        return Actor("service_user", violation["session_service_user_id"], None, None)
    return None


def audit_data(audit: Row | None) -> dict[str, Any]:
    """The audit record's ``data`` object (JSON text in the lake); {} if absent or not an object."""
    raw = None if audit is None else audit.get("data")
    if isinstance(raw, str | bytes):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {}
    return raw if isinstance(raw, dict) else {}


def target(event: Row, data: Mapping[str, Any]) -> Target | None:
    """The user or group an audit action names as its target, if any.

    ``data`` says which kind it is (``target_user_id``, ``target_group_name``, or a service
    user's id); without ``data`` the ``events.target`` column is read as a user id, the kind
    the documented schemas name most.
    """
    if isinstance(data.get("target_user_id"), str):
        return Target("user", data["target_user_id"])
    if isinstance(data.get("target_group_name"), str):
        return Target("group", data["target_group_name"])
    for key in ("target_service_user_id", "service_user_id"):  # undocumented; a guess at v3
        if isinstance(data.get(key), str):
            return Target("service_user", data[key])
    value = event.get("target")
    return Target("user", value) if isinstance(value, str) else None


def roles(data: Mapping[str, Any]) -> list[str]:
    """Role names an audit ``data`` object carries (``roles[]`` per the legacy schemas)."""
    value = data.get("roles", data.get("role"))
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [_role_name(item) for item in value if _role_name(item)]
    return []


def _role_name(item: Any) -> str:
    # A role may come as a name or as an object naming it; keep only the name.
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("name", "role", "role_name", "id", "role_id"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return ""


def title(action: str | None) -> str:
    """An action as words for people: ``create_user_api_key`` → ``Create User API Key``."""
    if not action:
        return "Unknown"
    words = _WORD.findall(action.lower()) or [action]
    return " ".join(_ACRONYMS.get(word, word.capitalize()) for word in words)


def confidence_fraction(score: float | None) -> float | None:
    """A confidence score as a fraction in 0..1; a score above 1 is read as a percentage."""
    if score is None:
        return None
    # Mirrors pipeline.transform.taxonomy: the range of confidence_score is undocumented.
    return score / 100 if score > 1 else score


def to_json(value: Any) -> str:
    """Compact JSON text of a value."""
    return orjson.dumps(value).decode()


def prune(value: Any, keep_empty: frozenset[str] = frozenset()) -> Any:
    """``value`` without None values, empty dicts or empty lists, recursively; an empty list
    stays under a key in ``keep_empty`` (a schema may require the key even when it is empty)."""
    if isinstance(value, dict):
        pruned = {k: prune(v, keep_empty) for k, v in value.items() if v is not None}
        return {k: v for k, v in pruned.items() if v != {} and (v != [] or k in keep_empty)}
    if isinstance(value, list):
        return [prune(v, keep_empty) for v in value if v is not None]
    return value

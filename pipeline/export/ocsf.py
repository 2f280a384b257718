"""Lake events as OCSF 1.7.0 events (the schema version ``pydantic-ocsf`` bundles and the tests
validate against).

``to_ocsf`` is pure: an ``events`` row in, plus optionally its source row (``audit_logs`` or
``guardrail_violations``) for detail, one OCSF event out as a plain dict, with no None values.
Which class an audit action becomes is ``pipeline.export.ocsf_classes``; a guardrail violation
is a Detection Finding (2004) with the ``security_control`` profile, whose ``action_id`` and
``disposition_id`` say what the guardrail did.

Where OCSF requires an attribute the Devin API does not give (the calling endpoint of an API
Activity, the target of an account change the record does not name), the value is the literal
``"unknown"`` so the event stays valid and the gap stays visible. What has no OCSF place (our
taxonomy category, the raw audit ``data``, session origin and title...) goes to ``unmapped``.

Only what the caller passes in is exported: ``user_message`` appears (as evidence data) only if
the violation row given carries it.
"""

from __future__ import annotations

from typing import Any

from pipeline.export import record
from pipeline.export.ocsf_classes import (
    ACCOUNT_CHANGE,
    AUTHENTICATION,
    DETECTION_FINDING,
    ENTITY_MANAGEMENT,
    GROUP_MANAGEMENT,
    OCSF_VERSION,
    OTHER,
    USER_ACCESS,
    ClassMapping,
    OcsfClass,
    class_of,
)
from pipeline.export.record import PRODUCT, VENDOR, Actor, Row
from pipeline.transform.taxonomy import HIGH_CONFIDENCE

UNKNOWN = "unknown"
SESSION_RESOURCE = "Devin Session"

# Our severity → OCSF severity_id and its caption.
SEVERITY: dict[str, tuple[int, str]] = {
    "info": (1, "Informational"),
    "low": (2, "Low"),
    "medium": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}

# A guardrail's action_taken → security_control (action_id, action, disposition_id, disposition).
GUARDRAIL_DISPOSITION: dict[str, tuple[int, str, int, str]] = {
    "log_only": (1, "Allowed", 17, "Logged"),
    "warn_user": (1, "Allowed", 19, "Alert"),  # notified, not blocked
    "block_message": (2, "Denied", 2, "Blocked"),
    "kill_session": (2, "Denied", 24, "Access Revoked"),  # the session is ended
}

# Actions an account does to itself: without a named target, the account changed is the actor's.
_REQUIRED_LISTS = frozenset({"privileges"})

SELF_SERVICE: frozenset[str] = frozenset(
    {"create_user_api_key", "create_pat", "revoke_pat", "rotate_pat", "create_join_request"}
)


def to_ocsf(
    event: Row,
    *,
    audit: Row | None = None,
    violation: Row | None = None,
    org_name: str | None = None,
    actor_name: str | None = None,
    session_origin: str | None = None,
    session_title: str | None = None,
) -> dict[str, Any]:
    """The OCSF 1.7.0 event of one ``events`` row.

    ``audit``/``violation`` is the row's source record, if the caller has it; the keyword names
    override the row's enrichment columns of the same name. Raises ``KeyError`` if the row
    lacks ``event_id``, ``source``, ``source_id`` or ``event_time``.
    """
    context = _Context.of(
        event,
        audit=audit,
        violation=violation,
        org_name=org_name,
        actor_name=actor_name,
        session_origin=session_origin,
        session_title=session_title,
    )
    if event["source"] == record.VIOLATION_SOURCE:
        return record.prune(_detection_finding(context))
    # ``privileges`` is required by User Access Management even when the record names none.
    return record.prune(_audit_event(context, class_of(event.get("action"))), _REQUIRED_LISTS)


class _Context:
    """A row and what was looked up for it, read once."""

    def __init__(self, event: Row, source: Row | None, names: dict[str, str | None]) -> None:
        self.event = event
        self.source = source
        self.names = names
        self.data = record.audit_data(source) if event["source"] == record.AUDIT_SOURCE else {}
        self.actor = record.actor(event, source, names["actor_name"])
        violation = event["source"] == record.VIOLATION_SOURCE
        if violation and self.actor.kind is None and source is not None:
            # A violation names no actor; its session's user, if enriched, is the best guess.
            self.actor = record.session_actor(source) or self.actor
        self.time = record.epoch_ms(event["event_time"])

    @classmethod
    def of(
        cls, event: Row, *, audit: Row | None, violation: Row | None, **names: str | None
    ) -> _Context:
        source = audit if event["source"] == record.AUDIT_SOURCE else violation
        resolved = {
            key: value or event.get(key) or (source.get(key) if source is not None else None)
            for key, value in names.items()
        }
        return cls(event, source, resolved)

    def org(self) -> dict[str, Any] | None:
        uid, name = self.event.get("org_id"), self.names["org_name"]
        return {"uid": uid, "name": name} if uid or name else None

    def session(self) -> dict[str, Any] | None:
        uid = self.event.get("session_id")
        if uid is None:
            return None
        return {
            "uid": uid,
            "origin": self.names["session_origin"],
            "title": self.names["session_title"],
        }


def _audit_event(ctx: _Context, mapping: ClassMapping) -> dict[str, Any]:
    cls, activity_id, _ = mapping
    action = ctx.event.get("action")
    event = _base(ctx, cls, activity_id)
    actor = _actor(ctx)
    if cls is AUTHENTICATION:
        event |= {
            "actor": actor,
            "user": _user(ctx.actor, ctx) or _unknown_user(),
            "service": {"name": PRODUCT},
        }
    elif cls is ACCOUNT_CHANGE:
        event |= {"actor": actor, "user": _changed_account(ctx, action)}
    elif cls is USER_ACCESS:
        target = _target_user(ctx)
        event |= {
            "actor": actor,
            "user": target or _unknown_user(),
            "privileges": record.roles(ctx.data),
        }
    elif cls is GROUP_MANAGEMENT:
        group = record.target(ctx.event, ctx.data)
        name = group.id if group is not None and group.kind == "group" else UNKNOWN
        event |= {
            "actor": actor,
            "group": {"name": name},
            "privileges": record.roles(ctx.data) or None,
        }
    elif cls is ENTITY_MANAGEMENT:
        event |= {"actor": actor, "entity": _entity(ctx, mapping.entity or UNKNOWN)}
    elif cls is DETECTION_FINDING:
        # The audit-log side of a violation: the guardrail API row carries the details.
        event |= {
            "finding_info": {
                "uid": ctx.event["source_id"],
                "title": record.title(action),
                "created_time": ctx.time,
            },
            "is_alert": True,
            "resources": _session_resources(ctx),
            "evidences": [{"actor": actor}] if actor is not None else None,
        }
    else:
        event |= {
            "actor": actor or {"app_name": PRODUCT},
            "api": {"operation": action or UNKNOWN, "service": {"name": PRODUCT}},
            "src_endpoint": {"name": UNKNOWN},
            "resources": _session_resources(ctx),
        }
    return event


def _detection_finding(ctx: _Context) -> dict[str, Any]:
    violation = ctx.source or {}
    event = _base(ctx, DETECTION_FINDING, 1)
    name = violation.get("guardrail_name")
    action_taken = violation.get("action_taken") or ctx.event.get("outcome")
    fraction = record.confidence_fraction(violation.get("confidence_score"))
    action_id, action, disposition_id, disposition = GUARDRAIL_DISPOSITION.get(
        action_taken or "", (OTHER, action_taken or UNKNOWN, OTHER, action_taken or UNKNOWN)
    )
    evidence = {"actor": _actor(ctx), "data": _message_evidence(violation)}
    event["metadata"]["profiles"] = ["security_control"]
    event |= {
        "finding_info": {
            "uid": ctx.event["source_id"],
            "title": name or "AI Guardrail Violation",
            "desc": violation.get("reasoning"),
            "created_time": ctx.time,
            "types": ["AI Guardrail Violation"],
            "analytic": _analytic(violation.get("guardrail_id"), name),
        },
        "is_alert": True,
        "confidence_score": None if fraction is None else round(fraction * 100),
        **_confidence(fraction),
        "resources": _session_resources(ctx),
        "evidences": [evidence] if any(evidence.values()) else None,
        "action_id": action_id,
        "action": action,
        "disposition_id": disposition_id,
        "disposition": disposition,
        "message": f"AI guardrail {name or UNKNOWN!r}: {action_taken or UNKNOWN}",
    }
    event["unmapped"] |= {
        "guardrail_event_id": violation.get("event_id"),
        "action_taken": action_taken,
        "confidence_score": violation.get("confidence_score"),
    }
    return event


def _analytic(uid: str | None, name: str | None) -> dict[str, Any] | None:
    """The guardrail as the finding's rule; None when the row names no guardrail."""
    return {"uid": uid, "name": name, "type_id": 1, "type": "Rule"} if uid or name else None


def _base(ctx: _Context, cls: OcsfClass, activity_id: int) -> dict[str, Any]:
    """The attributes every class shares: classification, time, severity, metadata, unmapped."""
    event, action = ctx.event, ctx.event.get("action")
    activity = record.title(action) if activity_id == OTHER else cls.activities[activity_id]
    severity_id, severity = SEVERITY.get(event.get("severity") or "", (0, "Unknown"))
    user = _user(ctx.actor, ctx)
    return {
        "category_uid": cls.category_uid,
        "category_name": cls.category_name,
        "class_uid": cls.uid,
        "class_name": cls.name,
        "activity_id": activity_id,
        "activity_name": activity,
        "type_uid": cls.uid * 100 + activity_id,
        "type_name": f"{cls.name}: {activity}",
        "severity_id": severity_id,
        "severity": severity,
        "time": ctx.time,
        "message": _message(ctx.actor, action),
        "metadata": _metadata(ctx),
        "unmapped": {
            "source": event["source"],
            "category": event.get("category"),
            "severity": event.get("severity"),
            "actor_type": ctx.actor.kind,
            "target": event.get("target"),
            "session": ctx.session(),
            # The org rides on the user when there is one; keep it here otherwise.
            "org": None if user is not None else ctx.org(),
            "data": ctx.data or None,
        },
    }


def _metadata(ctx: _Context) -> dict[str, Any]:
    event, source = ctx.event, ctx.source or {}
    raw_time = source.get("created_at_raw")
    return {
        "version": OCSF_VERSION,
        "product": {"name": PRODUCT, "vendor_name": VENDOR},
        "uid": event["event_id"],
        "original_event_uid": event["source_id"],
        "event_code": event.get("action") or None,
        "log_name": "guardrail_violations"
        if event["source"] == record.VIOLATION_SOURCE
        else "audit_logs",
        "original_time": None if raw_time is None else str(raw_time),
        "logged_time": record.epoch_ms(event.get("_fetched_at")),
        "processed_time": record.epoch_ms(event.get("_ingested_at")),
        "tenant_uid": event.get("org_id"),
        "correlation_uid": event.get("session_id"),
    }


def _user(actor: Actor, ctx: _Context) -> dict[str, Any] | None:
    """The actor as an OCSF user (None for the system or an unknown actor)."""
    if actor.kind not in ("user", "service_user") or not (actor.id or actor.name):
        return None
    type_id, type_name = (4, "Service") if actor.kind == "service_user" else (1, "User")
    return {
        "uid": actor.id,
        "email_addr": actor.email,
        "name": actor.name,
        "type_id": type_id,
        "type": type_name,
        "org": ctx.org(),
    }


def _actor(ctx: _Context) -> dict[str, Any] | None:
    user = _user(ctx.actor, ctx)
    if user is not None:
        return {"user": user}
    if ctx.actor.kind == "system":
        return {"app_name": PRODUCT}  # the platform acted on its own
    return None


def _target_user(ctx: _Context) -> dict[str, Any] | None:
    target = record.target(ctx.event, ctx.data)
    if target is None or target.kind == "group":
        return None
    type_id, type_name = (4, "Service") if target.kind == "service_user" else (1, "User")
    return {"uid": target.id, "type_id": type_id, "type": type_name}


def _changed_account(ctx: _Context, action: str | None) -> dict[str, Any]:
    """The account an Account Change is about: the named target, else the actor for actions an
    account does to itself, else unknown."""
    target = _target_user(ctx)
    if target is not None:
        return target
    if action in SELF_SERVICE:
        return _user(ctx.actor, ctx) or _unknown_user()
    return _unknown_user()


def _unknown_user() -> dict[str, Any]:
    return {"name": UNKNOWN, "type_id": 0, "type": "Unknown"}


def _entity(ctx: _Context, kind: str) -> dict[str, Any]:
    data = ctx.data
    key = kind.lower().replace(" ", "_")
    if kind == "Organization":
        uid = data.get("org_id") or ctx.event.get("org_id")
        return {
            "uid": uid,
            "name": ctx.names["org_name"] or (None if uid else UNKNOWN),
            "type_id": 4,
            "type": kind,
        }
    uid = _text(data, f"{key}_id", "id", "uid")
    name = _text(data, "name", f"{key}_name", "title")
    return {"uid": uid, "name": name or (None if uid else UNKNOWN), "type_id": OTHER, "type": kind}


def _text(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def _session_resources(ctx: _Context) -> list[dict[str, Any]] | None:
    session = ctx.session()
    if session is None:
        return None
    return [{"uid": session["uid"], "type": SESSION_RESOURCE, "name": session["title"]}]


def _confidence(fraction: float | None) -> dict[str, Any]:
    if fraction is None:
        return {}
    # The same cut the taxonomy uses to rank a violation up, and a midpoint below it.
    level = (
        (3, "High")
        if fraction >= HIGH_CONFIDENCE
        else (2, "Medium")
        if fraction >= 0.5
        else (1, "Low")
    )
    return {"confidence_id": level[0], "confidence": level[1]}


def _message_evidence(violation: Row) -> dict[str, Any] | None:
    # Only the lake's (redacted) column, and only when the caller chose to pass it.
    message = violation.get("user_message")
    return {"user_message": message} if message else None


def _message(actor: Actor, action: str | None) -> str:
    who = actor.email or actor.name or actor.id or (PRODUCT if actor.kind == "system" else UNKNOWN)
    return f"{who}: {action or UNKNOWN}"

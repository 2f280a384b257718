"""Pure record-level normalization: a landed line in, lake rows (plain dicts) out.

Nothing here touches files or Beam. A line that cannot become a row raises ``Rejected`` with the
stage that refused it; the caller turns that into a dead letter.

* ``parse``: the line is not UTF-8 JSON.
* ``envelope``: JSON, but not ``{"stream", "record", "provenance"}`` of a known stream.
* ``validate``: the record lacks its id or ``created_at``, or a field has an impossible value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from pipeline.model import (
    EVENT_ENRICHMENT,
    LAKE_TABLES,
    STREAM_MODELS,
    TIMESTAMP,
    VIOLATION_ENRICHMENT,
    AuditLogRecord,
    GuardrailViolationRecord,
    LakeTable,
    Provenance,
    RawRecord,
)
from pipeline.transform.taxonomy import (
    GUARDRAIL_VIOLATION_ACTION,
    Classification,
    classify_action,
    guardrail_severity,
)
from pipeline.transform.timestamps import InvalidTimestamp, optional_micros, to_micros

PARSE, ENVELOPE, VALIDATE = "parse", "envelope", "validate"

# Columns a row gets from the dimension snapshots, after normalization.
ENRICHMENT = {"guardrail_violations": VIOLATION_ENRICHMENT, "events": EVENT_ENRICHMENT}

# Keys of an audit ``data`` object that name what the action was done to, most specific first
# (the legacy per-action schemas of devin-api.md §1.3).
TARGET_KEYS: tuple[str, ...] = ("target_user_id", "target_group_name")


class Rejected(Exception):
    """A landed line that cannot become a lake row; ``stream`` is set once it is known."""

    def __init__(self, stage: str, error: str, stream: str | None = None) -> None:
        super().__init__(f"{stage}: {error}")
        self.stage = stage
        self.error = error
        self.stream = stream


@dataclass(frozen=True)
class Landed:
    """A parsed landed line: its stream, the raw record, and its provenance columns.

    ``provenance`` is shared by every line of the same page: copy it, never change it.
    """

    stream: str
    record: dict[str, Any]
    provenance: dict[str, Any]


LEGACY_V2_STREAM = "audit_logs_v2"
_V2_TOP_LEVEL = ("audit_log_id", "action", "created_at", "org_id", "user_id", "user_email")


def legacy_v2_record(entry: dict[str, Any]) -> dict[str, Any]:
    """A legacy v2 audit entry in the v3 shape: the action's flat fields move into ``data``.

    ``created_at`` stays in milliseconds (the timestamp rules detect the unit); v2 has no
    service-user fields.
    """
    record = {key: entry.get(key) for key in _V2_TOP_LEVEL}
    record["data"] = {k: v for k, v in entry.items() if k not in _V2_TOP_LEVEL}
    record["service_user_id"] = None
    record["service_user_name"] = None
    return record


def parse_line(line: bytes, ingested_at: int) -> Landed:
    """Parse one landing-zone line; ``ingested_at`` (µs) is stamped into the provenance."""
    try:
        envelope = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        raise Rejected(PARSE, f"not UTF-8 JSON: {err}") from err
    if not isinstance(envelope, dict):
        raise Rejected(ENVELOPE, f"a line must be a JSON object, not {type(envelope).__name__}")
    stream = envelope.get("stream")
    record, provenance = envelope.get("record"), envelope.get("provenance")
    if stream == LEGACY_V2_STREAM and isinstance(record, dict):
        stream, record = "audit_logs", legacy_v2_record(record)
    if stream not in STREAM_MODELS:
        raise Rejected(ENVELOPE, f"unknown stream {stream!r}")
    if not isinstance(record, dict):
        raise Rejected(ENVELOPE, "'record' is missing or not an object", stream)
    if not isinstance(provenance, dict):
        raise Rejected(ENVELOPE, "'provenance' is missing or not an object", stream)
    return Landed(stream, record, _provenance_columns(provenance, ingested_at, stream))


def _provenance_columns(
    provenance: dict[str, Any], ingested_at: int, stream: str
) -> dict[str, Any]:
    try:
        try:
            return _cached_provenance_columns(tuple(provenance.items()), ingested_at)
        except TypeError:  # a nested value cannot be a cache key: validate it uncached
            return provenance_columns(Provenance.model_validate(provenance), ingested_at)
    except ValidationError as err:
        raise Rejected(ENVELOPE, f"bad provenance: {_summary(err)}", stream) from err
    except InvalidTimestamp as err:
        raise Rejected(ENVELOPE, f"bad provenance: fetched_at: {err}", stream) from err


@lru_cache(maxsize=4096)
def _cached_provenance_columns(
    items: tuple[tuple[str, Any], ...], ingested_at: int
) -> dict[str, Any]:
    # Every line of a page carries the same provenance: validate each distinct one once.
    return provenance_columns(Provenance.model_validate(dict(items)), ingested_at)


def provenance_columns(prov: Provenance, ingested_at: int) -> dict[str, Any]:
    """The ``_``-prefixed provenance columns of every row that came from one landed line.

    Raises ``InvalidTimestamp`` if ``fetched_at`` is not a time.
    """
    return {
        "_run_id": prov.run_id,
        "_scope": prov.scope,
        "_window_start": prov.window_start,
        "_window_end": prov.window_end,
        "_page": prov.page,
        "_request_id": prov.request_id,
        "_path": prov.path,
        "_fetched_at": optional_micros(prov.fetched_at),
        "_ingested_at": ingested_at,
    }


def validate(stream: str, record: dict[str, Any]) -> RawRecord:
    """The record as its stream's model; raises ``Rejected`` (validate) if it cannot be one."""
    try:
        return STREAM_MODELS[stream].model_validate(record)
    except ValidationError as err:
        raise Rejected(VALIDATE, _summary(err), stream) from err


def record_row(table: LakeTable, record: RawRecord) -> dict[str, Any]:
    """The lake row of a validated record, without provenance.

    Timestamp columns become UTC microseconds (with ``<name>_raw`` kept where the schema has
    it), JSON columns become JSON text, and keys the model does not know go to ``extra``.
    """
    row = dict(vars(record))  # the declared fields; unknown keys live in ``model_extra``
    json_columns, timestamp_columns = _column_kinds(table.name)
    for name in json_columns:
        row[name] = to_json(row[name])
    for name, keep_raw in timestamp_columns:
        value = row[name]
        if value is None:
            continue
        try:
            row[name], raw = to_micros(value)
        except InvalidTimestamp as err:
            raise Rejected(VALIDATE, f"{name}: {err}") from err
        if keep_raw:
            row[f"{name}_raw"] = raw
    row["extra"] = to_json(record.model_extra) if record.model_extra else None
    for name in _enrichment_columns(table.name):
        row[name] = None  # filled per batch by pipeline.transform.enrich
    return row


@cache
def _enrichment_columns(table_name: str) -> tuple[str, ...]:
    return tuple(f.name for f in ENRICHMENT.get(table_name, ()))


@cache
def _column_kinds(table_name: str) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The model fields of a table stored as JSON, and those stored as timestamps (+ raw?)."""
    table = LAKE_TABLES[table_name]
    fields = STREAM_MODELS[table_name].model_fields
    json_columns = tuple(name for name in fields if name in table.json_columns)
    timestamps = tuple(
        (name, f"{name}_raw" in table.schema.names)
        for name in fields
        if table.schema.field(name).type == TIMESTAMP
    )
    return json_columns, timestamps


def audit_log_event(record: AuditLogRecord, event_time: int) -> tuple[dict[str, Any], bool]:
    """The ``events`` row of an audit-log record, and whether its action is a known one."""
    if record.user_id is not None:
        actor_type, actor_id, actor_email = "user", record.user_id, record.user_email
    elif record.service_user_id is not None:
        actor_type, actor_id, actor_email = "service_user", record.service_user_id, None
    else:
        actor_type, actor_id, actor_email = "system", None, None
    data = record.data if isinstance(record.data, dict) else {}
    classification = classify_action(record.action)
    return (
        _event(
            "audit_log",
            record.audit_log_id,
            event_time,
            org_id=record.org_id,
            actor=(actor_type, actor_id, actor_email),
            action=record.action,
            classification=classification,
            outcome=None,
            session_id=_text(data.get("session_id")),
            target=next((_text(data[k]) for k in TARGET_KEYS if data.get(k) is not None), None),
        ),
        classification.known,
    )


def guardrail_violation_event(
    record: GuardrailViolationRecord, event_time: int
) -> tuple[dict[str, Any], bool]:
    """The ``events`` row of a guardrail violation, and whether its ``action_taken`` is known."""
    classification = guardrail_severity(record.action_taken, record.confidence_score)
    return (
        _event(
            "guardrail_violation",
            str(record.violation_id),
            event_time,
            org_id=record.org_id,
            actor=violation_actor(record),
            action=GUARDRAIL_VIOLATION_ACTION,
            classification=classification,
            outcome=record.action_taken,
            session_id=record.session_id,
            target=None,
        ),
        classification.known,
    )


def violation_actor(record: GuardrailViolationRecord) -> tuple[str | None, str | None, str | None]:
    """(actor_type, actor_id, actor_email) of a violation: unknown for now.

    The API does not say who sent the message; the session's ``user_id``/``service_user_id``
    will, once violations are enriched with the ``sessions`` snapshots. That lookup goes here.
    """
    return None, None, None


def _event(
    source: str,
    source_id: str,
    event_time: int,
    *,
    org_id: str | None,
    actor: tuple[str | None, str | None, str | None],
    action: str | None,
    classification: Classification,
    outcome: str | None,
    session_id: str | None,
    target: str | None,
) -> dict[str, Any]:
    return {
        "event_id": f"{source}:{source_id}",
        "source": source,
        "source_id": source_id,
        "event_time": event_time,
        "org_id": org_id,
        "actor_type": actor[0],
        "actor_id": actor[1],
        "actor_email": actor[2],
        "action": action,
        "category": classification.category,
        "severity": classification.severity,
        "outcome": outcome,
        "session_id": session_id,
        "target": target,
        **dict.fromkeys(_enrichment_columns("events")),
    }


def to_json(value: Any) -> str | None:
    """JSON text of a raw value (None stays None); key order is kept as the API sent it."""
    return None if value is None else orjson.dumps(value).decode()


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json(value)


def _summary(err: ValidationError) -> str:
    # Field names and messages only: the input values may be user prompts or emails.
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
        for e in err.errors(include_url=False, include_input=False)
    )

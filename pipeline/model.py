"""What the Devin API sends us and what the lake keeps: raw-record models and lake-table schemas.

Raw models are deliberately tolerant (see devin-api.md §6.10): unknown keys are kept (they end up
in the ``extra`` column), actions are open strings, and only the fields a row cannot exist without
are required: the record's id and ``created_at`` for events, the id for dimension snapshots.
Timestamps stay as the API sent them here; ``pipeline.transform.timestamps`` decides their unit.

Every lake table has one pyarrow schema (``*_SCHEMA``) and one ``LakeTable`` entry in
``LAKE_TABLES`` saying how it is keyed and partitioned. Nested values (``data``, role
assignments, tags...) are stored as JSON text, which DuckDB exposes as its JSON type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

# An epoch as the API may send it: int (seconds or milliseconds), float, or a string.
# Strict types so that ``true`` is not read as 1970-01-01T00:00:01.
RawTimestamp = StrictInt | StrictFloat | StrictStr
# Integers bound for an int64 column: a larger one is a bad record, not a failed batch.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
# A record's own id: an empty one is as missing as an absent one.
Id = Annotated[str, Field(min_length=1)]


class RawRecord(BaseModel):
    """Base of the raw API records: unknown keys are kept, numbers are accepted as ids."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, frozen=True)


class AuditLogRecord(RawRecord):
    """One item of ``GET /v3/enterprise/audit-logs`` (devin-api.md §1.3)."""

    audit_log_id: Id
    action: str | None = None
    created_at: RawTimestamp
    data: Any = None  # an object per the docs; absent from early v3beta1 records
    org_id: str | None = None
    user_id: str | None = None
    user_email: str | None = None
    service_user_id: str | None = None
    service_user_name: str | None = None


class GuardrailViolationRecord(RawRecord):
    """One item of ``GET /v3beta1/enterprise/guardrail-violations`` (devin-api.md §2.3)."""

    violation_id: Int64
    event_id: str | None = None
    created_at: RawTimestamp
    org_id: str | None = None
    session_id: str | None = None
    guardrail_id: str | None = None
    guardrail_name: str | None = None
    action_taken: str | None = None  # documented values are a hint, not an enum
    confidence_score: float | None = None
    reasoning: str | None = None
    user_message: str | None = None


class OrgRecord(RawRecord):
    """One organization (devin-api.md §3.2)."""

    org_id: Id
    name: str | None = None
    created_at: RawTimestamp | None = None
    updated_at: RawTimestamp | None = None
    max_cycle_acu_limit: Int64 | None = None
    max_session_acu_limit: Int64 | None = None


class UserRecord(RawRecord):
    """One enterprise user (devin-api.md §3.3)."""

    user_id: Id
    email: str | None = None
    name: str | None = None
    role_assignments: Any = None


class ServiceUserRecord(RawRecord):
    """One service user (devin-api.md §3.4)."""

    service_user_id: Id
    name: str | None = None
    expires_at: RawTimestamp | None = None
    role_assignments: Any = None


class SessionRecord(RawRecord):
    """One session snapshot (devin-api.md §3.1); enum-like fields are open strings."""

    session_id: Id
    org_id: str | None = None
    status: str | None = None
    status_detail: str | None = None
    title: str | None = None
    tags: Any = None
    url: str | None = None
    created_at: RawTimestamp | None = None
    updated_at: RawTimestamp | None = None
    acus_consumed: float | None = None
    pull_requests: Any = None
    user_id: str | None = None
    service_user_id: str | None = None
    origin: str | None = None
    category: str | None = None
    playbook_id: str | None = None
    parent_session_id: str | None = None
    child_session_ids: Any = None
    is_advanced: bool | None = None
    is_archived: bool | None = None
    structured_output: Any = None


class Provenance(BaseModel):
    """The ``provenance`` object the extractor stamps on every landed line."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    run_id: str | None = None
    scope: str | None = None
    window_start: Int64 | None = None
    window_end: Int64 | None = None
    page: Int64 | None = None
    request_id: str | None = None
    fetched_at: float | None = None
    path: str | None = None


# Which raw model each landed stream holds.
STREAM_MODELS: dict[str, type[RawRecord]] = {
    "audit_logs": AuditLogRecord,
    "guardrail_violations": GuardrailViolationRecord,
    "orgs": OrgRecord,
    "users": UserRecord,
    "service_users": ServiceUserRecord,
    "sessions": SessionRecord,
}

# ---------------------------------------------------------------------------------------------
# Lake schemas

TIMESTAMP = pa.timestamp("us", tz="UTC")
PARTITION_COLUMN = "event_date"

# Provenance columns on every data table: the landed line's provenance, plus when we ingested it.
# ``_window_start``/``_window_end`` stay raw epoch seconds, like the API's filters.
PROVENANCE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("_run_id", pa.string()),
    pa.field("_scope", pa.string()),
    pa.field("_window_start", pa.int64()),
    pa.field("_window_end", pa.int64()),
    pa.field("_page", pa.int64()),
    pa.field("_request_id", pa.string()),
    pa.field("_path", pa.string()),  # the API path of the request
    pa.field("_fetched_at", TIMESTAMP),
    pa.field("_ingested_at", TIMESTAMP),
)


def _schema(*fields: pa.Field, provenance: bool = True) -> pa.Schema:
    return pa.schema([*fields, *(PROVENANCE_FIELDS if provenance else ())])


AUDIT_LOGS_SCHEMA = _schema(
    pa.field("audit_log_id", pa.string(), nullable=False),
    pa.field("action", pa.string()),
    pa.field("created_at", TIMESTAMP, nullable=False),
    pa.field("created_at_raw", pa.int64()),
    pa.field("org_id", pa.string()),
    pa.field("user_id", pa.string()),
    pa.field("user_email", pa.string()),
    pa.field("service_user_id", pa.string()),
    pa.field("service_user_name", pa.string()),
    pa.field("data", pa.string()),  # JSON text of the raw ``data`` object
    pa.field("extra", pa.string()),  # JSON text of keys the model does not know
)

GUARDRAIL_VIOLATIONS_SCHEMA = _schema(
    pa.field("violation_id", pa.int64(), nullable=False),
    pa.field("event_id", pa.string()),
    pa.field("session_id", pa.string()),
    pa.field("org_id", pa.string()),
    pa.field("guardrail_id", pa.string()),
    pa.field("guardrail_name", pa.string()),
    pa.field("action_taken", pa.string()),
    pa.field("confidence_score", pa.float64()),
    pa.field("reasoning", pa.string()),
    pa.field("user_message", pa.string()),
    pa.field("created_at", TIMESTAMP, nullable=False),
    pa.field("created_at_raw", pa.int64()),
    pa.field("extra", pa.string()),
    *(
        VIOLATION_ENRICHMENT := (
            # From the dimension snapshots (pipeline.transform.enrich): the API gives a violation no
            # actor; its session says who ran it.
            pa.field("org_name", pa.string()),
            pa.field("session_user_id", pa.string()),
            pa.field("session_service_user_id", pa.string()),
            pa.field("session_origin", pa.string()),
            pa.field("session_title", pa.string()),
            pa.field("session_tags", pa.string()),  # JSON
            pa.field("session_playbook_id", pa.string()),
        )
    ),
)

EVENTS_SCHEMA = _schema(
    pa.field("event_id", pa.string(), nullable=False),  # "<source>:<source_id>"
    pa.field("source", pa.string(), nullable=False),  # audit_log | guardrail_violation
    pa.field("source_id", pa.string(), nullable=False),
    pa.field("event_time", TIMESTAMP, nullable=False),
    pa.field("org_id", pa.string()),
    pa.field("actor_type", pa.string()),  # user | service_user | system; null until enriched
    pa.field("actor_id", pa.string()),
    pa.field("actor_email", pa.string()),  # the record's, else the users snapshot's
    pa.field("action", pa.string()),
    pa.field("category", pa.string(), nullable=False),
    pa.field("severity", pa.string(), nullable=False),
    pa.field("outcome", pa.string()),
    pa.field("session_id", pa.string()),
    pa.field("target", pa.string()),
    *(
        EVENT_ENRICHMENT := (
            pa.field("org_name", pa.string()),
            pa.field("actor_name", pa.string()),
            pa.field("session_origin", pa.string()),
            pa.field("session_title", pa.string()),
        )
    ),
)

DEAD_LETTERS_SCHEMA = _schema(
    pa.field("stage", pa.string(), nullable=False),  # parse | envelope | validate
    pa.field("error", pa.string(), nullable=False),
    pa.field("stream", pa.string()),
    pa.field("raw", pa.string(), nullable=False),  # the landed line (invalid UTF-8 replaced)
    pa.field("_run_id", pa.string()),
    pa.field("_landed_file", pa.string(), nullable=False),  # relative to the lake when inside
    pa.field("_offset", pa.int64(), nullable=False),  # byte offset of the line in that file
    pa.field("_ingested_at", TIMESTAMP, nullable=False),
    provenance=False,
)

ORGS_SCHEMA = _schema(
    pa.field("org_id", pa.string(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("created_at", TIMESTAMP),
    pa.field("updated_at", TIMESTAMP),
    pa.field("max_cycle_acu_limit", pa.int64()),
    pa.field("max_session_acu_limit", pa.int64()),
    pa.field("extra", pa.string()),
)

USERS_SCHEMA = _schema(
    pa.field("user_id", pa.string(), nullable=False),
    pa.field("email", pa.string()),
    pa.field("name", pa.string()),
    pa.field("role_assignments", pa.string()),  # JSON
    pa.field("extra", pa.string()),
)

SERVICE_USERS_SCHEMA = _schema(
    pa.field("service_user_id", pa.string(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("expires_at", TIMESTAMP),
    pa.field("role_assignments", pa.string()),  # JSON
    pa.field("extra", pa.string()),
)

SESSIONS_SCHEMA = _schema(
    pa.field("session_id", pa.string(), nullable=False),
    pa.field("org_id", pa.string()),
    pa.field("status", pa.string()),
    pa.field("status_detail", pa.string()),
    pa.field("title", pa.string()),
    pa.field("tags", pa.string()),  # JSON
    pa.field("url", pa.string()),
    pa.field("created_at", TIMESTAMP),
    pa.field("updated_at", TIMESTAMP),
    pa.field("acus_consumed", pa.float64()),
    pa.field("pull_requests", pa.string()),  # JSON
    pa.field("user_id", pa.string()),
    pa.field("service_user_id", pa.string()),
    pa.field("origin", pa.string()),
    pa.field("category", pa.string()),
    pa.field("playbook_id", pa.string()),
    pa.field("parent_session_id", pa.string()),
    pa.field("child_session_ids", pa.string()),  # JSON
    pa.field("is_advanced", pa.bool_()),
    pa.field("is_archived", pa.bool_()),
    pa.field("structured_output", pa.string()),  # JSON
    pa.field("extra", pa.string()),
)


@dataclass(frozen=True)
class LakeTable:
    """How one lake table is laid out and kept free of duplicates.

    ``time_column`` set: partitioned hive-style by its UTC date (``event_date=YYYY-MM-DD``),
    files sorted by it, and a key already present in another file of the partition is dropped.
    ``time_column`` None: a snapshot table; each batch keeps the newest row per key and the
    views pick the newest snapshot across batches.
    """

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    time_column: str | None
    json_columns: tuple[str, ...] = ()

    @property
    def partitioned(self) -> bool:
        return self.time_column is not None


LAKE_TABLES: dict[str, LakeTable] = {
    t.name: t
    for t in (
        LakeTable(
            "audit_logs", AUDIT_LOGS_SCHEMA, ("audit_log_id",), "created_at", ("data", "extra")
        ),
        LakeTable(
            "guardrail_violations",
            GUARDRAIL_VIOLATIONS_SCHEMA,
            ("violation_id",),
            "created_at",
            ("extra", "session_tags"),
        ),
        LakeTable("events", EVENTS_SCHEMA, ("event_id",), "event_time"),
        # Ingestion time: the same bad line re-landed on another day is a new dead letter,
        # which the view folds back to one row per (file, offset).
        LakeTable("dead_letters", DEAD_LETTERS_SCHEMA, ("_landed_file", "_offset"), "_ingested_at"),
        LakeTable("orgs", ORGS_SCHEMA, ("org_id",), None, ("extra",)),
        LakeTable("users", USERS_SCHEMA, ("user_id",), None, ("role_assignments", "extra")),
        LakeTable(
            "service_users",
            SERVICE_USERS_SCHEMA,
            ("service_user_id",),
            None,
            ("role_assignments", "extra"),
        ),
        LakeTable(
            "sessions",
            SESSIONS_SCHEMA,
            ("session_id",),
            None,
            ("tags", "pull_requests", "child_session_ids", "structured_output", "extra"),
        ),
    )
}

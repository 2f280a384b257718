"""The raw models and the lake schemas describe the same fields."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipeline.model import (
    EVENT_ENRICHMENT,
    EVENTS_SCHEMA,
    LAKE_TABLES,
    PROVENANCE_FIELDS,
    STREAM_MODELS,
    TIMESTAMP,
    VIOLATION_ENRICHMENT,
    AuditLogRecord,
    GuardrailViolationRecord,
    Provenance,
)
from pipeline.transform.normalize import ENRICHMENT

PROVENANCE_COLUMNS = {f.name for f in PROVENANCE_FIELDS}


@pytest.mark.parametrize("stream", sorted(STREAM_MODELS))
def test_each_stream_table_is_its_model_plus_raw_times_extra_and_provenance(stream: str) -> None:
    table = LAKE_TABLES[stream]
    fields = set(STREAM_MODELS[stream].model_fields)
    raw_times = {f"{n}_raw" for n in fields if f"{n}_raw" in table.schema.names}
    enriched = {f.name for f in ENRICHMENT.get(stream, ())}
    assert set(table.schema.names) == (
        fields | raw_times | {"extra"} | PROVENANCE_COLUMNS | enriched
    )
    assert set(table.key) <= fields
    assert set(table.json_columns) <= set(table.schema.names)
    for name in table.json_columns:
        assert table.schema.field(name).type == pa.string()


def test_event_streams_keep_the_raw_created_at() -> None:
    for stream in ("audit_logs", "guardrail_violations"):
        schema = LAKE_TABLES[stream].schema
        assert schema.field("created_at").type == TIMESTAMP
        assert schema.field("created_at_raw").type == pa.int64()


def test_provenance_columns_are_the_provenance_model_plus_ingestion_time() -> None:
    assert {f"_{name}" for name in Provenance.model_fields} | {"_ingested_at"} == (
        PROVENANCE_COLUMNS
    )


def test_events_have_the_contract_columns() -> None:
    contract = {
        "event_id",
        "source",
        "source_id",
        "event_time",
        "org_id",
        "actor_type",
        "actor_id",
        "actor_email",
        "action",
        "category",
        "severity",
        "outcome",
        "session_id",
        "target",
        "org_name",
        "actor_name",
        "session_origin",
        "session_title",
    }
    assert set(EVENTS_SCHEMA.names) == contract | PROVENANCE_COLUMNS
    assert {f.name for f in EVENT_ENRICHMENT} <= contract


def test_violations_carry_their_sessions_enrichment() -> None:
    names = {f.name for f in VIOLATION_ENRICHMENT}
    assert names == {
        "org_name",
        "session_user_id",
        "session_service_user_id",
        "session_origin",
        "session_title",
        "session_tags",
        "session_playbook_id",
    }
    assert names <= set(LAKE_TABLES["guardrail_violations"].schema.names)


def test_models_keep_unknown_keys_and_open_strings() -> None:
    record = AuditLogRecord.model_validate(
        {"audit_log_id": 7, "action": "never_seen_before", "created_at": 1, "new_field": [1]}
    )
    assert record.audit_log_id == "7"
    assert record.action == "never_seen_before"
    assert record.model_extra == {"new_field": [1]}
    violation = GuardrailViolationRecord.model_validate(
        {"violation_id": 1, "created_at": 1, "action_taken": "quarantine"}
    )
    assert violation.action_taken == "quarantine"


def test_every_table_is_keyed_by_non_nullable_columns() -> None:
    for table in LAKE_TABLES.values():
        for name in table.key:
            assert not table.schema.field(name).nullable, (table.name, name)
        if table.time_column:
            assert table.schema.field(table.time_column).type == TIMESTAMP

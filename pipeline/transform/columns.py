"""Events, taxonomy and enrichment a column at a time (pyarrow compute), for whole Arrow tables.

The vectorized twins of ``normalize.audit_log_event``/``guardrail_violation_event`` and the
lookups of ``enrich``: same rules, no Python loop over rows. ``tests/test_transform_paths.py``
keeps them equal to the per-record functions.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.model import EVENTS_SCHEMA, PROVENANCE_FIELDS
from pipeline.transform.taxonomy import (
    ACTIONS,
    GUARDRAIL_SEVERITY,
    GUARDRAIL_VIOLATION_ACTION,
    HIGH_CONFIDENCE,
    SEVERITIES,
    UNKNOWN,
    UNKNOWN_GUARDRAIL_SEVERITY,
)

_ACTION_NAMES = pa.array(list(ACTIONS), pa.string())
_ACTION_CATEGORIES = pa.array([c.category for c in ACTIONS.values()], pa.string())
_ACTION_SEVERITIES = pa.array([c.severity for c in ACTIONS.values()], pa.string())
_TAKEN = pa.array(list(GUARDRAIL_SEVERITY), pa.string())
_TAKEN_LEVEL = pa.array([SEVERITIES.index(s) for s in GUARDRAIL_SEVERITY.values()], pa.int8())
_SEVERITIES = pa.array(SEVERITIES, pa.string())
_PROVENANCE = [f.name for f in PROVENANCE_FIELDS]


def lookup(keys: pa.Array | pa.ChunkedArray, names: pa.Array, values: pa.Array) -> pa.Array:
    """``values[i]`` where ``keys == names[i]``, null where a key is null or not in ``names``.

    ``names`` must be unique (the first match wins otherwise).
    """
    return values.take(pc.index_in(keys, value_set=names))


def _unknown(values: pa.ChunkedArray, index: pa.Array) -> dict[str | None, int]:
    if not index.null_count:
        return {}
    counts = pc.value_counts(values.filter(pc.is_null(index))).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


def classify_actions(
    actions: pa.ChunkedArray,
) -> tuple[pa.Array, pa.Array, dict[str | None, int]]:
    """(category, severity, unknown actions counted): ``taxonomy.classify_action`` per row."""
    index = pc.index_in(actions, value_set=_ACTION_NAMES)
    category = pc.fill_null(_ACTION_CATEGORIES.take(index), UNKNOWN.category)
    severity = pc.fill_null(_ACTION_SEVERITIES.take(index), UNKNOWN.severity)
    return category, severity, _unknown(actions, index)


def guardrail_severities(
    action_taken: pa.ChunkedArray, confidence: pa.ChunkedArray
) -> tuple[pa.Array, dict[str | None, int]]:
    """(severity, unknown ``action_taken`` counted): ``taxonomy.guardrail_severity`` per row."""
    index = pc.index_in(action_taken, value_set=_TAKEN)
    base = pc.fill_null(_TAKEN_LEVEL.take(index), SEVERITIES.index(UNKNOWN_GUARDRAIL_SEVERITY))
    fraction = pc.if_else(pc.greater(confidence, 1.0), pc.divide(confidence, 100.0), confidence)
    bump = pc.fill_null(pc.greater_equal(fraction, HIGH_CONFIDENCE), False)
    level = pc.min_element_wise(
        pc.add(pc.cast(base, pa.int8()), pc.cast(bump, pa.int8())), len(SEVERITIES) - 1
    )
    return _SEVERITIES.take(level), _unknown(action_taken, index)


def _constant(value: str | None, n: int) -> pa.Array:
    return pa.nulls(n, pa.string()) if value is None else pa.array([value] * n, pa.string())


def _events(columns: dict[str, pa.Array | pa.ChunkedArray], rows: pa.Table) -> pa.Table:
    for name in _PROVENANCE:
        columns[name] = rows[name]
    n = rows.num_rows
    arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in EVENTS_SCHEMA]
    return pa.Table.from_arrays(
        [pc.cast(a, f.type) for a, f in zip(arrays, EVENTS_SCHEMA, strict=True)],
        schema=EVENTS_SCHEMA,
    )


def audit_log_events(rows: pa.Table) -> tuple[pa.Table, dict[str | None, int]]:
    """``events`` rows of fast-path audit rows (with ``__data_*``), and the unknown actions.

    ``normalize.audit_log_event`` per row: the user, else the service user, else the system.
    """
    ids = rows["audit_log_id"]
    has_user = pc.is_valid(rows["user_id"])
    has_service = pc.is_valid(rows["service_user_id"])
    category, severity, unknown = classify_actions(rows["action"])
    n = rows.num_rows
    columns = {
        "event_id": pc.binary_join_element_wise("audit_log", ids, ":"),
        "source": _constant("audit_log", n),
        "source_id": ids,
        "event_time": rows["created_at"],
        "org_id": rows["org_id"],
        "actor_type": pc.if_else(
            has_user, "user", pc.if_else(has_service, "service_user", "system")
        ),
        "actor_id": pc.coalesce(rows["user_id"], rows["service_user_id"]),
        "actor_email": pc.if_else(has_user, rows["user_email"], pa.scalar(None, pa.string())),
        "action": rows["action"],
        "category": category,
        "severity": severity,
        "session_id": rows["__data_session_id"],
        "target": pc.coalesce(rows["__data_target_user_id"], rows["__data_target_group_name"]),
    }
    return _events(columns, rows), unknown


def guardrail_violation_events(rows: pa.Table) -> tuple[pa.Table, dict[str | None, int]]:
    """``events`` rows of violation rows, and the unknown ``action_taken`` count."""
    severity, unknown = guardrail_severities(rows["action_taken"], rows["confidence_score"])
    ids = pc.cast(rows["violation_id"], pa.string())
    n = rows.num_rows
    columns = {
        "event_id": pc.binary_join_element_wise("guardrail_violation", ids, ":"),
        "source": _constant("guardrail_violation", n),
        "source_id": ids,
        "event_time": rows["created_at"],
        "org_id": rows["org_id"],
        "action": _constant(GUARDRAIL_VIOLATION_ACTION, n),
        "category": _constant("guardrail", n),
        "severity": severity,
        "outcome": rows["action_taken"],
        "session_id": rows["session_id"],
    }
    return _events(columns, rows), unknown

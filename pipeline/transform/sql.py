"""The vectorized fast path of the transform: landed lines → lake rows, one DuckDB pass a stream.

The pydantic models of ``pipeline.model`` stay the definition of a valid record; this module is a
conservative, column-at-a-time implementation of the same rules for the shape nearly every
landed line has (an extractor-written envelope whose record has the documented fields with their
documented JSON types). A line is on the fast path only if its JSON parses, its envelope starts
``{"stream":"<audit_logs|guardrail_violations>",``, its record has no unknown or repeated keys,
and every field has a JSON type whose conversion is unambiguous (strings or null for text,
integers for ids and ``created_at``, numbers for scores and ``fetched_at``). Every other line,
legacy v2 entries, dimension snapshots and bad lines included, goes to the pydantic path
(``pipeline.transform.tables.normalize_lines``), which decides its fate and its error message.
``tests/test_transform_paths.py`` runs both paths over the same sample and requires the same rows.

The SQL here is built from the constant path lists below, never from data; values are bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.model import (
    AUDIT_LOGS_SCHEMA,
    GUARDRAIL_VIOLATIONS_SCHEMA,
    AuditLogRecord,
    GuardrailViolationRecord,
    Provenance,
)
from pipeline.transform.timestamps import MILLISECONDS_ABOVE

# The first bytes of an extractor-written line of each fast stream (pipeline.extract.landing).
PREFIXES: dict[str, str] = {
    "audit_logs": '{"stream":"audit_logs",',
    "guardrail_violations": '{"stream":"guardrail_violations",',
}
_MAX_SECONDS = 253_402_300_800  # as pipeline.transform.timestamps: 10000-01-01T00:00:00Z
_MS = int(MILLISECONDS_ABOVE)

# Kinds of field, each with its fast-path type test and its conversion (``{t}``: the JSON type,
# ``{v}``: the value as text).
_TEXT = "text"  # str | None: JSON string or null
_ID = "id"  # required non-empty string
_INT = "int"  # int64 | None
_REQUIRED_INT = "required_int"
_FLOAT = "float"  # float | None (a JSON integer is read as a float, like pydantic)
_EPOCH = "epoch"  # required API timestamp: integer seconds or milliseconds
_FETCHED = "fetched"  # optional epoch as a number (the extractor's fetch time)
_JSON = "json"  # any value, kept as JSON text
_FIELDS = {
    "audit_logs": {
        "audit_log_id": _ID,
        "action": _TEXT,
        "created_at": _EPOCH,
        "data": _JSON,
        "org_id": _TEXT,
        "user_id": _TEXT,
        "user_email": _TEXT,
        "service_user_id": _TEXT,
        "service_user_name": _TEXT,
    },
    "guardrail_violations": {
        "violation_id": _REQUIRED_INT,
        "event_id": _TEXT,
        "created_at": _EPOCH,
        "org_id": _TEXT,
        "session_id": _TEXT,
        "guardrail_id": _TEXT,
        "guardrail_name": _TEXT,
        "action_taken": _TEXT,
        "confidence_score": _FLOAT,
        "reasoning": _TEXT,
        "user_message": _TEXT,
    },
}
_PROVENANCE = {
    "run_id": _TEXT,
    "scope": _TEXT,
    "window_start": _INT,
    "window_end": _INT,
    "page": _INT,
    "request_id": _TEXT,
    "fetched_at": _FETCHED,
    "path": _TEXT,
}
# What audit events read out of ``data`` (see normalize.audit_log_event): text or JSON text.
_DATA_KEYS = ("session_id", "target_user_id", "target_group_name")
_INTS = ("'UBIGINT'", "'BIGINT'")


def _check_models() -> None:
    # The fast path must know exactly the models' fields: a field added to a model and not here
    # would be an "unknown key" and send every line to the slow path (correct, but slow).
    assert set(_FIELDS["audit_logs"]) == set(AuditLogRecord.model_fields)
    assert set(_FIELDS["guardrail_violations"]) == set(GuardrailViolationRecord.model_fields)
    assert set(_PROVENANCE) == set(Provenance.model_fields)


_check_models()


def _paths(stream: str) -> list[tuple[str, str, str]]:
    """(column, JSON path, kind) of everything the fast path reads from a line of ``stream``."""
    paths = [("__stream", "$.stream", _TEXT)]
    paths += [(name, f"$.record.{name}", kind) for name, kind in _FIELDS[stream].items()]
    paths += [(f"_{name}", f"$.provenance.{name}", kind) for name, kind in _PROVENANCE.items()]
    paths += [("__record", "$.record", _JSON), ("__provenance", "$.provenance", _JSON)]
    if stream == "audit_logs":
        paths += [(f"__data_{k}", f"$.record.data.{k}", _JSON) for k in _DATA_KEYS]
    return paths


def _accepts(kind: str, t: str, v: str) -> str:
    """SQL: the JSON type ``t`` (and value ``v``) of a field is one the fast path converts."""
    absent = f"({t} IS NULL OR {t} = 'NULL')"
    ints = f"{t} IN ({', '.join(_INTS)}) AND TRY_CAST({v} AS BIGINT) IS NOT NULL"
    if kind == _TEXT:
        return f"({absent} OR {t} = 'VARCHAR')"
    if kind == _ID:
        return f"({t} = 'VARCHAR' AND {v} <> '')"
    if kind == _INT:
        return f"({absent} OR ({ints}))"
    if kind == _REQUIRED_INT:
        return f"({ints})"
    if kind == _FLOAT:
        number = f"{t} IN ('DOUBLE', {', '.join(_INTS)})"
        return f"({absent} OR ({number} AND TRY_CAST({v} AS DOUBLE) IS NOT NULL))"
    if kind == _FETCHED:
        n = f"TRY_CAST({v} AS DOUBLE)"
        number = f"{t} IN ('DOUBLE', {', '.join(_INTS)})"
        in_range = (
            f"({n} >= 0 AND ({n} < {_MAX_SECONDS} "
            f"OR ({n} > {_MS} AND {n} < {_MAX_SECONDS * 1000})))"
        )
        return f"({absent} OR ({number} AND {in_range}))"
    if kind == _EPOCH:
        n = f"TRY_CAST({v} AS BIGINT)"
        in_range = (
            f"({n} BETWEEN 0 AND {_MAX_SECONDS - 1} "
            f"OR ({n} > {_MS} AND {n} < {_MAX_SECONDS * 1000}))"
        )
        return f"({ints} AND {in_range})"
    return "TRUE"  # JSON: any value


def _convert(kind: str, t: str, v: str) -> str:
    """SQL: the lake value of a field the fast path accepted."""
    if kind in (_TEXT, _ID):
        return f"CASE WHEN {t} = 'VARCHAR' THEN {v} END"
    if kind in (_INT, _REQUIRED_INT):
        return f"TRY_CAST({v} AS BIGINT)"
    if kind in (_FLOAT, _FETCHED):
        return f"TRY_CAST({v} AS DOUBLE)"
    if kind == _EPOCH:
        return f"TRY_CAST({v} AS BIGINT)"  # the raw integer; micros below
    return f"CASE WHEN {t} IS NOT NULL AND {t} <> 'NULL' THEN {v} END"  # JSON text


def _micros(raw: str) -> str:
    return f"CASE WHEN {raw} > {_MS} THEN {raw} * 1000 ELSE {raw} * 1000000 END"


def fast_sql(stream: str) -> str:
    """One SELECT over ``lines(_i, line)``: the stream's lines by prefix, typed, with ``__fast``.

    Values come from two parses of each line (``json_type`` and ``json_extract_string`` over one
    list of paths), JSON subtrees from ``json_extract``. Rows with ``__fast`` false go to the
    pydantic path; their other columns are meaningless.
    """
    paths = _paths(stream)
    path_list = "[" + ", ".join(f"'{p}'" for _, p, _ in paths) + "]"
    json_paths = [(n, p) for n, p, k in paths if k == _JSON and not n.startswith("__")]
    known = "[" + ", ".join(f"'{name}'" for name in _FIELDS[stream]) + "]"
    checks = [f"__t[1] = 'VARCHAR' AND __v[1] = '{stream}'"]
    checks += [f"__t[{_index(paths, c)}] = 'OBJECT'" for c in ("__record", "__provenance")]
    checks += [
        f"list_has_all({known}, __keys)",
        "len(__keys) = len(list_distinct(__keys))",
    ]
    columns = ["_i"]
    for i, (name, _path, kind) in enumerate(paths, start=1):
        t, v = f"__t[{i}]", f"__v[{i}]"
        if name.startswith("__") and not name.startswith("__data_"):
            continue
        checks.append(_accepts(kind, t, v))
        if name in dict(json_paths):
            present = f"{t} IS NOT NULL AND {t} <> 'NULL'"
            columns.append(f"CASE WHEN {present} THEN __{name} END AS {name}")
        else:
            columns.append(f"{_convert(kind, t, v)} AS {name}")
    json_extracts = ", ".join(
        f"CAST(json_extract(line, '{p}') AS VARCHAR) AS __{n}" for n, p in json_paths
    )
    parsed = (
        f"SELECT _i, line, json_type(line, {path_list}) AS __t, "  # noqa: S608 (constants)
        f"json_extract_string(line, {path_list}) AS __v, "
        f"json_keys(line, '$.record') AS __keys"
        + (f", {json_extracts}" if json_extracts else "")
        + f" FROM lines WHERE starts_with(line, '{PREFIXES[stream]}') AND json_valid(line)"
    )
    fast = " AND ".join(f"coalesce({c}, FALSE)" for c in checks)
    # MATERIALIZED: otherwise DuckDB inlines ``__t``/``__v`` into every reference and parses
    # each line once per field (measured: ten times slower).
    return (
        f"WITH parsed AS MATERIALIZED ({parsed}) "  # noqa: S608 (constants only)
        f"SELECT {', '.join(columns)}, ({fast}) AS __fast FROM parsed"
    )


def _index(paths: list[tuple[str, str, str]], name: str) -> int:
    return next(i for i, (n, _, _) in enumerate(paths, start=1) if n == name)


@dataclass(frozen=True)
class FastRows:
    """What the fast path made of one stream's lines: typed rows, and the lines it left over.

    ``rows``: the lake table's columns in schema order (``extra`` null, provenance without
    ``_ingested_at``), plus ``_i`` and, for audit logs, ``__data_*`` (text of ``data`` keys).
    ``slow``: ``_i`` of the lines that matched the stream's prefix but not the fast rules.
    """

    rows: pa.Table
    slow: pa.Array


def run_fast(con: duckdb.DuckDBPyConnection, stream: str, ingested_at: int) -> FastRows:
    """Run ``fast_sql(stream)`` over the ``lines`` relation registered on ``con``."""
    schema = AUDIT_LOGS_SCHEMA if stream == "audit_logs" else GUARDRAIL_VIOLATIONS_SCHEMA
    # An int we made, formatted: ``sql()`` (which avoids a copy of the rows) binds no parameters.
    table = con.sql(_select_sql(stream, int(ingested_at))).to_arrow_table()
    fast = table["__fast"]
    slow = table.filter(pc.invert(fast))["_i"].combine_chunks()
    rows = table.filter(fast) if len(slow) else table
    extra = [n for n in rows.column_names if n.startswith("__data_")]
    columns = {name: rows[name] for name in ["_i", *extra]}
    for field in schema:
        if field.name in rows.column_names:  # enrichment columns come later
            columns[field.name] = rows[field.name].cast(field.type)
    return FastRows(pa.table(columns), slow)


def _select_sql(stream: str, ingested_at: int) -> str:
    fields = _FIELDS[stream]
    outer = ["_i", "__fast"]
    outer += [f"__data_{k}" for k in _DATA_KEYS] if stream == "audit_logs" else []
    for name, kind in fields.items():
        if kind == _EPOCH:
            outer.append(f"make_timestamp({_micros(name)}) AS {name}")
            outer.append(f"{name} AS {name}_raw")
        else:
            outer.append(name)
    outer.append("CAST(NULL AS VARCHAR) AS extra")
    for name in _PROVENANCE:
        if name == "fetched_at":
            micros = "CAST(round_even(_fetched_at * 1000000, 0) AS BIGINT)"
            ms = "CAST(round_even(_fetched_at * 1000, 0) AS BIGINT)"
            value = f"CASE WHEN _fetched_at > {_MS} THEN {ms} ELSE {micros} END"
            outer.append(f"make_timestamp({value}) AS _fetched_at")
        else:
            outer.append(f"_{name}")
    outer.append(f"make_timestamp({ingested_at}) AS _ingested_at")
    inner = fast_sql(stream)
    return f"SELECT {', '.join(outer)} FROM ({inner}) AS typed"  # noqa: S608 (constants only)

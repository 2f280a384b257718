"""Export the lake's events to an NDJSON file: as OCSF, as ECS, or as the lake rows ("json").

``export`` reads the ``events`` view through ``queries.lake.connect``, joined with each event's
source row (``audit_logs`` or ``guardrail_violations``) for detail, maps every row with the pure
functions of ``pipeline.export.ocsf``/``ecs``, and writes one JSON object per line to a
temporary file beside ``out_path`` that is renamed over it only once complete: a reader sees
the previous file or the new one, never half of one.

Secrets: the lake is redacted by the transform; this module adds nothing from elsewhere. The
violations' ``user_message`` column is not even read unless ``include_user_message`` is set.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import orjson

from pipeline.export import record
from pipeline.export.ecs import to_ecs
from pipeline.export.ocsf import to_ocsf
from queries.lake import connect

logger = logging.getLogger(__name__)

Format = Literal["ocsf", "ecs", "json"]
FORMATS: tuple[str, ...] = ("ocsf", "ecs", "json")
SOURCES: tuple[str, ...] = (record.AUDIT_SOURCE, record.VIOLATION_SOURCE)
BATCH_ROWS = 1_000

_MAPPERS: dict[str, Callable[..., dict[str, Any]]] = {"ocsf": to_ocsf, "ecs": to_ecs}

# The one query of this module. Its only variable part is which violation columns it reads,
# chosen between two constant texts below; values are bound as parameters.
_EXPORT_SQL = """
-- name: export_events
-- description: Events in time order with their source row (audit log or violation) as a struct.
-- parameters: $since, $until, $source
SELECT e.*, a AS __audit, g AS __violation
FROM events AS e
LEFT JOIN audit_logs AS a
    ON e.source = 'audit_log' AND a.audit_log_id = e.source_id
LEFT JOIN ({violations}) AS g
    ON e.source = 'guardrail_violation' AND CAST(g.violation_id AS VARCHAR) = e.source_id
WHERE ($since IS NULL OR e.event_time >= $since)
  AND ($until IS NULL OR e.event_time < $until)
  AND ($source IS NULL OR e.source = $source)
ORDER BY e.event_time, e.event_id
"""
_VIOLATIONS_WITHOUT_MESSAGE = "SELECT * EXCLUDE (user_message) FROM guardrail_violations"
_VIOLATIONS_WITH_MESSAGE = "SELECT * FROM guardrail_violations"


def export(
    lake_root: str | Path,
    fmt: Format,
    out_path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    include_user_message: bool = False,
) -> int:
    """Write the lake's events in ``[since, until)`` (optionally of one ``source``) to
    ``out_path`` as NDJSON in ``fmt`` and return how many were written.

    ``fmt`` is ``ocsf`` (OCSF 1.7.0 events), ``ecs`` (ECS documents) or ``json`` (the ``events``
    rows as stored). An export of nothing writes an empty file. ``include_user_message`` adds the
    lake's (redacted) ``user_message`` of violations to OCSF and ECS output. Raises
    ``ValueError`` for an unknown ``fmt`` or ``source``; on any error the previous file at
    ``out_path``, if any, is left as it was.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown event source {source!r}; one of {', '.join(SOURCES)}")
    out = Path(out_path)
    violations = _VIOLATIONS_WITH_MESSAGE if include_user_message else _VIOLATIONS_WITHOUT_MESSAGE
    sql = _EXPORT_SQL.format(violations=violations)
    con = connect(lake_root)
    try:
        rows = _rows(con, sql, {"since": since, "until": until, "source": source})
        count = _write_atomically(out, (_line(fmt, row) for row in rows))
    finally:
        con.close()
    logger.info("exported %d events as %s to %s", count, fmt, out)
    return count


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description or ()]
    while batch := cursor.fetchmany(BATCH_ROWS):
        for values in batch:
            yield dict(zip(names, values, strict=True))


def _line(fmt: str, row: dict[str, Any]) -> bytes:
    """One NDJSON line of a joined row: the event in ``fmt``, without the join's structs."""
    audit, violation = row.pop("__audit"), row.pop("__violation")
    if fmt == "json":
        return orjson.dumps(row, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    document = _MAPPERS[fmt](
        row,
        audit=audit if audit and audit.get("audit_log_id") is not None else None,
        violation=violation if violation and violation.get("violation_id") is not None else None,
    )
    return orjson.dumps(document)


def _write_atomically(out: Path, lines: Iterator[bytes]) -> int:
    """Write ``lines`` to ``out`` through a temporary file in the same directory; the count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    count = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for line in lines:
                fh.write(line)
                fh.write(b"\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())  # the rename must not publish a file still in the page cache
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count

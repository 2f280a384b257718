"""Landed lines to Arrow tables: the per-row loop of the transform, kept tight and Beam-free.

``normalize_lines`` turns the lines of one landed range into one Arrow table per lake table
(event streams also feed ``events``) plus a table of dead letters, and counts what it saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pyarrow as pa

from pipeline.model import (
    DEAD_LETTERS_SCHEMA,
    LAKE_TABLES,
    AuditLogRecord,
    GuardrailViolationRecord,
)
from pipeline.transform.landing import LandedRange
from pipeline.transform.normalize import (
    Rejected,
    audit_log_event,
    guardrail_violation_event,
    parse_line,
    record_row,
    validate,
)


class RowBuffer:
    """Rows appended as dicts, handed out as one Arrow table of ``schema``.

    A row must have every column of the schema (a missing one is a bug: ``KeyError``); other
    keys are ignored. Rows are kept as tuples, which is cheaper than keeping the dicts and
    lets ``to_table`` transpose them in C.
    """

    def __init__(self, schema: pa.Schema) -> None:
        if len(schema) < 2:  # itemgetter of one name returns a value, not a tuple
            raise ValueError("a RowBuffer needs a schema of two columns or more")
        self.schema = schema
        self._values = itemgetter(*schema.names)
        self.rows: list[tuple[Any, ...]] = []

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(self._values(row))

    def to_table(self) -> pa.Table:
        columns = zip(*self.rows, strict=True) if self.rows else ((),) * len(self.schema)
        return pa.Table.from_arrays(
            [pa.array(values, type=f.type) for values, f in zip(columns, self.schema, strict=True)],
            schema=self.schema,
        )


@dataclass
class Normalized:
    """What one landed range became."""

    tables: dict[str, pa.Table]  # lake table name → rows (not yet partitioned or deduplicated)
    dead_letters: pa.Table
    records_in: Counter[str]  # lines read per stream
    unknown_actions: Counter[str]  # "<stream>:<action>" of actions the taxonomy lacks
    offsets: dict[str, list[int]] = field(default_factory=dict)  # per table: each row's line


def normalize_lines(
    lines: Iterable[tuple[int, bytes]], source: LandedRange, ingested_at: int
) -> Normalized:
    """Normalize ``(offset, line)`` pairs read from ``source``; ``ingested_at`` is in µs.

    Every line ends up either as rows or as exactly one dead letter, never as an exception.
    """
    buffers = {name: RowBuffer(table.schema) for name, table in LAKE_TABLES.items()}
    dead = RowBuffer(DEAD_LETTERS_SCHEMA)
    records_in: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    offsets: dict[str, list[int]] = {name: [] for name in LAKE_TABLES}
    for offset, line in lines:
        try:
            landed = parse_line(line, ingested_at)
        except Rejected as err:
            stream = err.stream or source.stream
            records_in[stream or "unknown"] += 1
            dead.append(_dead_letter(err, line, offset, stream, source.run_id, source, ingested_at))
            continue
        stream = landed.stream
        records_in[stream] += 1
        try:
            record = validate(stream, landed.record)
            row = record_row(LAKE_TABLES[stream], record)
        except Rejected as err:
            run_id = landed.provenance["_run_id"] or source.run_id
            dead.append(_dead_letter(err, line, offset, stream, run_id, source, ingested_at))
            continue
        row.update(landed.provenance)
        buffers[stream].append(row)
        offsets[stream].append(offset)
        if isinstance(record, AuditLogRecord):
            event, known = audit_log_event(record, row["created_at"])
            if not known:
                unknown[f"{stream}:{record.action}"] += 1
        elif isinstance(record, GuardrailViolationRecord):
            event, known = guardrail_violation_event(record, row["created_at"])
            if not known:
                unknown[f"{stream}:{record.action_taken}"] += 1
        else:
            continue
        event.update(landed.provenance)
        buffers["events"].append(event)
        offsets["events"].append(offset)
    return Normalized(
        tables={name: b.to_table() for name, b in buffers.items() if b.rows},
        dead_letters=dead.to_table(),
        records_in=records_in,
        unknown_actions=unknown,
        offsets={name: offsets[name] for name, b in buffers.items() if b.rows},
    )


def _dead_letter(
    err: Rejected,
    line: bytes,
    offset: int,
    stream: str | None,
    run_id: str | None,
    source: LandedRange,
    ingested_at: int,
) -> dict[str, Any]:
    return {
        "stage": err.stage,
        "error": err.error,
        "stream": stream,
        "raw": line.decode("utf-8", "replace"),
        "_run_id": run_id,
        "_landed_file": source.landed_file,
        "_offset": offset,
        "_ingested_at": ingested_at,
    }

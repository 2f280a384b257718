"""One landed range to finished lake rows: the per-element work of the transform, vectorized.

1. The range's bytes become one Arrow string array of lines (no Python object per line).
2. DuckDB's fast path (``sql``) types the audit-log and violation lines it can prove ordinary.
3. Every other non-blank line goes through the pydantic path (``tables.normalize_lines``):
   dimension snapshots, legacy entries, unknown keys, odd types and every would-be dead letter.
4. Events come from the rows (``columns``), then redaction (``redaction``) and enrichment
   (``enrich``) run on whole tables. Rows stay in line order, so "first in batch order" holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.model import LAKE_TABLES
from pipeline.redact import DEFAULT_POLICY, RedactionPolicy
from pipeline.transform import columns, sql
from pipeline.transform.enrich import Dimensions, enrich_events, enrich_violations
from pipeline.transform.landing import LandedRange
from pipeline.transform.redaction import redact_table
from pipeline.transform.tables import Normalized, normalize_lines

_NEWLINE = 10


@dataclass(frozen=True)
class Lines:
    """The lines of a range: ``text`` (each with its newline), their byte offsets in the file."""

    text: pa.LargeStringArray
    offsets: np.ndarray
    invalid: np.ndarray  # indexes of lines that are not UTF-8 (blanked in ``text``)


def split_lines(chunk: bytes, base: int) -> Lines:
    """Cut ``chunk`` (whole lines, starting at file offset ``base``) into an Arrow array."""
    if chunk and not chunk.endswith(b"\n"):
        chunk += b"\n"
    ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == _NEWLINE)
    bounds = np.concatenate(([0], ends + 1)).astype(np.int64)
    text = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(bounds), pa.py_buffer(chunk))
    invalid = np.empty(0, np.int64)
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:  # some line is not UTF-8: blank those, the slow path reads them
        values: list[str] = []
        bad = []
        for i in range(len(ends)):
            try:
                values.append(chunk[bounds[i] : bounds[i + 1]].decode())
            except UnicodeDecodeError:
                values.append("\n")
                bad.append(i)
        text = pa.array(values, pa.large_string())
        invalid = np.array(bad, np.int64)
    return Lines(text, bounds[:-1] + base, invalid)


def connect(threads: int = 1) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for the fast path (one thread per Beam worker process)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET TimeZone = 'UTC'")
    return con


def normalize_chunk(
    con: duckdb.DuckDBPyConnection,
    chunk: bytes,
    base: int,
    source: LandedRange,
    ingested_at: int,
    dims: Dimensions | None = None,
    *,
    fast: bool = True,
    policy: RedactionPolicy = DEFAULT_POLICY,
) -> Normalized:
    """Normalize the whole lines in ``chunk`` (``base``: its offset in ``source``'s file).

    ``dims`` None: no enrichment (dimension ranges, which enrichment is built from).
    ``fast`` False: every line takes the pydantic path (tests compare the two).
    """
    if chunk and not chunk.endswith(b"\n"):
        chunk += b"\n"
    lines = split_lines(chunk, base)
    n = len(lines.text)
    fast_rows: dict[str, sql.FastRows] = {}
    slow = np.ones(n, bool)
    if fast and n:
        con.register("lines", pa.table({"_i": np.arange(n, dtype=np.int64), "line": lines.text}))
        try:
            for stream in sql.PREFIXES:
                rows = sql.run_fast(con, stream, ingested_at)
                if rows.rows.num_rows:
                    fast_rows[stream] = rows
                    slow[rows.rows["_i"].to_numpy()] = False
        finally:
            con.unregister("lines")
    slow_lines = []
    for i in np.flatnonzero(slow).tolist():
        start = int(lines.offsets[i] - base)
        line = chunk[start : chunk.index(b"\n", start)].rstrip(b"\r")
        if line and not line.isspace():
            slow_lines.append((int(lines.offsets[i]), line))
    result = normalize_lines(slow_lines, source, ingested_at)
    tables, counts = _merge(result, fast_rows, lines)
    # Redact (and pseudonymize) before enriching: the snapshots were redacted when they were
    # staged, so an email taken from them must not be pseudonymized a second time.
    tables = {name: redact_table(name, rows, policy) for name, rows in tables.items()}
    dead = redact_table("dead_letters", result.dead_letters, policy)
    if dims is not None:
        if "events" in tables:
            tables["events"] = enrich_events(tables["events"], dims)
        if "guardrail_violations" in tables:
            tables["guardrail_violations"] = enrich_violations(tables["guardrail_violations"], dims)
    return Normalized(tables, dead, counts[0], counts[1])


def _merge(
    slow: Normalized, fast: dict[str, sql.FastRows], lines: Lines
) -> tuple[dict[str, pa.Table], tuple[Counter[str], Counter[str]]]:
    """Fast and slow rows of each table together, in line order; and the counts."""
    records_in = Counter(slow.records_in)
    unknown = Counter(slow.unknown_actions)
    pieces: dict[str, list[tuple[pa.Table, np.ndarray]]] = {}
    for name, table in slow.tables.items():
        pieces.setdefault(name, []).append((table, np.asarray(slow.offsets[name], np.int64)))
    for stream, rows in fast.items():
        table = rows.rows
        offsets = lines.offsets[table["_i"].to_numpy()]
        records_in[stream] += table.num_rows
        if stream == "audit_logs":
            events, unknown_count = columns.audit_log_events(table)
        else:
            events, unknown_count = columns.guardrail_violation_events(table)
        unknown.update({f"{stream}:{action}": k for action, k in unknown_count.items()})
        schema = LAKE_TABLES[stream].schema
        own = pa.Table.from_arrays(
            [
                table[f.name] if f.name in table.column_names else pa.nulls(len(table), f.type)
                for f in schema
            ],
            schema=schema,
        )
        pieces.setdefault(stream, []).append((own, offsets))
        pieces.setdefault("events", []).append((events, offsets))
    tables = {}
    for name, parts in pieces.items():
        schema = LAKE_TABLES[name].schema
        if len(parts) == 1:
            tables[name] = parts[0][0].cast(schema)
            continue
        merged = pa.concat_tables([p.cast(schema) for p, _ in parts])
        order = np.argsort(np.concatenate([o for _, o in parts]), kind="stable")
        tables[name] = merged.take(pa.array(order))
    return tables, (records_in, unknown)

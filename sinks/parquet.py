"""The Parquet lake: atomic, idempotent writes of one batch into one table partition.

Layout: ``<lake>/<table>/event_date=YYYY-MM-DD/part-<batch_id>.parquet`` for event tables and
``<lake>/<table>/part-<batch_id>.parquet`` for snapshot tables (see ``pipeline.model.LakeTable``).

A batch owns its file names: replaying a batch rewrites its own files. Before writing, rows are
deduplicated by the table's key, first within the batch (the first occurrence in batch order
wins; snapshot tables keep the newest ``_fetched_at``), then, in partitioned tables, against
every *other* file of the partition, so re-pulled pages, overlapping windows and look-back
re-scans never add a row twice. Partition-local deduplication is enough because a key's
partition follows from its ``created_at``, which never changes.

The lake may be a local directory or object storage (``sinks.storage``): every file is written
atomically, so readers see the old file or the new one, never half of one; locally it is also
fsynced and private to its owner (0600), like the landing zone, since guardrail rows carry raw
user prompts. Concurrent writers to the same lake must be serialized by the caller (the runner
holds a lock in its local work directory).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.model import LAKE_TABLES, PARTITION_COLUMN, LakeTable
from sinks.storage import Lake, LakeRoot, join, lake_at

COMPRESSION = "zstd"
_ROW = "__row"  # scratch column holding each row's position in the batch


@dataclass(frozen=True)
class Written:
    """The outcome of one partition write: the file (None if nothing remained) and new rows.

    ``path`` is a local path, or a URI (``s3://...``) for a lake on object storage.
    """

    table: str
    path: str | None
    rows: int  # rows that were not in the lake before this write


def file_name(batch_id: str) -> str:
    """The name every file of a batch has."""
    return f"part-{batch_id}.parquet"


def partitions(table: LakeTable, rows: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Split rows by partition: ``("event_date=YYYY-MM-DD", rows)``, or ``("", rows)``."""
    if table.time_column is None:
        yield "", rows
        return
    dates = pc.cast(rows[table.time_column], pa.date32())
    for day in pc.unique(dates).to_pylist():
        yield f"{PARTITION_COLUMN}={day.isoformat()}", rows.filter(pc.equal(dates, day))


def write_partition(
    lake_root: LakeRoot,
    table: LakeTable,
    partition: str,
    batch_id: str,
    pieces: Sequence[pa.Table],
) -> Written:
    """Write a batch's rows of one partition (``pieces`` in batch order) atomically.

    Drops duplicates as the module docstring says; writes no file when no row remains (and
    removes the batch's own earlier file there, which a replay would have replaced).
    """
    lake = lake_at(lake_root)
    directory = lake.path(table.name, partition)
    lake.makedirs(directory)
    target = join(directory, file_name(batch_id))
    files = lake.data_files(directory)
    rows = _first_per_key(table, pa.concat_tables(pieces, promote_options="none"))
    if table.partitioned:
        others = [f for f in files if f != target]
        rows = _without_keys(rows, table, _read_keys(lake, others, table))
    previous = _read_keys(lake, [target], table) if target in files else None
    if rows.num_rows == 0:
        if previous is not None:
            lake.delete([target])
        return Written(table.name, None, 0)
    # Time-sorted files let DuckDB skip row groups on time filters (BEAM-NOTES, Queries).
    order = [table.time_column] if table.time_column else []
    rows = rows.sort_by([(c, "ascending") for c in (*order, *table.key)])
    lake.write_parquet(target, rows.select(table.schema.names).cast(table.schema), COMPRESSION)
    new = rows.num_rows if previous is None else _without_keys(rows, table, previous).num_rows
    return Written(table.name, lake.uri(target), new)


def batch_files(lake_root: LakeRoot, batch_id: str) -> list[str]:
    """Every file of the lake that belongs to ``batch_id`` (as ``Written.path`` names them)."""
    lake = lake_at(lake_root)
    name = file_name(batch_id)
    found: list[str] = []
    for table in LAKE_TABLES.values():
        found.extend(lake.files_named(lake.path(table.name), name))
    return sorted(lake.uri(path) for path in found)


def _first_per_key(table: LakeTable, rows: pa.Table) -> pa.Table:
    """One row per key: the first in batch order (snapshots: the newest fetch, then the first)."""
    if not table.partitioned:
        rows = rows.take(pc.sort_indices(rows, [("_fetched_at", "descending")]))  # stable
    numbered = rows.append_column(_ROW, pa.array(range(rows.num_rows), pa.int64()))
    firsts = numbered.group_by(list(table.key), use_threads=False).aggregate([(_ROW, "min")])
    return rows.take(firsts[f"{_ROW}_min"])  # in any order: the caller sorts before writing


def _read_keys(lake: Lake, files: Sequence[str], table: LakeTable) -> pa.Table | None:
    if not files:
        return None
    key_schema = pa.schema([table.schema.field(k) for k in table.key])
    parts = [lake.read_parquet(f, columns=table.key).cast(key_schema) for f in files]
    return pa.concat_tables(parts)


def _without_keys(rows: pa.Table, table: LakeTable, keys: pa.Table | None) -> pa.Table:
    if keys is None or keys.num_rows == 0 or rows.num_rows == 0:
        return rows
    return rows.join(keys, keys=list(table.key), join_type="left anti", use_threads=False)

"""The Parquet lake: atomic, idempotent writes of one batch into one table partition.

Layout: ``<lake>/<table>/event_date=YYYY-MM-DD/part-<batch_id>.parquet`` for event tables and
``<lake>/<table>/part-<batch_id>.parquet`` for snapshot tables (see ``pipeline.model.LakeTable``).

A batch owns its file names: replaying a batch rewrites its own files. Before writing, rows are
deduplicated by the table's key, first within the batch (the first occurrence in batch order
wins; snapshot tables keep the newest ``_fetched_at``), then, in partitioned tables, against
every *other* file of the partition, so re-pulled pages, overlapping windows and look-back
re-scans never add a row twice. Partition-local deduplication is enough because a key's
partition follows from its ``created_at``, which never changes.

Writes go to a hidden ``.tmp`` file in the target directory, are fsynced, then renamed over the
final name, so readers see the old file or the new one, never half of one. This needs a POSIX
file system; concurrent writers to the same lake must be serialized by the caller (the runner
holds a lake-wide lock). Files are private to their owner (0600), like the landing zone, since
guardrail rows carry raw user prompts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.model import LAKE_TABLES, PARTITION_COLUMN, LakeTable

COMPRESSION = "zstd"
_ROW = "__row"  # scratch column holding each row's position in the batch


@dataclass(frozen=True)
class Written:
    """The outcome of one partition write: the file (None if nothing remained) and new rows."""

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
    lake_root: str | Path,
    table: LakeTable,
    partition: str,
    batch_id: str,
    pieces: Sequence[pa.Table],
) -> Written:
    """Write a batch's rows of one partition (``pieces`` in batch order) atomically.

    Drops duplicates as the module docstring says; writes no file when no row remains (and
    removes the batch's own earlier file there, which a replay would have replaced).
    """
    directory = _directory(Path(lake_root), table, partition)
    target = directory / file_name(batch_id)
    rows = _first_per_key(table, pa.concat_tables(pieces, promote_options="none"))
    if table.partitioned:
        others = [p for p in directory.glob("*.parquet") if p.name != target.name]
        rows = _without_keys(rows, table, _read_keys(others, table))
    previous = _read_keys([target], table) if target.exists() else None
    if rows.num_rows == 0:
        if previous is not None:
            target.unlink()
            _fsync_directory(directory)
        return Written(table.name, None, 0)
    # Time-sorted files let DuckDB skip row groups on time filters (BEAM-NOTES, Queries).
    order = [table.time_column] if table.time_column else []
    rows = rows.sort_by([(c, "ascending") for c in (*order, *table.key)])
    _write_atomically(rows.select(table.schema.names).cast(table.schema), target)
    new = rows.num_rows if previous is None else _without_keys(rows, table, previous).num_rows
    return Written(table.name, str(target), new)


def batch_files(lake_root: str | Path, batch_id: str) -> list[str]:
    """Every file of the lake that belongs to ``batch_id``."""
    lake = Path(lake_root)
    name = file_name(batch_id)
    found: list[Path] = []
    for table in LAKE_TABLES.values():
        pattern = f"{PARTITION_COLUMN}=*/{name}" if table.partitioned else name
        found.extend((lake / table.name).glob(pattern))
    return sorted(str(p) for p in found)


def _directory(lake: Path, table: LakeTable, partition: str) -> Path:
    lake.mkdir(parents=True, exist_ok=True)
    directory = lake / table.name
    for path in (directory, directory / partition) if partition else (directory,):
        path.mkdir(mode=0o700, exist_ok=True)
    return directory / partition if partition else directory


def _first_per_key(table: LakeTable, rows: pa.Table) -> pa.Table:
    """One row per key: the first in batch order (snapshots: the newest fetch, then the first)."""
    if not table.partitioned:
        rows = rows.take(pc.sort_indices(rows, [("_fetched_at", "descending")]))  # stable
    numbered = rows.append_column(_ROW, pa.array(range(rows.num_rows), pa.int64()))
    firsts = numbered.group_by(list(table.key), use_threads=False).aggregate([(_ROW, "min")])
    return rows.take(firsts[f"{_ROW}_min"])  # in any order: the caller sorts before writing


def _read_keys(files: Sequence[Path], table: LakeTable) -> pa.Table | None:
    if not files:
        return None
    key_schema = pa.schema([table.schema.field(k) for k in table.key])
    parts = [pq.read_table(f, columns=list(table.key)).cast(key_schema) for f in files]
    return pa.concat_tables(parts)


def _without_keys(rows: pa.Table, table: LakeTable, keys: pa.Table | None) -> pa.Table:
    if keys is None or keys.num_rows == 0 or rows.num_rows == 0:
        return rows
    return rows.join(keys, keys=list(table.key), join_type="left anti", use_threads=False)


def _write_atomically(rows: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(rows, fh, compression=COMPRESSION)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, not only the file's bytes.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Compaction: merge a partition's small files into one, dropping duplicate keys.

Every run adds one file per partition it touches, so a lake fed every few minutes grows many
small files, which slow DuckDB, Spark and Athena down. ``compact`` rewrites each partition that
has more than one file as a single time-sorted file and removes the rest.

Crash safety: an *intent* file listing the files the merge replaces is written (atomically)
first; then the merged file (atomically, see ``sinks.storage``: locally a hidden temporary file
renamed into place, on object storage one upload that is published whole); then the old files
are deleted, then the intent. If the process dies in between, readers may see a key twice until
``finish_interrupted`` (run by the next ``compact`` and by every pipeline run) deletes the
listed files, or, if the merged file never appeared, only the intent. The merged file's name is
derived from the names it replaces, so a repeated compaction of the same files is idempotent.
The caller holds the lake lock.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from pipeline.model import LAKE_TABLES, LakeTable
from sinks.parquet import COMPRESSION, _first_per_key
from sinks.storage import Lake, LakeRoot, lake_at

INTENT = "_COMPACTING.json"


@dataclass(frozen=True)
class Compacted:
    """One partition's compaction."""

    table: str
    partition: str
    files_before: int
    rows_before: int
    rows_after: int

    @property
    def duplicates_removed(self) -> int:
        return self.rows_before - self.rows_after


def _directories(lake: Lake, table: LakeTable) -> list[str]:
    root = lake.path(table.name)
    if not table.partitioned:
        return [root]
    return [d for d in lake.directories(root) if "=" in posixpath.basename(d)]


def finish_interrupted(lake_root: LakeRoot) -> int:
    """Complete compactions a crash cut short; returns how many were finished."""
    lake = lake_at(lake_root)
    finished = 0
    for table in LAKE_TABLES.values():
        for intent in lake.files_named(lake.path(table.name), INTENT):
            directory = posixpath.dirname(intent)
            plan = json.loads(lake.read_bytes(intent).to_pybytes())
            merged = posixpath.join(directory, plan["merged"])
            if lake.exists(merged):  # the merge is in place: the old files must go
                lake.delete(posixpath.join(directory, name) for name in plan["replaces"])
            else:  # died before the merged file appeared: the old files are still the truth
                lake.discard_unfinished(merged)
            lake.delete([intent])
            finished += 1
    return finished


def compact_partition(lake_root: LakeRoot, table: LakeTable, directory: str) -> Compacted | None:
    """Merge the files of one partition directory; None when there is nothing to merge."""
    lake = lake_at(lake_root)
    files = lake.data_files(directory)
    if len(files) < 2:
        return None
    parts = [lake.read_parquet(f) for f in files]
    rows = pa.concat_tables(parts, promote_options="permissive")
    before = rows.num_rows
    rows = _first_per_key(table, rows)
    order = [table.time_column] if table.time_column else []
    rows = rows.sort_by([(c, "ascending") for c in (*order, *table.key)])
    names = [posixpath.basename(f) for f in files]
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    merged = f"part-compacted-{digest}.parquet"
    intent = posixpath.join(directory, INTENT)
    plan = {"merged": merged, "replaces": [n for n in names if n != merged]}
    lake.write_bytes(intent, json.dumps(plan).encode())
    lake.write_parquet(posixpath.join(directory, merged), rows, COMPRESSION)
    lake.delete(posixpath.join(directory, n) for n in plan["replaces"])
    lake.delete([intent])
    partition = posixpath.basename(directory) if table.partitioned else ""
    return Compacted(table.name, partition, len(files), before, rows.num_rows)


def compact(lake_root: LakeRoot, tables: Iterable[str] | None = None) -> list[Compacted]:
    """Compact every partition of ``tables`` (default: all) that has more than one file."""
    lake = lake_at(lake_root)
    finish_interrupted(lake)
    done = []
    for name in tables or LAKE_TABLES:
        table = LAKE_TABLES[name]
        for directory in _directories(lake, table):
            result = compact_partition(lake, table, directory)
            if result is not None:
                done.append(result)
    return done

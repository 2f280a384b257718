"""Compaction: merge a partition's small files into one, dropping duplicate keys.

Every run adds one file per partition it touches, so a lake fed every few minutes grows many
small files, which slow DuckDB, Spark and Athena down. ``compact`` rewrites each partition that
has more than one file as a single time-sorted file and removes the rest.

Crash safety: the merged file is written under a hidden temporary name and fsynced; an *intent*
file listing the files it replaces is written next; then the merged file is renamed into place
and the old files are removed, then the intent. If the process dies in between, readers may see
a key twice until ``finish_interrupted`` (run by the next ``compact`` and by every pipeline run)
removes the listed files. The merged file's name is derived from the names it replaces, so a
repeated compaction of the same files is idempotent. The caller holds the lake lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.model import LAKE_TABLES, LakeTable
from sinks.parquet import _first_per_key, _fsync_directory, _write_atomically

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


def _data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.parquet") if not p.name.startswith("."))


def _directories(lake: Path, table: LakeTable) -> Iterable[Path]:
    root = lake / table.name
    if not root.is_dir():
        return []
    if not table.partitioned:
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and "=" in p.name)


def finish_interrupted(lake_root: str | Path) -> int:
    """Complete compactions a crash cut short; returns how many were finished."""
    finished = 0
    for intent in Path(lake_root).glob(f"*/**/{INTENT}"):
        plan = json.loads(intent.read_text(encoding="utf-8"))
        merged = intent.parent / plan["merged"]
        if merged.exists():  # the merge is in place: the old files must go
            for name in plan["replaces"]:
                (intent.parent / name).unlink(missing_ok=True)
        else:  # died before the rename: the old files are still the truth
            (intent.parent / f".{plan['merged']}.tmp").unlink(missing_ok=True)
        intent.unlink()
        _fsync_directory(intent.parent)
        finished += 1
    return finished


def compact_partition(table: LakeTable, directory: Path) -> Compacted | None:
    """Merge the files of one partition directory; None when there is nothing to merge."""
    files = _data_files(directory)
    if len(files) < 2:
        return None
    parts = [pq.read_table(f) for f in files]
    rows = pa.concat_tables(parts, promote_options="permissive")
    before = rows.num_rows
    rows = _first_per_key(table, rows)
    order = [table.time_column] if table.time_column else []
    rows = rows.sort_by([(c, "ascending") for c in (*order, *table.key)])
    digest = hashlib.sha256("\n".join(f.name for f in files).encode()).hexdigest()[:16]
    merged = directory / f"part-compacted-{digest}.parquet"
    intent = directory / INTENT
    intent.write_text(
        json.dumps({"merged": merged.name, "replaces": [f.name for f in files if f != merged]}),
        encoding="utf-8",
    )
    os.chmod(intent, 0o600)
    _write_atomically(rows, merged)
    for old in files:
        if old != merged:
            old.unlink()
    intent.unlink()
    _fsync_directory(directory)
    partition = directory.name if table.partitioned else ""
    return Compacted(table.name, partition, len(files), before, rows.num_rows)


def compact(lake_root: str | Path, tables: Iterable[str] | None = None) -> list[Compacted]:
    """Compact every partition of ``tables`` (default: all) that has more than one file."""
    lake = Path(lake_root)
    finish_interrupted(lake)
    done = []
    for name in tables or LAKE_TABLES:
        table = LAKE_TABLES[name]
        for directory in _directories(lake, table):
            result = compact_partition(table, directory)
            if result is not None:
                done.append(result)
    return done

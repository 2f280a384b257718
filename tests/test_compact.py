"""Compaction: many small files become one per partition, nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pipeline.model import LAKE_TABLES
from sinks.compact import INTENT, compact, compact_partition, finish_interrupted
from tests.helpers import lake_column, runner_for


def parquet_files(lake, table):
    return sorted(p for p in (lake / table).rglob("*.parquet") if not p.name.startswith("."))


def test_compaction_merges_runs_and_keeps_every_row_once(sandbox, tmp_path) -> None:
    for i in range(3):  # three runs, each adding files to the same partitions
        if i:
            sandbox.clock.advance(3 * 3600)
        with runner_for(sandbox, tmp_path, initial_days=2) as runner:
            runner.run()
    before_ids = lake_column(tmp_path, "audit_logs", "audit_log_id")
    files_before = parquet_files(tmp_path, "audit_logs")
    assert len(files_before) > len({p.parent for p in files_before})  # some partition has >1
    results = compact(tmp_path)
    assert results
    # event tables had no duplicates; snapshot tables keep only each entity's newest snapshot
    assert all(r.duplicates_removed == 0 for r in results if r.partition)
    assert any(r.duplicates_removed > 0 for r in results if r.table == "users")
    files_after = parquet_files(tmp_path, "audit_logs")
    assert len(files_after) == len({p.parent for p in files_after})  # one per partition
    after_ids = lake_column(tmp_path, "audit_logs", "audit_log_id")
    assert sorted(after_ids) == sorted(before_ids)
    assert compact(tmp_path) == []  # nothing left to do
    # and the next run still deduplicates against the compacted files
    with runner_for(sandbox, tmp_path, initial_days=2) as runner:
        summary = runner.run(since=int(sandbox.clock.now()) - 2 * 86_400)
    assert summary.new_rows.get("audit_logs", 0) == 0
    assert sorted(lake_column(tmp_path, "audit_logs", "audit_log_id")) == sorted(before_ids)


def test_compaction_drops_duplicate_keys(sandbox, tmp_path) -> None:
    with runner_for(sandbox, tmp_path, initial_days=1) as runner:
        runner.run()
    partition = parquet_files(tmp_path, "audit_logs")[0]
    twin = partition.with_name("part-duplicate.parquet")
    twin.write_bytes(partition.read_bytes())  # as a buggy or concurrent writer might
    n = len(lake_column(tmp_path, "audit_logs", "audit_log_id"))
    result = compact_partition(tmp_path, LAKE_TABLES["audit_logs"], str(partition.parent))
    assert result is not None and result.duplicates_removed > 0
    ids = lake_column(tmp_path, "audit_logs", "audit_log_id")
    assert len(ids) == len(set(ids)) == n - result.duplicates_removed


def test_an_interrupted_compaction_is_finished(sandbox, tmp_path) -> None:
    for _ in range(2):
        with runner_for(sandbox, tmp_path, initial_days=1) as runner:
            runner.run()
        sandbox.clock.advance(3600)
    directory = parquet_files(tmp_path, "audit_logs")[-1].parent
    files = sorted(p.name for p in directory.glob("*.parquet"))
    assert len(files) == 2
    ids = sorted(lake_column(tmp_path, "audit_logs", "audit_log_id"))
    # simulate a crash after the merged file was renamed in, before the old files went away
    merged = directory / "part-compacted-test.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.concat_tables(
            [pq.read_table(directory / f) for f in files], promote_options="permissive"
        ),
        merged,
    )
    (directory / INTENT).write_text(json.dumps({"merged": merged.name, "replaces": files}))
    assert finish_interrupted(tmp_path) == 1
    assert sorted(p.name for p in directory.glob("*.parquet")) == [merged.name]
    assert sorted(lake_column(tmp_path, "audit_logs", "audit_log_id")) == ids


def test_compact_command(sandbox, tmp_path) -> None:
    for _ in range(2):
        with runner_for(sandbox, tmp_path, initial_days=1) as runner:
            runner.run()
        sandbox.clock.advance(3600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "compact", "--lake", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "audit_logs" in done.stdout and "→ 1" in done.stdout
    again = subprocess.run(
        [sys.executable, "-m", "pipeline", "compact", "--lake", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Nothing to compact" in again.stdout

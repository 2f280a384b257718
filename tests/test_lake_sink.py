"""The Parquet sink: atomic, idempotent partition writes (no Beam here)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sinks.parquet as sink
from pipeline.model import LAKE_TABLES
from sinks import staging
from sinks.parquet import batch_files, partitions, write_partition

DAY = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in µs
HOUR = 3_600_000_000
AUDIT = LAKE_TABLES["audit_logs"]
USERS = LAKE_TABLES["users"]
PARTITION = "event_date=2026-01-01"


def audit_rows(*rows: tuple[str, int], run: str = "r1") -> pa.Table:
    """Audit rows from (audit_log_id, created_at µs) pairs."""
    return pa.Table.from_pylist(
        [{"audit_log_id": i, "created_at": t, "action": "login", "_run_id": run} for i, t in rows],
        schema=AUDIT.schema,
    )


def read(path: str | Path) -> list[dict[str, Any]]:
    return pq.read_table(path).select(["audit_log_id", "_run_id"]).to_pylist()


def test_partitions_split_by_utc_date() -> None:
    rows = audit_rows(("a", DAY - 1), ("b", DAY), ("c", DAY + 23 * HOUR), ("d", DAY - HOUR))
    split = {p: t.column("audit_log_id").to_pylist() for p, t in partitions(AUDIT, rows)}
    assert split == {"event_date=2025-12-31": ["a", "d"], "event_date=2026-01-01": ["b", "c"]}
    assert [p for p, _ in partitions(USERS, pa.Table.from_pylist([], USERS.schema))] == [""]


def test_write_is_zstd_time_sorted_private_and_leaves_no_temp_file(tmp_path: Path) -> None:
    rows = audit_rows(("late", DAY + 2 * HOUR), ("early", DAY + HOUR))
    written = write_partition(tmp_path, AUDIT, PARTITION, "b1", [rows])
    path = tmp_path / "audit_logs" / PARTITION / "part-b1.parquet"
    assert written == sink.Written("audit_logs", str(path), 2)
    assert [r["audit_log_id"] for r in read(path)] == ["early", "late"]
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_schema(path).equals(AUDIT.schema)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["part-b1.parquet"]


def test_duplicates_within_a_batch_keep_the_first(tmp_path: Path) -> None:
    first = audit_rows(("a", DAY), ("b", DAY + 1), run="first")
    second = audit_rows(("b", DAY + 1), ("c", DAY + 2), ("a", DAY), run="second")
    written = write_partition(tmp_path, AUDIT, PARTITION, "b1", [first, second])
    assert written.rows == 3
    assert read(written.path or "") == [
        {"audit_log_id": "a", "_run_id": "first"},
        {"audit_log_id": "b", "_run_id": "first"},
        {"audit_log_id": "c", "_run_id": "second"},
    ]


def test_rows_already_in_another_file_of_the_partition_are_dropped(tmp_path: Path) -> None:
    write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("a", DAY), ("b", DAY))])
    overlap = audit_rows(("b", DAY), ("c", DAY + 1))
    written = write_partition(tmp_path, AUDIT, PARTITION, "b2", [overlap])
    assert written.rows == 1
    assert [r["audit_log_id"] for r in read(written.path or "")] == ["c"]
    # Nothing new at all: no file.
    again = write_partition(tmp_path, AUDIT, PARTITION, "b3", [audit_rows(("a", DAY))])
    assert again == sink.Written("audit_logs", None, 0)
    assert not (tmp_path / "audit_logs" / PARTITION / "part-b3.parquet").exists()


def test_a_replay_rewrites_its_own_file_and_counts_nothing_new(tmp_path: Path) -> None:
    rows = audit_rows(("a", DAY), ("b", DAY))
    first = write_partition(tmp_path, AUDIT, PARTITION, "b1", [rows])
    replay = write_partition(tmp_path, AUDIT, PARTITION, "b1", [rows])
    assert (first.rows, replay.rows) == (2, 0)
    assert replay.path == first.path
    assert len(read(replay.path or "")) == 2
    grown = write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("a", DAY), ("z", 1))])
    assert grown.rows == 1  # "z" only, and its own partition is the caller's business


def test_a_replay_with_nothing_left_removes_its_own_stale_file(tmp_path: Path) -> None:
    write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("a", DAY))])
    # Another batch wrote "a" while b1's file was missing (say, b1 crashed before renaming).
    directory = tmp_path / "audit_logs" / PARTITION
    (directory / "part-b1.parquet").rename(directory / "part-b0.parquet")
    write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("b", DAY))])
    assert write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("a", DAY))]).path is None
    assert sorted(p.name for p in directory.iterdir()) == ["part-b0.parquet"]


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = audit_rows(("a", DAY))
    written = write_partition(tmp_path, AUDIT, PARTITION, "b1", [rows])
    before = Path(written.path or "").read_bytes()

    def explode(table: pa.Table, where: Any, **kwargs: Any) -> None:
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", explode)
    with pytest.raises(OSError, match="disk full"):
        write_partition(tmp_path, AUDIT, PARTITION, "b1", [audit_rows(("a", DAY), ("b", DAY))])
    assert Path(written.path or "").read_bytes() == before
    assert sorted(p.name for p in Path(written.path or "").parent.iterdir()) == ["part-b1.parquet"]


def test_snapshots_keep_the_newest_fetch_and_never_dedup_across_batches(tmp_path: Path) -> None:
    def users(*rows: tuple[str, str, int]) -> pa.Table:
        return pa.Table.from_pylist(
            [{"user_id": u, "name": n, "_fetched_at": f} for u, n, f in rows], schema=USERS.schema
        )

    first = write_partition(
        tmp_path,
        USERS,
        "",
        "b1",
        [users(("u1", "old", 1), ("u2", "x", 1)), users(("u1", "new", 2))],
    )
    assert first.path == str(tmp_path / "users" / "part-b1.parquet")
    stored = pq.read_table(first.path).to_pylist()
    assert {r["user_id"]: r["name"] for r in stored} == {"u1": "new", "u2": "x"}
    second = write_partition(tmp_path, USERS, "", "b2", [users(("u1", "newer", 3))])
    assert second.rows == 1  # a new snapshot of u1, kept next to the old one
    assert batch_files(tmp_path, "b1") == [first.path]
    assert batch_files(tmp_path, "b2") == [second.path]


def test_staged_pieces_round_trip_privately_and_clear_away(tmp_path: Path) -> None:
    rows = audit_rows(("a", DAY), ("b", DAY + 1))
    first = staging.stage(tmp_path, "b1", "audit_logs", PARTITION, (0, 0), rows)
    again = staging.stage(tmp_path, "b1", "audit_logs", PARTITION, (0, 0), rows.slice(0, 1))
    other = staging.stage(tmp_path, "b1", "users", "", (1, 0), pa.table({"user_id": ["u"]}))
    assert first == again  # a retried bundle overwrites its own piece
    assert [t.num_rows for t in staging.load(tmp_path, [first, other])] == [1, 1]
    assert stat.S_IMODE((tmp_path / staging.STAGING_DIR).stat().st_mode) == 0o700
    staging.stage(tmp_path, "b2", "audit_logs", PARTITION, (0, 0), rows)
    staging.clear(tmp_path, "b1")
    assert [p.name for p in (tmp_path / staging.STAGING_DIR).iterdir()] == ["b2"]
    staging.clear(tmp_path, "b2")
    assert not (tmp_path / staging.STAGING_DIR).exists()

"""The lake away from a plain directory: a ``file://`` URI end to end, and the sinks on a
non-POSIX filesystem (pyarrow's in-memory ``_MockFileSystem``), which takes the object-store
write path: one upload per object, no temporary file, no rename."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import fs as pafs

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.extract.windows import DAY
from pipeline.model import LAKE_TABLES
from pipeline.transform.enrich import lake_snapshot
from queries.lake import connect
from sandbox import SandboxConfig, SandboxServer
from sinks import staging
from sinks.compact import INTENT, compact, finish_interrupted
from sinks.parquet import Written, batch_files, write_partition
from sinks.storage import Lake, lake_at, query_root, shown
from tests.helpers import runner_for

NOW = 1_790_000_000.0  # a frozen sandbox clock (2026-09-21)
DAYS = 3
MICROS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in µs
AUDIT = LAKE_TABLES["audit_logs"]
USERS = LAKE_TABLES["users"]
PARTITION = "event_date=2026-01-01"


# -- a file:// lake, end to end -----------------------------------------------------------------


def ids(lake: str, view: str, column: str) -> list[Any]:
    con = connect(lake)
    try:
        return [r[0] for r in con.execute(f"SELECT {column} FROM {view}").fetchall()]  # noqa: S608
    finally:
        con.close()


def data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def uri_lake(tmp_path_factory):
    """Two runs an hour apart into ``file:///.../lake``, landing in a separate work dir."""
    tmp = tmp_path_factory.mktemp("uri")
    lake_dir, work = tmp / "lake", tmp / "work"
    uri = lake_dir.as_uri()
    config = SandboxConfig(seed=5, history_days=10, clock_start=NOW, max_late_seconds=300)
    with SandboxServer(config, host="127.0.0.1", port=0) as srv:
        start = int(srv.clock.now()) + 1 - DAYS * DAY
        with runner_for(srv, uri, initial_days=DAYS, work_dir=work) as runner:
            first = runner.run()
        srv.clock.advance(3600)
        with runner_for(srv, uri, initial_days=DAYS, work_dir=work) as runner:
            second = runner.run()
        expected = (
            srv.world.audit_log_ids(time_after=start),
            srv.world.violation_ids(time_after=start),
        )
    return uri, lake_dir, work, first, second, expected


def test_settings_keep_a_uri_lake_as_given() -> None:
    settings = Settings(lake="file:///srv/lake", work_dir=Path("/srv/work"))
    assert settings.lake == "file:///srv/lake" and settings.lake_is_local
    assert settings.work_path == Path("/srv/work")


def test_a_file_uri_lake_holds_exactly_the_sandbox_events(uri_lake) -> None:
    uri, _lake_dir, _work, first, second, (audit, violations) = uri_lake
    assert first.lake == second.lake == uri
    assert first.new_rows["audit_logs"] > 100
    got_audit = ids(uri, "audit_logs", "audit_log_id")
    got_viol = ids(uri, "guardrail_violations", "violation_id")
    assert len(got_audit) == len(set(got_audit)) and set(got_audit) == audit
    assert len(got_viol) == len(set(got_viol)) and set(got_viol) == violations
    assert second.new_rows["audit_logs"] == len(audit) - first.new_rows["audit_logs"] > 0
    assert second.totals["audit_logs"] == len(audit)


def test_the_lake_holds_parquet_only_and_the_work_dir_the_rest(uri_lake) -> None:
    _uri, lake_dir, work, *_ = uri_lake
    tables = {p.name for p in lake_dir.iterdir()}
    assert {"audit_logs", "guardrail_violations", "events", "users"} <= tables <= set(LAKE_TABLES)
    files = data_files(lake_dir)
    assert files and all(p.name.startswith("part-") and p.suffix == ".parquet" for p in files)
    assert any(p.parent.name.startswith("event_date=") for p in files if "audit_logs" in p.parts)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert stat.S_IMODE((lake_dir / "audit_logs").stat().st_mode) == 0o700
    assert (work / "_landing").is_dir() and (work / "_state" / "state.json").is_file()


def test_compact_over_the_uri_merges_files_and_keeps_every_id(uri_lake, tmp_path) -> None:
    uri, lake_dir, work, *_ = uri_lake
    before = sorted(ids(uri, "audit_logs", "audit_log_id"))
    partitions = list((lake_dir / "audit_logs").iterdir())
    assert any(len(list(p.glob("*.parquet"))) > 1 for p in partitions)  # the hour's new file
    done = cli("compact", "--lake", uri, env={"DEVIN_WORK_DIR": str(work)})
    assert done.returncode == 0, done.stderr
    assert "audit_logs" in done.stdout and "→ 1" in done.stdout
    assert all(len(list(p.glob("*.parquet"))) == 1 for p in partitions)
    assert sorted(ids(uri, "audit_logs", "audit_log_id")) == before


def test_sql_command_reads_a_file_uri_lake(uri_lake) -> None:
    uri, *_, (audit, _violations) = uri_lake
    result = cli("sql", "--lake", uri, "-f", "json", "SELECT count(*) AS n FROM audit_logs")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": len(audit)}]


def test_doctor_checks_a_uri_lake_and_the_work_dir_apart(sandbox, tmp_path) -> None:
    lake, work = tmp_path / "lake", tmp_path / "work"
    env = {
        "DEVIN_API_URL": sandbox.url,
        "DEVIN_API_TOKEN": sandbox.admin_token,
        "DEVIN_WORK_DIR": str(work),
    }
    good = cli("doctor", "--lake", lake.as_uri(), env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"{lake} is writable" in good.stdout and f"{work} is writable" in good.stdout
    assert lake.is_dir() and not list(lake.iterdir())  # the probe object is gone
    bad = cli("doctor", "--lake", "nosuch://bucket/lake", env=env)
    assert bad.returncode == 1 and "FAIL lake" in bad.stdout
    assert "s3://bucket/prefix" in bad.stdout and "Traceback" not in bad.stderr


FAKE_SECRET = "FAKE-secret-key-for-tests-0000"


def test_credentials_in_a_lake_uri_are_never_shown(tmp_path: Path) -> None:
    uri = f"s3://AKIAFAKEFAKEFAKEFAKE:{FAKE_SECRET}@bucket/lake/?region=eu&secret_key={FAKE_SECRET}"
    assert shown(uri) == query_root(uri) == "s3://bucket/lake"
    assert shown("gs://bucket/lake") == "gs://bucket/lake"
    assert shown(str(tmp_path)) == str(tmp_path)
    with pytest.raises(ConfigError) as raised:
        lake_at(f"nosuch://key:{FAKE_SECRET}@bucket/lake?secret_key={FAKE_SECRET}")
    assert "nosuch://bucket/lake" in str(raised.value)
    assert FAKE_SECRET not in str(raised.value) and raised.value.__cause__ is None


@pytest.mark.parametrize("command", ["run", "sql", "compact", "doctor"])
def test_no_command_prints_the_credentials_of_a_lake_uri(sandbox, tmp_path, command) -> None:
    uri = f"nosuch://key:{FAKE_SECRET}@bucket/lake?secret_key={FAKE_SECRET}"
    env = {
        "DEVIN_API_URL": sandbox.url,
        "DEVIN_API_TOKEN": sandbox.admin_token,
        "DEVIN_WORK_DIR": str(tmp_path / "work"),
    }
    args = [command, "--lake", uri, *(["SELECT 1"] if command == "sql" else [])]
    result = cli(*args, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert "nosuch://" in output and FAKE_SECRET not in output
    if command == "run":
        assert not (tmp_path / "work" / "_landing").exists()  # refused before pulling


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=300,
        check=False,
    )


# -- roots as DuckDB and pyarrow see them -------------------------------------------------------


def test_roots_open_as_local_directories_or_uris(tmp_path: Path) -> None:
    lake = lake_at((tmp_path / "a b").as_uri())
    assert lake.local and lake.root == str(tmp_path / "a b")
    assert lake_at(tmp_path) is lake_at(str(tmp_path))  # cached: DoFns reopen it cheaply
    assert query_root("s3://bucket/lake/?region=eu-west-1") == "s3://bucket/lake"
    assert query_root("gs://bucket/lake") == "gs://bucket/lake"
    assert query_root((tmp_path / "a b").as_uri()) == str(tmp_path / "a b")
    with pytest.raises(ConfigError, match="cannot open the lake"):
        lake_at("nosuch://bucket/lake")


def test_an_object_store_lake_without_httpfs_says_what_to_do() -> None:
    probe = duckdb.connect()
    installed = probe.execute(
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchone()
    probe.close()
    if installed and installed[0]:
        pytest.skip("httpfs is installed here: reading s3:// would need the network")
    with pytest.raises(ConfigError, match="INSTALL httpfs"):
        connect("s3://bucket/lake")


# -- the sinks on a non-POSIX filesystem -------------------------------------------------------


@pytest.fixture
def mock_lake() -> Lake:
    return Lake(pafs._MockFileSystem(), "lake", "mock")


def every_file(lake: Lake) -> list[str]:
    selector = pafs.FileSelector(lake.root, recursive=True, allow_not_found=True)
    infos = lake.filesystem.get_file_info(selector)
    return sorted(i.path for i in infos if i.type == pafs.FileType.File)


def audit_rows(*keys: tuple[str, int], run: str = "r1") -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"audit_log_id": i, "created_at": MICROS + t, "action": "login", "_run_id": run}
            for i, t in keys
        ],
        schema=AUDIT.schema,
    )


def stored(lake: Lake, path: str) -> list[str]:
    return lake.read_parquet(path, columns=["audit_log_id"])["audit_log_id"].to_pylist()


def test_writes_deduplicate_across_batches_on_object_storage(mock_lake: Lake) -> None:
    first = write_partition(mock_lake, AUDIT, PARTITION, "b1", [audit_rows(("a", 1), ("b", 2))])
    second = write_partition(mock_lake, AUDIT, PARTITION, "b2", [audit_rows(("b", 2), ("c", 3))])
    directory = f"lake/audit_logs/{PARTITION}"
    assert first == Written("audit_logs", f"mock://{directory}/part-b1.parquet", 2)
    assert second == Written("audit_logs", f"mock://{directory}/part-b2.parquet", 1)
    assert stored(mock_lake, f"{directory}/part-b2.parquet") == ["c"]
    assert every_file(mock_lake) == [f"{directory}/part-b1.parquet", f"{directory}/part-b2.parquet"]
    assert batch_files(mock_lake, "b2") == [second.path]


def test_a_replay_on_object_storage_rewrites_its_own_object(mock_lake: Lake) -> None:
    rows = audit_rows(("a", 1), ("b", 2))
    first = write_partition(mock_lake, AUDIT, PARTITION, "b1", [rows])
    replay = write_partition(mock_lake, AUDIT, PARTITION, "b1", [rows])
    assert (first.rows, replay.rows, replay.path) == (2, 0, first.path)
    path = f"lake/audit_logs/{PARTITION}/part-b1.parquet"
    assert stored(mock_lake, path) == ["a", "b"]
    # b0 now holds "a" and "b": a replay of b1 finds nothing left and removes its own object
    mock_lake.filesystem.move(path, path.replace("b1", "b0"))
    write_partition(mock_lake, AUDIT, PARTITION, "b1", [audit_rows(("z", 3))])
    assert write_partition(mock_lake, AUDIT, PARTITION, "b1", [rows]).path is None
    assert every_file(mock_lake) == [path.replace("b1", "b0")]


def test_a_failed_encoding_never_reaches_the_store(
    mock_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_partition(mock_lake, AUDIT, PARTITION, "b1", [audit_rows(("a", 1))])
    path = f"lake/audit_logs/{PARTITION}/part-b1.parquet"

    def explode(table: pa.Table, where: Any, **kwargs: Any) -> None:
        where.write(b"PAR1 half a file")
        raise OSError("encoder died")

    monkeypatch.setattr(pq, "write_table", explode)
    with pytest.raises(OSError, match="encoder died"):
        write_partition(mock_lake, AUDIT, PARTITION, "b1", [audit_rows(("a", 1), ("b", 2))])
    monkeypatch.undo()
    assert stored(mock_lake, path) == ["a"]
    assert every_file(mock_lake) == [path]


def test_staging_round_trips_on_object_storage(mock_lake: Lake) -> None:
    rows = audit_rows(("a", 1), ("b", 2))
    first = staging.stage(mock_lake, "b1", "audit_logs", PARTITION, (0, 0), rows)
    other = staging.stage(mock_lake, "b1", "users", "", (1, 0), pa.table({"user_id": ["u"]}))
    assert first == f"lake/_staging/b1/audit_logs/{PARTITION}/0-0.arrow"
    assert staging.load(mock_lake, [first, other])[0].equals(rows)
    staging.stage(mock_lake, "b2", "audit_logs", PARTITION, (0, 0), rows)
    staging.clear(mock_lake, "b1")
    assert [p.split("/")[2] for p in every_file(mock_lake)] == ["b2"]
    staging.clear(mock_lake, "b2")
    assert not mock_lake.exists("lake/_staging")


def test_snapshots_are_read_back_for_enrichment(mock_lake: Lake) -> None:
    users = pa.Table.from_pylist(
        [{"user_id": "u1", "name": "One", "_fetched_at": 1}], schema=USERS.schema
    )
    write_partition(mock_lake, USERS, "", "b1", [users])
    assert lake_snapshot(mock_lake, "users")["name"].to_pylist() == ["One"]


def test_compaction_on_object_storage_merges_and_finishes_after_a_crash(mock_lake: Lake) -> None:
    for batch, keys in (("b1", [("a", 1)]), ("b2", [("b", 2)]), ("b3", [("c", 3), ("a", 1)])):
        write_partition(mock_lake, AUDIT, PARTITION, batch, [audit_rows(*keys)])
    directory = f"lake/audit_logs/{PARTITION}"
    [result] = compact(mock_lake)
    assert (result.files_before, result.rows_after, result.duplicates_removed) == (3, 3, 0)
    [merged] = every_file(mock_lake)
    assert merged.startswith(f"{directory}/part-compacted-")
    assert stored(mock_lake, merged) == ["a", "b", "c"]

    # A crash after the merged object was uploaded, before the old ones were deleted.
    write_partition(mock_lake, AUDIT, PARTITION, "b4", [audit_rows(("d", 4))])
    olds = [p.rsplit("/", 1)[1] for p in every_file(mock_lake)]
    rows = pa.concat_tables(
        [mock_lake.read_parquet(f"{directory}/{name}") for name in olds],
        promote_options="permissive",
    )
    mock_lake.write_parquet(f"{directory}/part-compacted-test.parquet", rows, "zstd")
    plan = {"merged": "part-compacted-test.parquet", "replaces": olds}
    mock_lake.write_bytes(f"{directory}/{INTENT}", json.dumps(plan).encode())
    assert finish_interrupted(mock_lake) == 1
    assert every_file(mock_lake) == [f"{directory}/part-compacted-test.parquet"]
    assert sorted(stored(mock_lake, every_file(mock_lake)[0])) == ["a", "b", "c", "d"]

    # A crash before the merged object appeared: the old objects stay, the intent goes.
    write_partition(mock_lake, AUDIT, PARTITION, "b5", [audit_rows(("e", 5))])
    before = every_file(mock_lake)
    plan = {
        "merged": "part-compacted-never.parquet",
        "replaces": [p.rsplit("/")[-1] for p in before],
    }
    mock_lake.write_bytes(f"{directory}/{INTENT}", json.dumps(plan).encode())
    assert finish_interrupted(mock_lake) == 1
    assert every_file(mock_lake) == before

"""DuckDB views over the lake: typed when empty, tolerant of old files, safe with odd paths."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.model import LAKE_TABLES, PARTITION_COLUMN
from queries.catalog import load
from queries.lake import VIEW_COLUMNS, connect, create_views, lake_ids
from sinks.parquet import write_partition

DAY = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in µs
TZ = "TIMESTAMP WITH TIME ZONE"

CONTRACT: dict[str, dict[str, str]] = {
    "audit_logs": {
        "audit_log_id": "VARCHAR",
        "action": "VARCHAR",
        "created_at": TZ,
        "org_id": "VARCHAR",
        "user_id": "VARCHAR",
        "user_email": "VARCHAR",
        "service_user_id": "VARCHAR",
        "service_user_name": "VARCHAR",
        "data": "JSON",
        "event_date": "DATE",
    },
    "guardrail_violations": {
        "violation_id": "BIGINT",
        "event_id": "VARCHAR",
        "session_id": "VARCHAR",
        "org_id": "VARCHAR",
        "guardrail_id": "VARCHAR",
        "guardrail_name": "VARCHAR",
        "action_taken": "VARCHAR",
        "confidence_score": "DOUBLE",
        "reasoning": "VARCHAR",
        "user_message": "VARCHAR",
        "created_at": TZ,
    },
    "events": {
        "event_id": "VARCHAR",
        "source": "VARCHAR",
        "source_id": "VARCHAR",
        "event_time": TZ,
        "org_id": "VARCHAR",
        "actor_type": "VARCHAR",
        "actor_id": "VARCHAR",
        "actor_email": "VARCHAR",
        "action": "VARCHAR",
        "category": "VARCHAR",
        "severity": "VARCHAR",
        "outcome": "VARCHAR",
        "session_id": "VARCHAR",
        "target": "VARCHAR",
    },
    "dead_letters": {
        "stage": "VARCHAR",
        "error": "VARCHAR",
        "stream": "VARCHAR",
        "raw": "VARCHAR",
        "_run_id": "VARCHAR",
        "_landed_file": "VARCHAR",
        "event_date": "DATE",
    },
    "orgs": {"org_id": "VARCHAR", "name": "VARCHAR", "created_at": TZ, "_fetched_at": TZ},
    "users": {"user_id": "VARCHAR", "email": "VARCHAR", "role_assignments": "JSON"},
    "service_users": {"service_user_id": "VARCHAR", "expires_at": TZ, "role_assignments": "JSON"},
    "sessions": {"session_id": "VARCHAR", "tags": "JSON", "is_archived": "BOOLEAN"},
}


def columns(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {view}").fetchall()}


def audit_rows(*ids: str, day: int = DAY) -> pa.Table:
    schema = LAKE_TABLES["audit_logs"].schema
    return pa.Table.from_pylist(
        [{"audit_log_id": i, "created_at": day, "data": '{"k": 1}'} for i in ids], schema=schema
    )


@pytest.fixture(scope="module")
def empty_views() -> dict[str, dict[str, str]]:
    con = connect("/nonexistent/lake")
    try:
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
        views = {t: columns(con, t) for t in LAKE_TABLES}
        for table in views:
            assert con.table(table).aggregate("count(*)").fetchall() == [(0,)], table
        return views
    finally:
        con.close()


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_views_on_an_empty_lake_have_the_contract_columns(
    empty_views: dict[str, dict[str, str]], table: str
) -> None:
    view = empty_views[table]
    assert {name: view.get(name) for name in CONTRACT[table]} == CONTRACT[table]


@pytest.mark.parametrize("table", sorted(LAKE_TABLES))
def test_views_type_exactly_the_json_columns_as_json(
    empty_views: dict[str, dict[str, str]], table: str
) -> None:
    json_columns = {n for n, kind in empty_views[table].items() if kind == "JSON"}
    assert json_columns == set(LAKE_TABLES[table].json_columns)
    expected = set(LAKE_TABLES[table].schema.names) | set(VIEW_COLUMNS.get(table, ()))
    if LAKE_TABLES[table].partitioned:
        expected.add(PARTITION_COLUMN)
    assert set(empty_views[table]) == expected


def test_views_keep_their_types_once_files_exist(
    tmp_path: Path, empty_views: dict[str, dict[str, str]]
) -> None:
    write_partition(
        tmp_path, LAKE_TABLES["audit_logs"], "event_date=2026-01-01", "b1", [audit_rows("a")]
    )
    con = connect(tmp_path)
    assert columns(con, "audit_logs") == empty_views["audit_logs"]
    [(created, key)] = con.execute("SELECT created_at, data->>'$.k' FROM audit_logs").fetchall()
    assert (created, key) == (datetime(2026, 1, 1, tzinfo=UTC), "1")


def test_files_of_older_and_newer_schemas_are_read_by_name(tmp_path: Path) -> None:
    directory = tmp_path / "audit_logs" / "event_date=2026-01-01"
    directory.mkdir(parents=True)
    old = pa.table(
        {
            "audit_log_id": ["old"],
            "action": ["login"],
            "created_at": pa.array([DAY], pa.timestamp("us", tz="UTC")),
            "org_id": ["org-1"],
        }
    )
    pq.write_table(old, directory / "part-old.parquet")
    newer = audit_rows("new").append_column("risk", pa.array([0.5]))
    pq.write_table(newer, directory / "part-new.parquet")
    con = connect(tmp_path)
    found = con.execute(
        "SELECT audit_log_id, user_email, data, risk FROM audit_logs ORDER BY audit_log_id"
    ).fetchall()
    assert found == [("new", None, '{"k": 1}', 0.5), ("old", None, None, None)]


def test_a_tables_first_files_need_new_views_later_ones_do_not(tmp_path: Path) -> None:
    con = connect(tmp_path)
    table = LAKE_TABLES["audit_logs"]
    write_partition(tmp_path, table, "event_date=2026-01-01", "b1", [audit_rows("a")])
    assert con.execute("SELECT count(*) FROM audit_logs").fetchone() == (0,)
    create_views(con, tmp_path)
    assert con.execute("SELECT count(*) FROM audit_logs").fetchone() == (1,)
    write_partition(tmp_path, table, "event_date=2026-01-02", "b2", [audit_rows("b", day=DAY * 2)])
    assert con.execute("SELECT count(*) FROM audit_logs").fetchone() == (2,)


def test_partition_pruning_by_event_date(tmp_path: Path) -> None:
    table = LAKE_TABLES["audit_logs"]
    write_partition(tmp_path, table, "event_date=2026-01-01", "b1", [audit_rows("a")])
    con = connect(tmp_path)
    found = con.execute(
        "SELECT audit_log_id FROM audit_logs WHERE event_date = ?", [datetime(2026, 1, 1).date()]
    ).fetchall()
    assert found == [("a",)]


def test_a_quote_in_the_lake_path_is_quoted_and_glob_characters_are_refused(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "o'brien's lake"
    write_partition(
        lake, LAKE_TABLES["audit_logs"], "event_date=2026-01-01", "b1", [audit_rows("a")]
    )
    assert lake_ids(lake, "audit_logs") == {"a"}
    with pytest.raises(ValueError, match="contains one of"):
        connect(tmp_path / "lake[1]")
    with pytest.raises(ValueError, match="unknown lake table"):
        lake_ids(lake, "audit_logs; DROP TABLE x")


def test_lake_ids_of_a_composite_key(tmp_path: Path) -> None:
    dead = LAKE_TABLES["dead_letters"]

    def dead_letter(ingested_at: int) -> pa.Table:
        row = {
            "stage": "parse",
            "error": "e",
            "raw": "{",
            "_landed_file": "f.ndjson",
            "_offset": 7,
            "_ingested_at": ingested_at,
        }
        return pa.Table.from_pylist([row], schema=dead.schema)

    write_partition(tmp_path, dead, "event_date=2026-01-01", "b1", [dead_letter(DAY)])
    # The same line ingested again the next day: one dead letter, the latest.
    write_partition(
        tmp_path, dead, "event_date=2026-01-02", "b2", [dead_letter(DAY + 86_400_000_000)]
    )
    assert lake_ids(tmp_path, "dead_letters") == {("f.ndjson", 7)}
    con = connect(tmp_path)
    assert con.execute("SELECT count(*), max(event_date) FROM dead_letters").fetchone() == (
        1,
        datetime(2026, 1, 2).date(),
    )


def test_every_view_file_is_a_named_query_of_a_lake_table() -> None:
    files = sorted(
        p.name
        for p in resources.files("queries").joinpath("views").iterdir()
        if p.name.endswith(".sql")
    )
    assert files == sorted(f"{t}.sql" for t in LAKE_TABLES)
    for name in files:
        query = load(f"views/{name}")
        assert query.name == name.removesuffix(".sql")
        assert query.description
        assert query.parameters == ()

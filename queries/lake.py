"""DuckDB over the Parquet lake: one view per lake table, typed even before the table has files.

``connect(lake_root)`` returns an in-memory DuckDB connection (``TimeZone`` UTC) with the views of
``queries/views/*.sql``. Each view reads ``_lake.<table>``, which is the table's Parquet files
(hive partitions, ``union_by_name``) stacked by name on an empty table of the current schema, so a
view always has every current column, files written under an older schema included. A table
with no file yet reads the empty table alone; files added later to a table that had files are
seen at query time, but a table's *first* files need ``create_views`` again (or a new
connection), because DuckDB cannot read an empty glob.

The lake may be a local directory or object storage (``sinks.storage``). DuckDB reads ``s3://``
and ``gs://`` lakes through its httpfs extension, with credentials from DuckDB secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import ConfigError
from pipeline.model import LAKE_TABLES, PARTITION_COLUMN, LakeTable
from queries.catalog import load
from sinks.storage import query_root

_GLOB_CHARACTERS = "*?[]{}"
_HTTPFS_SCHEMES = {"s3", "gs", "gcs"}

# Columns a view computes at query time, on top of its table's: the violation ↔ audit-entry
# correlation, which must see every batch (the two halves may land in different batches).
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "guardrail_violations": ("correlated_audit_log_id",),
    "events": ("correlated_event_id",),
}


def connect(lake_root: str | Path) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection, in UTC, with a view per lake table."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    create_views(con, lake_root)
    return con


def create_views(con: duckdb.DuckDBPyConnection, lake_root: str | Path) -> None:
    """(Re)create the views of every lake table on ``con``.

    Raises ``ValueError`` if the lake path contains glob characters, which DuckDB would expand,
    and ``ConfigError`` if DuckDB cannot read the lake's object store.
    """
    lake = query_root(lake_root)
    if any(c in _GLOB_CHARACTERS for c in lake):
        raise ValueError(f"the lake path {lake} contains one of {_GLOB_CHARACTERS}")
    if "://" in lake:
        _load_httpfs(con, lake)
    con.execute("CREATE SCHEMA IF NOT EXISTS _lake")
    for table in LAKE_TABLES.values():
        con.register("_empty", table.schema.empty_table())
        con.execute(_anchor_sql(table))
        con.unregister("_empty")
        pattern = f"{PARTITION_COLUMN}=*/*.parquet" if table.partitioned else "*.parquet"
        glob = f"{lake}/{table.name}/{pattern}"
        has_files = con.execute("SELECT count(*) FROM glob(?)", [glob]).fetchone() != (0,)
        con.execute(_files_view_sql(table, glob if has_files else None))
        con.execute(load(f"views/{table.name}.sql").sql)


def _load_httpfs(con: duckdb.DuckDBPyConnection, lake: str) -> None:
    scheme = lake.split("://", 1)[0]
    if scheme not in _HTTPFS_SCHEMES:
        raise ConfigError(
            f"DuckDB cannot read a {scheme}:// lake; query a local copy, or an s3:// or gs:// lake"
        )
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error as err:
        raise ConfigError(
            f"reading the lake {lake} needs DuckDB's httpfs extension, which DuckDB could not "
            'load: install it once with network access (python -c "import duckdb; '
            "duckdb.sql('INSTALL httpfs')\"), and give DuckDB the store's credentials as a "
            "persistent secret (CREATE PERSISTENT SECRET (TYPE s3, KEY_ID '...', SECRET '...', "
            "REGION '...'); TYPE gcs with HMAC keys for gs://)"
        ) from err


# The two statements below are the only SQL built in code: their identifiers come from
# LAKE_TABLES and the one value, the lake glob, is a quoted literal (DuckDB cannot bind a
# parameter in a view definition).


def _anchor_sql(table: LakeTable) -> str:
    """An empty table with the table's current schema (and its partition column)."""
    partition = f", CAST(NULL AS DATE) AS {PARTITION_COLUMN}" if table.partitioned else ""
    return (
        f"CREATE OR REPLACE TABLE _lake.{table.name}__schema AS "  # noqa: S608
        f"SELECT *{partition} FROM _empty LIMIT 0"
    )


def _files_view_sql(table: LakeTable, glob: str | None) -> str:
    """``_lake.<table>``: the empty anchor, stacked by column name on the table's files."""
    source = f"SELECT * FROM _lake.{table.name}__schema"  # noqa: S608
    if glob is not None:
        options = (
            f"hive_partitioning = true, hive_types = {{'{PARTITION_COLUMN}': DATE}}"
            if table.partitioned
            else "hive_partitioning = false"
        )
        files = f"read_parquet({_sql_string(glob)}, {options}, union_by_name = true)"
        source += f" UNION ALL BY NAME SELECT * FROM {files}"  # noqa: S608
    return f"CREATE OR REPLACE VIEW _lake.{table.name} AS {source}"


def lake_ids(lake_root: str | Path, table: str) -> set[Any]:
    """The keys present in a lake table (a tuple per row for composite keys), via its view."""
    if table not in LAKE_TABLES:
        raise ValueError(f"unknown lake table {table!r}; one of {', '.join(LAKE_TABLES)}")
    key = LAKE_TABLES[table].key
    con = connect(lake_root)
    try:
        # Identifiers from LAKE_TABLES, checked above: not user input.
        rows = con.execute(f"SELECT {', '.join(key)} FROM {table}").fetchall()  # noqa: S608
    finally:
        con.close()
    return {row[0] for row in rows} if len(key) == 1 else {tuple(row) for row in rows}


def _sql_string(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"

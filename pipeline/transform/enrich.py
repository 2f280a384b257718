"""Enrichment from the dimension snapshots: names for orgs and actors, and a violation's session.

``Dimensions`` is the newest snapshot of each org, user, service user and session, reduced to
the columns enrichment reads. It is built once per batch (``build_dimensions``) from the lake's
snapshot tables and the batch's own staged snapshots, the batch winning, and reaches the Beam
workers as a side input (Arrow IPC bytes). ``enrich`` fills the enrichment columns of a range's
``events`` and ``guardrail_violations`` with vectorized lookups (no join, rows keep their order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.model import LAKE_TABLES
from pipeline.transform.columns import lookup
from sinks.storage import LakeRoot, lake_at

# Per snapshot table: the columns enrichment reads (the key first).
DIMENSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("org_id", "name"),
    "users": ("user_id", "email", "name"),
    "service_users": ("service_user_id", "name"),
    "sessions": (
        "session_id",
        "user_id",
        "service_user_id",
        "origin",
        "title",
        "tags",
        "playbook_id",
    ),
}
DIMENSIONS = tuple(DIMENSION_COLUMNS)
_ORDER = ("_fetched_at", "_ingested_at")


@dataclass(frozen=True)
class Dimensions:
    """One row per key of each dimension table (``DIMENSION_COLUMNS``)."""

    tables: dict[str, pa.Table]

    @classmethod
    def empty(cls) -> Dimensions:
        return cls({name: _empty(name) for name in DIMENSIONS})

    def to_ipc(self) -> bytes:
        sink = pa.BufferOutputStream()
        for name in DIMENSIONS:
            table = self.tables[name]
            with pa.ipc.new_stream(sink, table.schema) as out:
                out.write_table(table)
        return sink.getvalue().to_pybytes()

    @classmethod
    def from_ipc(cls, data: bytes) -> Dimensions:
        reader = pa.BufferReader(data)
        return cls({name: pa.ipc.open_stream(reader).read_all() for name in DIMENSIONS})


def _empty(name: str) -> pa.Table:
    schema = LAKE_TABLES[name].schema
    return pa.schema([schema.field(c) for c in DIMENSION_COLUMNS[name]]).empty_table()


def newest(name: str, *sources: pa.Table) -> pa.Table:
    """One row per key: the earliest source that has it, and there the newest fetch."""
    key = DIMENSION_COLUMNS[name][0]
    parts = []
    for rank, table in enumerate(sources):
        if table.num_rows == 0:
            continue
        columns = [*DIMENSION_COLUMNS[name], *(c for c in _ORDER if c in table.column_names)]
        part = table.select(columns)
        part = part.append_column("__rank", pa.array([rank] * part.num_rows, pa.int32()))
        parts.append(part)
    if not parts:
        return _empty(name)
    rows = pa.concat_tables(parts, promote_options="default")
    rows = rows.take(
        pc.sort_indices(
            rows,
            [
                ("__rank", "ascending"),
                *((c, "descending") for c in _ORDER if c in rows.column_names),
            ],
        )  # nulls (no fetch time) last: the default
    )
    numbered = rows.append_column("__row", pa.array(range(rows.num_rows), pa.int64()))
    firsts = numbered.group_by([key], use_threads=False).aggregate([("__row", "min")])
    return rows.take(pc.sort_indices(firsts["__row_min"])).select(list(DIMENSION_COLUMNS[name]))


def lake_snapshot(lake_root: LakeRoot, name: str) -> pa.Table:
    """The dimension table's rows in the lake (every snapshot), or an empty table."""
    lake = lake_at(lake_root)
    columns = [*DIMENSION_COLUMNS[name], *_ORDER]
    schema = LAKE_TABLES[name].schema
    target = pa.schema([schema.field(c) for c in columns])
    files = lake.data_files(lake.path(name))
    parts = [lake.read_parquet(f, columns=columns).cast(target) for f in files]
    return pa.concat_tables(parts) if parts else target.empty_table()


def build_dimensions(lake_root: LakeRoot, batch: dict[str, Sequence[pa.Table]]) -> Dimensions:
    """The batch's snapshots (``batch[name]``) over the lake's: newest row per key."""
    tables = {}
    for name in DIMENSIONS:
        staged = batch.get(name, ())
        ours = pa.concat_tables(staged, promote_options="default") if staged else _empty(name)
        tables[name] = newest(name, ours, lake_snapshot(lake_root, name))
    return Dimensions(tables)


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    index = table.schema.get_field_index(name)
    field = table.schema.field(index)
    return table.set_column(index, field, pc.cast(values, field.type))


def enrich_violations(rows: pa.Table, dims: Dimensions) -> pa.Table:
    """Fill a violation's org name and its session's user, origin, title, tags and playbook."""
    orgs, sessions = dims.tables["orgs"], dims.tables["sessions"]
    rows = _set(rows, "org_name", lookup(rows["org_id"], orgs["org_id"], orgs["name"]))
    index = pc.index_in(rows["session_id"], value_set=sessions["session_id"])
    for column, source in (
        ("session_user_id", "user_id"),
        ("session_service_user_id", "service_user_id"),
        ("session_origin", "origin"),
        ("session_title", "title"),
        ("session_tags", "tags"),
        ("session_playbook_id", "playbook_id"),
    ):
        rows = _set(rows, column, sessions[source].take(index))
    return rows


def enrich_events(rows: pa.Table, dims: Dimensions) -> pa.Table:
    """Fill org and actor names, missing actor emails, and the session's origin and title.

    A violation has no actor of its own: it takes its session's user (else service user).
    """
    orgs, users = dims.tables["orgs"], dims.tables["users"]
    services, sessions = dims.tables["service_users"], dims.tables["sessions"]
    index = pc.index_in(rows["session_id"], value_set=sessions["session_id"])
    session_user = sessions["user_id"].take(index)
    session_service = sessions["service_user_id"].take(index)
    unattributed = pc.and_(
        pc.equal(rows["source"], "guardrail_violation"), pc.is_null(rows["actor_type"])
    )
    actor_type = pc.if_else(
        unattributed,
        pc.if_else(
            pc.is_valid(session_user),
            "user",
            pc.if_else(pc.is_valid(session_service), "service_user", pa.scalar(None, pa.string())),
        ),
        rows["actor_type"],
    )
    actor_id = pc.if_else(
        unattributed, pc.coalesce(session_user, session_service), rows["actor_id"]
    )
    is_user = pc.fill_null(pc.equal(actor_type, "user"), False)
    is_service = pc.fill_null(pc.equal(actor_type, "service_user"), False)
    user = pc.index_in(actor_id, value_set=users["user_id"])
    service = pc.index_in(actor_id, value_set=services["service_user_id"])
    none = pa.scalar(None, pa.string())
    email = pc.if_else(
        is_user, pc.coalesce(rows["actor_email"], users["email"].take(user)), rows["actor_email"]
    )
    name = pc.if_else(
        is_user,
        users["name"].take(user),
        pc.if_else(is_service, services["name"].take(service), none),
    )
    rows = _set(rows, "actor_type", actor_type)
    rows = _set(rows, "actor_id", actor_id)
    rows = _set(rows, "actor_email", email)
    rows = _set(rows, "actor_name", name)
    rows = _set(rows, "org_name", lookup(rows["org_id"], orgs["org_id"], orgs["name"]))
    rows = _set(rows, "session_origin", sessions["origin"].take(index))
    return _set(rows, "session_title", sessions["title"].take(index))

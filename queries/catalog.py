"""Named SQL queries: one ``.sql`` file per query, read from this package with importlib.resources.

Each file starts with a header of ``-- key: value`` comment lines::

    -- name: audit_logs
    -- description: what the query returns, in one line
    -- parameters: none            (or: $org_id, $since)

Parameters are bound by DuckDB (``con.execute(query.sql, {"org_id": ...})``), never formatted
into the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

_PACKAGE = "queries"
_REQUIRED = ("name", "description", "parameters")


@dataclass(frozen=True)
class Query:
    """A named query: its header and its SQL text (header included, which SQL ignores)."""

    name: str
    description: str
    parameters: tuple[str, ...]
    sql: str


def load(path: str) -> Query:
    """The query in ``queries/<path>`` (e.g. ``"views/events.sql"``).

    Raises ``ValueError`` if the header lacks a key or its name differs from the file name.
    """
    sql = resources.files(_PACKAGE).joinpath(path).read_text(encoding="utf-8")
    header = _header(sql)
    missing = [key for key in _REQUIRED if key not in header]
    if missing:
        raise ValueError(f"queries/{path}: header lacks {', '.join(missing)}")
    stem = path.rsplit("/", 1)[-1].removesuffix(".sql")
    if header["name"] != stem:
        raise ValueError(f"queries/{path}: header names it {header['name']!r}, not {stem!r}")
    params = header["parameters"]
    parameters = () if params in ("", "none") else tuple(p.strip() for p in params.split(","))
    return Query(header["name"], header["description"], parameters, sql)


def _header(sql: str) -> dict[str, str]:
    header = {}
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        key, sep, value = line.removeprefix("--").partition(":")
        if sep:
            header[key.strip()] = value.strip()
    return header

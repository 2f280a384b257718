"""Events out of the lake in the shapes SIEMs read: OCSF 1.7.0, ECS 8.17, or the lake rows.

* ``ocsf.to_ocsf`` and ``ecs.to_ecs``: pure functions, one ``events`` row (plus its source row)
  in, one document out. ``ocsf_classes`` says which OCSF class each audit action becomes.
* ``writer.export``: the lake → an NDJSON file, written atomically.

``export`` is loaded on first use, so that importing the pure mappers does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.export.ecs import to_ecs
from pipeline.export.ocsf import to_ocsf

if TYPE_CHECKING:
    from pipeline.export.writer import export

__all__ = ["export", "to_ecs", "to_ocsf"]


def __getattr__(name: str) -> Any:
    if name == "export":
        from pipeline.export import writer

        return writer.export
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The Beam transform: landing-zone NDJSON → normalized Parquet lake (see ``job``).

``run_transform`` and ``TransformResult`` are loaded on first use, so that importing the pure
modules of this package (``taxonomy``, ``normalize``...) does not import Beam.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.transform.job import TransformResult, run_transform

__all__ = ["TransformResult", "run_transform"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.transform import job

        return getattr(job, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

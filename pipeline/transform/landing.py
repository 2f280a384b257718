"""Reading the landing zone: which files, cut into which byte ranges, and their lines.

A landed file is ``<lake>/_landing/<run_id>/<stream>/<name>.ndjson``. Large files are cut into
byte ranges of about ``RANGE_BYTES`` so that Beam workers can share one file; a line belongs to
the range its first byte falls in, so every line is read exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.model import STREAM_MODELS

LANDING_DIR = "_landing"
RANGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class LandedRange:
    """A byte range ``[start, end)`` of one landed file: the unit of work of the transform.

    ``order`` is the range's place in the batch (file position, then offset): the first
    occurrence of a duplicate id in that order is the one kept.
    """

    order: tuple[int, int]
    path: str
    start: int
    end: int
    landed_file: str  # how dead letters name the file: relative to the lake when inside it
    run_id: str | None  # from the landing path, for lines too broken to carry provenance
    stream: str | None


def plan_ranges(
    files: Sequence[str | Path], lake_root: str | Path | None, range_bytes: int = RANGE_BYTES
) -> list[LandedRange]:
    """Cut each landed file into equal ranges of at most ``range_bytes`` (none if empty).

    ``lake_root``: a local lake, which names the landed files inside it relatively; None for a
    lake elsewhere (the files keep their absolute paths).
    """
    lake = Path(lake_root).resolve() if lake_root is not None else None
    ranges = []
    for index, file in enumerate(files):
        path = Path(file).resolve()
        size = path.stat().st_size
        if size == 0:
            continue
        run_id, stream = landing_location(path)
        if lake is not None and path.is_relative_to(lake):
            name = path.relative_to(lake).as_posix()
        else:
            name = str(path)
        step = -(-size // -(-size // range_bytes))  # equal shares, so workers finish together
        for start in range(0, size, step):
            end = min(start + step, size)
            ranges.append(LandedRange((index, start), str(path), start, end, name, run_id, stream))
    return ranges


def landing_location(path: Path) -> tuple[str | None, str | None]:
    """(run_id, stream) from a path shaped like the landing contract, else (None, None)."""
    parts = path.parts
    if len(parts) >= 4 and parts[-4] == LANDING_DIR and parts[-2] in STREAM_MODELS:
        return parts[-3], parts[-2]
    return None, None


def read_chunk(path: str, start: int, end: int) -> tuple[int, bytes]:
    """(file offset, bytes) of the whole lines starting in ``[start, end)``, in one read."""
    with open(path, "rb") as fh:
        if start > 0:
            # Skip the line that began before the range: its owner reads it.
            fh.seek(start - 1)
            fh.readline()
        offset = fh.tell()
        if offset >= end:
            return offset, b""
        chunk = fh.read(end - offset)
        if not chunk.endswith(b"\n"):
            chunk += fh.readline()  # finish the last line, which may run past ``end``
    return offset, chunk


def read_lines(path: str, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line without its newline) of every non-blank line starting in the range."""
    offset, chunk = read_chunk(path, start, end)
    if not chunk:
        return
    for line in chunk.split(b"\n"):
        if line and not line.isspace():
            yield offset, line.rstrip(b"\r")
        offset += len(line) + 1

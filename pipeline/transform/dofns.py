"""The Beam steps of the transform: thin DoFns over the pure functions, counting as they go.

Elements are coarse and small: a landed byte range in (its rows are DuckDB's and Arrow's work,
never one Beam element each); out, for each (table, partition) it
touches, the path of a staged Arrow file (``sinks.staging``) holding its rows. The counters
(namespace ``METRICS_NAMESPACE``) are what ``run_transform`` reports back.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from pipeline.model import LAKE_TABLES
from pipeline.redact import DEFAULT_POLICY, RedactionPolicy
from pipeline.transform.chunk import connect, normalize_chunk
from pipeline.transform.enrich import DIMENSIONS, Dimensions, build_dimensions
from pipeline.transform.landing import LandedRange, read_chunk
from sinks.parquet import partitions, write_partition
from sinks.staging import load, stage
from sinks.storage import lake_at

logger = logging.getLogger(__name__)

METRICS_NAMESPACE = "devin_audit.transform"
DEAD_LETTERS = "dead_letters"

# ((table, partition), (order in the batch, staged file)): what flows from normalizing to writing.
Staged = tuple[tuple[str, str], tuple[tuple[int, int], str]]


# Counter names: "records_in.<stream>", "rows_written.<table>", "dead_letters", "unknown_actions".
RECORDS_IN = "records_in."
ROWS_WRITTEN = "rows_written."


class NormalizeRange(beam.DoFn):
    """A landed range to staged rows keyed by (table, partition); dead letters tagged apart.

    The per-row work happens inside, column at a time (``chunk.normalize_chunk``: DuckDB, then
    pyarrow); Beam sees one element per range. ``dims``: the side input of dimension snapshots
    (Arrow IPC bytes, ``enrich.Dimensions``); None for the dimension ranges themselves.
    """

    def __init__(
        self,
        lake_root: str,
        batch_id: str,
        ingested_at: int,
        threads: int = 1,
        policy: RedactionPolicy = DEFAULT_POLICY,
    ) -> None:
        self.lake_root = lake_root
        self.batch_id = batch_id
        self.ingested_at = ingested_at
        self.threads = threads
        self.policy = policy

    def setup(self) -> None:
        self.lake = lake_at(self.lake_root)
        self.dead_letters = Metrics.counter(METRICS_NAMESPACE, "dead_letters")
        self.unknown_actions = Metrics.counter(METRICS_NAMESPACE, "unknown_actions")
        self.con = connect(self.threads)
        gc.freeze()  # start-up objects (Beam, pyarrow, pydantic) are never garbage

    def teardown(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()

    def process(self, source: LandedRange, dims: bytes | None = None) -> Iterator[Any]:
        offset, chunk = read_chunk(source.path, source.start, source.end)
        dimensions = Dimensions.from_ipc(dims) if dims is not None else None
        with paused_gc():
            result = normalize_chunk(
                self.con, chunk, offset, source, self.ingested_at, dimensions, policy=self.policy
            )
        for stream, count in result.records_in.items():
            Metrics.counter(METRICS_NAMESPACE, RECORDS_IN + stream).inc(count)
        if result.unknown_actions:
            self.unknown_actions.inc(result.unknown_actions.total())
            # Names only: they are what the taxonomy should learn next.
            logger.info(
                "unknown actions in %s: %s", source.landed_file, dict(result.unknown_actions)
            )
        for name, rows in result.tables.items():
            yield from self._staged(name, source.order, rows)
        if result.dead_letters.num_rows:
            self.dead_letters.inc(result.dead_letters.num_rows)
            for staged in self._staged("dead_letters", source.order, result.dead_letters):
                yield TaggedOutput(DEAD_LETTERS, staged)

    def _staged(self, name: str, order: tuple[int, int], rows: pa.Table) -> Iterator[Staged]:
        for partition, part in partitions(LAKE_TABLES[name], rows):
            path = stage(self.lake, self.batch_id, name, partition, order, part)
            yield (name, partition), (order, path)


def dimension_paths(element: Staged) -> Iterator[tuple[str, str]]:
    """(table, staged file) of the staged snapshots that enrichment reads."""
    (name, _), (_, path) = element
    if name in DIMENSIONS:
        yield name, path


def build_side_input(staged: list[tuple[str, str]], lake_root: str) -> bytes:
    """The batch's dimension snapshots over the lake's, as ``Dimensions`` IPC bytes."""
    batch: dict[str, Sequence[pa.Table]] = {}
    for name, path in sorted(staged, key=lambda p: p[1]):
        batch[name] = [*batch.get(name, ()), *load(lake_root, [path])]
    return build_dimensions(lake_root, batch).to_ipc()


def is_dimension(source: LandedRange) -> bool:
    return source.stream in DIMENSIONS


def is_not_dimension(source: LandedRange) -> bool:
    return source.stream not in DIMENSIONS


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Normalizing a range creates hundreds of thousands of small objects, which would trigger
    full collections over and over (twice the time of the loop, measured); the loop itself
    makes no reference cycles worth collecting before it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class WritePartition(beam.DoFn):
    """Writes one (table, partition) of the batch; outputs the file written, if any."""

    def __init__(self, lake_root: str, batch_id: str) -> None:
        self.lake_root = lake_root
        self.batch_id = batch_id

    def setup(self) -> None:
        self.lake = lake_at(self.lake_root)

    def process(
        self, element: tuple[tuple[str, str], Iterable[tuple[tuple[int, int], str]]]
    ) -> Iterator[str]:
        (name, partition), pieces = element
        staged = [path for _, path in sorted(pieces)]  # batch order: the first duplicate wins
        rows = load(self.lake, staged)
        written = write_partition(self.lake, LAKE_TABLES[name], partition, self.batch_id, rows)
        Metrics.counter(METRICS_NAMESPACE, ROWS_WRITTEN + name).inc(written.rows)
        if written.path is not None:
            yield written.path

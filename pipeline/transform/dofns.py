"""The Beam steps of the transform: thin DoFns over the pure functions, counting as they go.

Elements are coarse and small: a landed byte range in; out, for each (table, partition) it
touches, the path of a staged Arrow file (``sinks.staging``) holding its rows. The counters
(namespace ``METRICS_NAMESPACE``) are what ``run_transform`` reports back.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from pipeline.model import LAKE_TABLES
from pipeline.transform.landing import LandedRange, read_lines
from pipeline.transform.tables import normalize_lines
from sinks.parquet import partitions, write_partition
from sinks.staging import load, stage

logger = logging.getLogger(__name__)

METRICS_NAMESPACE = "devin_audit.transform"
DEAD_LETTERS = "dead_letters"

# ((table, partition), (order in the batch, staged file)): what flows from normalizing to writing.
Staged = tuple[tuple[str, str], tuple[tuple[int, int], str]]


# Counter names: "records_in.<stream>", "rows_written.<table>", "dead_letters", "unknown_actions".
RECORDS_IN = "records_in."
ROWS_WRITTEN = "rows_written."


class NormalizeRange(beam.DoFn):
    """A landed range to staged rows keyed by (table, partition); dead letters tagged apart."""

    def __init__(self, lake_root: str, batch_id: str, ingested_at: int) -> None:
        self.lake_root = lake_root
        self.batch_id = batch_id
        self.ingested_at = ingested_at

    def setup(self) -> None:
        self.dead_letters = Metrics.counter(METRICS_NAMESPACE, "dead_letters")
        self.unknown_actions = Metrics.counter(METRICS_NAMESPACE, "unknown_actions")

    def process(self, source: LandedRange) -> Iterator[Any]:
        lines = read_lines(source.path, source.start, source.end)
        with paused_gc():
            result = normalize_lines(lines, source, self.ingested_at)
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
            path = stage(self.lake_root, self.batch_id, name, partition, order, part)
            yield (name, partition), (order, path)


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

    def process(
        self, element: tuple[tuple[str, str], Iterable[tuple[tuple[int, int], str]]]
    ) -> Iterator[str]:
        (name, partition), pieces = element
        staged = [path for _, path in sorted(pieces)]  # batch order: the first duplicate wins
        written = write_partition(
            Path(self.lake_root), LAKE_TABLES[name], partition, self.batch_id, load(staged)
        )
        Metrics.counter(METRICS_NAMESPACE, ROWS_WRITTEN + name).inc(written.rows)
        if written.path is not None:
            yield written.path

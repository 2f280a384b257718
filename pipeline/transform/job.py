"""One transform job: landed files of a batch → Beam → the Parquet lake, with its counts.

Runner choice: with no ``--runner`` (or ``DirectRunner``, which would first try to download and
start Prism) the job runs on the ``FnApiRunner``, in-process by default. Two processes
(``--direct_num_workers=2 --direct_running_mode=multi_processing``) start about 2 s slower and
only pay off for big backfills (measured on 2 cores: slower at 110k records, 25% faster at 330k).
Any other standard Beam option works too (``--runner=DataflowRunner ...``), provided every
worker can reach the lake and the landed files: a lake on object storage (``s3://``, ``gs://``)
holds the batch's staging too (``sinks.staging``), but the landing zone is a local directory.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineResult, PipelineState, create_runner

from pipeline.errors import ConfigError
from pipeline.model import LAKE_TABLES
from pipeline.redact import DEFAULT_POLICY, RedactionPolicy
from pipeline.transform.dofns import (
    DEAD_LETTERS,
    METRICS_NAMESPACE,
    RECORDS_IN,
    ROWS_WRITTEN,
    NormalizeRange,
    WritePartition,
    build_side_input,
    dimension_paths,
    is_dimension,
    is_not_dimension,
)
from pipeline.transform.landing import plan_ranges
from sinks import staging
from sinks.parquet import batch_files
from sinks.storage import lake_at

logger = logging.getLogger(__name__)

BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
DEFAULT_RUNNER = "FnApiRunner"
_PRISM_FIRST = {"direct", "directrunner", "switchingdirectrunner"}


@dataclass(frozen=True)
class TransformResult:
    """What a transform read and wrote.

    ``rows_in``: lines read per stream (dead letters included). ``rows_written``: rows per lake
    table that were not in the lake before (0 for a replay of a batch already written).
    ``dead_letters``: lines that became dead letters. ``files``: the lake files that belong to
    the batch after the run. ``unknown_actions``: rows whose action (or guardrail
    ``action_taken``) the taxonomy does not know.
    """

    rows_in: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    files: list[str] = field(default_factory=list)
    unknown_actions: int = 0


class LandingToLake(beam.PTransform):
    """Landed ranges in; the lake files written out (one path per written partition).

    The batch's staging directory (``sinks.staging``) must be empty when it starts; the
    caller clears it afterwards.
    """

    def __init__(
        self,
        lake_root: str,
        batch_id: str,
        ingested_at: int,
        policy: RedactionPolicy = DEFAULT_POLICY,
    ) -> None:
        super().__init__()
        self.lake_root = lake_root
        self.batch_id = batch_id
        self.ingested_at = ingested_at
        self.policy = policy

    def expand(self, ranges: beam.PCollection) -> beam.PCollection:
        dimensions = (
            ranges
            | "Dimension ranges" >> beam.Filter(is_dimension)
            | "Normalize dimensions"
            >> beam.ParDo(
                NormalizeRange(self.lake_root, self.batch_id, self.ingested_at, policy=self.policy)
            ).with_outputs(DEAD_LETTERS, main="rows")
        )
        side = (
            dimensions["rows"]
            | "Staged snapshots" >> beam.FlatMap(dimension_paths)
            | "All snapshots" >> beam.combiners.ToList()
            | "Newest per key" >> beam.Map(build_side_input, self.lake_root)
        )
        events = (
            ranges
            | "Event ranges" >> beam.Filter(is_not_dimension)
            | "Normalize and enrich"
            >> beam.ParDo(
                NormalizeRange(self.lake_root, self.batch_id, self.ingested_at, policy=self.policy),
                dims=beam.pvalue.AsSingleton(side),
            ).with_outputs(DEAD_LETTERS, main="rows")
        )
        return (
            (
                dimensions["rows"],
                dimensions[DEAD_LETTERS],
                events["rows"],
                events[DEAD_LETTERS],
            )
            | "Merge" >> beam.Flatten()
            | "Group by partition" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(WritePartition(self.lake_root, self.batch_id))
        )


def run_transform(
    landing_files: Sequence[str | Path],
    lake_root: str | Path,
    batch_id: str,
    *,
    beam_args: Sequence[str] | None = None,
    policy: RedactionPolicy = DEFAULT_POLICY,
) -> TransformResult:
    """Normalize the landed files into the lake as batch ``batch_id`` and report the counts.

    Idempotent: running the same batch again rewrites the batch's own files and adds no row.
    Bad lines become dead letters; a failing pipeline raises ``RuntimeError``. ``policy``
    says what is redacted and pseudonymized (it travels to the workers with the DoFns).
    """
    if not BATCH_ID.fullmatch(batch_id):
        raise ValueError(
            f"batch_id {batch_id!r} must be letters, digits, '.', '_', '+' or '-', not starting "
            "with a symbol (it names the batch's files)"
        )
    lake = lake_at(lake_root)
    ranges = plan_ranges(landing_files, lake.root if lake.local else None)
    if not ranges:
        return TransformResult(files=batch_files(lake, batch_id))
    ingested_at = time.time_ns() // 1_000
    pipeline = beam.Pipeline(options=pipeline_options(beam_args))
    # The DoFns get a string they reopen the lake from (a URI keeps its query options).
    location = lake.root if lake.local else str(lake_root)
    _ = (
        pipeline
        | "Landed ranges" >> beam.Create(ranges)
        | "Landing to lake" >> LandingToLake(location, batch_id, ingested_at, policy)
    )
    staging.clear(lake, batch_id)  # leftovers of an attempt that died
    try:
        result = pipeline.run()
        state = result.wait_until_finish()
    finally:
        staging.clear(lake, batch_id)
    if state != PipelineState.DONE:
        raise RuntimeError(f"transform of batch {batch_id} ended {state}; rerun the same batch")
    counters = _counters(result)
    transform = TransformResult(
        rows_in={
            name.removeprefix(RECORDS_IN): value
            for name, value in counters.items()
            if name.startswith(RECORDS_IN)
        },
        rows_written={t: counters.get(ROWS_WRITTEN + t, 0) for t in LAKE_TABLES},
        dead_letters=counters.get("dead_letters", 0),
        files=batch_files(lake, batch_id),
        unknown_actions=counters.get("unknown_actions", 0),
    )
    logger.info(
        "batch %s: read %s, wrote %s, %d dead letters",
        batch_id,
        transform.rows_in,
        transform.rows_written,
        transform.dead_letters,
    )
    return transform


def pipeline_options(beam_args: Sequence[str] | None) -> PipelineOptions:
    """Standard Beam options from ``beam_args``, with the local runner pinned (module doc)."""
    options = PipelineOptions(list(beam_args or ()))
    standard = options.view_as(StandardOptions)
    if standard.runner is None or standard.runner.lower() in _PRISM_FIRST:
        standard.runner = DEFAULT_RUNNER
    return options


def check_beam_args(beam_args: Sequence[str]) -> None:
    """Raise ``ConfigError`` unless ``beam_args`` name a runner Beam can build (before a run
    pulls anything, rather than after)."""
    runner = pipeline_options(beam_args).view_as(StandardOptions).runner
    try:
        create_runner(runner)
    except (ValueError, ImportError) as err:
        raise ConfigError(
            f"DEVIN_BEAM_ARGS names runner {runner!r}, which Beam cannot build here: {err}"
        ) from None


def _counters(result: PipelineResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    query = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))
    for counter in query["counters"]:
        # Committed where the runner tracks it; attempted is all some portable runners report.
        value = counter.committed if counter.committed is not None else counter.attempted
        name = counter.key.metric.name
        totals[name] = totals.get(name, 0) + int(value or 0)
    return totals

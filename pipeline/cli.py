"""The ``devin-audit`` command line: run the pipeline, query the lake, serve the sandbox."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.config import Settings
from pipeline.errors import PipelineError

app = typer.Typer(
    help="Pull Devin audit logs and AI guardrail violations into a Parquet lake, and query it.\n\n"
    "Without DEVIN_API_TOKEN every command runs against the embedded sandbox, a simulator of "
    "Devin's API with a synthetic enterprise in it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
# Piped output (cron logs, CI) gets a wide console so tables are not cut at 80 columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


class _QuietBeamImport(logging.Filter):
    """Beam warns about optional GCP client libraries on import; that is noise to our users."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        help="Lake root: a directory (default ./data, or DEVIN_LAKE) or s3://… / gs://….",
        show_default=False,
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_QuietBeamImport())


def _settings(lake: str | None) -> Settings:
    settings = Settings()
    if lake is not None:
        settings = settings.model_copy(update={"lake": str(lake)})
    return settings


def _require_lake(settings: Settings) -> None:
    """Stop with advice when a local lake does not exist yet."""
    from sinks.storage import lake_at

    if settings.lake_is_local and not Path(lake_at(settings.lake).root).exists():
        console.print(
            f"[red]error:[/red] no lake at {settings.lake}; run `devin-audit run` first "
            "or pass --lake."
        )
        raise typer.Exit(1)


def _parse_day(value: str) -> int:
    """A date (2026-01-31) or an ISO timestamp, as Unix seconds UTC."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-01-31") from err
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp())


def _parse_moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(_parse_day(value), tz=UTC)


@contextlib.contextmanager
def _api(settings: Settings, faults: str | None) -> Iterator[tuple[Settings, str]]:
    """Yield settings pointing at the real API, or at an embedded sandbox when none is set."""
    if not settings.uses_sandbox:
        if settings.api_token is None:
            raise PipelineError(
                "DEVIN_API_URL is set but DEVIN_API_TOKEN is not: export a cog_ service-user "
                "credential as DEVIN_API_TOKEN."
            )
        token = settings.api_token.get_secret_value()
        if settings.legacy_v2 and not token.startswith("apk_user_"):
            raise PipelineError(
                "DEVIN_LEGACY_V2 needs an enterprise admin's personal apk_user_ key; with a cog_ "
                "credential, unset DEVIN_LEGACY_V2 and use the v3 API."
            )
        if token.startswith("apk_") and not settings.legacy_v2:
            raise PipelineError(
                "DEVIN_API_TOKEN is a legacy apk_ key, which the v3 API refuses: create a "
                "service user with ManageEnterpriseSettings in Devin's enterprise settings and "
                "use its cog_ credential (or, with an enterprise admin's apk_user_ key, set "
                "DEVIN_LEGACY_V2=true for the legacy v2 audit log only)."
            )
        settings = settings.model_copy(
            update={"api_url": settings.api_url or "https://api.devin.ai"}
        )
        yield settings, str(settings.api_url)
        return
    from pydantic import SecretStr

    from sandbox import FaultConfig, SandboxConfig, SandboxServer

    config = SandboxConfig(max_late_seconds=300)  # within the default 600 s lookback
    if faults:
        try:
            config = config.model_copy(update={"faults": FaultConfig.parse(faults)})
        except ValueError as err:
            raise PipelineError(f"--sandbox-faults: {err}") from err
    console.print(
        "[yellow]No DEVIN_API_TOKEN configured: running against the embedded sandbox "
        "(synthetic data, not your tenant).[/yellow] Set DEVIN_API_URL and DEVIN_API_TOKEN to "
        "pull from Devin."
    )
    with SandboxServer(config, host="127.0.0.1", port=0) as server:
        yield (
            settings.model_copy(
                update={"api_url": server.url, "api_token": SecretStr(server.admin_token)}
            ),
            f"sandbox at {server.url}",
        )


def _client(settings: Settings, source: str) -> Any:
    from pipeline.extract.client import DevinClient, RateLimiter, RetryPolicy, make_http_client

    assert settings.api_url is not None and settings.api_token is not None
    http = make_http_client(
        settings.api_url, settings.api_token.get_secret_value(), settings.timeout_seconds
    )
    return http, DevinClient(
        http,
        retry=RetryPolicy(
            settings.max_retries,
            settings.backoff_initial,
            settings.backoff_max,
            settings.retry_after_max,
        ),
        limiter=RateLimiter(0 if source.startswith("sandbox") else settings.requests_per_second),
    )


def _execute(lake: str | None, faults: str | None, verbose: bool, action: Any) -> None:
    """Set up logging, the API (real or sandbox), the client and progress; run ``action``."""
    _setup_logging(verbose)
    from pipeline.runner import Runner

    try:
        with _api(_settings(lake), faults) as (settings, source):
            http, client = _client(settings, source)
            with http, _progress() as (progress_fn, stage_fn):
                runner = Runner(settings, client, progress=progress_fn, stage=stage_fn)
                summary = action(runner)
    except PipelineError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from None
    _print_summary(summary, source)


FaultsOption = Annotated[
    str | None,
    typer.Option(
        "--sandbox-faults",
        help="Embedded sandbox only: fault knobs, e.g. '429=0.1,5xx=0.05,drop=0.02'.",
    ),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log each retry.")]


@app.command()
def run(
    lake: LakeOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Pull from this date (2026-01-31) instead of the saved checkpoint."),
    ] = None,
    sandbox_faults: FaultsOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Pull what is new since the last run, normalize it with Beam, and write it to the lake.

    The first run starts DEVIN_INITIAL_DAYS (30) days back, or at --since. Each later run
    starts at the saved high-water mark minus DEVIN_LOOKBACK_SECONDS (600) and deduplicates by
    id, so running it on a schedule lands every event exactly once.
    """
    start = _parse_day(since) if since else None
    _execute(lake, sandbox_faults, verbose, lambda runner: runner.run(since=start))


@app.command()
def backfill(
    since: Annotated[str, typer.Option(help="Start of the range (2025-06-01).")],
    until: Annotated[
        str | None, typer.Option(help="End of the range, exclusive (default: now).")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=16, help="Windows fetched at once (one shared rate budget).")
    ] = 4,
    lake: LakeOption = None,
    sandbox_faults: FaultsOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Pull a past range in windows under the API's 100-day limit, several at once.

    Each window's progress is recorded once the lake has it: if a backfill fails or is killed,
    the same command resumes every unfinished window where it stopped. Backfills do not move
    the scheduled run's checkpoint, and the lake deduplicates, so overlapping ranges are safe.
    """
    start = _parse_day(since)
    end = _parse_day(until) if until else None
    _execute(
        lake,
        sandbox_faults,
        verbose,
        lambda runner: runner.backfill(start, end, concurrency=concurrency),
    )


@app.command()
def fetch(
    session: Annotated[
        str | None, typer.Option(help="Guardrail violations of this session.")
    ] = None,
    guardrail: Annotated[
        str | None, typer.Option(help="Guardrail violations of this guardrail id.")
    ] = None,
    action: Annotated[str | None, typer.Option(help="Audit log entries of this action.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Start of the range (default: DEVIN_INITIAL_DAYS ago).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="End of the range (default: now).")] = None,
    lake: LakeOption = None,
    sandbox_faults: FaultsOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Pull one slice now for an incident, using the API's own filters.

    What it pulls lands like any run (deduplicated), without moving the scheduled checkpoint.
    """
    if not (session or guardrail or action):
        raise typer.BadParameter("give at least one of --session, --guardrail, --action")
    settings = _settings(lake)
    start = _parse_day(since) if since else int(time.time()) - settings.initial_days * 86_400
    end = _parse_day(until) if until else None
    _execute(
        lake,
        sandbox_faults,
        verbose,
        lambda runner: runner.fetch(
            start, end, session_id=session, guardrail_id=guardrail, action=action
        ),
    )


@app.command()
def doctor(lake: LakeOption = None) -> None:
    """Check the URL, the token, each permission the streams need, the lake and the state.

    Prints one verdict per line and exits non-zero when a run would fail.
    """
    from pipeline.doctor import check_api, check_config, check_local

    _setup_logging(False)
    settings = _settings(lake)
    try:
        with _api(settings.model_copy(update={"max_retries": 1}), None) as (live, source):
            checks = check_config(live)
            if all(c.ok for c in checks):
                http, client = _client(live, source)
                with http:
                    checks += check_api(client, live)
            checks += check_local(live)
    except PipelineError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from None
    for check in checks:
        mark = (
            "[green]ok  [/]" if check.ok else ("[red]FAIL[/]" if check.fatal else "[yellow]warn[/]")
        )
        out.print(f"{mark} {check.name}: {check.message}")
    failed = [c for c in checks if not c.ok and c.fatal]
    if failed:
        out.print(f"[red]A run would fail: {len(failed)} problem(s) above.[/]")
        raise typer.Exit(1)
    out.print("[green]Ready: a run would succeed.[/]")


class ExportFormat(StrEnum):
    ocsf = "ocsf"
    ecs = "ecs"
    json = "json"


@app.command()
def export(
    out_file: Annotated[Path, typer.Argument(help="Where to write the NDJSON (one event a line).")],
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="ocsf, ecs, or json (our events rows).")
    ] = ExportFormat.ocsf,
    since: Annotated[str | None, typer.Option(help="Events from this date on.")] = None,
    until: Annotated[str | None, typer.Option(help="Events before this date.")] = None,
    source: Annotated[
        str | None, typer.Option(help="Only audit_log or guardrail_violation events.")
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Write the lake's events as OCSF or ECS NDJSON, for a SIEM or an investigation.

    What is exported comes from the lake, where secrets are already redacted.
    """
    from pipeline.export.writer import export as export_events

    settings = _settings(lake)
    _require_lake(settings)
    count = export_events(
        settings.lake,
        format.value,
        out_file,
        since=_parse_moment(since),
        until=_parse_moment(until),
        source=source,
    )
    out.print(f"Wrote {count:,} {format.value.upper()} events to {out_file}")


@app.command()
def compact(
    lake: LakeOption = None,
    table: Annotated[
        list[str] | None, typer.Option(help="Only this table (repeatable); default all.")
    ] = None,
) -> None:
    """Merge each partition's small files into one and drop duplicate keys.

    Scheduled runs add a file per partition each time; compacting (say, daily) keeps queries
    fast. It holds the lake lock, so it never interleaves with a run.
    """
    from pipeline.model import LAKE_TABLES
    from pipeline.runner import lake_lock
    from sinks.compact import compact as compact_lake

    settings = _settings(lake)
    unknown = [t for t in table or [] if t not in LAKE_TABLES]
    if unknown:
        raise typer.BadParameter(f"unknown table(s) {unknown}; one of {sorted(LAKE_TABLES)}")
    try:
        with lake_lock(settings.work_path):
            results = compact_lake(settings.lake, table or None)
    except (PipelineError, OSError) as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from None
    if not results:
        out.print("Nothing to compact: every partition already has one file.")
        return
    summary = Table("table", "partition", "files", "rows", "duplicates removed")
    for r in results:
        summary.add_row(
            r.table,
            r.partition or "-",
            f"{r.files_before} → 1",
            f"{r.rows_after:,}",
            f"{r.duplicates_removed:,}",
        )
    out.print(summary)


state_app = typer.Typer(help="Show or reset the extractor's checkpoints.", no_args_is_help=True)
app.add_typer(state_app, name="state")


@state_app.command("show")
def state_show(lake: LakeOption = None) -> None:
    """Print each stream's checkpoint and each backfill's progress."""
    from pipeline.extract.backfill import BackfillStore
    from pipeline.extract.state import StateStore

    settings = _settings(lake)
    try:
        states = StateStore(settings.work_path).load()
        jobs = BackfillStore(settings.work_path).load()
    except PipelineError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from None
    table = Table("stream@scope", "high-water (UTC)", "ids at that second", "landed", "last run")
    for key, st in sorted(states.items()):
        mark = _utc(st.high_water) if st.high_water is not None else "-"
        table.add_row(
            key, mark, str(len(st.ids_at_high_water)), f"{st.total_landed:,}", st.last_run_id or "-"
        )
    out.print(table)
    if not states:
        out.print("No checkpoint yet: the next run starts DEVIN_INITIAL_DAYS back.")
    for key, windows in sorted(jobs.items()):
        done = sum(w.done for w in windows)
        out.print(
            f"backfill {key}: {done}/{len(windows)} windows done, "
            f"{sum(w.landed for w in windows):,} records landed"
        )


@state_app.command("reset")
def state_reset(
    stream: Annotated[
        str,
        typer.Argument(
            help="audit_logs or guardrail_violations "
            "(optionally @scope, e.g. audit_logs@enterprise)."
        ),
    ],
    lake: LakeOption = None,
) -> None:
    """Forget a stream's checkpoint: the next run starts over (the lake deduplicates)."""
    from pipeline.extract.state import StateStore

    store = StateStore(_settings(lake).work_path)
    keys = [k for k in store.load() if k == stream or k.split("@", 1)[0] == stream]
    if not keys:
        console.print(f"[yellow]No checkpoint named {stream}.[/yellow]")
        raise typer.Exit(1)
    for key in keys:
        store.reset(key)
        out.print(f"Reset {key}.")


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@contextlib.contextmanager
def _progress() -> Iterator[tuple[Any, Any]]:
    counts: dict[str, int] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("starting", total=None)
        stage_text = {"value": "starting"}

        def on_records(stream: str, n: int) -> None:
            counts[stream] = counts.get(stream, 0) + n
            progress.update(task, description=f"{stage_text['value']}: {counts[stream]:,} records")

        def on_stage(text: str) -> None:
            stage_text["value"] = text
            progress.update(task, description=text)
            if not console.is_terminal:
                console.print(f"… {text}")

        yield on_records, on_stage


def _print_summary(summary: Any, source: str) -> None:
    table = Table(title=f"Run {summary.run_id} ({source}) in {summary.seconds:.1f}s")
    table.add_column("stream")
    table.add_column("scope")
    table.add_column("pulled", justify="right")
    table.add_column("new in lake", justify="right")
    table.add_column("total in lake", justify="right")
    table.add_column("latest event (UTC)")
    rows: dict[tuple[str, str], list[Any]] = {}
    for r in summary.streams:  # a backfill has one result per window: add them up
        row = rows.setdefault((r.stream, r.scope), [0, None])
        row[0] += r.landed
        if r.high_water is not None:
            row[1] = max(row[1] or r.high_water, r.high_water)
    for (stream, scope), (landed, high_water) in rows.items():
        table.add_row(
            stream,
            scope,
            f"{landed:,}",
            f"{summary.new_rows.get(stream, 0):,}",
            f"{summary.totals.get(stream, 0):,}",
            _utc(high_water) if high_water is not None else "-",
        )
    out.print(table)
    dims = ", ".join(f"{k} {v:,}" for k, v in summary.dimensions.landed.items()) or "none"
    out.print(
        f"Enrichment snapshots: {dims}"
        + (
            f" ({summary.dimensions.sessions_unavailable} sessions unavailable)"
            if summary.dimensions.sessions_unavailable
            else ""
        )
    )
    dead = summary.new_rows.get("dead_letters", 0)
    if dead:
        out.print(f"[yellow]{dead} records could not be parsed; see the dead_letters view.[/]")
    if summary.unknown_actions:
        count = f"{summary.unknown_actions:,}"
        out.print(
            f"[yellow]{count} events carry an action this version does not know; they landed "
            "as category other, severity info: see `devin-audit sql` on events where "
            "category = 'other'.[/]"
        )
    for warning in summary.dimensions.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")
    if summary.windows_total:
        out.print(f"Backfill windows done: {summary.windows_total_done}/{summary.windows_total}")
    if summary.recovered_runs:
        out.print(f"Finished {len(summary.recovered_runs)} run(s) a crash had left unfinished.")
    if summary.retries:
        out.print(f"{summary.retries} requests were retried.")
    lake = summary.lake if "://" in summary.lake else str(Path(summary.lake).resolve())
    out.print(f"Lake: {lake}")
    out.print(
        f"Query it: devin-audit sql --lake {summary.lake} "  # noqa: S608 - shown, not run
        '"SELECT action, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"'
    )


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="SQL over the views audit_logs, "
            "guardrail_violations, events, dead_letters, orgs, "
            "users, service_users, sessions."
        ),
    ],
    lake: LakeOption = None,
    format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table, csv, or json (one array of row objects)."),
    ] = OutputFormat.table,
) -> None:
    """Run DuckDB SQL over the lake."""
    import duckdb

    from queries.lake import connect

    settings = _settings(lake)
    _require_lake(settings)
    try:
        con = connect(settings.lake)
    except (PipelineError, ValueError) as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from None
    try:
        cursor = con.execute(query)
    except duckdb.Error as err:
        console.print(f"[red]SQL error:[/red] {err}")
        raise typer.Exit(1) from None
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    con.close()
    _emit(columns, rows, format)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _emit(columns: list[str], rows: list[tuple[Any, ...]], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        records = [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, default=str) + "\n")
    elif fmt is OutputFormat.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else _jsonable(v) for v in row])
    else:
        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*("" if v is None else str(_jsonable(v)) for v in row))
        out.print(table)
        out.print(f"{len(rows)} row(s)")


@app.command("sandbox")
def sandbox_cmd(
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8787,
    host: Annotated[str, typer.Option(help="Address to bind; keep it on loopback.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic enterprise.")] = 7,
    faults: Annotated[
        str | None, typer.Option(help="Fault knobs, e.g. '429=0.1,5xx=0.05,drop=0.02'.")
    ] = None,
) -> None:
    """Serve the Devin API simulator until interrupted (point DEVIN_API_URL at it)."""
    from sandbox import FaultConfig, SandboxConfig, serve

    config = SandboxConfig(seed=seed)
    if faults:
        try:
            config = config.model_copy(update={"faults": FaultConfig.parse(faults)})
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--faults") from err
    serve(host, port, config)


def main() -> None:  # pragma: no cover - console-script shim
    app()

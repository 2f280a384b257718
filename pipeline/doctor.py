"""``devin-audit doctor``: would a run succeed? One verdict per check, and what to do."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from pipeline.config import Settings
from pipeline.errors import ApiError, ForbiddenError, NotFoundError, PipelineError
from pipeline.extract.backfill import BackfillStore
from pipeline.extract.client import DevinClient
from pipeline.extract.state import StateStore
from pipeline.extract.streams import DIMENSIONS, SESSION_PATH


@dataclass(frozen=True)
class Check:
    """One line of the verdict. ``fatal`` failures make a run fail; others only degrade it."""

    name: str
    ok: bool
    message: str
    fatal: bool = True


def check_config(settings: Settings) -> list[Check]:
    """What can be judged without a request: the URL and the token's shape."""
    checks = []
    url = urlparse(settings.api_url or "")
    local = url.hostname in ("127.0.0.1", "localhost", "::1")
    if url.scheme not in ("http", "https") or not url.hostname:
        checks.append(
            Check(
                "API URL",
                False,
                f"{settings.api_url!r} is not an http(s) URL; "
                "set DEVIN_API_URL, e.g. https://api.devin.ai",
            )
        )
    elif url.scheme == "http" and not local:
        checks.append(
            Check(
                "API URL",
                False,
                f"{settings.api_url} is plain http: the token "
                "would cross the network in clear; use https",
            )
        )
    else:
        checks.append(Check("API URL", True, str(settings.api_url)))
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    if not token:
        checks.append(Check("token", False, "DEVIN_API_TOKEN is not set"))
    elif token.startswith("cog_"):
        checks.append(Check("token", True, "a cog_ credential (v3)"))
    elif token.startswith("apk_"):
        checks.append(
            Check(
                "token",
                False,
                "a legacy apk_ key, which v3 refuses: create a "
                "service user in Devin's enterprise settings, grant it "
                "ManageEnterpriseSettings, and use its cog_ credential",
            )
        )
    else:
        checks.append(Check("token", False, "does not look like a Devin credential (cog_...)"))
    return checks


def check_api(client: DevinClient, settings: Settings) -> list[Check]:
    """Identity and every permission the configured streams and enrichment need."""
    checks = []
    try:
        me = client.get("/v3/self").body
        scope = "enterprise" if me.get("org_id") is None else f"org {me.get('org_id')}"
        checks.append(
            Check(
                "identity (/v3/self)",
                True,
                f"{me.get('principal_type', 'principal')} "
                f"{me.get('service_user_name') or me.get('service_user_id')} "
                f"({scope}-scoped)",
            )
        )
    except PipelineError as err:
        return [*checks, Check("identity (/v3/self)", False, _first_line(err))]
    now = int(time.time())
    window = {"first": 1, "order": "asc", "time_after": now - 3600, "time_before": now}
    for label, paths in (
        ("audit logs", settings.audit_log_paths),
        ("guardrail violations", settings.guardrail_paths),
    ):
        checks.append(_probe_paths(client, label, paths, window))
    for name, (path, _) in DIMENSIONS.items():
        checks.append(_probe(client, f"enrichment: {name}", path, {"first": 1}, fatal=False))
    try:
        client.get(SESSION_PATH.format(devin_id="devin-doctor-probe"))
        checks.append(Check("enrichment: sessions", True, "readable", fatal=False))
    except NotFoundError:
        checks.append(Check("enrichment: sessions", True, "readable", fatal=False))
    except PipelineError as err:
        checks.append(Check("enrichment: sessions", False, _first_line(err), fatal=False))
    return checks


def check_local(settings: Settings) -> list[Check]:
    """The lake and the work directory are writable and the state readable."""
    from sinks.storage import lake_at, shown

    checks = []
    work = settings.work_path
    try:
        lake = lake_at(settings.lake)
        target = lake.uri(lake.root)
        lake.makedirs(lake.root)
        marker = lake.path(".doctor-probe")
        lake.write_bytes(marker, b"ok", durable=False)  # the writer's own path: atomic put
        lake.delete([marker])
        checks.append(Check("lake", True, f"{target} is writable"))
    except (OSError, PipelineError) as err:
        reason = getattr(err, "strerror", None) or str(err).splitlines()[0]
        checks.append(Check("lake", False, f"{shown(settings.lake)} is not writable: {reason}"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=work, prefix=".doctor-"):
            pass
        checks.append(Check("work dir", True, f"{work.resolve()} is writable (landing, state)"))
    except OSError as err:
        checks.append(Check("work dir", False, f"{work} is not writable: {err.strerror or err}"))
    try:
        states = StateStore(work).load()
        jobs = BackfillStore(work).load()
        text = ", ".join(f"{k} at {v.high_water}" for k, v in states.items()) or "no runs yet"
        open_jobs = sum(1 for w in jobs.values() if not all(x.done for x in w))
        if open_jobs:
            text += f"; {open_jobs} unfinished backfill(s)"
        checks.append(Check("state", True, text))
    except PipelineError as err:
        checks.append(Check("state", False, str(err)))
    if os.name == "posix" and work.exists() and work.stat().st_mode & 0o002:
        checks.append(Check("work permissions", False, f"{work} is world-writable", fatal=False))
    return checks


def _probe(
    client: DevinClient, label: str, path: str, params: dict[str, object], *, fatal: bool = True
) -> Check:
    try:
        client.get(path, params)
    except ForbiddenError as err:
        return Check(label, False, err.hint or _first_line(err), fatal=fatal)
    except PipelineError as err:
        return Check(label, False, _first_line(err), fatal=fatal)
    return Check(label, True, f"readable ({path})", fatal=fatal)


def _probe_paths(
    client: DevinClient, label: str, paths: list[str], params: dict[str, object]
) -> Check:
    missing = []
    for path in paths:
        try:
            client.get(path, params)
        except NotFoundError:
            missing.append(path)
            continue
        except ForbiddenError as err:
            return Check(label, False, err.hint or _first_line(err))
        except PipelineError as err:
            return Check(label, False, _first_line(err))
        note = f" (after 404 on {', '.join(missing)})" if missing else ""
        return Check(label, True, f"readable at {path}{note}")
    return Check(label, False, f"every configured path answered 404: {', '.join(paths)}")


def _first_line(err: Exception) -> str:
    text = str(err)
    if isinstance(err, ApiError) and err.hint:
        return f"{text.splitlines()[0]} → {err.hint}"
    return text.splitlines()[0] if text else type(err).__name__

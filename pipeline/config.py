"""Configuration: one pydantic-settings model, loaded once at the entry point.

Values come from (highest first) command-line options, the environment (`DEVIN_*`), and a `.env`
file in the working directory. The token is a `SecretStr`: it never reaches a log line, an
exception message, a lake file or a SIEM event.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.redact import RedactionPolicy

DEFAULT_API_URL = "https://api.devin.ai"


class Settings(BaseSettings):
    """Everything a run needs to know, with defaults a security engineer would pick."""

    model_config = SettingsConfigDict(
        env_prefix="DEVIN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    api_url: str | None = Field(
        default=None,
        description="Base URL of the Devin API, e.g. https://api.devin.ai or your dedicated "
        "https://api.<company>.devinenterprise.com. Unset together with the token: the "
        "embedded sandbox is used.",
    )
    api_token: SecretStr | None = Field(
        default=None, description="A cog_ service-user credential (or PAT) for the v3 API."
    )
    lake: str = Field(
        default="data",
        description="Root of the Parquet lake: a directory, or object storage through pyarrow's "
        "filesystems (s3://bucket/prefix, gs://bucket/prefix).",
    )
    work_dir: Path | None = Field(
        default=None,
        description="Local directory for the landing zone, the state and the run lock; "
        "defaults to the lake itself when the lake is local, else ./devin-audit-work.",
    )

    # Paths move as endpoints graduate from beta; the first path that does not 404 wins.
    audit_log_paths: list[str] = Field(
        default=["/v3/enterprise/audit-logs", "/v3beta1/enterprise/audit-logs"]
    )
    guardrail_paths: list[str] = Field(
        default=[
            "/v3beta1/enterprise/guardrail-violations",
            "/v3/enterprise/guardrail-violations",
        ]
    )
    orgs: list[str] = Field(
        default_factory=list,
        description="Pull only these orgs through the per-org endpoints; empty means the "
        "enterprise-wide endpoints.",
    )

    page_size: int = Field(default=200, ge=1, le=200)
    window_days: int = Field(default=30, ge=1, le=99, description="Width of one request window.")
    lookback_seconds: int = Field(
        default=600, ge=0, description="Re-scan this much before the high-water mark each run."
    )
    initial_days: int = Field(
        default=90, ge=1, description="How far back the very first run starts when no --since."
    )
    max_pages_per_window: int = Field(default=100_000, ge=1)

    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    backoff_initial: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=30.0, gt=0)
    retry_after_max: float = Field(
        default=120.0, gt=0, description="Longest Retry-After we honour before failing the run."
    )
    requests_per_second: float = Field(
        default=10.0, ge=0, description="Client-side pacing per process; 0 disables it."
    )

    legacy_v2: bool = Field(
        default=False,
        description="Pull the legacy v2 enterprise audit log with an enterprise admin's "
        "apk_user_ key (no guardrail violations, no enrichment).",
    )
    legacy_v2_limit: int = Field(default=100, ge=1, le=1000)

    session_lookups: bool = Field(
        default=True, description="Fetch the sessions referenced by guardrail violations."
    )
    session_ttl_seconds: float = Field(
        default=86_400, ge=0, description="Look a session up again only after this long."
    )

    beam_args: str = Field(
        default="",
        description="Standard Apache Beam pipeline options for the transform, as on a command "
        "line, e.g. '--runner=FlinkRunner --flink_master=host:8081'; the local runner without.",
    )

    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key (16+ characters): when set, emails in the lake are "
        "replaced by pseudonyms (pseud:<hex16>), the same email always the same pseudonym.",
    )
    redaction_policy: Path | None = Field(
        default=None,
        description="A JSON file of pipeline.redact.RedactionPolicy fields (which columns to "
        "redact or pseudonymize, entropy thresholds); the built-in policy without it.",
    )

    @field_validator("api_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("lake", mode="before")
    @classmethod
    def _lake_text(cls, value: object) -> str:
        return str(value)

    @property
    def lake_is_local(self) -> bool:
        """True for a directory (or ``file://``), False for object storage."""
        return "://" not in self.lake or self.lake.startswith("file://")

    @property
    def work_path(self) -> Path:
        """Where the landing zone, the cursor state and the run lock live (always local)."""
        if self.work_dir is not None:
            return self.work_dir
        if self.lake_is_local:
            return Path(self.lake.removeprefix("file://"))
        return Path("devin-audit-work")

    @property
    def beam_argv(self) -> list[str]:
        """``beam_args`` split as a shell would."""
        try:
            return shlex.split(self.beam_args)
        except ValueError as err:
            raise ConfigError(f"DEVIN_BEAM_ARGS is not a valid option list: {err}") from None

    def policy(self) -> RedactionPolicy:
        """The redaction policy of this run: the file's (or the default), with the key."""
        from pipeline.redact import DEFAULT_POLICY, RedactionPolicy

        if self.redaction_policy is not None:
            try:
                text = self.redaction_policy.read_text(encoding="utf-8")
            except OSError as err:
                raise ConfigError(
                    f"cannot read the redaction policy {self.redaction_policy}: {err.strerror}"
                ) from err
        else:
            text = "{}"
        try:
            fields = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"the redaction policy {self.redaction_policy} is not JSON: {err}"
            ) from None
        if not isinstance(fields, dict):
            raise ConfigError(f"the redaction policy {self.redaction_policy} must be a JSON object")
        if self.pseudonym_key is not None:
            fields["pseudonym_key"] = self.pseudonym_key.get_secret_value()
        try:
            return RedactionPolicy.model_validate(fields) if fields else DEFAULT_POLICY
        except ValidationError as err:  # hide_input_in_errors: the key is never in the message
            where = self.redaction_policy or "DEVIN_PSEUDONYM_KEY"
            raise ConfigError(f"invalid redaction policy ({where}): {err}") from None

    @property
    def uses_sandbox(self) -> bool:
        """True when neither a URL nor a token is configured: run against the embedded sandbox."""
        return self.api_token is None and self.api_url is None

"""Fault knobs, and the seeded dice that decide when a request misbehaves.

`FaultConfig` is the knob set (all off by default); `FaultInjector` rolls one seeded RNG per
server, in request-arrival order, so a given fault seed and request sequence always fail the same
way. Faults touch only the data endpoints (audit logs, guardrail violations), and the enrichment
endpoints too when `enrichment` is set; auth, validation and the `/_sandbox` admin routes never
fail on purpose.

Transport faults (decided before auth, as an edge proxy would):

* `rate_limit_rate`: 429 with a retry hint; `retry_after_style` picks `Retry-After: <seconds>`,
  `retry-after-ms: <ms>` (alone), `Retry-After: <HTTP-date>`, or a seeded mix of the three.
  `rate_limit_burst` makes the next N requests after a 429 also 429.
* `server_error_rate`: 500/502/503; the body is a ProblemDetail, the legacy `{"detail": ...}`
  shape, or (502/503 only) a proxy's HTML page.
* `drop_rate`: the connection is closed with no response at all (FIN or RST, seeded).
* `slow_rate` + `slow_seconds`: the response is delayed by `slow_seconds` of real time.

Response faults:

* `missing_end_cursor`: audit-log pages that hold items and have a next page say
  `has_next_page: true` with `end_cursor: null` (the bug fixed on 2026-01-15; audit logs only,
  as it was).
* `repeat_cursor_rate`: a page requested with `after=X` answers `end_cursor: X` (a stuck cursor).
* `unknown_fields`: extra, undocumented keys on every item and on the envelope.
* `unknown_actions`: that fraction of audit events (chosen by a hash of their id, so the same
  events every time) carry an action outside the documented enum; ids are unchanged.
* `omit_total`: the envelope has no `total` key.

String form (`FaultConfig.parse`), for the CLI: comma-separated `name[=value]` items, applied
left to right over an all-off config::

    spec  := "" | "none" | "off" | item ("," item)*
    item  := "chaos"                               start from FaultConfig.chaos()
           | ("429" | "rate_limit") ["=" RATE [":" BURST]]          default 0.1
           | ("burst" | "429_burst") "=" N
           | "retry_after" "=" SECONDS
           | "retry_after_style" "=" ("mixed" | "seconds" | "ms" | "date")
           | ("5xx" | "server_error") ["=" RATE]                    default 0.05
           | "slow" ["=" RATE [":" SECONDS]]                        default 0.1:0.5
           | "drop" ["=" RATE]                                      default 0.05
           | "repeat_cursor" ["=" RATE]                             default 0.05
           | "unknown_actions" ["=" FRACTION]                       default 0.05
           | "missing_end_cursor" | "unknown_fields" | "omit_total" | "enrichment"
           | "seed" "=" N

e.g. ``429=0.1,5xx=0.05,slow=0.1:0.2,drop=0.05,missing_end_cursor,repeat_cursor=0.02,
unknown_fields,unknown_actions``.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RetryAfterStyle = Literal["mixed", "seconds", "ms", "date"]

DEFAULT_UNKNOWN_ACTION_FRACTION = 0.05

# Plausible future action names; none is in the documented enum.
UNKNOWN_ACTIONS: tuple[str, ...] = (
    "create_widget_v9",
    "update_scim_configuration",
    "export_knowledge_bundle",
    "delete_automation_run",
    "rotate_webhook_secret",
    "create_outpost_pool",
    "update_session_retention_policy",
)


class FaultConfig(BaseModel):
    """Fault-injection knobs; `FaultConfig()` is everything off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_limit_burst: int = Field(default=0, ge=0)
    retry_after_seconds: float = Field(default=1.0, ge=0.0)
    retry_after_style: RetryAfterStyle = "mixed"
    server_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    slow_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    slow_seconds: float = Field(default=0.5, ge=0.0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    missing_end_cursor: bool = False
    repeat_cursor_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    unknown_fields: bool = False
    unknown_actions: float = Field(default=0.0, ge=0.0, le=1.0)
    omit_total: bool = False
    enrichment: bool = False

    @field_validator("unknown_actions", mode="before")
    @classmethod
    def _bool_means_default_fraction(cls, value: Any) -> Any:
        # `unknown_actions=True` must not silently mean "every event" (bool coerces to 1.0).
        if isinstance(value, bool):
            return DEFAULT_UNKNOWN_ACTION_FRACTION if value else 0.0
        return value

    @classmethod
    def chaos(cls, seed: int = 0) -> FaultConfig:
        """Every knob on at moderate rates: a client that survives this survives most days."""
        return cls(
            seed=seed,
            rate_limit_rate=0.05,
            rate_limit_burst=1,
            retry_after_seconds=0.05,
            server_error_rate=0.03,
            slow_rate=0.05,
            slow_seconds=0.1,
            drop_rate=0.02,
            missing_end_cursor=True,
            repeat_cursor_rate=0.02,
            unknown_fields=True,
            unknown_actions=DEFAULT_UNKNOWN_ACTION_FRACTION,
            omit_total=True,
        )

    @classmethod
    def parse(cls, spec: str) -> FaultConfig:
        """Build a config from the string grammar in the module docstring.

        Raises ValueError naming the offending item when the string does not parse.
        """
        values: dict[str, Any] = {}
        text = spec.strip()
        if text.lower() in ("", "none", "off"):
            return cls()
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            name, _, value = item.partition("=")
            try:
                _apply_item(values, name.strip().lower(), value.strip())
            except ValueError as err:
                raise ValueError(f"bad fault item {item!r}: {err}") from err
        return cls(**values)

    @property
    def any_transport(self) -> bool:
        """True when some request may be delayed, refused or dropped."""
        return (
            self.rate_limit_rate > 0
            or self.server_error_rate > 0
            or self.slow_rate > 0
            or self.drop_rate > 0
        )


def _rate(value: str, default: float) -> float:
    return float(value) if value else default


def _apply_item(values: dict[str, Any], name: str, value: str) -> None:
    if name == "chaos":
        values.update(FaultConfig.chaos().model_dump())
    elif name in ("429", "rate_limit"):
        rate, _, burst = value.partition(":")
        values["rate_limit_rate"] = _rate(rate, 0.1)
        if burst:
            values["rate_limit_burst"] = int(burst)
    elif name in ("burst", "429_burst"):
        values["rate_limit_burst"] = int(value)
    elif name == "retry_after":
        values["retry_after_seconds"] = float(value)
    elif name == "retry_after_style":
        values["retry_after_style"] = value
    elif name in ("5xx", "server_error"):
        values["server_error_rate"] = _rate(value, 0.05)
    elif name == "slow":
        rate, _, seconds = value.partition(":")
        values["slow_rate"] = _rate(rate, 0.1)
        values["slow_seconds"] = float(seconds) if seconds else 0.5
    elif name == "drop":
        values["drop_rate"] = _rate(value, 0.05)
    elif name == "repeat_cursor":
        values["repeat_cursor_rate"] = _rate(value, 0.05)
    elif name == "unknown_actions":
        values["unknown_actions"] = _rate(value, DEFAULT_UNKNOWN_ACTION_FRACTION)
    elif name in ("missing_end_cursor", "unknown_fields", "omit_total", "enrichment"):
        if value and value.lower() not in ("1", "true", "yes", "on"):
            raise ValueError("this flag takes no value")
        values[name] = True
    elif name == "seed":
        values["seed"] = int(value)
    else:
        raise ValueError("unknown fault name")


@dataclass(frozen=True)
class RateLimited:
    """Answer 429; `style` says which retry header carries `retry_after` seconds."""

    retry_after: float
    style: Literal["seconds", "ms", "date"]


@dataclass(frozen=True)
class ServerError:
    """Answer `status` with a body of the given shape."""

    status: int
    body_style: Literal["problem", "legacy", "html"]


@dataclass(frozen=True)
class Dropped:
    """Close the connection without answering; `reset` sends RST instead of FIN."""

    reset: bool


Outcome = RateLimited | ServerError | Dropped


@dataclass(frozen=True)
class TransportPlan:
    """What the edge does to one request: wait `delay` seconds, then fail with `outcome`."""

    delay: float = 0.0
    outcome: Outcome | None = None


CLEAN = TransportPlan()


class FaultInjector:
    """Seeded, thread-safe dice for one server; replaced wholesale by `configure()`."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Install new knobs and restart the dice from the config's seed."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._burst_left = 0

    def plan(self) -> TransportPlan:
        """Roll the transport dice for one data request (in arrival order)."""
        with self._lock:
            cfg = self.config
            if not cfg.any_transport and self._burst_left == 0:
                return CLEAN
            rng = self._rng
            if self._burst_left > 0:
                self._burst_left -= 1
                return TransportPlan(outcome=self._rate_limited(rng, cfg))
            if rng.random() < cfg.rate_limit_rate:
                self._burst_left = cfg.rate_limit_burst
                return TransportPlan(outcome=self._rate_limited(rng, cfg))
            if rng.random() < cfg.drop_rate:
                return TransportPlan(outcome=Dropped(reset=rng.random() < 0.5))
            delay = cfg.slow_seconds if rng.random() < cfg.slow_rate else 0.0
            if rng.random() < cfg.server_error_rate:
                return TransportPlan(delay=delay, outcome=self._server_error(rng))
            return TransportPlan(delay=delay)

    def repeat_cursor(self) -> bool:
        """Roll whether this page echoes its `after` cursor back as `end_cursor`."""
        with self._lock:
            rate = self.config.repeat_cursor_rate
            return rate > 0 and self._rng.random() < rate

    @staticmethod
    def _rate_limited(rng: random.Random, cfg: FaultConfig) -> RateLimited:
        style = cfg.retry_after_style
        if style == "mixed":
            roll = rng.random()
            style = "seconds" if roll < 0.5 else "ms" if roll < 0.8 else "date"
        return RateLimited(retry_after=cfg.retry_after_seconds, style=style)

    @staticmethod
    def _server_error(rng: random.Random) -> ServerError:
        status = rng.choice((500, 502, 503))
        roll = rng.random()
        if roll < 0.6:
            return ServerError(status, "problem")
        if roll < 0.9 or status == 500:
            return ServerError(status, "legacy")
        return ServerError(status, "html")


def unknown_action_for(audit_log_id: str, fraction: float) -> str | None:
    """The undocumented action this event carries under `unknown_actions`, or None.

    A pure function of the id, so the same events are affected on every page and every run.
    """
    if fraction <= 0:
        return None
    digest = hashlib.blake2b(audit_log_id.encode(), digest_size=8).digest()
    roll = int.from_bytes(digest[:6], "big") / float(1 << 48)
    if roll >= fraction:
        return None
    return UNKNOWN_ACTIONS[digest[7] % len(UNKNOWN_ACTIONS)]


# Keys no version of the docs has; added under `unknown_fields`.
EXTRA_ITEM_FIELDS: dict[str, dict[str, Any]] = {
    "audit": {"request_id": None, "ip_address": "198.51.100.7", "schema_version": 4},
    "guardrail": {"policy_version": "2026-02-01", "model": "guardrail-classifier-v3"},
    "enrichment": {"etag": "W/\"sandbox\""},
}
EXTRA_ENVELOPE_FIELDS: dict[str, Any] = {
    "page_info": {"page_size_limit": 200},
    "request_id": "req-sandbox",
}

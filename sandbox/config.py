"""The knobs that shape one sandbox: its synthetic enterprise, its clock and its faults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sandbox.faults import FaultConfig


class SandboxConfig(BaseModel):
    """Everything a sandbox is built from; equal configs (with a frozen clock) serve equal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    # How far back history reaches from "now"; older events are past retention and not served.
    history_days: int = Field(default=400, ge=1)
    users: int = Field(default=300, ge=1)
    service_users: int = Field(default=5, ge=1)
    orgs: int = Field(default=6, ge=1)
    # Average audit events per day; weekdays and working hours get more, weekends fewer.
    events_per_day: int = Field(default=1200, ge=1)
    # Fraction of user messages to sessions that trip a guardrail (~10-40 violations/day at
    # the default volume).
    violation_rate: float = Field(default=0.04, ge=0.0, le=1.0)
    # Fraction of events that become visible late, and how late at most.
    late_fraction: float = Field(default=0.03, ge=0.0, le=1.0)
    max_late_seconds: int = Field(default=900, ge=0, le=43_200)
    # None: real time. A number: a frozen clock starting there, moved only by advance().
    clock_start: float | None = None
    faults: FaultConfig = FaultConfig()
    # Days of served rows kept in memory (LRU; ~0.8 MB a day at the default volume); an
    # evicted day is regenerated, identically, in ~15 ms when asked for again.
    cache_days: int = Field(default=120, ge=2)

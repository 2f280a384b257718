"""The URL map: which paths exist, under which methods, with which permission.

Audit logs answer under `/v3/` and `/v3beta1/`; guardrail violations only under `/v3beta1/`
(as documented today, so `/v3/enterprise/guardrail-violations` is a 404). The enrichment
lookups answer under both prefixes. The legacy `/v2/enterprise/audit-logs` answers an enterprise
admin's `apk_user_` key only. `/_sandbox/*` are the sandbox's own admin routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Faults = Literal["data", "enrichment", "none"]

_SEG = r"(?P<{}>[^/]+)"


@dataclass(frozen=True)
class Route:
    """One endpoint: handler name, path regex, methods, permissions (any of), fault class."""

    name: str
    pattern: re.Pattern[str]
    methods: frozenset[str]
    permissions: tuple[str, ...]
    faults: Faults
    admin: bool = False
    legacy: bool = False  # v2: an enterprise admin's apk_user_ key, not a cog_ credential


def _route(
    name: str,
    path: str,
    permissions: tuple[str, ...] = (),
    faults: Faults = "none",
    methods: tuple[str, ...] = ("GET",),
    admin: bool = False,
    legacy: bool = False,
) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: _SEG.format(m.group(1)), path)
    return Route(
        name, re.compile(f"^{regex}$"), frozenset(methods), permissions, faults, admin, legacy
    )


_AUDIT = ("ManageEnterpriseSettings",)
_ORGS = ("ManageOrganizations",)
_SESSIONS = ("ViewAccountSessions",)
_MEMBERS = ("ManageAccountMembership", "ViewAccountMembership")
_V = "/(?:v3|v3beta1)"

ROUTES: tuple[Route, ...] = (
    _route("audit_logs", f"{_V}/enterprise/audit-logs", _AUDIT, "data"),
    _route("audit_logs", f"{_V}/enterprise/organizations/{{org_id}}/audit-logs", _AUDIT, "data"),
    _route("guardrails", "/v3beta1/enterprise/guardrail-violations", _AUDIT, "data"),
    _route(
        "guardrails",
        "/v3beta1/enterprise/organizations/{org_id}/guardrail-violations",
        _AUDIT,
        "data",
    ),
    _route("audit_logs_v2", "/v2/enterprise/audit-logs", faults="data", legacy=True),
    _route("self", "/v3/self", ("ReadAccountMeta",)),
    _route("self_beta", "/v3beta1/enterprise/self", ("ReadAccountMeta",)),
    _route("organizations", f"{_V}/enterprise/organizations", _ORGS, "enrichment"),
    _route("users", f"{_V}/enterprise/members/users", _MEMBERS, "enrichment"),
    _route("service_users", f"{_V}/enterprise/members/service-users", _MEMBERS, "enrichment"),
    _route("session", f"{_V}/enterprise/sessions/{{devin_id}}", _SESSIONS, "enrichment"),
    _route("health", "/_sandbox/health"),
    _route("faults", "/_sandbox/faults", methods=("GET", "POST"), admin=True),
    _route("clock", "/_sandbox/clock", methods=("GET", "POST"), admin=True),
)


def resolve(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route whose pattern matches `path` (any method) and its path parameters."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match:
            return route, match.groupdict()
    return None

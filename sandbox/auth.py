"""Bearer-token authentication and permission checks (devin-api.md §0.2, §0.3).

v3 accepts only `cog_` service-user credentials. Legacy `apk_user_`/`apk_` keys get a 401 that
says so; a known credential lacking the endpoint's permission gets a 403 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.credentials import CREDENTIALS, Credential
from sandbox.spec import LEGACY_TOKEN_PREFIXES, V3_TOKEN_PREFIX

_BY_TOKEN = {cred.token: cred for cred in CREDENTIALS}

MISSING = (
    "Missing credentials: send `Authorization: Bearer <token>` with a cog_ service user "
    "credential."
)
INVALID = "Invalid or revoked token."
LEGACY = (
    "This endpoint is part of the v3 API, which requires a service user credential (or personal "
    "access token) starting with `cog_`. Legacy API keys starting with `apk_user_` or `apk_` "
    "only work with the v1/v2 APIs."
)


@dataclass(frozen=True)
class Denied:
    """Authentication or authorization failed: answer `status` with `detail`."""

    status: int
    detail: str


def authenticate(authorization: str | None) -> Credential | Denied:
    """The credential behind an Authorization header, or why there is none (401)."""
    if not authorization:
        return Denied(401, MISSING)
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Denied(401, MISSING)
    if token.startswith(LEGACY_TOKEN_PREFIXES):
        return Denied(401, LEGACY)
    cred = _BY_TOKEN.get(token)
    if cred is None or not token.startswith(V3_TOKEN_PREFIX):
        return Denied(401, INVALID)
    return cred


def authorize(cred: Credential, any_of: tuple[str, ...], what: str) -> Denied | None:
    """None if `cred` holds one of `any_of`; else a 403 naming the (first) permission."""
    if not any_of or any(p in cred.permissions for p in any_of):
        return None
    needed = any_of[0] if len(any_of) == 1 else f"{any_of[0]} (or {', '.join(any_of[1:])})"
    return Denied(403, f"Insufficient permissions: {what} requires the {needed} permission.")

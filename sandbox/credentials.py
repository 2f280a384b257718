"""The sandbox's bearer tokens and what each may do.

Tokens are constants (not seed-dependent) so a CLI user can copy one from the docs. They are
obviously not secrets: each says SANDBOX and "not a real secret" in the token itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sandbox.spec import PERMISSIONS


@dataclass(frozen=True)
class Credential:
    """One `cog_` service-user credential: its token, principal name and permissions."""

    name: str
    token: str
    principal_name: str
    permissions: frozenset[str]


def _token(name: str) -> str:
    return f"cog_SANDBOX_{name}_not_a_real_secret"


ALL_PERMISSIONS: Final[frozenset[str]] = frozenset(PERMISSIONS)
ADMIN_TOKEN: Final[str] = _token("admin")

# name -> permissions withheld from the full set.
_WITHHELD: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset(),
    "no_audit": frozenset({"ManageEnterpriseSettings"}),
    "no_members": frozenset({"ManageAccountMembership", "ViewAccountMembership"}),
    "no_sessions": frozenset({"ViewAccountSessions"}),
    "no_orgs": frozenset({"ManageOrganizations"}),
    "self_only": ALL_PERMISSIONS - {"ReadAccountMeta"},
}

CREDENTIALS: Final[tuple[Credential, ...]] = tuple(
    Credential(
        name=name,
        token=_token(name),
        principal_name="audit-pipeline" if name == "admin" else f"audit-pipeline-{name}",
        permissions=ALL_PERMISSIONS - withheld,
    )
    for name, withheld in _WITHHELD.items()
)

# Legacy keys for auth tests: v3 rejects both with a hint to use a cog_ credential.
LEGACY_TOKENS: Final[dict[str, str]] = {
    "apk_user": "apk_user_SANDBOX_legacy_personal_key_not_a_real_secret",
    "apk": "apk_SANDBOX_legacy_service_key_not_a_real_secret",
}


def tokens() -> dict[str, str]:
    """Credential name -> bearer token, for every credential the sandbox accepts."""
    return {cred.name: cred.token for cred in CREDENTIALS}

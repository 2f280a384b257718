"""The enterprise's cast: organizations, people, service users, roles and guardrails.

Built once per sandbox from the seed alone (not the clock), so two sandboxes with the same seed
list the same orgs and users whatever day they start. Timestamps of these directory entries sit
before 2025, safely ahead of any default history window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.credentials import CREDENTIALS
from sandbox.seeds import hex_token, rng_for

DIRECTORY_EPOCH = 1_672_531_200  # 2023-01-01T00:00:00Z: the enterprise's first day.

ORG_NAMES = (
    "Platform Engineering", "Payments", "Data Platform", "Mobile Apps", "Security Engineering",
    "Growth", "Infrastructure", "Internal Tools", "Developer Experience", "Machine Learning",
    "Billing", "Customer Success Engineering", "Identity", "Search", "Marketplace",
)  # fmt: skip
REPO_NAMES = (
    "api-gateway", "web-dashboard", "payments-service", "ledger", "mobile-ios", "android-app",
    "data-pipelines", "terraform-live", "auth-service", "search-indexer", "notifications",
    "design-system", "feature-store", "billing-worker", "internal-cli", "docs-site",
    "k8s-manifests", "event-bus", "risk-engine", "admin-portal",
)  # fmt: skip
FIRST_NAMES = (
    "ava", "ben", "chloe", "daniel", "elena", "farah", "gabriel", "hana", "ivan", "jasmine",
    "kenji", "lucia", "marcus", "nadia", "omar", "priya", "quinn", "rafael", "sofia", "tomas",
    "uma", "victor", "wei", "ximena", "yusuf", "zoe", "aaron", "bianca", "carlos", "dana",
    "emeka", "freya", "george", "helena", "ines", "jonah", "kavya", "liam", "maya", "noah",
    "olivia", "pedro", "rosa", "samir", "tara", "ulrich", "vera", "will", "yara", "zain",
)  # fmt: skip
LAST_NAMES = (
    "nguyen", "smith", "garcia", "okafor", "kim", "patel", "muller", "rossi", "tanaka",
    "silva", "cohen", "ivanova", "larsen", "dubois", "khan", "mensah", "novak", "haddad",
    "schmidt", "lopez", "chen", "walker", "fischer", "moreau", "santos", "ali", "berg",
    "costa", "diaz", "edwards", "fernandes", "gupta", "hughes", "jensen", "kowalski", "lee",
    "murphy", "nakamura", "olsen", "park", "reyes", "sato", "turner", "varga", "wright",
)  # fmt: skip
SERVICE_USER_NAMES = (
    "ci-automation", "jira-sync", "nightly-triage", "slack-gateway", "release-bot",
    "security-scanner", "backlog-groomer", "dependency-updater", "incident-responder",
    "docs-publisher",
)  # fmt: skip
EMAIL_DOMAIN = "example-corp.test"


@dataclass(frozen=True)
class Guardrail:
    """A guardrail preset as configured in this enterprise."""

    guardrail_id: str
    name: str
    kind: str  # key into sandbox.prompts
    default_action: str


# (name, prompt kind, configured action). Preset names are UNCONFIRMED (§2.4); these are ours.
GUARDRAIL_PRESETS = (
    ("Prompt Injection", "prompt_injection", "block_message"),
    ("Data Exfiltration", "exfiltration", "kill_session"),
    ("Secrets in Prompt", "secrets", "warn_user"),
    ("Policy: Production Access", "production_access", "block_message"),
    ("Policy: Customer PII", "pii", "warn_user"),
    ("Malicious Code Request", "malicious_code", "log_only"),
)


@dataclass(frozen=True)
class Org:
    """One organization and the repositories and playbooks its sessions use."""

    org_id: str
    name: str
    slug: str
    created_at: int
    updated_at: int
    max_cycle_acu_limit: int | None
    max_session_acu_limit: int | None
    repos: tuple[str, ...]
    playbook_ids: tuple[str, ...]

    def item(self) -> dict[str, Any]:
        """The `GET /v3/enterprise/organizations` item."""
        return {
            "org_id": self.org_id,
            "name": self.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "max_cycle_acu_limit": self.max_cycle_acu_limit,
            "max_session_acu_limit": self.max_session_acu_limit,
        }


@dataclass(frozen=True)
class User:
    """A human member; `weight` is how active they are relative to others."""

    user_id: str
    email: str
    name: str
    org_ids: tuple[str, ...]
    is_admin: bool
    weight: float
    role_assignments: tuple[dict[str, Any], ...]

    def item(self) -> dict[str, Any]:
        """The `GET /v3/enterprise/members/users` item."""
        return {
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "role_assignments": [dict(r) for r in self.role_assignments],
        }


@dataclass(frozen=True)
class ServiceUser:
    """A service user; `org_id` None means enterprise-scoped."""

    service_user_id: str
    name: str
    org_id: str | None
    expires_at: int | None
    role_assignments: tuple[dict[str, Any], ...]

    def item(self) -> dict[str, Any]:
        """The `GET /v3/enterprise/members/service-users` item."""
        return {
            "service_user_id": self.service_user_id,
            "name": self.name,
            "expires_at": self.expires_at,
            "role_assignments": [dict(r) for r in self.role_assignments],
        }


def _role(name: str, role_type: str) -> dict[str, str]:
    digest = hashlib.blake2b(name.encode(), digest_size=6).hexdigest()
    return {"role_id": f"role-{digest}", "role_name": name, "role_type": role_type}


ENTERPRISE_ADMIN = _role("Enterprise Admin", "enterprise")
ENTERPRISE_MEMBER = _role("Enterprise Member", "enterprise")
ORG_ADMIN = _role("Org Admin", "org")
ORG_MEMBER = _role("Org Member", "org")
ROLES = (ENTERPRISE_ADMIN, ENTERPRISE_MEMBER, ORG_ADMIN, ORG_MEMBER)


def _assignment(role: dict[str, str], org_id: str | None) -> dict[str, Any]:
    return {"role": dict(role), "org_id": org_id}


@dataclass(frozen=True)
class Roster:
    """Everything in the enterprise's directory, with lookups by id."""

    orgs: tuple[Org, ...]
    users: tuple[User, ...]
    service_users: tuple[ServiceUser, ...]  # the ones that act in the audit log
    credentials: dict[str, ServiceUser]  # credential name -> its principal
    guardrails: tuple[Guardrail, ...]

    @property
    def org_by_id(self) -> dict[str, Org]:
        """org_id -> Org."""
        return {org.org_id: org for org in self.orgs}

    def all_service_users(self) -> list[ServiceUser]:
        """Acting service users, then the credentials' principals, in a stable order."""
        return [*self.service_users, *self.credentials.values()]


def build_roster(config: SandboxConfig) -> Roster:
    """The enterprise's directory for `config.seed`; a pure function of the config."""
    orgs = _orgs(config)
    users = _users(config, orgs)
    service_users = _service_users(config, orgs)
    credentials = _credential_principals(config)
    guardrails = tuple(
        Guardrail(
            guardrail_id=f"guardrail-{hex_token(rng_for(config.seed, 'guardrail', name), 12)}",
            name=name,
            kind=kind,
            default_action=action,
        )
        for name, kind, action in GUARDRAIL_PRESETS
    )
    return Roster(orgs, users, service_users, credentials, guardrails)


def _orgs(config: SandboxConfig) -> tuple[Org, ...]:
    rng = rng_for(config.seed, "orgs")
    names = list(ORG_NAMES)
    rng.shuffle(names)
    orgs = []
    for index in range(config.orgs):
        base = names[index % len(names)]
        name = base if index < len(names) else f"{base} {index // len(names) + 1}"
        created = DIRECTORY_EPOCH + rng.randrange(0, 540 * 86_400)
        repos = tuple(sorted(rng.sample(REPO_NAMES, rng.randint(3, 7))))
        orgs.append(
            Org(
                org_id=f"org-{hex_token(rng, 12)}",
                name=name,
                slug=name.lower().replace(" ", "-").replace(":", ""),
                created_at=created,
                updated_at=created + rng.randrange(0, 200 * 86_400),
                max_cycle_acu_limit=rng.choice((None, 5_000, 10_000, 25_000)),
                max_session_acu_limit=rng.choice((None, None, 50, 100, 250)),
                repos=repos,
                playbook_ids=tuple(
                    f"playbook-{hex_token(rng, 24)}" for _ in range(rng.randint(2, 6))
                ),
            )
        )
    return tuple(orgs)


def _users(config: SandboxConfig, orgs: tuple[Org, ...]) -> tuple[User, ...]:
    rng = rng_for(config.seed, "users")
    seen_emails: set[str] = set()
    users = []
    # Zipf-like activity: a few people run most sessions.
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(config.users)]
    rng.shuffle(weights)
    for index in range(config.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}"
        suffix = 2
        while local in seen_emails:
            local = f"{first}.{last}{suffix}"
            suffix += 1
        seen_emails.add(local)
        # user_id format is UNCONFIRMED for v3; v1 examples look like Auth0's `email|...`.
        prefix = "email|" if rng.random() < 0.25 else "user-"
        memberships = tuple(rng.sample(orgs, min(len(orgs), 1 if rng.random() < 0.7 else 2)))
        is_admin = index < max(1, config.users // 30)
        assignments = [_assignment(ENTERPRISE_ADMIN if is_admin else ENTERPRISE_MEMBER, None)]
        assignments += [
            _assignment(ORG_ADMIN if rng.random() < 0.1 else ORG_MEMBER, org.org_id)
            for org in memberships
        ]
        users.append(
            User(
                user_id=f"{prefix}{hex_token(rng, 24)}",
                email=f"{local}@{EMAIL_DOMAIN}",
                name=f"{first.title()} {last.title()}",
                org_ids=tuple(org.org_id for org in memberships),
                is_admin=is_admin,
                weight=weights[index],
                role_assignments=tuple(assignments),
            )
        )
    return tuple(users)


def _service_users(config: SandboxConfig, orgs: tuple[Org, ...]) -> tuple[ServiceUser, ...]:
    rng = rng_for(config.seed, "service_users")
    result = []
    for index in range(config.service_users):
        base = SERVICE_USER_NAMES[index % len(SERVICE_USER_NAMES)]
        name = base if index < len(SERVICE_USER_NAMES) else f"{base}-{index}"
        org = orgs[index % len(orgs)]
        result.append(
            ServiceUser(
                service_user_id=f"service-user-{hex_token(rng, 24)}",
                name=name,
                org_id=org.org_id,
                expires_at=rng.choice((None, None, 1_830_297_600)),  # 2028-01-01
                role_assignments=(_assignment(ORG_ADMIN, org.org_id),),
            )
        )
    return tuple(result)


def _credential_principals(config: SandboxConfig) -> dict[str, ServiceUser]:
    rng = rng_for(config.seed, "credentials")
    principals = {}
    for cred in CREDENTIALS:
        role = _role(
            "Enterprise Admin" if cred.name == "admin" else f"Audit Pipeline ({cred.name})",
            "enterprise",
        )
        principals[cred.name] = ServiceUser(
            service_user_id=f"service-user-{hex_token(rng, 24)}",
            name=cred.principal_name,
            org_id=None,
            expires_at=None,
            role_assignments=(_assignment(role, None),),
        )
    return principals

"""The streams we pull, declared in one place: where they live and what identifies a record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    """An incremental event stream of the Devin API."""

    name: str
    id_field: str
    paths: tuple[str, ...]  # enterprise-wide paths, tried in order until one is not a 404

    def org_path(self, enterprise_path: str, org_id: str) -> str:
        """The per-org form of an enterprise path (``/enterprise/organizations/{org}/...``)."""
        prefix, _, tail = enterprise_path.partition("/enterprise/")
        return f"{prefix}/enterprise/organizations/{org_id}/{tail}"


def event_streams(audit_paths: list[str], guardrail_paths: list[str]) -> list[Stream]:
    """The two event streams with their configured path candidates."""
    return [
        Stream("audit_logs", "audit_log_id", tuple(audit_paths)),
        Stream("guardrail_violations", "violation_id", tuple(guardrail_paths)),
    ]


# Dimension lists, pulled whole each run (small), with the permission each needs.
DIMENSIONS = {
    "orgs": ("/v3/enterprise/organizations", "org_id"),
    "users": ("/v3/enterprise/members/users", "user_id"),
    "service_users": ("/v3/enterprise/members/service-users", "service_user_id"),
}
SESSION_PATH = "/v3/enterprise/sessions/{devin_id}"

"""One UTC day of the enterprise's activity, generated from (seed, day) alone.

`ActivityModel.day(d)` is a pure function of the config, the roster and `d`: it returns every
audit event, guardrail violation and session that the day's RNG produces, including the part of
a late-evening session that runs past midnight (the world files rows into the bucket of the day
they were created in). Nothing here knows what time it is now; visibility is the world's job.

The mix imitates real use: logins and session traffic (`create_session`, `send_message`,
`sleep_session`, `terminate_session`) and `search_query` dominate; knowledge, playbook, secret and
integration events are occasional; admin changes are rare; and a few bursts put 5-40 events in
one second (a bulk member add, an automation fanning out sessions), so bursts straddle page
boundaries. Every guardrail violation also produces an `ai_guardrail_violation` audit event in
the same org, 0-2 s later, whose `data` carries the session and guardrail but not the
violation_id (the real API gives no join key, so neither do we).
"""

from __future__ import annotations

import itertools
import uuid
from bisect import bisect
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sandbox.config import SandboxConfig
from sandbox.encoding import compact_json
from sandbox.payloads import PayloadContext, payload
from sandbox.prompts import reasoning, user_message
from sandbox.roster import Guardrail, Org, Roster, ServiceUser, User
from sandbox.seeds import hex_token, rng_for
from sandbox.spec import ACTION_TAKEN, SESSION_ID_PREFIX

DAY = 86_400
MAX_SPILL = DAY - 1  # a day's activity never reaches past the end of the next day


class Row(NamedTuple):
    """One served record; tuples order by (created_at, key), the API's keyset order.

    `key` is the audit_log_id (str) or violation_id (int); `tag` is the action (audit) or
    guardrail_id (violations), the index a query can filter on; `ref` is a violation's
    session_id. `raw` is the item already encoded as JSON: encoding once at generation keeps
    pages cheap to serve and the cache compact.
    """

    created_at: int
    key: Any
    visible_at: int
    org_id: str | None
    tag: str
    ref: str | None
    raw: bytes


Actor = User | ServiceUser | None

# Working hours, UTC: most of the enterprise is in the Americas and Europe.
HOUR_WEIGHTS = (3, 2, 2, 1, 1, 1, 2, 4, 7, 9, 10, 10, 11, 13, 15, 16, 16, 15, 14, 12, 9, 7, 5, 4)
HUMAN_ORIGINS = {
    "webapp": 44, "slack": 22, "cli": 9, "jira": 6, "linear": 6, "teams": 4, "desktop": 4,
    "api": 3, "code_scan": 1, "other": 1,
}  # fmt: skip
SERVICE_ORIGINS = {"api": 55, "automation": 45}
TITLE_TEMPLATES = (
    "Fix {bug} in {repo}", "Investigate {bug} in {repo}", "Add tests for {feature} in {repo}",
    "Refactor {feature} in {repo}", "Upgrade dependencies in {repo}", "Add {feature} to {repo}",
    "Triage flaky test in {repo}", "Document {feature} in {repo}", "Speed up {feature} in {repo}",
    "Migrate {repo} to the new logging library",
)  # fmt: skip
TITLE_BUGS = (
    "checkout timeout", "login redirect loop", "null pointer in parser", "memory leak",
    "pagination bug", "invoice rounding", "race in session cleanup", "broken CSV export",
)  # fmt: skip
TITLE_FEATURES = (
    "rate limiter", "webhook retries", "nightly build", "search ranking", "dark mode",
    "audit trail", "feature flags", "CSV export", "retry policy", "health checks",
)  # fmt: skip
TAGS = ("backend", "frontend", "bugfix", "migration", "security", "infra", "docs", "tests", "ci")
_TEST_NETS = ("203.0.113", "198.51.100", "192.0.2")
CATEGORIES = ("feature", "bug_fix", "refactor", "testing", "documentation", "investigation")
GUARDRAIL_WEIGHTS = {
    "prompt_injection": 30, "secrets": 25, "exfiltration": 15, "production_access": 15,
    "pii": 10, "malicious_code": 5,
}  # fmt: skip

# Share of a day's events by source; calibrated so the average day is ~events_per_day.
SESSION_SHARE, LOGIN_SHARE, SEARCH_SHARE, BACKGROUND_SHARE, ADMIN_SHARE = (
    0.50, 0.16, 0.14, 0.09, 0.012,
)
EVENTS_PER_SESSION = 3.75  # measured mean events per simulated session (bursts included)

# Occasional, org-scoped work (relative weights).
BACKGROUND_MIX = {
    "edit_knowledge": 14, "create_knowledge": 10, "delete_knowledge": 2, "create_folder": 2,
    "update_folder": 2, "delete_folder": 0.5, "update_playbook": 5, "create_playbook": 3,
    "delete_playbook": 0.7, "create_secret": 3, "update_secret": 2, "delete_secret": 1,
    "start_repo_setup": 2, "finish_repo_setup": 1.8, "delete_repo_setup": 0.3,
    "update_repo_setup_steering_knowledge": 1, "delete_repo_setup_steering_knowledge": 0.2,
    "remove_repo_from_devin": 0.3, "refresh_github_integration": 1.5,
    "create_github_integration": 0.2, "delete_github_integration": 0.1,
    "github_integration_deleted": 0.05, "create_gitlab_integration": 0.1,
    "update_gitlab_integration": 0.2, "reconnect_gitlab_integration": 0.2,
    "delete_gitlab_integration": 0.05, "create_gitlab_app_config": 0.05,
    "create_azure_devops_integration": 0.05, "reconnect_azure_devops_integration": 0.1,
    "delete_azure_devops_integration": 0.02, "create_bitbucket_integration": 0.05,
    "delete_bitbucket_integration": 0.02, "mcp_server_install": 0.6, "mcp_server_enable": 0.8,
    "mcp_server_disable": 0.4, "mcp_server_delete": 0.2, "create_mcp_validation_session": 0.3,
    "enable_persona": 0.3, "disable_persona": 0.2, "delete_persona": 0.05,
    "create_maintenance_task": 0.3, "update_maintenance_task": 0.4,
    "delete_maintenance_task": 0.1, "create_snapshot_script": 0.3,
    "schedule_snapshot_script": 0.3, "execute_snapshot_script": 1.0, "create_automation": 0.4,
    "accept_skill_pr": 0.5, "create_blueprint": 0.3, "create_blueprint_version": 0.4,
    "create_blueprint_pr": 0.3, "cancel_blueprint_build": 0.1, "create_join_request": 0.4,
    "approve_join_request": 0.3, "reject_join_request": 0.05, "automatic_join_event": 0.5,
    "approve_seat_request": 0.2, "view_org_api_key": 0.3, "view_user_api_key": 0.4,
    "create_user_api_key": 0.3, "create_pat": 0.4, "rotate_pat": 0.2, "revoke_pat": 0.1,
}  # fmt: skip

# Rare admin changes: (weight, enterprise-level?).
ADMIN_MIX: dict[str, tuple[float, bool]] = {
    "update_enterprise_settings": (0.3, True),
    "update_enterprise_hypervisor_settings": (0.05, True),
    "add_enterprise_member": (0.4, True), "create_org": (0.02, True), "delete_org": (0.01, True),
    "revoke_all_enterprise_api_keys": (0.005, True), "revoke_enterprise_api_key": (0.05, True),
    "create_service_user": (0.05, True), "delete_service_user": (0.02, True),
    "assign_service_user_role": (0.05, True), "remove_service_user_role": (0.02, True),
    "create_service_user_api_key": (0.06, True), "revoke_service_user_api_key": (0.03, True),
    "rotate_service_user_api_key": (0.04, True), "create_role": (0.03, True),
    "update_role": (0.04, True), "delete_role": (0.01, True),
    "create_enterprise_blueprint": (0.05, True),
    "create_enterprise_blueprint_version": (0.05, True),
    "create_audit_log_export": (0.05, True), "set_org_group_limits": (0.03, True),
    "add_group_membership": (0.08, True), "update_group_membership": (0.04, True),
    "delete_group_membership": (0.02, True), "create_service_api_key": (0.02, True),
    "add_member": (0.5, False), "delete_member": (0.15, False), "assign_roles": (0.3, False),
    "update_org": (0.05, False), "update_org_settings": (0.2, False),
    "update_ai_guardrail": (0.08, False), "create_org_api_key": (0.05, False),
    "create_git_permission": (0.1, False), "update_git_permission": (0.1, False),
    "delete_git_permission": (0.05, False),
}  # fmt: skip

# Produced by the session simulation, by logins and by searches rather than by the mixes above.
SESSION_ACTIONS = frozenset({
    "create_session", "send_message", "sleep_session", "terminate_session",
    "ai_guardrail_violation", "approve_deploy", "approve_test_app", "permission_response",
    "acknowledge_session_hard_cap", "claim_outpost_session",
})  # fmt: skip
OTHER_ACTIONS = frozenset({"login", "search_query"})


def session_day(session_id: str) -> int | None:
    """The generating day encoded in a sandbox session id, or None if it is not one of ours."""
    if not session_id.startswith(SESSION_ID_PREFIX):
        return None
    digits = session_id[len(SESSION_ID_PREFIX) :]
    if len(digits) != 32:
        return None
    try:
        return int(digits[:5], 16)
    except ValueError:
        return None


@dataclass(slots=True)
class SessionRecord:
    """A session's whole life; `response(now)` is what the API says about it at `now`."""

    session_id: str
    org_id: str
    user_id: str | None
    service_user_id: str | None
    origin: str
    title: str
    tags: list[str]
    playbook_id: str | None
    category: str | None
    created_at: int
    end_at: int
    final_status: str
    final_detail: str
    acus_consumed: float
    pull_requests: list[dict[str, Any]]
    parent_session_id: str | None
    deleted: bool
    archived: bool
    structured_output: dict[str, Any] | None
    activity: list[int] = field(default_factory=list)
    child_session_ids: list[str] = field(default_factory=list)

    def response(self, now: float) -> dict[str, Any]:
        """The SessionResponse as of `now` (status and updated_at move with time)."""
        running = now < self.end_at
        updated = max((t for t in self.activity if t <= now), default=self.created_at)
        return {
            "session_id": self.session_id,
            "org_id": self.org_id,
            "status": "running" if running else self.final_status,
            "status_detail": "working" if running else self.final_detail,
            "title": self.title,
            "tags": list(self.tags),
            "url": f"https://app.devin.ai/sessions/{self.session_id[len(SESSION_ID_PREFIX):]}",
            "created_at": self.created_at,
            "updated_at": updated,
            "acus_consumed": round(self.acus_consumed / 2, 2) if running else self.acus_consumed,
            "pull_requests": [dict(pr) for pr in self.pull_requests],
            "user_id": self.user_id,
            "service_user_id": self.service_user_id,
            "origin": self.origin,
            "category": self.category,
            "playbook_id": self.playbook_id,
            "parent_session_id": self.parent_session_id,
            "child_session_ids": list(self.child_session_ids) or None,
            "is_archived": self.archived and now >= self.end_at + 7 * DAY,
            "structured_output": self.structured_output,
        }


@dataclass
class DayActivity:
    """Everything one day's RNG produced (rows may spill into the next day)."""

    audit: list[Row]
    violations: list[Row]  # key is the event_id; the world assigns violation ids
    sessions: dict[str, SessionRecord]


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class ActivityModel:
    """Precomputed tables for generating days of one enterprise."""

    def __init__(self, config: SandboxConfig, roster: Roster) -> None:
        self.config = config
        self.roster = roster
        self.enterprise_id = f"enterprise-{hex_token(rng_for(config.seed, 'enterprise'), 16)}"
        self.user_cum = _cumulative([u.weight for u in roster.users])
        self.admins = [u for u in roster.users if u.is_admin]
        self.hour_cum = _cumulative(list(HOUR_WEIGHTS))
        self.background = (list(BACKGROUND_MIX), _cumulative(list(BACKGROUND_MIX.values())))
        self.admin = (list(ADMIN_MIX), _cumulative([w for w, _ in ADMIN_MIX.values()]))
        self.human_origins = (list(HUMAN_ORIGINS), _cumulative(list(HUMAN_ORIGINS.values())))
        self.service_origins = (list(SERVICE_ORIGINS), _cumulative(list(SERVICE_ORIGINS.values())))
        kinds = {g.kind: g for g in roster.guardrails}
        self.guardrails = ([kinds[k] for k in GUARDRAIL_WEIGHTS], _cumulative(
            list(GUARDRAIL_WEIGHTS.values())
        ))
        self.orgs = {org.org_id: org for org in roster.orgs}

    def day(self, day: int) -> DayActivity:
        """Generate day `day` (days since the Unix epoch, UTC); same input, same output."""
        return _DayBuilder(self, day).build()


class _DayBuilder:
    def __init__(self, model: ActivityModel, day: int) -> None:
        self.m = model
        self.cfg = model.config
        self.day = day
        self.start = day * DAY
        self.rng = rng_for(model.config.seed, "day", day)
        self.audit: list[Row] = []
        self.violations: list[Row] = []
        self.sessions: dict[str, SessionRecord] = {}
        self.ctx_cache: dict[str | None, PayloadContext] = {}

    # -- the day -----------------------------------------------------------------------------

    def build(self) -> DayActivity:
        rng = self.rng
        weekday = (self.day + 3) % 7  # 1970-01-01 was a Thursday
        factor = 1.25 if weekday < 5 else 0.375
        total = self.cfg.events_per_day * factor * rng.uniform(0.85, 1.15)
        for t in self._times(round(total * SESSION_SHARE / EVENTS_PER_SESSION)):
            self._random_session(t)
        for t in self._times(round(total * LOGIN_SHARE)):
            self._login(t)
        for t in self._times(round(total * SEARCH_SHARE)):
            user = self._user()
            org = self._org_of(user)
            data = {
                "search_id": f"search-{hex_token(rng, 24)}",
                "repository": f"{org.slug}/{rng.choice(org.repos)}",
                "query_length": rng.randint(12, 400),
            }
            self._emit(t, "search_query", org.org_id, user, data)
        self._mix(self._times(round(total * BACKGROUND_SHARE)), admin=False)
        admin_count = total * ADMIN_SHARE
        self._mix(self._times(int(admin_count) + (rng.random() < admin_count % 1)), admin=True)
        self._bursts(weekday < 5)
        return DayActivity(self.audit, self.violations, self.sessions)

    def _times(self, count: int) -> list[int]:
        rng = self.rng
        hours = rng.choices(range(24), cum_weights=self.m.hour_cum, k=count)
        rand = rng.random
        return [self.start + h * 3600 + int(rand() * 3600) for h in hours]

    def _user(self) -> User:
        cum = self.m.user_cum
        users = self.m.roster.users
        return users[min(bisect(cum, self.rng.random() * cum[-1]), len(users) - 1)]

    def _org_of(self, user: User) -> Org:
        return self.m.orgs[self.rng.choice(user.org_ids)]

    def _delay(self) -> int:
        """Seconds between creation and visibility: 0-2 s, or up to max_late_seconds for the
        late fraction."""
        rand = self.rng.random
        late = self.cfg.max_late_seconds
        if late >= 3 and rand() < self.cfg.late_fraction:
            return 3 + int(rand() * (late - 2))
        return int(rand() * (min(2, late) + 1))

    def _ctx(self, org: Org | None) -> PayloadContext:
        key = org.org_id if org else None
        ctx = self.ctx_cache.get(key)
        if ctx is None:
            ctx = PayloadContext(self.m.roster, org, self.m.enterprise_id, self.start)
            self.ctx_cache[key] = ctx
        return ctx

    def _emit(
        self, t: int, action: str, org_id: str | None, actor: Actor, data: dict[str, Any]
    ) -> None:
        t = min(t, self.start + DAY + MAX_SPILL)
        user = actor if isinstance(actor, User) else None
        service = actor if isinstance(actor, ServiceUser) else None
        audit_log_id = f"audit_log-{self.rng.getrandbits(128):032x}"
        item = {
            "audit_log_id": audit_log_id,
            "action": action,
            "created_at": t,
            "data": data,
            "org_id": org_id,
            "user_id": user.user_id if user else None,
            "user_email": user.email if user else None,
            "service_user_id": service.service_user_id if service else None,
            "service_user_name": service.name if service else None,
        }
        raw = compact_json(item)
        self.audit.append(Row(t, audit_log_id, t + self._delay(), org_id, action, None, raw))

    # -- logins and mixes --------------------------------------------------------------------

    def _login(self, t: int) -> None:
        rng = self.rng
        user = self._user()
        # Sign-in is an enterprise event most of the time; org switches log the org.
        org_id = None if rng.random() < 0.6 else self._org_of(user).org_id
        data = {
            "auth_method": rng.choices(("saml_sso", "google", "email_link", "github"),
                                       (70, 15, 10, 5))[0],
            # Documentation address ranges (RFC 5737): plausible, never anyone's real address.
            "ip_address": f"{rng.choice(_TEST_NETS)}.{rng.randint(1, 254)}",
            "user_agent": rng.choice((
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0",
                "devin-cli/1.8.2",
                "Slack/4.41 (Macintosh)",
            )),
        }  # fmt: skip
        self._emit(t, "login", org_id, user, data)

    def _mix(self, times: list[int], *, admin: bool) -> None:
        rng = self.rng
        names, cum = self.m.admin if admin else self.m.background
        actions = rng.choices(names, cum_weights=cum, k=len(times))
        for t, action in zip(times, actions, strict=True):
            actor: Actor
            if rng.random() < 0.1:
                actor = rng.choice(self.m.roster.service_users)
                org = self.m.orgs.get(actor.org_id or "") or rng.choice(self.m.roster.orgs)
            else:
                actor = rng.choice(self.m.admins) if admin else self._user()
                org = self._org_of(actor)
            enterprise_level = admin and ADMIN_MIX[action][1]
            scope = None if enterprise_level else org
            self._emit(t, action, scope.org_id if scope else None, actor,
                       payload(action, rng, self._ctx(scope)))  # fmt: skip

    def _bursts(self, weekday: bool) -> None:
        rng = self.rng
        if rng.random() < (0.6 if weekday else 0.25):
            # An automation fans out a batch of sessions in the same second.
            service = rng.choice(self.m.roster.service_users)
            org = self.m.orgs.get(service.org_id or "") or self.m.roster.orgs[0]
            t = self._times(1)[0]
            for _ in range(rng.randint(5, 40)):
                self._session(t, service, org, "automation", burst=True)
        if rng.random() < (0.3 if weekday else 0.05):
            # A bulk member add: one admin, one org, many targets, one second.
            admin = rng.choice(self.m.admins)
            org = self._org_of(admin)
            t = self._times(1)[0]
            users = self.m.roster.users
            for target in rng.sample(users, min(len(users), rng.randint(5, 40))):
                data = {"target_user_id": target.user_id, "roles": ["Org Member"]}
                self._emit(t, "add_member", org.org_id, admin, data)

    # -- sessions ----------------------------------------------------------------------------

    def _random_session(self, t: int) -> None:
        rng = self.rng
        if rng.random() < 0.85:
            user = self._user()
            origin = rng.choices(*self.m.human_origins)[0]
            self._session(t, user, self._org_of(user), origin)
        else:
            service = rng.choice(self.m.roster.service_users)
            org = self.m.orgs.get(service.org_id or "") or rng.choice(self.m.roster.orgs)
            origin = rng.choices(*self.m.service_origins)[0]
            on_behalf = self._user() if rng.random() < 0.3 else None
            self._session(t, service, org, origin, on_behalf=on_behalf)

    def _session(
        self,
        t0: int,
        actor: User | ServiceUser,
        org: Org,
        origin: str,
        *,
        on_behalf: User | None = None,
        parent: str | None = None,
        burst: bool = False,
    ) -> str:
        rng = self.rng
        sid = f"{SESSION_ID_PREFIX}{self.day:05x}{hex_token(rng, 27)}"
        repo = f"{org.slug}/{rng.choice(org.repos)}"
        playbook = rng.choice(org.playbook_ids) if rng.random() < 0.2 else None
        user = actor if isinstance(actor, User) else on_behalf
        record = SessionRecord(
            session_id=sid,
            org_id=org.org_id,
            user_id=user.user_id if user else None,
            service_user_id=actor.service_user_id if isinstance(actor, ServiceUser) else None,
            origin=origin,
            title=rng.choice(TITLE_TEMPLATES).format(
                bug=rng.choice(TITLE_BUGS), feature=rng.choice(TITLE_FEATURES), repo=repo
            ),
            tags=sorted(rng.sample(TAGS, rng.randint(0, 3))),
            playbook_id=playbook,
            category=rng.choice(CATEGORIES) if rng.random() < 0.8 else None,
            created_at=t0,
            end_at=t0,
            final_status="exit",
            final_detail="finished",
            acus_consumed=0.0,
            pull_requests=[],
            parent_session_id=parent,
            deleted=rng.random() < 0.03,
            archived=rng.random() < 0.15,
            structured_output=None,
        )
        self.sessions[sid] = record
        data: dict[str, Any] = {"session_id": sid, "origin": origin}
        if playbook:
            data["playbook_id"] = playbook
        if parent:
            data["parent_session_id"] = parent
        self._emit(t0, "create_session", org.org_id, actor, data)
        times = [t0]
        killed = self._screen(t0, sid, org, actor, repo)
        messages = 0 if burst else int(rng.expovariate(1 / 2.4))
        t = t0
        for _ in range(messages):
            if killed is not None:
                break
            t += 5 + int(rng.expovariate(1 / 420))
            self._emit(t, "send_message", org.org_id, actor,
                       {"session_id": sid, "message_length": rng.randint(8, 2000)})  # fmt: skip
            times.append(t)
            killed = self._screen(t, sid, org, actor, repo)
        if killed is not None:
            end = killed + rng.randint(1, 3)
            self._emit(end, "terminate_session", org.org_id, None,
                       {"session_id": sid, "reason": "guardrail_violation"})  # fmt: skip
            record.final_status, record.final_detail = "exit", "error"
        else:
            end = self._session_extras_and_end(record, actor, org, t, burst)
        times.append(end)
        record.end_at = end
        record.activity = sorted(times)
        record.acus_consumed = round(rng.uniform(0.2, 2.5) * (1 + messages), 2)
        if rng.random() < 0.4:
            record.pull_requests.append({
                "pr_url": f"https://github.example-corp.test/{repo}/pull/{rng.randint(1, 9000)}",
                "pr_state": rng.choice(("open", "merged", "merged", "closed", None)),
            })  # fmt: skip
        if rng.random() < 0.1:
            record.structured_output = {"summary": record.title, "tests_passed": rng.random() < 0.8}
        if not burst and parent is None and user is not None and rng.random() < 0.04:
            for offset in range(rng.randint(1, 3)):
                child = self._session(t0 + 30 + offset, actor, org, origin,
                                      on_behalf=on_behalf, parent=sid)  # fmt: skip
                record.child_session_ids.append(child)
        return sid

    def _session_extras_and_end(
        self, record: SessionRecord, actor: User | ServiceUser, org: Org, t: int, burst: bool
    ) -> int:
        rng = self.rng
        sid = record.session_id
        for action, chance in (
            ("permission_response", 0.06), ("approve_deploy", 0.03), ("approve_test_app", 0.02),
            ("acknowledge_session_hard_cap", 0.005), ("claim_outpost_session", 0.005),
        ):  # fmt: skip
            if not burst and rng.random() < chance:
                t += rng.randint(10, 900)
                self._emit(t, action, org.org_id, actor, {"session_id": sid})
        roll = rng.random()
        if roll < (0.7 if burst else 0.45):
            end = t + rng.randint(60, 3600)
            self._emit(end, "terminate_session", org.org_id, actor,
                       {"session_id": sid, "reason": "user_request"})  # fmt: skip
            record.final_status, record.final_detail = "exit", "user_request"
        elif roll < 0.8:
            end = t + rng.randint(600, 7200)
            by = None if rng.random() < 0.6 else actor  # inactivity sleeps have no actor
            reason = "inactivity" if by is None else "user_request"
            self._emit(end, "sleep_session", org.org_id, by, {"session_id": sid, "reason": reason})
            record.final_status, record.final_detail = "suspended", "inactivity"
        else:
            end = t + rng.randint(300, 3600)
            if rng.random() < 0.1:
                record.final_status, record.final_detail = "error", "error"
        return end

    def _screen(
        self, t: int, sid: str, org: Org, actor: User | ServiceUser, repo: str
    ) -> int | None:
        """Maybe raise a guardrail violation on a user message; returns its time if it killed
        the session."""
        rng = self.rng
        if rng.random() >= self.cfg.violation_rate:
            return None
        presets, cum = self.m.guardrails
        guardrail: Guardrail = rng.choices(presets, cum_weights=cum)[0]
        action_taken = (
            guardrail.default_action if rng.random() < 0.8 else rng.choice(ACTION_TAKEN)
        )
        # A PR comment screened outside any session has no session (the field is nullable).
        session_id = None if rng.random() < 0.04 else sid
        created = t + rng.randint(0, 1)
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        item = {
            "event_id": event_id,
            "created_at": created,
            "org_id": org.org_id,
            "session_id": session_id,
            "guardrail_id": guardrail.guardrail_id,
            "guardrail_name": guardrail.name,
            "action_taken": action_taken,
            "confidence_score": round(min(0.999, 0.5 + rng.betavariate(4, 2) * 0.5), 3),
            "reasoning": reasoning(guardrail.kind, rng),
            "user_message": user_message(guardrail.kind, rng, repo),
        }
        self.violations.append(Row(
            created, event_id, created + self._delay(), org.org_id, guardrail.guardrail_id,
            session_id, compact_json(item),
        ))  # fmt: skip
        self._emit(created + rng.randint(0, 2), "ai_guardrail_violation", org.org_id, actor, {
            "session_id": session_id,
            "guardrail_id": guardrail.guardrail_id,
            "guardrail_name": guardrail.name,
            "action_taken": action_taken,
        })  # fmt: skip
        return created if action_taken == "kill_session" and session_id is not None else None


def covered_actions() -> frozenset[str]:
    """Every action this model can emit (tests check it covers the documented enum)."""
    return frozenset(BACKGROUND_MIX) | frozenset(ADMIN_MIX) | SESSION_ACTIONS | OTHER_ACTIONS


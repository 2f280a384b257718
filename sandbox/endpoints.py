"""The API's behaviour: a request in, a response (or a dropped connection) out.

No sockets here; `sandbox.server` does the HTTP. Order of checks for every API route, as a
FastAPI app behind an edge proxy would do them: path (404/405), edge faults (429, 5xx, drop,
delay), authentication (401), permission (403), parameters (422), path entities (404),
cursor (400), then the data.
"""

from __future__ import annotations

import email.utils
import math
import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import orjson
from pydantic import ValidationError

from sandbox.auth import Denied, authenticate, authorize
from sandbox.clock import Clock
from sandbox.credentials import LEGACY_TOKENS, Credential
from sandbox.cursors import CursorCodec, CursorError, fingerprint
from sandbox.faults import (
    EXTRA_ENVELOPE_FIELDS,
    EXTRA_ITEM_FIELDS,
    UNKNOWN_ACTIONS,
    Dropped,
    FaultConfig,
    FaultInjector,
    RateLimited,
    ServerError,
    unknown_action_for,
)
from sandbox.params import ListParams, directory_params, event_params
from sandbox.responses import (
    Drop,
    ErrorList,
    Outcome,
    Request,
    Response,
    json_response,
    legacy_error,
    problem,
)
from sandbox.routes import Route, resolve
from sandbox.spec import AUDIT_ACTION_SET
from sandbox.world import Kind, Predicate, Row, Selection, World

_PROXY_HTML = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_PHRASES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
}


class App:
    """The sandbox API over one world, clock, fault injector and cursor secret."""

    def __init__(self, world: World, clock: Clock, faults: FaultInjector, codec: CursorCodec):
        self.world = world
        self.clock = clock
        self.faults = faults
        self.codec = codec
        self._handlers: dict[str, Callable[[Request, dict[str, str], Credential], Outcome]] = {
            "audit_logs": self._audit_logs,
            "audit_logs_v2": self._audit_logs_v2,
            "guardrails": self._guardrails,
            "self": self._self,
            "self_beta": self._self_beta,
            "organizations": self._organizations,
            "users": self._users,
            "service_users": self._service_users,
            "session": self._session,
            "faults": self._admin_faults,
            "clock": self._admin_clock,
        }

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Outcome:
        """Answer one request; never raises for bad input (that is a 4xx)."""
        found = resolve(request.path)
        if found is None:
            return problem(404, "Not Found", request.path)
        route, path_params = found
        if request.method not in route.methods:
            allow = ", ".join(sorted(route.methods))
            return problem(405, "Method Not Allowed", request.path, headers=(("Allow", allow),))
        if route.name == "health":
            return json_response({"status": "ok"})
        delay = 0.0
        if self._faulty(route):
            plan = self.faults.plan()
            delay = plan.delay
            if plan.outcome is not None:
                return self._fault_response(plan.outcome, request.path, delay)
        if route.legacy:
            return self._legacy(request, delay)
        cred = authenticate(request.headers.get("authorization"))
        if isinstance(cred, Denied):
            return self._denied(cred, request.path, delay)
        if route.admin and cred.name != "admin":
            return self._denied(
                Denied(403, "Sandbox admin routes require the sandbox admin token."),
                request.path,
                delay,
            )
        denied = authorize(cred, route.permissions, f"{request.method} {request.path}")
        if denied is not None:
            return self._denied(denied, request.path, delay)
        params = {k: unquote(v) for k, v in path_params.items()}
        outcome = self._handlers[route.name](request, params, cred)
        if delay and isinstance(outcome, Response):
            return Response(outcome.status, outcome.body, outcome.content_type,
                            outcome.headers, delay)  # fmt: skip
        return outcome

    def _faulty(self, route: Route) -> bool:
        return route.faults == "data" or (
            route.faults == "enrichment" and self.faults.config.enrichment
        )

    @staticmethod
    def _denied(denied: Denied, path: str, delay: float) -> Response:
        headers = (("WWW-Authenticate", 'Bearer realm="devin"'),) if denied.status == 401 else ()
        response = problem(denied.status, denied.detail, path, headers=headers)
        return Response(response.status, response.body, response.content_type, headers, delay)

    @staticmethod
    def _fault_response(outcome: RateLimited | ServerError | Dropped, path: str,
                        delay: float) -> Outcome:  # fmt: skip
        if isinstance(outcome, Dropped):
            return Drop(reset=outcome.reset, delay=delay)
        if isinstance(outcome, RateLimited):
            seconds = outcome.retry_after
            if outcome.style == "seconds":
                header = ("Retry-After", str(max(0, round(seconds))))
            elif outcome.style == "ms":
                header = ("retry-after-ms", str(int(seconds * 1000)))
            else:
                when = email.utils.formatdate(time.time() + math.ceil(seconds), usegmt=True)
                header = ("Retry-After", when)
            detail = f"Rate limit exceeded. Retry after {seconds:g} second(s)."
            return problem(429, detail, path, headers=(header,))
        status = outcome.status
        headers = (("Retry-After", "1"),) if status == 503 else ()
        if outcome.body_style == "html":
            body = _PROXY_HTML.format(status=status, phrase=_PHRASES[status]).encode()
            return Response(status, body, "text/html", headers, delay)
        if outcome.body_style == "legacy":
            response = legacy_error(status, _PHRASES[status], headers)
        else:
            detail = "The server encountered an unexpected condition. Please retry."
            response = problem(status, detail, path, headers=headers)
        return Response(response.status, response.body, response.content_type, headers, delay)

    # -- audit logs and guardrail violations -------------------------------------------------

    def _audit_logs(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        config = self.faults.config
        actions: set[str] | frozenset[str] = AUDIT_ACTION_SET
        if config.unknown_actions > 0:
            actions = AUDIT_ACTION_SET | set(UNKNOWN_ACTIONS)
        params = event_params(request.query, guardrail=False, actions=actions)
        return self._events(request, path, params, "audit", config)

    def _guardrails(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        params = event_params(request.query, guardrail=True)
        return self._events(request, path, params, "guardrail", self.faults.config)

    def _events(
        self,
        request: Request,
        path: dict[str, str],
        params: ListParams | ErrorList,
        kind: Kind,
        config: FaultConfig,
    ) -> Outcome:
        if isinstance(params, ErrorList):
            return _invalid(params, request.path)
        org_id = path.get("org_id")
        if org_id is not None and org_id not in self.world.org_ids():
            return problem(404, f"Organization {org_id} not found.", request.path)
        query = fingerprint({
            "kind": kind, "org_id": org_id, "order": params.order, "first": params.first,
            "action": params.action, "time_after": params.time_after,
            "time_before": params.time_before, "session_id": params.session_id,
            "guardrail_id": params.guardrail_id,
        })  # fmt: skip
        position = None
        if params.after is not None:
            try:
                position = self.codec.decode(params.after, query)
            except CursorError as err:
                return problem(400, str(err), request.path)
        selection, predicate = self._selection(kind, org_id, params, config)
        rows, has_next = self.world.scan(selection, params.order, position, params.first, predicate)
        end_cursor = self.codec.encode(query, (rows[-1].created_at, rows[-1].key)) if rows else None
        if not has_next:
            end_cursor = None
        elif kind == "audit" and config.missing_end_cursor:
            end_cursor = None  # the pre-2026-01-15 bug: items and has_next_page, no cursor
        if params.after is not None and self.faults.repeat_cursor():
            end_cursor, has_next = params.after, True
        total = None if config.omit_total else self.world.count(selection, predicate)
        raws = [self._render(row, kind, config) for row in rows]
        return Response(200, _envelope(raws, end_cursor, has_next, total, config.unknown_fields))

    @staticmethod
    def _selection(
        kind: Kind, org_id: str | None, params: ListParams, config: FaultConfig
    ) -> tuple[Selection, Predicate | None]:
        tag = params.action if kind == "audit" else params.guardrail_id
        predicate: Predicate | None = None
        fraction = config.unknown_actions
        if kind == "audit" and params.action is not None and fraction > 0:
            # The filter applies to the action as served, which the fault may have replaced.
            wanted = params.action
            if wanted in AUDIT_ACTION_SET:
                predicate = lambda row: unknown_action_for(row.key, fraction) is None  # noqa: E731
            else:
                tag = None
                predicate = lambda row: unknown_action_for(row.key, fraction) == wanted  # noqa: E731
        selection = Selection(kind, org_id, tag, params.session_id, params.time_after,
                              params.time_before)  # fmt: skip
        return selection, predicate

    @staticmethod
    def _render(row: Row, kind: Kind, config: FaultConfig) -> bytes:
        replaced = (
            unknown_action_for(row.key, config.unknown_actions) if kind == "audit" else None
        )
        if replaced is None and not config.unknown_fields:
            return row.raw
        item = orjson.loads(row.raw)
        if replaced is not None:
            item["action"] = replaced
        if config.unknown_fields:
            item.update(EXTRA_ITEM_FIELDS[kind])
        return orjson.dumps(item)

    # -- legacy v2 ----------------------------------------------------------------------------

    def _legacy(self, request: Request, delay: float) -> Outcome:
        """v2 takes only an enterprise admin's apk_user_ key, and answers errors the old way."""
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != LEGACY_TOKENS["apk_user"]:
            detail = "v2 endpoints need an Enterprise Admin's personal API key (apk_user_...)."
            response = legacy_error(401, detail)
        else:
            response = self._audit_logs_v2(request)
        return Response(response.status, response.body, response.content_type,
                        response.headers, delay)  # fmt: skip

    def _audit_logs_v2(self, request: Request, *_: Any) -> Response:
        """`GET /v2/enterprise/audit-logs`: `after`/`before` in Unix ms, `limit`, newest first.

        Entries are flat (no `data` wrapper) with `created_at` in milliseconds, as the v2 docs
        show. The docs leave the bounds' meaning open; this sandbox reads them as millisecond
        timestamps, `after` inclusive and `before` exclusive.
        """
        errors = []
        bounds: dict[str, int | None] = {}
        for name in ("after", "before", "limit"):
            raw = request.query.get(name) or None
            bounds[name] = None
            try:
                bounds[name] = None if raw is None else int(raw)
            except ValueError:
                errors.append({"loc": ["query", name], "msg": "value is not a valid integer",
                               "type": "type_error.integer"})  # fmt: skip
        limit = 100 if bounds["limit"] is None else bounds["limit"]
        if not errors and limit < 1:
            errors.append({"loc": ["query", "limit"], "msg": "ensure this value is greater "
                           "than or equal to 1", "type": "value_error.number.not_ge"})  # fmt: skip
        if errors:
            return Response(422, orjson.dumps({"detail": errors}), "application/json", ())
        after_ms, before_ms = bounds["after"], bounds["before"]
        selection = Selection(
            "audit",
            time_after=None if after_ms is None else -(-after_ms // 1000),
            time_before=None if before_ms is None else -(-before_ms // 1000),
        )
        rows, _more = self.world.scan(selection, "desc", None, min(limit, 1000))
        entries = []
        for row in rows:
            item = orjson.loads(row.raw)
            entry = {k: item[k] for k in ("audit_log_id", "action", "org_id", "user_id",
                                          "user_email")}  # fmt: skip
            entry["created_at"] = int(item["created_at"]) * 1000
            entry.update(item.get("data") or {})
            entries.append(entry)
        return json_response({"audit_logs": entries})

    # -- enrichment --------------------------------------------------------------------------

    def _self(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        principal = self.world.roster.credentials[cred.name]
        return json_response({
            "principal_type": "service_user",
            "service_user_id": principal.service_user_id,
            "service_user_name": principal.name,
            "org_id": None,
        })  # fmt: skip

    def _self_beta(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        principal = self.world.roster.credentials[cred.name]
        return json_response({
            "org_id": None,
            "service_user_id": principal.service_user_id,
            "service_user_name": principal.name,
        })  # fmt: skip

    def _organizations(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        items = [(org.org_id, org.item()) for org in self.world.roster.orgs]
        return self._directory(request, "organizations", items)

    def _users(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        email_filter = request.query.get("email") or None
        items = [
            (user.user_id, user.item())
            for user in self.world.roster.users
            if email_filter is None or user.email == email_filter
        ]
        return self._directory(request, "users", items)

    def _service_users(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        items = [(su.service_user_id, su.item()) for su in self.world.roster.all_service_users()]
        return self._directory(request, "service_users", items)

    def _directory(
        self, request: Request, name: str, items: list[tuple[str, dict[str, Any]]]
    ) -> Outcome:
        params = directory_params(request.query)
        if isinstance(params, ErrorList):
            return _invalid(params, request.path)
        query = fingerprint({"list": name, "first": params.first, "email": params.email})
        items.sort(key=lambda pair: pair[0])
        keys = [key for key, _ in items]
        start = 0
        if params.after is not None:
            try:
                start = bisect_right(keys, self.codec.decode(params.after, query)[1])
            except (CursorError, TypeError) as err:
                return problem(400, str(err) if isinstance(err, CursorError) else None,
                               request.path)  # fmt: skip
        page = items[start : start + params.first]
        has_next = start + params.first < len(items)
        end_cursor = self.codec.encode(query, (0, page[-1][0])) if page and has_next else None
        config = self.faults.config
        raws = []
        for _, item in page:
            if config.unknown_fields and config.enrichment:
                item = {**item, **EXTRA_ITEM_FIELDS["enrichment"]}
            raws.append(orjson.dumps(item))
        return Response(200, _envelope(raws, end_cursor, has_next, len(items), False))

    def _session(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        devin_id = path["devin_id"]
        session = self.world.session(devin_id, request.query.get("org_id") or None)
        if session is None:
            hint = "" if devin_id.startswith("devin-") else " Session ids start with `devin-`."
            return problem(404, f"Session {devin_id} not found.{hint}", request.path)
        if self.faults.config.unknown_fields and self.faults.config.enrichment:
            session.update(EXTRA_ITEM_FIELDS["enrichment"])
        return json_response(session)

    # -- sandbox admin -----------------------------------------------------------------------

    def _admin_faults(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        if request.method == "POST":
            try:
                body = orjson.loads(request.body or b"{}")
                if not isinstance(body, dict):
                    raise TypeError("expected a JSON object")
                config = (
                    FaultConfig.parse(str(body["spec"])) if "spec" in body else FaultConfig(**body)
                )
            except ValidationError as err:
                errors = [
                    {"loc": ["body", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                    for e in err.errors()
                ]
                return problem(422, "Invalid fault configuration.", request.path, errors=errors)
            except (orjson.JSONDecodeError, TypeError, ValueError) as err:
                return problem(400, f"Invalid fault configuration: {err}", request.path)
            self.faults.configure(config)
        return json_response(self.faults.config.model_dump())

    def _admin_clock(self, request: Request, path: dict[str, str], cred: Credential) -> Outcome:
        if request.method == "POST":
            try:
                body = orjson.loads(request.body or b"{}")
                seconds = float(body.get("advance", 0))
                self.clock.advance(seconds)
            except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as err:
                return problem(400, f"Expected {{\"advance\": seconds >= 0}}: {err}", request.path)
        return json_response({"now": self.clock.now(), "frozen": self.clock.frozen})


def _invalid(errors: ErrorList, path: str) -> Response:
    count = len(errors.errors)
    detail = f"Request validation failed: {count} error{'s' if count != 1 else ''}."
    return problem(422, detail, path, errors=errors.errors)


def _envelope(
    raws: list[bytes],
    end_cursor: str | None,
    has_next: bool,
    total: int | None,
    extra: bool,
) -> bytes:
    """The §0.4 envelope around already-encoded items (joined as bytes: no re-encoding)."""
    parts = [
        b'{"items":[',
        b",".join(raws),
        b'],"end_cursor":',
        orjson.dumps(end_cursor),
        b',"has_next_page":',
        b"true" if has_next else b"false",
    ]
    if total is not None:
        parts += [b',"total":', str(total).encode()]
    if extra:
        for key, value in EXTRA_ENVELOPE_FIELDS.items():
            parts += [b",", orjson.dumps(key), b":", orjson.dumps(value)]
    parts.append(b"}")
    return b"".join(parts)

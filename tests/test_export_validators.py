"""The third-party validators the export tests use, and proof that they reject bad documents.

OCSF: the pydantic models of ``pydantic-ocsf`` (PyPI), generated from the OCSF 1.7.0 schema
export it bundles (``ocsf/schemas/v1_7_0.json``). Those models check required attributes, types,
enum ids and id/caption pairs, ``class_uid``/``category_uid``/``type_uid``; they accept unknown
attributes and ignore the schema's object constraints and profiles, so ``validate_ocsf`` adds
three checks that read the same bundled schema: no attribute the class or a declared profile
does not define, the ``at_least_one``/``just_one`` constraints of each object, and the enums of
the profile attributes used (``security_control``: ``action_id``, ``disposition_id``).

ECS: no package on PyPI ships the ECS field definitions (ecs-logging only formats logs), so the
reference is checked in below, copied from the upstream ECS repository (github.com/elastic/ecs):

* field names: ``generated/csv/fields.csv`` at commit 7b665790c7c4 (ECS 8.12), the rows of the
  field sets the exporter writes (base, ecs, event, group, observer, organization, related,
  rule, user);
* allowed values of ``event.kind``/``category``/``type``/``outcome`` and each category's
  expected types: ``docs/fields/field-values.asciidoc`` at commit b7aa72f8ed10 (ECS 8.x).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import pytest
from ocsf.v1_7_0 import events as ocsf_events
from pydantic import BaseModel, ValidationError

# ---------------------------------------------------------------------------------------------
# OCSF

OCSF_MODELS: dict[int, type[BaseModel]] = {
    2004: ocsf_events.DetectionFinding,
    3001: ocsf_events.AccountChange,
    3002: ocsf_events.Authentication,
    3004: ocsf_events.EntityManagement,
    3005: ocsf_events.UserAccess,
    3006: ocsf_events.GroupManagement,
    6003: ocsf_events.ApiActivity,
}
# Attributes a profile adds to every class (OCSF 1.7.0 security_control profile), which the
# bundled class definitions leave out.
PROFILE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "security_control": frozenset({"action", "action_id", "disposition", "disposition_id"}),
}


@cache
def ocsf_schema() -> dict[str, Any]:
    """The OCSF 1.7.0 schema export bundled with pydantic-ocsf."""
    text = resources.files("ocsf").joinpath("schemas/v1_7_0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_ocsf(document: dict[str, Any]) -> BaseModel:
    """The document as its OCSF class's pydantic model; raises if anything is off."""
    model = OCSF_MODELS[document["class_uid"]].model_validate(document)
    profiles = document.get("metadata", {}).get("profiles", [])
    allowed = frozenset().union(*(PROFILE_ATTRIBUTES[p] for p in profiles))
    extras = [path for path in _extras(model, "") if path not in allowed]
    assert not extras, f"attributes the schema does not define: {extras}"
    broken = list(_constraint_violations(model, ""))
    assert not broken, f"object constraints not met: {broken}"
    for name in sorted(allowed & document.keys()):
        _check_profile_attribute(name, document)
    # What the model makes of the document must be the document: nothing coerced or filled in.
    assert model.model_dump(mode="json", by_alias=True, exclude_none=True) == document
    return model


def _fields(model: BaseModel) -> Iterator[tuple[str, Any]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is not None:
            yield field.alias or name, value


def _children(value: Any) -> Iterator[tuple[str, BaseModel]]:
    if isinstance(value, BaseModel):
        yield "", value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, BaseModel):
                yield f"[{index}]", item


def _extras(model: BaseModel, path: str) -> Iterator[str]:
    if type(model).__name__ == "Object":  # ``unmapped`` and other free-form objects
        return
    for key in model.model_extra or {}:
        yield f"{path}{key}"
    for key, value in _fields(model):
        for suffix, child in _children(value):
            yield from _extras(child, f"{path}{key}{suffix}.")


def _object_spec(model: BaseModel) -> dict[str, Any] | None:
    objects = ocsf_schema()["objects"]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in type(model).__name__)
    return objects.get(snake.lstrip("_")) or objects.get(snake)


def _constraints(spec: dict[str, Any] | None) -> dict[str, list[str]]:
    # An object without constraints of its own inherits its parent's.
    while spec is not None:
        if spec.get("constraints"):
            constraints: dict[str, list[str]] = spec["constraints"]
            return constraints
        parent = spec.get("extends")
        spec = ocsf_schema()["objects"].get(parent) if parent else None
    return {}


def _constraint_violations(model: BaseModel, path: str) -> Iterator[str]:
    present = {key for key, _ in _fields(model)}
    for kind, names in _constraints(_object_spec(model)).items():
        count = len(present & set(names))
        if (kind == "at_least_one" and count < 1) or (kind == "just_one" and count != 1):
            yield f"{path.rstrip('.') or '<event>'}: {kind} of {names}"
    for key, value in _fields(model):
        for suffix, child in _children(value):
            yield from _constraint_violations(child, f"{path}{key}{suffix}.")


def _check_profile_attribute(name: str, document: dict[str, Any]) -> None:
    spec = ocsf_schema()["dictionary"]["attributes"][name]
    if name.endswith("_id"):
        enum = spec["enum"]
        value = document[name]
        assert str(value) in enum, f"{name}={value} is not one of {sorted(enum)}"
        label = document.get(name.removesuffix("_id"))
        if value != 99 and label is not None:
            assert label == enum[str(value)]["caption"], f"{name}={value} is not {label!r}"
    else:
        assert isinstance(document[name], str), f"{name} must be a string"


# ---------------------------------------------------------------------------------------------
# ECS (see the module docstring for where these lists come from)

ECS_FIELDS: frozenset[str] = frozenset(
    """
    @timestamp labels message tags ecs.version
    event.action event.agent_id_status event.category event.code event.created event.dataset
    event.duration event.end event.hash event.id event.ingested event.kind event.module
    event.original event.outcome event.provider event.reason event.reference event.risk_score
    event.risk_score_norm event.sequence event.severity event.start event.timezone event.type
    event.url
    group.domain group.id group.name
    observer.hostname observer.ip observer.mac observer.name observer.product
    observer.serial_number observer.type observer.vendor observer.version
    organization.id organization.name
    related.hash related.hosts related.ip related.user
    rule.author rule.category rule.description rule.id rule.license rule.name rule.reference
    rule.ruleset rule.uuid rule.version
    user.domain user.email user.full_name user.group.domain user.group.id user.group.name
    user.hash user.id user.name user.roles
    user.changes.domain user.changes.email user.changes.full_name user.changes.group.domain
    user.changes.group.id user.changes.group.name user.changes.hash user.changes.id
    user.changes.name user.changes.roles
    user.effective.domain user.effective.email user.effective.full_name
    user.effective.group.domain user.effective.group.id user.effective.group.name
    user.effective.hash user.effective.id user.effective.name user.effective.roles
    user.target.domain user.target.email user.target.full_name user.target.group.domain
    user.target.group.id user.target.group.name user.target.hash user.target.id
    user.target.name user.target.roles
    """.split()
)
ECS_KEYWORD_OBJECTS = frozenset({"labels"})  # type object: any key, keyword values
ECS_ARRAY_FIELDS = frozenset(
    {"tags", "event.category", "event.type", "related.user", "user.roles", "observer.ip"}
)
ECS_NUMERIC_FIELDS = frozenset({"event.severity", "event.risk_score", "event.risk_score_norm"})
ECS_DATE_FIELDS = frozenset({"@timestamp", "event.created", "event.ingested"})
ECS_KINDS = frozenset(
    {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}
)
ECS_OUTCOMES = frozenset({"failure", "success", "unknown"})
ECS_EXPECTED_TYPES: dict[str, frozenset[str]] = {
    category: frozenset(types.split(", "))
    for category, types in {
        "api": "access, admin, allowed, change, creation, deletion, denied, end, info, start, user",
        "authentication": "start, end, info",
        "configuration": "access, change, creation, deletion, info",
        "database": "access, change, info, error",
        "driver": "change, end, info, start",
        "email": "info",
        "file": "access, change, creation, deletion, info",
        "host": "access, change, end, info, start",
        "iam": "admin, change, creation, deletion, group, info, user",
        "intrusion_detection": "allowed, denied, info",
        "library": "start",
        "malware": "info",
        "network": "access, allowed, connection, denied, end, info, protocol, start",
        "package": "access, change, deletion, info, installation, start",
        "process": "access, change, end, info, start",
        "registry": "access, change, creation, deletion",
        "session": "start, end, info",
        "threat": "indicator",
        "vulnerability": "info",
        "web": "access, error, info",
    }.items()
}
ECS_TYPES = frozenset(
    "access admin allowed change connection creation deletion denied end error group indicator "
    "info installation protocol start user".split()
)
CUSTOM_NAMESPACE = "devin."
_TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted field names → values; ``labels`` and ``devin.*`` stay whole below their root."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in ECS_KEYWORD_OBJECTS:
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


def validate_ecs(document: dict[str, Any]) -> dict[str, Any]:
    """Check an ECS document against the reference above; returns it flattened."""
    import re

    flat = flatten(document)
    unknown = [f for f in flat if f not in ECS_FIELDS and not f.startswith(CUSTOM_NAMESPACE)]
    assert not unknown, f"not ECS fields (nor under {CUSTOM_NAMESPACE}*): {unknown}"
    for name, value in flat.items():
        if name in ECS_ARRAY_FIELDS:
            assert isinstance(value, list) and value, f"{name} must be a non-empty array"
        elif name in ECS_NUMERIC_FIELDS:
            assert isinstance(value, int | float) and not isinstance(value, bool), name
        elif name in ECS_DATE_FIELDS:
            assert isinstance(value, str) and re.match(_TIMESTAMP, value), f"{name}={value!r}"
        elif name in ECS_KEYWORD_OBJECTS:
            assert all(isinstance(v, str) for v in value.values()), f"{name} values: keywords"
    for required in ("@timestamp", "ecs.version", "event.kind"):
        assert required in flat, f"{required} is missing"
    assert flat["event.kind"] in ECS_KINDS, flat["event.kind"]
    assert flat["event.kind"] != "signal", "signal is reserved for Kibana's own alerts"
    if "event.outcome" in flat:
        assert flat["event.outcome"] in ECS_OUTCOMES, flat["event.outcome"]
    categories, types = flat.get("event.category", []), flat.get("event.type", [])
    assert set(categories) <= ECS_EXPECTED_TYPES.keys(), categories
    assert set(types) <= ECS_TYPES, types
    expected = frozenset().union(*(ECS_EXPECTED_TYPES[c] for c in categories))
    assert set(types) <= expected, f"types {types} not expected for categories {categories}"
    return flat


# ---------------------------------------------------------------------------------------------
# The validators reject what they should.

GOOD_OCSF: dict[str, Any] = {
    "category_uid": 3,
    "category_name": "Identity & Access Management",
    "class_uid": 3002,
    "class_name": "Authentication",
    "activity_id": 1,
    "activity_name": "Logon",
    "type_uid": 300201,
    "type_name": "Authentication: Logon",
    "severity_id": 1,
    "severity": "Informational",
    "time": 1_767_225_600_000,
    "metadata": {"version": "1.7.0", "product": {"name": "Devin", "vendor_name": "Cognition"}},
    "user": {"uid": "user-1"},
}


def test_a_valid_ocsf_event_passes() -> None:
    validate_ocsf(GOOD_OCSF)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"activity_name": "Logoff"}, "an activity caption that is not its id's"),
        ({"type_uid": 300202}, "a type_uid that is not class_uid * 100 + activity_id"),
        ({"class_uid": 3001}, "the wrong class for the model"),
        ({"severity_id": 7}, "a severity_id the enum lacks"),
        ({"time": "yesterday"}, "a time that is not a timestamp"),
        ({"user": None}, "a required attribute missing"),
        ({"user": {}}, "a user with none of account, name, uid"),
        ({"usr": {"uid": "user-1"}}, "an attribute the class does not define"),
        ({"metadata": {"version": "1.7.0", "product": {"nam": "Devin"}}}, "a typo in an object"),
        ({"disposition_id": 2}, "a profile attribute without its profile"),
    ],
)
def test_ocsf_validator_rejects(change: dict[str, Any], why: str) -> None:
    document = {k: v for k, v in (GOOD_OCSF | change).items() if v is not None}
    with pytest.raises((AssertionError, ValidationError, KeyError)):
        validate_ocsf(document)


def test_profile_attributes_are_checked_against_the_schema_dictionary() -> None:
    base = GOOD_OCSF | {
        "metadata": GOOD_OCSF["metadata"] | {"profiles": ["security_control"]},
    }
    validate_ocsf(base | {"disposition_id": 2, "disposition": "Blocked"})
    with pytest.raises(AssertionError):
        validate_ocsf(base | {"disposition_id": 2, "disposition": "Allowed"})
    with pytest.raises(AssertionError):
        validate_ocsf(base | {"disposition_id": 1234})


GOOD_ECS: dict[str, Any] = {
    "@timestamp": "2026-01-01T00:00:00.000Z",
    "ecs": {"version": "8.17.0"},
    "event": {"kind": "event", "category": ["iam"], "type": ["user", "creation"]},
    "user": {"id": "user-1", "target": {"id": "user-2"}},
    "devin": {"anything": {"goes": 1}},
}


def test_a_valid_ecs_document_passes() -> None:
    validate_ecs(GOOD_ECS)


@pytest.mark.parametrize(
    "change",
    [
        {"event": {"kind": "event", "category": ["iam"], "type": ["start"]}},  # unexpected type
        {"event": {"kind": "event", "category": ["ai"], "type": ["info"]}},  # unknown category
        {"event": {"kind": "signal"}},  # reserved
        {"event": {"kind": "alert", "outcome": "blocked"}},  # not an outcome
        {"event": {"kind": "event", "category": "iam", "type": ["user"]}},  # not an array
        {"user": {"identifier": "user-1"}},  # not an ECS field
        {"session": {"id": "devin-1"}},  # custom field outside devin.*
        {"@timestamp": "2026-01-01 00:00:00"},  # not RFC 3339 UTC
        {"event": {"kind": "event", "severity": "high"}},  # not a number
    ],
)
def test_ecs_validator_rejects(change: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        validate_ecs(GOOD_ECS | change)

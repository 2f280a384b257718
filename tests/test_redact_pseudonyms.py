"""Pseudonymization and the policy: stable keyed tokens, and a key that never shows."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from pydantic import SecretStr, ValidationError

from pipeline.redact import (
    DEFAULT_POLICY,
    RedactionPolicy,
    pseudonymize,
    pseudonymize_array,
)

KEY = SecretStr("test-key-0123456789abcdef-not-a-real-key")
OTHER_KEY = SecretStr("another-test-key-fedcba9876543210")
PSEUDONYM = re.compile(r"pseud:[0-9a-f]{16}")


def test_pseudonyms_are_stable_per_key_and_differ_across_keys() -> None:
    first = pseudonymize("alice.nguyen@example.com", KEY)
    assert PSEUDONYM.fullmatch(first)
    assert pseudonymize("alice.nguyen@example.com", KEY) == first
    assert pseudonymize("alice.nguyen@example.com", OTHER_KEY) != first
    assert pseudonymize("bob@example.com", KEY) != first


def test_emails_compare_case_insensitively() -> None:
    assert pseudonymize(" Alice.Nguyen@Example.COM", KEY) == pseudonymize(
        "alice.nguyen@example.com", KEY
    )


def test_a_pseudonym_shows_nothing_of_the_value() -> None:
    value = "alice.nguyen@example.com"
    token = pseudonymize(value, KEY)
    for part in ("alice", "nguyen", "example", "@"):
        assert part not in token


def test_pseudonymize_is_idempotent() -> None:
    token = pseudonymize("alice@example.com", KEY)
    assert pseudonymize(token, KEY) == token


def test_bytes_keys_work_and_empty_keys_are_refused() -> None:
    raw = KEY.get_secret_value().encode()
    assert pseudonymize("a@example.com", raw) == pseudonymize("a@example.com", KEY)
    with pytest.raises(ValueError, match="empty"):
        pseudonymize("a@example.com", b"")


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_pseudonymize_array_matches_the_scalar_and_keeps_nulls(kind: pa.DataType) -> None:
    values = ["a@example.com", None, "b@example.com", "a@example.com", "", None]
    out = pseudonymize_array(pa.array(values, type=kind), KEY)
    assert out.type == kind
    assert out.to_pylist() == [None if v is None else pseudonymize(v, KEY) for v in values]
    assert out.null_count == 2
    chunked = pseudonymize_array(pa.chunked_array([values[:3], values[3:]], type=kind), KEY)
    assert chunked.to_pylist() == out.to_pylist()
    empty = pa.array([None, None], type=kind)
    assert pseudonymize_array(empty, KEY).null_count == 2


def test_pseudonymization_is_off_by_default() -> None:
    assert DEFAULT_POLICY.pseudonym_key is None
    assert DEFAULT_POLICY.fields_to_pseudonymize("audit_logs") == ()
    keyed = RedactionPolicy(pseudonym_key=KEY)
    assert keyed.fields_to_pseudonymize("audit_logs") == ("user_email",)
    assert keyed.fields_to_pseudonymize("events") == ("actor_email",)


def test_default_fields() -> None:
    assert DEFAULT_POLICY.fields_to_redact("guardrail_violations") == ("user_message", "reasoning")
    assert DEFAULT_POLICY.fields_to_redact("audit_logs") == ("data",)
    assert DEFAULT_POLICY.fields_to_redact("events") == ()
    assert DEFAULT_POLICY.is_json("audit_logs", "data")
    assert not DEFAULT_POLICY.is_json("guardrail_violations", "user_message")


def test_the_key_never_shows_in_repr_str_or_dumps() -> None:
    secret = KEY.get_secret_value()
    policy = RedactionPolicy(pseudonym_key=secret)  # type: ignore[arg-type]
    for shown in (repr(policy), str(policy), policy.model_dump_json(), str(policy.model_dump())):
        assert secret not in shown
    assert "**********" in repr(policy)


def test_a_short_key_is_refused_without_echoing_it() -> None:
    short = "tiny-FAKE-key"
    with pytest.raises(ValidationError) as raised:
        RedactionPolicy(pseudonym_key=short)  # type: ignore[arg-type]
    assert short not in str(raised.value)
    assert "at least 16" in str(raised.value)


def test_the_policy_is_frozen_and_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_POLICY.entropy_threshold = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RedactionPolicy(redact_feilds={})  # type: ignore[call-arg]

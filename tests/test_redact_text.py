"""redact_text and redact_json_text: what is replaced, by what, and what is left alone.

Every secret here is fake (FAKE / EXAMPLE in the value, or AWS's documented example keys).
"""

from __future__ import annotations

import json

import pytest

from pipeline.redact import RedactionPolicy, redact_json_text, redact_text
from pipeline.redact.detectors import DETECTORS
from tests.data.secrets.corpus import labelled

GITHUB = "ghp_FAKE" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = (
    "MIIEFAKEowIBAAKCAQEAx3Yz9Qm2Lk8Pw1Rt5Vb7Nc4Hd6Jf0Gs3Ke2Ma9Xp1Zq8Wr\n"
    "T5Uy7Io0Pa2Sd4Fg6Hj8Kl1Zx3Cv5Bn7Mq9Wr2Et4Yu6Io8Pa0Sd2Fg4Hj6Kl8Zx0Cv"
)


def test_none_and_empty_come_back_unchanged() -> None:
    assert redact_text(None) == (None, [])
    assert redact_text("") == ("", [])
    assert redact_json_text(None) == (None, [])
    assert redact_json_text("") == ("", [])


def test_clean_text_is_returned_as_the_same_object() -> None:
    text = "Please fix the flaky test in acme/payments-api and open a PR."
    out, kinds = redact_text(text)
    assert out is text and kinds == []


def test_each_secret_becomes_a_typed_placeholder_and_only_kinds_are_returned() -> None:
    text = f"use {AWS_ID} and aws_secret_access_key={AWS_SECRET} then {GITHUB}."
    out, kinds = redact_text(text)
    assert out == (
        "use [REDACTED:aws_access_key] and aws_secret_access_key=[REDACTED:aws_secret_key] "
        "then [REDACTED:github_token]."
    )
    assert kinds == ["aws_access_key", "aws_secret_key", "github_token"]


def test_private_key_block_is_replaced_whole_armour_included() -> None:
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
    out, kinds = redact_text(f"Add this to CI:\n{key}\nthanks")
    assert out == "Add this to CI:\n[REDACTED:private_key]\nthanks"
    assert kinds == ["private_key"]


def test_truncated_private_key_is_redacted_through_its_base64_lines() -> None:
    out, _ = redact_text(f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\nthen deploy it please")
    assert out == "[REDACTED:private_key]\nthen deploy it please"


def test_only_the_password_of_a_url_is_replaced() -> None:
    out, kinds = redact_text("postgres://svc_admin:FAKE-hunter2-EXAMPLE@db.example.test:5432/pay")
    assert out == "postgres://svc_admin:[REDACTED:password_in_url]@db.example.test:5432/pay"
    assert kinds == ["password_in_url"]
    assert redact_text("redis://:FAKEpass123@cache.example.test/0")[0] == (
        "redis://:[REDACTED:password_in_url]@cache.example.test/0"
    )


def test_keyword_assignments_keep_the_key() -> None:
    out, kinds = redact_text('DB_PASSWORD=FAKE-s3cr3t-1\napi_key: "FAKEkey123"\n--token FAKEtok42')
    assert out == (
        "DB_PASSWORD=[REDACTED:generic_secret]\n"
        'api_key: "[REDACTED:generic_secret]"\n'
        "--token [REDACTED:generic_secret]"
    )
    assert kinds == ["generic_secret"] * 3


def test_a_provider_format_wins_over_the_generic_keyword() -> None:
    out, kinds = redact_text(f"password={GITHUB}")
    assert out == "password=[REDACTED:github_token]" and kinds == ["github_token"]


@pytest.mark.parametrize(
    "text",
    [
        "password=<your-password>",
        "api_key=${API_KEY}",
        "API_KEY=YOUR_API_KEY_HERE",
        "token: {{ secrets.GITHUB_TOKEN }}",
        'password = os.environ["DB_PASSWORD"]',
        "Please reset your password via the SSO portal.",
        "password: required",
        "Authorization: Bearer <token>",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "devin-0123456789abcdef0123456789abcdef",
    ],
)
def test_placeholders_and_prose_are_not_secrets(text: str) -> None:
    assert redact_text(text) == (text, [])


def test_entropy_threshold_comes_from_the_policy() -> None:
    text = "the signing key is 8fK2xQ9vR4tL7wN3pZ5sYb1M, rotate it"
    assert redact_text(text)[1] == ["high_entropy"]
    strict = RedactionPolicy(entropy_threshold=5.5)
    assert redact_text(text, strict) == (text, [])


def test_placeholders_are_not_redacted_again() -> None:
    once, _ = redact_text(f"curl -u admin:FAKE-pass-1 https://x.example.test and {GITHUB}")
    assert redact_text(once) == (once, [])


def test_detector_table_names_its_sources() -> None:
    sources = {d.source for d in DETECTORS}
    assert sources == {"detect-secrets", "ours", "both"}
    assert {d.kind for d in DETECTORS if d.source != "ours"} >= {
        "aws_access_key", "gitlab_token", "azure_storage_key", "generic_secret", "high_entropy",
    }  # fmt: skip


# -- JSON text ----------------------------------------------------------------------------------


def test_json_text_stays_valid_and_keeps_its_layout() -> None:
    doc = '{"session_id": "devin-0123", "n": 1e5, "note": "token ' + GITHUB + '", "x": [1.50]}'
    out, kinds = redact_json_text(doc)
    assert out == doc.replace(GITHUB, "[REDACTED:github_token]")
    assert kinds == ["github_token"]
    json.loads(out or "")


def test_json_value_under_a_secret_key_is_redacted_whole() -> None:
    doc = '{"username": "svc", "password": "hunter2FAKE", "secret_name": "NPM_TOKEN"}'
    out, kinds = redact_json_text(doc)
    assert json.loads(out or "") == {
        "username": "svc",
        "password": "[REDACTED:generic_secret]",
        "secret_name": "NPM_TOKEN",
    }
    assert kinds == ["generic_secret"]


def test_json_with_escapes_is_decoded_redacted_and_reencoded() -> None:
    key = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
    doc = json.dumps({"private_key": key, "pw": "postgres://u:FAKE-pw-1@h.test/db", "t": 'a"b'})
    out, kinds = redact_json_text(doc)
    assert json.loads(out or "") == {
        "private_key": "[REDACTED:private_key]",
        "pw": "postgres://u:[REDACTED:password_in_url]@h.test/db",
        "t": 'a"b',
    }
    assert kinds == ["private_key", "password_in_url"]


def test_json_unicode_escapes_cannot_hide_a_secret() -> None:
    hidden = "\\u0041KIAIOSFODNN7EXAMPLE"  # "AKIA..." with its A escaped
    out, kinds = redact_json_text('{"k": "' + hidden + '"}')
    assert json.loads(out or "") == {"k": "[REDACTED:aws_access_key]"}
    assert kinds == ["aws_access_key"]


def test_clean_json_is_returned_as_the_same_object() -> None:
    doc = '{"session_id": "devin-0123456789abcdef0123456789abcdef", "message_length": 1700}'
    out, kinds = redact_json_text(doc)
    assert out is doc and kinds == []


def test_text_that_is_not_json_is_redacted_as_text() -> None:
    out, kinds = redact_json_text(f"not json: {GITHUB}")
    assert out == "not json: [REDACTED:github_token]" and kinds == ["github_token"]


def test_every_json_shaped_corpus_text_stays_valid_json() -> None:
    checked = 0
    for entry in labelled():
        try:
            json.loads(entry.text)
        except ValueError:
            continue
        out, _ = redact_json_text(entry.text)
        json.loads(out or "")
        assert not any(secret in (out or "") for secret in entry.secrets)
        checked += 1
    assert checked >= 6


def test_corpus_texts_inside_json_documents_are_redacted_and_stay_valid() -> None:
    total = removed = 0
    for entry in labelled():
        doc = json.dumps({"session_id": "devin-0123", "note": entry.text, "n": 17})
        out, _ = redact_json_text(doc)
        note = json.loads(out or "")["note"]
        total += len(entry.secrets)
        removed += sum(secret not in note for secret in entry.secrets)
    assert removed / total >= 0.95

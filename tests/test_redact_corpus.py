"""Redaction measured on the labelled corpus (tests/data/secrets): recall, false positives,
kinds, and the corpus's own hygiene (deterministic, every secret visibly fake)."""

from __future__ import annotations

import base64
import binascii
import importlib.util
import json
from collections import Counter
from types import ModuleType

import pytest

from pipeline.redact import KINDS, redact_text
from pipeline.redact.findings import find_secrets
from tests.data.secrets.corpus import HERE, labelled, lookalikes

REQUIRED_KINDS = {
    "aws_access_key", "aws_secret_key", "github_token", "gitlab_token", "slack_token",
    "stripe_key", "google_api_key", "openai_key", "anthropic_key", "jwt", "private_key",
    "password_in_url", "basic_auth", "bearer_token", "azure_storage_key", "generic_secret",
    "high_entropy",
}  # fmt: skip
MIN_RECALL = 0.95
MIN_KIND_ACCURACY = 0.9


def _make_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _measure() -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per labelled kind: secrets, secrets gone from the output, secrets given that kind."""
    total: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    right_kind: Counter[str] = Counter()
    for entry in labelled():
        out, _ = redact_text(entry.text)
        assert out is not None
        findings = find_secrets(entry.text)
        for secret, kind in zip(entry.secrets, entry.kinds, strict=True):
            total[kind] += 1
            removed[kind] += secret not in out
            at = entry.text.index(secret)
            kinds = {f.kind for f in findings if f.start < at + len(secret) and at < f.end}
            right_kind[kind] += kind in kinds
    return total, removed, right_kind


def test_corpus_is_what_the_generator_writes() -> None:
    module = _make_corpus()
    fakes = module.Fakes(module.SEED)
    secrets = [json.dumps(r, ensure_ascii=False) for r in module.secrets(fakes)]
    looks = [json.dumps({"text": t}, ensure_ascii=False) for t in module.lookalikes(fakes)]
    assert (HERE / "secrets.jsonl").read_text(encoding="utf-8") == "\n".join(secrets) + "\n"
    assert (HERE / "lookalikes.jsonl").read_text(encoding="utf-8") == "\n".join(looks) + "\n"


def test_corpus_size_and_coverage() -> None:
    entries = labelled()
    assert len(entries) >= 120
    assert len(lookalikes()) >= 80
    covered = {kind for e in entries for kind in e.kinds}
    assert REQUIRED_KINDS <= covered
    assert covered <= set(KINDS)
    for entry in entries:
        assert all(secret in entry.text for secret in entry.secrets)


def _marked_fake(secret: str) -> bool:
    if any(mark in secret for mark in ("FAKE", "EXAMPLE", "fake")):
        return True
    try:  # base64 credentials and JWT parts carry the mark once decoded
        parts = secret.split(".")
        return any(b"FAKE" in base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in parts)
    except (binascii.Error, ValueError):
        return False


def test_every_secret_is_visibly_fake_or_seeded_random() -> None:
    # Pure random key material (high_entropy, hex values) cannot say FAKE without stopping
    # looking random; those come from the generator's fixed seed (README.md says so).
    for entry in labelled():
        for secret, kind in zip(entry.secrets, entry.kinds, strict=True):
            seeded_random = kind == "high_entropy" or all(c in "0123456789abcdef" for c in secret)
            assert seeded_random or _marked_fake(secret), kind


def test_recall_per_kind_and_overall() -> None:
    total, removed, right_kind = _measure()
    print(f"\n{'kind':20} {'recall':>10} {'kind ok':>10}")
    for kind in sorted(total):
        print(f"{kind:20} {removed[kind]:>4}/{total[kind]:<5} {right_kind[kind]:>4}/{total[kind]}")
    recall = sum(removed.values()) / sum(total.values())
    accuracy = sum(right_kind.values()) / sum(total.values())
    print(f"overall recall {recall:.3f}, kind accuracy {accuracy:.3f}")
    assert recall >= MIN_RECALL
    assert accuracy >= MIN_KIND_ACCURACY
    for kind in REQUIRED_KINDS - {"generic_secret"}:  # prose and odd formats live there
        assert removed[kind] == total[kind], kind
    for kind in REQUIRED_KINDS:
        assert right_kind[kind] >= 0.75 * total[kind], kind


@pytest.mark.parametrize("text", lookalikes())
def test_lookalikes_are_left_alone(text: str) -> None:
    assert redact_text(text) == (text, [])


def test_redaction_is_idempotent_on_the_corpus() -> None:
    for entry in labelled():
        once, _ = redact_text(entry.text)
        assert redact_text(once) == (once, [])

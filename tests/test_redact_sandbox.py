"""Redaction against what the sandbox generates: every fake secret its prompts carry is gone,
and nothing else it writes (audit ``data``, guardrail reasoning) is touched."""

from __future__ import annotations

import random

import orjson
import pyarrow as pa
import pytest

from pipeline.redact import redact_array, redact_json_array, redact_text
from sandbox import prompts
from sandbox.activity import ActivityModel
from sandbox.config import SandboxConfig
from sandbox.roster import build_roster

MAKERS = [
    prompts.fake_aws_key_id, prompts.fake_aws_secret, prompts.fake_github_token,
    prompts.fake_slack_token, prompts.fake_private_key, prompts.fake_db_url,
    prompts.fake_stripe_key,
]  # fmt: skip
FIRST_DAY = 20_520  # 2026-03-07
DAYS = 10


@pytest.fixture(scope="module")
def generated() -> tuple[list[str], list[str], list[str]]:
    """Audit ``data`` documents, user messages and reasonings of a few sandbox days."""
    config = SandboxConfig(seed=7)
    model = ActivityModel(config, build_roster(config))
    data, messages, reasonings = [], [], []
    for day in range(FIRST_DAY, FIRST_DAY + DAYS):
        activity = model.day(day)
        data += [orjson.dumps(orjson.loads(r.raw)["data"]).decode() for r in activity.audit]
        for row in activity.violations:
            violation = orjson.loads(row.raw)
            messages.append(violation["user_message"])
            reasonings.append(violation["reasoning"])
    return data, messages, reasonings


@pytest.mark.parametrize("maker", MAKERS, ids=lambda m: m.__name__)
def test_every_fake_secret_of_the_sandbox_is_redacted(maker: object) -> None:
    rng = random.Random(11)
    for _ in range(50):
        secret = maker(rng)  # type: ignore[operator]
        out, kinds = redact_text(f"Please use {secret} for the deploy.")
        assert "FAKE" not in (out or "") and "EXAMPLE" not in (out or ""), kinds
        assert kinds


def test_violation_messages_lose_their_secrets_and_reasonings_stay(
    generated: tuple[list[str], list[str], list[str]],
) -> None:
    _, messages, reasonings = generated
    out = redact_array(pa.array(messages)).to_pylist()
    assert sum(o != m for o, m in zip(out, messages, strict=True)) > 0
    for text in out:  # the sandbox marks each of its secrets FAKE or EXAMPLE
        assert "FAKE" not in text and "EXAMPLE" not in text
    assert redact_array(pa.array(reasonings)).to_pylist() == reasonings


def test_audit_data_holds_no_secret_and_is_left_alone(
    generated: tuple[list[str], list[str], list[str]],
) -> None:
    data, _, _ = generated
    assert len(data) > 5_000
    assert redact_json_array(pa.array(data)).to_pylist() == data

"""The vectorized path: same answers as the scalar functions, nulls and types kept, and fast
because Arrow's RE2 screens out the rows no detector could fire on."""

from __future__ import annotations

import json
import random
import time
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.redact import (
    DEFAULT_POLICY,
    RedactionPolicy,
    redact_array,
    redact_json_array,
    redact_json_text,
    redact_table,
    redact_text,
)
from pipeline.redact.arrays import JSON_PREFILTER, candidates
from pipeline.redact.detector import Thresholds
from pipeline.redact.detectors import DETECTORS, PREFILTER, TRIGGERS
from pipeline.redact.findings import active_triggers
from tests.data.secrets.corpus import labelled, lookalikes

GITHUB = "ghp_FAKE" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"


def _texts() -> list[str]:
    return [e.text for e in labelled()] + lookalikes()


def _json_docs() -> list[str]:
    docs = [json.dumps({"note": t}) for t in _texts()]
    docs += [json.dumps({"note": t}, ensure_ascii=False).replace("\\n", " ") for t in _texts()]
    return docs + [e.text for e in labelled()]  # some corpus texts are JSON, some are not


def test_every_trigger_is_valid_re2() -> None:
    probe = pa.array(["x"])
    for trigger in (*TRIGGERS, PREFILTER, JSON_PREFILTER):
        pc.match_substring_regex(probe, trigger)  # raises ArrowInvalid if RE2 rejects it


def test_each_detector_fires_only_where_its_re2_trigger_matches() -> None:
    # The invariant the screen rests on: a detector that fires on a text has a trigger that
    # matches it in RE2 (Arrow's engine), not only in Python's re.
    texts = _texts()
    limits = Thresholds()
    for detector in DETECTORS:
        fired = [
            t for t in texts
            if any(detector.locate(m, limits) for m in detector.pattern.finditer(t))
        ]  # fmt: skip
        if fired:
            matched = pc.match_substring_regex(pa.array(fired), detector.trigger).to_pylist()
            assert all(matched), detector.kind


def test_python_and_re2_agree_on_which_triggers_match() -> None:
    texts = _texts()
    by_re2 = {t: pc.match_substring_regex(pa.array(texts), t).to_pylist() for t in TRIGGERS}
    for i, text in enumerate(texts):
        assert active_triggers(text) == {t for t in TRIGGERS if by_re2[t][i]}


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_redact_array_agrees_with_redact_text_on_the_corpus(kind: pa.DataType) -> None:
    texts = _texts()
    counts: Counter[str] = Counter()
    out = redact_array(pa.array(texts, type=kind), counts=counts)
    assert out.type == kind
    expected = [redact_text(t) for t in texts]
    assert out.to_pylist() == [text for text, _ in expected]
    assert counts == Counter(k for _, kinds in expected for k in kinds)


def test_redact_json_array_agrees_with_redact_json_text() -> None:
    docs = _json_docs()
    counts: Counter[str] = Counter()
    out = redact_json_array(pa.array(docs), counts=counts)
    expected = [redact_json_text(d) for d in docs]
    assert out.to_pylist() == [text for text, _ in expected]
    assert counts == Counter(k for _, kinds in expected for k in kinds)


def test_nulls_and_empty_strings_survive() -> None:
    values = pa.array([None, "", f"token {GITHUB}", None, "plain"], type=pa.large_string())
    for redact in (redact_array, redact_json_array):
        out = redact(values)
        assert out.to_pylist() == [None, "", "token [REDACTED:github_token]", None, "plain"]
        assert out.null_count == 2
    assert redact_array(pa.array([None, None], type=pa.string())).null_count == 2
    assert len(redact_array(pa.array([], type=pa.string()))) == 0


def test_an_array_without_secrets_is_returned_as_is() -> None:
    values = pa.array(['{"session_id": "devin-0123", "message_length": 1700}'] * 3)
    assert redact_json_array(values) is values
    assert redact_array(values) is values


def test_chunked_and_sliced_arrays() -> None:
    chunked = pa.chunked_array([["a", f"x {GITHUB}"], [None, "password=FAKE-pw-12"]])
    out = redact_array(chunked)
    assert isinstance(out, pa.ChunkedArray) and out.num_chunks == 2
    assert out.to_pylist() == [
        "a", "x [REDACTED:github_token]", None, "password=[REDACTED:generic_secret]",
    ]  # fmt: skip
    sliced = pa.array(["p", f"{GITHUB}", "q", "r"]).slice(1, 2)
    assert redact_array(sliced).to_pylist() == ["[REDACTED:github_token]", "q"]


def test_other_types_are_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="cast it first"):
        redact_array(pa.array([1, 2]))


def test_redact_table_applies_the_policy_per_table() -> None:
    table = pa.table(
        {
            "violation_id": pa.array([1, 2], pa.int64()),
            "user_message": [f"use {GITHUB}", None],
            "reasoning": ["A token matching a known secret format was pasted.", "ok"],
            "guardrail_name": [f"{GITHUB}", "x"],  # not a redacted field: left alone
        }
    )
    counts: Counter[str] = Counter()
    out = redact_table("guardrail_violations", table, counts=counts)
    assert out.schema == table.schema
    assert out.column("user_message").to_pylist() == ["use [REDACTED:github_token]", None]
    assert out.column("reasoning") == table.column("reasoning")
    assert out.column("guardrail_name") == table.column("guardrail_name")
    assert counts == Counter({"github_token": 1})
    audit = pa.table({"data": ['{"password": "FAKE-pw-1234"}'], "user_email": ["a@example.com"]})
    out = redact_table("audit_logs", audit)
    assert out.column("data").to_pylist() == ['{"password": "[REDACTED:generic_secret]"}']
    assert out.column("user_email").to_pylist() == ["a@example.com"]  # no key: no pseudonyms
    keyed = RedactionPolicy(pseudonym_key="k" * 32)  # type: ignore[arg-type]
    pseudonym = redact_table("audit_logs", audit, keyed).column("user_email")[0].as_py()
    assert pseudonym.startswith("pseud:")
    assert redact_table("events", audit).equals(audit)  # nothing to redact in events


def _audit_rows(n: int, secret_share: float, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        sid = f"devin-{rng.getrandbits(128):032x}"
        if rng.random() < secret_share:
            rows.append(json.dumps({"session_id": sid, "note": f"password=FAKE-{i:08x}"}))
        else:
            rows.append(json.dumps({"session_id": sid, "message_length": rng.randint(1, 4000)}))
    return rows


def test_the_screen_passes_only_rows_that_may_hold_a_secret() -> None:
    values = pa.array(_audit_rows(2_000, 0.01))
    mask = candidates(values, JSON_PREFILTER)
    flagged = [v for v, m in zip(values.to_pylist(), mask.to_pylist(), strict=True) if m]
    assert flagged and all("password=" in v for v in flagged)


def test_redacting_100k_audit_rows_is_fast() -> None:
    # A loose bound (about 20x the measured time on a 2-core machine) to catch a lost screen.
    values = pa.array(_audit_rows(100_000, 0.01))
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    out = redact_json_array(values, DEFAULT_POLICY, counts=counts)
    elapsed = time.perf_counter() - start
    assert counts["generic_secret"] == sum("password=" in v for v in values.to_pylist())
    assert len(out) == len(values)
    assert elapsed < 3.0, f"{elapsed:.2f} s for 100k rows"


def _mutants(count: int, seed: int = 17) -> list[str]:
    """Corpus texts cut, joined, re-cased and sprinkled with non-ASCII look-alike letters: the
    places where Python's re and RE2 could disagree."""
    rng = random.Random(seed)
    texts = _texts()
    oddities = ["İ", "ı", "K", "ſ", "ß", "é", "\u00a0", "\t", "\n", "\\n", '"', "'", "=", ":", " "]  # noqa: RUF001
    out = []
    for _ in range(count):
        text = rng.choice(texts)
        if rng.random() < 0.3:
            text += rng.choice(" \n;") + rng.choice(texts)
        if rng.random() < 0.3:
            start = rng.randrange(len(text))
            text = text[start : start + rng.randint(10, 200)]
        chars = list(text)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(chars) + 1)
            chars.insert(i, rng.choice(oddities))
        text = "".join(chars)
        if rng.random() < 0.3:
            text = text.swapcase() if rng.random() < 0.5 else text.upper()
        out.append(text)
    return out


def test_array_and_text_agree_on_mutated_texts() -> None:
    texts = _mutants(1_500)
    assert redact_array(pa.array(texts)).to_pylist() == [redact_text(t)[0] for t in texts]
    docs = [json.dumps({"note": t}, ensure_ascii=False) for t in texts]
    assert redact_json_array(pa.array(docs)).to_pylist() == [redact_json_text(d)[0] for d in docs]


def test_triggers_hold_on_mutated_texts() -> None:
    # Both screens (RE2 for arrays, Python's re for single texts) must pass every text a
    # detector fires on; they may differ elsewhere (RE2 folds "ſ" to "s", Python does not).  # noqa: RUF003
    texts = _mutants(3_000, seed=18)
    limits = Thresholds()
    by_re2 = {t: pc.match_substring_regex(pa.array(texts), t).to_pylist() for t in TRIGGERS}
    for i, text in enumerate(texts):
        fired = {
            d.trigger
            for d in DETECTORS
            if any(d.locate(m, limits) for m in d.pattern.finditer(text))
        }
        assert fired <= {t for t in TRIGGERS if by_re2[t][i]}
        assert fired <= active_triggers(text)

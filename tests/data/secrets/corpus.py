"""The labelled redaction corpus as Python values, for the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Labelled:
    """One text of secrets.jsonl: its exact secret substrings and the kind of each."""

    text: str
    secrets: tuple[str, ...]
    kinds: tuple[str, ...]


def _lines(name: str) -> list[dict[str, object]]:
    with (HERE / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def labelled() -> list[Labelled]:
    """Every entry of secrets.jsonl (``kinds`` defaults to ``kind`` for each secret)."""
    entries = []
    for row in _lines("secrets.jsonl"):
        secrets = tuple(row["secrets"])  # type: ignore[arg-type]
        kinds = row.get("kinds") or [row["kind"]] * len(secrets)
        entries.append(Labelled(str(row["text"]), secrets, tuple(kinds)))  # type: ignore[arg-type]
    return entries


def lookalikes() -> list[str]:
    """Every text of lookalikes.jsonl."""
    return [str(row["text"]) for row in _lines("lookalikes.jsonl")]

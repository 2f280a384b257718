"""Deterministic randomness: one independent RNG per (seed, purpose, ...) tuple.

We hash the parts ourselves so that the RNG for day 20500 shares nothing with the one for day
20501, and the result is stable across runs and PYTHONHASHSEED values.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

_T = TypeVar("_T")


class Dice(random.Random):
    """A Mersenne Twister whose `choice` and `randint` draw one float instead of rejection
    sampling bits: about 5x faster, with a bias below 2**-50 that no synthetic data can show.
    Generating a year of history makes millions of these calls."""

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        """A uniformly chosen element of the non-empty `seq`."""
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        """A uniform integer in [a, b], both ends included."""
        return a + int(self.random() * (b - a + 1))


def seed_int(*parts: object) -> int:
    """A 64-bit integer that depends only on `parts` (their repr, in order)."""
    text = "\x1f".join(repr(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng_for(*parts: object) -> Dice:
    """A fresh RNG determined by `parts`; the same parts always give the same stream."""
    return Dice(seed_int(*parts))


def hex_token(rng: random.Random, length: int) -> str:
    """`length` lowercase hex digits drawn from `rng`."""
    return f"{rng.getrandbits(4 * length):0{length}x}"

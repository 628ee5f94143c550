"""Deterministic draws from a hash of the credit code: the same code always gets the same data.

No global random state: each firm and purpose has its own stream, so adding firms, reordering the
seed or drawing more for one source never changes what another firm or source got.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_WORD = 4  # bytes per draw
_SCALE = float(2 ** (8 * _WORD))


class Dice:
    """A stream of numbers drawn from blake2b(code/purpose), extended by re-hashing when used up."""

    def __init__(self, code: str, purpose: str) -> None:
        """Start the stream for one firm (or made-up key) and one purpose."""
        self._block = hashlib.blake2b(f"{code}/{purpose}".encode(), digest_size=64).digest()
        self._at = 0

    def _next_word(self) -> int:
        """The next 32 bits of the stream."""
        if self._at + _WORD > len(self._block):
            self._block = hashlib.blake2b(self._block, digest_size=64).digest()
            self._at = 0
        word = int.from_bytes(self._block[self._at : self._at + _WORD], "big")
        self._at += _WORD
        return word

    def unit(self) -> float:
        """A number in [0, 1)."""
        return self._next_word() / _SCALE

    def between(self, low: int, high: int) -> int:
        """An integer from low to high, both included."""
        return low + self._next_word() % (high - low + 1)

    def pick(self, choices: Sequence[T]) -> T:
        """One of the choices."""
        return choices[self._next_word() % len(choices)]

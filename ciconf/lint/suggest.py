"""Did-you-mean for lint findings, bounded however many names a config defines.

`ciconf.errors.closest` compares a word with every candidate (difflib, quadratic in the length
of the two strings), which is right for a profile's few keys and far too slow for a config with
thousands of job names, each possibly long. Here candidates are grouped by length once; a word
is compared only with names of a length that could reach difflib's 0.6 similarity at all
(2 * min / (sum of lengths) >= 0.6), nearest lengths first, at most MAX_COMPARED of them, and
neither the word nor a candidate may be longer than MAX_LENGTH. For a handful of names the
answer is the one `difflib.get_close_matches` gives.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_LENGTH = 100
MAX_COMPARED = 200
CUTOFF = 0.6


class Suggestions:
    def __init__(self, candidates: Iterable[str]) -> None:
        self.by_length: dict[int, list[str]] = {}
        for name in sorted({str(name) for name in candidates}):
            if len(name) <= MAX_LENGTH:
                self.by_length.setdefault(len(name), []).append(name)
        self.memo: dict[str, str | None] = {}

    def closest(self, word: str) -> str | None:
        if word not in self.memo:
            self.memo[word] = self._closest(word)
        return self.memo[word]

    def _closest(self, word: str) -> str | None:
        size = len(word)
        if not size or size > MAX_LENGTH or not self.by_length:
            return None
        compared: list[str] = []
        for delta in range(MAX_LENGTH + 1):
            for length in (size - delta, size + delta) if delta else (size,):
                if length > 0 and 2 * min(size, length) >= CUTOFF * (size + length):
                    compared.extend(self.by_length.get(length, ())[: MAX_COMPARED - len(compared)])
            if len(compared) >= MAX_COMPARED or 2 * size < CUTOFF * (2 * size + delta):
                break
        matches = difflib.get_close_matches(word, compared, n=1, cutoff=CUTOFF)
        return matches[0] if matches else None

"""Near-duplicate reports: the same text in the other script, re-wrapped, reposted.

A report's *signature* is a MinHash of the 5-character shingles of its
sentences after script normalisation (Traditional to Simplified, full width
folded) with everything but letters and digits removed, so wrapping, spacing,
punctuation and script do not count.  Two signatures' agreement estimates the
Jaccard similarity of the shingle sets; a repost keeps nearly all sentences of
the original and adds only chrome the cleaner mostly removes.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from yanbao.core.records import Report

from .script import normalise

__all__ = ["SIGNATURE_SIZE", "DUPLICATE_SIMILARITY", "signature", "similarity"]

SIGNATURE_SIZE = 128
# Two different reports on one topic share phrases but not most 5-grams; a
# repost with a source line and a "(转载)" suffix agrees on well over 0.8.
DUPLICATE_SIMILARITY = 0.8
_SHINGLE = 5
_NON_WORD_RE = re.compile(r"[\W_]+")
_rng = np.random.default_rng(20240611)  # fixed: signatures are stored and compared across runs
# Multiply-shift hashing: (a*x + b) mod 2**64, top 32 bits; ``a`` odd.  The
# wrap-around is what makes each of the 128 functions order the shingles differently.
_A = _rng.integers(0, 2**63, SIGNATURE_SIZE, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63, SIGNATURE_SIZE, dtype=np.uint64)


def signature(report: Report) -> list[int]:
    """Return the MinHash signature (``SIGNATURE_SIZE`` integers) of a report's sentences.

    Empty for a report too short to have a shingle.
    """
    text = _NON_WORD_RE.sub("", normalise("".join(s.text for s in report.sentences))).lower()
    shingles = {zlib.crc32(text[i : i + _SHINGLE].encode("utf-8")) for i in range(len(text) - _SHINGLE + 1)}
    if not shingles:
        return []
    values = np.fromiter(shingles, dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashed = (_A[:, None] * values[None, :] + _B[:, None]) >> np.uint64(32)
    return [int(v) for v in hashed.min(axis=1)]


def similarity(a: list[int], b: list[int]) -> float:
    """The estimated Jaccard similarity of two signatures (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b)) / len(a)

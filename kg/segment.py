"""jieba segmentation with the domain lexicons as a user dictionary.

jieba keeps one global tokenizer; this module configures it once per process
(the domain terms added as words) and hands out token spans with POS tags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Token", "tokens", "words", "warm_up", "idf_weight"]


@dataclass(frozen=True)
class Token:
    """One segmented word of a normalised text, with its span and POS tag."""

    text: str
    start: int
    end: int
    pos: str


@lru_cache(maxsize=1)
def _dictionary():
    """jieba's default tokenizer with the domain terms added as words (once per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    from yanbao.core.cache import cache_dir

    # jieba keeps its dictionary as a marshal file in the shared temp folder by
    # default, where another local user could plant one: use the private cache.
    private = cache_dir()
    if private is not None:
        jieba.dt.tmp_dir = str(private)
    from .lexicon import load_lexicon

    lex = load_lexicon()
    # Domain terms become single words, so phrases are cut at their edges.
    for term in lex.technology | lex.actor_nouns:
        if len(term) >= 2:
            jieba.add_word(term, freq=50000, tag="nz")
    for term in lex.regions:
        if len(term) >= 2:
            jieba.add_word(term, freq=50000, tag="ns")
    return jieba.dt


@lru_cache(maxsize=1)
def _tokenizer():
    _dictionary()
    import jieba.posseg  # the POS tagger loads its own tables: only extraction needs it

    return jieba.posseg.dt


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Token, ...]:
    """Segment normalised ``text`` into :class:`Token` spans (no HMM, deterministic).

    Cached: extraction asks for the same sentence's tokens from several rules.
    """
    out: list[Token] = []
    pos = 0
    for pair in _tokenizer().cut(text, HMM=False):
        word, flag = pair.word, pair.flag
        out.append(Token(word, pos, pos + len(word), flag))
        pos += len(word)
    return tuple(out)


def words(text: str) -> list[str]:
    """Segment normalised ``text`` into words (search tokenisation).

    The HMM joins characters of words missing from the dictionary (失联, 账龄)
    instead of leaving them as single characters; it is deterministic.
    """
    return [w for w in _dictionary().cut(text, HMM=True) if w.strip()]


def warm_up() -> None:
    """Load jieba's dictionary, the domain lexicons and the POS tagger now."""
    _tokenizer()


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table, read once and kept in the user's cache (:mod:`yanbao.core.cache`).

    Parsing the 260k-line text table costs ~0.4 s, too much for a cold ``ask``.
    """
    from pathlib import Path

    import jieba

    from yanbao.core import cache

    source = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    name = f"idf-{source.stat().st_mtime_ns}.marshal"
    cached = cache.load(name)
    if isinstance(cached, tuple) and len(cached) == 2:
        return cached
    table = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, _, freq = line.rpartition(" ")
        if word:
            table[word] = float(freq)
    median = sorted(table.values())[len(table) // 2]
    cache.save(name, (table, median))
    return table, median


def idf_weight(term: str) -> float:
    """How specific a word is in general Chinese (jieba's IDF table; unknown words weigh most)."""
    table, median = _idf_table()
    if term in table:
        return table[term]
    # Unknown words are often the segmenter's guesses (账龄长): weigh them as a
    # typical word, not as the rarest.
    return median

"""jieba segmentation with the domain lexicons as a user dictionary.

jieba keeps one global tokenizer; this module configures it once per process
(the domain terms added as words) and hands out token spans with POS tags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Token", "tokens", "words", "warm_up"]


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

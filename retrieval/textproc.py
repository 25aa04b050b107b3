"""Text processing shared by indexing and question analysis.

Tokens are jieba words of the script-normalised text (the domain lexicons are
in jieba's dictionary), lower-cased, punctuation dropped.
"""

from __future__ import annotations

import re

from yanbao.corpus.script import normalise, search_form
from yanbao.kg.segment import idf_weight, words

__all__ = ["search_tokens", "char_bigrams", "idf_weight", "content_terms"]

_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")
_INTERROGATIVES = tuple(
    normalise(w) for w in "哪些 哪个 哪家 哪种 哪类 哪里 什么 如何 怎么 怎样 为什么 为何 是否 多少 是不是".split()
)


def search_tokens(text: str) -> list[str]:
    """Tokens for BM25: jieba words of the normalised text, no punctuation."""
    return [w.lower() for w in words(search_form(text)) if _WORD_RE.search(w)]


_NON_WORD_RE = re.compile(r"[^\w\u4e00-\u9fff]+")


def char_bigrams(text: str) -> list[str]:
    """Character bigrams of the normalised, lower-cased text, punctuation and spaces
    removed (no segmenter: robust to segmentation errors, typos and unknown words)."""
    t = _NON_WORD_RE.sub("", search_form(text).lower())
    return [t[i : i + 2] for i in range(len(t) - 1)] or ([t] if t else [])


def content_terms(text: str, stopwords: frozenset[str], tokens: tuple[str, ...] | None = None) -> list[str]:
    """The subject words of a question: tokens minus stopwords and single characters.

    ``stopwords`` should include the intent cue words (挑战, 趋势, 机会 ...):
    they say what is asked about the subject, not what the subject is.
    """
    out = []
    for tok in search_tokens(text) if tokens is None else tokens:
        if tok in stopwords or (len(tok) < 2 and not tok.isascii()):
            continue
        if any(tok.startswith(w) or tok.endswith(w) for w in _INTERROGATIVES if len(tok) > len(w)):
            continue  # 哪些地方, 是什么: the segmenter glued a question word to a frame word
        if re.fullmatch(r"\d+", tok):
            continue
        if tok not in out:
            out.append(tok)
    return out

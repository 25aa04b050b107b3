"""Text processing shared by indexing and question analysis.

Tokens are jieba words of the script-normalised text (the domain lexicons are
in jieba's dictionary), lower-cased, punctuation dropped.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from yanbao.corpus.script import normalise

__all__ = ["search_tokens", "idf_weight", "content_terms"]

_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")
_INTERROGATIVES = tuple(
    normalise(w) for w in "哪些 哪个 哪家 哪种 哪类 哪里 什么 如何 怎么 怎样 为什么 为何 是否 多少 是不是".split()
)


def search_tokens(text: str) -> list[str]:
    """Tokens for BM25: jieba words of the normalised text, no punctuation."""
    from yanbao.kg.segment import words

    return [w.lower() for w in words(normalise(text)) if _WORD_RE.search(w)]


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table, read once and kept as a marshal file beside jieba's own cache.

    Parsing the 260k-line text table costs ~0.4 s, too much for a cold ``ask``.
    """
    import marshal
    import tempfile
    from pathlib import Path

    import jieba

    source = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    cache = Path(tempfile.gettempdir()) / f"yanbao-idf-{source.stat().st_mtime_ns}.marshal"
    try:
        table, median = marshal.loads(cache.read_bytes())
        return table, median
    except (OSError, ValueError, EOFError, TypeError):
        pass
    table = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, _, freq = line.rpartition(" ")
        if word:
            table[word] = float(freq)
    median = sorted(table.values())[len(table) // 2]
    try:
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((table, median)))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only temp folder only costs speed
    return table, median


def idf_weight(term: str) -> float:
    """How specific a word is in general Chinese (jieba's IDF table; unknown words weigh most)."""
    table, median = _idf_table()
    if term in table:
        return table[term]
    # Unknown words are often the segmenter's guesses (账龄长): weigh them as a
    # typical word, not as the rarest.
    return median


def content_terms(text: str, stopwords: frozenset[str]) -> list[str]:
    """The subject words of a question: tokens minus stopwords and single characters.

    ``stopwords`` should include the intent cue words (挑战, 趋势, 机会 ...):
    they say what is asked about the subject, not what the subject is.
    """
    out = []
    for tok in search_tokens(text):
        if tok in stopwords or (len(tok) < 2 and not tok.isascii()):
            continue
        if any(tok.startswith(w) or tok.endswith(w) for w in _INTERROGATIVES if len(tok) > len(w)):
            continue  # 哪些地方, 是什么: the segmenter glued a question word to a frame word
        if re.fullmatch(r"\d+", tok):
            continue
        if tok not in out:
            out.append(tok)
    return out

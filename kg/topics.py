"""A report's topics: title words and unsupervised keyphrases (TF-IDF over jieba words).

Topics route a question to the reports that cover it; they come from the
report's own title and body, never from its sidebar or teasers.
"""

from __future__ import annotations

import re

from yanbao.corpus.script import normalise
from yanbao.core.records import Report

from .lexicon import Lexicon
from .segment import normalised, tokens

__all__ = ["report_topics"]

_TOPIC_POS = {"n", "nz", "vn", "nt", "ns", "eng", "l", "j", "nr"}


def report_topics(report: Report, lex: Lexicon, top_k: int = 25) -> list[str]:
    """Return the report's topic terms (normalised script), title words first.

    Title words are the title's nouns that are not generic report words; the
    keyphrases are the body's top nouns by TF-IDF (jieba's IDF table).
    """
    topics: list[str] = []
    title = normalise(report.title)
    for t in tokens(re.sub(r"\d{4}(-\d{4})?年?", " ", title)):
        if len(t.text) >= 2 and t.text not in lex.topic_stopwords and t.pos in _TOPIC_POS | {"v", "vn"}:
            topics.append(t.text)
    # TF-IDF over the body's nouns, with jieba's general-Chinese IDF table (the
    # same tokens extraction already computed, so this costs almost nothing).
    from .segment import idf_weight

    counts: dict[str, int] = {}
    for s in report.sentences:
        for t in tokens(normalised(s.text)):
            if t.pos in _TOPIC_POS and len(t.text) >= 2 and t.text not in lex.topic_stopwords:
                counts[t.text] = counts.get(t.text, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w] * idf_weight(w), w))
    for term in ranked[:top_k]:
        if term not in topics:
            topics.append(term)
    return topics

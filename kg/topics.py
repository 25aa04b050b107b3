"""A report's topics: title words and unsupervised keyphrases (TF-IDF with jieba).

Topics route a question to the reports that cover it; they come from the
report's own title and body, never from its sidebar or teasers.
"""

from __future__ import annotations

import re

from corpus.script import normalise
from yanbao.records import Report

from .lexicon import Lexicon
from .segment import tokens

__all__ = ["report_topics"]

_GENERIC = set(
    normalise(w)
    for w in "行业 分析 报告 全景 市场 深度 研究 中国 年 发展 趋势 预测 调研 投资 战略 规划 前景 现状 格局 "
    "竞争 咨询 全球 国内 我国 及 与 和 的 新 如何 应对 变化 挑战".split()
)
_TOPIC_POS = {"n", "nz", "vn", "nt", "ns", "eng", "l", "j", "nr"}


def report_topics(report: Report, lex: Lexicon, top_k: int = 25) -> list[str]:
    """Return the report's topic terms (normalised script), title words first.

    Title words are the title's nouns that are not generic report words; the
    keyphrases are jieba's TF-IDF top terms over the body sentences.
    """
    topics: list[str] = []
    title = normalise(report.title)
    for t in tokens(re.sub(r"\d{4}(-\d{4})?年?", " ", title)):
        if len(t.text) >= 2 and t.text not in _GENERIC and t.pos in _TOPIC_POS | {"v", "vn"}:
            topics.append(t.text)
    body = "\n".join(normalise(s.text) for s in report.sentences)
    from jieba import analyse  # noqa: PLC0415 - jieba's TF-IDF model loads on first use

    for term in analyse.extract_tags(body, topK=top_k, allowPOS=tuple(_TOPIC_POS)):
        if term not in _GENERIC and len(term) >= 2 and term not in topics:
            topics.append(term)
    return topics

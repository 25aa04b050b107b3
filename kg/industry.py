"""What a report is about: its industry (稀土, 主题公园, 云计算, 现制饮品 ...).

The public entry point is :func:`report_industry`.  Candidates are the report's noun
phrases (one or two nouns); each is scored by how often the report uses it, how specific
it is in general Chinese (jieba's IDF table), how often it names an industry in the
report's own words (a candidate right before 行业/产业/市场/领域..., see
``lex_industry_markers.txt``) and whether the title names it.  No industry list is used,
so a report on an industry nobody listed is named all the same.
"""

from __future__ import annotations

import re

from yanbao.corpus.script import normalise
from yanbao.core.records import Report

from .lexicon import Lexicon
from .segment import Token, idf_weight, normalised, tokens

__all__ = ["report_industry"]

_NOUN_POS = frozenset({"n", "nz", "vn", "j", "l", "eng", "nt", "b", "ng"})
_MARKER_WEIGHT = 3.0
_TITLE_WEIGHT = 4.0
_SPECIFIC = 6.5  # jieba IDF of a word rarer than everyday words (材料 5.7, 船舶 7.1, 跨境 8.1)


def report_industry(report: Report, lex: Lexicon) -> tuple[str, ...]:
    """Return the report's industry: its name, then other forms the report uses (光伏产业).

    Names are in the report's normalised (Simplified) script.  Empty when the report
    has no specific recurring noun phrase.
    """
    body = [normalised(s.text) for s in report.sentences]
    title = normalise(report.title or "")
    heads = [normalised(sec.title) for sec in report.sections]
    # Plain dicts, not Counters: a Counter's missing key is a Python-level call, and most
    # candidates are never marked.
    counts: dict[str, int] = {}
    marked: dict[str, int] = {}
    words: dict[str, tuple[Token, ...]] = {}
    title_marked: set[str] = set()  # the title's own X行业/X产业
    markers = lex.industry_markers
    for n, text in enumerate([title, *heads, *body]):
        toks = _split_markers(tokens(text), lex)
        last = len(toks) - 1
        for cand, k, run in _candidates(toks, lex):
            if cand in counts:
                counts[cand] += 1
            else:
                counts[cand] = 1
                words[cand] = run
            if k < last and toks[k + 1].text in markers and not (k + 1 < last and toks[k + 2].text.startswith("研究")):
                marked[cand] = marked.get(cand, 0) + 1
                if n == 0:
                    title_marked.add(cand)
    if not counts:
        return ()
    joined = "\n".join([*heads, *body])  # the text a name is used in: headings and sentences
    scores = {}
    for cand, count in counts.items():
        times_marked = marked.get(cand, 0)
        if count < 2 and not times_marked and cand not in title:
            continue
        uses = joined.count(cand)
        if not times_marked and words[cand][-1].pos in ("vn", "v", "a", "an", "ad"):
            continue  # an industry is named by a noun (稀土); an activity (出口, 催收) only as X行业
        specificity = max(idf_weight(w.text) for w in words[cand])
        scores[cand] = (uses + _MARKER_WEIGHT * times_marked) * specificity + _TITLE_WEIGHT * specificity * (cand in title)
    if not scores:
        return ()
    best = max(scores, key=lambda c: (scores[c], len(c), c))
    # The two leading words of a report often name its industry together (船舶 + 智能制造,
    # 跨境 + 电商): when the runner-up scores at least half the leader and a phrase holding
    # both recurs, that phrase is the name; unless the title names the leader an industry
    # (半导体产业链 + 材料) or the runner-up is an everyday word.
    runner = max((c for c in scores if c not in best and best not in c), key=lambda c: (scores[c], len(c), c), default=None)
    if (
        runner is not None and best not in title_marked and scores[runner] >= 0.5 * scores[best]
        and max(idf_weight(w.text) for w in words[runner]) >= _SPECIFIC
    ):
        uses = {c: joined.count(c) + title.count(c) for c in scores if best in c and runner in c}
        both = [c for c, n in uses.items() if n >= 2]
        if both:
            best = max(both, key=lambda c: (uses[c], -len(c), c))
    # Prefer the longer phrase a name nearly always sits in (电商 → 跨境电商, 饮品 → 现制饮品),
    # or the one the title names as an industry (汽车 → 新能源汽车 when the title says 新能源汽车产业).
    uses_best = joined.count(best) + title.count(best)
    longer = [
        c for c in scores
        if best in c and c != best and (joined.count(c) + title.count(c) >= 0.6 * uses_best or c in title_marked)
    ]
    if longer:
        best = max(longer, key=lambda c: (joined.count(c), len(c), c))
    forms = [best]
    for m in sorted(lex.industry_markers):
        if m in ("企业", "市场"):
            continue
        if best + m in joined or best + m in title:
            forms.append(best + m)
    # A longer phrase that holds the name and scores near it is another name of it (光伏 / 光伏组件 is not).
    for cand, sc in sorted(scores.items(), key=lambda kv: -kv[1]):
        if cand != best and best in cand and sc >= 0.6 * scores[best] and cand not in forms:
            forms.append(cand)
    return tuple(forms)


def _split_markers(toks: tuple[Token, ...], lex: Lexicon) -> tuple[Token, ...]:
    """Cut a marker off the word it ends (jieba's dictionary holds 汽车产业, 钢铁行业 as one
    word), so that 新能源|汽车|产业 names 新能源汽车 as an industry like 光伏|产业 does."""
    markers = lex.industry_markers
    out: list[Token] | None = None  # made at the first word cut (most texts have none)
    for k, t in enumerate(toks):
        w = t.text
        if len(w) < 4:
            if out is not None:
                out.append(t)
            continue
        # the longest marker (3, then 2 characters) leaving at least two characters
        m = w[-3:] if len(w) >= 5 and w[-3:] in markers else (w[-2:] if w[-2:] in markers else None)
        if m is None:
            if out is not None:
                out.append(t)
            continue
        if out is None:
            out = list(toks[:k])
        cut = t.end - len(m)
        out.append(Token(t.text[: -len(m)], t.start, cut, t.pos))
        out.append(Token(m, cut, t.end, "n"))
    return toks if out is None else tuple(out)


_STOP_POS = frozenset({"p", "c", "u", "uj", "ul", "ud", "uz", "uv", "ug", "d", "r", "m", "mq", "q", "x", "w", "y", "e", "o", "f", "t", "vd", "ad", "zg"})


def _candidates(toks: tuple[Token, ...], lex: Lexicon):
    """Runs of one to three content words (2-6 characters): (text, index of the last word, words).

    The run neither starts nor ends on a general word (经济 may sit inside: 海洋经济
    ends on it only when it is the second word).
    """
    content = [t.pos not in _STOP_POS and _CONTENT_RE.fullmatch(t.text) is not None for t in toks]  # _content
    generic, regions, actors = lex.generic_words, lex.regions, lex.actor_nouns
    markers, suffixes = lex.industry_markers, lex.org_suffixes
    count = len(toks)
    for i in range(count):
        # A run starting on a general word is never a candidate, whatever its length.
        if not content[i] or toks[i].text in generic:
            continue
        text = ""
        for last in range(i, min(i + 3, count)):
            # content[i : last] held for the shorter run already
            if not content[last]:
                break
            word = toks[last].text
            if word in regions:
                break  # a run holding a region is none, nor is any longer run holding it
            text += word
            if len(text) > 6:
                break  # longer runs are longer still
            if len(text) < 2 or text in generic or text in regions or text in actors:
                continue
            if last == i and toks[i].pos == "ns":
                continue
            if word in markers or word in suffixes:
                continue
            yield text, last, toks[i : last + 1]


_CONTENT_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]+")


def _content(t: Token) -> bool:
    return t.pos not in _STOP_POS and _CONTENT_RE.fullmatch(t.text) is not None

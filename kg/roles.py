"""Drivers, challenges, trends and strategies: short noun phrases that role-bearing sentences state.

The public entry point is :func:`role_mentions`.  Cue words of industry-report language
(``lex_role_phrases.txt``: 受益于/推动 → driver, 面临/过剩/壁垒 → challenge, 呈现/提升/…化 →
trend, 通过/策略 → strategy) locate a phrase; the phrase is chunked from jieba's POS tags
(nouns, verbal nouns, adjectives, at most a few words) and kept only when it is specific
(not made of general words alone, and with one word rarer than everyday words by jieba's
IDF table).  The section a sentence sits in gives the role of phrases its cues leave open.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import Lexicon
from .resolve import Mention
from .segment import Token, idf_weight, tokens

__all__ = ["role_mentions"]

_CLASS = {"driver": "Driver", "challenge": "Challenge", "trend": "Trend", "strategy": "Strategy"}
# POS tags that may sit inside a role noun phrase (jieba's tag set).
_NOUNISH = frozenset({"n", "nz", "vn", "an", "j", "l", "eng", "ng", "b", "nt", "nrt"})
_ADVERBS = frozenset({"d", "ad"})
# Before a state verb a two-character adjective or verbal adverb qualifies it (显著/a 收缩, 持续/vd 提升).
_STATE_ADVERBS = _ADVERBS | {"vd", "a"}
_AND = frozenset({"与", "和", "及", "以及", "、"})
_MODIFIER = _NOUNISH | {"a", "ns", "f"}
_VERBISH = frozenset({"v", "vd"})
_MAX_CHARS = 10
_MIN_SPECIFICITY = 6.5  # jieba IDF: 政策 4.5, 竞争 6.1, 壁垒 8.9, 本土化 10.2
_QUOTES = "“”\"「」『』‘’"


def role_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon, section_role: str | None = None) -> list[Mention]:
    """Return the role phrases a sentence states (Driver/Challenge/Trend/Strategy mentions).

    ``norm`` is the script-normalised sentence, ``text`` the original of the same length;
    ``section_role`` is the role of the sentence's section, if any.
    """
    cues = lex.role_phrases or {}
    toks = _tagged(norm, text)
    trend_context = None  # looked for at the first trend state cue (most sentences have none)
    out: list[Mention] = []
    known = _CUES_OF.get(id(cues)) or _cues_memo(cues)
    for i, t in enumerate(toks):
        found = known.get(t.text)
        for role, kind in found if found is not None else _cues_of(t.text, cues):
            span = _span(toks, i, kind, role, lex)
            if span is None:
                continue
            if kind == "state" and role == "trend":
                if trend_context is None:
                    trend_context = section_role == "trend" or bool(_trend_context_re(cues, lex).search(norm))
                if not (trend_context or _is_label(norm, toks, span)):
                    continue
            if kind == "head" and t.pos == "n" and i + 1 < len(toks) and toks[i + 1].pos in _NOUNISH:
                continue  # 战略|平衡, 风险|管控: the cue word does not end the noun phrase
            if kind == "state" and i + 1 < len(toks) and _is_head(toks[i + 1].text, cues):
                continue  # 价格下行|压力: the state qualifies the head noun after it, whose phrase it is
            start, end = _trim(toks, *span, lex)
            phrase = norm[start:end]
            if not _specific(phrase, toks, start, end, lex):
                continue
            if role == "strategy" and kind == "after" and not _is_measure(toks, start, end, cues):
                continue  # 布局|主题乐园: a bare noun after the cue is a field, not a measure
            if kind in ("state", "subject", "suffix") and _names_an_actor(norm, toks, start, t, lex):
                continue  # 金融机构提升: the subject is a participant, not a phenomenon
            if kind == "head":
                # 成本和价格|压力, 能源成本与环保|压力: a bare phrase coordinated before the
                # modifier of a head noun shares the head, and the whole is one phrase.
                shared = _coordinated_before(toks, start) if t.pos == "n" else None
                if shared and not _is_head(norm[shared[0] : shared[1]], cues, ending=True) and end - shared[0] <= _MAX_CHARS:
                    out.append(_mention(text, shared[0], end, offset, sent_index, _CLASS[role]))
                    continue
            out.append(_mention(text, start, end, offset, sent_index, _CLASS[role]))
            if kind in ("state", "head", "suffix"):
                other = _coordinated_before(toks, start)
            elif kind in ("after", "means"):
                other = _coordinated_after(toks, end, allow_verbs=role == "strategy")
            else:
                other = None
            if other and _specific(norm[other[0] : other[1]], toks, *other, lex):
                if role != "strategy" or _is_measure(toks, *other, cues) or kind != "after":
                    out.append(_mention(text, *other, offset, sent_index, _CLASS[role]))
    out.extend(_enumerated_roles(norm, text, offset, sent_index, lex))
    out.extend(_named_as_role(norm, text, offset, sent_index, lex, toks))
    return out


_COPULA_RE = re.compile(
    r"(?:是|成为|为)(?:[^，,。；;：:]{0,14}?)(" + "|".join(
        "驱动因素|驱动力|动力|引擎|增长点|红利|挑战|风险|难题|瓶颈|障碍|趋势|方向".split("|")
    ) + ")"
)
_COPULA_ROLE = {
    "驱动因素": "driver", "驱动力": "driver", "动力": "driver", "引擎": "driver", "增长点": "driver", "红利": "driver",
    "挑战": "challenge", "风险": "challenge", "难题": "challenge", "瓶颈": "challenge", "障碍": "challenge",
    "趋势": "trend", "方向": "trend",
}


def _named_as_role(norm, text, offset, sent_index, lex, toks) -> list[Mention]:
    """X是重要驱动因素 / X成为…的重要引擎: the subject of a copula naming a role is of that role."""
    out: list[Mention] = []
    for m in _COPULA_RE.finditer(norm):
        k = next((k for k, t in enumerate(toks) if t.start == m.start()), None)
        if k is None or k == 0:
            continue
        start = _phrase_start_before(toks, k, max_words=3)
        if start is None:
            continue
        end = toks[k - 1].end
        phrase = norm[start:end]
        # The copula names the role, so two general words make a phrase here (国际压力).
        if 2 <= len(phrase) <= _MAX_CHARS and phrase not in lex.generic_words and not re.search(r"\d", phrase):
            out.append(_mention(text, start, end, offset, sent_index, _CLASS[_COPULA_ROLE[m.group(1)]]))
    return out


_ENUM_HEAD_ROLE = (
    ("driver", "因素|动力|动能|机遇|红利|引擎"),
    ("challenge", "挑战|风险|问题|压力|困境|难题|瓶颈|障碍"),
    ("trend", "趋势|特征|方向"),
    ("strategy", "措施|举措|策略|手段|路径|方式"),
)
_ENUM_ROLE_RE = re.compile(
    r"((?:[\u4e00-\u9fffA-Za-z“”]{2,8}[、与和及])+[\u4e00-\u9fffA-Za-z“”]{2,8}?)(?:等|多重|多种|多方面|多个|两大|三大|四大|的)?("
    + "|".join(h for _, h in _ENUM_HEAD_ROLE) + ")"
)
_ENUM_HEAD_RE = re.compile("|".join(h for _, h in _ENUM_HEAD_ROLE))


def _enumerated_roles(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """政策驱动、资本狂欢与技术迭代多重因素: each item of a list closed by a role noun takes its role."""
    out: list[Mention] = []
    if not _ENUM_HEAD_RE.search(norm):  # no role noun to close a list: skip the costlier search
        return out
    toks = starts = None  # only for a sentence with a list (few)
    for m in _ENUM_ROLE_RE.finditer(norm):
        if toks is None:
            toks = _tagged(norm, text)
            starts = {t.start for t in toks}
        role = next(r for r, heads in _ENUM_HEAD_ROLE if re.fullmatch(heads, m.group(2)))
        pos = m.start(1)
        items = re.split(r"[、与和及]", m.group(1))
        if len(items) < 2:
            continue
        for n, item in enumerate(items):
            s, e = pos, pos + len(item)
            pos = e + 1
            if n == 0:  # the first item is the noun phrase that ends the text before the list
                k = next((k for k, t in enumerate(toks) if t.end == e), None)
                b = _phrase_start_before(toks, k + 1) if k is not None else None
                if b is None:
                    continue
                s = max(s, b)
            phrase = norm[s:e]
            words = [t for t in toks if s <= t.start and t.end <= e]
            if any(t.text in lex.phrase_stopwords or t.pos not in _MODIFIER | _VERBISH for t in words):
                continue  # a clause (本土化成为不可逆), not a noun phrase
            if not words or words[-1].pos not in _NOUNISH | _VERBISH:
                continue  # 更快速、更高透明度的方式: qualities, not named items
            if _specific(phrase, toks, s, e, lex) and s in starts:
                out.append(_mention(text, s, e, offset, sent_index, _CLASS[role]))
    return out


_new_tuple = tuple.__new__

# LAC's tags in jieba's names, so one chunker serves both taggers.
_LAC_TO_JIEBA = {"ORG": "nt", "LOC": "ns", "PER": "nr", "TIME": "t", "nw": "nz", "xc": "u", "w": "x", "s": "n"}


@lru_cache(maxsize=4096)
def _tagged(norm: str, text: str) -> tuple[Token, ...]:
    """The sentence's words and POS tags: LAC's (a better tagger: 产能 is a noun) when the
    model is installed, else jieba's.  Words are slices of ``norm``."""
    from .ner import lac_words

    words = lac_words(text)
    if not words:
        return tokens(norm)
    out = []
    append = out.append
    jieba_tag = _LAC_TO_JIEBA.get
    pos = 0
    for _word, start, end, tag in words:
        if start > pos:  # whitespace LAC dropped
            append(Token(norm[pos:start], pos, start, "x"))
        # tuple.__new__: a Token without the named tuple's Python-level __new__ (one per word)
        append(_new_tuple(Token, (norm[start:end], start, end, jieba_tag(tag, tag))))
        pos = end
    if pos < len(norm):
        append(Token(norm[pos:], pos, len(norm), "x"))
    return tuple(out)


# The cues of each word met so far, per cue table (id): one dict look-up per token.
_CUES_OF: dict[int, dict[str, tuple[tuple[str, str], ...]]] = {}


def _cues_memo(cues: dict) -> dict[str, tuple[tuple[str, str], ...]]:
    return _CUES_OF.setdefault(id(cues), {})


def _cues_of(word: str, cues: dict) -> tuple[tuple[str, str], ...]:
    memo = _cues_memo(cues)
    hit = memo.get(word)
    if hit is None:
        if len(memo) > 50_000:
            memo.clear()
        hit = memo[word] = tuple(_word_cues(word, cues))
    return hit


def _word_cues(word: str, cues: dict) -> list[tuple[str, str]]:
    found = [pair for pair in cues.get(word, ()) if pair[1] != "context"]
    # A word ending in a suffix cue (连锁化, 价格战) counts as a suffix phrase; the word
    # has a stem of two characters or more (数|智|化 is a segmentation accident).
    by_ending = _suffix_cues(id(cues), cues)
    for n in (1, 2, 3):
        if len(word) >= n + 2 and word[-n:] in by_ending:
            found.extend(by_ending[word[-n:]])
    return found


def _is_head(word: str, cues: dict, ending: bool = False) -> bool:
    """True when ``word`` is (with ``ending``: ends in) a head or state cue of some role (压力, 风险, 短缺)."""
    if not ending:
        return any(k == "head" for _, k in cues.get(word, ()))
    return any(word.endswith(c) and any(k in ("head", "state") for _, k in pairs) for c, pairs in cues.items() if len(c) <= len(word))


def _is_label(norm: str, toks: tuple[Token, ...], span: tuple[int, int]) -> bool:
    """A short label opening a line before a colon (- 高压快充普及：800V平台…): it names the
    topic of the line, so a state cue there needs no further context."""
    start, end = span
    head = norm[:start].strip(" -–—•·*")
    return not head and norm[end : end + 1] in (":", "：")


def _coordinated_after(toks: tuple[Token, ...], end: int, allow_verbs: bool) -> tuple[int, int] | None:
    """The phrase coordinated after one ending at ``end`` (通过智慧渔业|和|蓝色粮仓建设)."""
    k = next((k for k, t in enumerate(toks) if t.end == end), None)
    if k is None or k + 2 >= len(toks) or toks[k + 1].text not in _AND:
        return None
    return _phrase_after(toks, k + 2, allow_verbs)


def _coordinated_before(toks: tuple[Token, ...], start: int) -> tuple[int, int] | None:
    """The phrase coordinated before one starting at ``start`` (贸易壁垒|与|技术封锁加剧)."""
    k = next((k for k, t in enumerate(toks) if t.start == start), None)
    if k is None or k < 2 or toks[k - 1].text not in _AND:
        return None
    b = _phrase_start_before(toks, k - 1)
    return (b, toks[k - 2].end) if b is not None else None


_SUFFIX_CACHE: dict[int, dict] = {}
_CONTEXT_CACHE: dict = {}


def _suffix_cues(key: int, cues: dict) -> dict:
    """Suffix and head cues (at most three characters) by the word ending they match."""
    if key not in _SUFFIX_CACHE:
        _SUFFIX_CACHE[key] = {
            cue: tuple((r, "suffix") for r, k in pairs if k in ("suffix", "head"))
            for cue, pairs in cues.items()
            if len(cue) <= 3 and any(k in ("suffix", "head") for _, k in pairs)
        }
    return _SUFFIX_CACHE[key]


def _trend_context_cues(cues: dict) -> tuple[str, ...]:
    key = id(cues)
    if key not in _CONTEXT_CACHE:
        _CONTEXT_CACHE[key] = tuple(cue for cue, pairs in cues.items() if ("trend", "context") in pairs)
    return _CONTEXT_CACHE[key]


def _trend_context_re(cues: dict, lex: Lexicon) -> re.Pattern[str]:
    """Any trend context cue or hedge (of two characters or more) occurring in a sentence,
    as one search."""
    key = (id(cues), id(lex), "re")
    if key not in _CONTEXT_CACHE:
        terms = set(_trend_context_cues(cues)) | {h for h in lex.hedges if len(h) >= 2}
        alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        _CONTEXT_CACHE[key] = re.compile(alternation if terms else r"(?!)")
    return _CONTEXT_CACHE[key]


def _span(toks: tuple[Token, ...], i: int, kind: str, role: str, lex: Lexicon | None = None) -> tuple[int, int] | None:
    t = toks[i]
    if kind == "suffix" and lex is not None and t.text in lex.generic_words:
        return None  # 优化, 文化, 转化: ordinary words, not a trend
    if kind in ("after", "means"):
        j = i + 1
        if j < len(toks) and toks[j].text in ("了", "着", "过"):
            j += 1  # 构建了|全链条管理体系: the aspect particle belongs to the cue
        return _phrase_after(toks, j, allow_verbs=role == "strategy")
    if kind == "subject":
        start = _phrase_start_before(toks, i)
        return (start, t.start) if start is not None else None
    if kind == "word":
        return t.start, t.end
    if kind in ("state", "head"):
        k = i
        if kind == "state" and i > 1 and toks[i - 1].pos in _STATE_ADVERBS and len(toks[i - 1].text) == 2:
            k = i - 1  # 资本开支|显著|收缩, 集中度|持续|提升: the adverb stays inside the phrase
        if kind == "state" and k > 0 and toks[k - 1].pos == "f":
            return None  # 压力下|逐步出清: a place or condition (X下, X中), not the subject
        start = _phrase_start_before(
            toks, k, verb_subject=kind == "state" and k == i, head_verb=kind == "head",
            stop=lex.phrase_stopwords if lex is not None else frozenset(),
            max_words=3 if kind == "state" else 2,
        )
        if start is None and k != i:
            return None
        if start is None:
            return (t.start, t.end) if kind == "head" and len(t.text) >= 3 else None
        return start, t.end
    if kind == "suffix":
        start = _phrase_start_before(toks, i, max_words=1)
        end = t.end
        # X化 heads a compound with the verbal noun after it (差异化|探索, 规模化|应用, 数字化|转型).
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.text.endswith("化") and nxt is not None and nxt.pos in ("vn", "v") and len(nxt.text) == 2 and re.fullmatch(r"[\u4e00-\u9fff]+", nxt.text):
            after = toks[i + 2].text if i + 2 < len(toks) else "。"
            after_pos = toks[i + 2].pos if i + 2 < len(toks) else "x"
            # ... when no object follows: punctuation, a particle, or the sentence's predicate
            # (同质化竞争|愈演愈烈).
            if not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", after) or after in ("的", "在", "和", "与", "及", "等") or (after_pos in _VERBISH and len(after) >= 2):
                end = nxt.end
        return (start if start is not None else t.start), end
    return None


def _phrase_start_before(
    toks: tuple[Token, ...], i: int, max_words: int = 2, verb_subject: bool = False, head_verb: bool = False,
    stop: frozenset[str] = frozenset(),
) -> int | None:
    """Where the noun phrase ending right before token ``i`` starts (None: no such phrase).

    With ``verb_subject``, a two-character word the segmenter tagged as a verb may be the
    subject of a state (产能|过剩: jieba tags 产能 a verb), as the phrase's only word.
    """
    start = None
    used = 0
    j = i - 1
    if verb_subject and j >= 0 and toks[j].pos == "v" and len(toks[j].text) == 2 and (j == 0 or toks[j - 1].pos not in _MODIFIER):
        return toks[j].start
    while j >= 0 and used < max_words:
        w = toks[j]
        # Right before a head, one two-character verb may qualify it (差异化|审批|策略, 直邮|模式).
        verb_ok = head_verb and j == i - 1 and w.pos == "v" and len(w.text) == 2 and w.text not in stop
        if (w.pos not in _MODIFIER and not verb_ok) or toks[i].start - w.start > _MAX_CHARS - len(toks[i].text):
            break
        if not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", w.text):
            break
        start = w.start
        used += 1
        j -= 1
    return start


def _phrase_after(toks: tuple[Token, ...], j: int, allow_verbs: bool) -> tuple[int, int] | None:
    """The noun phrase starting at token ``j``: a few content words ending on a noun.

    A term in quotes right after the cue (采用“D2C跨境模式”) is the phrase, whatever its words.
    """
    if j < len(toks) and toks[j].text in "“「『\"":
        close = next((k for k in range(j + 1, min(len(toks), j + 8)) if toks[k].text in "”」』\""), None)
        if close is not None and close > j + 1 and toks[close].start - toks[j + 1].start <= _MAX_CHARS:
            return toks[j + 1].start, toks[close].start
    start = None
    last_noun_end = None
    verbs = 0
    k = j
    while k < len(toks):
        w = toks[k]
        if w.pos in _VERBISH:
            verbs += 1
            if verbs > 1 or not allow_verbs:
                break  # one verb opens a measure (淘汰落后产能); a later verb starts a new clause
            if start is not None:
                # A verb after nouns closes a nominal measure (规模化|采购, 质效|升级).
                nxt = toks[k + 1].text if k + 1 < len(toks) else "。"
                nxt_pos = toks[k + 1].pos if k + 1 < len(toks) else "x"
                # ... or when the next word is a verb: the sentence's own predicate follows
                # (通过质效|升级|紧随其后), not an object of this verb.
                closes = (
                    nxt in ("和", "与", "及", "、", "等") or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", nxt)
                    or (nxt_pos in _VERBISH and len(nxt) >= 2)
                )
                if closes and w.end - start <= _MAX_CHARS and re.fullmatch(r"[\u4e00-\u9fff]+", w.text) and len(w.text) >= 2:
                    last_noun_end = w.end
                break
        if w.text in _QUOTES and start is not None:
            k += 1
            continue
        # A space before a Latin name inside the phrase (优质文化 IP) does not end it.
        if start is not None and not w.text.strip() and k + 1 < len(toks) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", toks[k + 1].text):
            k += 1
            continue
        ok = w.pos in _MODIFIER or (allow_verbs and w.pos in _VERBISH) or w.text in _QUOTES
        if not ok or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9“”「」]+", w.text):
            break
        if start is None:
            start = w.start
        if w.end - start > _MAX_CHARS:
            break
        if w.pos in _NOUNISH or (allow_verbs and w.pos in _VERBISH and k > j):
            last_noun_end = w.end
        k += 1
    if start is None or last_noun_end is None:
        return None
    return start, last_noun_end


def _is_measure(toks: tuple[Token, ...], start: int, end: int, cues: dict) -> bool:
    """A strategy names an action (淘汰落后产能, 规模化采购), a way (差异化, 本土化) or a
    model (直邮模式): some word of it is a verb, a verbal noun or ends in a suffix/head cue."""
    words = [t for t in toks if start <= t.start and t.end <= end]
    return any(
        t.pos in ("v", "vn", "vd") or any(p[0] == "strategy" and p[1] == "head" for p in cues.get(t.text, ())) or t.text.endswith("化")
        for t in words
    )


def _trim(toks: tuple[Token, ...], start: int, end: int, lex: Lexicon) -> tuple[int, int]:
    """Drop a leading one-character fragment of a word cut in two (企|库存告急)."""
    inside = [t for t in toks if start <= t.start and t.end <= end]
    # (A one-character adjective stays: 全|链条管理体系.)
    if len(inside) > 2 and len(inside[0].text) == 1 and len(inside[1].text) > 1 and inside[0].text not in _QUOTES and inside[0].pos not in ("a", "b"):
        inside = inside[1:]
    return (inside[0].start, end) if inside else (start, end)


def _names_an_actor(norm: str, toks, start: int, cue: Token, lex: Lexicon) -> bool:
    subject = norm[start : cue.start] if cue.start > start else ""
    return bool(subject) and (subject in lex.actor_nouns or subject.endswith(tuple(lex.org_suffixes)))


def _specific(phrase: str, toks: tuple[Token, ...], start: int, end: int, lex: Lexicon) -> bool:
    clean = phrase.strip(_QUOTES)
    if not 2 <= len(clean) <= _MAX_CHARS or clean in lex.generic_words:
        return False
    inside = [t for t in toks if start <= t.start and t.end <= end and t.text not in _QUOTES]
    first = tokens(clean)[0] if clean else None
    if first is not None and len(first.text) == 1 and first.pos in ("d", "ad"):
        return False  # 更|高透明度, 最|具: a degree adverb opens a quality, not a phrase
    if inside and (inside[0].text in lex.phrase_stopwords or inside[0].text in lex.nonspecific or inside[0].text in lex.heads("qualifier_drop")):
        return False
    content = [t for t in inside if t.text not in lex.generic_words]
    if not content:
        return False
    if re.search(r"(?<![A-Za-z])\d+(?:\.\d+)?(?![A-Za-z\d])", clean):
        return False  # a number, not a code (D2C, 5G)
    return max(idf_weight(t.text) for t in inside) >= _MIN_SPECIFICITY


def _mention(text: str, start: int, end: int, offset: int, sent_index: int, cls: str) -> Mention:
    surface = text[start:end]
    lead = len(surface) - len(surface.lstrip(_QUOTES))
    trail = len(surface) - len(surface.rstrip(_QUOTES))
    s, e = start + lead, end - trail
    return Mention(text[s:e], cls, offset + s, offset + e, sent_index, "role")

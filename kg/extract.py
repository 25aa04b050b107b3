"""Deterministic extraction of claims, entities and relations from a report.

The public entry point is :func:`extract`.  No model, no LLM: section roles
from heading cue words, entities from the domain lexicons plus patterns of
industry-report language (organisation phrases, technology phrases, quoted
coined terms, enumerations of scenarios, regions, laws), claims from body
sentences, relations from cue verbs between two mentions and from the topic
of the section a claim sits in.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from yanbao.corpus.script import match_key, normalise
from yanbao.core.records import Claim, Entity, Extraction, Relation, Report

from .industry import report_industry
from .lexicon import Lexicon, load_lexicon
from .resolve import Mention, entity_id, resolve
from .roles import role_mentions
from .segment import Token, idf_weight, normalised, tokens
from .topics import report_topics

__all__ = ["extract", "Mention"]


def _register_preparer() -> None:
    from .ner import set_preparer

    set_preparer(_prepare)

_ROLE_TO_CLAIM = {
    "actor": "actor-fact",
    "driver": "driver",
    "challenge": "challenge",
    "trend": "trend",
    "strategy": "strategy",
}
_ROLE_TO_CLASS = {"driver": "Driver", "challenge": "Challenge", "trend": "Trend", "strategy": "Strategy"}
_STOP_POS = {"p", "c", "u", "uj", "ul", "ud", "uz", "uv", "ug", "d", "ad", "r", "x", "y", "e", "o", "w", "q", "t"}
_QUOTE_RE = re.compile(r"[“\"「『]([^”\"」』]{2,16})[”\"」』]")
_TITLE_RE = re.compile(r"《([^》]{2,40})》")
_ENUM_SCENARIO_RE = re.compile(
    r"((?:[\u4e00-\u9fffA-Za-z]{2,8}、)+[\u4e00-\u9fffA-Za-z]{2,8})等[\u4e00-\u9fff]{0,6}?场景"
)
_NUMBER_RE = re.compile(
    r"(?:约|超|近|逾)?\d[\d,，]*(?:\.\d+)?\s*(?:%|％|个百分点|万亿|亿元|万元|亿|万|元|倍|家|GWh|GW|MW|吨|辆|台|人|年|个)?"
)
_SPLIT_TITLE_RE = re.compile(r"\s*(?:与|和|及|以及|、|/)\s*")
_HEADING_TAIL_SPLIT_RE = re.compile(r"[:：]")


def extract(report: Report, lexicon: Lexicon | None = None) -> Extraction:
    """Extract the claims, entities and relations of one report.

    Returns an :class:`~yanbao.core.records.Extraction`; deterministic for a given
    report and lexicon.  Sidebar questions and related reports are never read.
    """
    lex = lexicon or load_lexicon()
    section_roles = _section_roles(report, lex)
    from .ner import prefetch_reports

    # Tagged in the background in the order they are read: headings, then sentences
    # (nothing new when the caller prefetched this report with others).
    prefetch_reports([report])
    section_topics = _heading_mentions(report, section_roles, lex)
    per_sentence = [
        _body_mentions(sent.text, sent.start, sent.index, lex, section_roles.get(sent.section_path))
        for sent in report.sentences
    ]
    section_topics, per_sentence = _apply_abbreviations(report, section_topics, per_sentence, lex)
    per_sentence = _sectors_are_not_organisations(report, per_sentence, lex)
    mentions = [m for found in section_topics.values() for m in found] + [m for found in per_sentence for m in found]
    entities, mention_to_entity = resolve(mentions, lex)
    entities = _merge_abbreviations(entities, mention_to_entity)
    claims, relations = _claims_and_relations(report, per_sentence, section_roles, section_topics, mention_to_entity, entities, lex)
    industry = report_industry(report, lex)
    entities, relations = _with_industry(report, industry, entities, claims, relations, mention_to_entity)
    unique_rel = list(dict.fromkeys(r for r in relations if r.subject != r.object))
    return Extraction(
        report_id=report.id,
        entities=tuple(entities),
        claims=tuple(claims),
        relations=tuple(unique_rel),
        topics=tuple(report_topics(report, lex)),
        section_roles=tuple(section_roles.items()),
        section_about=tuple(
            (path, tuple(dict.fromkeys(mention_to_entity[id(m)] for m in found if id(m) in mention_to_entity)))
            for path, found in section_topics.items()
            if found
        ),
        industry=industry,
    )


def _prepare(text: str) -> None:
    """What extraction will ask of a heading or sentence that a caller can compute ahead:
    its normalised form and jieba's words of it (cached; see ``ner.set_preparer``)."""
    norm = _same_length_normalise(text)
    tokens(norm)
    if normalised(text) != norm:
        tokens(normalised(text))


def _heading_mentions(report: Report, section_roles, lex: Lexicon) -> dict[tuple[str, ...], list[Mention]]:
    """Entities named by headings (a Driver section's subsection names a Driver), per section."""
    out: dict[tuple[str, ...], list[Mention]] = {}
    for sec in report.sections:
        role = section_roles.get(sec.path)
        out[sec.path] = _heading_entities(sec.title, sec.start, report, role, lex, has_children=_has_children(report, sec.path))
    return out


# A web article's byline: a stamp of date and clock time (or editor) with the outlet or
# author beside it (搜狐财经· 2025-12-20 02:23), no sentence of its own.
_BYLINE_RE = re.compile(r"(?=.*\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?=.*(?:\d{1,2}:\d{2}|责任编辑|責任編輯))[^，,。；;！？]{0,40}")


def _body_mentions(text: str, offset: int, index: int, lex: Lexicon, section_role: str | None) -> list[Mention]:
    """Entities of one body sentence: names, phrases, lexicon terms and role phrases
    (none in a byline: the outlet that published a page is not a participant of its report)."""
    if _BYLINE_RE.fullmatch(text.strip()):
        return []
    found = _sentence_mentions(text, offset, index, lex)
    norm = _same_length_normalise(text)
    roles = role_mentions(norm, text, offset, index, lex, section_role)
    nested = [m for m in found if m.cls == "Region" and m.source == "lexicon"]
    kept = _non_overlapping([m for m in found if m not in nested] + roles)
    kept += [m for m in nested if not any(m.start < k.end and k.start < m.end for k in kept)]
    kept += [m for m in nested if m not in kept and _inside_long_name(m, kept)]
    return sorted(kept, key=lambda m: (m.start, m.end))


def _inside_long_name(region: Mention, kept: list[Mention], found: list[Mention] | None = None) -> bool:
    """A region inside a longer phrase (美国|军工企业, 日本|企业) is mentioned too; one before
    a two-character institution noun in a name the NER model tagged (中国银行) is part of it."""
    named = {(k.start, k.end) for k in (found if found is not None else kept) if k.source == "named"}
    return any(
        k.start <= region.start and region.end <= k.end and k != region
        and ((k.end - k.start) - (region.end - region.start) > 2 or (k.start, k.end) not in named)
        for k in kept
    )


def _apply_abbreviations(report: Report, section_topics, per_sentence, lex: Lexicon):
    """Make every use of an abbreviation introduced in brackets an alias of its long form.

    ``新能源汽车（NEV）`` once, then ``NEV出口量``: both mentions name the 新能源汽车 entity.
    """
    import dataclasses

    introduced: dict[str, tuple[str, str]] = {}  # abbreviation key -> (long form, class)
    for found in [*section_topics.values(), *per_sentence]:
        for m in found:
            if m.source == "abbreviation" and m.alias_of:
                introduced.setdefault(match_key(m.surface), (m.alias_of, m.cls))
    if not introduced:
        return section_topics, per_sentence
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(k) for k in sorted(introduced, key=len, reverse=True)) + r")(?![A-Za-z0-9])", re.I)

    def retarget(found: list[Mention]) -> list[Mention]:
        out = []
        for m in found:
            hit = introduced.get(match_key(m.surface))
            if hit and not m.alias_of:
                m = dataclasses.replace(m, cls=hit[1], alias_of=hit[0])
            out.append(m)
        return out

    new_sentences = []
    for sent, found in zip(report.sentences, per_sentence):
        found = retarget(found)
        for hit in pattern.finditer(sent.text):
            s, e = sent.start + hit.start(), sent.start + hit.end()
            if not any(m.start < e and s < m.end for m in found):
                long, cls = introduced[match_key(hit.group(0))]
                found.append(Mention(hit.group(0), cls, s, e, sent.index, "abbreviation", alias_of=long))
        new_sentences.append(sorted(found, key=lambda m: m.start))
    return {path: retarget(found) for path, found in section_topics.items()}, new_sentences


def _merge_abbreviations(entities: list[Entity], mention_to_entity: dict[int, str]) -> list[Entity]:
    """An entity named only by an abbreviation (AI, from AI大模型) joins the entity the
    report introduced it for (人工智能（AI）); ``mention_to_entity`` is updated in place."""
    by_alias: dict[str, Entity] = {}
    for e in entities:
        for a in e.aliases:
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9\-.]{0,11}", a):
                by_alias.setdefault(match_key(a), e)
    merged: dict[str, Entity] = {}
    for e in entities:
        target = by_alias.get(e.key)
        if target is not None and target.id != e.id and e.key != target.key:
            merged[e.id] = target
    if not merged:
        return entities
    extra: dict[str, list[str]] = {}
    for eid, target in merged.items():
        e = next(x for x in entities if x.id == eid)
        extra.setdefault(target.id, []).extend([e.label, *e.aliases])
    out = []
    for e in entities:
        if e.id in merged:
            continue
        if e.id in extra:
            aliases = tuple(sorted(set(e.aliases) | {a for a in extra[e.id] if a != e.label}))
            e = dataclasses.replace(e, aliases=aliases)
        out.append(e)
    for mid, eid in mention_to_entity.items():
        if eid in merged:
            mention_to_entity[mid] = merged[eid].id
    return out


def _sectors_are_not_organisations(report: Report, per_sentence, lex: Lexicon):
    """A name the NER model calls an organisation but the report calls a sector
    (新能源汽车 in 新能源汽车行业/产业) is a segment of the market, not a participant."""
    text = normalise(report.text)
    sectors = set()
    for found in per_sentence:
        for m in found:
            if m.source == "named" and m.cls == "Actor":
                key = normalise(m.surface)
                if re.search(re.escape(key) + r"(?:行业|产业(?!链))", text):
                    sectors.add(key)
    if not sectors:
        return per_sentence
    return [
        [dataclasses.replace(m, cls="Scenario") if m.source == "named" and normalise(m.surface) in sectors else m for m in found]
        for found in per_sentence
    ]


def _claims_and_relations(report, per_sentence, section_roles, section_topics, mention_to_entity, entities, lex):
    """One claim per informative sentence, typed by its section and cues; the relations it states."""
    ent_by_id = {e.id: e for e in entities}
    claims: list[Claim] = []
    relations: list[Relation] = []
    for sent, found in zip(report.sentences, per_sentence):
        norm = _same_length_normalise(sent.text)
        if len(norm.strip()) < 6 or not _HAN_RE.search(norm):
            continue
        hedged = _is_hedged(norm, lex)
        numbers = tuple(dict.fromkeys(m.group(0).strip() for m in _NUMBER_RE.finditer(sent.text) if _meaningful_number(m.group(0))))
        role = _claim_role(norm, section_roles.get(sent.section_path), hedged, numbers, lex)
        ent_ids = tuple(dict.fromkeys(mention_to_entity[id(m)] for m in found if id(m) in mention_to_entity))
        about = _claim_about(sent.section_path, section_topics, mention_to_entity)
        claim_id = f"{report.id}-{sent.index}"
        claims.append(
            Claim(
                id=claim_id, report_id=report.id, sentence_index=sent.index, text=sent.text,
                start=sent.start, end=sent.end, section_path=sent.section_path, role=role, hedged=hedged,
                numbers=numbers, entity_ids=ent_ids, about=tuple(about),
            )
        )
        relations.extend(_cue_relations(norm, sent.start, found, mention_to_entity, ent_by_id, lex, claim_id))
        relations.extend(_topic_relations(about, ent_ids, ent_by_id, claim_id, norm))
    return claims, relations


def _claim_role(norm: str, section_role: str | None, hedged: bool, numbers, lex: Lexicon) -> str:
    role = _ROLE_TO_CLAIM.get(section_role or "", "fact")
    if _is_strategy_sentence(norm, lex):
        role = "strategy"
    if role == "fact":
        role = "forecast" if hedged else ("number" if numbers else "fact")
    return role


def _claim_about(path: tuple[str, ...], section_topics, mention_to_entity) -> list[str]:
    """The entities the headings above a sentence name (innermost first)."""
    about: list[str] = []
    for depth in range(len(path), 0, -1):
        for m in section_topics.get(path[:depth], []):
            eid = mention_to_entity.get(id(m))
            if eid and eid not in about:
                about.append(eid)
    return about


_INDUSTRY_LINKS = {"Driver": "drives", "Challenge": "hinders", "Trend": "shapes", "Strategy": "addresses", "Actor": "operatesIn"}


def _with_industry(report: Report, industry: tuple[str, ...], entities: list[Entity], claims, relations, mention_to_entity):
    """Add the report's Industry entity, linked from its drivers, challenges, trends, strategies
    and actors, each link derived from the first claim that mentions the entity.

    An entity named like the industry is merged into it: ``claims`` and
    ``mention_to_entity`` are updated in place.
    """
    if not industry:
        return entities, relations
    key = match_key(industry[0])
    ind_id = entity_id("Industry", key)
    # An entity named like the industry (光伏 as a technology) is the industry itself.
    names = {match_key(n) for n in industry}
    same = {e.id for e in entities if e.key in names}
    aliases = [*industry[1:], *(a for e in entities if e.id in same for a in (e.label, *e.aliases))]
    aliases = [a for a in dict.fromkeys(aliases) if match_key(a) != key or a != industry[0]]
    aliases = [a for a in aliases if a != industry[0]]
    ind = Entity(id=ind_id, cls="Industry", label=industry[0], key=key, aliases=tuple(aliases))
    if same:
        entities = [e for e in entities if e.id not in same]
        swap = lambda eid: ind_id if eid in same else eid  # noqa: E731
        claims[:] = [
            dataclasses.replace(c, entity_ids=tuple(dict.fromkeys(map(swap, c.entity_ids))), about=tuple(dict.fromkeys(map(swap, c.about))))
            for c in claims
        ]
        relations = [Relation(swap(r.subject), r.predicate, swap(r.object), r.claim_id) for r in relations]
        for mid, eid in mention_to_entity.items():
            mention_to_entity[mid] = swap(eid)
    # The claim that states an entity: the first that mentions it, else the first in
    # the section its heading names it for.
    first_claim: dict[str, str] = {}
    for c in claims:
        for eid in c.entity_ids:
            first_claim.setdefault(eid, c.id)
    for c in claims:
        for eid in c.about:
            first_claim.setdefault(eid, c.id)
    links = [
        Relation(e.id, _INDUSTRY_LINKS[e.cls], ind.id, first_claim[e.id])
        for e in entities
        if e.cls in _INDUSTRY_LINKS and e.id in first_claim
    ]
    return [*entities, ind], [*relations, *links]


# ------------------------------------------------------------- sections ---


def _section_roles(report: Report, lex: Lexicon) -> dict[tuple[str, ...], str]:
    roles: dict[tuple[str, ...], str] = {}
    for sec in report.sections:
        own = lex.role_of_heading(sec.title)
        inherited = roles.get(sec.path[:-1]) if len(sec.path) > 1 else None
        role = inherited or own if sec.level > 1 else own
        if role:
            roles[sec.path] = role
    return roles


def _has_children(report: Report, path: tuple[str, ...]) -> bool:
    return any(len(s.path) > len(path) and s.path[: len(path)] == path for s in report.sections)


def _heading_entities(
    title: str, offset: int, report: Report, role: str | None, lex: Lexicon, has_children: bool
) -> list[Mention]:
    """Entities a heading names: the subject of a role section's subsection."""
    heading_line_start = offset + report.text[offset:].find(title) if title in report.text[offset:] else offset
    out: list[Mention] = []
    norm = normalise(title)
    # Coined terms in quotes and known entities in the heading count wherever it is.
    out.extend(_sentence_mentions(title, heading_line_start, -1, lex, heading=True))
    if not role or has_children:
        return out
    if role == "actor":
        head = norm.split("的")[0]
        phrase = _phrase_mentions(head, title[: len(head)], heading_line_start, -1, lex, only_class="Actor")
        out.extend(m for m in phrase if m.end - heading_line_start == len(head))
        return out
    cls = _ROLE_TO_CLASS[role]
    main = _HEADING_TAIL_SPLIT_RE.split(norm, maxsplit=1)
    name_norm = main[0]
    alias_norm = main[1] if len(main) > 1 else ""
    # "X催生Y" / "X重塑Y": the subject before a driving verb is the entity.
    for cue, pred in sorted(lex.relation_cues.items(), key=lambda kv: -len(kv[0])):
        if pred in ("drives", "hinders") and cue in name_norm[2:]:
            name_norm = name_norm[: name_norm.index(cue, 2)]
            alias_norm = ""
            break
    name_norm = name_norm.strip()
    name_norm = _words_re(lex, "trailing_adverb", "({})$").sub("", name_norm)  # 政策与出海共同(驱动): the adverb is not the name
    parts = [p for p in _SPLIT_TITLE_RE.split(name_norm) if p]
    # "A与B" names two things when both sides are full phrases (监管压力与成本攀升);
    # a short side shares the predicate (零部件与材料国产化提速 is one trend).
    if len(parts) > 1 and all(len(_strip_quotes(p)) >= 4 for p in parts):
        names = parts
    else:
        names = [name_norm]
    for name in names:
        clean = _strip_quotes(name)
        if len(clean) < 2 or len(clean) > 16 or _generic_heading(clean, lex):
            continue
        start = norm.find(name)
        surface = title[start : start + len(name)] if len(title) == len(norm) and start >= 0 else name
        out.append(Mention(_strip_quotes(surface), cls, heading_line_start + max(start, 0), heading_line_start + max(start, 0) + len(name), -1, "heading"))
        if alias_norm and len(names) == 1 and 2 <= len(alias_norm) <= 16:
            a_start = norm.find(alias_norm)
            a_surface = title[a_start : a_start + len(alias_norm)] if len(title) == len(norm) else alias_norm
            out.append(Mention(_strip_quotes(a_surface), cls, heading_line_start + a_start, heading_line_start + a_start + len(alias_norm), -1, "heading-alias", alias_of=_strip_quotes(surface)))
    return out




def _generic_heading(name: str, lex: Lexicon) -> bool:
    """Headings like 行业驱动因素 or 发展趋势分析 name the role, not an entity;
    nor do headings addressed to someone (对企业的建议)."""
    # 风险提示 is a disclosure heading; 对企业的建议 is addressed to someone
    if _words_re(lex, "survey_heading").search(name) or _words_re(lex, "addressed_to", "^(?:{})").match(name):
        return True
    rest = name
    for _, cue in lex.role_cues:
        rest = rest.replace(cue, "")
    for w in sorted(lex.heads("heading_generic"), key=len, reverse=True):
        rest = rest.replace(w, "")
    return len(rest) < 2


def _strip_quotes(text: str) -> str:
    return re.sub(r"[“”\"「」『』‘’]", "", text).strip()


# -------------------------------------------------------------- mentions ---


@lru_cache(maxsize=4096)  # asked for each sentence by the mention rules and the claims
def _same_length_normalise(text: str) -> str:
    """Script-normalise ``text`` keeping its length, so offsets into both agree.

    NFKC widens a few characters (``……`` → ``......``, ``㎡`` → ``m2``, ``℃`` → ``°C``);
    those characters are kept as they are and the runs between them normalised, so
    one of them no longer turns normalisation off for the whole sentence.
    """
    norm = normalised(text)
    if len(norm) == len(text):
        return norm
    parts: list[str] = []
    run_start = 0
    for i, ch in enumerate(text):
        if len(normalise(ch)) != 1:
            if run_start < i:
                parts.append(_run_normalise(text[run_start:i]))
            parts.append(ch)
            run_start = i + 1
    if run_start < len(text):
        parts.append(_run_normalise(text[run_start:]))
    return "".join(parts)


def _run_normalise(run: str) -> str:
    norm = normalise(run)
    # OpenCC maps character for character on these texts; keep the run if it ever did not.
    return norm if len(norm) == len(run) else run


def _sentence_mentions(text: str, offset: int, sent_index: int, lex: Lexicon, heading: bool = False) -> list[Mention]:
    norm = _same_length_normalise(text)
    found: list[Mention] = []
    found.extend(_phrase_mentions(norm, text, offset, sent_index, lex))
    found.extend(_lexicon_mentions(norm, text, offset, sent_index, lex))
    found.extend(_scenario_mentions(norm, text, offset, sent_index, lex))
    found.extend(_regulation_mentions(norm, text, offset, sent_index, lex))
    found.extend(_strategy_mentions(norm, text, offset, sent_index, lex))
    found.extend(_named_mentions(norm, text, offset, sent_index, lex))
    found.extend(_abbreviation_mentions(norm, text, offset, sent_index, lex, found))
    # A noun phrase that is exactly a quoted span is a figure of speech (从“成本中心”升级).
    quoted_spans = {(m.start(1), m.end(1)) for m in _QUOTE_RE.finditer(norm)}
    found = [
        m for m in found
        if m.source != "phrase" or (m.start - offset, m.end - offset) not in quoted_spans
        or m.surface in lex.actor_nouns
    ]
    kept = _non_overlapping(found)
    # A phrase the NER model also tagged as a name is a name (中国银行: its region stays inside).
    named = {(m.start, m.end, m.cls) for m in found if m.source == "named"}
    kept = [dataclasses.replace(m, source="named") if (m.start, m.end, m.cls) in named else m for m in kept]
    # A region inside a longer name (美国|军工企业) is a mention of the region too.
    nested = [m for m in found if m.cls == "Region" and m.source == "lexicon" and m not in kept and _inside_long_name(m, kept, found)]
    return sorted(kept + nested, key=lambda m: (m.start, m.end))


_COORD_RE = re.compile(r"[和与及、]")


def _named_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """Organisations and places the NER model names; enumerations of named participants."""
    from .ner import lac_words

    words = lac_words(text)
    if not words:
        return []
    out: list[Mention] = []
    for k, w in enumerate(words):
        # 華為雲(ORG)和騰訊雲(nz): a name coordinated with an organisation is one too.
        if w.tag in ("nz", "PER") and len(w.text) >= 2 and k >= 2 and words[k - 1].text in ("和", "与", "與", "及", "、") and words[k - 2].tag == "ORG":
            out.append(Mention(text[w.start : w.end], "Actor", offset + w.start, offset + w.end, sent_index, "named"))
        if w.tag == "ORG":
            for s, e in _coordinated_parts(norm, w.start, w.end):
                name = norm[s:e]
                if name in lex.generic_words or name.endswith(tuple(lex.heads("abstract_ending"))) or name in lex.regions or "等" in name:
                    continue
                out.append(Mention(text[s:e], "Actor", offset + s, offset + e, sent_index, "named"))
        elif w.tag == "LOC":
            name = norm[w.start : w.end]
            if name in lex.regions or (len(name) >= 3 and name.endswith(tuple(lex.heads("place_suffix")))):
                out.append(Mention(text[w.start : w.end], "Region", offset + w.start, offset + w.end, sent_index, "named"))
    out.extend(_enumerated_actors(norm, text, offset, sent_index, lex, words))
    return out


def _coordinated_parts(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a coordinated name (華為雲和騰訊雲) into its parts when each is a name itself."""
    cuts = [m.start() + start for m in _COORD_RE.finditer(norm[start:end])]
    if not cuts:
        return [(start, end)]
    bounds = [start, *cuts, end]
    parts = [(bounds[k] + (k > 0), bounds[k + 1]) for k in range(len(bounds) - 1)]
    if all(e - s >= 2 for s, e in parts):
        return parts
    return [(start, end)]


_ENUM_RE = re.compile(r"(?:[^，,。；;：:、\s()（）]{2,10}、)+[^，,。；;：:、\s()（）]{2,12}?(?=等|这类|这些|这样的|在内的)")
_REPRESENTED_RE = re.compile(r"以([^，,。；;：:以]{2,40}?)为(?:代表|首)的")
_SUCH_AS_RE = re.compile(r"[(（]?如([^，,。；;：:)）]{2,60})")


def _enumeration_class(tail: str, lex: Lexicon) -> str | None:
    """The class the head noun of the phrase after a list gives its items (None: no head)."""
    cut = re.search(r"[，,。；;：:的之]", tail)
    tail = tail[: cut.start()] if cut else tail
    heads = dict(lex.enumeration_heads or {})
    for h in lex.org_suffixes | lex.actor_nouns:
        heads.setdefault(h, "Actor")
    best = None
    for h, cls in heads.items():
        pos = tail.find(h)
        if pos >= 0:
            key = (pos + len(h), -len(h))
            if best is None or key < best[0]:
                best = (key, cls)
    return best[1] if best else None


def _enumerated_actors(norm, text, offset, sent_index, lex, words) -> list[Mention]:
    """A、B、C等(多家)企业 / 领域如A、B: the items of a list take the class of its head noun
    (企业 → Actor, 技术路线 → Technology, 领域 → Scenario; lex_enumeration_heads.txt)."""
    out: list[Mention] = []
    lists: list[tuple[int, int, str]] = []
    for m in _ENUM_RE.finditer(norm):
        cls = _enumeration_class(norm[m.end() : m.end() + 14], lex)
        if cls:
            lists.append((m.start(), m.end(), cls))
    for m in _REPRESENTED_RE.finditer(norm):
        # 以A和B为代表的企业: the named examples take the class of the noun after 的.
        cls = _enumeration_class(norm[m.end() : m.end() + 14], lex)
        if cls and len(re.split(r"[、和与及]", m.group(1))) > 1:
            lists.append((m.start(1), m.end(1), cls))
    for m in _SUCH_AS_RE.finditer(norm):
        before = norm[max(0, m.start() - 6) : m.start()]
        cls = next((c for h, c in sorted((lex.enumeration_heads or {}).items(), key=lambda kv: -len(kv[0])) if before.endswith(h)), None)
        end = m.end(1)
        cut = m.group(1).find("等")
        if cut > 0:
            # 企业(如在A、B等领域): the list ends at 等, and the noun after it is its head.
            end = m.start(1) + cut
            cls = _enumeration_class(norm[end + 1 : end + 15], lex) or cls
        if cls and re.search(r"[、和及与]", norm[m.start(1) : end]):
            lists.append((m.start(1), end, cls))
    starts = {w.start for w in words} if lists else set()
    for s0, e0, cls in lists:
        pos = s0
        raw = norm[s0:e0]
        items = re.split(r"、", raw)
        for n, item in enumerate(items):
            s, e = pos, pos + len(item)
            pos = e + 1
            parts = _coordinated_parts(norm, s, e) if n == len(items) - 1 else [(s, e)]
            for ps, pe in parts:
                if n == 0 and not _is_word_start(norm, ps, words):
                    # The list's first item starts at a word boundary of the model.
                    ps = max((b for b in starts if ps <= b < pe - 1), default=ps)
                name = norm[ps:pe].strip()
                if not 2 <= len(name) <= 10 or re.search(r"[\d%]", name) and cls == "Actor" or name in lex.generic_words:
                    continue
                out.append(Mention(text[ps:pe], cls, offset + ps, offset + pe, sent_index, "enumeration"))
    return out


def _is_word_start(norm: str, pos: int, words) -> bool:
    # The first item starts where the model's name there starts, when it tagged one.
    return any(w.start == pos and w.tag in ("ORG", "LOC", "PER", "nz") for w in words)


_ABBR_RE = re.compile(r"\(([A-Za-z][A-Za-z0-9\-.]{0,11})\)")


def _abbreviation_mentions(norm, text, offset, sent_index, lex, found) -> list[Mention]:
    """An abbreviation introduced in brackets (新能源汽车（NEV）) is an alias of the term before it."""
    out: list[Mention] = []
    for m in _ABBR_RE.finditer(norm):
        abbr_s, abbr_e = m.start(1), m.end(1)
        before = [f for f in found if f.end - offset == m.start()]
        if before:
            long = max(before, key=lambda f: f.end - f.start)
            cls, ls = long.cls, long.start - offset
        else:
            ls = _noun_phrase_start(norm, text, m.start())
            if ls is None:
                continue
            cls = "Technology"  # an abbreviation in brackets mostly names a technical term (BEV, SiC)
            out.append(Mention(text[ls : m.start()], cls, offset + ls, offset + m.start(), sent_index, "abbreviation"))
        long_surface = text[ls : m.start()]
        out.append(Mention(text[abbr_s:abbr_e], cls, offset + abbr_s, offset + abbr_e, sent_index, "abbreviation", alias_of=long_surface))
    return out


def _noun_phrase_start(norm: str, text: str, end: int) -> int | None:
    """Where the term ending at ``end`` (right before a bracketed abbreviation) starts: the
    words back to a function word, a two-character verb, a number or punctuation, at most
    four words and eight characters (纯电动, 插混, 增程式, 电池电动车 or 燃料电池车)."""
    from .roles import _tagged

    toks = [t for t in _tagged(norm, text) if t.end <= end]
    begin = None
    used = 0
    for t in reversed(toks):
        if t.end != (begin if begin is not None else end):
            break
        if (
            used == 4 or end - t.start > 8 or not re.fullmatch(r"[\u4e00-\u9fff]+", t.text)
            or t.pos in _STOP_POS or t.pos in ("m", "mq", "f", "vd") or (t.pos == "v" and len(t.text) > 1)
        ):
            break
        begin = t.start
        used += 1
    return begin if begin is not None and end - begin >= 2 else None


_PRIORITY = {"heading": 0, "abbreviation": 0, "strategy": 1, "role": 1, "enumeration": 1, "phrase": 2, "named": 2, "lexicon": 3, "scenario": 1, "regulation": 1}


def _non_overlapping(found: list[Mention]) -> list[Mention]:
    """Keep the longest mention where spans overlap (ties: the surer source)."""
    ordered = sorted(found, key=lambda m: (-(m.end - m.start), _PRIORITY.get(m.source, 5), m.start))
    kept: list[Mention] = []
    for m in ordered:
        if any(m.start < k.end and k.start < m.end for k in kept):
            continue
        kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def _left_modifier(
    toks: list[Token], head_start: int, norm: str, tech_head: bool = False, lex: Lexicon | None = None,
    head_is_actor: bool = False,
) -> int:
    """Return where the modifier of a head starting at ``head_start`` begins.

    Modifiers are up to three content tokens.  They stop at function words,
    numbers and ordinals (第二), cue verbs of the lexicons (带动, 导致), and at
    a verb that takes an object: a verb joins an organisation's name only right
    before its head (催收机构), and a technology's only in a chain of verbs
    ending at the head (失联修复工具, not 导入国产设备).
    """
    idx = next((i for i, t in enumerate(toks) if t.start <= head_start < t.end), None)
    if idx is None:
        return head_start
    begin = toks[idx].start  # a head inside a token keeps the token's left part
    used = 1 if begin < head_start else 0
    # Every token between this one and the head is a verb (a head inside a word, 工业|机器人,
    # has a noun before it already).
    only_verbs_since = begin == head_start
    cue_words = _cue_words(lex) if lex is not None else frozenset()
    i = idx - 1
    while i >= 0 and used < 3 and head_start - toks[i].start <= 8:
        t = toks[i]
        if t.pos in _STOP_POS or (lex is not None and t.text in lex.phrase_stopwords) or t.text in cue_words:
            break
        if not re.fullmatch(r"[\u4e00-\u9fffA-Za-z]+", t.text):
            break
        if t.pos == "m" and (re.search(r"\d", t.text) or len(t.text) < 3):
            break  # 2025年, 第二, 两家; but 第三方 stays
        if tech_head and t.pos in ("v", "vn") and idf_weight(t.text) < 4.5:
            break  # an everyday verb (影响 4.0, 生产 4.4 in jieba IDF) takes the head as its object: 影响|芯片
        if t.pos == "v":
            if head_is_actor:
                break  # 导致高校: a complete actor noun takes no verb
            if not tech_head and (used > 0 or t.end != head_start):
                break
            if tech_head and not only_verbs_since:
                break
        else:
            only_verbs_since = False
        begin = t.start
        used += 1
        i -= 1
    # A lone character at the left edge, right after another lone character the
    # modifier could not take, is the tail of a word cut in two (本|土设备厂商):
    # leave it out.  (冷|链运输企业 after a full word keeps its 冷.)
    k = next((j for j, t in enumerate(toks) if t.start == begin), None)
    if (
        k is not None and k > 0 and begin < head_start - 1
        and len(toks[k].text) == 1 and len(toks[k - 1].text) == 1
        and re.fullmatch(r"[\u4e00-\u9fff]", toks[k].text) and re.fullmatch(r"[\u4e00-\u9fff]", toks[k - 1].text)
    ):
        begin = toks[k].end
    return begin


def _cue_words(lex: Lexicon) -> frozenset[str]:
    key = (id(lex), "cue_words")
    if key not in _PATTERN_CACHE:
        words = {c for c in lex.relation_cues if len(c) >= 2} | {c for c in lex.strategy_cues if len(c) >= 2}
        _PATTERN_CACHE[key] = frozenset(words)  # type: ignore[assignment]
    return _PATTERN_CACHE[key]  # type: ignore[return-value]


def _phrase_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon, only_class: str | None = None) -> list[Mention]:
    """Organisation and technology noun phrases: modifiers + a head noun."""
    heads_re = _cached(lex, "heads", (lex.org_suffixes | lex.tech_heads) - lex.heads("extension_only"))
    if not heads_re.search(norm):
        return []
    toks = tokens(norm)
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    boundaries: set[int] | None = None
    for hm in _overlapping_longest(heads_re, norm):
        head = hm.group(0)
        hs, he = hm.start(), hm.end()
        if any(hs < e and s < he for s, e in taken):
            continue
        begin = _left_modifier(
            toks, hs, norm, tech_head=head in lex.tech_heads and head not in lex.org_suffixes, lex=lex,
            head_is_actor=head in lex.actor_nouns,
        )
        modifier = norm[begin:hs]
        # Drop non-specific leading words (部分, 各类 ...), then judge the phrase.
        if boundaries is None:
            boundaries = {t.start for t in toks}
        for q in _drop_words(lex):
            if modifier.startswith(q) and len(modifier) > len(q) and begin + len(q) in boundaries:
                begin += len(q)
                modifier = modifier[len(q) :]
                break
            if modifier == q:
                begin, modifier = hs, ""
                break
        phrase = norm[begin:he]
        cls = _classify_phrase(phrase, modifier, head, toks, lex)
        if cls is None or (only_class and cls != only_class):
            continue
        taken.append((begin, he))
        out.append(Mention(text[begin:he], cls, offset + begin, offset + he, sent_index, "phrase"))
    return out


def _drop_words(lex: Lexicon) -> tuple[str, ...]:
    key = (id(lex), "drop")
    if key not in _PATTERN_CACHE:
        _PATTERN_CACHE[key] = tuple(sorted(lex.nonspecific | lex.heads("qualifier_drop"), key=len, reverse=True))  # type: ignore[assignment]
    return _PATTERN_CACHE[key]  # type: ignore[return-value]


def _overlapping_longest(pattern: re.Pattern[str], text: str):
    """Matches of an alternation (longest first) at every position, overlaps allowed.

    The caller keeps the first match it accepts at a span, so a longer head
    (运营商) wins over a shorter one inside it (商) as with one regex per head.
    """
    found = []
    # search() from a position returns the match at the first position where match()
    # succeeds, so this visits the same matches with the scan done in C.
    m = pattern.search(text)
    while m:
        found.append(m)
        m = pattern.search(text, m.start() + 1)
    return sorted(found, key=lambda m: (-(m.end() - m.start()), m.start()))


def _classify_phrase(phrase: str, modifier: str, head: str, toks: list[Token], lex: Lexicon) -> str | None:
    if phrase in lex.actor_nouns:
        return "Actor"
    if phrase in lex.technology:
        return "Technology"
    if not modifier:
        return None
    # "does any term occur in the modifier" as one alternation search per lexicon
    techy = bool(_terms_re(lex, "tech_modifiers", lambda: lex.tech_modifiers).search(modifier)) or bool(
        _terms_re(lex, "technology_lower", lambda: [t.lower() for t in lex.technology if len(t) >= 2]).search(modifier.lower())
    )
    # A Latin or alphanumeric code before a technical head names a product line (800V平台, P型电池).
    techy = techy or bool(re.search(r"[A-Za-z]|\d+[A-Za-z型代]", modifier))
    if head in lex.tech_heads and head not in lex.org_suffixes:
        if techy or (head in lex.heads("strong_tech") and len(modifier) >= 2):
            return "Technology"
        return None
    if head in lex.heads("ambiguous"):
        if techy or modifier.endswith(("共享", "服务", "管理", "交易", "监测", "信息")):
            return "Technology"
        return "Actor"
    if head in lex.org_suffixes:
        if head in lex.heads("weak_org") and len(modifier) < 2:
            return None
        if len(modifier) < 2 and not re.fullmatch(r"[A-Za-z]+", modifier):
            return None
        return "Actor"
    return None


_LATIN_CODE_RE = re.compile(r"[A-Za-z0-9]+")


def _lexicon_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    out = []
    short_heads = _cached(lex, "tech_heads", lex.tech_heads, max_len=4)
    tech = _tech_re(lex)
    for pattern, cls in ((tech, "Technology"), (_actor_re(lex), "Actor"), (_region_re(lex), "Region")):
        for m in (_tech_finditer(tech, _tech_first_re(lex), norm) if pattern is tech else pattern.finditer(norm)):
            s, e = m.start(), m.end()
            if cls == "Technology" and _LATIN_CODE_RE.fullmatch(m.group(0)):
                # An acronym must stand alone, not inside a longer Latin word.
                if (s and norm[s - 1].isascii() and norm[s - 1].isalnum()) or (e < len(norm) and norm[e].isascii() and norm[e].isalnum()):
                    continue
            # A technology term followed by a technology head forms one mention (区块链技术).
            if cls == "Technology":
                hm = short_heads.match(norm, e)
                if hm:
                    e = hm.end()
            out.append(Mention(text[s:e], cls, offset + s, offset + e, sent_index, "lexicon"))
    return out


_PATTERN_CACHE: dict[tuple[int, str], re.Pattern[str]] = {}


def _cached(lex: Lexicon, name: str, terms, flags: int = 0, max_len: int | None = None) -> re.Pattern[str]:
    key = (id(lex), name)
    if key not in _PATTERN_CACHE:
        if max_len is not None:
            terms = [t for t in terms if len(t) <= max_len]
        ordered = sorted((t for t in terms if len(t) >= 2 or t.isascii()), key=lambda t: (-len(t), t))
        _PATTERN_CACHE[key] = re.compile("|".join(re.escape(t) for t in ordered), flags)
    return _PATTERN_CACHE[key]


def _terms_re(lex: Lexicon, name: str, terms) -> re.Pattern[str]:
    """All of ``terms()`` as one alternation, to ask whether any occurs in a text; compiled once per lexicon."""
    key = (id(lex), f"any:{name}")
    if key not in _PATTERN_CACHE:
        _PATTERN_CACHE[key] = re.compile("|".join(re.escape(t) for t in sorted(terms(), key=lambda t: (-len(t), t))) or "(?!)")
    return _PATTERN_CACHE[key]


def _words_re(lex: Lexicon, kind: str, template: str = "{}") -> re.Pattern[str]:
    """The words of one kind of ``lex_head_kinds.txt`` as an alternation (longest first,
    single characters included) placed in ``template``; compiled once per lexicon."""
    key = (id(lex), f"{kind}:{template}")
    if key not in _PATTERN_CACHE:
        words = sorted(lex.heads(kind), key=lambda t: (-len(t), t))
        _PATTERN_CACHE[key] = re.compile(template.format("|".join(re.escape(w) for w in words) or "(?!)"))
    return _PATTERN_CACHE[key]


def _tech_re(lex: Lexicon) -> re.Pattern[str]:
    return _cached(lex, "tech", lex.technology, re.I)


def _tech_first_re(lex: Lexicon) -> re.Pattern[str] | None:
    """The first characters of the technology terms as one class (ignoring case, as
    :func:`_tech_re` does); None if a term is empty (it would match anywhere)."""
    key = (id(lex), "tech_first")
    if key not in _PATTERN_CACHE:
        terms = [t for t in lex.technology if len(t) >= 2 or t.isascii()]  # those of _tech_re
        _PATTERN_CACHE[key] = None if not all(terms) else re.compile(  # type: ignore[assignment]
            "[" + "".join(re.escape(c) for c in sorted({t[0] for t in terms})) + "]" if terms else "(?!)", re.I
        )
    return _PATTERN_CACHE[key]


def _tech_finditer(pattern: re.Pattern[str], first: re.Pattern[str] | None, text: str):
    """``pattern.finditer(text)``, trying ``pattern`` only where a term can start.

    A case-insensitive alternation of 240 terms is tried term by term at every position
    (re cannot skip ahead on a first-character set under IGNORECASE): ~28 µs a sentence.
    finditer tries each position in turn and resumes after a match; so does this, skipping
    the positions whose character starts no term.
    """
    if first is None:
        yield from pattern.finditer(text)
        return
    pos = 0
    while True:
        hit = first.search(text, pos)
        if hit is None:
            return
        m = pattern.match(text, hit.start())
        if m is None:
            pos = hit.start() + 1
        else:
            yield m
            pos = m.end()


def _actor_re(lex: Lexicon) -> re.Pattern[str]:
    return _cached(lex, "actor", lex.actor_nouns)


def _region_re(lex: Lexicon) -> re.Pattern[str]:
    return _cached(lex, "region", lex.regions)


def _scenario_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """Business scenarios: enumerations before 等…场景, prefixed activities, 应用于 X."""
    out = []
    toks = None
    for m in _ENUM_SCENARIO_RE.finditer(norm):
        pos = m.start(1)
        for n, item in enumerate(m.group(1).split("、")):
            start = pos
            if n == 0:  # the regex may have swallowed a verb before the first item (催生电商消费贷)
                toks = toks or tokens(norm)
                start = _skip_leading_verbs(toks, pos, pos + len(item))
            if pos + len(item) - start >= 2:
                out.append(Mention(text[start : pos + len(item)], "Scenario", offset + start, offset + pos + len(item), sent_index, "scenario"))
            pos += len(item) + 1
    out.extend(_segment_mentions(norm, text, offset, sent_index, lex))
    prefixed = _PATTERN_CACHE.get((id(lex), "prefixed_scenario"))
    if prefixed is None:  # compiled once, not looked up in re's cache by its long pattern per sentence
        prefixes = _cached(lex, "scenario_prefixes", lex.scenario_prefixes)
        prefixed = _PATTERN_CACHE[(id(lex), "prefixed_scenario")] = re.compile(
            f"(?:{prefixes.pattern})" + r"[\u4e00-\u9fff]{2}(?=需求|业务|场景|模式|服务|市场)"
        )
    for m in prefixed.finditer(norm):
        out.append(Mention(text[m.start() : m.end()], "Scenario", offset + m.start(), offset + m.end(), sent_index, "scenario"))
    applied = _words_re(lex, "applied_to", "(?:{})([\u4e00-\u9fffA-Za-z]{{2,10}}?)(?=[，,。；;、]|$)")
    for m in applied.finditer(norm):
        item = m.group(1)
        if 2 <= len(item) <= 10 and not item.startswith(tuple(lex.heads("applied_to_goal"))):
            s = m.start(1)
            out.append(Mention(text[s : s + len(item)], "Scenario", offset + s, offset + s + len(item), sent_index, "scenario"))
    return out


_NOUNISH = {"n", "nz", "vn", "l", "j", "eng", "b", "ns", "nt", "an", "ng"}


def _segment_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """Market segments: a noun phrase ending in a segment head (城市|物流, 高价段, 供应链|金融;
    ``lex_scenario_heads.txt``) whose modifier is a specific noun, not a place or a participant."""
    from .roles import _tagged
    from .segment import idf_weight

    heads_re = _cached(lex, "scenario_heads", lex.scenario_heads)
    if not heads_re.search(norm):
        return []
    toks = _tagged(norm, text)
    ends = {t.end: k for k, t in enumerate(toks)}
    out = []
    for hm in heads_re.finditer(norm):
        k = ends.get(hm.end())
        if k is None or (k + 1 < len(toks) and toks[k + 1].pos in ("n", "nz")):
            continue  # inside a word, or qualifying a longer noun (物流|企业, 金融|机构)
        inner = next((t for t in toks if t.start < hm.start() < t.end), None)
        if inner is not None:  # the head ends a word (高价段, 平价|段): the word is the phrase
            start = inner.start
            modifier = norm[start : hm.end()]
        else:  # the head is a word of its own: one noun before it (城市|物流)
            j = next((j for j, t in enumerate(toks) if t.end == hm.start()), None)
            if j is None or toks[j].pos not in ("n", "nz") or len(toks[j].text) < 2:
                continue
            start, modifier = toks[j].start, toks[j].text
        if (
            any(modifier.startswith(r) for r in lex.regions if len(r) >= 2) or modifier in lex.generic_words
            or modifier in lex.nonspecific or modifier in lex.phrase_stopwords or modifier in lex.actor_nouns
            or not re.fullmatch(r"[\u4e00-\u9fff]+", modifier) or idf_weight(modifier) < 6.5
        ):
            continue
        out.append(Mention(text[start : hm.end()], "Scenario", offset + start, offset + hm.end(), sent_index, "scenario"))
    return out


def _skip_leading_verbs(toks: list[Token], begin: int, end: int) -> int:
    """Move ``begin`` past verbs and function words that open the span."""
    for t in toks:
        if t.start < begin:
            continue
        if t.start >= end or end - t.start <= 2 or t.pos not in ("v", "p", "c", "d", "u", "uj"):
            return t.start if t.start >= begin else begin
    return begin


def _strategy_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """Means and measures: 通过差异化竞争…, and what a strategy sentence builds (共建X)."""
    out = []
    toks: list[Token] | None = None
    means = _words_re(lex, "strategy_head", "通过([\u4e00-\u9fff]{{1,6}}化?(?:{}))(?=[\u4e00-\u9fff])")
    for m in means.finditer(norm):
        s, e = m.start(1), m.end(1)
        toks = toks or tokens(norm)
        inside = [t for t in toks if s <= t.start < e]
        # Only a noun phrase is a means (差异化竞争), not a clause (资本并购扩大服务, 与高校合作).
        if inside and inside[0].start == s and inside[-1].end == e and all(t.pos in _NOUNISH | {"a", "ad"} for t in inside):
            out.append(Mention(text[s:e], "Strategy", offset + s, offset + e, sent_index, "strategy"))
    if _words_re(lex, "strategy_sentence").search(norm):
        toks = tokens(norm)
        for m in _words_re(lex, "build_verb").finditer(norm):
            s = m.end()
            run = [t for t in toks if t.start >= s]
            end = s
            for t in run:
                if t.pos not in _NOUNISH and not (t.pos == "v" and t.end - s <= 6 and end > s):
                    break
                end = t.end
                if end - s >= 12:
                    break
            if end - s >= 4:
                out.append(Mention(text[s:end], "Strategy", offset + s, offset + end, sent_index, "strategy"))
    return out


def _policy_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    """Policy instruments named outside 《》: a specific noun phrase closed by a policy head
    (小额进口免税|政策, 电动汽车电池新|国标, “反内卷”|政策, L3级|法规; heads in
    ``lex_regulation.txt``).  A phrase of everyday words only (产业政策, 相关政策) is none."""
    if not any(h in norm for h in lex.regulation_heads):
        return []
    from .roles import _tagged
    from .segment import idf_weight

    toks = _tagged(norm, text)
    out = []
    for k, t in enumerate(toks):
        if t.text not in lex.regulation_heads or (k + 1 < len(toks) and toks[k + 1].pos in ("n", "nz", "vn")):
            continue
        begin, words, j = None, [], k - 1
        if j >= 0 and toks[j].text in "”\"」":
            # A quoted name before the head (“三道红线”政策): the whole quote, whatever its words.
            opening = next((i for i in range(j - 1, max(-1, j - 8), -1) if toks[i].text in "“\"「"), None)
            if opening is not None and t.start - toks[opening].start <= 12:
                begin, words = toks[opening].start, [w.text for w in toks[opening + 1 : j]]
                j = -1
        while j >= 0 and len(words) < 4 and t.start - toks[j].start <= 10:
            w = toks[j]
            latin_code = w.pos == "m" and re.search(r"[A-Za-z]", w.text)
            if not (w.pos in ("n", "nz", "vn", "an", "b", "j", "a") or latin_code):
                break
            if w.text in lex.nonspecific or w.text in lex.phrase_stopwords or w.text in lex.regions:
                break
            begin, words = w.start, [w.text, *words]
            j -= 1
        if begin is None or not words:
            continue
        if len(words[0]) == 1 and begin > 0 and re.match(r"[\u4e00-\u9fff]", norm[begin - 1]):
            continue  # a word cut in two (带|量采购政策, 双|减政策): not a phrase
        if max(idf_weight(w) for w in words) < 6.5 or all(w in lex.generic_words for w in words):
            continue
        out.append(Mention(text[begin : t.end], "Regulation", offset + begin, offset + t.end, sent_index, "regulation"))
    return out


def _regulation_mentions(norm: str, text: str, offset: int, sent_index: int, lex: Lexicon) -> list[Mention]:
    out = _policy_mentions(norm, text, offset, sent_index, lex)
    for m in _TITLE_RE.finditer(norm):
        inner = m.group(1)
        # 《…纲要 (2023-2035 年)》: the years in brackets do not end the title.
        bare = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", inner)
        if bare.endswith(lex.regulation_suffixes) and "报告" not in inner:
            out.append(Mention(text[m.start(1) : m.end(1)], "Regulation", offset + m.start(1), offset + m.end(1), sent_index, "regulation"))
    for m in _cached(lex, "regulation", lex.regulation_terms).finditer(norm):
        out.append(Mention(text[m.start() : m.end()], "Regulation", offset + m.start(), offset + m.end(), sent_index, "regulation"))
    return out


# ---------------------------------------------------------------- claims ---


def _is_hedged(norm: str, lex: Lexicon) -> bool:
    if _terms_re(lex, "hedges", lambda: [c for c in lex.hedges if len(c) >= 2]).search(norm):
        return True
    # A lone 将 is a hedge only as an adverb before a verb (将迎来), not as 把 (将X转化为).
    return any(t.text == "将" and t.pos == "d" for t in tokens(norm)) if "将" in norm else False


def _is_strategy_sentence(norm: str, lex: Lexicon) -> bool:
    return bool(_terms_re(lex, "strategy_sentence", lambda: [c for c in lex.strategy_cues if len(c) >= 3] + ["唯有", "建议", "应当", "破局"]).search(norm))


_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_NON_DIGIT_RE = re.compile(r"\D")


def _meaningful_number(raw: str) -> bool:
    digits = _NON_DIGIT_RE.sub("", raw)
    return bool(digits) and (len(digits) >= 2 or not raw.strip().isdigit())


# ------------------------------------------------------------- relations ---

_PAIRS = {
    "uses": ({"Actor"}, {"Technology", "Strategy"}),
    "partnersWith": ({"Actor"}, {"Actor"}),
    "drives": ({"Driver", "Technology", "Regulation", "Trend"}, {"Scenario", "Trend", "Actor", "Technology", "Strategy"}),
    "hinders": ({"Challenge", "Regulation"}, {"Actor", "Scenario", "Trend"}),
    "addresses": ({"Strategy", "Technology", "Actor"}, {"Challenge"}),
    "regulates": ({"Regulation", "Actor"}, {"Actor", "Scenario"}),
    "operatesIn": ({"Actor", "Scenario", "Technology"}, {"Region"}),
}


def _cue_relations(norm, offset, found, m2e, ents, lex, claim_id) -> list[Relation]:
    """A relation cue between two mentions of the right classes in one clause."""
    out: list[Relation] = []
    located = [(m.start - offset, m.end - offset, m2e.get(id(m))) for m in found if id(m) in m2e]
    located = [(s, e, ents[eid]) for s, e, eid in located if eid in ents]
    # A与B合作 / A与B共建: partners.
    for s, e, ent in located:
        if ent.cls != "Actor" or s == 0 or norm[s - 1] not in "与和同跟":
            continue
        tail = norm[e : e + 6]
        if any(cue in tail for cue, pred in lex.relation_cues.items() if pred == "partnersWith"):
            left = [x for x in located if x[1] <= s - 1 and x[2].cls == "Actor" and not re.search(r"[，,。；;]", norm[x[1] : s - 1])]
            if left:
                out.append(Relation(left[-1][2].id, "partnersWith", ent.id, claim_id))
    cues = _cached(lex, "relation_cues", lex.relation_cues)
    for cm in _overlapping_longest(cues, norm):
            pred = lex.relation_cues[cm.group(0)]
            c0, c1 = cm.start(), cm.end()
            subj_ok, obj_ok = _PAIRS[pred]
            left = [x for x in located if x[1] <= c0 and c0 - x[1] <= 12 and x[2].cls in subj_ok and not re.search(r"[，,。；;]", norm[x[1] : c0])]
            right = [x for x in located if x[0] >= c1 and x[0] - c1 <= 10 and x[2].cls in obj_ok and not re.search(r"[，,。；;]", norm[c1 : x[0]])]
            if not left and right and pred == "uses":
                # A topic chain: the actor opening the sentence (头部机构通过…，同时利用X) is
                # the subject of the later clauses that name none of their own.
                opening = located[0] if located and located[0][0] <= 1 and located[0][2].cls == "Actor" else None
                clause_start = max(norm.rfind(p, 0, c0) for p in "，,；;")
                if opening and not any(x[2].cls == "Actor" and clause_start < x[0] < c0 for x in located):
                    left = [opening]
            if left and right:
                out.append(Relation(left[-1][2].id, pred, right[0][2].id, claim_id))
    return out


def _topic_relations(about, ent_ids, ents, claim_id, norm) -> list[Relation]:
    """Relations implied by the section a claim sits in (its topic entity)."""
    out: list[Relation] = []
    for topic_id in about:
        topic = ents.get(topic_id)
        if topic is None:
            continue
        for eid in ent_ids:
            other = ents.get(eid)
            if other is None or other.id == topic.id:
                continue
            if topic.cls == "Driver" and other.cls in ("Scenario", "Trend"):
                out.append(Relation(topic.id, "drives", other.id, claim_id))
            elif topic.cls == "Challenge" and other.cls == "Strategy":
                out.append(Relation(other.id, "addresses", topic.id, claim_id))
            elif topic.cls == "Challenge" and other.cls == "Actor" and re.search(r"面临|困境|制约|难以", norm):
                first_actor = next(e for e in ent_ids if ents.get(e) is not None and ents[e].cls == "Actor")
                if other.id == first_actor:
                    out.append(Relation(topic.id, "hinders", other.id, claim_id))
    return out


_register_preparer()

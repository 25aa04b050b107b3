"""Entity resolution: mentions in, entities (with aliases and merge notes) out.

Labels are compared after script normalisation (Traditional and Simplified
forms of a name are one entity).  Two further merges are made, and recorded
on the entity as ``merges``: a known technology with a head noun
(区块链技术 → 区块链), and an actor with a qualifier that does not
distinguish it (第三方催收机构 → 催收机构, see ``lex_merge_qualifiers.txt``).  A place
before a two-character institution noun names an institution of its own
(中国银行, 北京银行 are never merged into 银行).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from yanbao.corpus.script import match_key, normalise
from yanbao.core.records import Entity, content_hash

from .lexicon import Lexicon

__all__ = ["Mention", "resolve", "entity_id"]

# Which class wins when one name is found with several: the surest source first.
_SOURCE_RANK = {
    "heading": 0, "heading-alias": 0, "abbreviation": 1, "strategy": 2, "regulation": 2, "role": 2,
    "scenario": 3, "enumeration": 3, "named": 3, "phrase": 4, "lexicon": 5,
}


@dataclass(frozen=True, eq=False)
class Mention:
    """One surface form found in a report, before resolution (identity-hashed)."""

    surface: str
    cls: str
    start: int
    end: int
    sentence_index: int  # -1 for headings
    source: str
    alias_of: str | None = None


def entity_id(cls: str, key: str) -> str:
    """The id of the entity of class ``cls`` whose match key is ``key``."""
    return content_hash(f"{cls}|{key}")


@lru_cache(maxsize=1)
def _qualifiers() -> tuple[str, ...]:
    text = (resources.files("yanbao.kg") / "data" / "lex_merge_qualifiers.txt").read_text(encoding="utf-8")
    words = [normalise(l.strip()) for l in text.splitlines() if l.strip() and not l.startswith("#")]
    return tuple(sorted(words, key=len, reverse=True))


def _canonical(key: str, cls: str, keys_by_class: dict[str, set[str]], lex: Lexicon) -> tuple[int, int, str]:
    """Return ``(cut_left, cut_right, merge reason)``: how much of the mention names the entity.

    Keys and surfaces have the same length (t2s is character for character on
    matched text), so the cuts apply to the surface form too.
    """
    if cls == "Technology":
        techs = _lower_set(lex)
        for cut in range(len(key) - 1, 0, -1):  # the longest known technology first
            base, head = key[:cut], key[cut:]
            if base in techs and head in lex.tech_heads:
                return 0, len(head), f"a known technology ({base}) with the head noun {head}"
    if cls == "Actor":
        actors = keys_by_class.get("Actor", ())
        quals = _qualifier_set(lex.regions)
        for cut in range(len(key) - 2, 0, -1):  # the longest qualifier first
            q = key[:cut]
            # A place before a two-character institution noun is a name, not a
            # qualifier: 中国银行 and 北京银行 are banks of their own, not 银行.
            if q in lex.regions and len(key) - cut <= 2:
                continue
            if q in quals and key[cut:] in actors:
                return cut, 0, f"the qualifier {q} does not distinguish it"
    return 0, 0, ""


_QUALIFIER_SETS: dict[int, tuple[object, frozenset[str]]] = {}


def _qualifier_set(regions) -> frozenset[str]:
    """The merge qualifiers and the regions (a lexicon's), as one set: made once per
    lexicon, not per mention."""
    hit = _QUALIFIER_SETS.get(id(regions))
    if hit is None or hit[0] is not regions:
        if len(_QUALIFIER_SETS) > 8:
            _QUALIFIER_SETS.clear()
        hit = _QUALIFIER_SETS[id(regions)] = (regions, frozenset(_qualifiers()) | frozenset(regions))
    return hit[1]


@lru_cache(maxsize=4)
def _lower_set_cached(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(t.lower() for t in terms)


def _lower_set(lex: Lexicon) -> frozenset[str]:
    return _lower_set_cached(lex.technology)


def resolve(mentions: list[Mention], lex: Lexicon) -> tuple[list[Entity], dict[int, str]]:
    """Group mentions into entities.

    Returns ``(entities, mention_to_entity)`` where the mapping is keyed by
    ``id(mention)``.  Deterministic: entities are sorted by class and key.
    """
    keys_by_class: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        keys_by_class[m.cls].add(match_key(m.surface))

    # Canonical key and surface per mention; alias mentions follow their main name.
    canon: dict[int, tuple[str, str]] = {}
    name_of: dict[int, str] = {}
    for m in mentions:
        if m.alias_of:
            why = "an abbreviation introduced in brackets after it" if m.source == "abbreviation" else "named with it in the same heading"
            canon[id(m)] = (match_key(m.alias_of), why)
            name_of[id(m)] = m.alias_of
            continue
        key = match_key(m.surface)
        left, right, why = _canonical(key, m.cls, keys_by_class, lex)
        name = m.surface
        if why and len(key) == len(m.surface):
            name = m.surface[left : len(m.surface) - right]
        canon[id(m)] = (match_key(name) if why else key, why)
        name_of[id(m)] = name

    # One class per key: the surest source wins, then the most frequent class.
    # (plain dicts: a Counter's first count of a key is a Python-level call)
    votes: dict[str, dict[str, int]] = defaultdict(dict)
    best_rank: dict[str, dict[str, int]] = defaultdict(dict)
    for m in mentions:
        ckey = canon[id(m)][0]
        counted = votes[ckey]
        counted[m.cls] = counted.get(m.cls, 0) + 1
        rank = _SOURCE_RANK.get(m.source, 9)
        best_rank[ckey][m.cls] = min(best_rank[ckey].get(m.cls, 9), rank)
    cls_of = {
        k: min(v, key=lambda c: (best_rank[k][c], -v[c], c)) for k, v in votes.items()
    }

    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        ckey = canon[id(m)][0]
        groups[(cls_of[ckey], ckey)].append(m)

    entities: list[Entity] = []
    mapping: dict[int, str] = {}
    for (cls, key), ms in sorted(groups.items()):
        eid = entity_id(cls, key)
        names: dict[str, int] = {}
        for m in ms:
            name = name_of[id(m)]
            names[name] = names.get(name, 0) + 1
        label = min(names, key=lambda s: (-names[s], len(s), s))
        aliases = tuple(sorted({m.surface for m in ms} - {label}))
        merges = tuple(
            sorted({f"{m.surface}: {canon[id(m)][1]}" for m in ms if canon[id(m)][1] and m.surface != label})
        )
        entities.append(Entity(id=eid, cls=cls, label=label, key=key, aliases=aliases, merges=merges))
        for m in ms:
            mapping[id(m)] = eid
    return entities, mapping

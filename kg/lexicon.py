"""The domain lexicons of industry-report language (``kg/data/lex_*.txt``).

Entries are stored script-normalised (OpenCC t2s), so they match Traditional,
Simplified and mixed text alike.  See ``kg/data/LEXICONS.md`` for the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from yanbao.corpus.script import normalise

__all__ = ["Lexicon", "load_lexicon"]


def _rows(name: str, columns: int = 1) -> list[tuple[str, ...]]:
    cache = _row_cache()
    if (name, columns) in cache:
        return cache[(name, columns)]
    text = (resources.files("yanbao.kg") / "data" / name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = tuple(p.strip() for p in line.split("\t"))
        if len(parts) != columns:
            continue
        rows.append(tuple(normalise(p) for p in parts))
    cache[(name, columns)] = rows
    return rows


@lru_cache(maxsize=1)
def _row_cache() -> dict:
    """Normalised lexicon rows, kept in the user's cache between processes.

    Normalising every entry with OpenCC costs ~0.1 s, a tenth of a cold ``ask``;
    the cache is keyed by the lexicon files' sizes and times, so an edited
    lexicon is read again.
    """
    import atexit
    import hashlib
    from pathlib import Path

    from yanbao.core import cache

    folder = Path(str(resources.files("yanbao.kg") / "data"))
    stamp = hashlib.sha256(
        "".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};" for p in sorted(folder.glob("lex_*.txt"))).encode()
    ).hexdigest()[:16]
    name = f"lexicon-{stamp}.marshal"
    loaded = cache.load(name)
    if isinstance(loaded, list):
        try:
            return {tuple(k): [tuple(r) for r in v] for k, v in loaded}
        except (TypeError, ValueError):
            pass
    rows: dict = {}
    atexit.register(lambda: rows and cache.save(name, [(list(k), [list(r) for r in v]) for k, v in rows.items()]))
    return rows


def _words(name: str) -> frozenset[str]:
    return frozenset(r[0] for r in _rows(name))


@dataclass(frozen=True)
class Lexicon:
    """All lexicons, normalised; built once per process by :func:`load_lexicon`."""

    technology: frozenset[str]
    tech_heads: frozenset[str]
    tech_modifiers: frozenset[str]
    actor_nouns: frozenset[str]
    org_suffixes: frozenset[str]
    nonspecific: frozenset[str]
    regions: dict[str, str]
    role_cues: tuple[tuple[str, str], ...]  # (role, cue), longest cue first
    relation_cues: dict[str, str]  # cue -> predicate
    hedges: frozenset[str]
    strategy_cues: frozenset[str]
    scenario_heads: frozenset[str]
    scenario_prefixes: frozenset[str]
    regulation_terms: frozenset[str]
    regulation_suffixes: tuple[str, ...]
    regulation_heads: frozenset[str]
    question_stopwords: frozenset[str]
    intents: tuple[tuple[str, str], ...]  # (intent, cue), longest cue first
    # cue -> ((role, kind), ...): the cues around role phrases (lex_role_phrases.txt)
    role_phrases: dict[str, tuple[tuple[str, str], ...]] = None  # type: ignore[assignment]
    generic_words: frozenset[str] = frozenset()
    industry_markers: frozenset[str] = frozenset()
    phrase_stopwords: frozenset[str] = frozenset()
    head_kinds: dict[str, frozenset[str]] = None  # type: ignore[assignment]  # kind -> words
    topic_stopwords: frozenset[str] = frozenset()
    enumeration_heads: dict[str, str] = None  # type: ignore[assignment]  # head -> class

    def heads(self, kind: str) -> frozenset[str]:
        """Words of one kind of ``lex_head_kinds.txt`` (empty for an unknown kind)."""
        return (self.head_kinds or {}).get(kind, frozenset())

    def role_of_heading(self, heading: str) -> str | None:
        """Return the role a heading's cue words give its section, or None."""
        norm = normalise(heading)
        best: tuple[int, str] | None = None
        for role, cue in self.role_cues:
            pos = norm.find(cue)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, role)
        return best[1] if best else None

@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read and normalise every lexicon file of the package (cached per process)."""
    regulation = _rows("lex_regulation.txt", 2)
    return Lexicon(
        technology=_words("lex_technology.txt"),
        tech_heads=_words("lex_tech_heads.txt"),
        tech_modifiers=_words("lex_tech_modifiers.txt"),
        actor_nouns=_words("lex_actor_nouns.txt"),
        org_suffixes=_words("lex_org_suffixes.txt"),
        nonspecific=_words("lex_nonspecific_modifiers.txt"),
        regions={name: kind for name, kind in _rows("lex_regions.txt", 2)},
        role_cues=tuple(sorted(_rows("lex_role_cues.txt", 2), key=lambda r: -len(r[1]))),
        relation_cues={cue: pred for pred, cue in _rows("lex_relation_cues.txt", 2)},
        hedges=_words("lex_hedges.txt"),
        strategy_cues=_words("lex_strategy_cues.txt"),
        scenario_heads=_words("lex_scenario_heads.txt"),
        scenario_prefixes=_words("lex_scenario_prefixes.txt"),
        regulation_terms=frozenset(t for k, t in regulation if k == "term"),
        regulation_suffixes=tuple(sorted((t for k, t in regulation if k == "suffix"), key=len, reverse=True)),
        regulation_heads=frozenset(t for k, t in regulation if k == "head"),
        question_stopwords=_words("lex_question_stopwords.txt"),
        intents=tuple(sorted(_rows("lex_intent.txt", 2), key=lambda r: -len(r[1]))),
        role_phrases=_grouped(_rows("lex_role_phrases.txt", 3)),
        generic_words=_words("lex_generic_words.txt"),
        industry_markers=_words("lex_industry_markers.txt"),
        phrase_stopwords=_words("lex_phrase_stopwords.txt"),
        topic_stopwords=_words("lex_topic_stopwords.txt"),
        enumeration_heads={head: cls for cls, head in _rows("lex_enumeration_heads.txt", 2)},
        head_kinds={
            kind: frozenset(w for k, w in _rows("lex_head_kinds.txt", 2) if k == kind)
            for kind in {k for k, _ in _rows("lex_head_kinds.txt", 2)}
        },
    )


def _grouped(rows: list[tuple[str, ...]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """``(role, kind, cue)`` rows as ``cue -> ((role, kind), ...)``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for role, kind, cue in rows:
        out.setdefault(cue, []).append((role, kind))
    return {cue: tuple(v) for cue, v in out.items()}

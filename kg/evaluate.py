"""Score extraction against hand-made gold graphs (per-class precision and recall).

The public entry point is :func:`score_graphs`.  Two gold formats are read:

- a *multi-article* file (``eval/dev/gold_graphs.json``): ``{file name: {"industry": [forms],
  "entities": {class: [[forms], ...]}, "links": [...]}}``;
- a *single-article* file (``eval/seed_graph.json``): ``{"about": "... NAME.txt ...",
  "entities": {...}, "links": [...]}``; the article is the ``.txt`` name its ``about`` gives.

Matching follows the gold files' convention: a gold entity lists acceptable surface
forms, and an extracted entity matches it when its label or one of its aliases equals
one form after :func:`~yanbao.corpus.script.match_key` (script, width, case, quotes and
spaces folded).

- recall: the share of gold entities matched by an extracted entity of *any* class;
- typed recall: ... by an extracted entity of the gold entity's class;
- precision: the share of extracted entities (Industry nodes aside) that match some gold
  entity of any class;
- per class: recall over the gold entities of that class, precision over the extracted
  entities of that class;
- industry: an article counts when the extracted industry's label or an alias matches one
  of the gold industry forms.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from yanbao.core.errors import InputError
from yanbao.core.records import Extraction, Report
from yanbao.corpus.script import match_key

__all__ = ["ClassScore", "ArticleScore", "GraphScore", "load_gold", "read_article", "score_graphs", "score_extraction"]

CLASSES = ("Actor", "Driver", "Challenge", "Trend", "Strategy", "Technology", "Scenario", "Region", "Regulation")


@dataclass
class ClassScore:
    """Counts of one class: gold entities found (any class / same class), extracted entities matched."""

    gold: int = 0
    found: int = 0
    found_typed: int = 0
    extracted: int = 0
    matched: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def typed_recall(self) -> float:
        return self.found_typed / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 0.0

    def add(self, other: "ClassScore") -> None:
        self.gold += other.gold
        self.found += other.found
        self.found_typed += other.found_typed
        self.extracted += other.extracted
        self.matched += other.matched


@dataclass
class ArticleScore:
    """One article's scores, with what was missed and what was extracted beyond the gold."""

    name: str
    classes: dict[str, ClassScore]
    industry_gold: tuple[str, ...]
    industry_found: tuple[str, ...]
    industry_ok: bool
    missing: list[tuple[str, str]] = field(default_factory=list)  # (class, first form)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (class, label)

    @property
    def total(self) -> ClassScore:
        out = ClassScore()
        for c in self.classes.values():
            out.add(c)
        return out


@dataclass
class GraphScore:
    """Scores over all articles of a gold file."""

    articles: list[ArticleScore]

    @property
    def classes(self) -> dict[str, ClassScore]:
        out: dict[str, ClassScore] = defaultdict(ClassScore)
        for a in self.articles:
            for cls, s in a.classes.items():
                out[cls].add(s)
        return dict(out)

    @property
    def total(self) -> ClassScore:
        out = ClassScore()
        for a in self.articles:
            out.add(a.total)
        return out

    @property
    def industry_named(self) -> tuple[int, int]:
        scored = [a for a in self.articles if a.industry_gold]
        return sum(a.industry_ok for a in scored), len(scored)

    def to_dict(self) -> dict:
        """A JSON-ready summary: totals, per class, per article."""
        def row(s: ClassScore) -> dict:
            return {
                "gold": s.gold, "recall": round(s.recall, 3), "typed_recall": round(s.typed_recall, 3),
                "extracted": s.extracted, "precision": round(s.precision, 3),
            }
        ok, n = self.industry_named
        return {
            "total": row(self.total),
            "classes": {c: row(s) for c, s in sorted(self.classes.items())},
            "industry_named": [ok, n],
            "articles": [
                {
                    "name": a.name, **row(a.total), "industry_gold": list(a.industry_gold),
                    "industry_found": list(a.industry_found), "industry_ok": a.industry_ok,
                    "missing": [list(m) for m in a.missing], "unmatched": [list(u) for u in a.unmatched],
                }
                for a in self.articles
            ],
        }


def load_gold(path: str | Path) -> dict[str, dict]:
    """Read a gold file: ``{article file name: gold}`` for either format.

    Raises:
        InputError: the file is missing, not JSON, or neither format.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: cannot read the gold graph ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{p}: a gold graph is a JSON object")
    if "entities" in data:
        m = re.search(r"[\w.-]+\.(?:txt|md|html?)", str(data.get("about", "")))
        if not m:
            raise InputError(f"{p}: a single-article gold graph names its article (a .txt name) in 'about'")
        return {m.group(0): data}
    if not all(isinstance(v, dict) and "entities" in v for v in data.values()):
        raise InputError(f"{p}: expected {{article: {{'entities': ...}}}} or a single-article gold graph")
    return data


def read_article(path: str | Path) -> Report:
    """Parse one article; a first line ``SOURCE: url`` and the blank line after it are dropped."""
    from yanbao.corpus import parse_text

    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[0].startswith("SOURCE:"):
        text = "\n".join(lines[2:] if len(lines) > 1 and not lines[1].strip() else lines[1:])
    return parse_text(text, origin=str(path))


def _names(entity) -> set[str]:
    return {match_key(entity.label), *(match_key(a) for a in entity.aliases)}


def score_extraction(name: str, gold: dict, extraction: Extraction) -> ArticleScore:
    """Score one article's extraction against its gold entry."""
    gold_entities = [(cls, forms, {match_key(f) for f in forms}) for cls, entries in gold["entities"].items() for forms in entries]
    extracted = [(e.cls, e.label, _names(e)) for e in extraction.entities if e.cls != "Industry"]
    classes: dict[str, ClassScore] = defaultdict(ClassScore)
    missing = []
    for cls, forms, keys in gold_entities:
        s = classes[cls]
        s.gold += 1
        any_cls = [ecls for ecls, _, names in extracted if names & keys]
        s.found += bool(any_cls)
        s.found_typed += cls in any_cls
        if not any_cls:
            missing.append((cls, forms[0]))
    all_gold_keys = set().union(*(keys for _, _, keys in gold_entities)) if gold_entities else set()
    unmatched = []
    for ecls, label, names in extracted:
        s = classes[ecls]
        s.extracted += 1
        if names & all_gold_keys:
            s.matched += 1
        else:
            unmatched.append((ecls, label))
    industry_gold = tuple(gold.get("industry", ()))
    found = tuple(
        n for e in extraction.entities if e.cls == "Industry" for n in (e.label, *e.aliases)
    ) or tuple(getattr(extraction, "industry", ()) or ())
    ok = bool(industry_gold) and bool({match_key(f) for f in industry_gold} & {match_key(f) for f in found})
    return ArticleScore(name, dict(classes), industry_gold, found, ok, missing, sorted(unmatched))


def score_graphs(gold_path: str | Path, corpus: str | Path, extract_fn=None) -> GraphScore:
    """Extract every article a gold file names (from ``corpus``) and score it.

    Returns a :class:`GraphScore`.  ``extract_fn`` (report -> Extraction) defaults to
    :func:`yanbao.kg.extract`.

    Raises:
        InputError: the gold file cannot be read, or an article it names is not in ``corpus``.
    """
    if extract_fn is None:
        from .extract import extract as extract_fn
    gold = load_gold(gold_path)
    folder = Path(corpus)
    articles = []
    for name in sorted(gold):
        path = folder / name
        if not path.is_file():
            raise InputError(f"{path}: the article of gold entry {name!r} is not in {folder}")
        articles.append(score_extraction(name, gold[name], extract_fn(read_article(path))))
    return GraphScore(articles)

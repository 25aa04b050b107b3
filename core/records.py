"""Records that cross stage boundaries (corpus -> kg -> retrieval -> callers).

All records are frozen dataclasses.  Ids are content hashes, so the same input
always yields the same ids.  Offsets (``start``/``end``) are character offsets
into :attr:`Report.text`, the cleaned original text of a report: slicing
``report.text[start:end]`` gives back the exact text of the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

__all__ = [
    "Section",
    "Sentence",
    "SidebarQuestion",
    "RelatedReport",
    "Report",
    "IngestOutcome",
    "Entity",
    "Claim",
    "Relation",
    "Extraction",
    "Evidence",
    "RelatedReportHit",
    "Coverage",
    "Answer",
    "Triage",
    "AskedQuestion",
    "content_hash",
    "to_dict",
]


def content_hash(text: str, length: int = 16) -> str:
    """Return the first ``length`` hex digits of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Section:
    """A heading and the span of text it governs.

    ``path`` is the list of heading titles from the top level down to this one;
    ``number`` is the heading's numbering as written (``一``, ``（二）``, ``1.1``),
    empty for unnumbered headings.
    """

    title: str
    level: int
    path: tuple[str, ...]
    number: str
    start: int  # offset of the heading line
    end: int  # offset where the next heading of the same or higher level starts
    heading_end: int  # offset just past the heading line's text


@dataclass(frozen=True)
class Sentence:
    """One sentence of body text with its place in the report."""

    index: int
    text: str
    start: int
    end: int
    section_path: tuple[str, ...]
    paragraph: int


@dataclass(frozen=True)
class SidebarQuestion:
    """A client question shown in a web page's sidebar (``北京用戶提問:...``)."""

    region: str
    question: str


@dataclass(frozen=True)
class RelatedReport:
    """Another report advertised on the page: a recommendation target, never a claim."""

    title: str
    blurb: str
    kind: Literal["deep_dive", "teaser"] = "teaser"


@dataclass(frozen=True)
class Report:
    """A cleaned, structured report.

    ``text`` is the cleaned original text (web chrome removed, PDF line breaks
    re-joined, script untouched); every offset in the record points into it.
    ``id`` is a hash of the script- and whitespace-normalised text, so the same
    report re-encoded or re-saved with other whitespace keeps its id.
    """

    id: str
    title: str
    text: str
    sections: tuple[Section, ...]
    sentences: tuple[Sentence, ...]
    subtitle: str = ""
    source: str = ""
    origin: str = ""  # where it was loaded from (path or URL), informational
    media_type: str = "text/plain"
    encoding: str = "utf-8"
    sidebar_questions: tuple[SidebarQuestion, ...] = ()
    related_reports: tuple[RelatedReport, ...] = ()
    # What the loader or cleaner left out, and why ("page 4: no readable text
    # layer"); chrome (navigation, adverts, page headers) is not listed.
    dropped: tuple[str, ...] = ()

    def section_titles(self) -> list[str]:
        """Return the titles of all sections in document order."""
        return [s.title for s in self.sections]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        """Rebuild a report from :func:`to_dict` output (the on-disk format)."""
        return cls(
            id=data["id"],
            title=data["title"],
            text=data["text"],
            sections=tuple(
                Section(**{**s, "path": tuple(s["path"])}) for s in data["sections"]
            ),
            sentences=tuple(
                Sentence(**{**s, "section_path": tuple(s["section_path"])})
                for s in data["sentences"]
            ),
            subtitle=data.get("subtitle", ""),
            source=data.get("source", ""),
            origin=data.get("origin", ""),
            media_type=data.get("media_type", "text/plain"),
            encoding=data.get("encoding", "utf-8"),
            sidebar_questions=tuple(
                SidebarQuestion(**q) for q in data.get("sidebar_questions", ())
            ),
            related_reports=tuple(
                RelatedReport(**r) for r in data.get("related_reports", ())
            ),
            dropped=tuple(data.get("dropped", ())),
        )


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one input file during ingest."""

    path: str
    # ``duplicate``: the same report (other script, re-wrapped, reposted with
    # page chrome) is already ingested; ``duplicate_of`` names it.
    status: Literal["added", "unchanged", "replaced", "refused", "duplicate", "skipped"]
    report_id: str = ""
    title: str = ""
    reason: str = ""
    sentences: int = 0
    duplicate_of: str = ""
    dropped: tuple[str, ...] = ()  # text left out, with how much and why


# --------------------------------------------------------------------- kg ---

EntityClass = Literal[
    "Actor",
    "Driver",
    "Challenge",
    "Trend",
    "Strategy",
    "Technology",
    "Region",
    "Scenario",
    "Regulation",
    "Industry",
]
#: The entity classes, in the ontology's order (kg.vocab re-exports it).
ENTITY_CLASSES: tuple[str, ...] = get_args(EntityClass)


@dataclass(frozen=True)
class Entity:
    """A resolved entity: one node of the knowledge graph.

    ``key`` is the script-normalised label used for matching and for the id;
    ``aliases`` are other surface forms (original script) merged into it, and
    ``merges`` says why each alias was merged.
    """

    id: str
    cls: str
    label: str
    key: str
    aliases: tuple[str, ...] = ()
    merges: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """An informative sentence of a report, typed and linked to entities."""

    id: str
    report_id: str
    sentence_index: int
    text: str
    start: int
    end: int
    section_path: tuple[str, ...]
    role: str  # driver | challenge | trend | strategy | actor-fact | forecast | number | fact
    hedged: bool = False
    numbers: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    about: tuple[str, ...] = ()  # entity ids the claim's section is about


@dataclass(frozen=True)
class Relation:
    """A typed link between two entities, stated by one claim."""

    subject: str
    predicate: str  # uses | drives | hinders | addresses | partnersWith | operatesIn | regulates
    object: str
    claim_id: str


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one report."""

    report_id: str
    entities: tuple[Entity, ...]
    claims: tuple[Claim, ...]
    relations: tuple[Relation, ...]
    topics: tuple[str, ...] = ()
    section_roles: tuple[tuple[tuple[str, ...], str], ...] = ()  # (section path, role)
    section_about: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # (path, entity ids)
    # What the report is about (稀土, 主题公园): its name first, then other forms the
    # report uses (光伏产业 for 光伏); empty when no industry could be named.
    industry: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Extraction":
        """Rebuild an extraction from :func:`to_dict` output."""
        return cls(
            report_id=data["report_id"],
            entities=tuple(
                Entity(**{**e, "aliases": tuple(e["aliases"]), "merges": tuple(e["merges"])})
                for e in data["entities"]
            ),
            claims=tuple(
                Claim(
                    **{
                        **c,
                        "section_path": tuple(c["section_path"]),
                        "numbers": tuple(c["numbers"]),
                        "entity_ids": tuple(c["entity_ids"]),
                        "about": tuple(c["about"]),
                    }
                )
                for c in data["claims"]
            ),
            relations=tuple(Relation(**r) for r in data["relations"]),
            topics=tuple(data.get("topics", ())),
            section_roles=tuple((tuple(p), r) for p, r in data.get("section_roles", ())),
            section_about=tuple((tuple(p), tuple(ids)) for p, ids in data.get("section_about", ())),
            industry=tuple(data.get("industry", ())),
        )


# -------------------------------------------------------------- retrieval ---


@dataclass(frozen=True)
class Evidence:
    """One quoted sentence supporting an answer, with its citation."""

    text: str
    report_id: str
    report_title: str
    section: tuple[str, ...]
    start: int
    end: int
    role: str
    score: float
    claim_id: str = ""
    entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelatedReportHit:
    """A related report recommended alongside an answer."""

    title: str
    blurb: str
    from_report_id: str
    score: float
    kind: str = "teaser"


@dataclass(frozen=True)
class Coverage:
    """How well one ingested report covers a question."""

    report_id: str
    report_title: str
    strength: float
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """An answer brief, or an abstention, for one question."""

    question: str
    abstained: bool
    confidence: float
    evidence: tuple[Evidence, ...]
    entities: tuple[str, ...]
    related_reports: tuple[RelatedReportHit, ...]
    brief: str
    coverage: tuple[Coverage, ...] = ()
    reason: str = ""
    id: str | None = None
    region: str = ""  # from a hotline prefix (北京用戶提問：…), if any
    uncovered_terms: tuple[str, ...] = ()  # the question's subject words no cited report contains


@dataclass(frozen=True)
class Triage:
    """The hotline's view of one client question: who covers it, the draft, what to offer."""

    answer: Answer
    region: str
    coverage: tuple[Coverage, ...]
    recommended_reports: tuple[RelatedReportHit, ...]
    needs_expert: bool
    needs_expert_reason: str = ""


@dataclass(frozen=True)
class AskedQuestion:
    """One line of the questions log (``questions.jsonl``) or a sidebar example question."""

    question: str
    region: str = ""
    time: str = ""
    id: str | None = None
    coverage: tuple[str, ...] = ()
    abstained: bool | None = None
    confidence: float | None = None
    source: str = "asked"  # asked | sidebar
    report_id: str = ""


def to_dict(record: Any) -> Any:
    """Return a JSON-ready structure (tuples become lists) for a record."""
    if hasattr(record, "__dataclass_fields__"):
        return {f.name: to_dict(getattr(record, f.name)) for f in fields(record)}
    if isinstance(record, (list, tuple)):
        return [to_dict(x) for x in record]
    if isinstance(record, dict):
        return {k: to_dict(v) for k, v in record.items()}
    return record


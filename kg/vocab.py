"""RDF vocabulary of the yanbao knowledge graph.

One place for every IRI the graph builder, the SHACL validation and the query
code use:

* ``YB``: the yanbao ontology namespace (``https://w3id.org/yanbao/ontology#``)
  as a closed :class:`rdflib.namespace.DefinedNamespace`: ``YB.Claim`` works,
  a typo such as ``YB.Cliam`` raises :class:`AttributeError`. The terms are
  defined (labels in zh-Hant, zh-Hans and en, definitions, domains and ranges)
  in ``kg/data/ontology.ttl``; ``kg/data/shapes.ttl`` holds the SHACL shapes each
  report's named graph is validated with.
* ``OA``: the W3C Web Annotation terms used for citation anchors (closed too).
* IRI minting: ``node(kind, *parts)`` for resources (``ID`` base),
  ``report_graph(rid)`` and ``ONTOLOGY_GRAPH`` for named graphs (``GRAPH`` base).
* Closed value lists: ``ENTITY_CLASSES``, ``RELATION_PREDICATES``,
  ``CLAIM_ROLES``, ``SECTION_ROLES``, ``RELATED_KINDS``.

Reused standard vocabularies (PROV-O, SKOS, DCTERMS, RDF, XSD) are imported
from :mod:`rdflib.namespace` by the callers; they are re-exported here for
convenience.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace, Namespace

from yanbao.core.records import ENTITY_CLASSES  # one list: the records' EntityClass

__all__ = [
    "YB",
    "OA",
    "PROV",
    "SKOS",
    "DCTERMS",
    "RDF",
    "RDFS",
    "XSD",
    "YB_NS",
    "OA_NS",
    "ONTOLOGY_IRI",
    "ID",
    "GRAPH",
    "ONTOLOGY_GRAPH",
    "report_graph",
    "node",
    "ontology_path",
    "shapes_path",
    "ENTITY_CLASSES",
    "RELATION_PREDICATES",
    "CLAIM_ROLES",
    "SECTION_ROLES",
    "RELATED_KINDS",
]

YB_NS = "https://w3id.org/yanbao/ontology#"
OA_NS = "http://www.w3.org/ns/oa#"
ONTOLOGY_IRI = URIRef("https://w3id.org/yanbao/ontology")


class YB(DefinedNamespace):
    """The yanbao ontology (``yb:``). Closed: unknown terms raise AttributeError."""

    _NS = Namespace(YB_NS)
    _fail = True

    # --- classes -----------------------------------------------------------
    Report: URIRef  # an ingested research report (one named graph each)
    Section: URIRef  # a headed section of a report
    Claim: URIRef  # one sentence of a report, kept verbatim
    Entity: URIRef  # abstract superclass of the 10 entity classes below
    Actor: URIRef  # company, institution, other organisation
    Driver: URIRef  # growth driver / favourable factor
    Challenge: URIRef  # obstacle, risk, pain point
    Trend: URIRef  # development trend
    Strategy: URIRef  # recommended course of action
    Technology: URIRef  # technology, product or technical solution
    Region: URIRef  # country, province, city, market region
    Scenario: URIRef  # application scenario / use case
    Regulation: URIRef  # law, regulation, policy document
    Industry: URIRef  # what a report is about (稀土, 主题公园); dcterms:subject of the report
    Question: URIRef  # client question from a web page's sidebar
    RelatedReport: URIRef  # another report advertised on the page

    # --- object properties -------------------------------------------------
    mentions: URIRef  # Claim -> Entity (0..n)
    subject: URIRef  # Claim -> Entity (0..1), grammatical subject
    about: URIRef  # Section|Claim -> Entity
    uses: URIRef  # Entity -> Entity (relation, reified)
    drives: URIRef  # Entity -> Entity (relation, reified)
    hinders: URIRef  # Entity -> Entity (relation, reified)
    addresses: URIRef  # Entity -> Entity (relation, reified)
    partnersWith: URIRef  # Entity -> Entity (relation, reified, symmetric)
    operatesIn: URIRef  # Entity -> Entity (relation, reified)
    regulates: URIRef  # Entity -> Entity (relation, reified)
    shapes: URIRef  # Trend -> Industry (relation, reified)
    recommends: URIRef  # Report -> RelatedReport
    inSection: URIRef  # Claim -> Section
    parentSection: URIRef  # Section -> Section

    # --- datatype properties -----------------------------------------------
    text: URIRef  # Claim: exact sentence
    role: URIRef  # Section|Claim: role string (see SECTION_ROLES / CLAIM_ROLES)
    hedged: URIRef  # Claim: xsd:boolean
    sentenceIndex: URIRef  # Claim: xsd:integer
    number: URIRef  # Claim: number as written, e.g. "2.3%"
    heading: URIRef  # Section: heading text
    level: URIRef  # Section: xsd:integer >= 1
    position: URIRef  # Section: xsd:integer, order in the report
    topic: URIRef  # Report: keyphrase
    subtitle: URIRef  # Report
    sourceFile: URIRef  # Report: path of the ingested file
    key: URIRef  # Entity: normalised key
    mergeNote: URIRef  # Entity: why an alias was merged
    questionText: URIRef  # Question
    region: URIRef  # Question: region of the asker, e.g. "北京"
    blurb: URIRef  # RelatedReport
    kind: URIRef  # RelatedReport: "deep_dive" | "teaser"


class OA(DefinedNamespace):
    """The W3C Web Annotation terms used (``oa:``). Closed."""

    _NS = Namespace(OA_NS)
    _fail = True

    TextQuoteSelector: URIRef
    TextPositionSelector: URIRef
    hasSelector: URIRef
    exact: URIRef
    prefix: URIRef
    suffix: URIRef
    start: URIRef
    end: URIRef


ID = "https://w3id.org/yanbao/id/"
GRAPH = "https://w3id.org/yanbao/graph/"
ONTOLOGY_GRAPH = URIRef(GRAPH + "ontology")

RELATION_PREDICATES: tuple[str, ...] = (
    "uses",
    "drives",
    "hinders",
    "addresses",
    "partnersWith",
    "operatesIn",
    "regulates",
    "shapes",
)

CLAIM_ROLES: tuple[str, ...] = (
    "driver",
    "challenge",
    "trend",
    "strategy",
    "actor-fact",
    "forecast",
    "number",
    "fact",
)

SECTION_ROLES: tuple[str, ...] = ("driver", "challenge", "trend", "strategy", "actor")

RELATED_KINDS: tuple[str, ...] = ("deep_dive", "teaser")


def report_graph(rid: str) -> URIRef:
    """IRI of the named graph holding report ``rid``."""
    return URIRef(GRAPH + "report/" + rid)


def node(kind: str, *parts: str) -> URIRef:
    """Mint a resource IRI: ``node("section", rid, "3")`` -> ``.../id/section/{rid}/3``."""
    return URIRef(ID + kind + "/" + "/".join(parts))


def _data_file(name: str) -> Path:
    try:
        return Path(str(files("yanbao.kg") / "data" / name))
    except (NotADirectoryError, TypeError, ValueError):
        # Python 3.11 cannot build resource readers for a *namespace* package whose
        # __path__ holds a setuptools editable-finder hook (no kg/__init__.py yet);
        # the data folder sits next to this module anyway.
        return Path(__file__).resolve().parent / "data" / name


def ontology_path() -> Path:
    """Path of ``kg/data/ontology.ttl`` (OWL/RDFS + SKOS ontology)."""
    return _data_file("ontology.ttl")


def shapes_path() -> Path:
    """Path of ``kg/data/shapes.ttl`` (SHACL shapes for one report graph)."""
    return _data_file("shapes.ttl")

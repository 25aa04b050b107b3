"""One report's RDF graph: report, sections, claims with selectors, entities, relations.

The public entry point is :func:`report_graph_for`.  It is a pure function of
the report and its extraction, so the same inputs give isomorphic graphs.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rdflib import Graph, Literal, URIRef

from yanbao.corpus.script import normalise
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from yanbao.core.records import Extraction, Report, content_hash

from .vocab import OA, YB, node

__all__ = ["report_graph_for", "report_node", "entity_node", "claim_node", "bind_prefixes"]

_CONTEXT_CHARS = 16  # prefix/suffix length of a TextQuoteSelector


def report_node(report_id: str) -> URIRef:
    return node("report", report_id)


def entity_node(entity_id: str) -> URIRef:
    return node("entity", entity_id)


def claim_node(claim_id: str) -> URIRef:
    return node("claim", claim_id)


def script_tag(text: str) -> str:
    """The BCP 47 tag of a Chinese label: zh-hant, zh-hans, or zh when the script
    cannot be told (AI, 5G).

    One entity named in a Traditional and in a Simplified report then has one
    prefLabel per script in the union graph, as SKOS allows, not two "zh" ones.
    """
    # Lower case, as stores normalise BCP 47 tags (tags are case-insensitive).
    if normalise(text) != unicodedata.normalize("NFKC", text):
        return "zh-hant"
    if _to_traditional(text) != text:
        return "zh-hans"
    return "zh"


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _to_traditional(text: str) -> str:
    return _s2t().convert(text)


def bind_prefixes(g: Graph) -> Graph:
    """Bind the prefixes yanbao's graphs use (for readable Turtle and SPARQL)."""
    g.bind("yb", str(YB._NS))
    g.bind("oa", "http://www.w3.org/ns/oa#")
    g.bind("prov", PROV)
    g.bind("skos", SKOS)
    g.bind("dcterms", DCTERMS)
    return g


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def report_graph_for(report: Report, extraction: Extraction) -> Graph:
    """Return the named-graph content for one report (a plain rdflib Graph).

    Sidebar questions become ``yb:Question`` nodes and related reports
    ``yb:RelatedReport`` nodes linked by ``yb:recommends``; neither yields claims.
    The report's Industry entity, if any, is its ``dcterms:subject``.
    """
    # SimpleMemory: a report graph is built, validated, serialised and dropped;
    # it needs no context index, and adds 50% faster than rdflib's default store.
    g = bind_prefixes(Graph(store="SimpleMemory"))
    rnode = _add_report(g, report, extraction)
    _add_entities(g, extraction)
    section_nodes = _add_sections(g, report, extraction, rnode)
    _add_claims(g, report, extraction, rnode, section_nodes)
    _add_relations(g, extraction)
    _add_page_extras(g, report, rnode)
    return g


def _add_report(g: Graph, report: Report, extraction: Extraction) -> URIRef:
    rid = report.id
    rnode = report_node(rid)
    g.add((rnode, RDF.type, YB.Report))
    g.add((rnode, DCTERMS.identifier, Literal(rid)))
    g.add((rnode, DCTERMS.title, Literal(report.title or rid)))
    if report.source:
        g.add((rnode, DCTERMS.source, Literal(report.source)))
    if report.subtitle:
        g.add((rnode, YB.subtitle, Literal(report.subtitle)))
    if report.origin:
        g.add((rnode, YB.sourceFile, Literal(report.origin)))
    for topic in extraction.topics:
        g.add((rnode, YB.topic, Literal(topic, lang="zh")))
    industry = next((e for e in extraction.entities if e.cls == "Industry"), None)
    if industry is not None:
        g.add((rnode, DCTERMS.subject, entity_node(industry.id)))
    return rnode


def _add_entities(g: Graph, extraction: Extraction) -> None:
    for e in extraction.entities:
        en = entity_node(e.id)
        g.add((en, RDF.type, getattr(YB, e.cls)))
        g.add((en, SKOS.prefLabel, Literal(e.label, lang=script_tag(e.label))))
        g.add((en, YB.key, Literal(e.key)))
        for alias in e.aliases:
            g.add((en, SKOS.altLabel, Literal(alias, lang=script_tag(alias))))
        for note in e.merges:
            g.add((en, YB.mergeNote, Literal(note)))


def _add_sections(g: Graph, report: Report, extraction: Extraction, rnode: URIRef) -> dict[tuple[str, ...], URIRef]:
    """Sections, their roles, and the entities their headings name."""
    section_nodes: dict[tuple[str, ...], URIRef] = {}
    for n, sec in enumerate(report.sections):
        sn = node("section", report.id, str(n))
        section_nodes[sec.path] = sn
        g.add((sn, RDF.type, YB.Section))
        g.add((sn, DCTERMS.isPartOf, rnode))
        g.add((sn, YB.heading, Literal(sec.title)))
        g.add((sn, YB.level, _int(sec.level)))
        g.add((sn, YB.position, _int(n)))
        parent = section_nodes.get(sec.path[:-1])
        if parent is not None:
            g.add((sn, YB.parentSection, parent))
    for path, role in extraction.section_roles:
        if path in section_nodes:
            g.add((section_nodes[path], YB.role, Literal(role)))
    for path, about in extraction.section_about:
        if path in section_nodes:
            for eid in about:
                g.add((section_nodes[path], YB.about, entity_node(eid)))
    return section_nodes


def _add_claims(g: Graph, report: Report, extraction: Extraction, rnode: URIRef, section_nodes) -> None:
    ents = {e.id: e for e in extraction.entities}
    text = report.text
    for c in extraction.claims:
        cn = claim_node(c.id)
        g.add((cn, RDF.type, YB.Claim))
        g.add((cn, PROV.wasDerivedFrom, rnode))
        if c.section_path in section_nodes:
            g.add((cn, YB.inSection, section_nodes[c.section_path]))
        g.add((cn, YB.text, Literal(c.text)))
        g.add((cn, YB.role, Literal(c.role)))
        g.add((cn, YB.hedged, Literal(c.hedged, datatype=XSD.boolean)))
        g.add((cn, YB.sentenceIndex, _int(c.sentence_index)))
        for num in c.numbers:
            g.add((cn, YB.number, Literal(num)))
        for eid in c.entity_ids:
            g.add((cn, YB.mentions, entity_node(eid)))
        subject = next((eid for eid in c.entity_ids if ents[eid].cls == "Actor"), None)
        if subject:
            g.add((cn, YB.subject, entity_node(subject)))
        for eid in c.about:
            g.add((cn, YB.about, entity_node(eid)))
        _add_selectors(g, cn, text, c.start, c.end)


def _add_selectors(g: Graph, cn: URIRef, text: str, start: int, end: int) -> None:
    quote = URIRef(str(cn) + "/quote")
    pos = URIRef(str(cn) + "/position")
    g.add((cn, OA.hasSelector, quote))
    g.add((cn, OA.hasSelector, pos))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(text[start:end])))
    g.add((quote, OA.prefix, Literal(text[max(0, start - _CONTEXT_CHARS) : start])))
    g.add((quote, OA.suffix, Literal(text[end : end + _CONTEXT_CHARS])))
    g.add((pos, RDF.type, OA.TextPositionSelector))
    g.add((pos, OA.start, _int(start)))
    g.add((pos, OA.end, _int(end)))


def _add_relations(g: Graph, extraction: Extraction) -> None:
    for rel in extraction.relations:
        s, o = entity_node(rel.subject), entity_node(rel.object)
        pred = getattr(YB, rel.predicate)
        g.add((s, pred, o))
        st = node("relation", content_hash(f"{rel.subject}|{rel.predicate}|{rel.object}|{rel.claim_id}"))
        g.add((st, RDF.type, RDF.Statement))
        g.add((st, RDF.subject, s))
        g.add((st, RDF.predicate, pred))
        g.add((st, RDF.object, o))
        g.add((st, PROV.wasDerivedFrom, claim_node(rel.claim_id)))


def _add_page_extras(g: Graph, report: Report, rnode: URIRef) -> None:
    """Sidebar questions and related reports (never claims)."""
    rid = report.id
    for q in report.sidebar_questions:
        qn = node("question", content_hash(f"{rid}|{q.region}|{q.question}"))
        g.add((qn, RDF.type, YB.Question))
        g.add((qn, YB.questionText, Literal(q.question)))
        if q.region:
            g.add((qn, YB.region, Literal(q.region)))
        g.add((qn, PROV.wasDerivedFrom, rnode))
    for rr in report.related_reports:
        rn = node("related", content_hash(f"{rr.title}|{rr.blurb}"))
        g.add((rn, RDF.type, YB.RelatedReport))
        g.add((rn, DCTERMS.title, Literal(rr.title)))
        g.add((rn, YB.blurb, Literal(rr.blurb)))
        g.add((rn, YB.kind, Literal(rr.kind)))
        g.add((rnode, YB.recommends, rn))

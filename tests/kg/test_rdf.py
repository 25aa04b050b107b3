"""The sample's graph: nothing from web chrome, exact citation anchors, SHACL, determinism."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import XSD

from yanbao.corpus import parse_document
from yanbao.corpus.script import match_key
from yanbao.kg.extract import extract
from yanbao.kg.rdf import report_graph_for
from yanbao.kg.shapes import validate_report_graph
from yanbao.kg.vocab import OA, YB, report_graph
from yanbao.core.errors import ValidationError

from .conftest import SAMPLE, select

# Words found only in the sidebar questions and the teasers of other reports.
SIDEBAR_AND_TEASER_WORDS = ("咖啡", "核聚變", "主題公園", "船舶", "稀土", "養老", "衛星互聯網", "醫藥企業", "云計算")
CHROME_MARKERS = ("用戶提問", "查看詳情", "400-", "Copyright", "版權", "pay@", "免費提問", "相關閱讀")


def test_no_entity_from_sidebar_or_teasers(store):
    rows = select(store, "SELECT ?e ?name WHERE { ?e a ?c . ?c rdfs:subClassOf yb:Entity . "
                         "{ ?e skos:prefLabel ?name } UNION { ?e skos:altLabel ?name } }")
    assert rows
    bad = [str(r.name) for r in rows if any(match_key(w) in match_key(str(r.name)) for w in SIDEBAR_AND_TEASER_WORDS)]
    assert not bad, bad


def test_no_claim_from_chrome(store):
    rows = select(store, "SELECT ?c ?t WHERE { ?c a yb:Claim ; yb:text ?t }")
    assert len(rows) >= 30
    bad = [str(r.t) for r in rows if any(m in str(r.t) for m in CHROME_MARKERS)]
    assert not bad, bad
    teasers = select(store, "SELECT ?b WHERE { ?r a yb:RelatedReport ; yb:blurb ?b }")
    texts = {str(r.t) for r in rows}
    for r in teasers:
        blurb = str(r.b).rstrip(".…")[:20]
        assert not any(blurb in t for t in texts), blurb


def test_no_relation_from_outside_a_claim(store):
    rows = select(store, """SELECT ?st WHERE { ?st a rdf:Statement .
        FILTER NOT EXISTS { ?st prov:wasDerivedFrom ?c . ?c a yb:Claim } }""")
    assert rows == []


def test_sidebar_and_teasers_are_kept_as_their_own_records(store):
    (q,) = select(store, "SELECT (COUNT(?q) AS ?n) WHERE { ?q a yb:Question }")
    (r,) = select(store, "SELECT (COUNT(?r) AS ?n) WHERE { ?r a yb:RelatedReport }")
    assert int(q.n) == 10 and int(r.n) == 7
    assert select(store, "SELECT ?q WHERE { ?q a yb:Question ; yb:mentions|yb:about ?e }") == []


def test_every_claim_selector_slices_the_stored_text(store, lib, sample_id):
    rows = select(store, """
        SELECT ?c ?text ?exact ?start ?end ?rid WHERE {
          ?c a yb:Claim ; yb:text ?text ; prov:wasDerivedFrom ?r ; oa:hasSelector ?q, ?p .
          ?r dcterms:identifier ?rid .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
        }""")
    assert len(rows) >= 30
    text = lib.report(sample_id).text
    for r in rows:
        assert str(r.rid) == sample_id
        start, end = int(r.start), int(r.end)
        assert 0 <= start < end <= len(text)
        assert text[start:end] == str(r.exact), r.c
        assert str(r.exact) == str(r.text), r.c


@pytest.fixture(scope="module")
def built(lib, sample_id) -> Graph:
    report = lib.report(sample_id)
    return report_graph_for(report, extract(report))


def test_built_graph_passes_the_shapes(built):
    validate_report_graph(built, "sample")


def _a_claim(g: Graph) -> URIRef:
    return sorted(g.subjects(predicate=YB.text))[0]


def test_a_claim_without_text_is_refused_by_name(built):
    broken = Graph()
    for t in built:
        broken.add(t)
    claim = _a_claim(broken)
    broken.remove((claim, YB.text, None))
    with pytest.raises(ValidationError) as err:
        validate_report_graph(broken, "sample")
    assert str(claim) in str(err.value)


def test_a_position_ending_before_it_starts_is_refused_by_name(built):
    broken = Graph()
    for t in built:
        broken.add(t)
    pos = sorted(broken.subjects(predicate=OA.start))[0]
    start = int(broken.value(pos, OA.start))
    broken.set((pos, OA.end, Literal(max(start - 1, 0), datatype=XSD.integer)))
    with pytest.raises(ValidationError) as err:
        validate_report_graph(broken, "sample")
    assert str(pos) in str(err.value)


def test_extraction_and_graph_are_deterministic(built, store, sample_id):
    again = parse_document(SAMPLE)
    g2 = report_graph_for(again, extract(again))
    assert isomorphic(built, g2)
    assert to_isomorphic(built) == to_isomorphic(g2)
    constructed = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{report_graph(sample_id)}> {{ ?s ?p ?o }} }}").graph
    stored = Graph()
    for s, p, o in constructed:  # Oxigraph spells RDF 1.1 plain literals as xsd:string
        stored.add((s, p, Literal(str(o)) if isinstance(o, Literal) and o.datatype == XSD.string else o))
    assert isomorphic(stored, built)

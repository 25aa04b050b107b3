"""Readers see the last complete state: a graph without a manifest entry is hidden."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from yanbao.kg.results import result_to_json
from yanbao.kg.embedded import OxigraphGraphStore
from yanbao.kg.vocab import YB
from yanbao.library import Library
from yanbao.core.settings import load_settings

SAMPLE = Path(__file__).resolve().parents[2] / "corpus" / "samples" / "000_fb266df941e8ceb3.txt"


def test_an_uncommitted_report_graph_is_invisible_to_readers(tmp_path):
    lib = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing"}, env={}))
    lib.ingest([str(SAMPLE)])
    # What an ingest killed after its graph write and before its manifest leaves behind:
    stray = Graph()
    node = URIRef("https://w3id.org/yanbao/id/report/deadbeefdeadbeef")
    stray.add((node, RDF.type, YB.Report))
    stray.add((node, URIRef("http://purl.org/dc/terms/title"), Literal("未提交的報告")))
    writer = OxigraphGraphStore(lib.home.graph_dir)
    writer.replace_report("deadbeefdeadbeef", stray)
    writer.close()

    store = lib.graph()
    try:
        assert store.report_ids() == {e.id for e in lib.home.entries()}
        rows = result_to_json(store.query("SELECT ?r WHERE { ?r a <https://w3id.org/yanbao/ontology#Report> }"), 100)
        reports = {b["r"]["value"] for b in rows["results"]["bindings"]}
        assert str(node) not in reports and len(reports) == 1
        assert all(str(q[3].identifier if hasattr(q[3], "identifier") else q[3]) != "https://w3id.org/yanbao/graph/report/deadbeefdeadbeef" for q in store.quads())
    finally:
        store.close()
    # The next writer removes it for good.
    lib.ingest([str(Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "broker_semiconductor.txt")])
    raw = OxigraphGraphStore(lib.home.graph_dir, read_only=True)
    assert "deadbeefdeadbeef" not in raw.report_ids()
    raw.close()


def test_construct_results_are_valid_n_triples(tmp_path):
    lib = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing"}, env={}))
    lib.ingest([str(SAMPLE)])
    store = lib.graph()
    try:
        text = result_to_json(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 300"), 300)
    finally:
        store.close()
    assert isinstance(text, str) and text.count("\n") >= 1
    assert '"""' not in text
    assert len(Graph().parse(data=text, format="nt")) > 0

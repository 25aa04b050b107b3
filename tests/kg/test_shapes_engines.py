"""The compiled SHACL checker and pyshacl (the reference) agree, on good and broken graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import SKOS, XSD

from yanbao.corpus import parse_document
from yanbao.kg.extract import extract
from yanbao.kg.rdf import report_graph_for
from yanbao.kg.shapes import _compiled, validate_report_graph, violations, violations_pyshacl
from yanbao.kg.vocab import OA, YB
from yanbao.core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]
REPORTS = [
    ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt",
    ROOT / "tests" / "fixtures" / "reports" / "broker_semiconductor.txt",
    ROOT / "tests" / "fixtures" / "reports" / "web_logistics.html",
]


def _graph(path: Path):
    report = parse_document(path)
    return report_graph_for(report, extract(report))


def test_the_shipped_shapes_are_all_compilable():
    # If a shape gains a feature the compiled checker lacks, ingest silently
    # falls back to pyshacl (slow): this test makes that visible.
    assert _compiled() is not None


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_both_engines_accept_real_report_graphs(path):
    g = _graph(path)
    assert violations(g) == []
    assert violations_pyshacl(g) == []


def test_both_engines_find_the_same_violations():
    g = _graph(REPORTS[0])
    claims = sorted(g.subjects(predicate=YB.text))
    g.remove((claims[0], YB.text, None))  # minCount
    g.add((claims[1], YB.role, Literal("nonsense")))  # sh:in and maxCount
    g.add((claims[2], YB.hedged, Literal("yes")))  # datatype and maxCount
    position = sorted(g.subjects(predicate=OA.start))[3]
    g.set((position, OA.end, Literal(0, datatype=XSD.integer)))  # lessThan
    entity = sorted(g.subjects(predicate=YB.key))[0]
    g.add((entity, SKOS.prefLabel, Literal("另一個名字", lang="zh")))  # maxCount
    compiled = violations(g)
    reference = violations_pyshacl(g)
    assert len(compiled) == 5
    # pyshacl reports one result per failing constraint component (maxCount and in
    # both fail for a second role); the set of (node, path, message) is the same.
    assert set(compiled) == set(reference)
    with pytest.raises(ValidationError, match="yb:text|ontology#text"):
        validate_report_graph(g, "r1")

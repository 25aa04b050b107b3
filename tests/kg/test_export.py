"""Exports parse back; quad formats keep one named graph per report."""

from __future__ import annotations

import io

import networkx as nx
import pytest
from rdflib import Dataset, Graph

from yanbao.kg.export import EXPORT_FORMATS, export
from yanbao.kg.vocab import ONTOLOGY_GRAPH, report_graph
from yanbao.core.errors import SettingsError


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_triple_formats_parse_back(store, fmt):
    text = export(store, fmt)
    g = Graph().parse(data=text, format={"ntriples": "nt"}.get(fmt, fmt))
    assert len(g) > 1000


@pytest.mark.parametrize("fmt", ["nquads", "trig", "jsonld"])
def test_quad_formats_keep_named_graphs(store, sample_id, fmt):
    text = export(store, fmt)
    ds = Dataset()
    ds.parse(data=text, format={"jsonld": "json-ld"}.get(fmt, fmt))
    graphs = {g.identifier for g in ds.graphs()}
    assert report_graph(sample_id) in graphs and ONTOLOGY_GRAPH in graphs
    assert len(ds.graph(report_graph(sample_id))) > 1000


def test_nquads_is_byte_identical_twice(store):
    assert export(store, "nquads") == export(store, "nquads")


def test_graphml_parses_back(store):
    text = export(store, "graphml")
    G = nx.read_graphml(io.BytesIO(text.encode("utf-8")))
    assert G.number_of_nodes() >= 40 and G.number_of_edges() >= 40
    labels = {d["label"] for _, d in G.nodes(data=True)}
    assert "銀行" in labels


def test_unknown_format_lists_the_valid_ones(store):
    with pytest.raises(SettingsError) as err:
        export(store, "rdfxml-ish")
    for fmt in EXPORT_FORMATS:
        assert fmt in str(err.value)

"""`yanbao graph ...` and `yanbao sparql` through the CLI (one-line errors, non-zero exits)."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest
from rdflib import Dataset
from typer.testing import CliRunner

from yanbao.cli import app

SELECT = ("PREFIX yb: <https://w3id.org/yanbao/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
          "SELECT ?label WHERE { ?e a yb:Driver ; skos:prefLabel ?label } ORDER BY ?label")


@pytest.fixture(scope="module")
def run(sample_home):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["--home", str(sample_home), *args])

    return invoke


def _one_line_error(result, needle: str) -> None:
    assert result.exit_code != 0
    err = result.stderr.strip()
    assert "\n" not in err and err.startswith("yanbao: error:") and needle in err, err
    assert "Traceback" not in result.output


def test_sparql_select_table_json_csv(run):
    table = run("sparql", SELECT)
    assert table.exit_code == 0, table.output
    assert "智能化升級" in table.stdout and "3 row(s)" in table.stdout
    data = json.loads(run("sparql", SELECT, "--json").stdout)
    assert data["head"]["vars"] == ["label"]
    labels = [b["label"]["value"] for b in data["results"]["bindings"]]
    assert len(labels) == 3 and "信貸結構變遷" in labels
    assert data["results"]["bindings"][0]["label"]["type"] == "literal"
    rows = list(csv.reader(io.StringIO(run("sparql", SELECT, "--csv").stdout)))
    assert rows[0] == ["label"] and len(rows) == 4


def test_sparql_from_a_file_and_ask(run, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text(SELECT, encoding="utf-8")
    assert "合規化轉型" in run("sparql", str(q)).stdout
    assert json.loads(run("sparql", "ASK { ?s ?p ?o }", "--json").stdout) == {"head": {}, "boolean": True}


def test_sparql_update_and_service_are_refused(run, sample_home):
    _one_line_error(run("sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"), "read-only")
    _one_line_error(run("sparql", "PREFIX x: <urn:x> DELETE WHERE { ?s ?p ?o }"), "read-only")
    _one_line_error(run("sparql", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"), "SERVICE")
    _one_line_error(run("sparql", "SELECT ?s WHERE { ?s ?p }"), "SPARQL")
    # nothing was written
    data = json.loads(run("sparql", "ASK { <urn:a> <urn:b> <urn:c> }", "--json").stdout)
    assert data["boolean"] is False


def test_graph_stats(run):
    data = json.loads(run("graph", "stats", "--json").stdout)
    assert data["reports"] == 1 and data["entities"]["Actor"] >= 10
    table = run("graph", "stats")
    assert table.exit_code == 0 and "claims" in table.stdout


def test_graph_entities(run):
    data = json.loads(run("graph", "entities", "--type", "Driver", "--json").stdout)
    assert sorted(e["label"] for e in data["entities"]) == ["信貸結構變遷", "合規化轉型", "智能化升級"]
    data = json.loads(run("graph", "entities", "--limit", "3", "--json").stdout)
    assert len(data["entities"]) == 3
    _one_line_error(run("graph", "entities", "--type", "Company"), "Actor")


def test_graph_entity(run):
    data = json.loads(run("graph", "entity", "第三方催收机构", "--json").stdout)
    assert data["label"] == "催收機構" and "第三方催收機構" in data["aliases"] and data["merges"]
    claim = data["claims"][0]
    assert claim["report_title"] and claim["section"] and claim["end"] > claim["start"]
    assert any(nb["label"] == "律所" for nb in data["neighbours"])
    text = run("graph", "entity", "銀行")
    assert text.exit_code == 0 and "科技公司" in text.stdout
    _one_line_error(run("graph", "entity", "咖啡"), "咖啡")


def test_graph_path(run):
    data = json.loads(run("graph", "path", "銀行", "科技公司", "--json").stdout)
    assert data["path"] and data["path"][0]["claims"][0]["text"]
    assert "銀行" in run("graph", "path", "銀行", "科技公司").stdout


def test_graph_export(run, tmp_path, sample_home):
    out = tmp_path / "g.nq"
    res = run("graph", "export", "--format", "nquads", "-o", str(out))
    assert res.exit_code == 0, res.output
    ds = Dataset()
    ds.parse(out, format="nquads")
    assert len(ds) > 1000 or sum(len(g) for g in ds.graphs()) > 1000
    gml = run("graph", "export", "--format", "graphml").stdout
    assert nx.read_graphml(io.BytesIO(gml.encode("utf-8"))).number_of_nodes() >= 40
    _one_line_error(run("graph", "export", "--format", "xml"), "turtle")


def test_graph_draw(run, tmp_path):
    out = tmp_path / "bank.html"
    res = run("graph", "draw", "銀行", "-o", str(out))
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html and "https://" not in html
    _one_line_error(run("graph", "draw", "-o", str(tmp_path / "g.bmp")), ".html")

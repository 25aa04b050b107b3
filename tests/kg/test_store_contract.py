"""The graph-store contract, written once and run against every backend.

:class:`StoreContract` holds the tests; :class:`TestEmbeddedStore` runs them on
the embedded Oxigraph store and :class:`TestSparqlServerStore` on a real
Oxigraph server (started by the ``sparql_server`` fixture, with and without
``--union-default-graph``).  The end-to-end tests drive a :class:`Library` on
the server and compare it with the embedded backend.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rdflib import Graph, Literal, Namespace
from rdflib.compare import isomorphic
from rdflib import namespace as ns

from yanbao.kg.embedded import OxigraphGraphStore
from yanbao.kg.store import open_graph_store
from yanbao.kg.vocab import ONTOLOGY_GRAPH, ONTOLOGY_IRI, report_graph
from yanbao.core.errors import QueryError, SettingsError, StoreError

from .conftest import FIXTURES, SAMPLE, clear_server, make_library, server_store_spec

EX = Namespace("https://example.org/t/")
YB = Namespace("https://w3id.org/yanbao/ontology#")


def _report(n: int, size: int = 20) -> Graph:
    """A small report-like graph: typed, language-tagged and multi-line literals."""
    g = Graph()
    rep = EX[f"report{n}"]
    g.add((rep, ns.RDF.type, YB.Report))
    g.add((rep, EX.title, Literal(f"報告{n}：催收行業「全景」", lang="zh-Hant")))
    for i in range(size):
        c = EX[f"r{n}/claim{i}"]
        g.add((c, ns.RDF.type, YB.Claim))
        g.add((c, EX.text, Literal(f'第{i}句。\n引號 "quoted" 與 \\ 反斜線')))
        g.add((c, EX.start, Literal(i * 10, datatype=ns.XSD.integer)))
        g.add((c, EX.inReport, rep))
    return g


def _plain(term):
    """One spelling per literal: Oxigraph writes simple literals as ``^^xsd:string``
    and language tags (case-insensitive) in lower case; rdflib does neither."""
    if isinstance(term, Literal) and term.datatype == ns.XSD.string:
        return Literal(str(term))
    if isinstance(term, Literal) and term.language:
        return Literal(str(term), lang=term.language.lower())
    return term


def _canon(graph) -> Graph:
    out = Graph()
    for s, p, o in graph:
        out.add((s, p, _plain(o)))
    return out


def _count(store, rid: str) -> int:
    rows = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{report_graph(rid)}> {{ ?s ?p ?o }} }}"))
    return int(rows[0].n)


class StoreContract:
    """What every GraphStore must do.  Subclasses provide ``make_store(read_only=False)``."""

    def make_store(self, read_only: bool = False):  # pragma: no cover - overridden
        raise NotImplementedError

    def test_replace_then_report_ids(self):
        st = self.make_store()
        assert st.report_ids() == set()
        st.replace_report("aaa", _report(1))
        st.replace_report("bbb", _report(2))
        assert st.report_ids() == {"aaa", "bbb"}
        assert _count(st, "aaa") == len(_report(1))
        st.close()

    def test_replace_twice_keeps_one_copy(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        before = _count(st, "aaa")
        st.replace_report("aaa", _report(1))
        assert _count(st, "aaa") == before == len(_report(1))
        st.replace_report("aaa", _report(3, size=2))  # a smaller new version replaces, not merges
        assert _count(st, "aaa") == len(_report(3, size=2))
        st.close()

    def test_stored_graph_is_the_graph_written(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        got = Graph()
        for s, p, o, g in st.quads():
            if str(getattr(g, "identifier", g)) == str(report_graph("aaa")):
                got.add((s, p, _plain(o)))
        assert isomorphic(got, _canon(_report(1)))
        st.close()

    def test_remove_leaves_other_reports_intact(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        st.replace_report("bbb", _report(2))
        st.remove_report("aaa")
        st.remove_report("never-there")  # no error
        assert st.report_ids() == {"bbb"}
        assert _count(st, "aaa") == 0
        assert _count(st, "bbb") == len(_report(2))
        st.close()

    def test_select_and_ask_over_the_union(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        st.replace_report("bbb", _report(2))
        rows = list(st.query(f"SELECT ?r WHERE {{ ?r a <{YB.Report}> }} ORDER BY ?r"))
        assert [str(r.r) for r in rows] == [str(EX.report1), str(EX.report2)]
        assert st.query(f"ASK {{ <{EX['r2/claim3']}> a <{YB.Claim}> }}").askAnswer is True
        assert st.query(f"ASK {{ <{EX['r9/claim3']}> a <{YB.Claim}> }}").askAnswer is False
        # the same triple pattern across graphs, with GRAPH ?g, works either way
        rows = list(st.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?r a <{YB.Report}> }} }}"))
        assert {str(r.g) for r in rows} == {str(report_graph("aaa")), str(report_graph("bbb"))}
        text = list(st.query(f"SELECT ?t WHERE {{ <{EX['r1/claim0']}> <{EX.text}> ?t }}"))[0].t
        assert str(text) == '第0句。\n引號 "quoted" 與 \\ 反斜線'
        st.close()

    def test_construct(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        res = st.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{report_graph('aaa')}> {{ ?s ?p ?o }} }}")
        assert isomorphic(_canon(res.graph), _canon(_report(1)))
        st.close()

    def test_updates_and_bad_queries_are_refused(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        for bad in ("INSERT DATA { <a:b> <a:c> <a:d> }", "DROP ALL", "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"):
            with pytest.raises(QueryError):
                st.query(bad)
        with pytest.raises(QueryError):
            list(st.query("SELECT ?s WHERE { ?s ?p }"))
        assert st.report_ids() == {"aaa"}
        st.close()

    def test_ontology_graph_is_written_with_the_first_report(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        q = f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{ONTOLOGY_IRI}> a <http://www.w3.org/2002/07/owl#Ontology> }} }}"
        assert st.query(q).askAnswer is True
        assert st.query(f"ASK {{ <{YB.Claim}> a <http://www.w3.org/2002/07/owl#Class> }}").askAnswer is True
        assert "ontology" not in st.report_ids()
        st.close()

    def test_read_only_store_refuses_writes(self):
        st = self.make_store()
        st.replace_report("aaa", _report(1))
        st.close()
        ro = self.make_store(read_only=True)
        assert ro.report_ids() == {"aaa"}
        with pytest.raises(StoreError):
            ro.replace_report("bbb", _report(2))
        with pytest.raises(StoreError):
            ro.remove_report("aaa")
        ro.close()


class TestEmbeddedStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path):
        self.folder = tmp_path / "graph"

    def make_store(self, read_only: bool = False):
        return OxigraphGraphStore(self.folder, read_only=read_only)


class TestSparqlServerStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, sparql_server):
        clear_server(sparql_server)
        self.server = sparql_server

    def make_store(self, read_only: bool = False):
        from yanbao.kg.remote import SparqlGraphStore

        # small batches, so a report goes over several INSERT DATA requests
        return SparqlGraphStore(self.server["query"], self.server["update"], read_only=read_only, batch_triples=7)

    def test_spec_opens_a_server_store(self, tmp_path):
        from yanbao.kg.remote import SparqlGraphStore

        st = open_graph_store(server_store_spec(self.server), tmp_path, timeout=5)
        assert isinstance(st, SparqlGraphStore)
        assert (st.query_url, st.update_url) == (self.server["query"], self.server["update"])


def test_unreachable_server_is_a_store_error_naming_the_url(tmp_path):
    st = open_graph_store("sparql:http://127.0.0.1:9/query", tmp_path, timeout=2)
    with pytest.raises(StoreError, match=r"http://127\.0\.0\.1:9/query"):
        st.report_ids()
    with pytest.raises(StoreError, match="127.0.0.1:9"):
        st.replace_report("aaa", _report(1))


def test_bad_store_specs_are_settings_errors(tmp_path):
    with pytest.raises(SettingsError, match="valid"):
        open_graph_store("mysql:x", tmp_path)
    with pytest.raises(SettingsError, match="http"):
        open_graph_store("sparql:ftp://host/query", tmp_path)


def test_credentials_from_the_environment_are_sent():
    """Basic auth from YANBAO_SPARQL_USER/PASSWORD; a refusal names the URL and the variables."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        env = {"YANBAO_SPARQL_USER": "analyst", "YANBAO_SPARQL_PASSWORD": "s3cret"}
        st = open_graph_store(f"sparql:{url}", None, timeout=5, env=env)
        with pytest.raises(StoreError, match="YANBAO_SPARQL_USER"):
            st.report_ids()
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Basic YW5hbHlzdDpzM2NyZXQ="]  # base64("analyst:s3cret")


# ------------------------------------------------------------ end to end ---


def _graphs_by_name(store) -> dict[str, Graph]:
    out: dict[str, Graph] = {}
    for s, p, o, g in store.quads():
        out.setdefault(str(getattr(g, "identifier", g)), Graph()).add((s, p, _plain(o)))
    return out


@pytest.fixture(scope="module")
def embedded_two(tmp_path_factory):
    """An embedded-store home with the sample and one fixture report."""
    lib = make_library(tmp_path_factory.mktemp("embedded-home"))
    lib.ingest([str(SAMPLE), str(FIXTURES / "broker_ev_battery.txt")])
    return lib


def test_library_on_a_server_matches_the_embedded_store(sparql_server, embedded_two, tmp_path):
    from yanbao.kg.analytics import entity_graph, graph_stats
    from yanbao.library import Library
    from yanbao.core.settings import load_settings

    clear_server(sparql_server)
    lib = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing", "store": server_store_spec(sparql_server)}))
    outcomes = lib.ingest([str(SAMPLE), str(FIXTURES / "broker_ev_battery.txt")])
    assert [o.status for o in outcomes] == ["added", "added"]
    ids = {o.report_id for o in outcomes}

    remote, local = lib.graph(), embedded_two.graph()
    try:
        assert remote.report_ids() == local.report_ids() == ids
        assert graph_stats(remote) == graph_stats(local)
        a, b = _graphs_by_name(remote), _graphs_by_name(local)
        assert a.keys() == b.keys()
        for name in a:
            assert isomorphic(a[name], b[name]), name
        assert sorted(entity_graph(remote).nodes) == sorted(entity_graph(local).nodes)
    finally:
        remote.close()
        local.close()

    answer = lib.ask("催收行業面臨哪些監管挑戰？", log=False)
    assert not answer.abstained
    assert answer.coverage
    # ask reads the home's index only: it answers with the graph server out of reach
    offline = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing", "store": "sparql:http://127.0.0.1:9/query"}))
    assert offline.ask("催收行業面臨哪些監管挑戰？", log=False).coverage == answer.coverage

    other = next(o.report_id for o in outcomes if o.path.endswith("broker_ev_battery.txt"))
    lib.remove(other)
    st = lib.graph()
    try:
        assert st.report_ids() == ids - {other}
        assert _count(st, other) == 0
        assert graph_stats(st)["reports"] == 1
    finally:
        st.close()


def test_cli_on_a_server(sparql_server, tmp_path):
    import json

    from typer.testing import CliRunner

    from yanbao.cli import app

    clear_server(sparql_server)
    spec = server_store_spec(sparql_server)
    runner = CliRunner()
    base = ["--home", str(tmp_path / "home"), "--store", spec]
    env = {"YANBAO_EMBEDDER": "hashing"}
    res = runner.invoke(app, base + ["ingest", "--json", str(SAMPLE)], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, base + ["graph", "stats", "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["reports"] == 1
    res = runner.invoke(app, base + ["sparql", "--json", "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/yanbao/ontology#Claim> }"], env=env)
    assert res.exit_code == 0, res.output
    assert int(json.loads(res.stdout)["results"]["bindings"][0]["n"]["value"]) > 10
    res = runner.invoke(app, base + ["sparql", "DROP ALL"], env=env)
    assert res.exit_code != 0
    assert "read-only" in res.output

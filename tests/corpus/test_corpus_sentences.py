"""Sentence splitting and heading recognition on hand-made paragraphs."""

from __future__ import annotations

import pytest

from yanbao.corpus import parse_heading, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("產能過剩。價格下行！如何應對？行業承壓；企業轉型。",
         ["產能過剩。", "價格下行！", "如何應對？", "行業承壓；", "企業轉型。"]),
        ("需求回暖!价格企稳?库存下降;盈利改善", ["需求回暖!", "价格企稳?", "库存下降;", "盈利改善"]),
        ("差異懸殊. CMP設備國產化率較高. EUV仍是短板。", ["差異懸殊.", "CMP設備國產化率較高.", "EUV仍是短板。"]),
        ("國產化率差異懸殊.光刻機仍依賴進口。", ["國產化率差異懸殊.", "光刻機仍依賴進口。"]),
        ("What is it? It is a test.", ["What is it?", "It is a test."]),
    ],
)
def test_splits_on_sentence_enders(text, expected):
    assert sentences(text) == expected


def test_numbers_stay_whole():
    text = "招标总量为3,406台，占比2.3%，是去年的1.5倍。单价0.4元/Wh左右。"
    assert sentences(text) == ["招标总量为3,406台，占比2.3%，是去年的1.5倍。", "单价0.4元/Wh左右。"]


def test_abbreviation_dot_before_latin_is_not_an_end():
    assert sentences("約3.5 GWh，見Fig.2及附表。") == ["約3.5 GWh，見Fig.2及附表。"]


def test_never_splits_inside_double_quotes():
    text = "他指出：“產能過剩；價格下行！行業承壓。”隨後離開。"
    assert sentences(text) == ["他指出：“產能過剩；價格下行！行業承壓。”", "隨後離開。"]


def test_never_splits_inside_corner_brackets():
    text = "業內認為「國產替代不是選擇題。而是必答題！」這一判斷已成共識。"
    assert sentences(text) == ["業內認為「國產替代不是選擇題。而是必答題！」", "這一判斷已成共識。"]


def test_quote_inside_a_sentence_does_not_end_it():
    text = "形成“頭部集中+區域深耕”的格局，“以貸養貸”現象減少。"
    assert sentences(text) == [text]


def test_book_title_with_question_mark_does_not_end_sentence():
    text = "《行業如何突圍？》一文指出，需加快轉型。"
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("他说\"好的。\"然后离开。", ["他说\"好的。\"", "然后离开。"]),
        ("他問：「為什麼？」她答：『不知道。』", ["他問：「為什麼？」", "她答：『不知道。』"]),
        ("He said \"yes.\" Then he left.", ["He said \"yes.\"", "Then he left."]),
        ("結束了。）接著", ["結束了。）", "接著"]),
    ],
)
def test_closing_quotes_stay_with_their_sentence(text, expected):
    assert sentences(text) == expected


def test_unbalanced_quote_does_not_swallow_the_paragraph():
    text = "“" + "很長的引文。" * 80 + "後文。"
    assert len(sentences(text)) > 10


def test_spans_exclude_surrounding_whitespace():
    text = "  第一句。  第二句。 "
    assert split_sentences(text) == [(2, 6), (8, 12)]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("一、產業格局與競爭主體", ("cn", "一", "產業格局與競爭主體")),
        ("（二）設備廠商梯隊分化", ("cn_paren", "（二）", "設備廠商梯隊分化")),
        ("1.1 装机规模持续扩张，集中度高位企稳", ("dotted2", "1.1", "装机规模持续扩张，集中度高位企稳")),
        ("2. 驱动因素", ("num", "2", "驱动因素")),
        ("1、成熟製程擴產", ("num", "1", "成熟製程擴產")),
        ("第三章 行业竞争格局", ("chapter", "第三章", "行业竞争格局")),
        ("## 风险提示", ("md2", "", "风险提示")),
    ],
)
def test_heading_patterns(line, expected):
    assert parse_heading(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "2.3%的企业实现盈利",  # a number, not a heading number
        "1.5倍于去年",
        "一、行业集中度进一步提升。",  # ends like a sentence
        "6 / 30",
        "摘要：在出口管制持續收緊與晶圓廠擴產的雙重作用下",
        "3,406台设备",
    ],
)
def test_not_headings(line):
    assert parse_heading(line) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        # A portal's one-line summary: items after `` - ``, citation markers, an inline sub-title.
        ("核心要点 - 政策进入精细化阶段[3] - 交货周期缩短[1][4] 政策背景 - 国际压力是驱动因素[8]",
         ["核心要点", "政策进入精细化阶段[3]", "交货周期缩短[1][4]", "政策背景", "国际压力是驱动因素[8]"]),
        ("需求回暖 [3][5] - 行业面临双重逻辑 [1]", ["需求回暖 [3][5]", "行业面临双重逻辑 [1]"]),
        # Not item boundaries: a range, an English dash, a marker before Latin text.
        ("2020 - 2025年销量翻倍。", ["2020 - 2025年销量翻倍。"]),
        ("The A - B test[2] is done.", ["The A - B test[2] is done."]),
    ],
)
def test_inline_items_split(text, expected):
    assert sentences(text) == expected


def test_one_line_portal_summaries_of_the_dev_corpus_split_into_items():
    """Two dev articles (a portal's AI summaries) put the whole body on one line of
    `` - `` items; each item must be a sentence of its own, or a question is
    answered by one 700-character "sentence" the embedder truncates."""
    from .shared_inputs import DEV_CORPUS, dev_article, need

    for name, item in (
        ("12_rare_earth_export_license.txt", "国际压力是重要驱动因素,欧盟因供应链紧张多次呼吁简化流程,此次调整回应了其诉求[8]"),
        ("29_chemicals_cycle.txt", "在建工程增速同比转负,确认未来几年新增供给压力将大幅减轻 [5]"),
    ):
        text = dev_article(need(DEV_CORPUS) / name)
        found = [s for line in text.splitlines() for s in sentences(line)]
        assert item in found, name
        assert max(map(len, found)) < 200, name

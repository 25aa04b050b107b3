"""Stand-alone heading lines stay headings: never glued onto the paragraph below them.

Web articles saved as text put each paragraph on one line, with unnumbered
section headings (``地方实践的差异化探索``) on lines of their own and no blank
line between them.  Hard-wrapped text and PDF lines are another matter: a short
piece of a wrapped paragraph must still be joined to the rest of it.
"""

from __future__ import annotations

import re

import pytest

from yanbao.corpus import parse_document, parse_text

from .shared_inputs import DEV_CORPUS, REALDOCS, need

_PUNCTUATION = "。！？；!?;，,、:："


def _standalone_short_lines(text: str) -> list[str]:
    """Lines of 2-25 characters with no punctuation that have a line of text below them."""
    lines = [line.strip() for line in text.splitlines()]
    return [
        line for line, nxt in zip(lines, lines[1:])
        if 2 <= len(line) <= 25 and nxt and not any(ch in line for ch in _PUNCTUATION)
    ]


@pytest.mark.parametrize("folder", ["dev", "peer"])
def test_no_sentence_swallows_a_heading_line_of_the_file(folder):
    corpus = need(DEV_CORPUS.parent.parent / folder / "corpus")
    glued = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        report = parse_document(path)
        for line in _standalone_short_lines(text):
            glued += [(path.name, s.text[:40]) for s in report.sentences if s.text.startswith(line) and len(s.text) > len(line)]
    assert glued == []


def test_dev_unnumbered_headings_open_sections():
    """Hand-checked: each of these lines stands alone in the saved article, above its paragraph."""
    expected = {
        "24_low_altitude_policy.txt": ["地方实践的差异化探索"],
        "23_pet_economy.txt": ["宠物经济发展势头良好", "解码宠物经济版图"],
        "26_cross_border_ecommerce.txt": ["中国系平台主导全球跨境电商增长"],
        "10_nev_status_challenges.txt": ["产量与渗透率全球领先", "出口跃升为全球第一", "技术创新局部突破"],
    }
    for name, titles in expected.items():
        report = parse_document(need(DEV_CORPUS) / name)
        assert set(titles) <= set(report.section_titles()), name
        first = next(s for s in report.sentences if s.section_path[-1:] == (titles[0],))
        assert not first.text.startswith(titles[0]), name


def test_broker_note_side_headings_and_risk_label():
    report = parse_document(need(REALDOCS) / "huaxi_industry_rotation_quant_2022.pdf")
    assert "► 行业量价因子筛选" in report.section_titles()
    risk = next(s for s in report.sentences if s.text.startswith("报告的结论基于历史统计规律"))
    assert risk.section_path and risk.section_path[-1] in ("风险提示", "8.风险提示")


def test_a_piece_of_a_wrapped_paragraph_is_not_a_heading():
    # Cut at 30 characters straight through the paragraph breaks: ``2024年我国新`` is a piece.
    article = "2025年储能行业发展报告\n\n一、市场规模\n2024年我国新型储能累计装机规模达到7,376万千瓦，同比增长超过130%，其中锂离子电池储能占比超过九成。\n"
    wrapped = "\n".join(article[i : i + 30] for i in range(0, len(article), 30))
    report = parse_text(wrapped)
    assert report.section_titles() == ["市场规模"]
    assert report.sentences[0].text.startswith("2024年我国新型储能")


@pytest.mark.parametrize("note", ["(图片来源网络,侵删)", "（某头部数据公司的部分报价单）"])
def test_a_picture_note_in_brackets_is_neither_heading_nor_sentence(note):
    text = f"储能行业观察\n\n头部企业的份额继续提升，二三线企业加速出清。\n{note}\n此外，该公司还为客户提供贷后风控产品。\n"
    report = parse_text(text)
    assert report.section_titles() == []
    assert [s.text for s in report.sentences] == ["头部企业的份额继续提升，二三线企业加速出清。", "此外，该公司还为客户提供贷后风控产品。"]
    assert note in report.text


@pytest.mark.parametrize("marker", ["[廣告]請繼續往下閱讀...", "請繼續往下閱讀...", "【广告】", "广告"])
def test_an_advert_slot_inside_the_article_is_dropped(marker):
    text = f"储能行业观察\n\n头部企业的份额继续提升，二三线企业加速出清。\n{marker}\n此外，储能电池价格继续下行。\n"
    report = parse_text(text)
    assert report.section_titles() == []
    assert [s.text for s in report.sentences] == ["头部企业的份额继续提升，二三线企业加速出清。", "此外，储能电池价格继续下行。"]


def test_no_dev_section_is_an_advert_slot():
    for path in sorted(need(DEV_CORPUS).glob("*.txt")):
        titles = parse_document(path).section_titles()
        assert not [t for t in titles if re.search("閱讀|阅读|廣告|广告", t)], path.name

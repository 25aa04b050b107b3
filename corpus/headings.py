"""Heading lines of Chinese reports: ``第一章``, ``一、``, ``（一）``, ``1.1``, markdown ``#``.

Kept apart from :mod:`~yanbao.corpus.structure` because the cleaner needs it
too (a numbered heading is never a report's title) and the structure stage
imports the cleaner.
"""

from __future__ import annotations

import re

__all__ = ["parse_heading", "is_caption", "CIRCLED", "SECTION_LABEL_RE"]

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"  # list items, and short ones are headings

_CN_NUM = "一二三四五六七八九十百零〇"
# A decimal followed by a unit is a quantity (``1.5倍``, ``2.3万辆``), not a heading number.
_UNITS = "倍万萬亿億元个個家年月日岁歲次台臺辆輛吨噸件项項亩畝米"
# (style, regex) in priority order; the regex's group 1 is the number, group 2 the title.
_HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("md", re.compile(r"^(#{1,6})\s+(.+)$")),
    # ``第 2 章`` (spaces inside, as typeset or OCR text has them) is ``第2章``.
    ("chapter", re.compile(rf"^(第\s*[{_CN_NUM}\d]+\s*(?:部分|[章篇部]))[\s:：、]*(.*)$")),
    ("section", re.compile(rf"^(第\s*[{_CN_NUM}\d]+\s*[节節])[\s:：、]*(.*)$")),
    ("cn", re.compile(rf"^([{_CN_NUM}]+)[、.．]\s*(.+)$")),
    ("cn_paren", re.compile(rf"^([（(][{_CN_NUM}]+[)）])[、.．]?\s*(.+)$")),
    ("dotted", re.compile(rf"^(\d{{1,2}}(?:\.\d{{1,2}})+)\.?(?![\d%％{_UNITS}])\s*(\S.*)$")),
    ("num", re.compile(r"^(\d{1,2})[.、．](?![\d%％])\s*(\S.*)$")),
    ("num_paren", re.compile(r"^([（(]\d{1,2}[)）])\s*(\S.*)$")),
    ("circled", re.compile(r"^([①-⑳])\s*(\S.*)$")),
)
# Front-matter labels (matched on Simplified text): ``摘要``, ``投资要点``, ``引言``.
# A label heads the summary above the report's own numbered outline, not the outline.
SECTION_LABEL_RE = re.compile(
    r"^(引言|前言|序言|导言|导读|导语|摘要|内容摘要|内容提要|投资要点|核心观点|要点|划重点|风险提示|目录|概述|编者按)\s*(?:[:：]|$)"
)
_TERMINAL = "。！？；!?;"
_MAX_HEADING_CHARS = 50
# A figure's or table's caption (``图 2 数据要素主要表现形态``, ``图表 5：营收``,
# ``表 1-2``, ``Figure 3``): the label of a picture or a table, not a heading
# of the text around it.  White papers and broker notes put one under every chart.
_CAPTION_RE = re.compile(
    r"^(?:图表|圖表|附图|附圖|附表|图|圖|表|figure|fig\.?|table|chart|exhibit)\s*"
    r"[A-Za-z]?\d{1,3}(?:\s*[.\-－–—]\s*\d{1,3})*(?![\d.%％])\s*(?:[:：.、]\s*)?\S",
    re.I,
)
_MAX_CAPTION_CHARS = 60
# A line wholly in round brackets is a note under a picture (``（某公司的部分报价单）``,
# ``(图片来源网络,侵删)``), never a heading; ``（一）…`` carries a title after the bracket.
_BRACKET_NOTE_RE = re.compile(r"^[（(][^（）()]{2,40}[)）]$")


def is_caption(line: str) -> bool:
    """True when ``line`` is a figure's or table's caption (``图 3 …``, ``表1：…``)
    or a picture's note wholly in round brackets.

    A caption is short, opens with 图/表/图表/Figure/Table and a number, and
    has no sentence punctuation: ``图1显示，…增长。`` and ``表 2 中统计了…，`` are prose.
    """
    text = line.strip()
    if not text or len(text) > _MAX_CAPTION_CHARS or any(ch in text for ch in _TERMINAL + "，"):
        return False
    return bool(_CAPTION_RE.match(text) or _BRACKET_NOTE_RE.match(text))


def parse_heading(line: str) -> tuple[str, str, str] | None:
    """Return ``(style, number, title)`` if ``line`` is a heading, else ``None``.

    A heading is short, carries a numbering pattern of Chinese reports (``一、``,
    ``（一）``, ``1.``, ``1.1``, ``第一章``, markdown ``#``) and does not end like
    a sentence.
    """
    text = line.strip()
    if not text or len(text) > _MAX_HEADING_CHARS or text.endswith(tuple(_TERMINAL + "，,")):
        return None
    if "。" in text:
        return None
    for style, pattern in _HEADING_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        number, title = m.group(1), m.group(2).strip()
        if style == "md":
            return f"md{len(number)}", "", title
        if style == "dotted":
            style = f"dotted{number.count('.') + 1}"
        if not title and style not in ("chapter", "section"):
            return None
        if title.startswith("《") and style in ("num", "num_paren", "circled"):
            return None  # ``1.《某报告》，2022.4.29``: a list of cited reports, not a heading
        return style, number, title or number
    return None

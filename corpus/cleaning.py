"""Strip web-page and PDF chrome; keep the page's own records.

The public entry point is :func:`clean_page`.  It classifies each line of a
loaded document as body, chrome (hotlines, navigation, share prompts,
copyright, disclaimers, tag clouds, page footers), a sidebar client question,
a related-report title or teaser, the article title, or its source line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yanbao.core.records import RelatedReport, SidebarQuestion

from .headings import SECTION_LABEL_RE as _SECTION_LABEL_RE
from .headings import is_caption, parse_heading
from .script import match_key, normalise

__all__ = ["CleanedPage", "clean_page"]


@dataclass
class CleanedPage:
    """The body lines of a page (blank strings separate blocks) and its own records."""

    title: str
    body: list[str]
    subtitle: str = ""
    source: str = ""
    sidebar_questions: list[SidebarQuestion] = field(default_factory=list)
    related_reports: list[RelatedReport] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # text left out, with how much and why


# Patterns are matched against the Simplified-normalised line, so they are
# written once, in Simplified script, and hold for Traditional input too.
_SIDEBAR_RE = re.compile(r"^[•·●▪■\-\*\s]*([\u4e00-\u9fff]{2,4}?)用户提问\s*[:：]\s*(.+)$")
_PHONE_RE = re.compile(r"(?<!\d)(?:[48]00[-\s]?\d{3}[-\s]?\d{4}|0\d{2,3}-\d{7,8})(?!\d)")
_COPYRIGHT_RE = re.compile(
    r"©|copyright|版权所有|版权声明|all rights reserved|icp备|icp证|公网安备|转载来源|版权及免责",
    re.I,
)
_DISCLAIMER_RE = re.compile(
    r"免责声明|仅代表作者|不构成任何投资建议|不构成投资建议|请务必阅读|信息披露和法律声明|"
    r"本报告仅供|未经许可.{0,10}转载|如需转载"
)
_SHORT_CHROME_RE = re.compile(
    r"热线|微信|微博|扫一扫|二维码|分享到|订阅号|公众号|qq空间|免费提问|查看详情|点击查看|"
    r"立即咨询|阅读全文|返回顶部|上一篇|下一篇|登录|注册|收藏|打印本页|字号|加入收藏|"
    r"在线咨询|联系我们|联系方式|广告服务|意见反馈|网站地图|用户提问|责任编辑|编辑[:：]|"
    r"浏览次数|阅读量|点赞|评论|首页|继续往下阅读|往下阅读|继续阅读|^[\[【(（]?广告[\]】)）]|^广告$",
    re.I,
)
_TOC_RE = re.compile(r"(?:\.{6,}|…{3,}|·{6,}|(?:\.\s){6,})\s*\d*\s*$")
_TOC_TITLE_RE = re.compile(r"^((正\s*文|图|表|图\s*表)\s*)?目\s*录$|^contents$", re.I)
_CREDENTIAL_RE = re.compile(r"资格编号|执业证书编号|执业编号|sac\s*(no|执业|编号)|证书编号\s*[:：]|邮箱\s*[:：]|e-?mail\s*[:：]", re.I)
# A security's name and code alone on a line (``高测股份(688556.SH)``, ``腾讯控股（0700.HK）``).
_SECURITY_TAG_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,12}\s*[（(]\s*\d{4,6}(\.[A-Za-z]{2})?\s*[)）]$")
# A bibliography's label on a line of its own: the list after it cites other works.
_REFERENCES_RE = re.compile(r"^(参考文献|参考资料|references|bibliography)$", re.I)
# A notice's own label on a line of its own: the paragraph under it is boilerplate
# (copyright terms, legal disclaimers, the analysts' certification), not the report.
# The label may carry the publisher's name (``华西证券免责声明``).
_NOTICE_LABEL_RE = re.compile(
    r"^.{0,8}?(版权声明|免责声明|法律声明|重要声明|特别声明|分析师声明|信息披露|分析师承诺|"
    r"(分析师|研究员|作者)(与研究助理)?简介)$"
)
# The role line and the name line of an analyst block (``证券分析师`` / ``倪正洋``)
# above the analyst's credential or e-mail line.
# A role line is the role alone, a role and a name after a colon (``助理分析师：丁睿雯``),
# or the block's label (``评级及分析师信息``); it is chrome wherever it stands.
_ANALYST_ROLE_RE = re.compile(
    r"^[\u4e00-\u9fff]{0,4}(分析师|研究助理|研究员|联系人)(信息)?(\s*[:：]\s*[\u4e00-\u9fff·]{2,5})?$"
)
_PROMO_RE = re.compile(r"更多.{0,30}(详见|请见|参见|请关注|敬请)|欲了解更多|如需.{0,20}咨询|品牌合作|广告投放")
_MORE_LINK_RE = re.compile(r"更多.{0,8}[>》→]|[>》→]\s*$")
_PAGE_NO_RE = re.compile(r"^(?:第?\s*\d+\s*(?:/|页|of)\s*\d*\s*页?|[-—–]\s*\d+\s*[-—–]|\d{1,3})$", re.I)
_DATE_ONLY_RE = re.compile(
    r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*(?:(?:星期|周|週)[一二三四五六日天])?\s*"
    r"(?:[上下]午)?\s*(\d{1,2}:\d{2}(:\d{2})?)?$"
)
_SOURCE_RE = re.compile(
    r"^[（(]?\s*(?:报告出品方|出品方|作者|来源|资料来源|文章来源|发布机构|研究机构|出处)"
    r"(?:\s*[/／]\s*作者)?\s*[:：]\s*(.+?)[)）]?$"
)
# A provenance line holding only the page's address (``SOURCE: https://…``, ``原文链接：…``),
# perhaps with a note in brackets, as scrapers and "save as text" exports write above the
# article: the report's source (the address), whatever its length, never its title or a sentence.
_SOURCE_URL_RE = re.compile(r"^(?:(?i:source|url|link)|原文链接|原文地址|原文网址|原文|链接|网址)\s*[:：]\s*(https?://[^\s()（）]+)\s*(?:[(（][^()（）]*[)）])?\s*$")
_ATTRIBUTION_RE = re.compile(r"^据(.{2,30}?)(?:发布|发表|出版)的《[^》]+》[^。！？!?]*$")
_META_RE = re.compile(r"^(发布日期|发布时间|发表时间|更新时间|最后更新|日期|时间|阅读|浏览|字数)\s*[:：]")
# A dateline: the outlet or author with the time of posting (``搜狐财经· 2025-12-20 02:23``,
# ``2024-02-27 09:40吴某某``); a date with a clock time and no sentence punctuation.
_DATELINE_RE = re.compile(r"^[^。，,；;！？!?]{0,24}\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*\d{1,2}:\d{2}(?::\d{2})?[^。，,；;！？!?]{0,24}$")
# A journal's issue line under an article's title (``上海保险 2024年1期``).
_ISSUE_RE = re.compile(r"^[^\s，。,:：]{2,12}\s*\d{4}\s*年\s*(?:第\s*)?\d{1,2}\s*期$")
_REPOST_TITLE_RE = re.compile(r"^[-•·*]?\s*原标题\s*[:：]")
_TRAILING_META_RE = re.compile(r"\s*(\d{4}[-/.年]\d{1,2}.*|(阅读|浏览|来源|作者)\s*[:：].*)$")
_BULLET_RE = re.compile(r"^[•·●▪■\-\*]\s*")
_END_MARKER_RE = re.compile(
    r"^(相关深度报告|深度报告|相关阅读|延伸阅读|推荐阅读|猜您喜欢|猜你喜欢|相关报告|相关研究|相关文章|"
    r"热门推荐|热门报告|相关推荐|推荐报告|最新报告|标签\s*[:：])"
)
_DEEP_DIVE_RE = re.compile(r"^(相关深度报告|深度报告|推荐报告)")
_REPORT_TITLE_RE = re.compile(r"报告|分析|研究|调研|预测|白皮书|蓝皮书|展望|前景|趋势|规划")
_TERMINAL = "。！？；!?;"
TABLE_CELL_SEPARATOR = "｜"  # how the loaders join a table row's cells (see docxtext)
# ``（转载）``, ``【原创】``: how the page got the report, not part of its title.
_REPOST_MARK_RE = re.compile(r"^\s*[（(【\[](?:转载|轉載|原创|原創|转|轉)[)）】\]]|[（(【\[](?:转载|轉載|原创|原創)[)）】\]]\s*$")
_CHROME_TITLE_RE = re.compile(
    # App prompts and reading-progress prompts, written so that a real title
    # about apps, downloads or subscriptions (``中国App出海报告``) is not caught.
    r"app\s*下载|下载\s*app|打开\s*app|客户端|未读|继续阅读|点击|扫码|长按|无障碍(?:说明|浏览|模式)|"
    r"阅读.{0,16}(声明|条款)|法律声明|立即订阅|点击订阅|订阅号|关注我们|加关注|分享至|登录|首页|"
    r"返回(?:顶部|首页)|上一页|下一页|收起|展开全文",
    re.I,
)
_AUTHOR_LINE_RE = re.compile(r"^[■□●◆▲【\[（(]*\s*(作者|文|撰文|记者|编辑|by)\s*[/:：|\s]", re.I)
_LEADING_DATE_RE = re.compile(r"^\s*(date\s*)?\d{4}[-/.年]\d{1,2}")
_TRAILING_DATE_RE = re.compile(r"[(（]\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[)）]$")


def clean_page(text: str, title_hint: str = "", main: str = "") -> CleanedPage:
    """Split a loaded document into body lines and the page's own records.

    ``title_hint`` is the title the file format declares (a PDF's largest type,
    an HTML page's headline); it wins over the first title-like line unless it
    is page chrome.  ``main`` is an HTML page's article as a content extractor
    found it: the body comes from it, the sidebar questions and related reports
    from the whole page ``text``.

    Returns a :class:`CleanedPage`; it never raises on odd input, it may
    return an empty body (the caller decides whether that is an error).
    """
    page = _classified(text)
    if main:
        body_page = _classified(main)
        body_page.source = body_page.source or page.source
    else:
        body_page = page
    title, title_lines = _title_of(body_page, title_hint)
    if not title and main:
        # The extractor may leave the headline out of the article: look above it on the page.
        title, _ = _title_of(page, "")
    end = _body_end(body_page, title_lines)
    dropped = []
    refs = _references_start(body_page, end)
    if refs is not None:
        n = sum(1 for k in body_page.kinds[refs + 1 : end] if k == "text")
        dropped.append(f"{n} lines of references ({body_page.lines[refs]}) left out: a bibliography cites other works")
        end = refs
    body, subtitle = _body_lines(body_page, end, title, title_lines)
    # The related reports follow the whole page's body end, whichever text the body came from.
    related_end = _body_end(page, set()) if main else end
    if refs is not None and not main:
        # A bibliography's entries cite other works; they are not teasers. Related reports
        # come only from a related-reports block marked after it (相关报告 …), if any.
        related_end = next((i for i in range(refs + 1, len(page.kinds)) if page.kinds[i] in ("marker", "deep_marker")),
                           len(page.lines))
    related = _related_reports(page.lines[related_end:], page.norms[related_end:], page.kinds[related_end:])
    return CleanedPage(
        title=title,
        body=body,
        subtitle=subtitle,
        source=body_page.source or page.source,
        sidebar_questions=page.sidebar,
        related_reports=related,
        dropped=dropped,
    )


@dataclass
class _Lines:
    """A document's tidied lines, their normalised forms and kinds."""

    lines: list[str]
    norms: list[str]
    kinds: list[str]
    sidebar: list[SidebarQuestion]
    source: str


def _classified(text: str) -> _Lines:
    lines = [_tidy(line) for line in text.splitlines()]
    norms = [normalise(line) for line in lines]
    sidebar: list[SidebarQuestion] = []
    kinds: list[str] = []
    source = ""
    for line, norm in zip(lines, norms):
        kind = _classify(line, norm)
        if kind == "sidebar":
            m = _SIDEBAR_RE.match(norm)
            assert m is not None  # _classify matched it
            sidebar.append(
                SidebarQuestion(
                    region=_original(line, norm, m, 1), question=_original(line, norm, m, 2).strip()
                )
            )
        elif kind == "source" and not source and not _by_a_caption(lines, len(kinds)):
            source = _source_of(line, norm)
        kinds.append(kind)
    _notice_and_analyst_lines(norms, kinds)
    # A byline: a short unpunctuated line (the outlet, the author) right above a
    # date line is page furniture, not the first words of the article.
    for i in range(len(lines) - 1):
        if (
            kinds[i] == "text"
            and len(norms[i]) <= 12
            and not any(ch in norms[i] for ch in _TERMINAL + "，,")
            and _DATE_ONLY_RE.match(norms[i + 1])
        ):
            kinds[i] = "chrome"
    return _Lines(lines, norms, kinds, sidebar, source)


def _by_a_caption(lines: list[str], i: int) -> bool:
    """A source line right above or below a figure's caption is the figure's
    data source (``来源：公开资料整理``), not the report's publisher."""
    near = [j for j in range(i - 2, i + 3) if j != i and 0 <= j < len(lines)]
    return any(lines[j] and is_caption(lines[j]) for j in near)


def _notice_and_analyst_lines(norms: list[str], kinds: list[str]) -> None:
    """Mark as chrome the boilerplate that chrome lines announce (in place).

    * Under a notice's label (``版权声明``, ``法律声明``, ``分析师声明``) its
      paragraph, up to the next blank line, is the notice's text.
    * An analyst block's role lines (``证券分析师``, ``助理分析师：丁睿雯``,
      ``评级及分析师信息``), and the name lines (``倪正洋``: a name's length)
      right above a credential or e-mail line (``资格编号：S0120…``).
    """
    n = len(norms)
    for i in range(n):
        if kinds[i] not in ("text", "chrome") or len(norms[i]) > 30:
            continue  # labels and role lines are short: most lines need no closer look
        key = "".join(norms[i].split())
        if kinds[i] == "text" and _ANALYST_ROLE_RE.match(key):
            kinds[i] = "chrome"
        elif _NOTICE_LABEL_RE.match(key):
            kinds[i] = "chrome"
            j = i + 1
            while j < n and kinds[j] == "blank":
                j += 1
            while j < n and kinds[j] != "blank":
                if kinds[j] == "text":
                    kinds[j] = "chrome"
                j += 1
    for i in range(n):
        if kinds[i] != "chrome" or not _CREDENTIAL_RE.search(norms[i]):
            continue
        j = i - 1
        while j >= 0 and i - j <= 3 and kinds[j] != "blank":
            key = "".join(norms[j].split())
            if kinds[j] == "text" and len(key) <= 4 and not any(ch in key for ch in _TERMINAL + "，,"):
                kinds[j] = "chrome"
            elif kinds[j] != "chrome":
                break
            j -= 1


def _title_of(page: _Lines, hint: str) -> tuple[str, set[int]]:
    """The document's title (without a repost marker) and the indexes of the lines that print it."""
    title, lines = _declared_or_first_title(page, hint)
    return _REPOST_MARK_RE.sub("", title).strip() or title, lines


def _declared_or_first_title(page: _Lines, hint: str) -> tuple[str, set[int]]:
    hint = " ".join(_tidy(hint).split())
    if hint and not _is_chrome_hint(normalise(hint)):
        return hint, _lines_spelling(page, hint)
    title_i = _first_title_line(page)
    if title_i is None:
        return _split_glued_headline(page), set()
    title = page.lines[title_i]
    # Every text line above a headline found first was skipped as chrome (``Workflow``,
    # ``icon``, ``搜索文档``, an app prompt): page furniture, not the article's text.
    above = range(title_i) if _first_prose_line(page, title_i) is None else range(0)
    taken = {title_i} | {j for j in above if page.kinds[j] == "text"}
    # A PDF wraps a long title: a short, unpunctuated next line continues it.
    nxt = title_i + 1
    if (
        nxt < len(page.lines)
        and page.kinds[nxt] == "text"
        and len(page.lines[nxt]) <= 12
        and not re.search(r"[\W_]", page.lines[nxt])
        and len(title) + len(page.lines[nxt]) <= 80
    ):
        title += page.lines[nxt]
        taken.add(nxt)
    return title, taken


# A lead sentence that opens with an adverbial (``在全球能源转型的宏大叙事中，``,
# ``随着…，``) right after a run of unpunctuated text: the run may be a headline
# that lost its line break when the page was saved.
_GLUED_LEAD_RE = re.compile(
    r"^(?P<head>[^，,。；;！？!?、：:\s]{8,40}?)"
    r"(?P<lead>在[^，,。；;！？!?]{2,30}?(?:中|下|里|裏|上|时|時|之际|之際|期间|期間|以来|以來|前|后|後)"
    r"|(?:随着|隨著|伴随|伴隨|面对|面對|近年来|近年來|当前|當前|如今)[^，,。；;！？!?]{0,30}?)[，,]"
)


def _split_glued_headline(page: _Lines) -> str:
    """The headline glued to the front of the article's first line, cut off that line.

    Scraped pages saved as text can lose the line break after the headline:
    ``光伏产业从…的自救之路在全球能源转型的宏大叙事中,光伏产业始终扮演着先锋角色。``
    The headline is taken only when the lead sentence then names the headline's
    own subject again right after its opening adverbial (``…中,光伏产业…``):
    a sentence that begins ``中国移动在香港上市,目前是…`` keeps its subject.
    Returns ``""`` (and leaves ``page`` alone) when the first line is not such a line.
    """
    first = next((i for i, kind in enumerate(page.kinds) if kind == "text"), None)
    if first is None or not _is_prose(page.lines[first]):
        return ""
    line = page.lines[first]
    m = _GLUED_LEAD_RE.match(line)
    if m is None:
        return ""
    head, rest = m.group("head"), line[m.end() :]
    if not re.fullmatch(r"[\u4e00-\u9fff]{2}", head[:2]) or not rest.startswith(head[:2]):
        return ""
    page.lines[first] = line[len(head) :]
    page.norms[first] = normalise(page.lines[first])
    return head


def _lines_spelling(page: _Lines, title: str) -> set[int]:
    """Indexes of the first run of up to three consecutive lines that spell ``title``."""
    key = match_key(title)
    for i, kind in enumerate(page.kinds):
        if kind != "text":
            continue
        acc = ""
        for j in range(i, min(i + 3, len(page.lines))):
            acc += match_key(page.lines[j])
            if acc == key:
                return set(range(i, j + 1))
            if not key.startswith(acc) or page.kinds[j] != "text":
                break
    return set()


def _first_title_line(page: _Lines) -> int | None:
    """The headline above the article: the first title-like line before any prose.

    Chrome that precedes a headline (navigation, app prompts, author and date
    lines, hashtags, counters) is skipped; a numbered section heading, a
    section label (``引言``, ``摘要``, ``投资要点``) or a sentence first means
    the document has no title of its own -- except that stray prose above the
    headline (a teaser or a definition from another page) does not hide a
    headline standing right above the first numbered section (``一、…``).
    """
    seen = 0
    for i, (line, norm, kind) in enumerate(zip(page.lines, page.norms, page.kinds)):
        if kind != "text":
            continue
        seen += 1
        if seen > 15:
            return None
        if _is_prose(line):
            return _headline_above_outline(page, i)
        if _SECTION_LABEL_RE.match(norm) or _heading_like(line):
            return None
        if _is_chrome_title(line, norm):
            continue
        if 4 <= len(line) <= 80 and not line.endswith(tuple("。；;：:")):
            return i  # a headline may end with ？ or ！
    return None


def _first_prose_line(page: _Lines, end: int) -> int | None:
    return next((i for i in range(end) if page.kinds[i] == "text" and _is_prose(page.lines[i])), None)


def _headline_above_outline(page: _Lines, start: int, window: int = 4) -> int | None:
    """A title-like line among the next few, directly followed by a numbered heading."""
    texts = [i for i in range(start + 1, len(page.lines)) if page.kinds[i] == "text"][: window + 1]
    for i, nxt in zip(texts, texts[1:]):
        line, norm = page.lines[i], page.norms[i]
        if _is_prose(line) or _heading_like(line) or _SECTION_LABEL_RE.match(norm):
            continue
        if _is_chrome_title(line, norm) or not 6 <= len(line) <= 80:
            continue
        head = parse_heading(page.lines[nxt])
        if head is not None and not head[0].startswith("md"):
            return i
    return None


def _body_end(page: _Lines, title_lines: set[int]) -> int:
    """The body ends at the first related-reading marker that follows real text."""
    seen_chars = 0
    for i, (norm, kind) in enumerate(zip(page.norms, page.kinds)):
        if kind == "text" and i not in title_lines:
            seen_chars += len(norm)
        if seen_chars >= 200 and kind in ("marker", "deep_marker"):
            return i
    return len(page.lines)


def _references_start(page: _Lines, end: int) -> int | None:
    """The line of a bibliography's label (``参考文献``) in the last third of the body.

    White papers end with their references: numbered citations of other works
    (``[1] 国务院办公厅. …[EB/OL].``), which are neither the report's claims nor
    its headings.  Everything after the label is left out (and said so).
    """
    for i in range(end - 1, (2 * end) // 3, -1):
        if page.kinds[i] == "text" and _REFERENCES_RE.match("".join(page.norms[i].split())):
            return i
    return None


def _body_lines(page: _Lines, end: int, title: str, title_lines: set[int]) -> tuple[list[str], str]:
    """Return ``(body, subtitle)``: the text lines before ``end``, blank lines between blocks.

    Repeated paragraphs are kept once, the last time they occur; nothing of the
    text is lost, so they are not reported as dropped.
    """
    title_key = match_key(title) if title else ""
    body: list[str] = []
    subtitle = ""
    last_of: dict[str, int] = {}
    for i in range(end):
        if page.kinds[i] == "text":
            last_of[match_key(_BULLET_RE.sub("", page.lines[i]))] = i
    in_list = False  # inside a related-reading list placed before the body's end (a sidebar)
    for i in range(end):
        kind = page.kinds[i]
        line = page.lines[i]
        if kind in ("marker", "deep_marker"):
            in_list = True
            continue
        if kind == "blank":
            in_list = False
            if body and body[-1] != "":
                body.append("")
            continue
        if in_list:
            continue
        if kind != "text" or i in title_lines:
            continue
        key = match_key(_BULLET_RE.sub("", line))
        if title_key and key == title_key:
            continue  # a page repeats its title above the article
        if not subtitle and not body and line.rstrip().endswith(("?", "？")) and len(line) <= 80:
            subtitle = line
            continue
        # A summary box or a pasted second copy repeats whole paragraphs; the text
        # is kept once, where it last occurs (the body, under its own heading,
        # comes after a summary box).  Short lines and table cells repeat legitimately.
        if len(key) >= 20 and last_of.get(key, i) != i:
            continue
        body.append(line)
    while body and body[-1] == "":
        body.pop()
    return body, subtitle


# Zero-width characters and bidirectional controls: invisible, they split words
# for matching and can make a cited title display reversed ("Trojan Source").
_INVISIBLE_RE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def _tidy(line: str) -> str:
    return _INVISIBLE_RE.sub("", line.replace("\u00a0", " ").replace("\u3000", " ")).strip()


def _classify(line: str, norm: str) -> str:
    """Return one of blank, sidebar, source, chrome, marker, deep_marker, text."""
    if not line:
        return "blank"
    if _SIDEBAR_RE.match(norm):
        return "sidebar"
    low = norm.lower()
    if _END_MARKER_RE.match(norm):
        return "deep_marker" if _DEEP_DIVE_RE.match(norm) else "marker"
    if (_SOURCE_RE.match(norm) and len(norm) <= 80) or _SOURCE_URL_RE.match(norm):
        return "source"
    if _ATTRIBUTION_RE.match(norm):
        return "source"
    if _COPYRIGHT_RE.search(low) or _DISCLAIMER_RE.search(norm) or _PROMO_RE.search(norm):
        return "chrome"
    if _TOC_RE.search(norm) or _TOC_TITLE_RE.match(norm):
        return "chrome"  # a table of contents: headings with dot leaders and page numbers
    if _SECURITY_TAG_RE.match(norm):
        return "chrome"  # a broker note's stock tag in its sidebar (the title names the company)
    if _CREDENTIAL_RE.search(norm) and len(norm) <= 160:
        return "chrome"  # an analyst's registration number and e-mail, not the report's content
    if _PHONE_RE.search(norm) and (len(norm) <= 40 or re.search(r"联系|咨询|热线|电话", norm)):
        return "chrome"
    short = len(norm) <= 30
    if short and (_SHORT_CHROME_RE.search(low) or _MORE_LINK_RE.search(norm)):
        return "chrome"
    if _PAGE_NO_RE.match(norm) or _DATE_ONLY_RE.match(norm) or (_META_RE.match(norm) and len(norm) <= 40):
        return "chrome"
    if len(norm) <= 60 and (_DATELINE_RE.match(norm) or _ISSUE_RE.match(norm)):
        return "chrome"
    if _REPOST_TITLE_RE.match(norm):
        return "chrome"  # a repost's note of the original headline (原标题：…), whatever its length
    if _is_nav_or_tags(norm) and TABLE_CELL_SEPARATOR not in line and not parse_heading(norm):
        return "chrome"  # a table row (cells joined by the loaders' separator) is data
    # Stray symbols and counters are chrome, but a wrapped sentence's tail
    # (``键！``, ``战。``) is body text the line before continues into.
    if (
        len(norm) <= 2
        and not re.search(r"[\u4e00-\u9fff]{2}", norm)
        and not (re.search(r"[\u4e00-\u9fff]", norm) and norm.endswith(tuple(_TERMINAL)))
    ):
        return "chrome"
    return "text"


def _is_nav_or_tags(norm: str) -> bool:
    """Breadcrumbs (``首页 > 研究 > 物流``) and tag clouds (``产业规划 特色小镇 ...``)."""
    if any(ch in norm for ch in _TERMINAL + "，,。"):
        return False
    for sep in (">", "/", "|", "»", "›", "＞"):
        parts = [p.strip() for p in norm.split(sep)]
        if len(parts) >= 2 and all(0 < len(p) <= 8 for p in parts):
            return True
    parts = norm.split()
    return len(parts) >= 4 and all(len(p) <= 8 for p in parts)


def _is_title_like(line: str) -> bool:
    return 4 <= len(line) <= 80 and not line.endswith(tuple(_TERMINAL)) and "。" not in line


def _is_prose(line: str) -> bool:
    """A sentence of the article, not a headline (headlines may end with ？ or ！)."""
    return len(line) > 80 or "。" in line or line.endswith(tuple("。；;，,"))


def _heading_like(line: str) -> bool:
    return parse_heading(line) is not None


def _is_chrome_hint(norm: str) -> bool:
    """A declared title (PDF type size, HTML headline, DOCX properties) that is chrome."""
    bare = re.sub(r"\s+", "", norm)
    return len(bare) < 2 or bool(_CHROME_TITLE_RE.search(norm)) or not re.search(r"[\u4e00-\u9fff]|[A-Za-z]{3}", bare)


def _is_chrome_title(line: str, norm: str) -> bool:
    """Lines that sit where a headline would and are not one.

    App prompts and page counters (``APP下载``, ``还剩57页未读``, ``点击上方蓝字``),
    legal notices, hashtags, author and date lines, bare numbers and codes,
    one-word labels and channel names (``新浪财经 债券``), dated link lists.
    """
    bare = re.sub(r"\s+", "", norm)
    if len(bare) < 6 or _CHROME_TITLE_RE.search(norm) or _AUTHOR_LINE_RE.match(norm):
        return True
    if norm.startswith(("#", "＃")) or _LEADING_DATE_RE.match(norm) or _TRAILING_DATE_RE.search(norm):
        return True
    cjk = len(re.findall(r"[\u4e00-\u9fff]", bare))
    if cjk < 4 and len(re.findall(r"[A-Za-z]+", norm)) < 3:
        return True  # codes (No.202226), numbers, one Latin word (MAIL, Workflow)
    tokens = norm.split()
    return len(tokens) >= 2 and all(len(t) <= 4 for t in tokens)


def _original(line: str, norm: str, m: re.Match[str], group: int) -> str:
    """The original-script text of a group matched on the normalised line.

    OpenCC's t2s keeps the length of almost every line; when NFKC changed it,
    fall back to the normalised text rather than guess an alignment.
    """
    if len(line) == len(norm):
        return line[m.start(group) : m.end(group)]
    return m.group(group)


def _source_of(line: str, norm: str) -> str:
    url = _SOURCE_URL_RE.match(norm)
    if url is not None:
        return _original(line, norm, url, 1)
    m = _SOURCE_RE.match(norm) or _ATTRIBUTION_RE.match(norm)
    if m is None:
        return line
    value = _original(line, norm, m, 1).rstrip(")）").strip()
    return _TRAILING_META_RE.sub("", value).strip() or value


def _related_reports(lines: list[str], norms: list[str], kinds: list[str]) -> list[RelatedReport]:
    """Pair report titles with the teaser that follows them, after the body's end."""
    out: list[RelatedReport] = []
    kind = "teaser"
    pending: str | None = None
    for line, norm, k in zip(lines, norms, kinds):
        line, norm = _BULLET_RE.sub("", line), _BULLET_RE.sub("", norm)
        if k in ("marker", "deep_marker"):
            if pending:
                out.append(RelatedReport(title=pending, blurb="", kind=kind))
                pending = None
            kind = "deep_dive" if k == "deep_marker" else "teaser"
            continue
        if k != "text":
            continue
        if _is_title_like(line) and _REPORT_TITLE_RE.search(norm) and len(line) >= 8:
            if pending:
                out.append(RelatedReport(title=pending, blurb="", kind=kind))
            pending = line
        elif pending and len(line) >= 20:
            out.append(RelatedReport(title=pending, blurb=line, kind=kind))
            pending = None
    if pending:
        out.append(RelatedReport(title=pending, blurb="", kind=kind))
    return out

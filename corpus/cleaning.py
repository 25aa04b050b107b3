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
    r"浏览次数|阅读量|点赞|评论|首页",
    re.I,
)
_PROMO_RE = re.compile(r"更多.{0,30}(详见|请见|参见|请关注|敬请)|欲了解更多|如需.{0,20}咨询|品牌合作|广告投放")
_MORE_LINK_RE = re.compile(r"更多.{0,8}[>》→]|[>》→]\s*$")
_PAGE_NO_RE = re.compile(r"^(?:第?\s*\d+\s*(?:/|页|of)\s*\d*\s*页?|[-—–]\s*\d+\s*[-—–]|\d{1,3})$", re.I)
_DATE_ONLY_RE = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(\s+\d{1,2}:\d{2}(:\d{2})?)?$")
_SOURCE_RE = re.compile(
    r"^[（(]?\s*(?:报告出品方|出品方|作者|来源|资料来源|文章来源|发布机构|研究机构|出处)"
    r"(?:\s*[/／]\s*作者)?\s*[:：]\s*(.+?)[)）]?$"
)
_ATTRIBUTION_RE = re.compile(r"^据(.{2,30}?)(?:发布|发表|出版)的《[^》]+》[^。！？!?]*$")
_META_RE = re.compile(r"^(发布日期|发布时间|发表时间|更新时间|日期|时间|阅读|浏览|字数)\s*[:：]")
_TRAILING_META_RE = re.compile(r"\s*(\d{4}[-/.年]\d{1,2}.*|(阅读|浏览|来源|作者)\s*[:：].*)$")
_BULLET_RE = re.compile(r"^[•·●▪■\-\*]\s*")
_END_MARKER_RE = re.compile(
    r"^(相关深度报告|深度报告|相关阅读|延伸阅读|推荐阅读|猜您喜欢|猜你喜欢|相关报告|相关文章|"
    r"热门推荐|热门报告|相关推荐|推荐报告|最新报告|标签\s*[:：])"
)
_DEEP_DIVE_RE = re.compile(r"^(相关深度报告|深度报告|推荐报告)")
_REPORT_TITLE_RE = re.compile(r"报告|分析|研究|调研|预测|白皮书|蓝皮书|展望|前景|趋势|规划")
_TERMINAL = "。！？；!?;"


def clean_page(text: str) -> CleanedPage:
    """Split a loaded document into body lines and the page's own records.

    Returns a :class:`CleanedPage`; it never raises on odd input, it may
    return an empty body (the caller decides whether that is an error).
    """
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
        elif kind == "source" and not source:
            source = _source_of(line, norm)
        kinds.append(kind)

    body_idx = [i for i, k in enumerate(kinds) if k == "text"]
    title_i = next((i for i in body_idx if _is_title_like(lines[i])), None)
    title = lines[title_i] if title_i is not None else ""
    continued = None
    if title_i is not None:
        # A PDF wraps a long title: a short, unpunctuated next line continues it.
        nxt = next((i for i in body_idx if i > title_i), None)
        if (
            nxt is not None
            and nxt == title_i + 1
            and len(lines[nxt]) <= 12
            and not re.search(r"[\W_]", lines[nxt])
            and len(title) + len(lines[nxt]) <= 80
        ):
            title += lines[nxt]
            continued = nxt
    title_key = match_key(title) if title else ""

    # The body ends at the first related-reading marker that follows real text.
    end = len(lines)
    seen_chars = 0
    for i, (norm, kind) in enumerate(zip(norms, kinds)):
        if kind == "text" and i != title_i:
            seen_chars += len(norm)
        if seen_chars >= 200 and kind in ("marker", "deep_marker"):
            end = i
            break

    body: list[str] = []
    subtitle = ""
    for i in range(len(lines)):
        if i >= end:
            break
        kind = kinds[i]
        if kind == "blank":
            if body and body[-1] != "":
                body.append("")
            continue
        if kind != "text" or i in (title_i, continued):
            continue
        if title_key and match_key(lines[i]) == title_key:
            continue  # a page repeats its title above the article
        if not subtitle and not body and lines[i].rstrip().endswith(("?", "？")) and len(lines[i]) <= 80:
            subtitle = lines[i]
            continue
        body.append(lines[i])
    while body and body[-1] == "":
        body.pop()

    related = _related_reports(lines[end:], norms[end:], kinds[end:])
    return CleanedPage(
        title=title,
        body=body,
        subtitle=subtitle,
        source=source,
        sidebar_questions=sidebar,
        related_reports=related,
    )


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
    if _SOURCE_RE.match(norm) and len(norm) <= 80:
        return "source"
    if _ATTRIBUTION_RE.match(norm):
        return "source"
    if _COPYRIGHT_RE.search(low) or _DISCLAIMER_RE.search(norm) or _PROMO_RE.search(norm):
        return "chrome"
    if _PHONE_RE.search(norm) and (len(norm) <= 40 or re.search(r"联系|咨询|热线|电话", norm)):
        return "chrome"
    short = len(norm) <= 30
    if short and (_SHORT_CHROME_RE.search(low) or _MORE_LINK_RE.search(norm)):
        return "chrome"
    if _PAGE_NO_RE.match(norm) or _DATE_ONLY_RE.match(norm) or (_META_RE.match(norm) and len(norm) <= 40):
        return "chrome"
    if _is_nav_or_tags(norm):
        return "chrome"
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


def _original(line: str, norm: str, m: re.Match[str], group: int) -> str:
    """The original-script text of a group matched on the normalised line.

    OpenCC's t2s keeps the length of almost every line; when NFKC changed it,
    fall back to the normalised text rather than guess an alignment.
    """
    if len(line) == len(norm):
        return line[m.start(group) : m.end(group)]
    return m.group(group)


def _source_of(line: str, norm: str) -> str:
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

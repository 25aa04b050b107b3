"""Headings, paragraphs and sentences of a cleaned report, with offsets.

The public entry point is :func:`build_report`.  It assembles the cleaned
original text (title, then blocks separated by blank lines) and records every
section and sentence with character offsets into that text.
"""

from __future__ import annotations

import re
from yanbao.core.records import Report, Section, Sentence, content_hash

from .cleaning import CleanedPage
from .headings import CIRCLED, SECTION_LABEL_RE, is_caption, parse_heading
from .script import normalise

__all__ = ["build_report", "split_sentences", "parse_heading"]

_TERMINAL = "。！？；!?;"
_SENTENCE_KEY_RE = re.compile(r"^[•·●▪■\-\*\s]+|\s+")  # bullets and spacing do not make a sentence new
_OPEN_QUOTES = "“「『《（(‘"
_CLOSE_QUOTES = "”」』》）)’"
_CLOSERS = set(_CLOSE_QUOTES + "\"'")
_SENTENCE_QUOTES = "”’」』"  # quotation marks; not 》 or ）, which close titles and asides
_CJK_SPACE_RE = re.compile(r"(?<=[\u4e00-\u9fff，。、；：！？“”（）]) +(?=[\u4e00-\u9fff，。、；：！？“”（）])")


# A broker's rating of the stock or the industry (``增持（维持）``, ``买入(首次)``):
# a statement of the note, not a heading of the text under it.
_RATING_RE = re.compile(
    r"^(买入|增持|持有|中性|减持|卖出|推荐|谨慎推荐|强烈推荐|审慎增持|优于大市|跑赢行业|同步大市|弱于大市|跑输行业|"
    r"買入|增持|減持|賣出)\s*([（(](维持|維持|首次|首次覆盖|首次覆蓋|上调|上調|下调|下調)?[)）])?$"
)
# ``所属行业：机械设备`` / ``当前价格(元)：82.42``: a sidebar's data fields, one per line.
_FIELD_RE = re.compile(r"^[^，。,:：\s]{1,12}[:：]\s*\S")


def _is_plain_heading(block: list[str]) -> bool:
    """A block of one short line with no sentence punctuation reads as a heading."""
    if len(block) != 1:
        return False
    line = block[0]
    if is_caption(line) or _RATING_RE.match(line):
        return False  # a figure's label (``图 2 数据要素主要表现形态``) heads no text
    # ``｜`` joins a table row's cells: a short row is data, not a heading.
    return 2 <= len(line) <= 25 and not any(ch in line for ch in _TERMINAL + "，,。、:：｜")


def _rejoin(lines: list[str]) -> list[list[str]]:
    """Group body lines into blocks; re-join lines that PDF extraction broke.

    A line that does not end a sentence continues on the next line unless the
    next line is a heading.  A figure's or table's caption is a block of its
    own: the prose around it is not glued onto it.  Spaces inserted between
    CJK characters go.  In text hard-wrapped at a fixed width, a full-width
    line is a piece of a paragraph, never a heading (``一、市场规模2024年我国…``
    cut at 30 characters); a line far wider than the wrap width (a footnote or
    a table set in smaller type) was not cut by it.
    """
    cleaned = [_CJK_SPACE_RE.sub("", raw.strip()) for raw in lines]
    width = _wrap_width(cleaned)
    per_line = not width and _paragraph_per_line(cleaned)
    blocks: list[list[str]] = []
    current: list[str] = []
    current_wrapped = False  # the last line of ``current`` was cut by the wrap width
    for line in cleaned + [""]:
        if not line:
            if current:
                blocks.append(current)
                current = []
            continue
        wrapped = bool(width) and len(line) >= width - 1 and _display_width(line) <= 2 * width + 4
        if not wrapped and not current_wrapped and (parse_heading(line) or is_caption(line) or _is_label(line)):
            if current:
                blocks.append(current)
            blocks.append([line])
            current = []
            continue
        # A circled-number item (①②) starts a new block: it is a list item, never
        # the tail of the line above.
        if (
            current
            and not current[-1].endswith(tuple(_TERMINAL + "：:"))
            and (current_wrapped or not parse_heading(current[-1]))
            and not line.startswith(tuple(CIRCLED))
            and not (_is_field(current[-1]) and _is_field(line))
            and not (not width and _heads_paragraph(current, line, per_line))
        ):
            current[-1] = current[-1] + line
        else:
            current.append(line)
        current_wrapped = wrapped
    # A block of several full lines is several paragraphs (a text file written
    # one paragraph per line without blank lines between them).
    out: list[list[str]] = []
    for block in blocks:
        out.extend([[line] for line in block])
    return out


# Longer than any width text is hard-wrapped at (PDF lines, 70-80 column text files).
_UNWRAPPED_CHARS = 80


def _paragraph_per_line(lines: list[str]) -> bool:
    """Text written a paragraph per line: its long lines run past any wrap width or end sentences."""
    long = sorted(len(line) for line in lines if len(line) >= 20)
    if not long:
        return False
    ends = sum(1 for line in lines if len(line) >= 20 and _ends_sentence(line))
    return long[len(long) // 2] > _UNWRAPPED_CHARS or ends >= 0.6 * len(long)


def _ends_sentence(line: str) -> bool:
    return line.rstrip("”’」』）)\"'").endswith(tuple(_TERMINAL))


def _heads_paragraph(current: list[str], line: str, per_line: bool) -> bool:
    """``current[-1]`` is a heading standing over ``line``, not the first half of its paragraph.

    A short unpunctuated line that starts its block or follows a finished
    sentence, above a longer line, is an unnumbered section heading
    (``地方实践的差异化探索``) when the text is written a paragraph per line, or
    when that longer line is a whole paragraph (it ends a sentence, or runs
    past any wrap width), or when it is marked with a bullet.  In text
    re-wrapped at a width too irregular to detect, a piece cut mid-sentence
    stays joined to the rest.
    """
    prev = current[-1]
    if not _is_plain_heading([prev]) or len(current) > 1 and not current[-2].endswith(tuple(_TERMINAL)):
        return False
    if len(line) <= 2 * len(prev):
        return False
    # A bullet-marked short line (``► 行业量价因子筛选``) is a broker note's side heading.
    return per_line or len(line) > _UNWRAPPED_CHARS or _ends_sentence(line) or prev.startswith(tuple("►▶■◆●▪•"))


def _is_field(line: str) -> bool:
    """A short ``name：value`` line: a data field, never the first half of a sentence."""
    return len(line) <= 30 and bool(_FIELD_RE.match(line))


def _is_label(line: str) -> bool:
    """A line that is only a front-matter label (``前  言``, ``摘要``, ``投资要点``)."""
    if len(line) > 12:
        return False  # most lines: no script conversion needed to say no
    key = "".join(normalise(line).split())
    return len(key) <= 6 and bool(SECTION_LABEL_RE.match(key)) and not key.endswith((":", "："))


def _display_width(line: str) -> int:
    """Columns a line takes: a CJK or full-width character two, others one."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in line)


def _wrap_width(lines: list[str]) -> int:
    """The width text was hard-wrapped at (0 if it was not).

    Wrapped text has most of its lines the same length; prose written a
    paragraph per line, or a PDF's lines of varying type, does not.
    """
    from collections import Counter

    lengths = [len(line) for line in lines if line]
    if len(lengths) < 5:
        return 0
    width, _ = Counter(lengths).most_common(1)[0]
    near = sum(1 for n in lengths if abs(n - width) <= 1)
    return width if width >= 15 and near >= 0.6 * len(lengths) else 0


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of one paragraph.

    Splits after ``。！？；`` and their half-width forms (and ``.`` where it ends
    a sentence), never inside quotation marks or brackets, and keeps closing
    quotes with the sentence they close.  Spans exclude surrounding whitespace.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    depth = 0
    depth_since = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        closes_sentence = False
        if ch in _OPEN_QUOTES:
            if depth == 0:
                depth_since = i
            depth += 1
        elif ch in _CLOSE_QUOTES and depth:
            depth -= 1
            # “今年增长。”明年… : a quotation that ends with a sentence ends it.
            k = i - 1
            while k >= 0 and text[k] in _SENTENCE_QUOTES:
                k -= 1
            closes_sentence = ch in _SENTENCE_QUOTES and k >= 0 and text[k] in _TERMINAL
        if depth and i - depth_since > 300:
            depth = 0  # an unbalanced quote must not swallow the paragraph
        if depth == 0 and ch == " " and i > start:
            # A summary written as one line of inline items (``要点 - 甲[3] - 乙[1][4] 小标题 - 丙``,
            # as portals export their abstracts): an item bullet or a run of
            # citation markers followed by a space starts a new sentence.
            nxt = _inline_break(text, i)
            if nxt:
                spans.append((start, i))
                start = i = nxt
                continue
        end_here = closes_sentence or ch in _TERMINAL or (ch == "." and _dot_ends_sentence(text, i))
        if end_here and depth == 0:
            j = i + 1
            while j < n and (text[j] in _CLOSERS or text[j] in _TERMINAL):
                j += 1
            spans.append((start, j))
            start = j
            i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_CITATION_RUN_RE = re.compile(r"(?:\[\d{1,3}\])+$")


def _inline_break(text: str, i: int) -> int:
    """At the space ``text[i]``: where the next sentence starts if an inline item
    boundary is here, else 0.

    Two kinds: `` - `` (or `` • ``) between a CJK word or a closing mark and the
    next item's text (not ``2020 - 2025``, not an English dash), and a space
    after a run of citation markers (``…安全[5][6] 政策背景``) before CJK text.
    """
    prev = text[i - 1]
    if i + 2 < len(text) and text[i + 1] in "-•" and text[i + 2] == " ":
        if ("\u4e00" <= prev <= "\u9fff") or prev in "]）)》”」%":
            j = i + 3
            while j < len(text) and text[j] == " ":
                j += 1
            return j if j < len(text) and not text[j].isascii() or (j < len(text) and text[j].isdigit()) else 0
        return 0
    if prev == "]" and _CITATION_RUN_RE.search(text, max(0, i - 40), i):
        j = i + 1
        return j if j < len(text) and "\u4e00" <= text[j] <= "\u9fff" else 0
    return 0


def _dot_ends_sentence(text: str, i: int) -> bool:
    prev = text[i - 1] if i else ""
    j = i + 1
    while j < len(text) and text[j] in _CLOSERS:
        j += 1  # ``said "yes." Then``: the quote closes, then the sentence ends
    nxt = text[j] if j < len(text) else ""
    if not prev or prev.isdigit() or prev.isspace():
        return False
    return nxt == "" or nxt.isspace() or "\u4e00" <= nxt <= "\u9fff"


def build_report(page: CleanedPage, origin: str = "", media_type: str = "text/plain", encoding: str = "utf-8") -> Report:
    """Assemble the cleaned text of ``page`` and its sections and sentences.

    Returns the :class:`Report`; its id hashes the normalised text without
    whitespace, so re-encoding or re-wrapping a report keeps its id.
    """
    doc = _Assembler()
    if page.title:
        doc.emit(page.title)
    if page.subtitle:
        doc.emit(page.subtitle)
    for block in _rejoin(page.body):
        line = block[0]
        head = parse_heading(line)
        if head is None and _is_plain_heading(block):
            head = ("plain", "", line)
        if head is not None:
            doc.open_section(line, *head)
        elif len(block) == 1 and is_caption(line):
            # A figure's label stays in the text, but it states nothing: a
            # picture's title is no evidence, and it is not cited.
            doc.emit(line)
        else:
            doc.add_paragraph(line)
    text = doc.text()
    return Report(
        id=content_hash("".join(normalise(text).split())),
        title=page.title,
        text=text,
        sections=doc.frozen_sections(len(text)),
        sentences=_cited_once(doc.sentences),
        subtitle=page.subtitle,
        source=page.source,
        origin=origin,
        media_type=media_type,
        encoding=encoding,
        sidebar_questions=tuple(page.sidebar_questions),
        related_reports=tuple(page.related_reports),
        dropped=tuple(page.dropped),
    )


def _cited_once(sentences: list[Sentence]) -> tuple[Sentence, ...]:
    """Sentences with word-for-word repeats kept once, where they last occur.

    A summary box (``核心观点``, ``划重点``) repeats body sentences; the body's
    copy, under its own section, is the one to cite.  The repeat stays in the
    text (offsets are untouched); only the sentence record goes.
    """
    from dataclasses import replace

    last: dict[str, int] = {}
    for n, sent in enumerate(sentences):
        key = _SENTENCE_KEY_RE.sub("", sent.text)
        if len(key) >= 20:
            last[key] = n
    kept = [
        sent for n, sent in enumerate(sentences)
        if last.get(_SENTENCE_KEY_RE.sub("", sent.text), n) == n
    ]
    return tuple(replace(sent, index=i) if sent.index != i else sent for i, sent in enumerate(kept))


class _Assembler:
    """The report text being written block by block, with its open sections and sentences."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.style_rank: dict[str, int] = {}  # heading style -> rank, by first appearance
        self.stack: list[dict] = []  # open sections, outermost first
        self.sections: list[dict] = []
        self.sentences: list[Sentence] = []
        self.paragraph = 0

    def emit(self, text: str) -> int:
        """Append a block (blank line between blocks); return its start offset."""
        if self.parts:
            self.parts.append("\n\n")
            self.offset += 2
        begin = self.offset
        self.parts.append(text)
        self.offset += len(text)
        return begin

    def open_section(self, line: str, style: str, number: str, title: str) -> None:
        """A heading closes the open sections of its rank or deeper and opens its own."""
        # ``前  言``: a two-character label is letter-spaced in typeset reports.
        label = style == "plain" and bool(SECTION_LABEL_RE.match("".join(normalise(title).split())))
        # A label is always top-level: it closes every open section.
        rank = 0 if label else self.style_rank.setdefault(style, len(self.style_rank) + 1)
        if label:
            style = "label"
        begin = self.emit(line)
        while self.stack and (self.stack[-1]["rank"] >= rank or self.stack[-1]["style"] == "label"):
            # A front-matter label (摘要, 投资要点) ends where the next heading starts:
            # the report's outline that follows is not part of its summary.
            self.stack.pop()["end"] = begin - 2
        sec = {
            "title": title,
            "path": tuple(s["title"] for s in self.stack) + (title,),
            "number": number,
            "start": begin,
            "end": -1,
            # the heading's span ends with its title: a bare number's separator (第一章、) is left out
            "heading_end": begin + (line.rfind(title) + len(title) if title and title in line else len(line)),
            "rank": rank,
            "style": style,
        }
        self.stack.append(sec)
        self.sections.append(sec)

    def add_paragraph(self, line: str) -> None:
        begin = self.emit(line)
        path = tuple(s["title"] for s in self.stack)
        for s, e in split_sentences(line):
            self.sentences.append(
                Sentence(
                    index=len(self.sentences), text=line[s:e], start=begin + s, end=begin + e,
                    section_path=path, paragraph=self.paragraph,
                )
            )
        self.paragraph += 1

    def text(self) -> str:
        return "".join(self.parts)

    def frozen_sections(self, text_len: int) -> tuple[Section, ...]:
        return tuple(
            Section(
                title=s["title"], level=len(s["path"]), path=s["path"], number=s["number"], start=s["start"],
                end=s["end"] if s["end"] >= 0 else text_len, heading_end=s["heading_end"],
            )
            for s in self.sections
        )

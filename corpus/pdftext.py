"""PDF text layers into clean lines: page chrome, broken layout, mojibake.

The public entry point is :func:`pdf_text`.  It reads every page's text layer
with pypdf, then repairs what a text layer typically gets wrong, by kind and
never by a file's wording:

* lines that repeat on many pages (running headers and footers, page counters,
  per-page tracking strings) and template tags (``[Table_Main]``) go;
* letter-spaced lines (``2 0 2 5 年 全 球``, as OCR layers write them) lose
  their inner spaces; runs of one glyph per line are rebuilt into one line;
* a page whose text layer is mojibake (a broken ToUnicode map) is dropped and
  said so; when no page is readable the whole file is refused;
* the title is the largest-font text of the first page.

Pages are joined with a single newline, so a sentence cut by a page break is
re-joined by the structure stage like any other wrapped line.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["PdfText", "pdf_text", "is_mojibake", "is_axis_line", "despace_line", "rebuild_glyph_runs"]

# Template placeholders of broker report generators: ``[Table_Main]``, ``[Table_Title2]``.
# The ``[`` may be left on the line above.
_TEMPLATE_TAG_RE = re.compile(r"\[?(?:Table|Tbl)_[A-Za-z0-9_]*\]")
_DIGITS_RE = re.compile(r"\d+")
_WS_RE = re.compile(r"\s+")
# The 150 most frequent characters of modern written Chinese (both scripts'
# forms where they differ): any real Chinese text layer is full of them.
_COMMON_CJK = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
    "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命"
    "這為國個們來時對會發動說後產種進過經現實體機當點從業應開還與關數"
)


@dataclass
class PdfText:
    """The repaired text of a PDF, its title candidate and what was left out."""

    text: str
    title: str = ""
    dropped: list[str] = field(default_factory=list)


def pdf_text(reader) -> PdfText:
    """Return the repaired text of an opened, decrypted ``pypdf.PdfReader``.

    Returns a :class:`PdfText` whose ``text`` may be empty: the caller refuses
    the file then (``dropped`` says why, e.g. every page was mojibake).
    """
    raw_pages = [page.extract_text() or "" for page in reader.pages]
    dropped: list[str] = []
    pages: list[list[str]] = []
    for n, raw in enumerate(raw_pages, 1):
        if is_mojibake(raw):
            dropped.append(f"page {n}: no readable text layer (mojibake); OCR it first")
            pages.append([])
            continue
        pages.append([_TEMPLATE_TAG_RE.sub("", line).strip() for line in raw.splitlines()])
    with_text = sum(1 for raw in raw_pages if raw.strip())
    if dropped and len(dropped) * 2 >= with_text:
        # Most of the layer is garbage: the few pages that pass the test are
        # garbage too (numbers, Latin runs), so the file is refused as a whole.
        return PdfText(text="", dropped=dropped)
    repeated = _repeated_lines(pages)
    title = ""
    if pages and pages[0]:
        title = _largest_font_text(reader.pages[0])
    out: list[str] = []
    for lines in pages[_cover_pages(pages, title) :]:
        kept = _without_chart_residue([line for line in lines if _repeat_key(line) not in repeated])
        out.extend(_bullets_as_blocks(rebuild_glyph_runs([despace_line(line) for line in kept])))
    return PdfText(text="\n".join(out), title=title, dropped=dropped)


_SENTENCE_END_RE = re.compile(r"[。！？；!?;]")


# A tick label of a chart's axis: a number (``-60%``, ``2.5``) or a month (``2021-07``).
_TICK_RE = re.compile(r"(\d{4})[-/.](\d{1,2})(?!\d)|-?\d+(?:\.\d+)?%?")
_LETTERS_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def is_axis_line(line: str) -> bool:
    """True when ``line`` is a chart axis drawn as text: four or more tick labels
    evenly spaced (``-60%-40%-20%0%20%``, ``2021-07 2021-11 2022-03 2022-07``).

    A table row is rarely evenly spaced, and carries a label (``营业收入``).
    """
    bare = "".join(line.split())
    if len(bare) < 8 or _LETTERS_RE.search(bare):
        return False
    ticks = list(_TICK_RE.finditer(line))
    if len(ticks) < 4 or sum(m.end() - m.start() for m in ticks) < 0.9 * len(bare):
        return False
    values = [
        int(m.group(1)) * 12 + int(m.group(2)) if m.group(1) else float(m.group(0).rstrip("%")) for m in ticks
    ]
    steps = [b - a for a, b in zip(values, values[1:])]
    return steps[0] != 0 and all(abs(x - steps[0]) <= 1e-6 + 0.01 * abs(steps[0]) for x in steps)


def _without_chart_residue(lines: list[str]) -> list[str]:
    """A page's lines without what a chart leaves in the text layer: its axes'
    tick labels and the legend beside them (``高测股份 沪深300``).

    Glued to the prose above, they made "sentences" of numbers that matched
    the company's name.  A caption (``图 3 …``) and a heading are kept.
    """
    from .headings import is_caption, parse_heading

    axis = [is_axis_line(line) for line in lines]
    if not any(axis):
        return lines
    drop = set(i for i, a in enumerate(axis) if a)

    def legend(i: int) -> bool:
        line = lines[i].strip()
        return (
            0 < len(line) <= 20
            and not _SENTENCE_END_RE.search(line)
            and not any(ch in line for ch in "，,：:")
            and not is_caption(line)
            and parse_heading(line) is None
        )

    for i in sorted(drop):
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(lines) and j not in drop and legend(j):
                drop.add(j)
                j += step
    return [line for i, line in enumerate(lines) if i not in drop]


def _cover_pages(pages: list[list[str]], title: str) -> int:
    """How many leading pages are a cover: the title and a few short lines, no sentence.

    A white paper's or a book-style report's cover carries the title (read
    from its type size), the publisher, a date and a serial number
    (``No.202226``); none of it is report text, and glued together it would
    read as a heading.  A first page with prose or a numbered heading (a
    broker note's, a short report's) is no cover, nor is the last page.
    """
    from .headings import parse_heading

    n = 0
    for lines in pages[:-1]:
        keys = ["".join(line.split()) for line in lines if line.strip()]
        if (
            sum(map(len, keys)) > 160
            or any(len(k) > 30 or _SENTENCE_END_RE.search(k) or parse_heading(k) for k in keys)
        ):
            break
        n += 1
    title_key = "".join(title.split())[:6]
    covers = ["".join("".join(lines).split()) for lines in pages[:n]]
    return n if title_key and any(title_key in c for c in covers) else 0


def is_mojibake(text: str) -> bool:
    """True when a text layer is not readable text (a broken ToUnicode map).

    Two signs, either enough: many characters outside the scripts a Chinese or
    English report uses (CJK Extension A, Hangul, box drawing, control codes),
    or CJK characters with almost none of the common ones (``的``, ``是``, ``在``).
    """
    sample = _WS_RE.sub("", text)
    if len(sample) < 40:
        return False
    odd = sum(1 for ch in sample if _is_odd(ch))
    if odd > 0.2 * len(sample):
        return True
    cjk = [ch for ch in sample if "\u4e00" <= ch <= "\u9fff"]
    if len(cjk) < 80:
        return False
    common = sum(1 for ch in cjk if ch in _COMMON_CJK)
    return common < 0.08 * len(cjk)


def _is_odd(ch: str) -> bool:
    o = ord(ch)
    if o < 0x20:
        return True
    if o < 0x2000 or 0x4E00 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x30FF:
        return False  # Latin and punctuation, CJK, full-width forms, CJK punctuation and kana
    if 0x2000 <= o <= 0x206F or 0x2100 <= o <= 0x21FF or 0x2460 <= o <= 0x24FF or 0x25A0 <= o <= 0x25FF:
        return False  # general punctuation, letterlike, arrows, circled numbers, bullets
    if 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F or 0x1D400 <= o <= 0x1D7FF:
        return False  # compatibility ideographs, vertical forms, formulas' math letters
    return True


def _repeat_key(line: str) -> str:
    """A line's identity across pages: page numbers and spacing do not count."""
    return _DIGITS_RE.sub("#", _WS_RE.sub("", line))


def _repeated_lines(pages: list[list[str]]) -> set[str]:
    """Keys of the lines that recur on many pages: running headers, footers, tracking strings.

    A line counts once per page; it is page chrome when it is on at least half
    of the pages (and on at least two), which a sentence of the report never is.
    """
    readable = [p for p in pages if p]
    if len(readable) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in readable:
        counts.update({_repeat_key(line) for line in lines if line.strip()})
    need = max(2, (len(readable) + 1) // 2)
    # A lone page number ("#") or symbol is chrome as well, but a table's empty
    # cells and one-character lines are left to the cleaner.
    return {key for key, n in counts.items() if n >= need and len(key) >= 2}


_SPACED_TOKEN_RE = re.compile(r"\S+")


def despace_line(line: str) -> str:
    """Remove the spaces of a letter-spaced line (``2 0 2 5 年 A I 晶 片`` -> ``2025年AI晶片``).

    A line is letter-spaced when nearly all its space-separated tokens are one
    character long; ordinary lines (English words, ``2022 年 07 月``) are kept.
    """
    tokens = _SPACED_TOKEN_RE.findall(line)
    if len(tokens) < 6:
        return line
    single = sum(1 for t in tokens if len(t) == 1)
    if single < 0.8 * len(tokens):
        return line
    # Wider gaps (two spaces or more) between letter-spaced words are real word breaks.
    words = re.split(r"\s{2,}", line.strip())
    return " ".join(w.replace(" ", "") for w in words)


def rebuild_glyph_runs(lines: list[str], min_run: int = 4) -> list[str]:
    """Join runs of one-glyph lines (a paragraph drawn glyph by glyph) into one line."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= min_run:
            out.append("".join(run))
        else:
            out.extend(run)
        run.clear()

    for line in lines:
        if len(line) == 1:
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return out


# Symbol-font bullets (Wingdings ``l``, ``n``) come out of a text layer as
# private-use characters.
_PUA_BULLET_RE = re.compile("^[\ue000-\uf8ff]+\\s*")


def _bullets_as_blocks(lines: list[str]) -> list[str]:
    """A line opened by a symbol-font bullet starts a new block, without the glyph.

    Each bullet is a point of its own; without the blank line the structure
    stage would glue it to the unpunctuated label above (``投资要点``).
    """
    out: list[str] = []
    for line in lines:
        if _PUA_BULLET_RE.match(line):
            out.append("")
            line = _PUA_BULLET_RE.sub("", line)
        out.append(line)
    return out


def _largest_font_text(page) -> str:
    """The first line of the page's largest-font text, when it is bigger than the body's.

    Report generators set the title in the largest type on the first page; the
    running header, the template tags and the author block are smaller.
    """
    sized: list[tuple[float, str]] = []

    def visit(text, cm, tm, font_dict, font_size) -> None:
        if text.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            sized.append((round(font_size * scale, 1), text))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # a title is a nicety; the text itself was already read
        return ""
    if not sized:
        return ""
    volume: Counter[float] = Counter()
    for size, text in sized:
        volume[size] += len(text.strip())
    body_size = volume.most_common(1)[0][0]
    sizes = [size for size in sorted(volume, reverse=True) if size >= body_size * 1.2]
    for n, size in enumerate(sizes):
        title = _title_lines(_TEMPLATE_TAG_RE.sub("", "".join(t for s, t in sized if s == size)))
        if not title:
            continue
        # A white paper prints its edition ``（2022年）`` under the title, a size smaller.
        if n + 1 < len(sizes):
            nxt = _title_lines(_TEMPLATE_TAG_RE.sub("", "".join(t for s, t in sized if s == sizes[n + 1])))
            if _EDITION_RE.match(nxt):
                title += nxt.replace(" ", "")
        return title
    return ""


_EDITION_RE = re.compile(r"^[（(][^()（）]{2,12}[)）]$")


def _title_lines(text: str) -> str:
    """The title among the lines set in one type size: the first lines, until a
    numbered heading (set in the same size) or 80 characters."""
    from .headings import parse_heading

    out = ""
    for line in text.splitlines():
        line = _WS_RE.sub(" ", line).strip()
        if not line:
            continue
        if out and (parse_heading(line) or len(out) + len(line) > 80):
            break
        if not out and (len(_WS_RE.sub("", line)) < 4 or is_mojibake(line * 3)):
            continue
        out += line
    return out


def read_pdf(data: bytes):
    """Open PDF bytes with pypdf (AES needs the ``cryptography`` package); returns the reader."""
    from pypdf import PdfReader

    # pypdf logs every damaged cross-reference it repairs ("Ignoring wrong pointing
    # object"); the repair is not news to the user, and a real failure raises.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    return PdfReader(io.BytesIO(data))

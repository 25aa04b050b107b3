"""DOCX bodies in document order: paragraphs, headings and tables.

Word keeps headings as paragraph styles and key figures in tables; a report
read paragraph by paragraph loses both.  :func:`docx_blocks` returns one block
per paragraph or table row, in the order they appear, with headings written as
markdown headings (``# 市場格局``) so the structure stage reads them like any
other format's headings.
"""

from __future__ import annotations

import re

from .headings import parse_heading
__all__ = ["docx_blocks", "CELL_SEPARATOR"]

from .cleaning import TABLE_CELL_SEPARATOR as CELL_SEPARATOR  # full-width bar: readable, never inside a number
_MAX_BOLD_HEADING_CHARS = 40
_SENTENCE_END = tuple("。！？；!?;，,：:")
# Document properties titles that are a template's or an editor's, not the report's.
_GENERIC_TITLE_RE = re.compile(r"^(untitled|document\d*|文档\d*|microsoft\s*word.*|无标题.*|新建.*)$", re.I)


def docx_blocks(document) -> tuple[list[str], str]:
    """Return ``(blocks, title)`` of an opened python-docx ``Document``.

    Headings: ``Title`` and ``Heading n`` styles (and the localised ``标题 n``),
    and stand-alone short paragraphs set entirely in bold (level 1 when set in
    a larger size than the body, level 2 otherwise).  Tables: one block per row,
    cells joined with :data:`CELL_SEPARATOR`, merged cells once; a one-cell
    table (an attribution box) gives its paragraphs.  ``title`` is the
    ``Title``-styled paragraph, else the document properties' title.
    """
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body_size = _body_font_size(document)
    blocks: list[str] = []
    title = ""
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            level = _heading_level(para, text, body_size)
            if level == 0 and not title:
                title = text
                blocks.append(text)
            elif level and parse_heading(text):
                blocks.append(text)  # numbered (``一、``, ``1.1``): its numbering ranks it
            elif level:
                blocks.append(f"{'#' * level} {text}")
            else:
                blocks.append(text)
        elif tag == "tbl":
            blocks.extend(_table_rows(Table(child, document)))
    if not title:
        prop = (document.core_properties.title or "").strip()
        if prop and not _GENERIC_TITLE_RE.match(prop):
            title = prop
    return blocks, title


def _heading_level(para, text: str, body_size: float | None) -> int | None:
    """0 for the title, 1-6 for a heading, ``None`` for body text."""
    style = (para.style.name if para.style is not None else "") or ""
    low = style.lower()
    if low == "title" or style == "标题":
        return 0
    m = re.match(r"(?:heading|标题)\s*(\d)", low)
    if m:
        return min(int(m.group(1)), 6)
    runs = [r for r in para.runs if r.text.strip()]
    if not runs or len(text) > _MAX_BOLD_HEADING_CHARS or text.endswith(_SENTENCE_END):
        return None
    if not all(r.bold or (r.bold is None and _style_bold(para)) for r in runs):
        return None
    sizes = [r.font.size.pt for r in runs if r.font.size is not None]
    # Unknown body size (set only in the document defaults): Word's body text is 10.5-12 pt.
    larger = bool(sizes and min(sizes) > (body_size or 12))
    return 1 if larger else 2


def _style_bold(para) -> bool:
    font = para.style.font if para.style is not None else None
    return bool(font is not None and font.bold)


def _body_font_size(document) -> float | None:
    """The most common explicit size (points) of the non-bold runs, if any."""
    from collections import Counter

    sizes: Counter[float] = Counter()
    for para in document.paragraphs:
        for run in para.runs:
            if run.font.size is not None and run.text.strip() and not run.bold:  # headings are bold
                sizes[run.font.size.pt] += len(run.text)
    if sizes:
        return sizes.most_common(1)[0][0]
    normal = document.styles["Normal"].font.size if "Normal" in [s.name for s in document.styles] else None
    return normal.pt if normal is not None else None


def _table_rows(table) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if cells and text == cells[-1]:
                continue  # a merged cell is repeated once per grid column
            cells.append(text)
        if not any(cells):
            continue
        if len(cells) == 1:
            # A one-cell table is a box of text (an attribution, a note), not data.
            rows.extend(line.strip() for line in row.cells[0].text.splitlines() if line.strip())
        else:
            rows.append(CELL_SEPARATOR.join(cells))
    return rows

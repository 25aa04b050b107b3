"""The article of a web page: main-content extraction with trafilatura.

Measured on the portal pages of ``../shared/realdocs/``, the dev corpus and
the case pages, trafilatura finds the article where our line rules alone keep
reader comments, adverts and news feeds; readability-lxml lost the article of a
page under a news feed, jusText kept navigation and adverts (README, "Inputs").
Our cleaning still runs on what it returns, and on the whole page for the
page's own records (sidebar client questions, related-report teasers).
"""

from __future__ import annotations

import logging
import re

__all__ = ["main_content"]

# Below this many characters the extractor found no article (a list page, a
# stub): the whole page's cleaned text is used instead.
MIN_MAIN_CHARS = 80


def main_content(markup: str, page: str | None = None) -> tuple[str, str]:
    """Return ``(main_text, title)`` of an HTML page; either may be empty.

    ``page``: the page already flattened by :func:`~yanbao.corpus.htmltext.html_to_text`
    (flattened here when needed and not given).

    ``main_text`` holds one block per line, without comments; ``title`` is the
    article's headline as the page declares it (``og:title``, ``<h1>``,
    ``<title>`` without the site's name).  Never raises: a page the extractor
    cannot read gives ``("", "")`` and the caller falls back to its own rules.
    """
    import trafilatura  # a core dependency: a broken install must fail loudly, not keep comments

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        main = trafilatura.extract(
            markup, include_comments=False, include_tables=True, favor_precision=True, deduplicate=False
        ) or ""
        meta = trafilatura.extract_metadata(markup)
    except Exception:  # third-party parser on arbitrary markup: fall back, never fail the file
        return "", ""
    title = (meta.title or "").strip() if meta is not None else ""
    story = _single_article(markup)
    if story:
        main = story
    else:
        main = _restore_blocks(markup, main, page)
    if len(main.strip()) < MIN_MAIN_CHARS:
        main = ""
    return main, title


def _single_article(markup: str) -> str:
    """The text of the page's one ``<article>`` element, when it has one with real text.

    HTML5 marks the story with ``<article>``; a portal puts its news feed and
    "more stories" teasers (``<li>`` stream items) beside it, where a content
    extractor scoring text density takes the longer feed for the content.
    Several ``<article>`` elements are a list page: no single story then.
    """
    if markup.lower().count("<article") != 1:
        return ""  # none, or a list page: not worth parsing the page again
    from bs4 import BeautifulSoup

    from .htmltext import html_to_text

    soup = BeautifulSoup(markup, "lxml")
    articles = soup.find_all("article")
    if len(articles) != 1:
        return ""
    text = html_to_text(str(articles[0]))
    return text if len("".join(text.split())) >= MIN_MAIN_CHARS else ""


# A line of the extractor's text this long may be several of the page's blocks joined.
_JOINED_CHARS = 200
_BLOCK_CHARS = 8  # a page block this long, found inside such a line, counts as one of them
_COVERED = 0.9  # ... and the blocks found must cover this share of the line


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lstrip("•")


def _restore_blocks(markup: str, main: str, page: str | None = None) -> str:
    """Put back the paragraph breaks the extractor lost.

    trafilatura flattens a list item to one line, so an article a portal lays
    out inside an ``<li>`` (a two-column page) comes back as one line holding
    its headline, date, sub-headings and paragraphs.  Such a line is replaced
    by the page's own blocks (one line per block element, our flattening) that
    it holds, in page order, when they cover nearly all of it; other lines are
    kept as they are.
    """
    lines = main.splitlines()
    if not any(len(line) > _JOINED_CHARS for line in lines):
        return main
    if page is None:
        from .htmltext import html_to_text

        page = html_to_text(markup)
    blocks = [b.strip().lstrip("• ").strip() for b in page.splitlines()]
    blocks = [b for b in blocks if len(_squash(b)) >= _BLOCK_CHARS]
    out: list[str] = []
    for line in lines:
        key = _squash(line)
        inside = [b for b in dict.fromkeys(blocks) if _squash(b) in key] if len(line) > _JOINED_CHARS else []
        if len(inside) >= 2 and sum(len(_squash(b)) for b in inside) >= _COVERED * len(key):
            for block in inside:  # one paragraph each: a block is not a wrapped line
                out += [block, ""]
        else:
            out.append(line)
    return "\n".join(out)

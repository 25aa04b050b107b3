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

__all__ = ["main_content"]

# Below this many characters the extractor found no article (a list page, a
# stub): the whole page's cleaned text is used instead.
MIN_MAIN_CHARS = 80


def main_content(markup: str) -> tuple[str, str]:
    """Return ``(main_text, title)`` of an HTML page; either may be empty.

    ``main_text`` holds one block per line, without comments; ``title`` is the
    article's headline as the page declares it (``og:title``, ``<h1>``,
    ``<title>`` without the site's name).  Never raises: a page the extractor
    cannot read gives ``("", "")`` and the caller falls back to its own rules.
    """
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a core dependency
        return "", ""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        main = trafilatura.extract(
            markup, include_comments=False, include_tables=True, favor_precision=True, deduplicate=False
        ) or ""
        meta = trafilatura.extract_metadata(markup)
    except Exception:  # third-party parser on arbitrary markup: fall back, never fail the file
        return "", ""
    title = (meta.title or "").strip() if meta is not None else ""
    if len(main.strip()) < MIN_MAIN_CHARS:
        main = ""
    return main, title

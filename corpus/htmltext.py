"""HTML flattened to one line per block element (scripts, styles and frames dropped).

Used for the whole page (its sidebar records, its related reports) and for a
page's single ``<article>``; see :mod:`~yanbao.corpus.webtext` for the article.
"""

from __future__ import annotations

import re

__all__ = ["html_to_text"]

_BLOCK_TAGS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section",
    "article", "header", "footer", "aside", "nav", "ul", "ol", "table", "blockquote",
    "pre", "dd", "dt", "title", "main", "figure", "figcaption", "hr",
}
_BLANK_AFTER = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol", "table"}
_SKIPPED_STRINGS: tuple[type, ...] = ()
_DROP_TAGS = ("script", "style", "noscript", "iframe", "template", "svg", "canvas", "object", "embed", "form", "button", "select")


def html_to_text(markup: str) -> str:
    """Flatten HTML into one line per block element, dropping scripts and frames."""
    from bs4 import BeautifulSoup  # heavy import kept off the CLI's start-up path

    from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction

    global _SKIPPED_STRINGS
    _SKIPPED_STRINGS = (CData, Comment, Declaration, Doctype, ProcessingInstruction)
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(["head"]):
        title = tag.find("title")
        tag.decompose()
        del title  # the <title> repeats the <h1> with the site's name appended
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = "".join(buf).strip()
        if line:
            out.append(re.sub(r"[ \t\r\f\v]+", " ", line))
        buf.clear()

    # An explicit stack, not recursion: a page nested 50,000 <div>s deep is read
    # like any other, and no thread has to raise the interpreter's recursion limit.
    stack: list[tuple[str, object]] = []

    def push_children(node) -> None:
        for child in reversed(list(node.children)):
            if isinstance(child, _SKIPPED_STRINGS):
                continue  # <!DOCTYPE html>, comments, CDATA, processing instructions
            name = getattr(child, "name", None)
            if name is None:
                stack.append(("text", child))
            elif name in _BLOCK_TAGS:
                stack.append(("close", name))  # popped after the block's children
                stack.append(("block", child))
            else:
                stack.append(("inline", child))

    push_children(soup)
    while stack:
        op, item = stack.pop()
        if op == "text":
            text = str(item)
            if text.strip():
                buf.append(text.replace("\n", " "))
        elif op == "close":
            flush()
            if item in _BLANK_AFTER:
                out.append("")
        elif op == "block":
            flush()
            if item.name == "li":
                buf.append("• ")
            push_children(item)
        else:
            push_children(item)
    flush()
    return "\n".join(out)

"""Files in, :class:`~yanbao.core.records.Report` out: load, clean, structure."""

from __future__ import annotations

import os

from yanbao.core.errors import EmptyInputError
from yanbao.core.records import Report

from .cleaning import clean_page
from .loaders import load_document
from .script import replace_surrogates
from .structure import build_report

__all__ = ["parse_document", "parse_text"]


def parse_text(
    text: str,
    origin: str = "<text>",
    media_type: str = "text/plain",
    encoding: str = "utf-8",
    title_hint: str = "",
    main: str = "",
    dropped: tuple[str, ...] = (),
) -> Report:
    """Clean and structure already-decoded ``text``.

    ``title_hint``, ``main`` and ``dropped`` come from the loader (see
    :class:`~yanbao.corpus.loaders.LoadedText`); ``dropped`` is carried into
    the report with what the cleaner leaves out.

    Raises:
        EmptyInputError: nothing of the text is report body (all chrome or blank).
    """
    # Lone surrogates cannot be stored as UTF-8; mark them as unreadable characters.
    text = replace_surrogates(text)
    page = clean_page(text, title_hint=title_hint, main=replace_surrogates(main))
    page.dropped[:0] = list(dropped)
    report = build_report(page, origin=origin, media_type=media_type, encoding=encoding)
    if not report.sentences:
        raise EmptyInputError(f"{origin}: no report text found (only page chrome or headings)")
    return report


def parse_document(path: str | os.PathLike[str], max_bytes: int = 20 * 1024 * 1024) -> Report:
    """Load ``path`` and return its structured :class:`Report`.

    Raises:
        yanbao.core.errors.InputError: (and subclasses) the file is refused; the
            message names the file and the reason.
    """
    loaded = load_document(path, max_bytes=max_bytes)
    dropped = loaded.dropped
    damaged = loaded.text.count("\ufffd")
    if damaged:
        # Bytes no encoding reads were replaced: the text around them is kept, they are not.
        dropped += (f"{damaged} unreadable characters (damaged bytes) shown as U+FFFD",)
    return parse_text(
        loaded.text, origin=str(path), media_type=loaded.media_type, encoding=loaded.encoding,
        title_hint=loaded.title, main=loaded.main, dropped=dropped,
    )

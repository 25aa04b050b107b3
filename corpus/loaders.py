"""Read files into text lines: encodings, HTML, PDF, DOCX.

The public entry point is :func:`load_document`; it returns a
:class:`LoadedText` whose ``text`` keeps one logical block per line, which the
cleaner and the structure detector work on.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from yanbao.errors import (
    BinaryInputError,
    DecodeError,
    EmptyInputError,
    InputError,
    NotFoundError,
    OversizeInputError,
    UnsupportedTypeError,
)

__all__ = ["LoadedText", "load_document", "decode_bytes", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control characters that never occur in text files (tab, newline, CR, FF allowed).
_BINARY_BYTES = set(range(0, 9)) | {11} | set(range(14, 32)) - {27}


@dataclass(frozen=True)
class LoadedText:
    """Text read from one file, before cleaning."""

    text: str
    media_type: str
    encoding: str


def load_document(path: str | os.PathLike[str], max_bytes: int = 20 * 1024 * 1024) -> LoadedText:
    """Read ``path`` and return its text.

    Raises:
        NotFoundError: the file does not exist.
        UnsupportedTypeError: the suffix is not one of :data:`SUPPORTED_SUFFIXES`.
        OversizeInputError: the file is larger than ``max_bytes``.
        EmptyInputError, BinaryInputError, DecodeError: unusable content.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedTypeError(
            f"{p}: unsupported file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = p.stat().st_size
    except FileNotFoundError as exc:
        raise NotFoundError(f"{p}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise OversizeInputError(f"{p}: {_size(size)} is over the {_size(max_bytes)} limit")
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{p}: file vanished while being read") from exc
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise EmptyInputError(f"{p}: empty file")
    if suffix == ".pdf":
        loaded = _load_pdf(p, data)
    elif suffix == ".docx":
        loaded = _load_docx(p, data)
    else:
        text, encoding = decode_bytes(data, name=str(p))
        if suffix in (".html", ".htm") or (suffix != ".md" and _looks_like_html(text)):
            loaded = LoadedText(_html_to_text(text), "text/html", encoding)
        elif suffix in (".md", ".markdown"):
            loaded = LoadedText(text, "text/markdown", encoding)
        else:
            loaded = LoadedText(text, "text/plain", encoding)
    if not loaded.text.strip():
        raise EmptyInputError(f"{p}: no text content")
    return loaded


def _size(n: int) -> str:
    # Whole megabytes would print a 0.5 MB limit as "0 MB".
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n:,} bytes"


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode text bytes, detecting the encoding; return ``(text, encoding)``.

    A byte-order mark wins; then strict UTF-8; otherwise charset-normalizer
    decides among the legacy encodings (GB18030/GBK, Big5, ...).

    Raises:
        BinaryInputError: the bytes are not text.
        DecodeError: no encoding decodes the bytes cleanly.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError as exc:
                raise DecodeError(f"{name}: invalid {encoding} after its byte-order mark") from exc
    head = data[:8192]
    if head.count(0) or sum(b in _BINARY_BYTES for b in head) > len(head) // 100 + 1:
        raise BinaryInputError(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # third-party detector, imported when needed

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError(f"{name}: cannot determine the text encoding")
    return str(best), best.encoding


def _looks_like_html(text: str) -> bool:
    head = text[:2048].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


_BLOCK_TAGS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section",
    "article", "header", "footer", "aside", "nav", "ul", "ol", "table", "blockquote",
    "pre", "dd", "dt", "title", "main", "figure", "figcaption", "hr",
}
_SKIPPED_STRINGS: tuple[type, ...] = ()
_DROP_TAGS = ("script", "style", "noscript", "iframe", "template", "svg", "canvas", "object", "embed", "form", "button", "select")


def _html_to_text(markup: str) -> str:
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

    def walk(node) -> None:  # iterative depth would be nicer, but HTML depth is bounded below
        for child in node.children:
            name = getattr(child, "name", None)
            if isinstance(child, _SKIPPED_STRINGS):
                continue  # <!DOCTYPE html>, comments, CDATA, processing instructions
            if name is None:
                text = str(child)
                if text.strip():
                    buf.append(text.replace("\n", " "))
                continue
            if name in _BLOCK_TAGS:
                flush()
                if name == "li":
                    buf.append("• ")
                walk(child)
                flush()
                if name in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol", "table"):
                    out.append("")
            else:
                walk(child)

    import sys

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    try:
        walk(soup)
    except RecursionError as exc:
        raise InputError("HTML nested too deeply to read") from exc
    finally:
        sys.setrecursionlimit(old_limit)
    flush()
    return "\n".join(out)


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _load_pdf(p: Path, data: bytes) -> LoadedText:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - pypdf is a core dependency
        raise UnsupportedTypeError(f"{p}: PDF support needs pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise InputError(f"{p}: encrypted PDF (password required)")
            except (NotImplementedError, PdfReadError) as exc:
                raise InputError(f"{p}: encrypted PDF (cannot decrypt)") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise InputError(f"{p}: unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise EmptyInputError(f"{p}: PDF has no text layer (scanned?); OCR it first")
    return LoadedText(text, "application/pdf", "pdf")


def _load_docx(p: Path, data: bytes) -> LoadedText:
    import zipfile

    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - python-docx is a core dependency
        raise UnsupportedTypeError(f"{p}: DOCX support needs python-docx") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{p}: not a valid .docx file") from exc
    except Exception as exc:
        raise InputError(f"{p}: unreadable .docx ({type(exc).__name__})") from exc
    # One block per paragraph; headings are recognised later by their shape,
    # as for every other format, so a report reads the same whatever it came in.
    lines = [para.text.strip() for para in document.paragraphs if para.text.strip()]
    return LoadedText("\n\n".join(lines), _DOCX_TYPE, "docx")

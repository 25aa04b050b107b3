"""Read files into text lines: encodings, HTML, PDF, DOCX.

The public entry point is :func:`load_document`; it returns a
:class:`LoadedText` whose ``text`` keeps one logical block per line, which the
cleaner and the structure detector work on.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from yanbao.core.errors import (
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
    title: str = ""  # the format's own title (PDF: largest type on page 1; HTML: the article's)
    dropped: tuple[str, ...] = ()  # text left out, with how much and why
    # HTML: the article's main content as a content extractor found it (one
    # block per line); ``text`` keeps the whole page for its sidebar records.
    main: str = ""


def load_document(path: str | os.PathLike[str], max_bytes: int = 20 * 1024 * 1024) -> LoadedText:
    """Read ``path`` and return its text.

    Raises:
        NotFoundError: the file does not exist.
        UnsupportedTypeError: the suffix is not one of :data:`SUPPORTED_SUFFIXES`.
        OversizeInputError: the file is larger than ``max_bytes``.
        EmptyInputError, BinaryInputError, DecodeError: unusable content.
        InputError: not a regular file, unreadable, damaged, or a line over
            :data:`MAX_LINE_CHARS` characters.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedTypeError(
            f"{p}: unsupported file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = _read_regular_file(p, max_bytes)
    if not data.strip():
        raise EmptyInputError(f"{p}: empty file")
    if suffix == ".pdf":
        loaded = _load_pdf(p, data)
    elif suffix == ".docx":
        loaded = _load_docx(p, data)
    else:
        text, encoding = decode_bytes(data, name=str(p))
        if suffix in (".html", ".htm") or (suffix != ".md" and _looks_like_html(text)):
            from .htmltext import html_to_text
            from .webtext import main_content

            page = html_to_text(text)
            main, title = main_content(text, page)
            loaded = LoadedText(page, "text/html", encoding, title=_shown_title(title, page), main=main)
        elif suffix in (".md", ".markdown"):
            loaded = LoadedText(text, "text/markdown", encoding)
        else:
            loaded = LoadedText(text, "text/plain", encoding)
    if not loaded.text.strip():
        raise EmptyInputError(f"{p}: no text content")
    _check_line_lengths(p, loaded.text)
    return loaded


# A whole report is 5,000-50,000 characters; a single line many times that is a
# dump, not prose, and every later stage (sentences, extraction, embedding) would
# spend minutes on it as one "sentence".
MAX_LINE_CHARS = 100_000


def _check_line_lengths(p: Path, text: str) -> None:
    if len(text) <= MAX_LINE_CHARS:
        return
    for n, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            raise InputError(
                f"{p}: line {n} is {len(line):,} characters long, over the {MAX_LINE_CHARS:,}-character limit for one line"
            )


def _read_regular_file(p: Path, max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` of a regular file, or raise a one-line InputError naming it."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{p}: no such file (or it vanished before it was read)") from exc
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            # A FIFO, a socket or a device (a link to /dev/zero, say) never ends or never starts.
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{p}: not a regular file ({_file_kind(info.st_mode)}); refused")
            if info.st_size > max_bytes:
                raise OversizeInputError(f"{p}: {_size(info.st_size)} is over the {_size(max_bytes)} limit")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:  # it grew while being read
        raise OversizeInputError(f"{p}: over the {_size(max_bytes)} limit")
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


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
            codec = encoding.replace("-sig", "")
            try:
                # The mark is not content: utf-16-le/-be and utf-32-* would keep it as U+FEFF.
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                if codec == "utf-32-le":
                    continue  # FF FE 00 00 is also UTF-16-LE's mark before U+0000: try that next
                raise DecodeError(f"{name}: invalid {encoding} after its byte-order mark") from exc
            if codec == "utf-32-le" and not text:
                continue  # the same four bytes alone: UTF-16-LE's mark and one U+0000
            return text, codec
    head = data[:8192]
    if head.count(0) or sum(b in _BINARY_BYTES for b in head) > len(head) // 100 + 1:
        raise BinaryInputError(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mended = _decode_mostly_utf8(data)
    if mended is not None:
        return mended
    from charset_normalizer import from_bytes  # third-party detector, imported when needed

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError(f"{name}: cannot determine the text encoding")
    return str(best), best.encoding


def _decode_mostly_utf8(data: bytes) -> tuple[str, str] | None:
    """Decode UTF-8 text with a few damaged bytes, or with some lines in a legacy
    encoding (a GBK paragraph pasted into a UTF-8 file); ``None`` if it is not that.

    Whole-file detection reads such a file as one legacy encoding and garbles
    every UTF-8 line, or gives up; line by line, each line keeps its own encoding.
    """
    lines = data.splitlines(keepends=True)
    utf8_lines = 0  # non-ASCII lines that are valid UTF-8
    damaged: list[int] = []  # UTF-8 lines with a stray bad byte or two
    legacy: list[int] = []  # lines in some other encoding
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad = line.decode("utf-8", errors="replace").count("\ufffd") - line.count(b"\xef\xbf\xbd")
            high = sum(1 for b in line if b >= 0x80)
            (damaged if bad * 10 <= high else legacy).append(i)
        else:
            utf8_lines += not line.isascii()
    # A legacy file has (almost) no line that happens to be valid non-ASCII UTF-8.
    if utf8_lines < 2 or utf8_lines * 10 < utf8_lines + len(damaged) + len(legacy):
        return None
    out = [line.decode("utf-8", errors="replace") for line in lines]
    encoding = "utf-8"
    if legacy:
        from charset_normalizer import from_bytes

        best = from_bytes(b"".join(lines[i] for i in legacy)).best()
        other = best.encoding if best is not None else "gb18030"
        for i in legacy:
            out[i] = lines[i].decode(other, errors="replace")
        encoding = f"utf-8+{other}"
    return "".join(out), encoding


def _looks_like_html(text: str) -> bool:
    head = text[:2048].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


def _shown_title(title: str, page: str) -> str:
    """The declared title if the page shows it as a line of its own (its headline).

    ``<title>`` and ``og:title`` often carry the site's name or a shortened
    headline (``消費金融催收_資訊_某網站``); those are not the report's title.
    """
    from .script import match_key

    if not title:
        return ""
    key = match_key(title)
    return title if any(match_key(line) == key for line in page.splitlines() if line.strip()) else ""


_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _load_pdf(p: Path, data: bytes) -> LoadedText:
    from pypdf.errors import PdfReadError

    from .pdftext import pdf_text, read_pdf

    try:
        reader = read_pdf(data)
        if reader.is_encrypted:
            # Many reports are AES-encrypted with an empty user password (printing
            # and copying restricted); pypdf decrypts them with ``cryptography``.
            try:
                if not reader.decrypt(""):
                    raise InputError(f"{p}: encrypted PDF (password required)")
            except (NotImplementedError, PdfReadError) as exc:
                raise InputError(f"{p}: encrypted PDF (cannot decrypt: {exc})") from exc
        result = pdf_text(reader)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise InputError(f"{p}: unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not result.text.strip():
        if result.dropped:
            raise InputError(f"{p}: no readable text layer ({len(result.dropped)} pages of mojibake); OCR it first")
        raise EmptyInputError(f"{p}: PDF has no text layer (scanned?); OCR it first")
    dropped = _summarise_pages(result.dropped)
    return LoadedText(result.text, "application/pdf", "pdf", title=result.title, dropped=dropped)


def _summarise_pages(dropped: list[str]) -> tuple[str, ...]:
    """One line for many pages dropped for the same reason (``pages 3, 4, 9: ...``)."""
    by_reason: dict[str, list[str]] = {}
    for item in dropped:
        page, _, reason = item.partition(": ")
        by_reason.setdefault(reason, []).append(page.removeprefix("page "))
    return tuple(
        f"{'page' if len(pages) == 1 else 'pages'} {', '.join(pages)}: {reason}" for reason, pages in by_reason.items()
    )


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
    from .docxtext import docx_blocks

    blocks, title = docx_blocks(document)
    return LoadedText("\n\n".join(blocks), _DOCX_TYPE, "docx", title=title)

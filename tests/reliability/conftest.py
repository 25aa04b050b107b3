"""Fixtures of the reliability tests: real bad files, a small corpus, a served home."""

from __future__ import annotations

import io
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Case:
    """One bad-input file: how to make it, and what yanbao must do with it.

    ``expect`` is the yanbao.core.errors class name of the refusal, or ``"ok"`` when
    the file must be read correctly; ``check`` (for ``ok``) looks at the parsed report.
    """

    name: str
    what: str
    make: Callable[[Path, str], None]
    expect: str
    check: Callable | None = None
    in_batch: bool = True  # part of the one mixed ingest batch


def _sample_text() -> str:
    return (ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt").read_text(encoding="utf-8")


def _encodable(text: str, encoding: str) -> str:
    # The sample has a few characters legacy encodings lack (•, ©, no-break space).
    return "".join(c for c in text if c.encode(encoding, "ignore") or c == "\n")


def _gbk_safe(text: str) -> str:
    return _encodable(text, "gbk")


def _pdf(lines: list[str], text_layer: bool = True) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("STSong-Light", 10)
    y = 800
    for line in lines:
        if text_layer:
            c.drawString(40, y, line)
        else:
            c.rect(40, y, 8 * len(line), 9, fill=1)  # what a scan looks like to a text extractor: shapes
        y -= 14
        if y < 40:
            c.showPage()
            c.setFont("STSong-Light", 10)
            y = 800
    c.save()
    return buf.getvalue()


def _pdf_lines() -> list[str]:
    # Short lines: drawString does not wrap.
    out = []
    for line in _sample_text().splitlines():
        line = line.strip()
        while line:
            out.append(line[:40])
            line = line[40:]
    return out[:120]


def _encrypted_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt("secret", algorithm="RC4-128")  # AES would need the cryptography package
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _w(data: bytes | str, encoding: str = "utf-8"):
    def make(folder: Path, name: str) -> None:
        (folder / name).write_bytes(data.encode(encoding) if isinstance(data, str) else data)

    return make


def _lazy(fn: Callable[[], bytes]):
    def make(folder: Path, name: str) -> None:
        (folder / name).write_bytes(fn())

    return make


def _symlink(target: str):
    def make(folder: Path, name: str) -> None:
        os.symlink(target, folder / name)

    return make


def _fifo(folder: Path, name: str) -> None:
    os.mkfifo(folder / name)


def _folder_named_txt(folder: Path, name: str) -> None:
    (folder / name).mkdir()


def _big(size: int):
    def make(folder: Path, name: str) -> None:
        with open(folder / name, "wb") as fh:  # real bytes, not a sparse file: the reader must not read them
            chunk = ("催收行業監管趨嚴。" * 4000 + "\n").encode("utf-8")
            written = 0
            while written < size:
                fh.write(chunk)
                written += len(chunk)
            fh.truncate(size)

    return make


def _same_text_as_sample(report) -> None:
    from yanbao.corpus import parse_text

    expected = parse_text(_sample_text())
    assert report.text == expected.text
    assert report.id == expected.id


def _has_sample_title(report) -> None:
    assert report.title == "2026年消費金融催收行業全景及市場深度分析"
    assert len(report.sentences) >= 10


def _no_invisible_characters(report) -> None:
    import re

    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", report.text)
    _same_text_as_sample(report)


def _no_script_text(report) -> None:
    for junk in ("alert(", "var tracker", "{color", "iframe-content", "請開啟JavaScript"):
        assert junk not in report.text, junk
    _has_sample_title(report)


def _deep_text(report) -> None:
    assert "監管趨嚴，催收行業面臨挑戰。" in [s.text for s in report.sentences]


def _replacement_marks_the_bad_bytes(report) -> None:
    assert report.text.count("\ufffd") >= 1
    _has_sample_title(report)


def _mixed_lines_both_read(report) -> None:
    from yanbao.corpus import parse_text

    assert report.text == parse_text(_gbk_safe(_sample_text())).text


def _docx_read(report) -> None:
    assert report.title.startswith("光伏行業")


def _cases() -> list[Case]:
    s = _sample_text()
    s_bytes = s.encode("utf-8")
    lines = s.splitlines()
    gbk_mixed = "\n".join(_gbk_safe(line) for line in lines)
    mixed_bytes = b"\n".join(
        (line.encode("gbk") if i % 2 else line.encode("utf-8")) for i, line in enumerate(gbk_mixed.split("\n"))
    )
    damaged = s_bytes[:3000] + b"\xff" + s_bytes[3000:6000] + b"\xe6\x88" + s_bytes[6001:]
    invisible = (
        s.replace("監管", "監\u200b管").replace("行業", "\u202e行業\u202c").replace("。", "。\u200d\ufeff")
        .replace("催收", "\u2066催\u200c收\u2069")
    )
    html_junk = "".join(
        f"<script>alert('{i}'); var tracker = 1;</script><style>.x{{color:red}}</style>"
        f"<iframe src='https://ads.example/{i}'>iframe-content</iframe><noscript>請開啟JavaScript</noscript>"
        f"<p>{line}</p>"
        for i, line in enumerate(lines)
    )
    deep = "<html><body>" + "<div><span>" * 30000 + "<p>行業分析。監管趨嚴，催收行業面臨挑戰。</p>" + "</span></div>" * 30000 + "</body></html>"
    return [
        Case("empty.txt", "empty file", _w(b""), "EmptyInputError"),
        Case("whitespace.txt", "whitespace only (spaces, tabs, CR, U+3000)", _w(" \t\r\n\u3000\n" * 50), "EmptyInputError"),
        Case("newlines.md", "a million newlines", _w(b"\n" * 1_000_000), "EmptyInputError"),
        Case("png.txt", "a PNG image named .txt", _w(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _rand(8192, 1)), "BinaryInputError"),
        Case("random.txt", "random bytes named .txt", _w(_rand(20000, 2)), "BinaryInputError"),
        Case("elf.md", "an executable named .md", _w(b"\x7fELF\x02\x01\x01\x00" + bytes(64) + _rand(4096, 3)), "BinaryInputError"),
        Case("nul.txt", "report text with NUL bytes", _w(s_bytes[:2000] + b"\x00" * 64 + s_bytes[2000:]), "BinaryInputError"),
        Case("garbled.txt", "every byte 0x80-0xFF, no encoding reads it", _w(bytes(range(0x80, 0x100)) * 16), "DecodeError"),
        Case("truncated.pdf", "a PDF cut in half", _lazy(lambda: (lambda d: d[: len(d) // 2])(_pdf(_pdf_lines()))), "InputError"),
        Case("encrypted.pdf", "a password-protected PDF", _lazy(lambda: _encrypted_pdf(_pdf(_pdf_lines()))), "InputError"),
        Case("scanned.pdf", "a PDF with no text layer (shapes only)", _lazy(lambda: _pdf(_pdf_lines(), text_layer=False)), "EmptyInputError"),
        Case("not-really.pdf", "HTML saved with a .pdf name", _w("<html><body><p>行業分析</p></body></html>"), "InputError"),
        Case("good.pdf", "a real PDF with a CJK text layer", _lazy(lambda: _pdf(_pdf_lines())), "ok", _has_sample_title),
        Case("invalid-utf8.txt", "UTF-8 with stray invalid bytes", _w(damaged), "ok", _replacement_marks_the_bad_bytes),
        Case("mixed-gbk-utf8.txt", "odd lines GBK, even lines UTF-8", _w(mixed_bytes), "ok", _mixed_lines_both_read),
        Case("utf16le-bom.txt", "UTF-16 LE with BOM", _w(b"\xff\xfe" + s.encode("utf-16-le")), "ok", _same_text_as_sample),
        Case("utf16be-bom.md", "UTF-16 BE with BOM", _w(b"\xfe\xff" + s.encode("utf-16-be")), "ok", _has_sample_title),
        Case("utf16-bad.txt", "a UTF-16 BOM before an odd number of bytes", _w(b"\xff\xfe" + s.encode("utf-16-le")[:-1]), "DecodeError"),
        Case("gb18030.txt", "the sample in GB18030", _w(s, "gb18030"), "ok", _same_text_as_sample),
        Case("big5.txt", "a Traditional report in Big5", _w(_encodable(s, "big5"), "big5"), "ok", _has_sample_title),
        Case("big-50mb.txt", "a 50 MB file (limit 20 MB)", _big(50 * 1024 * 1024), "OversizeInputError"),
        Case("line-5mb.txt", "one line of 5 MB", _w(("催收行業面臨監管挑戰，" * 170_000).encode("utf-8")), "InputError"),
        Case("invisible.txt", "zero-width and bidi control characters", _w(invisible), "ok", _no_invisible_characters),
        Case("scripts.html", "a page full of scripts, styles and iframes", _w(f"<html><head><script>x()</script></head><body>{html_junk}</body></html>"), "ok", _no_script_text),
        Case("deep.html", "HTML nested 60,000 elements deep", _w(deep), "ok", _deep_text),
        Case("other-zip.docx", "a .docx that is a zip of something else", _w(_zip({"hello.txt": b"not a word document"})), "InputError"),
        Case("bad-xml.docx", "a .docx zip whose document.xml is not XML", _w(_zip({"[Content_Types].xml": b"<", "word/document.xml": b"\x00" * 1000})), "InputError"),
        Case("text.docx", "plain text named .docx", _w(s_bytes[:5000]), "InputError"),
        Case("good.docx", "a real .docx", _lazy(lambda: _docx(["光伏行業深度研究報告", "一、行業概況", "光伏裝機量持續增長。組件價格下行，行業集中度提升。"])), "ok", _docx_read),
        Case("sheet.xlsx", "an unsupported type given by name", _w(_zip({"xl/workbook.xml": b"<x/>"})), "UnsupportedTypeError", in_batch=False),
        Case("loop.txt", "a symlink to itself", _symlink("loop.txt"), "InputError"),
        Case("dangling.txt", "a symlink to nowhere", _symlink("/nonexistent/yanbao/x.txt"), "NotFoundError"),
        Case("dev-zero.txt", "a symlink to /dev/zero (never ends)", _symlink("/dev/zero"), "InputError"),
        Case("fifo.txt", "a named pipe (would block forever)", _fifo, "InputError"),
        Case("folder.txt", "a folder named .txt, given by name", _folder_named_txt, "InputError", in_batch=False),
        Case("報告 (最終版) ;$(rm -rf ~)'\"`\t#1.txt", "a file name with CJK, quotes, shell and tab characters",
             _w(s.replace("2026年消費金融", "2027年消費金融")), "ok",
             lambda r: r.title.startswith("2027年消費金融")),
        Case("chrome-only.html", "a page that is all navigation and copyright",
             _w("<html><body><div>首頁 | 報告 | 聯繫我們</div><p>研究報告服務熱線 400-856-5388</p><p>Copyright © 2024 版權所有</p></body></html>"),
             "EmptyInputError"),
    ]


CASES = _cases()


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory) -> tuple[Path, dict[str, Case]]:
    """A folder with every :data:`CASES` file, made once per session."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    for case in CASES:
        case.make(folder, case.name)
    return folder, {c.name: c for c in CASES}


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[c.name.encode("unicode_escape").decode("ascii") for c in CASES])

"""Files yanbao must refuse, each with its error class and a message naming the file."""

from __future__ import annotations

import random

import pytest

from yanbao.corpus import parse_document, parse_text
from yanbao.core.errors import (
    BinaryInputError,
    EmptyInputError,
    InputError,
    NotFoundError,
    OversizeInputError,
)

def _random_bytes(n: int, seed: int = 7) -> bytes:
    return bytes(random.Random(seed).randrange(256) for _ in range(n))


BAD_NAMES = ["blank.txt", "empty.txt", "garbled.txt", "image.txt", "sheet.xlsx"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_refused_with_its_error_naming_the_file(tmp_path, write_bad_files, name):
    error = write_bad_files(tmp_path)[name]
    path = tmp_path / name
    with pytest.raises(error) as info:
        parse_document(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, InputError)


def test_oversize_file(sample_path):
    with pytest.raises(OversizeInputError) as info:
        parse_document(sample_path, max_bytes=1000)
    message = str(info.value)
    assert str(sample_path) in message
    assert "1,000 bytes" in message  # the limit, readable even when under a megabyte


def test_size_limit_is_inclusive(sample_path):
    size = sample_path.stat().st_size
    assert parse_document(sample_path, max_bytes=size).title


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(NotFoundError) as info:
        parse_document(path)
    assert str(path) in str(info.value)


def test_damaged_pdf_and_docx(tmp_path):
    for name in ("broken.pdf", "broken.docx"):
        path = tmp_path / name
        path.write_bytes(b"%PDF-1.4\n" + _random_bytes(300) if name.endswith(".pdf") else b"PK\x03\x04junk")
        with pytest.raises(InputError) as info:
            parse_document(path)
        assert str(path) in str(info.value)


def test_chrome_only_page_is_empty(tmp_path):
    path = tmp_path / "chrome.txt"
    path.write_text("研究報告服務熱線\n400-856-5388\n免費提問專家\nCopyright © 2024 版權所有\n", encoding="utf-8")
    with pytest.raises(EmptyInputError) as info:
        parse_document(path)
    assert str(path) in str(info.value)


def test_parse_text_names_its_origin():
    with pytest.raises(EmptyInputError) as info:
        parse_text("   \n\n", origin="pasted-text")
    assert "pasted-text" in str(info.value)


def test_binary_file_with_a_utf8_lookalike_prefix(tmp_path):
    path = tmp_path / "dump.md"
    path.write_bytes("標題\n".encode("utf-8") + bytes(range(0, 32)) * 64)
    with pytest.raises(BinaryInputError):
        parse_document(path)

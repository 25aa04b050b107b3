"""Fixtures shared by every stage's tests: the bundled sample, the report fixtures, a fresh home."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The repository root is the ``yanbao`` package itself (pyproject's package-dir).
# On sys.path it would also make its folders importable as top-level ``corpus``,
# ``kg``, ``cli`` -- names an installed yanbao never offers -- so a stray bare
# import would pass here and fail for users.  Tests, and the processes they
# start (PYTHONSAFEPATH), see only the installed ``yanbao`` namespace.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
os.environ["PYTHONSAFEPATH"] = "1"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The bundled sample report (Traditional Chinese web page, saved as text)."""
    path = ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The hand-written report fixtures described in tests/fixtures/reports/README.md."""
    path = ROOT / "tests" / "fixtures" / "reports"
    assert path.is_dir(), path
    return path


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    """A path for a fresh yanbao home (not created: yanbao creates it on first write)."""
    return tmp_path / "yanbao-home"


def _random_bytes(n: int, seed: int = 7) -> bytes:
    return bytes(random.Random(seed).randrange(256) for _ in range(n))


# name -> (content, the yanbao.core.errors class its refusal raises)
BAD_FILES = {
    "empty.txt": (b"", "EmptyInputError"),
    "blank.txt": (" \n\t\r\n\u3000\n".encode("utf-8"), "EmptyInputError"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random_bytes(4096), "BinaryInputError"),
    "sheet.xlsx": (b"PK\x03\x04" + _random_bytes(512), "UnsupportedTypeError"),
    # Every byte 0x80-0xFF: neither UTF-8 nor any CJK legacy encoding reads it.
    "garbled.txt": (bytes(range(0x80, 0x100)) * 16, "DecodeError"),
}


@pytest.fixture
def write_bad_files():
    """Return ``write(folder) -> {file name: expected error class}`` for files yanbao refuses."""
    from yanbao.core import errors

    def write(folder: Path) -> dict[str, type]:
        folder.mkdir(parents=True, exist_ok=True)
        for name, (data, _) in BAD_FILES.items():
            (folder / name).write_bytes(data)
        return {name: getattr(errors, err) for name, (_, err) in BAD_FILES.items()}

    return write

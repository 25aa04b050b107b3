"""Fixtures shared by every stage's tests: the bundled sample, the report fixtures, a fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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

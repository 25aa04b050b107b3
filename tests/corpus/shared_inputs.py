"""Where the shared real inputs live (read-only, never copied into the project)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
REALDOCS = SHARED / "realdocs"
CASES = SHARED / "cases"
DEV_CORPUS = SHARED / "eval" / "dev" / "corpus"


def need(folder: Path) -> Path:
    """Return ``folder``, or skip the test when the shared inputs are not there."""
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the shared real inputs are read from ../shared next to the repository")
    return folder


def dev_article(path: Path) -> str:
    """A dev corpus article without its ``SOURCE: url`` line and the blank line after it."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    assert first.startswith("SOURCE:"), path
    return rest[1:] if rest.startswith("\n") else rest

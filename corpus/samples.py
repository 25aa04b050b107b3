"""The sample report shipped inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["sample_paths"]


def sample_paths() -> list[Path]:
    """Return the paths of the bundled sample reports, sorted by name."""
    folder = resources.files("yanbao.corpus") / "samples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".txt", ".html", ".md")))

"""Expand the paths a user gives (files, folders, globs) into input files."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from yanbao.core.errors import NotFoundError

from .loaders import SUPPORTED_SUFFIXES

__all__ = ["discover_files"]


def discover_files(paths: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand ``paths`` into files to ingest.

    Folders are walked recursively (following no symlinked folders, so a
    symlink loop cannot hang the walk) and keep files with a supported suffix;
    globs are expanded; explicit files are kept whatever their suffix, so the
    loader can refuse them by name.

    Returns ``(files, problems)`` where problems are ``(path, reason)`` pairs.
    Raises NotFoundError only when no path matched anything at all.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            files.append(p)

    for raw in paths:
        matches = [Path(m) for m in sorted(glob.glob(raw, recursive=True))] if glob.has_magic(raw) else [Path(raw)]
        if not matches:
            problems.append((raw, "no file matches this pattern"))
            continue
        for p in matches:
            if p.is_dir():
                for root, dirs, names in os.walk(p, followlinks=False):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(names):
                        child = Path(root) / name
                        if name.startswith(".") or child.suffix.lower() not in SUPPORTED_SUFFIXES:
                            continue
                        add(child)
            elif p.exists() or p.is_symlink():
                add(p)
            else:
                problems.append((str(p), "no such file or folder"))
    if not files and problems and len(problems) == len(paths):
        raise NotFoundError("; ".join(f"{p}: {why}" for p, why in problems))
    return files, problems

"""Expand the paths a user gives (files, folders, globs) into input files."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from pathlib import Path

from yanbao.core.errors import NotFoundError

from .loaders import SUPPORTED_SUFFIXES

__all__ = ["discover_files", "FOLDER_DOCS_RE"]

# A folder's own documentation, by the names every project and data set uses:
# it describes the reports, it is not one of them.
FOLDER_DOCS_RE = re.compile(r"^(readme|license|licence|changelog|changes|contributing|notice|authors)([._-].*)?$", re.I)


def discover_files(
    paths: list[str], exclude: tuple[str, ...] | list[str] = ()
) -> tuple[list[Path], list[tuple[str, str]], list[tuple[str, str]]]:
    """Expand ``paths`` into files to ingest.

    Folders are walked recursively (following no symlinked folders, so a
    symlink loop cannot hang the walk) and keep files with a supported suffix
    (any other file is listed as skipped, with its type; hidden files are not),
    except a folder's own documentation (``README.md``, ``LICENSE``,
    ``CHANGELOG.md``); globs are expanded; explicit files are kept whatever
    their suffix or name, so the loader can refuse them by name.  A file whose
    name or path matches an ``exclude`` glob (``expected.md``, ``drafts/*``)
    is left out wherever it was found.

    Returns ``(files, problems, skipped)``: problems and skipped files are
    ``(path, reason)`` pairs, so nothing is left out unsaid.
    Raises NotFoundError only when no path matched anything at all.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()

    def excluded_by(p: Path, base: Path | None) -> str:
        names = [p.name, str(p), p.as_posix()]
        if base is not None:
            names.append(p.relative_to(base).as_posix())
        return next((g for g in exclude if any(fnmatch.fnmatch(n, g) for n in names)), "")

    def add(p: Path, base: Path | None = None) -> None:
        key = os.path.realpath(p)
        if key in seen:
            return
        seen.add(key)
        pattern = excluded_by(p, base)
        if pattern:
            skipped.append((str(p), f"excluded by --exclude {pattern!r}"))
        elif base is not None and FOLDER_DOCS_RE.match(p.name):
            skipped.append((str(p), "a folder's own documentation, not a report (name the file to ingest it)"))
        else:
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
                        if name.startswith("."):
                            continue  # hidden files (.DS_Store, editors' swap files) are nobody's reports
                        if child.suffix.lower() not in SUPPORTED_SUFFIXES and not excluded_by(child, p):
                            skipped.append((str(child), f"unsupported file type {child.suffix.lower() or '(none)'!r}"))
                            continue
                        add(child, p)
            elif p.exists() or p.is_symlink():
                add(p)
            else:
                problems.append((str(p), "no such file or folder"))
    if not files and not skipped and problems and len(problems) == len(paths):
        raise NotFoundError("; ".join(f"{p}: {why}" for p, why in problems))
    return files, problems, skipped

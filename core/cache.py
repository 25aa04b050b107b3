"""A per-user cache folder for derived tables (normalised lexicons, IDF table).

The files are ``marshal`` data, which must never come from someone else: the
folder is the user's own (``$XDG_CACHE_HOME/yanbao/VERSION``, by default
``~/.cache/yanbao/VERSION``), created private (0700), and a file is read only
when the current user owns it and nobody else can write it or its folder.
Keyed by the package version, so an upgrade never reads an older layout.  A
cache that cannot be read or written only costs speed.
"""

from __future__ import annotations

import marshal
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "load", "save", "trusted_file", "prune"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yanbao")
    except PackageNotFoundError:
        return "dev"


@lru_cache(maxsize=1)
def cache_dir() -> Path | None:
    """The private cache folder of this user and package version, or None if unusable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "yanbao" / _version()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(folder, stat.S_ISDIR):
            return None
    except OSError:
        return None
    return folder


def _trusted(path: Path, kind) -> bool:
    """Owned by this user, of the expected kind, writable by nobody else (no symlink)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    own = getuid is None or st.st_uid == getuid()
    return kind(st.st_mode) and own and not (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def load(name: str) -> Any | None:
    """The cached value stored under ``name``, or None (absent, untrusted or unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / name
    if not _trusted(path, stat.S_ISREG):
        return None
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def save(name: str, value: Any) -> None:
    """Store ``value`` (marshal-able) under ``name``, atomically, readable by this user only."""
    folder = cache_dir()
    if folder is None:
        return
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps(value))
        os.replace(tmp, folder / name)
    except (OSError, ValueError):
        try:
            tmp.unlink()
        except OSError:
            pass
        return
    prune(name)


# Files of one kind kept beside a new one: each install (or data change) keys its files
# anew, so without a bound the folder grows by a few MB per reinstall.
_KEEP_PER_KIND = 4


def prune(name: str, keep: int = _KEEP_PER_KIND) -> None:
    """Delete the oldest cached files of ``name``'s kind (the part before its first
    ``-``: ``idf``, ``lexicon``, ``segment``) beyond the ``keep`` newest, ``name``
    itself always kept.  Another install sharing the folder at worst rebuilds a
    file it needs (a few tenths of a second); errors are ignored."""
    folder = cache_dir()
    if folder is None or "-" not in name:
        return
    kind = name.split("-", 1)[0] + "-"
    try:
        same = [p for p in folder.iterdir() if p.name.startswith(kind) and p.name != name and p.is_file()]
        same.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in same[max(0, keep - 1):]:
            old.unlink()
    except OSError:
        pass


def trusted_file(name: str) -> Path | None:
    """The path of the cached file ``name`` if it exists and only this user could
    have written it (for files read by other means than :func:`load`), else None."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / name
    return path if _trusted(path, stat.S_ISREG) else None

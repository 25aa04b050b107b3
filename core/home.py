"""The yanbao home: where ingested reports, the graph and the indexes live.

Layout (documented in the README)::

    HOME/
      manifest.json        the commit point: which reports are ingested
      reports/<id>.json    one Report record each (cleaned text + structure)
      extractions/<id>.json  its claims, entities and relations
      graph/               the embedded Oxigraph store (one named graph per report)
      index/               retrieval indexes (vectors, BM25, claim table)
      questions.jsonl      questions asked (hotline analytics)
      config.toml          optional settings
      .lock                held by the one process that writes

Every file is written atomically (write a temporary file, fsync, rename), and
the manifest is written last, so a crash leaves the last complete state.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .errors import LockedError, NotFoundError, StoreError
from .records import Extraction, Report, to_dict

__all__ = ["Home", "ReportEntry", "atomic_write_bytes", "atomic_write_text"]

FORMAT_VERSION = 1


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never half.

    Raises:
        StoreError: the file could not be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; files follow the umask like any other
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 ``text`` to ``path`` (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class ReportEntry:
    """A manifest line: one ingested report."""

    id: str
    title: str
    origin: str
    ingested_at: str
    sentences: int
    sidebar_questions: int
    related_reports: int


class Home:
    """Paths and on-disk records of one yanbao home."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    # ---------------------------------------------------------------- paths
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def questions_path(self) -> Path:
        return self.root / "questions.jsonl"

    def exists(self) -> bool:
        """True once a manifest has been written (even an empty one)."""
        return self.manifest_path.is_file()

    # ------------------------------------------------------------- manifest
    def entries(self) -> list[ReportEntry]:
        """Return the ingested reports, in ingest order.

        Raises:
            StoreError: the manifest is unreadable.
        """
        if not self.manifest_path.is_file():
            return []
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.manifest_path}: unreadable manifest: {exc}") from exc
        return [ReportEntry(**e) for e in data.get("reports", [])]

    def write_entries(self, entries: list[ReportEntry]) -> None:
        """Atomically replace the manifest (the commit point of every write)."""
        payload = {"format": FORMAT_VERSION, "reports": [to_dict(e) for e in entries]}
        atomic_write_text(self.manifest_path, json.dumps(payload, ensure_ascii=False, indent=1))

    def resolve(self, ref: str) -> ReportEntry:
        """Find a report by id, unique id prefix, or exact title.

        Raises:
            NotFoundError: nothing or more than one report matches.
        """
        entries = self.entries()
        exact = [e for e in entries if e.id == ref or e.title == ref]
        if len(exact) == 1:
            return exact[0]
        prefixed = [e for e in entries if e.id.startswith(ref)] if len(ref) >= 4 else []
        if len(prefixed) == 1:
            return prefixed[0]
        if len(prefixed) > 1:
            raise NotFoundError(f"report {ref!r} is ambiguous: {', '.join(e.id for e in prefixed)}")
        raise NotFoundError(f"no report {ref!r}; `yanbao reports` lists them")

    # -------------------------------------------------------------- reports
    def report_path(self, report_id: str) -> Path:
        return self.reports_dir / f"{report_id}.json"

    def save_report(self, report: Report) -> None:
        """Write one report record (not yet visible until the manifest names it)."""
        atomic_write_text(self.report_path(report.id), json.dumps(to_dict(report), ensure_ascii=False))

    def load_report(self, report_id: str) -> Report:
        """Read one report record.

        Raises:
            NotFoundError: no such record.  StoreError: the record is damaged.
        """
        return _read_record(self.report_path(report_id), Report.from_dict, f"report {report_id}", "record")

    def delete_report_file(self, report_id: str) -> None:
        for path in (
            self.report_path(report_id),
            self.extraction_path(report_id),
            self.index_dir / "parts" / f"{report_id}.json",
        ):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def extraction_path(self, report_id: str) -> Path:
        return self.root / "extractions" / f"{report_id}.json"

    def save_extraction(self, extraction: Extraction) -> None:
        """Write one report's extraction (claims, entities, relations)."""
        atomic_write_text(
            self.extraction_path(extraction.report_id), json.dumps(to_dict(extraction), ensure_ascii=False)
        )

    def load_extraction(self, report_id: str) -> Extraction:
        """Read one report's extraction.

        Raises:
            NotFoundError: no such record.  StoreError: the record is damaged.
        """
        return _read_record(self.extraction_path(report_id), Extraction.from_dict, f"report {report_id}", "extraction")

    # ---------------------------------------------------------------- lock
    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the home's write lock for the block.

        Raises:
            LockedError: another process is writing to this home.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".lock", "a+")
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise LockedError(
                        f"{self.root} is being written by another yanbao process; try again when it finishes"
                    ) from exc
                raise StoreError(f"cannot lock {self.root}: {exc}") from exc
            yield
        finally:
            fh.close()

    # ------------------------------------------------------------ questions
    def read_questions(self) -> list[dict[str, Any]]:
        """Every recorded question, oldest first (a torn last line is skipped)."""
        try:
            lines = self.questions_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read {self.questions_path}: {exc}") from exc
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def log_question(self, record: dict[str, Any]) -> None:
        """Append one asked question to ``questions.jsonl`` (one line, one write)."""
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with open(self.questions_path, "a", encoding="utf-8") as fh:
            fh.write(line)


def _read_record(path: Path, parse, owner: str, kind: str):
    """Read and parse one JSON record file.

    Raises:
        NotFoundError: the file is absent.  StoreError: it cannot be read or parsed.
    """
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{owner} has no {kind} in {path.parent}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: damaged {kind}: {exc}") from exc


def now_iso() -> str:
    """Current UTC time, ISO 8601, seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()

"""The library facade: one object that ingests, lists, removes, asks.

The CLI, the HTTP service and Python callers all go through :class:`Library`,
so every way in behaves the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from .errors import InputError, YanbaoError
from .home import Home, ReportEntry, now_iso
from .records import IngestOutcome, Report
from .settings import Settings, load_settings

__all__ = ["Library", "ProgressCallback"]

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


class Library:
    """An opened yanbao home with its settings."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.home = Home(self.settings.home)

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None, **overrides) -> "Library":
        """Open the home at ``home`` (or the configured default) with setting overrides."""
        return cls(load_settings({"home": home, **overrides}))

    # ------------------------------------------------------------ reports
    def ensure_initialised(self) -> None:
        """Ingest the bundled sample into a home that has never been written."""
        if self.home.exists():
            return
        from corpus import sample_paths

        self.ingest([str(p) for p in sample_paths()])

    def reports(self) -> list[ReportEntry]:
        """Return the manifest entries of the ingested reports."""
        self.ensure_initialised()
        return self.home.entries()

    def report(self, ref: str) -> Report:
        """Return the report with this id, id prefix or title.

        Raises:
            NotFoundError: no such report.
        """
        self.ensure_initialised()
        return self.home.load_report(self.home.resolve(ref).id)

    # ------------------------------------------------------------- ingest
    def ingest(self, paths: Iterable[str], progress: ProgressCallback | None = None) -> list[IngestOutcome]:
        """Ingest files, folders and globs; return one outcome per input file.

        Refused files are reported in the outcomes (with the reason) and never
        leave a partial record.  A report whose content is already ingested is
        ``unchanged``; a file ingested before from the same path whose content
        changed is ``replaced``.

        Raises:
            NotFoundError: none of the paths exist.
            LockedError: another process is writing to the home.
        """
        from corpus import discover_files, parse_document

        files, problems = discover_files(list(paths))
        outcomes: list[IngestOutcome] = [
            IngestOutcome(path=p, status="refused", reason=why) for p, why in problems
        ]
        with self.home.writing():
            entries = self.home.entries()
            by_id = {e.id: e for e in entries}
            by_origin = {os.path.realpath(e.origin): e for e in entries if e.origin}
            parsed: list[tuple[Report, ReportEntry | None]] = []
            for n, path in enumerate(files):
                if progress:
                    progress("parse", n, len(files))
                try:
                    report = parse_document(path, max_bytes=self.settings.max_bytes)
                except InputError as exc:
                    outcomes.append(IngestOutcome(path=str(path), status="refused", reason=_one_line(exc)))
                    continue
                except YanbaoError as exc:
                    outcomes.append(IngestOutcome(path=str(path), status="refused", reason=_one_line(exc)))
                    continue
                if report.id in by_id or any(r.id == report.id for r, _ in parsed):
                    outcomes.append(
                        IngestOutcome(path=str(path), status="unchanged", report_id=report.id,
                                      title=report.title, sentences=len(report.sentences))
                    )
                    continue
                previous = by_origin.get(os.path.realpath(path))
                parsed.append((report, previous))
            if progress:
                progress("parse", len(files), len(files))
            if parsed:
                self._commit(entries, parsed, progress)
            for report, previous in parsed:
                outcomes.append(
                    IngestOutcome(
                        path=report.origin,
                        status="replaced" if previous else "added",
                        report_id=report.id,
                        title=report.title,
                        sentences=len(report.sentences),
                    )
                )
            if not self.home.exists():
                self.home.write_entries(entries)
        return outcomes

    def _commit(self, entries: list[ReportEntry], parsed: list[tuple[Report, ReportEntry | None]],
                progress: ProgressCallback | None) -> None:
        """Write reports, then derived stores, then the manifest (the commit point)."""
        removed = {prev.id for _, prev in parsed if prev is not None}
        for report, _ in parsed:
            self.home.save_report(report)
        kept = [e for e in entries if e.id not in removed]
        kept += [
            ReportEntry(
                id=r.id,
                title=r.title,
                origin=str(Path(r.origin).resolve()) if r.origin and not r.origin.startswith("<") else r.origin,
                ingested_at=now_iso(),
                sentences=len(r.sentences),
                sidebar_questions=len(r.sidebar_questions),
                related_reports=len(r.related_reports),
            )
            for r, _ in parsed
        ]
        self.home.write_entries(kept)
        for report_id in removed:
            self.home.delete_report_file(report_id)

    def remove(self, ref: str) -> ReportEntry:
        """Remove one report (its record and everything derived from it).

        Raises:
            NotFoundError: no such report.  LockedError: another writer is active.
        """
        with self.home.writing():
            entry = self.home.resolve(ref)
            self.home.write_entries([e for e in self.home.entries() if e.id != entry.id])
            self.home.delete_report_file(entry.id)
        return entry


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())

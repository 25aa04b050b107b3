"""The library facade: one object that ingests, lists, removes, asks.

The CLI, the HTTP service and Python callers all go through :class:`Library`,
so every way in behaves the same.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .core.errors import InputError, NotFoundError, YanbaoError
from .core.home import Home, ReportEntry, now_iso
from .core.records import AskedQuestion, Extraction, IngestOutcome, Report, Triage
from .core.settings import Settings, load_settings

__all__ = ["Library", "ProgressCallback"]

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)

LOW_CONFIDENCE = 0.5  # below this a drafted answer goes to an expert
MAX_QUESTION_CHARS = 2000


class Library:
    """An opened yanbao home with its settings."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.home = Home(self.settings.home)
        self._embedders: dict[bool, object] = {}  # batch? -> embedder
        self._answerer = None

    @classmethod
    def open(
        cls, home: str | os.PathLike[str] | None = None, *, config_file: str | os.PathLike[str] | None = None,
        **overrides,
    ) -> "Library":
        """Open the home at ``home`` (or the configured default) with setting overrides.

        A fresh home (one yanbao has never written) starts with the bundled
        sample, whatever is done with it first, ingest included, unless the
        setting ``sample`` is false.  The CLI and the service open homes this
        way; the constructor ``Library(settings)`` opens a home as it is.

        Raises:
            SettingsError: a bad setting.  LockedError: the sample could not be
            written because another process is writing to the home.
        """
        library = cls(load_settings({"home": home, **overrides}, config_file=config_file))
        library.ensure_initialised()
        return library

    # ------------------------------------------------------------ reports
    def ensure_initialised(self) -> None:
        """Ingest the bundled sample into a home that has never been written.

        With the setting ``sample`` false, a fresh home is written empty instead
        (an empty manifest), so the choice holds for every later command.
        """
        if self.home.exists():
            return
        if not self.settings.sample:
            with self.home.writing():
                if not self.home.exists():
                    self.home.write_entries([])
            return
        from yanbao.corpus import sample_paths

        self.ingest([str(p) for p in sample_paths()])

    def reports(self) -> list[ReportEntry]:
        """Return the manifest entries of the ingested reports."""
        return self.home.entries()

    def report(self, ref: str) -> Report:
        """Return the report with this id, id prefix or title.

        Raises:
            NotFoundError: no such report.
        """
        return self.home.load_report(self.home.resolve(ref).id)

    # ------------------------------------------------------------- ingest
    def ingest(
        self, paths: Iterable[str], progress: ProgressCallback | None = None, exclude: Iterable[str] = (),
    ) -> list[IngestOutcome]:
        """Ingest files, folders and globs; return one outcome per input file.

        A folder's own documentation (``README.md``, ``LICENSE``) and files
        matching an ``exclude`` glob are ``skipped``, with the reason.

        Refused files are reported in the outcomes (with the reason) and never
        leave a partial record.  A report whose content is already ingested is
        ``unchanged``; the same report in the other script, re-wrapped or
        reposted with page chrome is a ``duplicate`` (``duplicate_of`` names the
        report kept) and is not added; a file ingested before from the same path
        whose content changed is ``replaced``.  Text the parser left out is
        listed in each outcome's ``dropped``.

        Raises:
            NotFoundError: none of the paths exist.
            LockedError: another process is writing to the home.
        """
        from yanbao.corpus import discover_files

        files, problems, skipped = discover_files(list(paths), tuple(exclude))
        outcomes: list[IngestOutcome] = [
            IngestOutcome(path=p, status="refused", reason=why) for p, why in problems
        ] + [IngestOutcome(path=p, status="skipped", reason=why) for p, why in skipped]
        clock = _Stopwatch()
        with self.home.writing(), _few_collections():
            entries = self.home.entries()
            signatures = _Signatures(self.home)
            per_file = self._parse_files(files, entries, signatures, progress, clock)
            reports = [r for r in per_file if isinstance(r, Report)]
            parsed = self._extract_and_write(reports, per_file, entries, progress, clock)
            if parsed:
                self._commit(entries, parsed, progress, clock)
                signatures.save()
            outcomes.extend(_outcomes_of(per_file, parsed))
            if not self.home.exists():
                self.home.write_entries(entries)
        self.last_timings = clock.totals
        return outcomes

    def _parse_files(
        self, files: list, entries: list[ReportEntry], signatures: "_Signatures",
        progress: ProgressCallback | None, clock: "_Stopwatch",
    ) -> list["IngestOutcome | Report"]:
        """Parse every file; refused, unchanged and duplicate files become outcomes (input order)."""
        from yanbao.corpus import parse_document

        by_id = {e.id: e for e in entries}
        by_origin = {os.path.realpath(e.origin): e for e in entries if e.origin}
        per_file: list[IngestOutcome | Report] = []
        first_of: dict[str, str] = {}  # report id -> path, for this batch
        for n, path in enumerate(files):
            if progress:
                progress("parse", n, len(files))
            try:
                with clock("parse"):
                    report = parse_document(path, max_bytes=self.settings.max_bytes)
            except YanbaoError as exc:
                per_file.append(IngestOutcome(path=str(path), status="refused", reason=_one_line(exc)))
                continue
            if report.id in by_id or report.id in first_of:
                same = by_id[report.id].origin if report.id in by_id else first_of[report.id]
                per_file.append(_outcome(report, "unchanged", reason=f"same content as {same}"))
                continue
            with clock("parse"):
                # A changed file at a path ingested before replaces its own old version.
                previous = by_origin.get(os.path.realpath(report.origin))
                copy_of = signatures.duplicate_of(report, entries, exclude=previous.id if previous else "")
            if copy_of is not None:
                per_file.append(
                    _outcome(report, "duplicate", reason=f"duplicate of {copy_of.id} ({copy_of.origin})",
                             duplicate_of=copy_of.id)
                )
                continue
            signatures.add_pending(report)
            first_of[report.id] = str(path)
            per_file.append(report)
        if progress:
            progress("parse", len(files), len(files))
        return per_file

    def _extract_and_write(
        self, reports: list[Report], per_file: list, entries: list[ReportEntry],
        progress: ProgressCallback | None, clock: "_Stopwatch",
    ) -> list[tuple[Report, ReportEntry | None]]:
        """Extract and write each report's records and graph (not yet visible).

        A report whose extraction fails becomes a refused outcome in ``per_file``.
        Returns ``(report, entry it replaces or None)`` for the reports written.
        """
        by_origin = {os.path.realpath(e.origin): e for e in entries if e.origin}
        parsed: list[tuple[Report, ReportEntry | None]] = []
        if reports:
            with clock("setup"):  # dictionaries and lexicons, loaded once per process
                from yanbao.kg.segment import warm_up

                # A few reports are cut with the on-disk dictionary; many load it whole.
                warm_up(sum(len(r.sentences) + len(r.sections) for r in reports))
        writer = _ChunkWriter(self, entries, clock)
        from yanbao.kg.ner import PREFETCH_WINDOW, prefetch_reports

        try:
            for n, report in enumerate(reports):
                if progress:
                    progress("extract", n, len(reports))
                if n % PREFETCH_WINDOW == 0:
                    # The NER model tags sentences of equal length together: the more
                    # reports' sentences it is handed at once, the less time per sentence.
                    prefetch_reports(reports[n : n + 2 * PREFETCH_WINDOW])
                try:
                    extraction, graph = self._build(report, clock)
                except YanbaoError as exc:
                    per_file[per_file.index(report)] = IngestOutcome(
                        path=report.origin, status="refused", reason=_one_line(exc)
                    )
                    continue
                # Records and graphs are written a chunk at a time, so a large batch
                # never holds every report's graph in memory; none of it is visible
                # before the manifest names it.
                writer.add(report, extraction, graph)
                parsed.append((report, by_origin.get(os.path.realpath(report.origin))))
            writer.flush()
        finally:
            writer.close()
        if progress and reports:
            progress("extract", len(reports), len(reports))
        return parsed

    def _build(self, report: Report, clock: "_Stopwatch"):
        """Extract a report's claims and build its validated graph (nothing written)."""
        from yanbao.kg.extract import extract
        from yanbao.kg.rdf import report_graph_for
        from yanbao.kg.shapes import validate_report_graph

        with clock("extract"):
            extraction = extract(report)
        with clock("graph build"):
            graph = report_graph_for(report, extraction)
            if self.settings.validate_shapes:
                validate_report_graph(graph, report.id)
        return extraction, graph

    def _commit(self, entries: list[ReportEntry], parsed, progress: ProgressCallback | None, clock: "_Stopwatch") -> None:
        """With records and graphs written: the indexes, then the manifest (the commit point)."""
        removed = {prev.id for _, prev in parsed if prev is not None}
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
        self._rebuild_index(kept, progress, clock)
        with clock("manifest"):
            self.home.write_entries(kept)
        self._answerer = None  # the next question loads the new index
        # A replaced report's graph is no longer visible (readers see only what the
        # manifest names) and the next writer drops it with the other orphans.
        for report_id in removed:
            self.home.delete_report_file(report_id)

    def _rebuild_index(self, entries: list[ReportEntry], progress: ProgressCallback | None, clock: "_Stopwatch | None" = None,
                       full: bool = False) -> None:
        # Incremental unless ``full``: only added and removed reports are touched (build_index).
        from yanbao.retrieval.index import build_index

        build_index(
            self.home, [e.id for e in entries], self.embedder(batch=True), self.settings, progress=progress,
            timings=clock.totals if clock else None, full=full,
        )

    def _graph_store(self, read_only: bool = True):
        from yanbao.kg.store import open_graph_store

        return open_graph_store(
            self.settings.store, self.home.graph_dir, read_only=read_only, timeout=self.settings.store_timeout_s
        )

    def graph(self):
        """Open the graph store read-only (works beside a running ingest).

        Returns a :class:`kg.store.GraphStore`; close it when done.
        """
        store = self._graph_store(read_only=True)
        if not store.shared:
            store.restrict_to({e.id for e in self.home.entries()})  # the last complete state only
        return store

    def embedder(self, batch: bool = False):
        """The embedding backend the settings name (built once per library and use).

        ``batch`` embedders (ingest) use every core; question embedders use one
        thread, which answers a single short question fastest (no thread start-up).
        """
        if batch not in self._embedders:
            from yanbao.retrieval.embedders import make_embedder

            self._embedders[batch] = make_embedder(self.settings, threads=None if batch else 1)
        return self._embedders[batch]

    # ---------------------------------------------------------------- ask
    def answerer(self):
        """The loaded index and answerer (loaded once per library; never rebuilds).

        Raises:
            NotFoundError: nothing indexed.  IndexMismatchError: another model built the index.
        """
        if self._answerer is None:
            self._answerer = self._load_answerer()
        return self._answerer

    def _load_answerer(self):
        from yanbao.retrieval.answer import Answerer, Preselection
        from yanbao.retrieval.index import SearchIndex

        index = SearchIndex.load(self.home)
        embedder = self.embedder()
        if index.meta["model"] != embedder.name:
            from .core.errors import IndexMismatchError

            fix = f"yanbao reindex --embedder {self.settings.embedder}"
            if self.settings.model:
                fix += f" --model {self.settings.model}"
            # Re-ingesting would not help: unchanged reports are skipped, the index stays.
            raise IndexMismatchError(
                f"the index was built with {index.meta['model']}, but the embedder is {embedder.name}; "
                f"rebuild the index for it with `{fix}` (cached embeddings are reused), "
                "or ask with the embedder that built the index"
            )
        pre = None if self.settings.vector_index == "flat" else Preselection(self.settings.ivf_probe, self.settings.ivf_candidates)
        return Answerer(index, embedder, self.home, preselect=pre)

    def reload(self) -> None:
        """Load the live index again (after a write) and swap it in.

        Callers holding the previous answerer keep a complete, consistent index.
        """
        self._answerer = self._load_answerer()

    def ask(
        self, question: str, top_k: int | None = None, mode: str = "hybrid", qid: str | None = None,
        log: bool = True, region: str = "",
    ):
        """Answer one question with cited evidence, or abstain.

        Returns an :class:`~yanbao.core.records.Answer`.  The question is recorded
        in ``questions.jsonl`` unless ``log`` is false.

        Raises:
            InputError: an empty question or an unknown mode.
        """
        if not question or not question.strip():
            raise InputError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
        check_ask_options(top_k, mode)
        answerer = self.answerer()
        answer = answerer.answer(question, top_k=top_k or self.settings.top_k, mode=mode, qid=qid)
        if log:  # the answer carries what the analysis found (the question is analysed once)
            self.home.log_question(
                {
                    "time": now_iso(), "id": qid, "region": region or answer.region, "question": question,
                    "coverage": [c.report_id for c in answer.coverage], "abstained": answer.abstained,
                    "confidence": answer.confidence,
                }
            )
        return answer

    def triage(self, question: str, region: str = "", qid: str | None = None, top_k: int | None = None) -> Triage:
        """Triage one hotline question: coverage, drafted brief, reports to offer, expert needed?

        A region given here wins over one in a ``北京用戶提問：`` prefix.

        Raises:
            InputError: an empty question.
        """
        answer = self.ask(question, top_k=top_k, qid=qid, region=region)
        qa_region = region or answer.region
        recommended = list(answer.related_reports)
        if answer.abstained:
            why = answer.reason or "no ingested report covers the question"
        elif answer.confidence < LOW_CONFIDENCE:
            why = f"low confidence ({answer.confidence:.2f} < {LOW_CONFIDENCE})"
        else:
            why = ""
        return Triage(
            answer=answer,
            region=qa_region,
            coverage=answer.coverage,
            recommended_reports=tuple(recommended),
            needs_expert=bool(why),
            needs_expert_reason=why,
        )

    def questions(self, uncovered: bool = False, source: str = "asked") -> list[AskedQuestion]:
        """Questions asked (from ``questions.jsonl``), or the sample questions of the
        ingested web pages' sidebars (``source="sidebar"``).

        Raises:
            InputError: an unknown source.
        """
        if source == "sidebar":
            out = []
            for e in self.reports():
                for q in self.home.load_report(e.id).sidebar_questions:
                    out.append(AskedQuestion(question=q.question, region=q.region, source="sidebar", report_id=e.id))
            return out
        if source != "asked":
            raise InputError(f"unknown question source {source!r}; valid: asked, sidebar")
        out = []
        for rec in self.home.read_questions():
            q = AskedQuestion(
                question=rec.get("question", ""), region=rec.get("region", ""), time=rec.get("time", ""),
                id=rec.get("id"), coverage=tuple(rec.get("coverage", ())), abstained=rec.get("abstained"),
                confidence=rec.get("confidence"),
            )
            if not uncovered or q.abstained:
                out.append(q)
        return out

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Rebuild the search index of the ingested reports (after an upgrade, or to
        switch embedders); embeddings already computed for a model are reused.

        Returns the number of reports indexed.  Raises LockedError if another writer is active.
        """
        with self.home.writing():
            entries = self.home.entries()
            self._rebuild_index(entries, progress, full=True)
            self._answerer = None
        return len(entries)

    def remove(self, ref: str, exact: bool = False) -> ReportEntry:
        """Remove one report (its record and everything derived from it).

        ``ref`` is an id, a unique id prefix or a title; with ``exact`` only a
        full id.  A file the HTTP service stored for an upload goes too.

        Raises:
            NotFoundError: no such report.  LockedError: another writer is active.
        """
        with self.home.writing():
            entry = self.home.resolve(ref)
            if exact and entry.id != ref:
                raise NotFoundError(f"no report with the id {ref!r}")
            kept = [e for e in self.home.entries() if e.id != entry.id]
            store = self._graph_store(read_only=False)
            try:
                store.remove_report(entry.id)
            finally:
                store.close()
            self._rebuild_index(kept, None)
            self.home.write_entries(kept)
            self._answerer = None
            self.home.delete_report_file(entry.id)
            _Signatures(self.home).prune()
            uploads = self.home.root / "uploads"
            if entry.origin and Path(entry.origin).parent == uploads.resolve():
                Path(entry.origin).unlink(missing_ok=True)
        return entry


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Collect garbage less often during an ingest.

    With the default thresholds Python's cycle collector runs every ~700 new
    objects and, at generation 2, walks every live object: the reports already
    parsed make each of those walks longer, so extraction slowed as a batch grew.
    """
    import gc

    old = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _ChunkWriter:
    """Writes records and report graphs of an ingest a chunk at a time."""

    CHUNK = 32

    def __init__(self, library: "Library", entries: list[ReportEntry], clock: "_Stopwatch") -> None:
        self.library = library
        self.live = {e.id for e in entries}
        self.clock = clock
        self.pending: list[tuple[Report, Extraction, object]] = []
        self.store = None

    def add(self, report: Report, extraction: Extraction, graph) -> None:
        self.pending.append((report, extraction, graph))
        if len(self.pending) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        home = self.library.home
        with self.clock("records"):
            for report, extraction, _ in self.pending:
                home.save_report(report)
                home.save_extraction(extraction)
        with self.clock("graph write"):
            if self.store is None:
                self.store = self.library._graph_store(read_only=False)
                # Graphs left by an interrupted write go; but a server's dataset may be
                # shared with other homes, whose reports are not orphans.
                if not self.store.shared:
                    for orphan in self.store.report_ids() - self.live:
                        self.store.remove_report(orphan)
            graphs = {report.id: graph for report, _, graph in self.pending}
            self.store.replace_reports(graphs)
        self.pending = []
        # The chunk's report graphs are garbage now, in reference cycles that the raised
        # thresholds of _few_collections leave for a rare full collection: collecting
        # once per chunk keeps an ingest's memory flat (1,000 generated reports, bench/run.py:
        # peak RSS 941 MB without it, 741-818 MB with chunks of 64, 680-694 MB with 32).
        gc.collect()

    def close(self) -> None:
        if self.store is not None:
            with self.clock("graph write"):
                self.store.close()
            self.store = None


class _Stopwatch:
    """Seconds spent per ingest stage (``Library.last_timings``; the benchmark reads it)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._started: dict[str, float] = {}

    def start(self, stage: str) -> None:
        self._started[stage] = time.perf_counter()

    def stop(self, stage: str) -> None:
        self.totals[stage] = self.totals.get(stage, 0.0) + time.perf_counter() - self._started.pop(stage)

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        self.start(stage)
        try:
            yield
        finally:
            self.stop(stage)


def check_ask_options(top_k: int | None, mode: str) -> None:
    """Validate ``ask`` options before any question is run.

    Raises:
        InputError: ``top_k`` below 1, or an unknown retriever mode.
    """
    from yanbao.retrieval.answer import MODES

    if top_k is not None and top_k < 1:
        raise InputError(f"top_k must be at least 1, not {top_k}")
    if mode not in MODES:
        raise InputError(f"unknown retriever mode {mode!r}; valid: {', '.join(MODES)}")


def _outcome(report: Report, status: str, reason: str = "", duplicate_of: str = "") -> IngestOutcome:
    return IngestOutcome(
        path=report.origin, status=status, report_id=report.id, title=report.title,
        sentences=len(report.sentences), reason=reason, duplicate_of=duplicate_of, dropped=report.dropped,
    )


def _outcomes_of(per_file: list, parsed: list[tuple[Report, ReportEntry | None]]) -> list[IngestOutcome]:
    """Outcomes in input order: written reports are ``added`` or ``replaced``."""
    previous_of = {r.id: prev for r, prev in parsed}
    return [
        _outcome(item, "replaced" if previous_of[item.id] else "added") if isinstance(item, Report) else item
        for item in per_file
    ]


class _Signatures:
    """Near-duplicate signatures of the ingested reports (``signatures.json``).

    Derived data: a missing or stale entry is recomputed from the report's
    record, so the file needs no care when reports come and go.
    """

    def __init__(self, home: Home) -> None:
        self.home = home
        self.path = home.root / "signatures.json"
        self._known: dict[str, list[int]] | None = None
        self._pending: list[tuple[Report, list[int]]] = []

    def _load(self) -> dict[str, list[int]]:
        if self._known is None:
            import json

            try:
                self._known = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._known = {}
        return self._known

    def of(self, entry: ReportEntry) -> list[int]:
        from yanbao.corpus.dedup import signature

        known = self._load()
        if entry.id not in known:
            try:
                known[entry.id] = signature(self.home.load_report(entry.id))
            except YanbaoError:
                known[entry.id] = []
        return known[entry.id]

    def duplicate_of(self, report: Report, entries: list[ReportEntry], exclude: str = "") -> ReportEntry | None:
        """The ingested (or earlier in this batch) report ``report`` is a copy of, if any."""
        from yanbao.corpus.dedup import DUPLICATE_SIMILARITY, signature, similarity

        mine = signature(report)
        for other, sig in self._pending:
            if similarity(mine, sig) >= DUPLICATE_SIMILARITY:
                return ReportEntry(
                    id=other.id, title=other.title, origin=other.origin, ingested_at="", sentences=0,
                    sidebar_questions=0, related_reports=0,
                )
        for entry in entries:
            if entry.id != exclude and similarity(mine, self.of(entry)) >= DUPLICATE_SIMILARITY:
                return entry
        return None

    def add_pending(self, report: Report) -> None:
        from yanbao.corpus.dedup import signature

        sig = signature(report)
        self._pending.append((report, sig))
        self._load()[report.id] = sig

    def prune(self) -> None:
        """Drop the signatures of reports the manifest no longer names (after a remove)."""
        import json

        from .core.home import atomic_write_text

        if not self.path.exists():
            return
        live = {e.id for e in self.home.entries()}
        known = self._load()
        if set(known) <= live:
            return
        try:
            atomic_write_text(self.path, json.dumps({k: v for k, v in known.items() if k in live}))
        except OSError:
            pass  # stale entries are harmless: duplicates are looked for among the manifest's reports

    def save(self) -> None:
        """Write the signatures of the reports the manifest names (best effort: derived data)."""
        import json

        from .core.home import atomic_write_text

        known = self._load()
        live = {e.id for e in self.home.entries()}
        for entry in self.home.entries():
            self.of(entry)
        try:
            atomic_write_text(self.path, json.dumps({k: v for k, v in known.items() if k in live}))
        except OSError:
            pass  # recomputed next time


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())

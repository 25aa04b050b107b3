"""Evaluation sets: ingest a set's reports into a fresh home and score yanbao
and the two naive baselines on its questions, in the same run.

A *set* is one of:

- a folder holding ``questions.jsonl`` and the reports (in ``corpus/`` if that
  folder exists, else the folder's other supported files; ``README*`` and
  ``expected.md`` are not reports);
- a suite file (TOML) naming several sets::

      [[set]]
      name = "dev"
      path = "../shared/eval/dev"          # a set folder, relative to the suite file
      [[set]]
      name = "cases"
      glob = "../shared/cases/case-*"      # set folders pooled into one home
      [[set]]
      name = "seed"
      questions = "../shared/eval/seed_questions.jsonl"
      reports = ["../shared/seed"]         # files or folders

Text files whose first line is ``SOURCE: <url>`` have that line (and the blank
line after it) stripped before ingesting, as the shared sets' READMEs ask.
"""

from __future__ import annotations

import glob as globbing
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .core.errors import IndexMismatchError, InputError, NotFoundError
from .core.settings import Settings
from .retrieval.evaluate import EvalQuestion, SystemScores, evaluate, load_questions, score_system

__all__ = ["EvalSet", "SetResult", "load_sets", "stage_files", "run_set", "evaluate_home"]

_NOT_REPORTS = ("readme", "expected.md", "questions")


@dataclass(frozen=True)
class EvalSet:
    """A named set of report files and the questions asked about them."""

    name: str
    questions: tuple[EvalQuestion, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True)
class SetResult:
    """The scores of every system on one set, with what the ingest made of it."""

    name: str
    reports: int
    refused: tuple[str, ...]  # "file: reason"
    systems: tuple[SystemScores, ...]
    seconds: float


def _report_files(folder: Path) -> list[Path]:
    from .corpus.loaders import SUPPORTED_SUFFIXES

    root = folder / "corpus" if (folder / "corpus").is_dir() else folder
    return sorted(
        p for p in root.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.lower().startswith(_NOT_REPORTS)
    )


def load_sets(path: str | Path) -> list[EvalSet]:
    """The sets a folder or a suite file names.

    Raises:
        NotFoundError: nothing is at the path.
        InputError: the path is neither, a set has no questions file, or the suite is malformed.
    """
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"{p}: no such file or folder")
    if p.is_dir():
        questions = p / "questions.jsonl"
        if not questions.is_file():
            raise InputError(f"{p}: not an evaluation set (no questions.jsonl)")
        return [EvalSet(p.name, tuple(load_questions(questions)), tuple(_report_files(p)))]
    if p.suffix.lower() == ".toml" and p.is_file():
        import tomllib

        try:
            suite = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{p}: unreadable suite file: {exc}") from exc
        out = []
        for n, row in enumerate(suite.get("set", []), 1):
            if not isinstance(row, dict):
                raise InputError(f"{p}: set {n} is not a table")
            if "path" in row:
                (one,) = load_sets(p.parent / row["path"])
                out.append(EvalSet(str(row.get("name", one.name)), one.questions, one.files))
                continue
            if "glob" in row:  # several set folders pooled into one home (harder: more to tell apart)
                matches = sorted(Path(m) for m in globbing.glob(str(p.parent / row["glob"])))
                parts = [s for d in matches if d.is_dir() for s in load_sets(d)]
                if not parts:
                    raise InputError(f"{p}: set {n}: no set folder matches {row['glob']!r}")
                out.append(EvalSet(str(row.get("name", n)), tuple(q for s in parts for q in s.questions),
                                   tuple(f for s in parts for f in s.files)))
                continue
            if "questions" not in row:
                raise InputError(f"{p}: set {n} names neither a path nor a questions file")
            files: list[Path] = []
            for ref in row.get("reports", []):
                target = p.parent / ref
                files += _report_files(target) if target.is_dir() else [target]
            name = str(row.get("name", Path(row["questions"]).stem))
            out.append(EvalSet(name, tuple(load_questions(p.parent / row["questions"])), tuple(files)))
        if not out:
            raise InputError(f"{p}: the suite names no [[set]]")
        return out
    raise InputError(f"{p}: expected an evaluation set folder or a suite .toml file")


def stage_files(files: tuple[Path, ...], folder: Path) -> list[Path]:
    """Copies of the set's files, a ``SOURCE:`` first line stripped from text files."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, f in enumerate(files):
        target = folder / f"{n:03d}_{f.name}"
        if f.suffix.lower() in (".txt", ".md"):
            data = f.read_bytes()
            if data.startswith(b"SOURCE:"):
                data = data.split(b"\n", 1)[1] if b"\n" in data else b""
                data = data[1:] if data.startswith(b"\n") else data
            target.write_bytes(data)
        else:
            shutil.copyfile(f, target)
        out.append(target)
    return out


def _file_chunks(staged: list[Path], settings: Settings) -> list[str]:
    """The staged files' text as loaded, uncleaned, cut into sentences (what the baselines search)."""
    from .corpus.loaders import load_document
    from .core.errors import YanbaoError
    from .retrieval.baselines import sentence_chunks

    chunks: list[str] = []
    for f in staged:
        try:
            chunks += sentence_chunks(load_document(f, max_bytes=settings.max_bytes).text)
        except YanbaoError:
            continue  # a file yanbao refuses gives the baselines nothing either
    return chunks


def _baseline_scores(chunks: list[str], questions: list[EvalQuestion], embedder, top_k: int) -> list[SystemScores]:
    """The two naive baselines over ``chunks``, scored like yanbao (none if there is no text)."""
    from .retrieval.baselines import BigramBM25Baseline, DenseChunkBaseline

    if not chunks:
        return []
    dense, bm25 = DenseChunkBaseline(chunks, embedder), BigramBM25Baseline(chunks)
    texts = [q.question for q in questions]
    return [
        score_system(dense.name, questions, dense.search_all(texts, top_k), k=top_k),
        score_system(bm25.name, questions, [bm25.search(t, top_k) for t in texts], k=top_k),
    ]


def run_set(
    eval_set: EvalSet,
    settings: Settings,
    modes: tuple[str, ...] = ("hybrid",),
    top_k: int = 5,
    baselines: bool = True,
    work: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SetResult:
    """Ingest the set into a fresh home (under ``work``, or a temporary folder
    removed afterwards) and score each mode of yanbao and the baselines.

    Raises:
        YanbaoError: the home cannot be written, or nothing in the set could be ingested.
    """
    from dataclasses import replace

    from .library import Library

    began = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="yanbao-eval-")) if work is None else Path(work)
    try:
        staged = stage_files(eval_set.files, tmp / "files")
        lib = Library(replace(settings, home=tmp / "home", sample=False))
        outcomes = lib.ingest([str(f) for f in staged], progress=progress) if staged else []
        refused = tuple(f"{Path(o.path).name}: {o.reason}" for o in outcomes if o.status == "refused")
        questions = list(eval_set.questions)
        try:
            answerer = lib.answerer()
        except IndexMismatchError:  # a kept home indexed by an older yanbao
            lib.reindex()
            answerer = lib.answerer()
        systems = list(evaluate(answerer, questions, modes=modes, top_k=top_k))
        if baselines:
            systems += _baseline_scores(_file_chunks(staged, settings), questions, lib.embedder(batch=True), top_k)
        reports = len(lib.home.entries())
    finally:
        if work is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return SetResult(eval_set.name, reports, refused, tuple(systems), round(time.perf_counter() - began, 1))


def evaluate_home(library, questions: list[EvalQuestion], modes=("hybrid",), top_k: int = 5,
                  baselines: bool = True) -> list[SystemScores]:
    """Score yanbao on an existing home; the baselines read the home's stored report texts."""
    systems = list(evaluate(library.answerer(), questions, modes=modes, top_k=top_k))
    if baselines:
        from .retrieval.baselines import sentence_chunks

        chunks = [c for e in library.home.entries() for c in sentence_chunks(library.home.load_report(e.id).text)]
        systems += _baseline_scores(chunks, questions, library.embedder(batch=True), top_k)
    return systems


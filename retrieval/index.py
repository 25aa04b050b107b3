"""The persisted search index: units, vectors, words (BM25), entities — in segments.

The public entry points are :func:`build_index` (at ingest and removal) and
:meth:`SearchIndex.load` (at ask time; never rebuilds anything).

A *unit* is one retrievable, citable piece of a report: a claim sentence or a
section heading (headings state drivers and challenges in few words).

Layout under ``HOME/index``::

    CURRENT                  name of the live generation (written atomically, last)
    gen-<n>/meta.json        the generation: its segments in order, and per segment the
                             ids of its reports that were removed since (tombstones)
    segments/<name>/         one immutable segment: some reports' units, written once
        meta.json            its report ids (in order), their unit counts, role names
        records.sqlite       units, reports, entities (per report), match keys, relations,
                             vocabularies: read row by row, on demand
        entity.units/, entity.reports/, topic.reports/   integer lists by entity (topic):
                             its units, the reports listing it (see :class:`_ListsWriter`)
        unit_report.npy, unit_role.npy   per unit: its report's rank in the segment, its role's code
        vectors.f32          one vector per unit, raw float32 rows (mapped in place)
        ivf.*, moments.npz   large segments only: an inverted-file (IVF) partition of the
                             vectors (k-means centroids, the units of each list; the
                             vectors are then stored list by list) and the vectors' sum
                             and second-moment matrix (see :func:`_write_ivf`)
        bm25/, bm25c/        raw postings (term frequencies) and unit lengths over the
                             units' words (jieba) and character bigrams
        sections.*, teasers.*   every section's (teaser's) match key, searched in place (mmap);
                             sections.grams/, teasers.grams/: postings of each key's character
                             pairs; teaser_titles.*: each teaser's title
    parts/<report id>.json   one report's units, tokens, entities (computed once per report)
    embcache/<model>.sqlite  embeddings by text hash (re-ingest embeds nothing new)

Adding, replacing or removing a report writes a new generation that reuses
the live one's segments: an added report gets a small segment of its own, a
removed one a tombstone.  Nothing global is stored in a segment: BM25's
document frequencies, the unit count and the mean unit length are counted at
query time over the live postings, so the scores are those of an index built
from scratch over the same reports in the same order (tested).  Segments are
merged when there are more than ``_MAX_SEGMENTS`` of them, and one is
rewritten without its removed reports when they hold over a third of its
units (LSM-style), so updates stay small and the segment count bounded.

A reader reads CURRENT, then that generation; a writer writes its segment
and the new generation beside the live ones and swaps CURRENT, keeping the
previous generation (and its segments) for readers still loading it.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import re
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from yanbao.corpus.script import match_key, search_form, search_key
from yanbao.core.errors import IndexMismatchError, NotFoundError, StoreError
from yanbao.core.home import Home, atomic_write_text
from yanbao.core.records import content_hash

from .embedders import Embedder
from .textproc import char_bigrams, search_tokens

__all__ = ["Unit", "DenseCandidates", "SearchIndex", "build_index", "INDEX_FORMAT"]

INDEX_FORMAT = 9  # 9: entity units and reports, report topics as arrays (8: report topics, IVF segments)
_PART_FORMAT = 6
_MAX_SEGMENTS = 8  # past this, the segments after the first are merged into one
_DEAD_SHARE = 1 / 3  # a segment whose removed reports hold more of its units is rewritten
_K1, _B = 1.5, 0.75  # BM25 (Lucene variant, bm25s's defaults)


@dataclass(frozen=True)
class DenseCandidates:
    """A question's pre-selected dense neighbours (see
    :meth:`SearchIndex.dense_candidates`): global unit ids (ascending), their
    inner products, and the inner product's mean and standard deviation over
    every live unit."""

    uids: np.ndarray  # (k,) int64
    scores: np.ndarray  # (k,) float32
    mean: float
    std: float


@dataclass(frozen=True)
class Unit:
    """One retrievable piece of a report."""

    uid: int
    report_id: str
    kind: str  # claim | heading
    text: str
    start: int
    end: int
    section: tuple[str, ...]
    role: str
    entity_ids: tuple[str, ...]
    block: str  # paragraph key, for diversity
    claim_id: str = ""


def _passage_text(unit: dict) -> str:
    """What is embedded for a unit: script-normalised, so a Traditional and a
    Simplified question meet the same vectors; the section title gives a
    sentence its context (科技公司的技術賦能 → 區塊鏈…)."""
    leaf = unit["section"][-1] if unit["section"] else ""
    text = f"{leaf}：{unit['text']}" if leaf and unit["kind"] == "claim" else unit["text"]
    return search_form(text)


def build_index(
    home: Home,
    report_ids: list[str],
    embedder: Embedder,
    settings,
    progress: Callable[[str, int, int], None] | None = None,
    timings: dict[str, float] | None = None,
    full: bool = False,
) -> Path:
    """Make the live index hold exactly ``report_ids``, in that order.

    Incremental unless ``full``: when the live index (same format and model)
    holds a prefix of ``report_ids`` once removed reports are left out — what
    ingesting (new reports go last), replacing and removing reports produce —
    only the new reports are indexed (one new segment) and the removed ones
    are tombstoned; otherwise everything is rebuilt.  Either way the scores
    equal a rebuild's.  Nothing is written when nothing changes.

    ``timings`` (if given) receives the seconds spent embedding (``embed``) and
    building the rest of the index (``index``).  Returns the generation folder.
    Raises StoreError if it cannot be written.
    """
    import time

    began = time.perf_counter()
    root = home.index_dir
    root.mkdir(parents=True, exist_ok=True)
    current = _current_name(root)
    state = None if full else _live_state(root, current, embedder.name)
    spent = {"embed": 0.0}
    if state is None:
        segments: list[dict] = []
        todo: list[list[str]] = [list(report_ids)]
    else:
        segments, todo = _plan(state, list(report_ids))
        if not todo and segments == state:
            return root / current
    n = int(current.split("-")[1]) + 1 if current else 1
    gen = root / f"gen-{n}"
    if gen.exists():
        shutil.rmtree(gen)
    try:
        for k, rids in enumerate(todo):
            if rids:
                name = f"seg-{n}-{k}"
                segments.append(_write_segment(home, root / "segments" / name, rids, embedder, settings, progress, spent))
                segments[-1]["name"] = name
        gen.mkdir(parents=True)
        meta = {
            "format": INDEX_FORMAT, "model": embedder.name, "dim": embedder.dim,
            "units": sum(s["units"] - s["dead_units"] for s in segments),
            "reports": sum(len(s["reports"]) - len(s["dead"]) for s in segments),
            "segments": [{"name": s["name"], "dead": sorted(s["dead"])} for s in segments],
        }
        atomic_write_text(gen / "meta.json", json.dumps(meta))
        atomic_write_text(root / "CURRENT", gen.name)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot write the index at {gen}: {exc}") from exc
    if timings is not None:
        timings["embed"] = timings.get("embed", 0.0) + spent["embed"]
        timings["index"] = timings.get("index", 0.0) + time.perf_counter() - began - spent["embed"]
    _collect(root, keep=(gen.name, current))
    return gen


def _live_state(root: Path, current: str, model: str) -> list[dict] | None:
    """The live generation's segments (name, report ids, unit counts, tombstones),
    or None when there is none to update (absent, another format or model, damaged)."""
    if not current:
        return None
    try:
        meta = json.loads((root / current / "meta.json").read_text())
        if meta.get("format") != INDEX_FORMAT or meta.get("model") != model:
            return None
        out = []
        for seg in meta["segments"]:
            smeta = json.loads((root / "segments" / seg["name"] / "meta.json").read_text())
            dead = set(seg["dead"])
            counts = dict(zip(smeta["reports"], smeta["report_units"]))
            out.append({"name": seg["name"], "reports": smeta["reports"], "counts": counts, "units": smeta["units"],
                        "dead": dead, "dead_units": sum(counts[r] for r in dead)})
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _plan(state: list[dict], wanted: list[str]) -> tuple[list[dict], list[list[str]]]:
    """Which live segments to keep (with their new tombstones) and which report
    lists to index as new segments, so the live reports become ``wanted``."""
    keep = set(wanted)
    segments = []
    for s in state:
        dead = s["dead"] | {r for r in s["reports"] if r not in keep}
        segments.append({**s, "dead": dead, "dead_units": sum(s["counts"][r] for r in dead)})
    live = [r for s in segments for r in s["reports"] if r not in s["dead"]]
    if wanted[: len(live)] != live or len(set(wanted)) != len(wanted):
        return [], [wanted]  # another order: rebuild
    new = wanted[len(live) :]
    if segments == state and not new:
        return segments, []
    # Compaction: a segment mostly removed is rewritten; too many segments, the tail is merged.
    out: list[dict] = []
    todo: list[list[str]] = []
    pending: list[str] = []  # reports to re-index, in order (they keep their place)
    for i, s in enumerate(segments):
        live_s = [r for r in s["reports"] if r not in s["dead"]]
        if not live_s:
            continue
        rewrite = s["dead_units"] > _DEAD_SHARE * s["units"] or pending
        if rewrite:
            pending += live_s
        else:
            out.append(s)
    count = len(out) + (1 if pending else 0) + (1 if new else 0)
    if count > _MAX_SEGMENTS and len(out) > 1:
        tail, out = out[1:], out[:1]
        pending = [r for s in tail for r in s["reports"] if r not in s["dead"]] + pending
    if pending:
        todo.append(pending + new)
    elif new:
        todo.append(new)
    return out, todo
_CHUNK = 100  # reports per step of a segment build: what is held in memory at once


def _write_segment(home: Home, folder: Path, rids: list[str], embedder: Embedder, settings, progress,
                   spent: dict[str, float]) -> dict:
    """Index ``rids`` into a new segment folder (written whole, then fsynced).

    Streams: ``_CHUNK`` reports at a time are read, embedded and appended to
    the records, the vector file and the postings, so memory holds the compact
    postings arrays, not every unit's tokens.  Returns the segment's state:
    report ids, unit counts, no tombstones.
    """
    import time

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    writer = _SegmentWriter(folder)
    try:
        with open(folder / "vectors.f32", "wb") as vec_fh:
            for start in range(0, len(rids), _CHUNK):
                if progress:
                    progress("index", start, len(rids))
                parts = [_report_part(home, rid) for rid in rids[start : start + _CHUNK]]
                embed_began = time.perf_counter()
                vectors = _embed_with_cache(home, embedder, [p for part in parts for p in part["passages"]], settings, None)
                spent["embed"] += time.perf_counter() - embed_began
                vec_fh.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
                for part in parts:
                    writer.add(part)
            vec_fh.flush()
        if progress:
            progress("index", len(rids), len(rids))
        roles = writer.finish()
    finally:
        writer.close()
    if _wants_ivf(settings, writer.n_units):
        _write_ivf(folder, writer.n_units, embedder.dim)
    atomic_write_text(folder / "meta.json", json.dumps(
        {"format": INDEX_FORMAT, "reports": rids, "report_units": writer.counts, "units": writer.n_units,
         "roles": roles, "dim": embedder.dim, "titles": writer.titles}))
    for path in folder.rglob("*"):
        if path.is_file():
            _fsync(path)
    _fsync(folder)
    return {"reports": rids, "counts": dict(zip(rids, writer.counts)), "units": writer.n_units, "dead": set(), "dead_units": 0}


def _wants_ivf(settings, n_units: int) -> bool:
    """Whether a segment of ``n_units`` gets an IVF partition (the ``vector_index``
    setting: ``flat`` never, ``ivf`` always, ``auto`` from ``ivf_min_units`` up)."""
    mode = getattr(settings, "vector_index", "auto")
    if mode == "flat" or n_units < 2:
        return False
    return mode == "ivf" or n_units >= getattr(settings, "ivf_min_units", 100_000)


_MOMENT_BLOCK = 16384  # rows per step when summing a segment's vectors


def _write_ivf(folder: Path, n: int, dim: int) -> None:
    """Partition a segment's vectors for pre-selection (an inverted file, IVF).

    Spherical k-means (faiss) over a fixed sample of 64 vectors per list gives
    about sqrt(units) centroids (``ivf.centroids.npy``, lists x dim float32);
    each unit goes to its nearest.  ``vectors.f32`` is then rewritten in list
    order, so a question reads each list it probes as one contiguous range:
    row ``r`` holds local unit ``ivf.units[r]`` (int32), list *i* is rows
    ``ivf.indptr[i]:ivf.indptr[i+1]``, and ``ivf.rows[u]`` is unit *u*'s row.
    ``moments.npz`` holds the vectors' sum (``sum``, dim float64) and the sum of
    their outer products (``gram``, dim x dim float64), from which any
    question's mean and standard deviation of inner products over every unit
    follow exactly.
    """
    import faiss

    path = folder / "vectors.f32"
    vectors = np.memmap(path, dtype=np.float32, mode="r", shape=(n, dim))
    total = np.zeros(dim, np.float64)
    gram = np.zeros((dim, dim), np.float64)
    for a in range(0, n, _MOMENT_BLOCK):
        block = np.asarray(vectors[a : a + _MOMENT_BLOCK], dtype=np.float64)
        total += block.sum(axis=0)
        gram += block.T @ block
    lists = max(1, min(int(round(n ** 0.5)), n // 39))  # k-means wants 39+ points per centroid
    rng = np.random.default_rng(0)
    sample = np.ascontiguousarray(vectors[np.sort(rng.choice(n, size=min(n, 64 * lists), replace=False))])
    kmeans = faiss.Kmeans(dim, lists, niter=10, seed=1, spherical=True, max_points_per_centroid=64)
    kmeans.train(sample)
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(kmeans.centroids)
    assign = np.empty(n, np.int64)
    for a in range(0, n, _MOMENT_BLOCK):
        _, nearest = quantizer.search(np.ascontiguousarray(vectors[a : a + _MOMENT_BLOCK]), 1)
        assign[a : a + len(nearest)] = nearest[:, 0]
    order = np.argsort(assign, kind="stable")  # row -> local unit
    rows = np.empty(n, np.int32)
    rows[order] = np.arange(n, dtype=np.int32)  # local unit -> row
    staged = folder / "vectors.f32.ivf"
    with open(staged, "wb") as fh:
        for a in range(0, n, _MOMENT_BLOCK):
            fh.write(np.ascontiguousarray(vectors[order[a : a + _MOMENT_BLOCK]]).tobytes())
    del vectors
    os.replace(staged, path)
    np.save(folder / "ivf.centroids.npy", np.ascontiguousarray(kmeans.centroids, dtype=np.float32))
    np.save(folder / "ivf.indptr.npy", np.searchsorted(assign[order], np.arange(lists + 1)).astype(np.int64))
    np.save(folder / "ivf.units.npy", order.astype(np.int32))
    np.save(folder / "ivf.rows.npy", rows)
    np.savez(folder / "moments.npz", sum=total, gram=gram)


def _collect(root: Path, keep: tuple[str, ...]) -> None:
    """Remove generations other than ``keep`` and the segments none of them uses
    (what a crashed writer left, or what merges replaced)."""
    used: set[str] = set()
    for name in keep:
        try:
            used |= {s["name"] for s in json.loads((root / name / "meta.json").read_text())["segments"]}
        except (OSError, ValueError, KeyError, TypeError):
            pass
    for old in root.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for seg in (root / "segments").glob("seg-*"):
        if seg.name not in used:
            shutil.rmtree(seg, ignore_errors=True)
def _report_part(home: Home, rid: str) -> dict:
    """One report's share of the index: units, their BM25 tokens and passage texts,
    entities, relations, and the report's normalised text.

    Computed once per report id (a report's content never changes under its id)
    and kept in ``index/parts/<id>.json``, so a rebuild after adding one report
    does not segment the whole corpus again.
    """
    path = home.index_dir / "parts" / f"{rid}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") == _PART_FORMAT:
            return cached
    except (OSError, ValueError):
        pass  # absent, damaged or from an older yanbao: rebuilt below
    report = home.load_report(rid)
    ext = home.load_extraction(rid)
    roles = dict(ext.section_roles)
    about = dict(ext.section_about)
    units: list[dict] = []
    for n, sec in enumerate(report.sections):
        line_start = sec.start + report.text[sec.start : sec.heading_end].find(sec.title)
        if line_start < sec.start:
            continue
        units.append(
            {
                "report_id": rid, "kind": "heading", "text": sec.title, "start": line_start,
                "end": line_start + len(sec.title), "section": list(sec.path),
                "role": _ROLE_NAMES.get(roles.get(sec.path, ""), "fact"),
                "entity_ids": list(about.get(sec.path, ())), "block": f"{rid}/h{n}", "claim_id": "",
            }
        )
    paragraph_of = {s.index: s.paragraph for s in report.sentences}
    for c in ext.claims:
        units.append(
            {
                "report_id": rid, "kind": "claim", "text": c.text, "start": c.start, "end": c.end,
                "section": list(c.section_path), "role": c.role,
                "entity_ids": list(dict.fromkeys(c.entity_ids + c.about)),
                "block": f"{rid}/p{paragraph_of.get(c.sentence_index, c.sentence_index)}", "claim_id": c.id,
            }
        )
    part = {
        "format": _PART_FORMAT,
        "report": {
            "id": rid,
            "title": report.title,
            "source": report.source,
            "topics": list(ext.topics),
            "related": [
                {"title": r.title, "blurb": r.blurb, "kind": r.kind, "key": search_form(r.title + " " + r.blurb).lower()}
                for r in report.related_reports
            ],
            "section_keys": _section_keys(report.title, units),
        },
        "units": units,
        "tokens": [search_tokens(u["text"] + " " + (u["section"][-1] if u["section"] else "")) for u in units],
        "bigrams": [char_bigrams(u["text"] + " " + (u["section"][-1] if u["section"] else "")) for u in units],
        "passages": [_passage_text(u) for u in units],
        "entities": [
            {"id": e.id, "cls": e.cls, "label": e.label, "keys": list(dict.fromkeys(match_key(f) for f in (e.label, *e.aliases)))}
            for e in ext.entities
        ],
        "relations": [[r.subject, r.predicate, r.object, r.claim_id] for r in ext.relations],
    }
    atomic_write_text(path, json.dumps(part, ensure_ascii=False))
    return part


def _section_keys(title: str, units: list[dict]) -> list[str]:
    """Match keys of each top-level section's text, each with the report's title:
    the places where a question's terms must meet for the report to cover it."""
    groups: dict[str, list[str]] = {}
    for u in units:
        groups.setdefault(u["section"][0] if u["section"] else "", []).append(u["text"])
    return [search_key(title + "\n" + "\n".join(texts)) for texts in groups.values()] or [search_key(title)]


_ROLE_NAMES = {"actor": "actor-fact", "driver": "driver", "challenge": "challenge", "trend": "trend", "strategy": "strategy"}


def _current_name(root: Path) -> str:
    try:
        return (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def _cache_path(home: Home, model: str) -> Path:
    return home.index_dir / "embcache" / (re.sub(r"[^\w.-]+", "_", model) + ".sqlite")


def _embed_with_cache(home: Home, embedder: Embedder, texts: list[str], settings, progress) -> np.ndarray:
    """Embed ``texts``, reusing vectors cached by (model, text hash).

    The cache is an SQLite table looked up by hash, so a small update reads and
    writes only its own texts' vectors (the whole cache is never loaded).
    """
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    path = _cache_path(home, embedder.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS vec (h TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        _import_npz_cache(conn, path.with_suffix(".npz"), embedder.dim)
        hashes = [content_hash(t, 24) for t in texts]
        unique = list(dict.fromkeys(hashes))
        found: dict[str, bytes] = {}
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            found.update(conn.execute(f"SELECT h, v FROM vec WHERE h IN ({','.join('?' * len(chunk))})", chunk))
        missing = [h for h in unique if h not in found]
        if missing:
            by_hash = dict(zip(hashes, texts))
            todo = [by_hash[h] for h in missing]
            batch = max(1, settings.embed_batch)
            for i in range(0, len(todo), batch):
                if progress:
                    progress("embed", i, len(todo))
                new = np.asarray(embedder.embed_passages(todo[i : i + batch]), dtype=np.float32)
                rows = [(h, new[j].tobytes()) for j, h in enumerate(missing[i : i + batch])]
                conn.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
                found.update(rows)
            if progress:
                progress("embed", len(todo), len(todo))
            conn.commit()
    finally:
        conn.close()
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = np.frombuffer(found[h], dtype=np.float32)
    return out


def _import_npz_cache(conn: sqlite3.Connection, old: Path, dim: int) -> None:
    """Move a cache of an older yanbao (one ``.npz``) into the table, once."""
    if not old.exists():
        return
    try:
        with np.load(old, allow_pickle=False) as data:
            keys, vecs = [str(k) for k in data["keys"]], data["vectors"].astype(np.float32)
        if vecs.ndim == 2 and vecs.shape[1] == dim:
            conn.executemany("INSERT OR IGNORE INTO vec VALUES (?, ?)", ((k, vecs[i].tobytes()) for i, k in enumerate(keys)))
            conn.commit()
    except (OSError, ValueError, KeyError):
        pass  # a damaged old cache is only a cache
    old.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _PostingsWriter:
    """Raw BM25 postings, built one document at a time (an empty document counts
    as the one token ∅, as bm25s indexes it): per vocabulary column, the
    documents holding the token (``indices``, ascending) and its frequency in
    each (``tf``), with ``indptr`` the columns' starts; ``lengths`` per document."""

    def __init__(self) -> None:
        from array import array

        self.vocab: dict[str, int] = {}
        self.cols, self.rows, self.tfs, self.lengths = array("i"), array("i"), array("f"), array("i")

    def add(self, toks: list[str]) -> None:
        toks = toks or ["∅"]
        doc = len(self.lengths)
        self.lengths.append(len(toks))
        vocab = self.vocab
        for tok, tf in Counter(toks).items():
            col = vocab.get(tok)
            if col is None:
                col = vocab[tok] = len(vocab)
            self.cols.append(col)
            self.rows.append(doc)
            self.tfs.append(tf)

    def save(self, folder: Path) -> dict[str, int]:
        """Write the arrays; returns the vocabulary (token → column), kept in SQLite by the caller."""
        folder.mkdir(parents=True, exist_ok=True)
        cols = np.frombuffer(self.cols, dtype=np.int32) if len(self.cols) else np.zeros(0, np.int32)
        order = np.argsort(cols, kind="stable")  # by column, documents ascending within one
        np.save(folder / "indices.npy", np.frombuffer(self.rows, dtype=np.int32)[order] if len(self.rows) else np.zeros(0, np.int32))
        np.save(folder / "tf.npy", np.frombuffer(self.tfs, dtype=np.float32)[order] if len(self.tfs) else np.zeros(0, np.float32))
        np.save(folder / "indptr.npy", np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=len(self.vocab)))]).astype(np.int64))
        np.save(folder / "lengths.npy", np.asarray(self.lengths, dtype=np.int32))
        return self.vocab


def _write_postings(folder: Path, docs: Iterable[list[str]]) -> dict[str, int]:
    """Raw BM25 postings of ``docs`` (any iterable, read once; see :class:`_PostingsWriter`); returns the vocabulary."""
    writer = _PostingsWriter()
    for toks in docs:
        writer.add(toks)
    return writer.save(folder)


class _ListsWriter:
    """Integer lists by key (an entity's units, a topic's reports), built one value
    at a time: per vocabulary column (keys numbered in order of first use), its
    values in the order added (``values.npy``, int32) from ``indptr.npy[col]``
    to ``indptr.npy[col + 1]`` (int64)."""

    def __init__(self) -> None:
        from array import array

        self.vocab: dict[str, int] = {}
        self.cols, self.values = array("i"), array("i")

    def add(self, key: str, value: int) -> None:
        col = self.vocab.get(key)
        if col is None:
            col = self.vocab[key] = len(self.vocab)
        self.cols.append(col)
        self.values.append(value)

    def save(self, folder: Path) -> dict[str, int]:
        """Write the arrays; returns the vocabulary (key → column), kept in SQLite by the caller."""
        folder.mkdir(parents=True, exist_ok=True)
        cols = np.frombuffer(self.cols, dtype=np.int32) if len(self.cols) else np.zeros(0, np.int32)
        values = np.frombuffer(self.values, dtype=np.int32) if len(self.values) else np.zeros(0, np.int32)
        np.save(folder / "values.npy", values[np.argsort(cols, kind="stable")])  # by column, in order added
        np.save(folder / "indptr.npy", np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=len(self.vocab)))]).astype(np.int64))
        return self.vocab


# The segment's integer lists: vocabulary kind → folder.  eu: an entity's units (local
# uids, ascending); er: the reports listing the entity (segment ranks, in listing order);
# topic: the reports having the topic (a search key; segment ranks, ascending).
_LISTS = {"eu": "entity.units", "er": "entity.reports", "topic": "topic.reports"}
# The keys' character-pair postings: vocabulary kind → folder (sections, teasers).
_GRAMS = {"sec": "sections.grams", "tea": "teasers.grams"}


def _write_keys(base: Path, keys: list[str]) -> None:
    """The match keys joined by NUL (UTF-8: a byte match of a whole string falls on
    character boundaries) and each one's byte offset."""
    starts, parts, pos = [], [], 0
    for key in keys:
        raw = key.encode("utf-8")
        starts.append(pos)
        parts.append(raw)
        pos += len(raw) + 1
    base.with_suffix(".bin").write_bytes(b"\x00".join(parts))
    np.save(base.with_suffix(".starts.npy"), np.asarray(starts, dtype=np.int64))


class _SegmentWriter:
    """A segment's records (SQLite), per-unit arrays, postings and match-key
    texts, written one report part at a time.

    Entities are kept per report (rank, position) with their keys, so a reader
    merges them over the live reports as one build over those reports would.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.conn = sqlite3.connect(folder / "records.sqlite")
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.executescript(
            """
            CREATE TABLE units (uid INTEGER PRIMARY KEY, report_id TEXT, kind TEXT, text TEXT, start INTEGER,
                                "end" INTEGER, section TEXT, role TEXT, entity_ids TEXT, block TEXT, claim_id TEXT);
            CREATE TABLE reports (rank INTEGER PRIMARY KEY, id TEXT UNIQUE, units INTEGER, body TEXT);
            CREATE TABLE entity_reports (n INTEGER PRIMARY KEY, eid TEXT, rank INTEGER, pos INTEGER, cls TEXT,
                                         label TEXT, keys TEXT);
            CREATE TABLE entity_keys (n INTEGER PRIMARY KEY, key TEXT, eid TEXT, rank INTEGER, pos INTEGER, kpos INTEGER);
            CREATE TABLE relations (n INTEGER PRIMARY KEY, s TEXT, p TEXT, o TEXT, claim TEXT, rank INTEGER);
            CREATE TABLE vocab (kind TEXT, token TEXT, col INTEGER, PRIMARY KEY (kind, token)) WITHOUT ROWID;
            CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);
            """
        )
        self.postings = {"bm25": _PostingsWriter(), "bm25c": _PostingsWriter()}
        # per entity: the units naming it, the reports (segment ranks) listing it; per topic: its reports
        self.lists = {kind: _ListsWriter() for kind in _LISTS}
        self.unit_report: list[int] = []
        self.unit_role: list[str] = []
        self.sections: list[tuple[int, str]] = []
        self.teasers: list[tuple[int, int, str, str]] = []  # (rank, position, match key, title)
        self.counts: list[int] = []
        self.titles: list[str] = []
        self.n_units = 0
        self.longest = 0

    def add(self, part: dict) -> None:
        """Append one report part (see :func:`_report_part`)."""
        rank, rep = len(self.counts), part["report"]
        rid, units, uid0 = rep["id"], part["units"], self.n_units
        dumps = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
        conn = self.conn
        conn.executemany(
            "INSERT INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((uid0 + i, u["report_id"], u["kind"], u["text"], u["start"], u["end"], dumps(u["section"]), u["role"],
              dumps(u["entity_ids"]), u["block"], u.get("claim_id", "")) for i, u in enumerate(units)),
        )
        # without its section keys (the bulk of it: sections.bin holds them, read back on demand)
        body = {k: v for k, v in rep.items() if k != "section_keys"}
        conn.execute("INSERT INTO reports VALUES (?,?,?,?)", (rank, rid, len(units), dumps(body)))
        conn.executemany("INSERT INTO entity_reports (eid, rank, pos, cls, label, keys) VALUES (?,?,?,?,?,?)",
                         ((e["id"], rank, pos, e["cls"], e["label"], dumps(e["keys"])) for pos, e in enumerate(part["entities"])))
        conn.executemany("INSERT INTO entity_keys (key, eid, rank, pos, kpos) VALUES (?,?,?,?,?)",
                         ((k, e["id"], rank, pos, kpos) for pos, e in enumerate(part["entities"])
                          for kpos, k in enumerate(e["keys"]) if len(k) >= 2))
        self.longest = max([self.longest] + [len(k) for e in part["entities"] for k in e["keys"]])
        conn.executemany("INSERT INTO relations (s, p, o, claim, rank) VALUES (?,?,?,?,?)",
                         ((*r, rank) for r in part["relations"]))
        for i, u in enumerate(units):
            for eid in u["entity_ids"]:
                self.lists["eu"].add(eid, uid0 + i)
        for e in part["entities"]:
            self.lists["er"].add(e["id"], rank)
        for t in rep.get("topics", ()):
            self.lists["topic"].add(search_key(t), rank)
        for toks in part["tokens"]:
            self.postings["bm25"].add(toks)
        for grams in part["bigrams"]:
            self.postings["bm25c"].add(grams)
        self.unit_report += [rank] * len(units)
        self.unit_role += [u["role"] for u in units]
        self.sections += [(rank, key) for key in rep["section_keys"]]
        self.teasers += [(rank, n, rr["key"], rr["title"]) for n, rr in enumerate(rep["related"])]
        self.counts.append(len(units))
        self.titles.append(rep["title"])
        self.n_units += len(units)

    def finish(self) -> list[str]:
        """Write the arrays, vocabularies and indexes; returns the role names
        (``unit_role.npy`` holds indices into it)."""
        folder, conn = self.folder, self.conn
        np.save(folder / "unit_report.npy", np.asarray(self.unit_report, dtype=np.int32))
        roles = sorted(set(self.unit_role))
        code = {r: i for i, r in enumerate(roles)}
        np.save(folder / "unit_role.npy", np.asarray([code[r] for r in self.unit_role], dtype=np.int16))
        np.save(folder / "sections.report.npy", np.asarray([r for r, _ in self.sections], dtype=np.int32))
        _write_keys(folder / "sections", [k for _, k in self.sections])
        # each section key's distinct character pairs: a term's sections are then found from
        # its pairs' postings, not by searching the whole key text (see _Segment.sections_containing)
        for kind, keys in (("sec", [k for _, k in self.sections]), ("tea", [k for _, _, k, _ in self.teasers])):
            grams = _write_postings(folder / _GRAMS[kind], (list({k[i : i + 2] for i in range(len(k) - 1)}) for k in keys))
            conn.executemany("INSERT INTO vocab VALUES (?,?,?)", ((kind, g, c) for g, c in grams.items()))
        np.save(folder / "teasers.report.npy", np.asarray([[r, n] for r, n, _, _ in self.teasers], dtype=np.int32).reshape(-1, 2))
        _write_keys(folder / "teasers", [k for _, _, k, _ in self.teasers])
        # the titles, read by row (not searched): the related-report ranking needs no record for most teasers
        _write_keys(folder / "teaser_titles", [t for _, _, _, t in self.teasers])
        for kind, writer in {**self.postings, **self.lists}.items():
            vocab = writer.save(folder / _LISTS.get(kind, kind))
            conn.executemany("INSERT INTO vocab VALUES (?,?,?)", ((kind, t, c) for t, c in vocab.items()))
        conn.execute("INSERT INTO meta VALUES ('longest_key', ?)", (str(self.longest),))
        conn.executescript(
            """
            CREATE INDEX entity_reports_eid ON entity_reports (eid);
            CREATE INDEX entity_keys_key ON entity_keys (key);
            CREATE INDEX relations_s ON relations (s, o, rank);
            CREATE INDEX relations_o ON relations (o, s, rank);
            """
        )
        conn.commit()
        return roles

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- reading
class _Records:
    """A read-only connection to a segment's ``records.sqlite`` (shared by threads)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise OSError(f"{path.name} is missing")
        # immutable: a segment is never written once live (no locks, no journal)
        self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)

    def one(self, sql: str, args=()):
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args=()) -> list:
        return self.conn.execute(sql, args).fetchall()


def _open_bytes(path: Path):
    """The file's bytes, memory-mapped (an empty file as empty bytes)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class _Keys:
    """Match keys (of sections or teasers) in one memory-mapped UTF-8 text,
    NUL-separated: a term's keys are found with a few C-level searches instead
    of one per key, without reading the text at load."""

    def __init__(self, base: Path) -> None:
        self.text = _open_bytes(base.with_suffix(".bin"))
        self.starts = np.load(base.with_suffix(".starts.npy"))

    def containing(self, term: str) -> np.ndarray:
        """Indices of the keys containing ``term`` (ascending).

        One C-level search per key found (resumed at the next key), with the C
        library's ``memmem`` where there is one: on UTF-8 Chinese text it skips
        about three times faster than ``bytes.find``.
        """
        if not hasattr(self, "_starts"):
            self._starts = self.starts.tolist() + [len(self.text) + 1]  # Python ints: bisect without numpy per hit
        found: list[int] = []
        starts, right = self._starts, bisect.bisect_right
        needle = term.encode("utf-8")
        find = self._finder()
        pos = find(needle, 0) if needle else -1
        while pos != -1:
            i = right(starts, pos) - 1
            found.append(i)
            pos = find(needle, starts[i + 1])
        return np.asarray(found, dtype=np.int64)  # ascending and distinct: each key is left once found

    def key(self, i: int) -> str:
        """Key ``i`` (its bytes between its start and the next key's, less the NUL)."""
        end = int(self.starts[i + 1]) - 1 if i + 1 < len(self.starts) else len(self.text)
        return bytes(self.text[int(self.starts[i]) : end]).decode("utf-8")

    def holding(self, term: str, idx: np.ndarray) -> np.ndarray:
        """The keys among ``idx`` (ascending) that contain ``term``: one search within each."""
        if not hasattr(self, "_starts"):
            self._starts = self.starts.tolist() + [len(self.text) + 1]
        text, starts, needle = self.text, self._starts, term.encode("utf-8")
        return np.asarray([i for i in idx.tolist() if text.find(needle, starts[i], starts[i + 1] - 1) != -1],
                          dtype=np.int64)

    def _finder(self):
        """``find(needle, start)``: the first position of ``needle`` in the text at or
        after ``start``, or -1 (``bytes.find``'s result)."""
        if "_find" not in self.__dict__:
            memmem, text = _memmem(), self.text
            if memmem is None or not len(text):
                self._find = text.find
            else:
                import ctypes

                buf = np.frombuffer(text, dtype=np.uint8)  # holds the mapping while the finder lives
                base, size = buf.ctypes.data, len(buf)

                def find(needle: bytes, start: int) -> int:
                    # the next few KiB with bytes.find (a term found in most keys is found
                    # there, and a ctypes call costs more), then the rest with memmem
                    hit = text.find(needle, start, start + _NEAR)
                    start = max(start, start + _NEAR - len(needle) + 1)
                    if hit != -1 or start > size - len(needle):
                        return hit
                    hit = memmem(ctypes.c_void_p(base + start), size - start, needle, len(needle))
                    return hit - base if hit else -1

                find.buffer = buf
                self._find = find
        return self._find


def _memmem():
    """The C library's ``memmem`` (ctypes), or None where it is not found (Windows)."""
    global _MEMMEM
    if _MEMMEM is False:
        try:
            import ctypes

            fn = ctypes.CDLL(None).memmem
            fn.restype = ctypes.c_void_p
            fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
            _MEMMEM = fn
        except (OSError, AttributeError, TypeError):
            _MEMMEM = None
    return _MEMMEM


_MEMMEM = False  # not looked up yet
_NEAR = 4096  # bytes searched with bytes.find before memmem takes over
_VERIFY_AT_MOST = 8000  # a term is looked for key by key in at most this many keys (else in the whole text)


class _Segment:
    """One segment, opened: its records, arrays (mapped) and which of its units are live."""

    def __init__(self, folder: Path, dead: set[str], dim: int) -> None:
        self.folder = folder
        meta = json.loads((folder / "meta.json").read_text())
        self.report_ids: list[str] = meta["reports"]
        self.titles: list[str] = meta["titles"]
        self.counts: list[int] = meta["report_units"]
        self.roles: list[str] = meta["roles"]
        self.n_units = int(meta["units"])
        self.records = _Records(folder / "records.sqlite")
        self.unit_report = np.load(folder / "unit_report.npy", mmap_mode="r")
        self.unit_role = np.load(folder / "unit_role.npy", mmap_mode="r")
        if (folder / "vectors.f32").stat().st_size != 4 * self.n_units * dim or len(self.unit_report) != self.n_units:
            raise ValueError(f"{folder.name}: the arrays are not the size its meta says")
        self.dim = dim
        self._vectors: np.ndarray | None = None
        # large segments: an IVF partition of the vectors (centroids, list bounds, units per list)
        self.ivf = None  # (centroids, indptr, units: row -> local unit, rows: local unit -> row)
        if (folder / "ivf.units.npy").exists():
            self.ivf = (np.load(folder / "ivf.centroids.npy"), np.load(folder / "ivf.indptr.npy"),
                        np.load(folder / "ivf.units.npy", mmap_mode="r"), np.load(folder / "ivf.rows.npy", mmap_mode="r"))
        self._moments: tuple[np.ndarray, np.ndarray, int] | None = None
        self.report_live = np.asarray([rid not in dead for rid in self.report_ids], dtype=bool)
        self.all_live = bool(self.report_live.all())
        # an SQL condition leaving out the removed reports' rows (by their rank in the segment)
        dead_ranks = np.flatnonzero(~self.report_live).tolist()
        self.dead_sql = f"AND rank NOT IN ({','.join(map(str, dead_ranks))})" if dead_ranks else ""
        # local unit → live or not (None: all live)
        self.live_units = None if self.all_live else np.flatnonzero(self.report_live[np.asarray(self.unit_report)])
        self.sections = _Keys(folder / "sections")
        self.section_report = np.load(folder / "sections.report.npy", mmap_mode="r")
        self.teasers = _Keys(folder / "teasers")
        self.teaser_titles = _Keys(folder / "teaser_titles")
        self.teaser_rows = np.load(folder / "teasers.report.npy")
        self.postings = {kind: _Postings(folder / kind) for kind in ("bm25", "bm25c")}
        self.grams = {kind: _Postings(folder / name) for kind, name in _GRAMS.items()}
        self.lists = {kind: _Lists(folder / name) for kind, name in _LISTS.items()}
        self._cols: dict[tuple[str, str], int | None] = {}
        self._key_memo: dict[str, list[tuple[str, int]]] = {}

    def key_entities(self, keys: list[str]) -> dict[str, list[tuple[str, int]]]:
        """Per match key: the (entity id, first use) pairs of the live reports naming an
        entity by it, first use packed as ``rank << 32 | position << 16 | key position``
        (the smallest over the key's rows; segment ranks).  Looked up in batches and
        remembered per key: the segment never changes."""
        memo = self._key_memo
        missing = list(dict.fromkeys(k for k in keys if k not in memo))
        if len(memo) + len(missing) > 200000:
            memo.clear()
            missing = list(dict.fromkeys(keys))
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            found: dict[str, list[tuple[str, int]]] = {k: [] for k in chunk}
            for key, eid, first in self.records.all(
                f"SELECT key, eid, MIN((rank << 32) | (pos << 16) | kpos) FROM entity_keys "
                f"WHERE key IN ({','.join('?' * len(chunk))}) {self.dead_sql} GROUP BY key, eid", chunk
            ):
                found[key].append((eid, first))
            memo.update(found)
        return {k: memo[k] for k in keys}

    def section_keys(self, rank: int) -> list[str]:
        """The match keys of the sections of the report of segment rank ``rank``."""
        lo, hi = np.searchsorted(self.section_report, [rank, rank + 1])
        starts, text = self.sections.starts, self.sections.text
        ends = [int(starts[i + 1]) - 1 if i + 1 < len(starts) else len(text) for i in range(lo, hi)]
        return [bytes(text[int(starts[i]) : end]).decode("utf-8") for i, end in zip(range(lo, hi), ends)]

    def rows_of(self, local: np.ndarray) -> np.ndarray:
        """The rows of :attr:`vectors` holding local units ``local`` (a partitioned
        segment stores its vectors in list order)."""
        return local if self.ivf is None else np.asarray(self.ivf[3])[local]

    def scores(self, q: np.ndarray) -> np.ndarray:
        """Inner products of ``q`` with every unit of the segment, by local unit id
        (shape ``(units,)``; removed reports' units included)."""
        found = np.asarray(self.vectors) @ q
        return found if self.ivf is None else found[np.asarray(self.ivf[3])]

    @property
    def vectors(self) -> np.ndarray:
        """The unit vectors (shape ``(units, dim)``, float32; in list order when the
        segment is partitioned, see :meth:`rows_of`), mapped on first use.
        A segment scanned whole has its pages populated in one call
        (MAP_POPULATE): a product over every vector then takes no page fault per
        4 KiB, which at 10,000 reports was most of a cold ask.  A partitioned
        (IVF) segment is read a few lists at a time, so its pages come on demand."""
        if self._vectors is None:
            if not self.n_units:
                self._vectors = np.zeros((0, self.dim), np.float32)
            else:
                with open(self.folder / "vectors.f32", "rb") as fh:
                    if hasattr(mmap, "MAP_SHARED"):
                        populate = getattr(mmap, "MAP_POPULATE", 0) if self.ivf is None else 0
                        flags = mmap.MAP_SHARED | populate
                        buf = mmap.mmap(fh.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
                    else:  # Windows
                        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                self._vectors = np.frombuffer(buf, dtype=np.float32).reshape(self.n_units, self.dim)
        return self._vectors

    def moments(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The live units' vector sum (dim), second-moment matrix (dim x dim, the
        sum of outer products) and count, float64: the stored ones less the
        removed reports' rows (read once, then remembered).  Partitioned
        segments only."""
        if self._moments is None:
            with np.load(self.folder / "moments.npz") as stored:
                total, gram = stored["sum"], stored["gram"]
            count = self.n_units
            if not self.all_live:
                dead = np.flatnonzero(~self.report_live[np.asarray(self.unit_report)])
                for a in range(0, len(dead), _MOMENT_BLOCK):
                    block = np.asarray(self.vectors[self.rows_of(dead[a : a + _MOMENT_BLOCK])], dtype=np.float64)
                    total = total - block.sum(axis=0)
                    gram = gram - block.T @ block
                count -= len(dead)
            self._moments = (total, gram, count)
        return self._moments

    def probe(self, q: np.ndarray, lists: int) -> tuple[np.ndarray, np.ndarray]:
        """The live units of the IVF lists whose centroids are nearest ``q`` (inner
        product) and their inner products with ``q``: ``(local ids, scores)``.
        The ``lists`` nearest lists are read, or fewer where lists are large
        (nearest first, at least one, while they hold at most ``lists`` times the
        mean list's units), each as one contiguous range of rows, so a question
        reads a bounded number of vectors.  Partitioned segments only."""
        centroids, indptr, units, _ = self.ivf
        closeness = centroids @ q
        lists = min(lists, len(closeness))
        nearest = np.argpartition(-closeness, lists - 1)[:lists]
        nearest = nearest[np.argsort(-closeness[nearest], kind="stable")]
        sizes = np.cumsum(indptr[nearest + 1] - indptr[nearest])
        nearest = nearest[: max(1, int(np.searchsorted(sizes, lists * indptr[-1] / len(closeness), side="right")))]
        vectors = np.asarray(self.vectors)
        local = np.concatenate([np.asarray(units[indptr[i] : indptr[i + 1]]) for i in nearest]).astype(np.int64)
        found = np.concatenate([vectors[indptr[i] : indptr[i + 1]] @ q for i in nearest])
        if not self.all_live:
            live = self.report_live[np.asarray(self.unit_report)[local]]
            local, found = local[live], found[live]
        order = np.argsort(local)
        return local[order], found[order]

    def sections_containing(self, term: str) -> np.ndarray:
        """Local indices (ascending) of the section keys containing ``term``; see :meth:`_containing`."""
        return self._containing(term, self.sections, "sec")

    def teasers_containing(self, term: str) -> np.ndarray:
        """Local indices (ascending) of the teaser keys containing ``term``; see :meth:`_containing`."""
        return self._containing(term, self.teasers, "tea")

    def _containing(self, term: str, keys: _Keys, kind: str) -> np.ndarray:
        """Local indices (ascending) of the ``keys`` containing ``term`` (a search
        key): the keys holding every character pair of it (the pairs' postings
        of vocabulary ``kind``, rarest first), each then searched for the term in
        place (a two-character term is its own pair: no search).  The same keys
        as a scan of the whole text (:meth:`_Keys.containing`), without reading it."""
        if len(term) < 2:
            return keys.containing(term)
        lists = []
        for gram in {term[i : i + 2] for i in range(len(term) - 1)}:
            col = self.col(kind, gram)
            if col is None:
                return np.zeros(0, np.int64)
            lists.append(self.grams[kind].column(col)[0])
        lists.sort(key=len)
        found = lists[0].astype(np.int64)
        for other in lists[1:]:
            if not len(found):
                break
            found = found[np.isin(found, other, assume_unique=True)]
        return found if len(term) == 2 else keys.holding(term, found)

    def list_of(self, kind: str, key: str) -> np.ndarray:
        """``key``'s list of kind ``kind`` (see :data:`_LISTS`; int64, empty if none)."""
        return self.lists[kind].column(self.col(kind, key))

    def col(self, kind: str, token: str) -> int | None:
        """The vocabulary column of ``token`` in this segment's ``kind`` postings or lists."""
        key = (kind, token)
        if key not in self._cols:
            row = self.records.one("SELECT col FROM vocab WHERE kind = ? AND token = ?", key)
            self._cols[key] = None if row is None else int(row[0])
        return self._cols[key]


class _Postings:
    """A segment's raw BM25 postings (see :func:`_write_postings`), mapped."""

    def __init__(self, folder: Path) -> None:
        self.indptr = np.load(folder / "indptr.npy", mmap_mode="r")
        self.indices = np.load(folder / "indices.npy", mmap_mode="r")
        self.tf = np.load(folder / "tf.npy", mmap_mode="r")
        self.lengths = np.load(folder / "lengths.npy", mmap_mode="r")

    def column(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.indptr[col]), int(self.indptr[col + 1])
        return np.asarray(self.indices[a:b]), np.asarray(self.tf[a:b])


class _Lists:
    """A segment's integer lists (see :class:`_ListsWriter`), mapped."""

    def __init__(self, folder: Path) -> None:
        self.indptr = np.load(folder / "indptr.npy", mmap_mode="r")
        self.values = np.load(folder / "values.npy", mmap_mode="r")

    def column(self, col: int | None) -> np.ndarray:
        """The list of vocabulary column ``col`` (int64; empty for None)."""
        if col is None:
            return np.zeros(0, np.int64)
        a, b = int(self.indptr[col]), int(self.indptr[col + 1])
        return np.asarray(self.values[a:b], dtype=np.int64)


class _Bm25Scores:
    """BM25 (Lucene variant, as bm25s scores it) over the live units of all segments.

    The statistics a BM25 weight needs beyond the postings — the number of
    units, their mean length and each token's document frequency — are
    counted over the live units when the index is loaded (the first two) or a
    token is first looked up (the third), so removed reports weigh nothing
    and a segmented index scores exactly as one built from scratch.
    """

    def __init__(self, index: "SearchIndex", kind: str) -> None:
        self._index, self._kind = index, kind
        total = 0
        for seg in index._segments:
            lengths = seg.postings[kind].lengths
            total += int(np.asarray(lengths).sum() if seg.all_live else np.asarray(lengths)[seg.live_units].sum())
        self.n_docs = len(index.units)
        self._avgdl = total / self.n_docs if self.n_docs else 1.0
        self._memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def weights(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """The live units holding ``token`` (ascending) and its BM25 weight in each."""
        hit = self._memo.get(token)
        if hit is not None:
            return hit
        uids, tfs, lens = [], [], []
        for seg, offset in zip(self._index._segments, self._index._offsets):
            col = seg.col(self._kind, token)
            if col is None:
                continue
            post = seg.postings[self._kind]
            docs, tf = post.column(col)
            glob = self._index._global_uids(seg, offset, docs)
            keep = glob >= 0
            uids.append(glob[keep])
            tfs.append(tf[keep])
            lens.append(np.asarray(post.lengths)[docs[keep]])
        if uids:
            uid = np.concatenate(uids)
            tf = np.concatenate(tfs).astype(np.float64)
            length = np.concatenate(lens).astype(np.float64)
        else:
            uid, tf, length = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        df = len(uid)
        idf = np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)) if df else 0.0
        weight = (idf * tf / (_K1 * ((1 - _B) + _B * length / self._avgdl) + tf)).astype(np.float32)
        if len(self._memo) > 50000:
            self._memo.clear()
        self._memo[token] = (uid, weight)
        return uid, weight

    def postings(self, token: str) -> np.ndarray:
        """Indices of the units that contain ``token``."""
        return self.weights(token)[0]

    def bound(self, tokens: list[str]) -> float:
        """The best score a unit could reach: each token's best weight, summed."""
        total = 0.0
        for tok in tokens:
            _, w = self.weights(tok)
            if len(w):
                total += float(np.max(w))
        return total

    def scores(self, tokens: list[str]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for tok in tokens:
            uid, w = self.weights(tok)
            out[uid] += w  # a token's units are distinct
        return out


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values`` (ascending), ties to the first
    positions: the ``k`` a stable sort by descending value would put first."""
    if len(values) <= k:
        return np.arange(len(values))
    kth = -np.partition(-values, k - 1)[k - 1]
    above = np.flatnonzero(values > kth)
    return np.sort(np.concatenate([above, np.flatnonzero(values == kth)[: k - len(above)]]))


class _ReportOf:
    """Row → report id, from an array of report ranks."""

    def __init__(self, ranks: np.ndarray, report_ids: list[str]) -> None:
        self._ranks, self._ids = ranks, report_ids

    def __len__(self) -> int:
        return len(self._ranks)

    def __getitem__(self, i) -> str:
        return self._ids[int(self._ranks[int(i)])]


class _TeaserIds:
    """Teaser row → (report id, its position in that report's related list)."""

    def __init__(self, rows: np.ndarray, report_ids: list[str]) -> None:
        self._rows, self._ids = rows, report_ids

    def __getitem__(self, i) -> tuple[str, int]:
        r, n = self._rows[int(i)]
        return self._ids[int(r)], int(n)


class _SectionText:
    """The match keys of every live report section (or teaser), over all segments,
    numbered in index order: ``containing(term)`` finds a term's sections."""

    def __init__(self, index: "SearchIndex", teasers: bool) -> None:
        self._parts = []  # per segment: its keys, local key → global row (-1: removed), or an offset
        self._titles = []  # per segment: its teasers' titles (teasers only)
        self._live = []  # per segment: the local keys of its live rows, in row order
        self._first = []  # per segment: its first global row
        ranks, rows, start = [], [], 0
        for seg in index._segments:
            local = seg.teaser_rows[:, 0] if teasers else np.asarray(seg.section_report)
            keys = seg.teasers if teasers else seg.sections
            live = seg.report_live[local] if len(local) else np.zeros(0, bool)
            mapping = np.full(len(local), -1, dtype=np.int64)
            mapping[live] = start + np.arange(int(live.sum()))
            self._first.append(start)
            self._live.append(np.flatnonzero(live))
            self._titles.append(seg.teaser_titles if teasers else None)
            start += int(live.sum())
            self._parts.append((keys, mapping, seg.teasers_containing if teasers else seg.sections_containing))
            rank_map = index._rank_maps[len(ranks)]
            ranks.append(rank_map[local[live]] if len(local) else np.zeros(0, np.int64))
            if teasers:
                rows.append(np.stack([rank_map[local[live]], seg.teaser_rows[live, 1]], axis=1) if len(local)
                            else np.zeros((0, 2), np.int64))
        all_ranks = np.concatenate(ranks) if ranks else np.zeros(0, np.int64)
        self.report_ranks = all_ranks  # per section: its report's rank in the index
        self.report_of = _ReportOf(all_ranks, index.report_ids)
        self.ids = _TeaserIds(np.concatenate(rows) if rows else np.zeros((0, 2), np.int64), index.report_ids) if teasers else None
        self._cache: dict[str, np.ndarray] = {}

    def containing(self, term: str) -> np.ndarray:
        """Indices of the sections whose text contains ``term`` (cached per term:
        questions to one corpus share most of their words)."""
        hit = self._cache.get(term)
        if hit is not None:
            return hit
        # A section holding the term holds each part of it: a glued word (医药企业) is
        # looked for only in the sections of its rarest part already looked up (医药).
        parts = [self._cache.get(term[i:j]) for i in range(len(term)) for j in range(i + 2, len(term) + 1)
                 if j - i < len(term)]
        within = min((p for p in parts if p is not None), key=len, default=None)
        if within is not None and len(within) <= _VERIFY_AT_MOST:
            result = self._verify(term, within)
        else:
            found = [mapping[find(term)] for _, mapping, find in self._parts]
            result = np.concatenate(found) if found else np.zeros(0, np.int64)
            result = result[result >= 0]
        if len(self._cache) > 20000:
            self._cache.clear()
        self._cache[term] = result
        return result

    def _verify(self, term: str, rows: np.ndarray) -> np.ndarray:
        """The rows among ``rows`` (ascending) whose text contains ``term``."""
        out, start = [], 0
        for keys, mapping, _ in self._parts:
            live = np.flatnonzero(mapping >= 0)
            lo, hi = np.searchsorted(rows, [start, start + len(live)])
            if hi > lo:
                local = live[rows[lo:hi] - start]
                out.append(mapping[keys.holding(term, local)])
            start += len(live)
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def _where(self, row: int) -> tuple[int, int]:
        """(segment index, local key) of global row ``row``."""
        k = bisect.bisect_right(self._first, row) - 1
        return k, int(self._live[k][row - self._first[k]])

    def title(self, row: int) -> str:
        """The title of teaser row ``row`` (read in place, remembered); teasers only."""
        memo = self.__dict__.setdefault("_title_memo", {})
        found = memo.get(row)
        if found is None:
            k, local = self._where(row)
            if len(memo) > 200000:
                memo.clear()
            found = memo[row] = self._titles[k].key(local)
        return found

    def first_row(self, rank: int) -> int:
        """The first teaser row of the report of index rank ``rank`` (its teasers'
        rows follow in their order); teasers only."""
        return int(np.searchsorted(self.ids._rows[:, 0], rank))


class _Units:
    """The live units, read by uid from their segment's SQLite (remembered) — a
    read-only sequence numbered over the live units in index order."""

    def __init__(self, index: "SearchIndex", n: int) -> None:
        self._index, self._n, self._memo = index, n, {}

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def _unit(uid: int, row) -> Unit:
        _, rid, kind, text, start, end, section, role, entity_ids, block, claim_id = row
        return Unit(uid=uid, report_id=rid, kind=kind, text=text, start=start, end=end, section=tuple(json.loads(section)),
                    role=role, entity_ids=tuple(json.loads(entity_ids)), block=block, claim_id=claim_id)

    def __getitem__(self, i: int) -> Unit:
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        unit = self._memo.get(i)
        if unit is None:
            seg, local = self._index._locate(i)
            unit = self._memo[i] = self._unit(i, seg.records.one("SELECT * FROM units WHERE uid = ?", (local,)))
        return unit

    def many(self, uids) -> list[Unit]:
        """The units ``uids`` (global ids, in that order), those not yet remembered
        read with one query per segment and 500 ids (as ``[self[u] for u in uids]``)."""
        uids = [int(u) for u in uids]
        for u in uids:
            if not 0 <= u < self._n:
                raise IndexError(u)
        missing = np.asarray([u for u in dict.fromkeys(uids) if u not in self._memo], dtype=np.int64)
        where = np.searchsorted(self._index._offsets_arr, missing, side="right") - 1  # each one's segment
        for k in np.unique(where).tolist():
            seg, glob_ids = self._index._segments[k], missing[where == k]
            rel = glob_ids - self._index._offsets[k]
            pairs = list(zip((rel if seg.all_live else seg.live_units[rel]).tolist(), glob_ids.tolist()))  # (local, global)
            for a in range(0, len(pairs), 500):
                glob = dict(pairs[a : a + 500])
                rows = seg.records.all(f"SELECT * FROM units WHERE uid IN ({','.join('?' * len(glob))})", list(glob))
                for row in rows:
                    self._memo[glob[row[0]]] = self._unit(glob[row[0]], row)
        return [self._memo[u] for u in uids]

    def __iter__(self):
        uid = 0
        for seg in self._index._segments:
            live = seg.report_live
            ranks = np.asarray(seg.unit_report)
            for row in seg.records.conn.execute("SELECT * FROM units ORDER BY uid"):
                if live[ranks[row[0]]]:
                    yield self._unit(uid, row)
                    uid += 1


class _Reports:
    """Live reports by id, each a dict read from its segment on demand
    (remembered); iterates in index order.  A read-only mapping."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index, self._memo = index, {}

    def get(self, key, default=None):
        if key not in self._memo:
            seg = self._index._segment_of.get(key)
            row = None if seg is None else seg.records.one("SELECT body FROM reports WHERE id = ?", (key,))
            if row is None:
                self._memo[key] = None
            else:
                body = json.loads(row[0])
                body["section_keys"] = seg.section_keys(self._index._local_rank[key])
                self._memo[key] = body
        value = self._memo[key]
        return default if value is None else value

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return key in self._index._segment_of

    def __len__(self) -> int:
        return len(self._index.report_ids)

    def __iter__(self):
        return iter(self._index.report_ids)

    def keys(self):
        return list(self)

    def items(self):
        return [(k, self[k]) for k in self]

    def values(self):
        return [self[k] for k in self]


class _Entities:
    """Entity id → its record (id, class, label, match keys, reports) merged over
    the live reports that name it, as one build over those reports merges them:
    class and label from the first, keys in order of first use.  A read-only mapping."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index, self._memo = index, {}

    def _rows(self, where: str, args=()) -> list[tuple]:
        """(global report rank, position, eid, cls, label, keys) of the live entity rows."""
        out = []
        for seg, rank_map in zip(self._index._segments, self._index._rank_maps):
            rows = seg.records.all(f"SELECT rank, pos, eid, cls, label, keys FROM entity_reports {where}", args)
            ranks = rank_map[np.asarray([r[0] for r in rows], dtype=np.int64)].tolist() if rows else []
            out += [(g, *row[1:]) for g, row in zip(ranks, rows) if g >= 0]
        out.sort(key=lambda r: (r[0], r[1]))
        return out

    @staticmethod
    def _merge(rows: list[tuple], report_ids: list[str]) -> dict:
        _, _, eid, cls, label, _ = rows[0]
        keys: dict[str, None] = {}
        for raw in dict.fromkeys(row[5] for row in rows):  # most reports list the same keys
            keys.update(dict.fromkeys(json.loads(raw)))
        return {"id": eid, "cls": cls, "label": label, "keys": list(keys), "reports": [report_ids[r[0]] for r in rows]}

    def get(self, eid, default=None):
        if eid not in self._memo:
            rows = self._rows("WHERE eid = ?", (eid,))
            if len(self._memo) > 50000:
                self._memo.clear()
            self._memo[eid] = self._merge(rows, self._index.report_ids) if rows else None
        value = self._memo[eid]
        return default if value is None else value

    def report_ranks(self, eid: str) -> np.ndarray:
        """Index ranks of the live reports naming the entity, in the order of its
        record's ``reports`` (shape ``(reports,)``, int64; empty if unknown; remembered).
        Read from the rank column alone when the record is not at hand."""
        memo = self.__dict__.setdefault("_ranks_memo", {})
        if eid not in memo:
            if len(memo) > 50000:
                memo.clear()
            if eid in self._memo:
                rank = self._index.report_rank
                memo[eid] = np.asarray([rank[r] for r in (self._memo[eid] or {}).get("reports", ())], dtype=np.int64)
            else:
                # rows go in report by report (rank, then position: the rowid order, which
                # the list keeps), and the segments in index order: their live ranks are the record's
                parts = []
                for seg, rank_map in zip(self._index._segments, self._index._rank_maps):
                    ranks = rank_map[seg.list_of("er", eid)]
                    parts.append(ranks[ranks >= 0])
                memo[eid] = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
        return memo[eid]

    def label(self, eid: str) -> str:
        """The entity's label (that of its first live mention, as :meth:`get` gives it)
        without reading the rest of its record: one indexed row per segment ("" if
        no live report names it)."""
        found = self._label(eid)
        return "" if found is None else found

    def labels(self, eids) -> list[str]:
        """The labels of those of ``eids`` a live report names, in order (as
        ``[self[e]["label"] for e in eids if e in self]``, without reading the records)."""
        return [lab for lab in map(self._label, eids) if lab is not None]

    def _label(self, eid: str) -> str | None:
        """The entity's label, or None when no live report names it (remembered)."""
        if eid in self._memo:
            value = self._memo[eid]
            return value["label"] if value else None
        memo = self.__dict__.setdefault("_label_memo", {})
        if eid in memo:
            return memo[eid]
        best: tuple[int, int, str] | None = None
        for seg, rank_map in zip(self._index._segments, self._index._rank_maps):
            row = seg.records.one(
                # rows go in report by report, in rank and position order: the rowid order
                # is theirs, and the (eid, rowid) index gives the first row without a sort
                f"SELECT rank, pos, label FROM entity_reports WHERE eid = ? {seg.dead_sql} ORDER BY n LIMIT 1",
                (eid,))
            if row is not None:
                at = (int(rank_map[row[0]]), row[1], row[2])
                if at[0] >= 0 and (best is None or at[:2] < best[:2]):
                    best = at
        if len(memo) > 50000:
            memo.clear()
        memo[eid] = best[2] if best else None
        return memo[eid]

    def first_use(self, eid: str) -> tuple[int, int]:
        """(report rank, position) where the entity is first named: its place in
        the order of a build's entity table."""
        best = (1 << 62, 0)
        for seg, rank_map in zip(self._index._segments, self._index._rank_maps):
            # rows go in report by report, in rank and position order: the first row by
            # rowid (the (eid, rowid) index's first entry) is the smallest (rank, position)
            row = seg.records.one(
                f"SELECT rank, pos FROM entity_reports WHERE eid = ? {seg.dead_sql} ORDER BY n LIMIT 1", (eid,))
            if row is not None:
                best = min(best, (int(rank_map[row[0]]), row[1]))
        return best

    def __getitem__(self, eid):
        value = self.get(eid)
        if value is None:
            raise KeyError(eid)
        return value

    def __contains__(self, eid) -> bool:
        return self.get(eid) is not None

    def items(self):
        grouped: dict[str, list[tuple]] = {}
        for row in self._rows(""):
            grouped.setdefault(row[2], []).append(row)
        return [(eid, self._merge(rows, self._index.report_ids)) for eid, rows in grouped.items()]

    def __iter__(self):
        return (k for k, _ in self.items())

    def __len__(self) -> int:
        return len(self.items())

    def keys(self):
        return list(self)

    def values(self):
        return [v for _, v in self.items()]


class _UnitsByEntity:
    """Entity id → the uids of the live units naming it (in uid order)."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index, self._memo = index, {}

    def uids(self, eid: str) -> np.ndarray:
        """The uids (ascending; shape ``(units,)``, int64, read-only; empty if
        none) of the live units naming ``eid``: its list in each segment,
        numbered over the index (remembered)."""
        found = self._memo.get(eid)
        if found is None:
            parts = []
            for seg, offset in zip(self._index._segments, self._index._offsets):
                glob = self._index._global_uids(seg, offset, seg.list_of("eu", eid))
                parts.append(glob[glob >= 0])
            found = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            found.flags.writeable = False
            if len(self._memo) > 50000:
                self._memo.clear()
            self._memo[eid] = found
        return found

    def get(self, eid: str, default=None):
        found = self.uids(eid)
        return found.tolist() if len(found) else default

    def __getitem__(self, eid: str) -> list[int]:
        value = self.get(eid)
        if value is None:
            raise KeyError(eid)
        return value

    def __contains__(self, eid: str) -> bool:
        return self.get(eid) is not None

    def items(self):
        out: dict[str, list[int]] = {}
        for seg, offset in zip(self._index._segments, self._index._offsets):
            lists = seg.lists["eu"]
            for eid, col in seg.records.all("SELECT token, col FROM vocab WHERE kind = 'eu' ORDER BY col"):
                glob = self._index._global_uids(seg, offset, lists.column(col))
                if (glob >= 0).any():
                    out.setdefault(eid, []).extend(glob[glob >= 0].tolist())
        return out.items()


class _ReportUnits:
    """Report id → its number of units."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index = index

    def get(self, rid: str, default=None):
        seg = self._index._segment_of.get(rid)
        return default if seg is None else seg.counts[self._index._local_rank[rid]]


class _Neighbours:
    """Entity id → the entities a relation of a live report links it to."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index, self._memo = index, {}

    def get(self, eid: str, default=None):
        found = self._memo.get(eid)
        if found is None:
            found = set()
            for seg in self._index._segments:
                # distinct in SQL, each from a covering index (subject or object first)
                found.update(o for (o,) in seg.records.all(
                    f"SELECT o FROM relations WHERE s = ? {seg.dead_sql} UNION "
                    f"SELECT s FROM relations WHERE o = ? {seg.dead_sql}", (eid, eid)))
            found = frozenset(found)
            if len(self._memo) > 50000:
                self._memo.clear()
            self._memo[eid] = found
        return set(found) or default


class _Relations:
    """The relations (subject, predicate, object, claim id) of the live reports, read when iterated."""

    def __init__(self, index: "SearchIndex") -> None:
        self._index = index

    def __iter__(self):
        for seg in self._index._segments:
            live = seg.report_live
            for s, p, o, claim, r in seg.records.conn.execute("SELECT s, p, o, claim, rank FROM relations ORDER BY n"):
                if live[r]:
                    yield [s, p, o, claim]

    def __len__(self) -> int:
        return sum(1 for _ in self)


class SearchIndex:
    """A loaded index generation (read-only): its segments' live units, numbered
    in index order as one build over the same reports numbers them."""

    def __init__(self, root: Path, meta: dict, segments: list[_Segment]) -> None:
        self.root = root
        self.meta = meta
        self._segments = segments
        self.report_ids: list[str] = []
        self._rank_maps: list[np.ndarray] = []  # per segment: local report rank → global (-1: removed)
        self._segment_of: dict[str, _Segment] = {}
        self._local_rank: dict[str, int] = {}  # live report id → its rank in its segment
        self._offsets: list[int] = []  # per segment: the global uid of its first live unit
        self._uid_maps: list[np.ndarray | None] = []  # per segment: local uid → global (-1: removed); None: all live
        self._starts = []
        unit_reports, n = [], 0
        for seg in segments:
            rank_map = np.full(len(seg.report_ids), -1, dtype=np.int64)
            live_ids = [rid for rid, ok in zip(seg.report_ids, seg.report_live) if ok]
            self._local_rank.update((rid, i) for i, (rid, ok) in enumerate(zip(seg.report_ids, seg.report_live)) if ok)
            rank_map[seg.report_live] = len(self.report_ids) + np.arange(len(live_ids))
            self.report_ids += live_ids
            self._segment_of.update((rid, seg) for rid in live_ids)
            self._rank_maps.append(rank_map)
            self._offsets.append(n)
            local_ranks = np.asarray(seg.unit_report)
            if seg.all_live:
                self._uid_maps.append(None)
                unit_reports.append(rank_map[local_ranks])
                n += seg.n_units
            else:
                uid_map = np.full(seg.n_units, -1, dtype=np.int64)
                uid_map[seg.live_units] = n + np.arange(len(seg.live_units))
                self._uid_maps.append(uid_map)
                unit_reports.append(rank_map[local_ranks[seg.live_units]])
                n += len(seg.live_units)
        self._offsets_arr = np.asarray(self._offsets + [n], dtype=np.int64)
        self.report_rank: dict[str, int] = {rid: i for i, rid in enumerate(self.report_ids)}
        self.unit_report = np.concatenate(unit_reports).astype(np.int32) if unit_reports else np.zeros(0, np.int32)
        self.units = _Units(self, n)
        self.reports = _Reports(self)
        self.entities = _Entities(self)
        self.relations = _Relations(self)
        self.units_by_entity = _UnitsByEntity(self)
        self.report_units = _ReportUnits(self)
        self.neighbours = _Neighbours(self)
        self.bm25 = _Bm25Scores(self, "bm25")
        self.cbm25 = _Bm25Scores(self, "bm25c")
        self.sections = _SectionText(self, teasers=False)
        self.teasers = _SectionText(self, teasers=True)
        self._longest_key = max((int(s.records.one("SELECT v FROM meta WHERE k = 'longest_key'")[0]) for s in segments),
                                default=0)

    # ------------------------------------------------------------ numbering
    def _global_uids(self, seg: _Segment, offset: int, local: np.ndarray) -> np.ndarray:
        """Global uids of a segment's local unit ids (-1 for removed units)."""
        uid_map = self._uid_maps[self._segments.index(seg)] if not seg.all_live else None
        local = np.asarray(local, dtype=np.int64)
        return local + offset if uid_map is None else uid_map[local]

    def _locate(self, uid: int) -> tuple[_Segment, int]:
        """The segment of a global uid, and the unit's local uid there."""
        k = int(np.searchsorted(self._offsets_arr, uid, side="right")) - 1
        seg, rel = self._segments[k], uid - self._offsets[k]
        return seg, rel if seg.all_live else int(seg.live_units[rel])

    # ------------------------------------------------------------ lookups
    def entities_in(self, key_text: str) -> list[tuple[str, str]]:
        """The (match key, entity id) pairs whose key occurs in ``key_text``, longest
        key first (ties in the order a build indexes them: by the entity's first
        use, then the key's)."""
        longest = min(self._longest_key, len(key_text))
        grams = list({key_text[i : i + n] for n in range(2, longest + 1) for i in range(len(key_text) - n + 1)})
        if not grams:
            return []
        first_key: dict[tuple[str, str], tuple] = {}
        for seg, rank_map in zip(self._segments, self._rank_maps):
            # the first (rank, position, key position) of each pair among the live reports
            for key, pairs in seg.key_entities(grams).items():
                for eid, first in pairs:
                    at = (int(rank_map[first >> 32]), (first >> 16) & 0xFFFF, first & 0xFFFF)
                    seen = first_key.get((key, eid))
                    if seen is None or at < seen:
                        first_key[(key, eid)] = at
        first_use = {eid: self.entities.first_use(eid) for _, eid in first_key}
        return sorted(first_key, key=lambda ke: (-len(ke[0]), first_use[ke[1]], first_key[ke]))

    def entities_starting(self, prefix: str, limit: int = 20) -> list[tuple[str, str]]:
        """Up to ``limit`` (match key, entity id) pairs whose key starts with
        ``prefix`` and is longer than it (银发 → 银发经济); an index range scan."""
        found: set[tuple[str, str]] = set()
        for seg in self._segments:
            # the first ``limit`` pairs lie within the first ``limit`` keys: walk the key
            # index for those, then take their entities (remembered per key)
            keys = [k for (k,) in seg.records.all(
                f"SELECT DISTINCT key FROM entity_keys WHERE key > ? AND key < ? {seg.dead_sql} ORDER BY key LIMIT ?",
                (prefix, prefix + "\U0010ffff", limit),
            )]
            found.update((k, eid) for k, pairs in seg.key_entities(keys).items() for eid, _ in pairs)
        return sorted(found)[:limit]

    def report_ranks_with_topic(self, topic: str) -> np.ndarray:
        """The index ranks (ascending, int64, read-only) of the live reports whose
        topics (the report's most specific recurring terms, ``yb:topic`` in the
        graph) include ``topic`` (a search key); as :meth:`_Entities.report_ranks`
        gives an entity's (remembered)."""
        memo = self.__dict__.setdefault("_topic_memo", {})
        found = memo.get(topic)
        if found is None:
            # each segment's list is ascending, and the segments' ranks follow one another
            parts = [rank_map[seg.list_of("topic", topic)] for seg, rank_map in zip(self._segments, self._rank_maps)]
            found = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            found = found[found >= 0]
            found.flags.writeable = False
            if len(memo) > 50000:
                memo.clear()
            memo[topic] = found
        return found

    def report_title(self, rid: str) -> str:
        """A report's title (without reading the rest of its record)."""
        return self._segment_of[rid].titles[self._local_rank[rid]]  # KeyError: no such live report

    def related(self, rid: str) -> list[dict]:
        """A report's related-report teasers (title, blurb, kind, match key), without
        reading the rest of its record."""
        memo = self.__dict__.setdefault("_related", {})
        if rid not in memo:
            seg = self._segment_of[rid]  # KeyError: no such live report
            (raw,) = seg.records.one("SELECT json_extract(body, '$.related') FROM reports WHERE id = ?", (rid,))
            memo[rid] = json.loads(raw)
        return memo[rid]

    def units_per_report(self) -> np.ndarray:
        """Per report rank: its number of units (shape ``(reports,)``; read-only, remembered)."""
        if "_units_per_report" not in self.__dict__:
            counts = np.bincount(self.unit_report, minlength=len(self.report_ids)).astype(np.int64)
            counts.flags.writeable = False
            self._units_per_report = counts
        return self._units_per_report

    def roles_in(self, wanted: set[str]) -> np.ndarray:
        """Per unit: whether its role is one of ``wanted`` (shape ``(units,)``; remembered
        per role set, read-only)."""
        memo = self.__dict__.setdefault("_roles_memo", {})
        key = frozenset(wanted)
        if key not in memo:
            memo[key] = self._roles_in(wanted)
            memo[key].flags.writeable = False
        return memo[key]

    def role_factor(self, wanted: set[str]) -> np.ndarray:
        """Per unit: 2.0 if its role is one of ``wanted``, else 1.0 (shape ``(units,)``,
        float32; remembered per role set, read-only)."""
        memo = self.__dict__.setdefault("_factor_memo", {})
        key = frozenset(wanted)
        if key not in memo:
            memo[key] = np.where(self.roles_in(wanted), np.float32(2.0), np.float32(1.0)).astype(np.float32)
            memo[key].flags.writeable = False
        return memo[key]

    def _roles_in(self, wanted: set[str]) -> np.ndarray:
        parts = []
        for seg in self._segments:
            codes = [i for i, r in enumerate(seg.roles) if r in wanted]
            hit = np.isin(seg.unit_role, codes)
            parts.append(hit if seg.all_live else hit[seg.live_units])
        return np.concatenate(parts) if parts else np.zeros(0, bool)

    @classmethod
    def load(cls, home: Home, model_name: str | None = None) -> "SearchIndex":
        """Load the live generation.

        Raises:
            NotFoundError: nothing has been indexed yet.
            IndexMismatchError: the index was built with another model than ``model_name``.
            StoreError: the index files are damaged.
        """
        root = home.index_dir
        name = _current_name(root)
        if not name:
            raise NotFoundError(f"no search index in {root}; ingest reports first")
        gen = root / name
        try:
            meta = json.loads((gen / "meta.json").read_text())
            if meta.get("format") != INDEX_FORMAT:
                raise IndexMismatchError(
                    f"the index at {gen} was built by another version of yanbao (format {meta.get('format')}, "
                    f"this one reads {INDEX_FORMAT}); rebuild it with `yanbao reindex`"
                )
            if model_name and meta["model"] != model_name:
                raise IndexMismatchError(
                    f"the index was built with {meta['model']}, not {model_name}; "
                    f"re-ingest with the new model (or set the embedder back)"
                )
            segments = [_Segment(root / "segments" / s["name"], set(s["dead"]), int(meta["dim"])) for s in meta["segments"]]
            index = cls(gen, meta, segments)
            if len(index.units) != int(meta["units"]):
                raise ValueError("the segments do not hold the units the generation's meta says")
            return index
        except IndexMismatchError:
            raise
        except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError, sqlite3.Error) as exc:
            raise StoreError(f"damaged search index at {gen}: {exc}") from exc

    # ------------------------------------------------------------ search
    def dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        """Inner product of the question vector with every unit (shape ``(units,)``).

        Exact: one matrix-vector product per segment over its vectors mapped in
        place (nothing read at load).
        """
        q = np.asarray(qvec, dtype=np.float32)
        parts = []
        for seg in self._segments:
            scores = seg.scores(q)
            parts.append(scores if seg.all_live else scores[seg.live_units])
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    @property
    def partitioned(self) -> bool:
        """Whether some segment has an IVF partition (then :meth:`dense_candidates`
        pre-selects instead of scoring every vector)."""
        return any(seg.ivf is not None for seg in self._segments)

    def dense_candidates(self, qvec: np.ndarray, k: int, lists: int) -> "DenseCandidates":
        """The ``k`` units of highest inner product with ``qvec`` as the IVF
        partitions find them (the units of the ``lists`` nearest lists of each
        partitioned segment, every unit of the others), with the exact mean and
        standard deviation of the inner product over *every* live unit (from
        the partitioned segments' moments: mean = q.s / n, variance =
        q^T G q / n - mean^2)."""
        q = np.asarray(qvec, dtype=np.float32)
        q64 = q.astype(np.float64)
        uids, scores = [], []
        count, first, second = 0, 0.0, 0.0
        for seg, offset in zip(self._segments, self._offsets):
            if seg.ivf is None:
                found = seg.scores(q)
                if not seg.all_live:
                    found = found[seg.live_units]
                glob = offset + np.arange(len(found), dtype=np.int64)
                wide = found.astype(np.float64)
                count, first, second = count + len(found), first + float(wide.sum()), second + float(wide @ wide)
            else:
                total, gram, live = seg.moments()
                count, first, second = count + live, first + float(total @ q64), second + float(q64 @ gram @ q64)
                local, found = seg.probe(q, lists)
                glob = self._global_uids(seg, offset, local)
            keep = _top(found, k)
            uids.append(glob[keep])
            scores.append(found[keep])
        uid = np.concatenate(uids) if uids else np.zeros(0, np.int64)
        score = np.concatenate(scores) if scores else np.zeros(0, np.float32)
        keep = _top(score, k)
        uid, score = uid[keep], score[keep]
        order = np.argsort(uid)
        mean = first / count if count else 0.0
        std = max(second / count - mean * mean, 0.0) ** 0.5 if count else 0.0
        return DenseCandidates(uids=uid[order], scores=score[order].astype(np.float32), mean=mean, std=std)

    def dense_at(self, qvec: np.ndarray, uids: np.ndarray) -> np.ndarray:
        """Exact inner products of ``qvec`` with the units ``uids`` (global ids;
        shape ``(len(uids),)``, float32), reading only their rows."""
        q = np.asarray(qvec, dtype=np.float32)
        uids = np.asarray(uids, dtype=np.int64)
        out = np.zeros(len(uids), np.float32)
        where = np.searchsorted(self._offsets_arr, uids, side="right") - 1
        for k in np.unique(where):
            sel = np.flatnonzero(where == k)
            seg = self._segments[int(k)]
            rel = uids[sel] - self._offsets[int(k)]
            local = rel if seg.all_live else seg.live_units[rel]
            out[sel] = np.asarray(seg.vectors)[seg.rows_of(local)] @ q
        return out

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's words (shape ``(units,)``)."""
        return self.bm25.scores(tokens) if tokens else np.zeros(len(self.units), np.float32)

    def bigram_scores(self, bigrams: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's character bigrams (shape ``(units,)``)."""
        if not bigrams:
            return np.zeros(len(self.units), np.float32)
        return self.cbm25.scores(bigrams)

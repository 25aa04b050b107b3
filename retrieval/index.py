"""The persisted search index: units, vectors (FAISS), words (BM25), entities.

The public entry points are :func:`build_index` (at ingest) and
:meth:`SearchIndex.load` (at ask time; never rebuilds anything).

A *unit* is one retrievable, citable piece of a report: a claim sentence or a
section heading (headings state drivers and challenges in few words).

Layout under ``HOME/index``::

    CURRENT                 name of the live generation (written atomically, last)
    gen-<n>/meta.json       model, dimension, counts
    gen-<n>/units.json      units, reports, entities, relations, related reports
    gen-<n>/vectors.faiss   one vector per unit
    gen-<n>/bm25/           bm25s index over the units' words (jieba)
    gen-<n>/bm25c/          bm25s index over the units' character bigrams
    parts/<report id>.json  one report's units, tokens, entities (computed once per report)
    embcache/<model>.npz    embeddings by text hash (re-ingest embeds nothing new)

A reader reads CURRENT, then that generation; a writer builds a new
generation beside it and swaps CURRENT, keeping the previous generation for
readers still loading it.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from yanbao.corpus.script import match_key, search_form, search_key
from yanbao.core.errors import IndexMismatchError, NotFoundError, StoreError
from yanbao.core.home import Home, atomic_write_bytes, atomic_write_text
from yanbao.core.records import content_hash

from .embedders import Embedder
from .textproc import char_bigrams, search_tokens

__all__ = ["Unit", "SearchIndex", "build_index", "INDEX_FORMAT"]

INDEX_FORMAT = 5
_PART_FORMAT = 5
_HNSW_FROM = 50_000  # vectors; the "auto" index switches from exact to HNSW above this


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
) -> Path:
    """Build a new index generation for ``report_ids`` and make it live.

    ``timings`` (if given) receives the seconds spent embedding (``embed``) and
    building the rest of the index (``index``).  Returns the generation folder.
    Raises StoreError if it cannot be written.
    """
    import time

    began = time.perf_counter()
    units: list[dict] = []
    tokens: list[list[str]] = []
    bigrams: list[list[str]] = []
    passages: list[str] = []
    reports: dict[str, dict] = {}
    entities: dict[str, dict] = {}
    relations: list[list[str]] = []
    for n, rid in enumerate(report_ids):
        if progress and n % 50 == 0:
            progress("index", n, len(report_ids))
        part = _report_part(home, rid)
        reports[rid] = part["report"]
        units.extend(part["units"])
        tokens.extend(part["tokens"])
        bigrams.extend(part["bigrams"])
        passages.extend(part["passages"])
        for e in part["entities"]:
            rec = entities.setdefault(e["id"], {"id": e["id"], "cls": e["cls"], "label": e["label"], "keys": [], "reports": []})
            for key in e["keys"]:
                if key not in rec["keys"]:
                    rec["keys"].append(key)
            rec["reports"].append(rid)
        relations.extend(part["relations"])

    embed_began = time.perf_counter()
    vectors = _embed_with_cache(home, embedder, passages, settings, progress)
    embed_seconds = time.perf_counter() - embed_began
    root = home.index_dir
    root.mkdir(parents=True, exist_ok=True)
    current = _current_name(root)
    n = int(current.split("-")[1]) + 1 if current else 1
    gen = root / f"gen-{n}"
    if gen.exists():
        shutil.rmtree(gen)
    gen.mkdir(parents=True)
    if progress:
        progress("index", 0, 2)
    try:
        _write_vectors(gen / "vectors.faiss", vectors, settings.vector_index)
        _write_bm25(gen / "bm25", tokens)
        _write_bm25(gen / "bm25c", bigrams)
        payload = {"units": units, "reports": reports, "entities": entities, "relations": relations}
        atomic_write_text(gen / "units.json", json.dumps(payload, ensure_ascii=False))
        meta = {
            "format": INDEX_FORMAT, "model": embedder.name, "dim": embedder.dim,
            "units": len(units), "reports": len(reports), "vector_index": settings.vector_index,
        }
        atomic_write_text(gen / "meta.json", json.dumps(meta))
        atomic_write_text(root / "CURRENT", gen.name)
    except OSError as exc:
        raise StoreError(f"cannot write the index at {gen}: {exc}") from exc
    if progress:
        progress("index", 2, 2)
    if timings is not None:
        timings["embed"] = timings.get("embed", 0.0) + embed_seconds
        timings["index"] = timings.get("index", 0.0) + time.perf_counter() - began - embed_seconds
    # Keep the live generation and the one before it (a reader may still be loading it).
    for old in root.glob("gen-*"):
        if old.name not in (gen.name, current):
            shutil.rmtree(old, ignore_errors=True)
    return gen


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
    return home.index_dir / "embcache" / (re.sub(r"[^\w.-]+", "_", model) + ".npz")


def _embed_with_cache(home: Home, embedder: Embedder, texts: list[str], settings, progress) -> np.ndarray:
    """Embed ``texts``, reusing vectors cached by (model, text hash)."""
    path = _cache_path(home, embedder.name)
    keys: list[str] = []
    vecs = np.zeros((0, embedder.dim), dtype=np.float32)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vecs = data["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError):
            keys, vecs = [], np.zeros((0, embedder.dim), dtype=np.float32)  # a damaged cache is rebuilt
    row = {k: i for i, k in enumerate(keys)}
    hashes = [content_hash(t, 24) for t in texts]
    missing = list(dict.fromkeys(h for h in hashes if h not in row))
    if missing:
        by_hash = dict(zip(hashes, texts))
        todo = [by_hash[h] for h in missing]
        batch = max(1, settings.embed_batch)
        parts = []
        for i in range(0, len(todo), batch):
            if progress:
                progress("embed", i, len(todo))
            parts.append(embedder.embed_passages(todo[i : i + batch]))
        if progress:
            progress("embed", len(todo), len(todo))
        new = np.vstack(parts).astype(np.float32)
        for h in missing:
            row[h] = len(keys)
            keys.append(h)
        vecs = np.vstack([vecs, new]) if len(vecs) else new
        path.parent.mkdir(parents=True, exist_ok=True)
        import io

        buf = io.BytesIO()
        np.savez(buf, keys=np.array(keys), vectors=vecs)
        atomic_write_bytes(path, buf.getvalue())
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return vecs[[row[h] for h in hashes]]


def _write_vectors(path: Path, vectors: np.ndarray, kind: str) -> None:
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 1
    if kind == "auto":
        # Exact search is ~10 ms per question at 70k vectors and grows linearly;
        # past that, HNSW answers in about a millisecond at a small recall cost.
        kind = "hnsw" if len(vectors) > _HNSW_FROM else "flat"
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def _write_bm25(path: Path, corpus_tokens: list[list[str]]) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([toks or ["∅"] for toks in corpus_tokens] or [["∅"]], show_progress=False)
    retriever.save(str(path))


class _Bm25Scores:
    """BM25 scores read straight from the arrays bm25s saved (no scipy at ask time).

    bm25s stores, per vocabulary word, the BM25 weight of that word in each
    document (a CSC matrix: ``indptr``/``indices``/``data``); a query's score is
    the sum of its words' columns, which is what ``bm25s.BM25.get_scores`` does.
    Loading this costs a few milliseconds instead of importing scipy (~0.2 s).
    """

    def __init__(self, folder: Path) -> None:
        self.vocab: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        self.n_docs = int(json.loads((folder / "params.index.json").read_text())["num_docs"])
        self.data = np.load(folder / "data.csc.index.npy", mmap_mode="r")
        self.indices = np.load(folder / "indices.csc.index.npy", mmap_mode="r")
        self.indptr = np.load(folder / "indptr.csc.index.npy", mmap_mode="r")

    def postings(self, token: str) -> np.ndarray:
        """Indices of the documents that contain ``token``."""
        col = self.vocab.get(token)
        if col is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.indices[int(self.indptr[col]) : int(self.indptr[col + 1])])

    def bound(self, tokens: list[str]) -> float:
        """The best score a document could reach: each token's best weight, summed."""
        total = 0.0
        for tok in tokens:
            col = self.vocab.get(tok)
            if col is not None and self.indptr[col + 1] > self.indptr[col]:
                total += float(np.max(self.data[int(self.indptr[col]) : int(self.indptr[col + 1])]))
        return total

    def scores(self, tokens: list[str]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for tok in tokens:
            col = self.vocab.get(tok)
            if col is None:
                continue
            start, end = int(self.indptr[col]), int(self.indptr[col + 1])
            np.add.at(out, np.asarray(self.indices[start:end]), np.asarray(self.data[start:end]))
        return out


class _SectionText:
    """The match keys of every report section in one string, to find a term's
    sections with a few C-level searches instead of one per section."""

    def __init__(self, sections: list[tuple[str, str]]) -> None:
        self.report_of = [rid for rid, _ in sections]
        self.starts: list[int] = []
        parts, pos = [], 0
        for _, key in sections:
            self.starts.append(pos)
            parts.append(key)
            pos += len(key) + 1
        self.text = "\x00".join(parts)

    def containing(self, term: str) -> np.ndarray:
        """Indices of the sections whose text contains ``term`` (cached per term:
        questions to one corpus share most of their words)."""
        cache = self.__dict__.setdefault("_cache", {})
        hit = cache.get(term)
        if hit is not None:
            return hit
        import bisect

        found: list[int] = []
        text, starts = self.text, self.starts
        pos = text.find(term) if term else -1
        while pos != -1:
            i = bisect.bisect_right(starts, pos) - 1
            found.append(i)
            nxt = starts[i + 1] if i + 1 < len(starts) else len(text)
            pos = text.find(term, nxt)
        result = np.asarray(sorted(set(found)), dtype=np.int64)
        if len(cache) > 20000:
            cache.clear()
        cache[term] = result
        return result


    def containing_set(self, term: str) -> set:
        """The ids (``self.ids``) of the texts containing ``term``."""
        return {self.ids[i] for i in self.containing(term)}


class SearchIndex:
    """A loaded index generation (read-only)."""

    def __init__(self, root: Path, meta: dict, payload: dict, vectors, bm25, cbm25=None) -> None:
        self.root = root
        self.cbm25 = cbm25
        self._matrix: np.ndarray | None = None
        self.meta = meta
        self.units = [
            Unit(
                uid=i, report_id=u["report_id"], kind=u["kind"], text=u["text"], start=u["start"], end=u["end"],
                section=tuple(u["section"]), role=u["role"], entity_ids=tuple(u["entity_ids"]), block=u["block"],
                claim_id=u.get("claim_id", ""),
            )
            for i, u in enumerate(payload["units"])
        ]
        self.reports: dict[str, dict] = payload["reports"]
        self.entities: dict[str, dict] = payload["entities"]
        self.relations: list[list[str]] = payload["relations"]
        self.vectors = vectors
        self.bm25 = bm25
        order = {rid: i for i, rid in enumerate(dict.fromkeys(u.report_id for u in self.units))}
        self.unit_report = np.asarray([order[u.report_id] for u in self.units], dtype=np.int64)
        self.report_units: dict[str, int] = {}
        for u in self.units:
            self.report_units[u.report_id] = self.report_units.get(u.report_id, 0) + 1
        self.units_by_entity: dict[str, list[int]] = {}
        for u in self.units:
            for eid in u.entity_ids:
                self.units_by_entity.setdefault(eid, []).append(u.uid)
        self.neighbours: dict[str, set[str]] = {}
        for s, _, o, _ in self.relations:
            self.neighbours.setdefault(s, set()).add(o)
            self.neighbours.setdefault(o, set()).add(s)
        self.headings_by_role: dict[str, list[int]] = {}
        for u in self.units:
            if u.kind == "heading":
                self.headings_by_role.setdefault(u.role, []).append(u.uid)
        teaser_keys = [((rid, n), rr["key"]) for rid, rep in self.reports.items() for n, rr in enumerate(rep["related"])]
        self.teasers = _SectionText([(str(i), key) for i, (_, key) in enumerate(teaser_keys)])
        self.teasers.ids = [ident for ident, _ in teaser_keys]
        self.sections = _SectionText(
            [(rid, key) for rid, rep in self.reports.items() for key in rep["section_keys"]]
        )
        self.entity_keys: list[tuple[str, str]] = sorted(
            ((k, eid) for eid, e in self.entities.items() for k in e["keys"] if len(k) >= 2),
            key=lambda kv: -len(kv[0]),
        )

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
            payload = json.loads((gen / "units.json").read_text(encoding="utf-8"))
            import faiss

            vectors = faiss.read_index(str(gen / "vectors.faiss"))
            bm25 = _Bm25Scores(gen / "bm25")
            cbm25 = _Bm25Scores(gen / "bm25c")
        except IndexMismatchError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise StoreError(f"damaged search index at {gen}: {exc}") from exc
        return cls(gen, meta, payload, vectors, bm25, cbm25)

    # ------------------------------------------------------------ search
    def dense(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k units by inner product with the question vector."""
        if not self.units:
            return []
        scores, ids = self.vectors.search(np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32), min(k, len(self.units)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        """Inner product of the question vector with every unit (shape ``(units,)``).

        Exact, from a zero-copy view of the vectors FAISS holds (flat or HNSW
        storage): one matrix-vector product, ~10 ms at 100k units.
        """
        if self._matrix is None:
            import faiss

            index = self.vectors
            store = faiss.downcast_index(index.storage) if hasattr(index, "storage") and index.storage is not None else index
            n, d = store.ntotal, store.d
            self._matrix = faiss.rev_swig_ptr(store.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)
        return self._matrix[: len(self.units)] @ np.asarray(qvec, dtype=np.float32)

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's words (shape ``(units,)``)."""
        return self.bm25.scores(tokens)[: len(self.units)] if tokens else np.zeros(len(self.units), np.float32)

    def bigram_scores(self, bigrams: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's character bigrams (shape ``(units,)``)."""
        if self.cbm25 is None or not bigrams:
            return np.zeros(len(self.units), np.float32)
        return self.cbm25.scores(bigrams)[: len(self.units)]

    def keyword(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Top-k units by BM25 over the question's tokens (only those with a positive score)."""
        if not self.units or not tokens:
            return []
        scores = self.bm25.scores(tokens)[: len(self.units)]
        if len(scores) > k:
            top = np.argpartition(-scores, k)[:k]
            order = top[np.lexsort((top, -scores[top]))]  # best first, ties by position
        else:
            order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]

"""The persisted search index: units, vectors (FAISS), words (BM25), entities.

The public entry points are :func:`build_index` (at ingest) and
:meth:`SearchIndex.load` (at ask time; never rebuilds anything).

A *unit* is one retrievable, citable piece of a report: a claim sentence or a
section heading (headings state drivers and challenges in few words).

Layout under ``HOME/index``::

    CURRENT                 name of the live generation (written atomically, last)
    gen-<n>/meta.json       model, dimension, counts, role names
    gen-<n>/records.sqlite  units, reports, entities (and their match keys), relations,
                            BM25 vocabularies: read row by row, on demand
    gen-<n>/unit_report.npy, unit_role.npy   per unit: its report's rank, its role's code
    gen-<n>/sections.*      every report section's match key, searched in place (mmap)
    gen-<n>/teasers.*       every related-report teaser's match key, likewise
    gen-<n>/vectors.faiss   one vector per unit (answers map its vectors in place)
    gen-<n>/bm25/           bm25s index over the units' words (jieba)
    gen-<n>/bm25c/          bm25s index over the units' character bigrams
    parts/<report id>.json  one report's units, tokens, entities (computed once per report)
    embcache/<model>.npz    embeddings by text hash (re-ingest embeds nothing new)

A reader reads CURRENT, then that generation; a writer builds a new
generation beside it and swaps CURRENT, keeping the previous generation for
readers still loading it.

Loading a generation reads its meta and the report ids and opens the rest
(SQLite, memory maps): nothing is parsed per unit, so a cold ``ask`` costs
about the same at ten reports or ten thousand.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import sqlite3
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

INDEX_FORMAT = 6  # 5 was a JSON layout of this session's development: never read as this one
_PART_FORMAT = 6
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
        offset = _vectors_offset(gen / "vectors.faiss", np.ascontiguousarray(vectors, dtype=np.float32))
        _write_bm25(gen / "bm25", tokens)
        _write_bm25(gen / "bm25c", bigrams)
        roles = _write_records(gen, units, reports, entities, relations)
        meta = {
            "format": INDEX_FORMAT, "model": embedder.name, "dim": embedder.dim,
            "units": len(units), "reports": len(reports), "vector_index": settings.vector_index,
            "roles": roles, "vectors_offset": offset,
        }
        atomic_write_text(gen / "meta.json", json.dumps(meta))
        atomic_write_text(root / "CURRENT", gen.name)
    except (OSError, sqlite3.Error) as exc:
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


def _vectors_offset(path: Path, vectors: np.ndarray) -> int:
    """Where the raw vectors start in the FAISS file, or -1.

    FAISS writes a flat index's vectors (and an HNSW index's flat storage) last,
    as ``n × d`` float32: a reader can map them in place instead of reading
    the whole file.  Checked against the vectors just written, so a FAISS
    layout that differs only costs the old, whole read.
    """
    n = len(vectors)
    if not n:
        return -1
    size = path.stat().st_size
    offset = size - vectors.nbytes
    if offset < 0:
        return -1
    mapped = np.memmap(path, dtype=np.float32, mode="r", offset=offset, shape=vectors.shape)
    try:
        same = np.array_equal(mapped, vectors.astype(np.float32, copy=False))
    finally:
        del mapped
    return offset if same else -1


def _write_bm25(path: Path, corpus_tokens: list[list[str]]) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([toks or ["∅"] for toks in corpus_tokens] or [["∅"]], show_progress=False)
    retriever.save(str(path))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    _fsync(base.with_suffix(".bin"))


def _write_records(gen: Path, units: list[dict], reports: dict[str, dict], entities: dict[str, dict],
                   relations: list[list[str]]) -> list[str]:
    """Write the generation's records (SQLite), per-unit arrays and match-key texts.

    Returns the role names (``unit_role.npy`` holds indices into it).
    """
    rank = {rid: i for i, rid in enumerate(reports)}
    counts: dict[str, int] = {}
    for u in units:
        counts[u["report_id"]] = counts.get(u["report_id"], 0) + 1
    order = {rid: i for i, rid in enumerate(dict.fromkeys(u["report_id"] for u in units))}
    np.save(gen / "unit_report.npy", np.asarray([order[u["report_id"]] for u in units], dtype=np.int32))
    roles = sorted({u["role"] for u in units})
    code = {r: i for i, r in enumerate(roles)}
    np.save(gen / "unit_role.npy", np.asarray([code[u["role"]] for u in units], dtype=np.int16))
    sections = [(rank[rid], key) for rid, rep in reports.items() for key in rep["section_keys"]]
    np.save(gen / "sections.report.npy", np.asarray([r for r, _ in sections], dtype=np.int32))
    _write_keys(gen / "sections", [k for _, k in sections])
    teasers = [(rank[rid], n, rr["key"]) for rid, rep in reports.items() for n, rr in enumerate(rep["related"])]
    np.save(gen / "teasers.report.npy", np.asarray([[r, n] for r, n, _ in teasers], dtype=np.int32).reshape(-1, 2))
    _write_keys(gen / "teasers", [k for _, _, k in teasers])

    path = gen / "records.sqlite"
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(
            """
            CREATE TABLE units (uid INTEGER PRIMARY KEY, report_id TEXT, kind TEXT, text TEXT, start INTEGER,
                                "end" INTEGER, section TEXT, role TEXT, entity_ids TEXT, block TEXT, claim_id TEXT);
            CREATE TABLE reports (rank INTEGER PRIMARY KEY, id TEXT UNIQUE, units INTEGER, body TEXT);
            CREATE TABLE entities (rank INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT);
            CREATE TABLE entity_keys (ord INTEGER PRIMARY KEY, key TEXT, eid TEXT);
            CREATE TABLE entity_units (n INTEGER PRIMARY KEY, eid TEXT, uid INTEGER);
            CREATE TABLE relations (n INTEGER PRIMARY KEY, s TEXT, p TEXT, o TEXT, claim TEXT);
            CREATE TABLE vocab (kind TEXT, token TEXT, col INTEGER, PRIMARY KEY (kind, token)) WITHOUT ROWID;
            CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);
            """
        )
        dumps = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
        conn.executemany(
            "INSERT INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((i, u["report_id"], u["kind"], u["text"], u["start"], u["end"], dumps(u["section"]), u["role"],
              dumps(u["entity_ids"]), u["block"], u.get("claim_id", "")) for i, u in enumerate(units)),
        )
        conn.executemany("INSERT INTO reports VALUES (?,?,?,?)",
                         ((rank[rid], rid, counts.get(rid, 0), dumps(rep)) for rid, rep in reports.items()))
        conn.executemany("INSERT INTO entities VALUES (?,?,?)",
                         ((i, eid, dumps(e)) for i, (eid, e) in enumerate(entities.items())))
        keys = sorted(((k, eid) for eid, e in entities.items() for k in e["keys"] if len(k) >= 2), key=lambda kv: -len(kv[0]))
        conn.executemany("INSERT INTO entity_keys VALUES (?,?,?)", ((i, k, eid) for i, (k, eid) in enumerate(keys)))
        conn.execute("INSERT INTO meta VALUES ('longest_key', ?)", (str(max((len(k) for k, _ in keys), default=0)),))
        conn.executemany("INSERT INTO entity_units (eid, uid) VALUES (?,?)",
                         ((eid, i) for i, u in enumerate(units) for eid in u["entity_ids"]))
        conn.executemany("INSERT INTO relations (s, p, o, claim) VALUES (?,?,?,?)", (tuple(r) for r in relations))
        for kind in ("bm25", "bm25c"):
            vocab = json.loads((gen / kind / "vocab.index.json").read_text(encoding="utf-8"))
            conn.executemany("INSERT INTO vocab VALUES (?,?,?)", ((kind, t, c) for t, c in vocab.items()))
        conn.executescript(
            """
            CREATE INDEX entity_keys_key ON entity_keys (key);
            CREATE INDEX entity_units_eid ON entity_units (eid);
            CREATE INDEX relations_s ON relations (s);
            CREATE INDEX relations_o ON relations (o);
            """
        )
        conn.commit()
    finally:
        conn.close()
    _fsync(path)
    return roles


class _Records:
    """A read-only connection to a generation's ``records.sqlite`` (shared by threads)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise OSError(f"{path.name} is missing")
        # immutable: a generation is never written once live (no locks, no journal)
        self.conn = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)

    def one(self, sql: str, args=()):
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, args=()) -> list:
        return self.conn.execute(sql, args).fetchall()


class _Vocab:
    """A BM25 vocabulary (token → column) looked up in SQLite, answers remembered."""

    def __init__(self, records: _Records, kind: str) -> None:
        self._records, self._kind, self._memo = records, kind, {}

    def get(self, token: str, default=None):
        if token not in self._memo:
            row = self._records.one("SELECT col FROM vocab WHERE kind = ? AND token = ?", (self._kind, token))
            self._memo[token] = None if row is None else int(row[0])
        value = self._memo[token]
        return default if value is None else value


class _Units:
    """The units, read by uid from SQLite (remembered) — a read-only sequence."""

    def __init__(self, records: _Records, n: int) -> None:
        self._records, self._n, self._memo = records, n, {}

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def _unit(row) -> Unit:
        uid, rid, kind, text, start, end, section, role, entity_ids, block, claim_id = row
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
            unit = self._memo[i] = self._unit(self._records.one("SELECT * FROM units WHERE uid = ?", (i,)))
        return unit

    def __iter__(self):
        for row in self._records.conn.execute("SELECT * FROM units ORDER BY uid"):
            yield self._unit(row)


class _Table:
    """Reports or entities by id, each a dict read from SQLite on demand (remembered);
    iterates in the order they were indexed.  A read-only mapping."""

    def __init__(self, records: _Records, table: str) -> None:
        self._records, self._table, self._memo = records, table, {}

    def get(self, key, default=None):
        if key not in self._memo:
            row = self._records.one(f"SELECT body FROM {self._table} WHERE id = ?", (key,))
            self._memo[key] = None if row is None else json.loads(row[0])
        value = self._memo[key]
        return default if value is None else value

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return int(self._records.one(f"SELECT count(*) FROM {self._table}")[0])

    def __iter__(self):
        return (k for k, _ in self.items())

    def keys(self):
        return list(self)

    def items(self):
        return [(k, json.loads(b)) for k, b in self._records.all(f"SELECT id, body FROM {self._table} ORDER BY rank")]

    def values(self):
        return [v for _, v in self.items()]


class _UnitsByEntity:
    """Entity id → the uids of the units naming it (in uid order)."""

    def __init__(self, records: _Records) -> None:
        self._records, self._memo = records, {}

    def get(self, eid: str, default=None):
        if eid not in self._memo:
            self._memo[eid] = [u for (u,) in self._records.all("SELECT uid FROM entity_units WHERE eid = ? ORDER BY n", (eid,))]
        return self._memo[eid] or default

    def __getitem__(self, eid: str) -> list[int]:
        value = self.get(eid)
        if value is None:
            raise KeyError(eid)
        return value

    def __contains__(self, eid: str) -> bool:
        return self.get(eid) is not None

    def items(self):
        out: dict[str, list[int]] = {}
        for eid, uid in self._records.all("SELECT eid, uid FROM entity_units ORDER BY n"):
            out.setdefault(eid, []).append(uid)
        return out.items()


class _ReportUnits:
    """Report id → its number of units."""

    def __init__(self, records: _Records) -> None:
        self._records = records

    def get(self, rid: str, default=None):
        row = self._records.one("SELECT units FROM reports WHERE id = ?", (rid,))
        return default if row is None else int(row[0])


class _Neighbours:
    """Entity id → the entities a relation links it to."""

    def __init__(self, records: _Records) -> None:
        self._records = records

    def get(self, eid: str, default=None):
        found = {o for (o,) in self._records.all("SELECT o FROM relations WHERE s = ?", (eid,))}
        found |= {s for (s,) in self._records.all("SELECT s FROM relations WHERE o = ?", (eid,))}
        return found or default


class _Relations:
    """The relations (subject, predicate, object, claim id), read when iterated."""

    def __init__(self, records: _Records) -> None:
        self._records = records

    def __iter__(self):
        return (list(r) for r in self._records.conn.execute("SELECT s, p, o, claim FROM relations ORDER BY n"))

    def __len__(self) -> int:
        return int(self._records.one("SELECT count(*) FROM relations")[0])


def _open_bytes(path: Path):
    """The file's bytes, memory-mapped (an empty file as empty bytes)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class _ReportOf:
    """Row → report id, from an array of report ranks."""

    def __init__(self, ranks: np.ndarray, report_ids: list[str]) -> None:
        self._ranks, self._ids = ranks, report_ids

    def __len__(self) -> int:
        return len(self._ranks)

    def __getitem__(self, i) -> str:
        return self._ids[int(self._ranks[int(i)])]


class _Bm25Scores:
    """BM25 scores read straight from the arrays bm25s saved (no scipy at ask time).

    bm25s stores, per vocabulary word, the BM25 weight of that word in each
    document (a CSC matrix: ``indptr``/``indices``/``data``); a query's score is
    the sum of its words' columns, which is what ``bm25s.BM25.get_scores`` does.
    Loading this costs a few milliseconds instead of importing scipy (~0.2 s).
    """

    def __init__(self, folder: Path, vocab=None) -> None:
        # the vocabulary from SQLite when given (a large one costs a JSON parse otherwise)
        self.vocab = vocab if vocab is not None else json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
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
    """The match keys of every report section (or teaser) in one memory-mapped
    UTF-8 text, NUL-separated, to find a term's sections with a few C-level
    searches instead of one per section, without reading the text at load."""

    def __init__(self, text, starts: np.ndarray, report_of, ids=None) -> None:
        self.text = text
        self.starts = starts
        self.report_of = report_of
        self.ids = ids

    def containing(self, term: str) -> np.ndarray:
        """Indices of the sections whose text contains ``term`` (cached per term:
        questions to one corpus share most of their words)."""
        cache = self.__dict__.setdefault("_cache", {})
        hit = cache.get(term)
        if hit is not None:
            return hit
        found: list[int] = []
        text, starts = self.text, self.starts
        needle = term.encode("utf-8")
        pos = text.find(needle) if needle else -1
        while pos != -1:
            i = int(np.searchsorted(starts, pos, side="right")) - 1
            found.append(i)
            nxt = int(starts[i + 1]) if i + 1 < len(starts) else len(text)
            pos = text.find(needle, nxt)
        result = np.asarray(sorted(set(found)), dtype=np.int64)
        if len(cache) > 20000:
            cache.clear()
        cache[term] = result
        return result

    def containing_set(self, term: str) -> set:
        """The ids (``self.ids``) of the texts containing ``term``."""
        return {self.ids[i] for i in self.containing(term)}


class _TeaserIds:
    """Teaser row → (report id, its position in that report's related list)."""

    def __init__(self, rows: np.ndarray, report_ids: list[str]) -> None:
        self._rows, self._ids = rows, report_ids

    def __getitem__(self, i) -> tuple[str, int]:
        r, n = self._rows[int(i)]
        return self._ids[int(r)], int(n)


class SearchIndex:
    """A loaded index generation (read-only)."""

    def __init__(self, root: Path, meta: dict, records: _Records, vectors, bm25, cbm25=None) -> None:
        self.root = root
        self.cbm25 = cbm25
        self._matrix: np.ndarray | None = None
        self.meta = meta
        self._records = records
        self._vectors = vectors
        self.bm25 = bm25
        self.units = _Units(records, int(meta["units"]))
        self.reports = _Table(records, "reports")
        self.entities = _Table(records, "entities")
        self.relations = _Relations(records)
        self.units_by_entity = _UnitsByEntity(records)
        self.report_units = _ReportUnits(records)
        self.neighbours = _Neighbours(records)
        self.report_ids: list[str] = [rid for (rid,) in records.all("SELECT id FROM reports ORDER BY rank")]
        self.report_rank: dict[str, int] = {rid: i for i, rid in enumerate(self.report_ids)}
        self.unit_report = np.load(root / "unit_report.npy", mmap_mode="r")
        self._unit_role = np.load(root / "unit_role.npy", mmap_mode="r")
        self._roles: list[str] = list(meta["roles"])
        self.sections = _SectionText(
            _open_bytes(root / "sections.bin"), np.load(root / "sections.starts.npy"),
            _ReportOf(np.load(root / "sections.report.npy", mmap_mode="r"), self.report_ids),
        )
        teasers = np.load(root / "teasers.report.npy")
        self.teasers = _SectionText(
            _open_bytes(root / "teasers.bin"), np.load(root / "teasers.starts.npy"),
            _ReportOf(teasers[:, 0] if len(teasers) else np.zeros(0, np.int32), self.report_ids),
            _TeaserIds(teasers, self.report_ids),
        )
        self._longest_key = int(records.one("SELECT v FROM meta WHERE k = 'longest_key'")[0])

    def entities_in(self, key_text: str) -> list[tuple[str, str]]:
        """The (match key, entity id) pairs whose key occurs in ``key_text``, longest
        key first (ties in the order they were indexed)."""
        longest = min(self._longest_key, len(key_text))
        grams = {key_text[i : i + n] for n in range(2, longest + 1) for i in range(len(key_text) - n + 1)}
        if not grams:
            return []
        grams_list = list(grams)
        rows: list = []
        for i in range(0, len(grams_list), 500):
            chunk = grams_list[i : i + 500]
            rows += self._records.all(
                f"SELECT ord, key, eid FROM entity_keys WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
        return [(key, eid) for _, key, eid in sorted(rows)]

    def entities_starting(self, prefix: str, limit: int = 20) -> list[tuple[str, str]]:
        """Up to ``limit`` (match key, entity id) pairs whose key starts with
        ``prefix`` and is longer than it (银发 → 银发经济); an index range scan."""
        return [(k, e) for k, e in self._records.all(
            "SELECT key, eid FROM entity_keys WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )]

    def report_title(self, rid: str) -> str:
        """A report's title (without reading the rest of its record)."""
        titles = self.__dict__.setdefault("_titles", {})
        if rid not in titles:
            row = self._records.one("SELECT json_extract(body, '$.title') FROM reports WHERE id = ?", (rid,))
            if row is None:
                raise KeyError(rid)
            titles[rid] = row[0]
        return titles[rid]

    def roles_in(self, wanted: set[str]) -> np.ndarray:
        """Per unit: whether its role is one of ``wanted`` (shape ``(units,)``)."""
        codes = [i for i, r in enumerate(self._roles) if r in wanted]
        return np.isin(self._unit_role, codes)

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
            records = _Records(gen / "records.sqlite")
            size = (gen / "vectors.faiss").stat().st_size
            offset = int(meta.get("vectors_offset", -1))
            if offset >= 0 and size != offset + 4 * int(meta["units"]) * int(meta["dim"]):
                raise ValueError("vectors.faiss is not the size its meta says")
            bm25 = _Bm25Scores(gen / "bm25", _Vocab(records, "bm25"))
            cbm25 = _Bm25Scores(gen / "bm25c", _Vocab(records, "bm25c"))
            return cls(gen, meta, records, None, bm25, cbm25)
        except IndexMismatchError:
            raise
        except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError, sqlite3.Error) as exc:
            raise StoreError(f"damaged search index at {gen}: {exc}") from exc

    @property
    def vectors(self):
        """The FAISS index (read on first use: answers need only :meth:`dense_scores`)."""
        if self._vectors is None:
            import faiss

            try:
                self._vectors = faiss.read_index(str(self.root / "vectors.faiss"))
            except RuntimeError as exc:
                raise StoreError(f"damaged search index at {self.root}: {exc}") from exc
        return self._vectors

    # ------------------------------------------------------------ search
    def dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        """Inner product of the question vector with every unit (shape ``(units,)``).

        Exact: one matrix-vector product (~10 ms at 100k units) over the vectors
        mapped in place from the FAISS file (nothing read at load), or over a
        zero-copy view of the vectors FAISS holds if they cannot be mapped.
        """
        if self._matrix is None:
            n, d, offset = len(self.units), int(self.meta["dim"]), int(self.meta.get("vectors_offset", -1))
            if not n:
                self._matrix = np.zeros((0, d), np.float32)
            elif offset >= 0:
                self._matrix = np.asarray(
                    np.memmap(self.root / "vectors.faiss", dtype=np.float32, mode="r", offset=offset, shape=(n, d))
                )
            else:
                import faiss

                index = self.vectors
                store = faiss.downcast_index(index.storage) if hasattr(index, "storage") and index.storage is not None else index
                self._matrix = faiss.rev_swig_ptr(store.get_xb(), store.ntotal * store.d).reshape(store.ntotal, store.d)
        return self._matrix[: len(self.units)] @ np.asarray(qvec, dtype=np.float32)

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's words (shape ``(units,)``)."""
        return self.bm25.scores(tokens)[: len(self.units)] if tokens else np.zeros(len(self.units), np.float32)

    def bigram_scores(self, bigrams: list[str]) -> np.ndarray:
        """BM25 of every unit over the question's character bigrams (shape ``(units,)``)."""
        if self.cbm25 is None or not bigrams:
            return np.zeros(len(self.units), np.float32)
        return self.cbm25.scores(bigrams)[: len(self.units)]

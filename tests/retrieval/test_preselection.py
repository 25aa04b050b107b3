"""IVF pre-selection on large segments (``vector_index``): a partitioned segment is
searched a few lists at a time, the z-normalisation stays exact (from the segment's
moments), and with every unit pre-selected the answers are the exact path's.

Built on the sample and six dev articles with the hashing embedder and
``vector_index = "ivf"`` (every segment partitioned, whatever its size)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from yanbao.core.errors import SettingsError
from yanbao.core.settings import load_settings
from yanbao.library import Library
from yanbao.retrieval.answer import Answerer, Preselection
from yanbao.retrieval.index import SearchIndex

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev" / "corpus"
SAMPLE = Path(__file__).resolve().parents[2] / "corpus" / "samples" / "000_fb266df941e8ceb3.txt"
QUESTIONS = ["催收公司拿區塊鏈做什麼？", "主题公园的竞争格局如何？", "智能船舶制造面临哪些挑战？",
             "带量采购对药企有什么影响？", "咖啡行業的市場規模有多大？", "福建用戶提問：催收行業的驅動因素有哪些？"]


def _lib(home: Path, **settings) -> Library:
    return Library(load_settings({"home": home, "embedder": "hashing", "sample": False, **settings}, env={}))


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    articles = sorted(DEV.glob("*.txt"))[:6]
    if len(articles) < 6:
        pytest.skip(f"no dev corpus at {DEV} (../shared is not beside the project)")
    folder = tmp_path_factory.mktemp("ivf") / "home"
    _lib(folder, vector_index="ivf").ingest([str(SAMPLE), *map(str, articles)])
    return folder


@pytest.fixture(scope="module")
def flat_home(home, tmp_path_factory) -> Path:
    """The same reports, in the same order, indexed without a partition."""
    folder = tmp_path_factory.mktemp("flat") / "home"
    articles = sorted(DEV.glob("*.txt"))[:6]
    _lib(folder, vector_index="flat").ingest([str(SAMPLE), *map(str, articles)])
    return folder


def test_a_partitioned_segment_scores_as_a_flat_one(home, flat_home):
    """Its vectors are stored list by list: every unit still gets its own vector's score."""
    ivf, flat = SearchIndex.load(_lib(home).home), SearchIndex.load(_lib(flat_home).home)
    assert ivf.partitioned and not flat.partitioned
    assert [u.text for u in ivf.units] == [u.text for u in flat.units]
    for q in _vectors(_lib(home), ivf):
        assert np.allclose(ivf.dense_scores(q), flat.dense_scores(q), atol=1e-6)
        some = np.arange(0, len(flat.units), 7)
        assert np.allclose(ivf.dense_at(q, some), flat.dense_scores(q)[some], atol=1e-6)


def _vectors(lib: Library, index: SearchIndex) -> np.ndarray:
    return lib.embedder().embed_queries(QUESTIONS)


def test_only_the_asked_segments_are_partitioned(home, tmp_path):
    (seg,) = [p for p in (home / "index" / "segments").iterdir()]
    assert {"ivf.centroids.npy", "ivf.indptr.npy", "ivf.units.npy", "moments.npz"} <= {p.name for p in seg.iterdir()}
    index = SearchIndex.load(_lib(home).home)
    assert index.partitioned
    centroids, indptr, units, rows = index._segments[0].ivf
    # every unit of the segment is in exactly one list, and its vector is stored at its row
    assert indptr[-1] == len(units) == len(index.units) and sorted(np.asarray(units).tolist()) == list(range(len(units)))
    assert (np.asarray(rows)[np.asarray(units)] == np.arange(len(units))).all()
    small = tmp_path / "auto"
    _lib(small).ingest([str(SAMPLE)])  # auto: a segment below ivf_min_units is scanned whole
    assert not SearchIndex.load(_lib(small).home).partitioned


def test_moments_give_the_exact_mean_and_deviation(home, tmp_path):
    copy = tmp_path / "h"
    shutil.copytree(home, copy)
    lib = _lib(copy)
    for removed in (False, True):
        if removed:  # a tombstoned report's rows leave the moments too
            lib.remove(lib.reports()[2].id)
        index = SearchIndex.load(lib.home)
        assert index.partitioned and (index._segments[0].all_live is not removed)
        for q in _vectors(lib, index):
            exact = index.dense_scores(q)
            near = index.dense_candidates(q, k=50, lists=2)
            assert near.mean == pytest.approx(float(exact.mean()), abs=1e-6)
            assert near.std == pytest.approx(float(exact.std()), rel=1e-4)
            # the pre-selected scores are the exact inner products of those units
            assert np.allclose(near.scores, exact[near.uids], atol=1e-6)
            assert np.allclose(index.dense_at(q, near.uids), exact[near.uids], atol=1e-6)


def test_every_list_probed_finds_the_exact_neighbours(home):
    lib = _lib(home)
    index = SearchIndex.load(lib.home)
    lists = len(index._segments[0].ivf[0])
    for q in _vectors(lib, index):
        exact = index.dense_scores(q)
        want = np.sort(np.argsort(-exact, kind="stable")[:40])
        assert index.dense_candidates(q, k=40, lists=lists).uids.tolist() == want.tolist()
        # a few lists: most of the true neighbours, never a unit twice
        few = index.dense_candidates(q, k=40, lists=3).uids
        assert len(set(few.tolist())) == len(few) == 40


def test_answers_equal_the_exact_path_when_every_unit_is_preselected(home):
    lib = _lib(home)
    index = SearchIndex.load(lib.home)
    everything = Preselection(probe=len(index._segments[0].ivf[0]), candidates=len(index.units))
    exact = Answerer(index, lib.embedder(), lib.home, preselect=None)
    pre = Answerer(index, lib.embedder(), lib.home, preselect=everything)
    assert pre.preselect is not None and exact.preselect is None
    for q in QUESTIONS:
        a, b = exact.answer(q), pre.answer(q)
        assert (a.abstained, [e.text for e in a.evidence]) == (b.abstained, [e.text for e in b.evidence]), q
        assert a.confidence == pytest.approx(b.confidence, abs=2e-3)


def test_a_small_preselection_still_answers_from_the_same_reports(home):
    """Twenty units per retriever out of ~1,000: the cited reports stay those of the exact path."""
    lib = _lib(home)
    index = SearchIndex.load(lib.home)
    exact = Answerer(index, lib.embedder(), lib.home, preselect=None)
    small = Answerer(index, lib.embedder(), lib.home, preselect=Preselection(probe=2, candidates=20))
    for q in QUESTIONS:
        a, b = exact.answer(q), small.answer(q)
        assert a.abstained == b.abstained, q
        if a.evidence:
            assert b.evidence[0].report_id == a.evidence[0].report_id, q


def test_the_flat_setting_scores_every_vector(home):
    lib = Library(replace(_lib(home).settings, vector_index="flat"))
    assert lib.answerer().preselect is None
    assert _lib(home).answerer().preselect == Preselection(16, 1000)


def test_vector_index_settings_are_checked(tmp_path):
    assert load_settings({"home": tmp_path, "vector_index": "hnsw"}, env={}).vector_index == "ivf"  # the old name
    with pytest.raises(SettingsError, match="vector_index"):
        load_settings({"home": tmp_path, "vector_index": "annoy"}, env={})
    with pytest.raises(SettingsError, match="positive"):
        load_settings({"home": tmp_path, "ivf_probe": 0}, env={})

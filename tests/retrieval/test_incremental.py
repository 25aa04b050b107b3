"""Incremental index updates (format 7): adding, replacing or removing one report
touches only that report's segment or tombstone, and every score and answer
equals a from-scratch build over the same reports in the same order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from yanbao.core.settings import load_settings
from yanbao.corpus.script import search_key
from yanbao.library import Library
from yanbao.retrieval.answer import Answerer
from yanbao.retrieval.index import SearchIndex, build_index

DEV = Path("/work/shared/eval/dev/corpus")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt"
QUESTIONS = [
    "催收公司拿區塊鏈做什麼？", "主题公园的竞争格局如何？", "智能船舶制造面临哪些挑战？", "带量采购对药企有什么影响？",
    "海洋经济的发展趋势是什么？", "咖啡行業的市場規模有多大？", "固态电池产业化进展如何？", "福建用戶提問：催收行業的驅動因素有哪些？",
]


def _open(home: Path) -> Library:
    return Library(load_settings({"home": home, "embedder": "hashing"}, env={}))


def _dev_articles(n: int) -> list[Path]:
    found = sorted(DEV.glob("*.txt"))[:n]
    if len(found) < n:
        pytest.skip("the shared dev corpus is not here")
    return found


def _state(home: Path) -> dict:
    index = home / "index"
    gen = json.loads((index / (index / "CURRENT").read_text().strip() / "meta.json").read_text())
    return {s["name"]: s["dead"] for s in gen["segments"]}


def _snapshot(lib: Library) -> dict:
    index = SearchIndex.load(lib.home)
    answerer = Answerer(index, lib.embedder(), lib.home)
    out = {"units": [(u.report_id, u.kind, u.start, u.text, u.role, u.entity_ids) for u in index.units],
           "reports": list(index.report_ids), "relations": list(index.relations),
           "entities": sorted((eid, json.dumps(e, ensure_ascii=False)) for eid, e in index.entities.items()),
           "by_entity": dict(index.units_by_entity.items()),
           # the arrays the graph routing reads: an entity's report ranks and neighbours, a topic's reports
           "entity_ranks": {eid: index.entities.report_ranks(eid).tolist() for eid, _ in index.entities.items()},
           "neighbours": {eid: sorted(index.neighbours.get(eid, ())) for eid, _ in index.entities.items()},
           "topics": {t: index.report_ranks_with_topic(search_key(t)).tolist()
                      for rid in index.report_ids for t in index.reports[rid].get("topics", ())},
           "sections": [index.sections.report_of[i] for i in range(len(index.sections.report_of))],
           "fused": [], "answers": [], "keys": []}
    for q in QUESTIONS:
        qa = answerer.analyse(q)
        found = answerer.search(qa)
        out["fused"].append((found.fused, found.signals))
        out["keys"].append(index.entities_in(qa.norm))
        a = answerer.answer(q)
        out["answers"].append((a.abstained, a.confidence, [(e.report_id, e.start, e.text, e.score) for e in a.evidence],
                               a.entities, [r.title for r in a.related_reports], [c.report_id for c in a.coverage]))
    return out


def _assert_same(got: dict, want: dict) -> None:
    for key in ("units", "reports", "relations", "entities", "by_entity", "entity_ranks", "neighbours", "topics", "sections", "keys"):
        assert got[key] == want[key], key
    for (f1, s1), (f2, s2) in zip(got["fused"], want["fused"]):
        assert np.allclose(f1, f2, rtol=1e-5, atol=1e-5)
        for name in s1.__dataclass_fields__:
            assert getattr(s1, name) == pytest.approx(getattr(s2, name), rel=1e-5, abs=1e-6), name
    for a1, a2 in zip(got["answers"], want["answers"]):
        assert a1[0] == a2[0] and a1[1] == pytest.approx(a2[1], abs=2e-3)
        assert [e[:3] for e in a1[2]] == [e[:3] for e in a2[2]]
        assert a1[3:] == a2[3:]


def _rebuilt(home: Path, tmp_path: Path) -> dict:
    """The same home with its index rebuilt from scratch, in the incremental index's report order."""
    copy = tmp_path / "rebuilt"
    shutil.copytree(home, copy)
    lib = _open(copy)
    order = SearchIndex.load(lib.home).report_ids
    build_index(lib.home, order, lib.embedder(batch=True), lib.settings, full=True)
    assert len(_state(copy)) == 1
    return _snapshot(lib)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inc-corpus")
    for p in [SAMPLE, *_dev_articles(6)]:
        shutil.copy(p, folder / p.name)
    return folder


def test_add_remove_replace_score_as_a_rebuild(corpus, tmp_path):
    home = tmp_path / "h"
    lib = _open(home)
    files = sorted(corpus.glob("*.txt"))
    editable = tmp_path / files[2].name
    shutil.copy(files[2], editable)
    files[2] = editable
    lib.ingest([str(p) for p in files[:5]])
    before = _state(home)
    assert len(before) == 1

    lib.ingest([str(files[5])])  # add one: a segment of its own, the first untouched
    after_add = _state(home)
    assert len(after_add) == 2 and set(before) < set(after_add)

    victim = next(e for e in lib.reports() if Path(e.origin).name == files[1].name)
    lib.remove(victim.id)  # remove one: a tombstone, no segment written
    after_remove = _state(home)
    assert set(after_remove) == set(after_add) and victim.id in sum(after_remove.values(), [])

    text = editable.read_text(encoding="utf-8")  # replace one: its file changed
    sentences = text.split("。")
    editable.write_text("。".join(sentences[: len(sentences) * 2 // 3]) + "。\n", encoding="utf-8")
    assert [o.status for o in lib.ingest([str(editable)])] == ["replaced"]
    lib.ingest([str(files[6])])
    state = _state(home)
    assert len(state) == 4 and sum(len(d) for d in state.values()) >= 1

    incremental = _snapshot(lib)
    assert victim.id not in incremental["reports"]
    _assert_same(incremental, _rebuilt(home, tmp_path))


def test_removing_everything_but_one_compacts(corpus, tmp_path):
    home = tmp_path / "h"
    lib = _open(home)
    files = sorted(corpus.glob("*.txt"))
    lib.ingest([str(p) for p in files[:4]])
    entries = lib.reports()
    (first,) = _state(home)
    for e in entries[:2]:
        lib.remove(e.id)
    # over a third of the segment's units removed: it was rewritten without them
    state = _state(home)
    assert first not in state and len(state) == 1
    assert SearchIndex.load(lib.home).report_ids == [e.id for e in entries[2:]]
    _assert_same(_snapshot(lib), _rebuilt(home, tmp_path))


def test_many_small_adds_stay_few_segments(corpus, tmp_path):
    home = tmp_path / "h"
    lib = _open(home)
    files = sorted(corpus.glob("*.txt"))
    for p in files:
        lib.ingest([str(p)])
    from yanbao.retrieval.index import _MAX_SEGMENTS

    assert len(_state(home)) <= _MAX_SEGMENTS
    assert len(list((home / "index" / "segments").iterdir())) <= 2 * _MAX_SEGMENTS  # the live and previous generations'
    _assert_same(_snapshot(lib), _rebuilt(home, tmp_path))

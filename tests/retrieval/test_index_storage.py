"""The index's on-disk records (format 9): read on demand, same content as the parts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from yanbao.core.errors import IndexMismatchError, StoreError
from yanbao.core.settings import load_settings
from yanbao.corpus.script import search_key
from yanbao.library import Library
from yanbao.retrieval.index import INDEX_FORMAT, SearchIndex


def _open(home: Path) -> Library:
    return Library(load_settings({"home": home, "embedder": "hashing"}, env={}))


@pytest.fixture(scope="module")
def built(tmp_path_factory, fixtures_dir):
    home = tmp_path_factory.mktemp("storage") / "h"
    lib = _open(home)
    lib.ensure_initialised()
    lib.ingest([str(p) for p in sorted(fixtures_dir.glob("broker_*.txt"))])
    return home, lib


def _parts(home: Path) -> list[dict]:
    index = SearchIndex.load(_open(home).home)
    return [json.loads((home / "index" / "parts" / f"{rid}.json").read_text(encoding="utf-8")) for rid in index.report_ids]


def test_records_match_the_report_parts(built):
    home, lib = built
    index = SearchIndex.load(lib.home)
    parts = _parts(home)
    units = [u for p in parts for u in p["units"]]
    assert len(index.units) == len(units) == index.meta["units"] and index.meta["format"] == INDEX_FORMAT
    assert not (index.root / "units.json").exists()
    for i, (got, want) in enumerate(zip(index.units, units)):
        assert got.uid == i and got == index.units[i]
        assert (got.report_id, got.kind, got.text, got.start, got.end, list(got.section), got.role, list(got.entity_ids),
                got.block, got.claim_id) == (
            want["report_id"], want["kind"], want["text"], want["start"], want["end"], want["section"], want["role"],
            want["entity_ids"], want["block"], want["claim_id"])
    assert list(index.reports) == [p["report"]["id"] for p in parts]
    for p in parts:
        assert index.reports[p["report"]["id"]] == p["report"]
        assert index.related(p["report"]["id"]) == p["report"]["related"]
        assert index.report_units.get(p["report"]["id"]) == len(p["units"])
        assert index.report_title(p["report"]["id"]) == p["report"]["title"]
    with pytest.raises(KeyError):
        index.report_title("no-such-report")
    fresh = SearchIndex.load(lib.home)  # nothing remembered: read in batches
    some = [5, 0, 5, len(units) - 1, *range(1, len(units), 3)]
    assert fresh.units.many(np.asarray(some)) == [index.units[i] for i in some]
    with pytest.raises(IndexError):
        fresh.units.many([len(units)])
    # per-unit arrays and lookups agree with the records
    roles = {u.role for u in index.units}
    for wanted in ({"driver"}, {"challenge", "trend"}, roles):
        assert index.roles_in(wanted).tolist() == [u.role in wanted for u in index.units]
        assert index.role_factor(wanted).tolist() == [2.0 if u.role in wanted else 1.0 for u in index.units]
    order = list(dict.fromkeys(u.report_id for u in index.units))
    assert index.unit_report.tolist() == [order.index(u.report_id) for u in index.units]
    by_entity: dict[str, list[int]] = {}
    for u in index.units:
        for eid in u.entity_ids:
            by_entity.setdefault(eid, []).append(u.uid)
    assert dict(index.units_by_entity.items()) == by_entity
    for eid, uids in list(by_entity.items())[:50]:
        assert index.units_by_entity.get(eid) == uids
    assert index.units_by_entity.get("no-such-entity", ()) == ()
    relations = [r for p in parts for r in p["relations"]]
    assert list(index.relations) == relations
    for s, _, o, _ in relations[:50]:
        assert o in index.neighbours.get(s) and s in index.neighbours.get(o)
    linked: dict[str, set[str]] = {}
    for s, _, o, _ in relations:
        linked.setdefault(s, set()).add(o)
        linked.setdefault(o, set()).add(s)
    entities = dict(index.entities.items())
    for eid, e in entities.items():  # the arrays and covering indexes agree with the records
        assert index.neighbours.get(eid, set()) == linked.get(eid, set())
        assert index.entities.report_ranks(eid).tolist() == [index.report_rank[r] for r in e["reports"]]
    for p in parts:
        for topic in p["report"]["topics"]:
            want = sorted(i for i, q in enumerate(parts) for t in q["report"]["topics"] if search_key(t) == search_key(topic))
            assert index.report_ranks_with_topic(search_key(topic)).tolist() == want


def test_entity_keys_found_as_a_scan_of_all_keys_would(built):
    _, lib = built
    index = SearchIndex.load(lib.home)
    entities = dict(index.entities.items())
    every = sorted(((k, eid) for eid, e in entities.items() for k in e["keys"] if len(k) >= 2), key=lambda kv: -len(kv[0]))
    texts = [k for k, _ in every[:40:3]] + ["".join(k for k, _ in every[:6]), "什么都没有", "", "a"]
    for text in texts:
        assert index.entities_in(text) == [(k, eid) for k, eid in every if k in text]


def test_section_search_in_place_equals_a_scan(built):
    home, lib = built
    index = SearchIndex.load(lib.home)
    sections = [(p["report"]["id"], key) for p in _parts(home) for key in p["report"]["section_keys"]]
    assert [index.sections.report_of[i] for i in range(len(sections))] == [rid for rid, _ in sections]
    for term in ["电池", "半导体", "2025", "的", "不存在的词语", "a", "\u2014"]:
        want = [i for i, (_, key) in enumerate(sections) if term in key]
        assert index.sections.containing(term).tolist() == want, term
    teasers = [((p["report"]["id"], n), rr["key"]) for p in _parts(home) for n, rr in enumerate(p["report"]["related"])]
    for term in ["报告", "电池", "不存在的词语", "报", "电池技术"]:
        found = {index.teasers.ids[i] for i in index.teasers.containing(term).tolist()}
        assert found == {ident for ident, key in teasers if term in key}
    titles = [rr["title"] for p in _parts(home) for rr in p["report"]["related"]]
    assert [index.teasers.title(i) for i in range(len(titles))] == titles


def test_a_glued_word_searched_within_its_parts_equals_a_scan(built):
    home, lib = built
    index = SearchIndex.load(lib.home)
    keys = [key for p in _parts(home) for key in p["report"]["section_keys"]]
    for word in ["半导体", "动力电池", "电池技术", "新能源汽车", "不存在的词语"]:
        for part in [word[i : i + 2] for i in range(len(word) - 1)] + [word]:  # parts first, as coverage asks
            assert index.sections.containing(part).tolist() == [i for i, k in enumerate(keys) if part in k], part


def test_key_search_equals_a_scan_past_the_near_window(tmp_path):
    from yanbao.retrieval.index import _Keys, _write_keys

    rng = np.random.default_rng(11)
    alphabet = list("电池光伏市场企业咖啡ab")
    keys = ["".join(rng.choice(alphabet, int(rng.integers(0, 3000)))) for _ in range(40)]  # past 4 KiB apart
    _write_keys(tmp_path / "k", keys)
    found = _Keys(tmp_path / "k")
    for term in ["电池", "咖啡企业", "ab", "b", "光伏市场电池", keys[-1][-3:], keys[0][:2], "不存在"]:
        assert found.containing(term).tolist() == [i for i, k in enumerate(keys) if term and term in k], term


def _segments(copy: Path) -> list[Path]:
    gen = copy / "index" / (copy / "index" / "CURRENT").read_text().strip()
    return [copy / "index" / "segments" / s["name"] for s in json.loads((gen / "meta.json").read_text())["segments"]]


def _segment(copy: Path) -> Path:
    return _segments(copy)[-1]


def test_an_older_index_format_is_refused_with_the_fix(built, tmp_path):
    home, _ = built
    copy = tmp_path / "old"
    shutil.copytree(home, copy)
    gen = copy / "index" / (copy / "index" / "CURRENT").read_text().strip()
    meta = json.loads((gen / "meta.json").read_text())
    (gen / "meta.json").write_text(json.dumps({**meta, "format": 4}))
    with pytest.raises(IndexMismatchError, match="yanbao reindex"):
        SearchIndex.load(_open(copy).home)
    _open(copy).reindex()
    assert SearchIndex.load(_open(copy).home).meta["format"] == INDEX_FORMAT


@pytest.mark.parametrize("damage", ["records.sqlite", "unit_role.npy", "sections.bin"])
def test_a_damaged_generation_is_a_store_error(built, tmp_path, damage):
    home, _ = built
    copy = tmp_path / "d"
    shutil.copytree(home, copy)
    gen = _segment(copy)
    if damage == "records.sqlite":
        (gen / damage).write_bytes(b"not a database" * 100)
    else:
        (gen / damage).unlink()
    with pytest.raises(StoreError):
        SearchIndex.load(_open(copy).home)


def test_answers_read_units_on_demand(built):
    _, lib = built
    index = SearchIndex.load(lib.home)
    assert index.units._memo == {}
    a = _open(built[0]).ask("固态电池产业化进展如何？", log=False)
    assert a.evidence
    assert np.asarray(index.unit_report).dtype == np.int32


def test_vectors_mapped_in_place_score_as_stored(built):
    _, lib = built
    index = SearchIndex.load(lib.home)
    dim = index.meta["dim"]
    held = np.concatenate([np.fromfile(seg / "vectors.f32", dtype=np.float32).reshape(-1, dim) for seg in _segments(built[0])])
    q = np.random.default_rng(3).standard_normal(held.shape[1]).astype(np.float32)
    assert np.allclose(index.dense_scores(q), held @ q, rtol=1e-5, atol=1e-6)


def test_a_truncated_vector_file_is_a_store_error(built, tmp_path):
    home, _ = built
    copy = tmp_path / "t"
    shutil.copytree(home, copy)
    path = _segment(copy) / "vectors.f32"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError):
        SearchIndex.load(_open(copy).home)


def test_a_terms_sections_from_character_pair_postings_equal_a_scan(built):
    """Sections holding a term are found from the postings of its character pairs (then
    checked in place); the rows are exactly those a search of the whole key text finds."""
    from yanbao.corpus.script import search_key

    _, lib = built
    index = SearchIndex.load(lib.home)
    rng = np.random.default_rng(3)
    for seg in index._segments:
        keys = [bytes(seg.sections.text[int(a) : int(b) - 1]).decode("utf-8")
                for a, b in zip(seg.sections.starts, list(seg.sections.starts[1:]) + [len(seg.sections.text) + 1])]
        # substrings of the keys themselves (2 to 6 characters), a few words, and absent terms
        terms = {k[i : i + n] for k in keys if len(k) > 8 for n in (2, 3, 4, 6) for i in rng.integers(0, len(k) - n, 5)}
        terms |= {search_key(w) for w in ("催收", "半導體", "新能源汽車", "咖啡豆", "产能过剩", "AI", "x")}
        for term in sorted(terms):
            assert seg.sections_containing(term).tolist() == seg.sections.containing(term).tolist(), term
    assert sum(len(seg.sections_containing(search_key("半導體"))) for seg in index._segments) > 0

"""Graph routing by report topics (``yb:topic``): a question word that is one of a
report's topics routes the question to that report even when no entity of the
report carries the word.  Two real dev articles on theme parks: the first's
industry node reads 乐园 and none of its entities is 主题公园, but 主题公园 is one
of its topics (checked by hand in its extraction)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yanbao.corpus.script import search_key
from yanbao.core.settings import load_settings
from yanbao.library import Library

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev" / "corpus"
ARTICLES = ["01_theme_park_consumption.txt", "02_theme_park_competition.txt", "03_smart_ship_manufacturing.txt"]


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> Library:
    paths = [DEV / a for a in ARTICLES]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"no dev corpus at {DEV} (../shared is not beside the project)")
    library = Library(load_settings({"home": tmp_path_factory.mktemp("h"), "embedder": "hashing", "sample": False}, env={}))
    library.ingest([str(p) for p in paths])
    return library


def _rid(lib: Library, name: str) -> str:
    return next(e.id for e in lib.reports() if Path(e.origin).name == name)


def test_reports_are_found_by_their_topics(lib):
    index = lib.answerer().index
    first, second = _rid(lib, ARTICLES[0]), _rid(lib, ARTICLES[1])
    with_topic = [index.report_ids[r] for r in index.report_ranks_with_topic(search_key("主题公园"))]
    assert {first, second} <= set(with_topic)
    assert _rid(lib, ARTICLES[2]) not in with_topic
    assert len(index.report_ranks_with_topic(search_key("咖啡"))) == 0
    # the premise: no entity of the first report is named 主题公园
    extraction = lib.home.load_extraction(first)
    assert "主题公园" in extraction.topics
    assert not any(search_key(e.label) == search_key("主题公园") for e in extraction.entities)


def test_a_topic_word_routes_the_question_to_the_report(lib):
    answerer = lib.answerer()
    index = answerer.index
    qa = answerer.analyse("主题公园给周边城市带来多少额外消费？")
    scores = answerer._graph_scores(qa, len(index.units))
    per_report = np.bincount(index.unit_report, weights=scores, minlength=len(index.report_ids))
    rank = {rid: per_report[i] for i, rid in enumerate(index.report_ids)}
    assert rank[_rid(lib, ARTICLES[0])] > 0 and rank[_rid(lib, ARTICLES[1])] > 0
    assert rank[_rid(lib, ARTICLES[2])] == 0
    # without the topic route, the first report is not reached by the graph at all
    route, routed_to = np.zeros(len(index.report_ids)), np.zeros(len(index.report_ids), bool)
    for eid in qa.entity_ids:
        routed_to[index.entities.report_ranks(eid)] = True
    answerer._route_by_prefix(qa, route, routed_to)
    assert not routed_to[index.report_rank[_rid(lib, ARTICLES[0])]]

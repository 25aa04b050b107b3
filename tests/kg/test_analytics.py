"""The networkx projection: central actors, paths explained by claims, neighbourhoods."""

from __future__ import annotations

import networkx as nx
import pytest

from yanbao.corpus.script import match_key
from yanbao.kg.analytics import (
    CO_MENTION,
    central_entities,
    describe_entity,
    entity_graph,
    explain_path,
    find_entity,
    graph_stats,
    neighbourhood,
)
from yanbao.core.errors import InputError, NotFoundError


@pytest.fixture(scope="module")
def G(lib) -> nx.MultiGraph:
    st = lib.graph()
    try:
        return entity_graph(st)
    finally:
        st.close()


def test_projection_has_typed_and_co_mention_edges(G):
    assert G.number_of_nodes() >= 40
    preds = {d["predicate"] for _, _, d in G.edges(data=True)}
    assert {"uses", "partnersWith", "drives", CO_MENTION} <= preds
    for n, d in G.nodes(data=True):
        assert d["label"] and d["cls"]
    for _, _, d in G.edges(data=True):
        assert d["claims"], d
        assert all(c in G.graph["claims"] for c in d["claims"])


def test_projection_is_deterministic(G, lib):
    st = lib.graph()
    try:
        again = entity_graph(st)
    finally:
        st.close()
    assert list(again.nodes) == list(G.nodes)
    assert list(again.edges(keys=True)) == list(G.edges(keys=True))


def test_central_entities_are_actors(G):
    top = central_entities(G, top=5)
    assert len(top) == 5
    assert sum(G.nodes[n]["cls"] == "Actor" for n, _ in top) >= 3
    actors = central_entities(G, cls="actor", top=5)
    assert all(G.nodes[n]["cls"] == "Actor" for n, _ in actors)
    labels = {match_key(G.nodes[n]["label"]) for n, _ in actors}
    assert labels & {match_key(x) for x in ("催收機構", "金融機構", "科技公司", "銀行", "債務人")}
    assert central_entities(G, top=5) == top
    assert central_entities(G, cls="Actor", method="degree")[0][1] >= central_entities(G, cls="Actor", method="degree")[-1][1]
    with pytest.raises(InputError, match="Actor"):
        central_entities(G, cls="Company")


def test_find_entity_by_any_script_and_alias(G):
    eid = find_entity(G, "催收機構")
    assert find_entity(G, "催收机构") == eid
    assert find_entity(G, "第三方催收機構") == eid  # an alias
    with pytest.raises(NotFoundError):
        find_entity(G, "咖啡")


def test_explain_path_between_bank_and_tech_companies(G):
    steps = explain_path(G, "銀行", "科技公司")
    assert steps
    assert G.nodes[steps[0].source]["label"] == "銀行"
    assert G.nodes[steps[-1].target]["label"] == "科技公司"
    for step in steps:
        assert step.claims and all(c.text for c in step.claims)
        for c in step.claims:
            assert c.report_title and c.section and 0 <= c.start < c.end
    assert any("銀行與科技公司" in c.text for c in steps[0].claims)


def test_explain_path_across_a_driver_and_a_challenge(G):
    steps = explain_path(G, "智能化升級", "監管壓力")
    assert steps
    for a, b in zip(steps, steps[1:]):
        assert a.target == b.source


def test_neighbourhood(G):
    sub = neighbourhood(G, "區塊鏈")
    labels = {match_key(d["label"]) for _, d in sub.nodes(data=True)}
    assert match_key("區塊鏈") in labels and len(sub) >= 2
    assert len(neighbourhood(G, "銀行", radius=2)) > len(neighbourhood(G, "銀行", radius=1))


def test_describe_entity(G):
    view = describe_entity(G, "第三方催收机构")
    assert view.label == "催收機構" and view.cls == "Actor"
    assert "第三方催收機構" in view.aliases and view.merges
    assert view.claims and any("律所" in c.text for c in view.claims)
    assert any(nb.label == "律所" and "partnersWith →" in nb.links for nb in view.neighbours)
    driver = describe_entity(G, "智能化升級")
    assert driver.cls == "Driver" and driver.claims  # the claims of the section it names


def test_graph_stats(lib):
    st = lib.graph()
    try:
        stats = graph_stats(st)
    finally:
        st.close()
    assert stats["reports"] == 1 and stats["questions"] == 10 and stats["related_reports"] == 7
    assert stats["entities"]["Driver"] == 3 and stats["claims"] >= 30 and stats["relations"] >= 10
    assert stats["entities_total"] == sum(stats["entities"].values())

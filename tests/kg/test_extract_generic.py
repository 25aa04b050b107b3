"""Generic extraction behaviours on small real inputs: aliases, named banks, coordinated
names, the Industry node, and script normalisation around width-changing characters."""

from __future__ import annotations


import pytest
from rdflib.namespace import DCTERMS, RDF, SKOS

from yanbao.corpus.script import normalise
from yanbao.corpus import parse_document, parse_text
from yanbao.core.records import Extraction, to_dict
from yanbao.kg.extract import _same_length_normalise, extract
from yanbao.kg.rdf import entity_node, report_graph_for
from yanbao.kg.shapes import violations, violations_pyshacl
from yanbao.kg.vocab import YB

from .conftest import ROOT, SAMPLE, make_library

CASE10 = ROOT.parent / "shared" / "cases" / "case-10-abbreviation-aliases" / "auto_electronics.txt"


def _by_label(x: Extraction) -> dict[str, object]:
    return {e.label: e for e in x.entities}


# ----------------------------------------------------------- abbreviations ---


@pytest.mark.skipif(not CASE10.is_file(), reason=f"case {CASE10} not available")
def test_bracketed_abbreviations_become_aliases_of_one_entity():
    x = extract(parse_document(CASE10))
    ents = _by_label(x)
    assert "NEV" in ents["新能源汽车"].aliases
    assert "SiC" in ents["碳化硅"].aliases
    assert "AI" in ents["人工智能"].aliases
    # One entity each: no separate NEV / SiC / AI node.
    labels_and_aliases = [n for e in x.entities for n in (e.label, *e.aliases)]
    for abbr in ("NEV", "SiC", "AI"):
        assert labels_and_aliases.count(abbr) == 1, abbr
    # The later sentence that says only NEV (NEV出口量同比增长62%) mentions the entity.
    nev = ents["新能源汽车"].id
    assert any("NEV出口量" in c.text and nev in c.entity_ids for c in x.claims)


@pytest.mark.skipif(not CASE10.is_file(), reason=f"case {CASE10} not available")
def test_graph_entity_finds_the_long_form_by_its_abbreviation(tmp_path):
    from yanbao.kg.analytics import describe_entity, entity_graph

    lib = make_library(tmp_path / "home")
    lib.ingest([str(CASE10)])
    store = lib.graph()
    try:
        G = entity_graph(store)
    finally:
        store.close()
    assert describe_entity(G, "NEV").label == "新能源汽车"
    assert describe_entity(G, "sic").label == "碳化硅"


# ------------------------------------------------------------------ names ---


def test_named_banks_are_not_merged_into_banks():
    report = parse_text("銀行業觀察\n\n中国银行和北京银行加大了对小微企业的信贷投放，部分银行则收缩了消费贷业务。")
    # The label is the first surface form, in either script (the title writes 銀行).
    ents = {normalise(label): e for label, e in _by_label(extract(report)).items()}
    assert {"中国银行", "北京银行", "银行"} <= set(ents)
    assert ents["中国银行"].id != ents["银行"].id != ents["北京银行"].id
    assert "中国银行" not in ents["银行"].aliases and "北京银行" not in ents["银行"].aliases


def test_coordinated_organisations_are_split_and_named_in_traditional_script():
    report = parse_text("雲計算市場\n\n華為雲和騰訊雲加快海外布局，中研普華產業研究院認為雲計算需求仍將增長。")
    ents = _by_label(extract(report))
    for name in ("華為雲", "騰訊雲", "中研普華產業研究院"):
        assert ents[name].cls == "Actor", name
    assert "華為雲和騰訊雲" not in ents


# ---------------------------------------------------------- normalisation ---


def test_a_width_changing_character_keeps_the_rest_of_the_sentence_normalised():
    text = "銀行與消費金融公司……正在加速佈局，面積約120㎡，溫度25℃。"
    norm = _same_length_normalise(text)
    assert len(norm) == len(text)
    assert norm.startswith("银行与消费金融公司……正在加速布局")
    assert "㎡" in norm and "℃" in norm
    # Extraction still matches the Simplified lexicons in this Traditional sentence.
    report = parse_text("消費金融\n\n" + text)
    labels = {e.label for e in extract(report).entities}
    assert "消費金融公司" in labels


# ---------------------------------------------------------------- industry ---


def test_the_sample_is_about_debt_collection():
    x = extract(parse_document(SAMPLE))
    assert x.industry[0] == "消费金融催收"  # the title: 消費金融催收行業
    (industry,) = [e for e in x.entities if e.cls == "Industry"]
    assert industry.label == "消费金融催收"
    # Drivers, challenges, trends, strategies and actors hang from it, each with a claim.
    preds = {(r.predicate, next(e.cls for e in x.entities if e.id == r.subject)) for r in x.relations if r.object == industry.id}
    assert {("drives", "Driver"), ("hinders", "Challenge"), ("shapes", "Trend"), ("addresses", "Strategy"), ("operatesIn", "Actor")} <= preds
    claim_ids = {c.id for c in x.claims}
    assert all(r.claim_id in claim_ids for r in x.relations if r.object == industry.id)
    # The field survives the on-disk round trip.
    assert Extraction.from_dict(to_dict(x)).industry == x.industry


def test_industry_node_is_the_report_subject_and_shacl_valid():
    report = parse_document(SAMPLE)
    x = extract(report)
    g = report_graph_for(report, x)
    (industry,) = [e for e in x.entities if e.cls == "Industry"]
    node = entity_node(industry.id)
    assert (None, DCTERMS.subject, node) in g
    assert (node, RDF.type, YB.Industry) in g
    # The title names the industry: 消費金融催收行業.
    assert {str(o) for o in g.objects(node, SKOS.prefLabel)} == {"消费金融催收"}
    assert violations(g) == []
    assert violations_pyshacl(g) == []


def test_a_report_subject_that_is_not_an_industry_is_refused_by_both_engines():
    report = parse_document(SAMPLE)
    x = extract(report)
    g = report_graph_for(report, x)
    actor = next(e for e in x.entities if e.cls == "Actor")
    rnode = next(g.subjects(RDF.type, YB.Report))
    g.add((rnode, DCTERMS.subject, entity_node(actor.id)))
    assert violations(g) and violations_pyshacl(g)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("光伏產業觀察\n\n光伏產業產能過剩，光伏組件價格持續下行，光伏企業承壓。", "光伏"),
        ("稀土出口管制\n\n稀土行业集中度提升，稀土永磁需求增长，稀土价格上涨。", "稀土"),
    ],
)
def test_the_industry_is_named_from_the_report_own_words(text, expected):
    assert extract(parse_text(text)).industry[0] == expected


# ------------------------------------------------- phrases of report language ---


def _mentions(sentence: str) -> set[tuple[str, str]]:
    from yanbao.kg.extract import _body_mentions
    from yanbao.kg.lexicon import load_lexicon

    return {(m.cls, m.surface) for m in _body_mentions(sentence, 0, 0, load_lexicon(), None)}


def test_the_term_before_a_bracketed_abbreviation_is_the_whole_word_run():
    found = _mentions("两轮车市场中,纯电动(BEV)份额最高,插混(PHEV)增长最快,增程式(EREV)次之。")
    assert {("Technology", "纯电动"), ("Technology", "插混"), ("Technology", "增程式")} <= found


def test_a_policy_phrase_outside_book_title_marks_is_a_regulation():
    found = _mentions("多国收紧跨境包裹免税政策，而产业政策仍以扶持为主。")
    assert ("Regulation", "跨境包裹免税政策") in found
    assert not any(surface == "产业政策" for _, surface in found)  # everyday words only


def test_examples_named_by_weidaibiao_take_the_class_of_their_head():
    found = _mentions("以Klarna和Affirm为代表的企业正在扩张。")
    assert {("Actor", "Klarna"), ("Actor", "Affirm")} <= found


def test_a_region_opening_a_phrase_that_is_no_name_is_mentioned():
    found = _mentions("韩国企业加快在东南亚建厂。")
    assert ("Region", "韩国") in found


def test_a_byline_names_no_entity():
    assert _mentions("新浪财经· 2026-01-05 09:30") == set()


def test_a_state_phrase_keeps_its_adverb_and_subject():
    found = _mentions("今年资本开支明显收缩，龙头份额持续提升。")
    assert {("Trend", "资本开支明显收缩"), ("Trend", "龙头份额持续提升")} <= found


"""Question analysis, fusion and evidence selection, on a cheap hashing-embedder home.

The hashing embedder has no model: these tests are about the retrieval logic,
not about semantic quality.
"""

from __future__ import annotations

import numpy as np
import pytest

from yanbao.retrieval.answer import MODES
from yanbao.retrieval.textproc import content_terms, search_tokens
from yanbao.library import Library
from yanbao.core.settings import load_settings


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> Library:
    library = Library(load_settings({"home": tmp_path_factory.mktemp("hhome"), "embedder": "hashing"}, env={}))
    library.ensure_initialised()
    return library


@pytest.fixture(scope="module")
def answerer(lib):
    return lib.answerer()


def _unit_at(answerer, ev):
    (unit,) = [u for u in answerer.index.units if u.report_id == ev.report_id and u.start == ev.start and u.end == ev.end]
    return unit


# ------------------------------------------------------------- textproc ---


def test_search_tokens_are_script_normalised():
    assert search_tokens("催收機構的監管挑戰") == search_tokens("催收机构的监管挑战")
    assert all(t.strip("，。？！,.?!") == t for t in search_tokens("催收機構，監管？"))
    assert search_tokens("AI 技術") == search_tokens("ai 技术")


def test_content_terms_drop_stopwords_single_chars_and_numbers():
    terms = content_terms("2026年催收行业的挑战是什么？", frozenset({"挑战", "什么", "是"}))
    assert "挑战" not in terms and "什么" not in terms
    assert "2026" not in terms
    assert all(len(t) >= 2 for t in terms)
    assert any("催收" in t for t in terms)


# ------------------------------------------------------------- analysis ---


def test_analyse_strips_hotline_prefix(answerer):
    qa = answerer.analyse("江西用戶提問：催收行業面臨哪些挑戰？")
    assert qa.region == "江西"
    assert qa.question == "催收行業面臨哪些挑戰？"
    assert "用户" not in qa.norm and "提问" not in qa.norm


def test_analyse_without_prefix_has_no_region(answerer):
    qa = answerer.analyse("催收行業面臨哪些挑戰？")
    assert qa.region == ""
    assert qa.question == "催收行業面臨哪些挑戰？"


def test_analyse_is_script_insensitive(answerer):
    t = answerer.analyse("催收行業面臨哪些監管挑戰？")
    s = answerer.analyse("催收行业面临哪些监管挑战？")
    assert (t.terms, t.intents, t.entity_ids, t.norm) == (s.terms, s.intents, s.entity_ids, s.norm)
    assert len(t.terms) == len(t.weights) and all(w > 0 for w in t.weights)


@pytest.mark.parametrize(
    "question,intent",
    [("催收行業面臨哪些挑戰？", "challenge"), ("推动催收行业发展的驱动因素有哪些？", "driver"), ("催收行業未來的發展趨勢是什麼？", "trend")],
)
def test_intent_detection(answerer, question, intent):
    assert intent in answerer.analyse(question).intents


def test_named_entity_is_detected(answerer):
    qa = answerer.analyse("催收公司拿区块链做什么？")
    labels = [answerer.index.entities[e]["label"] for e in qa.entity_ids]
    assert any("區塊鏈" in lab or "区块链" in lab for lab in labels), labels


# ------------------------------------------------------------- coverage ---


def test_coverage_is_stronger_on_topic(answerer):
    on = answerer.coverage(answerer.analyse("催收機構如何應對監管？"))
    off = answerer.coverage(answerer.analyse("咖啡行業的市場規模有多大？"))
    assert len(on) == 1 and 0.5 <= on[0].strength <= 1.0
    assert max((c.strength for c in off), default=0.0) < on[0].strength
    assert answerer.coverage(answerer.analyse("什麼？")) == []  # no subject at all


def test_coverage_limit_keeps_the_first_reports(answerer):
    qa = answerer.analyse("催收機構如何應對監管？")
    full = answerer.coverage(qa)
    assert [answerer.coverage(qa, limit=n) for n in (0, 1, 5)] == [full[:0], full[:1], full[:5]]


def test_strongest_orders_by_rounded_value_then_id():
    from yanbao.retrieval.answer import _strongest

    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(1, 60))
        # values on and near the rounding grid: many ties once rounded to three decimals
        values = (rng.integers(0, 40, n) / 40 + rng.choice([0.0, 0.0004, -0.0004, 0.0005], n)).astype(np.float32)
        ids = [f"r{int(k):03d}" for k in rng.permutation(1000)[:n]]
        ranks = rng.permutation(n)
        id_order = np.empty(n, np.int64)
        id_order[sorted(range(n), key=lambda r: ids[r])] = np.arange(n)
        expected = sorted(range(n), key=lambda i: (-round(float(values[i]), 3), ids[ranks[i]]))
        for limit in (None, 0, 1, 3, n // 2, n):
            got = _strongest(values, ranks, id_order, limit).tolist()
            assert got == (expected if limit is None else expected[:limit]), (trial, limit)


def test_best_first_within_the_finite_units_is_the_whole_arrays_order():
    from yanbao.retrieval.answer import _best_first_within

    rng = np.random.default_rng(5)
    for trial in range(100):
        n = int(rng.integers(1, 3000))
        finite = np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False))
        values = np.full(n, -np.inf, np.float32)
        values[finite] = rng.integers(0, 5, len(finite)).astype(np.float32)  # many ties
        for k in (1, 10, 200):
            whole = np.argsort(-values, kind="stable")[:k]
            want = whole[np.isfinite(values[whole])]
            assert _best_first_within(values, finite, k).tolist() == want.tolist(), (trial, k)
            assert _best_first_within(values, None, k).tolist() == whole.tolist()


def test_first_units_of_reports_are_those_of_a_full_pass():
    from yanbao.retrieval.answer import _first_units_of

    rng = np.random.default_rng(3)
    unit_report = np.repeat(np.arange(40), rng.integers(1, 9, 40)).astype(np.int32)  # units report by report
    for _ in range(100):
        ranks = np.sort(rng.choice(40, size=int(rng.integers(0, 12)), replace=False))
        for limit in (0, 1, 5, 600):
            expected = np.flatnonzero(np.isin(unit_report, ranks))[:limit]
            assert _first_units_of(unit_report, ranks, limit).tolist() == expected.tolist()


def test_question_without_subject_abstains(lib):
    a = lib.ask("有哪些？", log=False)
    assert a.abstained and not a.evidence and a.reason


# ---------------------------------------------------------------- fusion ---


def _first_claim(answerer, fused):
    for uid in np.argsort(-fused, kind="stable"):
        if answerer.index.units[uid].kind == "claim":
            return answerer.index.units[uid]
    raise AssertionError("no claim")


@pytest.mark.parametrize("mode", MODES)
def test_search_scores_every_unit(answerer, mode):
    qa = answerer.analyse("區塊鏈技術在催收中有什麼用？")
    found = answerer.search(qa, mode=mode)
    assert found.fused.shape == (len(answerer.index.units),)
    assert np.isfinite(found.fused).all()
    if mode == "bm25":
        assert np.array_equal(found.fused, answerer.index.keyword_scores(search_tokens(qa.question)))
    if mode == "graph":  # the question routes to the report; claims naming its entities rank first
        assert qa.entity_ids
        best = answerer.index.units[int(np.argmax(found.fused))]
        assert set(best.entity_ids) & set(qa.entity_ids), best
        assert found.fused.max() > np.median(found.fused) > 0


def test_signals_are_in_range(answerer):
    on = answerer.search(answerer.analyse("區塊鏈技術應用于催收證據存證"), mode="hybrid").signals
    off = answerer.search(answerer.analyse("咖啡豆的烘焙工藝有哪些？"), mode="hybrid").signals
    for s in (on, off):
        assert 0.0 <= s.bigram_max <= 1.0 + 1e-6 and 0.0 <= s.coverage <= 1.0 and 0.0 < s.focus <= 1.0
    assert on.bigram_max > off.bigram_max and on.coverage > off.coverage and on.subject > off.subject


def test_exact_sentence_ranks_first_in_dense_bm25_and_hybrid(answerer):
    sentence = "區塊鏈技術應用于催收證據存證,提升司法處置效率。"
    qa = answerer.analyse(sentence)
    for mode in ("dense", "bm25", "hybrid"):
        assert _first_claim(answerer, answerer.search(qa, mode=mode).fused).text == sentence, mode


def test_headings_are_never_evidence(lib, answerer):
    headings = {u.text for u in answerer.index.units if u.kind == "heading"}
    for q in ("催收行業面臨哪些挑戰？", "中小催收機構如何破局", "催收行業的發展趨勢"):
        a = lib.ask(q, top_k=10, log=False)
        assert a.evidence and not {e.text for e in a.evidence} & headings, q


def test_evidence_is_diverse_and_unique(lib, answerer):
    a = lib.ask("催收", top_k=30, log=False)
    assert not a.abstained
    texts = [e.text for e in a.evidence]
    assert len(texts) == len(set(texts))
    per_block: dict[str, int] = {}
    for e in a.evidence:
        block = _unit_at(answerer, e).block
        per_block[block] = per_block.get(block, 0) + 1
    assert max(per_block.values()) <= 3


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_answers_with_verbatim_quotes(lib, mode):
    a = lib.ask("催收行業面臨哪些監管挑戰？", top_k=5, mode=mode, log=False)
    assert len(a.evidence) <= 5
    for e in a.evidence:
        assert lib.report(e.report_id).text[e.start : e.end] == e.text


def test_confidence_range(lib, answerer):
    for q in ("催收行業面臨哪些挑戰？", "區塊鏈技術應用于催收證據存證", "催收"):
        a = lib.ask(q, log=False)
        assert answerer.model.threshold <= a.confidence <= 1.0
    declined = lib.ask("咖啡豆的烘焙工藝有哪些？", log=False)
    assert declined.abstained and 0.0 <= declined.confidence < answerer.model.threshold


def test_hashing_answers_are_script_invariant(lib):
    # With a script-normalising embedder every retriever sees the same question.
    t = lib.ask("催收行業面臨哪些挑戰？", log=False)
    s = lib.ask("催收行业面临哪些挑战？", log=False)
    assert [e.text for e in t.evidence] == [e.text for e in s.evidence]

"""Questions in, cited answer briefs (or an honest abstention) out.

The public entry point is :class:`Answerer`.  For one question it:

1. analyses it: strips a hotline prefix (``福建用戶提問：``), normalises the
   script, finds its subject terms, the entities it names and its intent;
2. decides coverage from the corpus: are the question's subject terms
   entities, topics or words of some report?  (A similarity threshold cannot
   do this: e5 scores are compressed, an off-topic question scores about as
   high as an on-topic one.)  Uncovered questions are declined;
3. retrieves candidates three ways (dense vectors, BM25 words, graph
   entities and their neighbours), fuses them by reciprocal rank, boosts the
   roles the intent asks for, and keeps diversity across paragraphs;
4. quotes each evidence sentence verbatim (checked against the stored
   report) with its citation, and recommends related reports.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import numpy as np

from yanbao.corpus.script import match_key, search_form, search_key
from yanbao.core.errors import NotFoundError, StoreError
from yanbao.core.home import Home
from yanbao.core.records import Answer, Coverage, Evidence, RelatedReportHit

from .abstain import AbstentionModel, Signals, load_model
from .index import SearchIndex, Unit
from .textproc import char_bigrams, content_terms, idf_weight, search_tokens

__all__ = ["Answerer", "QuestionAnalysis", "Search", "MODES", "FUSION", "embed_question"]

MODES = ("hybrid", "dense", "bm25", "graph")
_PREFIX_RE = re.compile(r"^\s*([\u4e00-\u9fff]{2,4}?)用[戶户]提[問问]\s*[:：]\s*")
_INTENT_ROLE = {  # the role of the passages a question's intent asks for
    "strategy": "strategy",
    "driver": "driver",
    "challenge": "challenge",
    "trend": "trend",
    "number": "number",
    "actor": "actor-fact",
}
_ROLE_LABELS = {
    "driver": "驅動因素",
    "challenge": "挑戰",
    "strategy": "策略",
    "trend": "趨勢",
    "forecast": "預測",
    "actor-fact": "市場主體",
    "number": "數據",
    "fact": "事實",
}
#: Fusion weights of the lexical and graph scores (each max-scaled to 0..1) beside
#: the dense z-score; fitted on the dev and peer sets by ``bench/fit_retrieval.py``
#: (the README's ablation table).  A broad plateau: ±0.1 changes hit@3 by < 0.01.
FUSION = {"bm25": 0.25, "bigram": 0.2, "graph": 0.15}
_LEXICAL_SCALE = 3.0  # a lexical list's best passage counts as 3 standard deviations of dense
_INTENT_BOOST = 0.3  # added (in dense standard deviations) to passages of the role the question asks for
_SPECIFIC_IDF = 6.5  # jieba IDF: common words (扩大 5.3, 服务 5.3) sit below, topic words (咖啡 7.8) above
_PER_PARAGRAPH = 3  # evidence from one paragraph at most (diversity)
_BROAD_MARGIN = 1.0  # a hotline question's evidence comes from reports within this of the best score
_BROAD_REPORTS = 3
_LIST_RE = re.compile(r"哪些|哪几|几个|几类|几种|几大|几项|几方面|分为|分成")  # the question asks for a list
_GRAPH_ROUTE = 0.3  # graph score of a claim of a routed report (doubled for the asked role)
_COVERAGE_KEPT = 10  # the strongest reports a search keeps in its coverage (its signal is the best one's)
_GRAPH_LINK = 1.0  # ... plus this times the idf share of the question's words its entities' labels hold


@dataclass(frozen=True)
class Preselection:
    """How a partitioned (IVF) index is searched: the IVF lists read per segment,
    and the units kept per retriever (dense; lexical and graph) before fusing."""

    probe: int = 16
    candidates: int = 1000


@dataclass(frozen=True)
class Search:
    """One question's scores over every unit of the index, and its abstention signals."""

    fused: np.ndarray  # shape (units,), higher is better; -inf: not pre-selected (partitioned index)
    signals: Signals
    coverage: tuple[Coverage, ...]  # the strongest reports' (at most ``_COVERAGE_KEPT``), strongest first
    # the pre-selected uids (ascending), outside which ``fused`` is -inf; None: no pre-selection
    finite: np.ndarray | None = None


@dataclass(frozen=True)
class QuestionAnalysis:
    """What yanbao understood of a question."""

    question: str  # without a hotline prefix
    region: str
    norm: str  # normalised script, lower case
    normalised: str  # normalised script (what is embedded)
    tokens: tuple[str, ...]  # BM25 words
    bigrams: tuple[str, ...]  # BM25 character bigrams
    terms: tuple[str, ...]
    weights: tuple[float, ...]
    intents: tuple[str, ...]
    entity_ids: tuple[str, ...]
    segments: tuple[str, ...] = ()  # the normalised question's content runs (frame words, punctuation cut out)


class Answerer:
    """Answers questions from one loaded :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex, embedder, home: Home, lexicon=None,
                 preselect: Preselection | None = Preselection()) -> None:
        from yanbao.kg.lexicon import load_lexicon

        self.index = index
        # None: every unit's vector is scored even where the index is partitioned
        self.preselect = preselect if index.partitioned else None
        self.embedder = embedder
        self.home = home
        self.lex = lexicon or load_lexicon()
        self._texts: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        self.model: AbstentionModel = load_model(getattr(embedder, "name", "") if embedder is not None else "")
        self._frame_words = self.lex.question_stopwords | frozenset(cue for _, cue in self.lex.intents)

    # ------------------------------------------------------------ analysis
    def analyse(self, question: str) -> QuestionAnalysis:
        """Normalise a question and find its terms, intents and entities."""
        q = question.strip()
        region = ""
        m = _PREFIX_RE.match(q)
        if m:
            region, q = m.group(1), q[m.end() :]
        normalised = search_form(q)
        norm = normalised.lower()
        tokens = tuple(search_tokens(q))
        terms = content_terms(q, self._frame_words, tokens=tokens)
        intents = []
        q_tokens = set(tokens)
        for intent, cue in self.lex.intents:
            # A bare how-word (如何, 怎么) asks "how", not "what strategy": too weak alone.
            if cue in self.lex.question_stopwords and intent != "number":
                continue
            # Short cues must be whole words: 风险 in 高风险 is not a question about risks.
            hit = cue in q_tokens if len(cue) <= 2 else cue in norm
            if hit and intent not in intents:
                intents.append(intent)
        # Entities the question names (longest key first, no overlaps).
        taken: list[tuple[int, int]] = []
        ents: list[str] = []
        key_text = match_key(q)  # normalised, no spaces or quotes (cached)
        for key, eid in self.index.entities_in(key_text):
            pos = key_text.find(key)
            if pos < 0 or any(pos < e and s < pos + len(key) for s, e in taken):
                continue
            taken.append((pos, pos + len(key)))
            if eid not in ents:
                ents.append(eid)
        return QuestionAnalysis(
            question=q,
            region=region,
            norm=norm,
            normalised=normalised,
            tokens=tokens,
            bigrams=tuple(char_bigrams(normalised)),
            terms=tuple(terms),
            weights=tuple(idf_weight(t) for t in terms),
            intents=tuple(intents),
            entity_ids=tuple(ents),
            segments=_content_segments(norm, tokens, self._frame_words),
        )

    def coverage(self, qa: QuestionAnalysis, limit: int | None = None) -> list[Coverage]:
        """Lexical coverage per report, strongest first: the idf-weighted share
        (0..1) of the question's subject words found together in one top-level
        section of the report.  One signal of the abstention model, not a gate.

        ``limit``: only the ``limit`` strongest reports (the first ``limit`` of
        the whole list, same order and values), chosen with array operations:
        at 10,000 reports a question's words meet in thousands of them.
        """
        if not qa.terms:
            return []
        strength, shares = self._section_strength(qa)
        # Each report's best section (the first one on ties), found with array operations
        # (at 10,000 reports a question's terms meet in thousands of sections).
        secs = np.flatnonzero(strength > 0)
        if not len(secs):
            return []
        ranks = self.index.sections.report_ranks[secs]
        order = np.lexsort((secs, -strength[secs], ranks))
        keep = order[np.r_[True, ranks[order][1:] != ranks[order][:-1]]]
        best_secs, best_ranks = secs[keep], ranks[keep]
        chosen = _strongest(strength[best_secs], best_ranks, self._id_order(), limit)
        ids = self.index.report_ids
        matched_by: dict[bytes, tuple[str, ...]] = {}
        hits = (shares[:, best_secs[chosen]] >= 0.5).T
        out = []
        for i, c in enumerate(chosen.tolist()):
            key = hits[i].tobytes()
            if key not in matched_by:
                matched_by[key] = tuple(t for k, t in enumerate(qa.terms) if hits[i, k])
            rid = ids[int(best_ranks[c])]
            out.append(Coverage(rid, self.index.report_title(rid), round(float(strength[best_secs[c]]), 3), matched_by[key]))
        return out

    def _section_strength(self, qa: QuestionAnalysis) -> tuple[np.ndarray, np.ndarray]:
        """Per section (shape ``(sections,)``): the idf-weighted share (0..1) of the
        question's terms it holds; and per term and section (``(terms, sections)``)
        the share of that term found there (1: whole; a glued word's character
        pairs count by their idf)."""
        total = sum(qa.weights)
        key = search_key(qa.question)
        heads = [
            i for i in range(1, len(qa.terms))
            if (p := key.find(qa.terms[i - 1])) >= 0 and key.find(qa.terms[i], p) == p + len(qa.terms[i - 1])
        ]
        # The terms must meet in one part of a report (a top-level section with the
        # title), not be scattered over it: a battery report that mentions 光伏 once
        # and 价格 elsewhere does not cover "光伏组件价格".  Each term is looked up
        # once in the text of all sections (not section by section), so a question
        # costs the same whether the corpus has ten reports or a thousand.
        sections = self.index.sections
        n = len(sections.report_of)
        shares = np.zeros((len(qa.terms), n), dtype=np.float32)
        for k, t in enumerate(qa.terms):
            if len(t) >= 3 and not t.isascii():  # a word the segmenter glued: its character pairs
                # weighted by how specific each pair is: 医药 of 医药企业 counts, 企业 little
                pairs = [t[i : i + 2] for i in range(len(t) - 1)]
                pw = np.asarray([idf_weight(pair) for pair in pairs])
                for pair, w in zip(pairs, pw / pw.sum()):
                    shares[k, sections.containing(pair)] += w
            shares[k, sections.containing(t)] = 1.0
        for i in heads:
            # The head of a compound whose modifier is absent (组件 of 光伏组件)
            # names something broader than the question asks about.
            shares[i, shares[i - 1] == 0.0] *= 0.5
        weights = np.asarray(qa.weights, dtype=np.float32)
        return (weights @ shares) / total, shares

    def _id_order(self) -> np.ndarray:
        """Per report rank: the position of its id in the sorted report ids
        (shape ``(reports,)``), remembered per loaded index."""
        memo = self.__dict__.get("_id_order_memo")
        if memo is None or memo[0] is not self.index:
            ids = self.index.report_ids
            pos = np.empty(len(ids), dtype=np.int64)
            pos[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
            memo = self._id_order_memo = (self.index, pos)
        return memo[1]

    # ----------------------------------------------------------- retrieval
    def search(self, qa: QuestionAnalysis, mode: str = "hybrid", qvec=None) -> Search:
        """Score every unit for the question and measure the abstention signals.

        Each retriever scores the whole index (dense: exact inner products;
        BM25 over words and over character bigrams: the postings of the
        question's terms; graph: units of the entities the question names), so
        a report's passages compete whatever the corpus size.  Hybrid fuses
        the dense z-scores with the max-scaled lexical and graph scores
        (weights in :data:`FUSION`, fitted by ``bench/fit_retrieval.py``).
        """
        n = len(self.index.units)
        if qvec is None and self.embedder is not None:
            qvec = self.embedder.embed_queries([qa.normalised])[0]
        tokens, grams = list(qa.tokens), list(qa.bigrams)
        words = self.index.keyword_scores(tokens)
        bigram = self.index.bigram_scores(grams)
        graph = self._graph_scores(qa, n)
        cov = self.coverage(qa, limit=_COVERAGE_KEPT)
        parts = []  # what is added to the dense z-score, in this order
        for weight, part in ((FUSION["bm25"], words), (FUSION["bigram"], bigram), (FUSION["graph"], graph)):
            top = float(part.max()) if n else 0.0
            if top > 0:
                parts.append(_LEXICAL_SCALE * weight * part / top)
        wanted = {_INTENT_ROLE[i] for i in qa.intents if i in _INTENT_ROLE}
        if wanted and _INTENT_BOOST:
            parts.append(_INTENT_BOOST * self.index.roles_in(wanted))
        finite = None
        if self.preselect is not None and qvec is not None and n:
            dense, hybrid, best_dense, finite = self._preselected(qvec, sum(parts, np.zeros(n, np.float32)))
        else:
            dense = self.index.dense_scores(qvec) if qvec is not None and n else np.zeros(n, np.float32)
            hybrid = (dense - dense.mean()) / (dense.std() + 1e-6) if n and qvec is not None else np.zeros(n, np.float32)
            for part in parts:
                hybrid = hybrid + part
            best_dense = dense
        m = len(best_dense)
        top50 = np.sort(-np.partition(-best_dense, 49)[:50] if m > 50 else best_dense) if m else np.zeros(1, np.float32)
        signals = Signals(
            dense_max=float(top50[-1]) if n else 0.0,
            dense_gap=float(top50[-1] - np.median(top50)) if n else 0.0,
            bm25_max=_ratio(float(words.max()) if n else 0.0, self.index.bm25.bound(tokens)),
            bigram_max=_ratio(float(bigram.max()) if n else 0.0, self.index.cbm25.bound(grams) if self.index.cbm25 else 0.0),
            coverage=cov[0].strength if cov else 0.0,
            entity=1.0 if qa.entity_ids else 0.0,
            focus=_focus(self.index.unit_report, dense, bigram, finite) if n else 0.0,  # -inf dense: not pre-selected
            phrase=self._phrase(qa, hybrid),
            **self._subject(qa),
        )
        fused = {"dense": dense, "bm25": words, "graph": graph}.get(mode, hybrid)
        return Search(fused=fused, signals=signals, coverage=tuple(cov), finite=finite if mode not in ("bm25", "graph") else None)

    def _preselected(self, qvec, lexical: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Dense and fused scores on a partitioned index, computed for the
        pre-selected units only (shape ``(units,)`` each, ``-inf`` elsewhere),
        the pre-selected dense scores alone (for the signals) and the
        pre-selected uids (ascending).

        Pre-selected: the dense neighbours the IVF lists give, and the units of
        best lexical + graph + intent score, ``candidates`` of each.  Their
        inner products are exact, and so is the z-normalisation (mean and
        standard deviation over every unit, from the segments' moments); a unit
        outside both lists would need a high score on both sides to rank.
        """
        pre = self.preselect
        near = self.index.dense_candidates(qvec, pre.candidates, pre.probe)
        lexical_best = _best_first(lexical, pre.candidates)
        lexical_best = lexical_best[lexical[lexical_best] > 0]
        # the dense neighbours' inner products are known; only the other lexical units' are read
        extra = np.setdiff1d(lexical_best, near.uids, assume_unique=True)
        uids = np.concatenate([near.uids, extra])
        exact = np.concatenate([near.scores, self.index.dense_at(qvec, extra)])
        dense = np.full(len(lexical), -np.inf, np.float32)
        dense[uids] = exact
        hybrid = np.full(len(lexical), -np.inf, np.float32)
        hybrid[uids] = (exact - np.float32(near.mean)) / np.float32(near.std + 1e-6) + lexical[uids]
        return dense, hybrid, exact, np.sort(uids)

    def _phrase(self, qa: QuestionAnalysis, fused: np.ndarray, depth: int = 20) -> float:
        """The longest run of the question's content characters (frame words and
        punctuation cut out, search form) found verbatim in one of the ``depth``
        best passages (text and section), in characters, capped at 8.  A
        paraphrased question still shares a name or a term-phrase (中国系平台,
        车桩比) with the passage that answers it; an off-topic one shares at most
        a common word."""
        if not len(fused) or not qa.segments:
            return 0.0
        top = np.argpartition(-fused, min(depth, len(fused)) - 1)[:depth]
        texts = []
        for uid in top:
            unit = self.index.units[int(uid)]
            texts.append(search_form(unit.text + " " + (unit.section[-1] if unit.section else "")).lower())
        joined = "\x01".join(texts)
        best = 0
        for seg in qa.segments:
            for i in range(len(seg)):
                j = i + best + 1
                while j <= len(seg) and seg[i:j] in joined:
                    best = j - i
                    j += 1
        return float(min(best, 8))

    def _subject(self, qa: QuestionAnalysis) -> dict[str, float]:
        """Is the question's subject in the corpus, and more than in passing?

        ``subject``: the share (0..1) of the question's two most specific words
        found anywhere in the corpus (a long word the segmenter may have glued
        counts by its character pairs).  ``mentions``: log(1 + the largest
        number of passages of one report naming the most specific word; 0 if
        no passage names it): a topic named once in a report about something
        else is not coverage.
        """
        ranked = sorted(zip(qa.terms, qa.weights), key=lambda tw: -tw[1])[:2]
        if not ranked:
            return {"subject": 0.0, "mentions": 0.0}
        sections = self.index.sections
        found, mentions = [], 0.0
        for term, _ in ranked:
            if len(sections.containing(term)):
                share = 1.0
            elif len(term) >= 3 and not term.isascii():
                pairs = [term[i : i + 2] for i in range(len(term) - 1)]
                pw = [idf_weight(p) for p in pairs]
                share = sum(w for p, w in zip(pairs, pw) if len(sections.containing(p))) / sum(pw)
            else:
                share = 0.0
            found.append(share)
            if share == 1.0 and term == ranked[0][0]:
                units = self._passages_naming(term)
                if len(units):
                    mentions = float(np.log1p(np.bincount(self.index.unit_report[units]).max()))
        weights = [w for _, w in ranked]
        return {"subject": sum(f * w for f, w in zip(found, weights)) / sum(weights), "mentions": mentions}

    def _passages_naming(self, term: str) -> np.ndarray:
        """Passages holding every character bigram of ``term`` (the bigram index's
        postings: whatever the segmenter made of the passage)."""
        grams = char_bigrams(term) if self.index.cbm25 is not None else []
        if not grams:
            return self.index.bm25.postings(term)
        units = self.index.cbm25.postings(grams[0])
        for g in grams[1:]:
            # postings are ascending and distinct: their intersection, kept in order
            units = units[np.isin(units, self.index.cbm25.postings(g), assume_unique=True)]
        return units

    def _graph_scores(self, qa: QuestionAnalysis, n: int) -> np.ndarray:
        """Graph retrieval: per unit (shape ``(units,)``), how the knowledge graph
        ties it to the question, with no word matching beyond entity linking.

        The entities and industries the question names (its linked entities)
        *route* it to the reports that hold them (an entity found in many
        reports routes weakly: 1/sqrt(reports)); within a routed report, a claim
        scores by the linked entities it names (each 1/sqrt(its claims), and
        their graph neighbours at a quarter), and by whether its role is the one
        the question asks for (drivers, challenges, strategies...).
        """
        scores = np.zeros(n, np.float32)
        if not n:
            return scores

        unit_counts = self.index.units_per_report()

        def specific(eid: str) -> bool:
            # A "stop entity" (named in more than √N of the units of the reports that
            # name it, like 债务人 in a debt-collection report) ranks nothing: every
            # unit of the topic mentions it.  Counted within its own reports, so adding
            # reports on other topics does not change it.
            units = self.index.units_by_entity.uids(eid)
            pool = int(unit_counts[self.index.entities.report_ranks(eid)].sum())
            return 0 < len(units) <= max(1, pool) ** 0.5

        def add(eid: str, weight: float) -> None:
            units = self.index.units_by_entity.uids(eid)
            if len(units):
                np.add.at(scores, units, weight / len(units) ** 0.5)

        # per report rank: its routing weight, summed in the order the entities route to it
        route = np.zeros(len(self.index.report_ids))
        routed_to = np.zeros(len(self.index.report_ids), bool)
        for eid in qa.entity_ids:
            _route(route, routed_to, self.index.entities.report_ranks(eid), 1.0)
            if specific(eid):
                add(eid, 1.0)
                for nb in self.index.neighbours.get(eid, ()):
                    if specific(nb):
                        add(nb, 0.25)
        self._route_by_prefix(qa, route, routed_to)
        self._route_by_topic(qa, route, routed_to)
        if not routed_to.any():
            return scores
        codes = np.flatnonzero(routed_to)
        weights = route[codes].astype(np.float32)
        per_report = np.zeros(len(self.index.report_ids), np.float32)
        per_report[codes] = weights / weights.max()
        # _GRAPH_ROUTE * routed * (1 + role), per unit: the asked role's units doubled by one
        # multiply with a remembered 1-or-2 array (exact; a masked multiply took 2 ms at 620,000 units)
        routed = (_GRAPH_ROUTE * per_report)[self.index.unit_report]
        wanted = {_INTENT_ROLE[i] for i in qa.intents if i in _INTENT_ROLE}
        if wanted:
            routed *= self.index.role_factor(wanted)
        scores += routed
        self._link_terms(qa, per_report, scores)
        return scores

    def _route_by_prefix(self, qa: QuestionAnalysis, route: np.ndarray, routed_to: np.ndarray) -> None:
        """A specific question word no linked entity holds links, at half weight, to
        the entities whose label starts with it (银发 → 银发经济), and routes to
        their reports; adds to ``route`` (per report rank) and marks ``routed_to`` in place."""
        linked = [search_key(self.index.entities.label(e)) for e in qa.entity_ids]
        for term, weight in zip(qa.terms, qa.weights):
            if len(term) < 2 or weight < _SPECIFIC_IDF or any(term in k for k in linked):
                continue
            for _, eid in self.index.entities_starting(term):
                _route(route, routed_to, self.index.entities.report_ranks(eid), 0.5)

    def _route_by_topic(self, qa: QuestionAnalysis, route: np.ndarray, routed_to: np.ndarray) -> None:
        """A specific question word that is one of a report's topics (``yb:topic``:
        its most specific recurring terms, 主题公园 of a report whose industry
        node reads 乐园) routes to that report at half weight, shared like an
        entity's (1/sqrt(reports)); adds to ``route`` (per report rank) and marks
        ``routed_to`` in place."""
        for term, weight in zip(qa.terms, qa.weights):
            if len(term) < 2 or weight < _SPECIFIC_IDF:
                continue
            _route(route, routed_to, self.index.report_ranks_with_topic(term), 0.5)

    def _link_terms(self, qa: QuestionAnalysis, per_report: np.ndarray, scores: np.ndarray, limit: int = 600) -> None:
        """Within the best-routed reports, link the question's content words to the
        graph's entities: a claim naming an entity whose label contains one of
        the words (or is contained in it: 交货周期 / 交货周期缩短) gains that
        word's share of the question's idf weight.  Adds to ``scores`` in place;
        at most ``limit`` claims are read."""
        terms = [(t, w) for t, w in zip(qa.terms, qa.weights) if len(t) >= 2]
        if not terms or not per_report.any():
            return
        total = sum(w for _, w in terms)
        best = np.flatnonzero(per_report >= 0.5 * per_report.max())
        uids = _first_units_of(self.index.unit_report, best, limit)
        linked: dict[str, int] = {}  # per entity: the words its label links, as bits (word i: 1 << i)
        gain_of: dict[tuple[str, ...], float] = {}  # per set of named entities
        gains: dict[int, float] = {}
        about: dict[tuple[str, tuple[str, ...]], float] = {}  # a heading's linked share, for its section's claims
        units = self.index.units.many(uids)
        for unit in units:
            if unit.entity_ids not in gain_of:
                bits = 0
                for eid in unit.entity_ids:
                    if eid not in linked:
                        k = search_key(self.index.entities.label(eid))
                        linked[eid] = sum(1 << i for i, (t, _) in enumerate(terms) if k and (t in k or (len(k) >= 2 and k in t)))
                    bits |= linked[eid]
                # the words any of the entities links, their weights summed in word order
                gain_of[unit.entity_ids] = sum(w for i, (_, w) in enumerate(terms) if bits >> i & 1) / total
            gain = gains[unit.uid] = gain_of[unit.entity_ids]
            if unit.kind == "heading" and gain:
                about[(unit.report_id, tuple(unit.section))] = gain
        about_by_report: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        for (rid, path), g in about.items():
            about_by_report.setdefault(rid, []).append((path, g))
        for unit in units:
            inherited = max((g for path, g in about_by_report.get(unit.report_id, ())
                             if tuple(unit.section[: len(path)]) == path), default=0.0)
            gain = gains[unit.uid] + 0.5 * inherited
            if gain:
                scores[unit.uid] += _GRAPH_LINK * gain

    # -------------------------------------------------------------- answer
    def answer(self, question: str, top_k: int = 5, mode: str = "hybrid", qid: str | None = None, qvec=None) -> Answer:
        """Answer one question with quoted evidence, or decline when no report covers it.

        The decision is the abstention model's (:mod:`~yanbao.retrieval.abstain`);
        the answer's confidence is its coverage probability.

        Raises:
            StoreError: a stored report no longer matches the index (re-ingest).
        """
        with _one_blas_thread():
            return self._answer(question, top_k, mode, qid, qvec)

    def _answer(self, question: str, top_k: int, mode: str, qid: str | None, qvec) -> Answer:
        qa = self.analyse(question)
        found = self.search(qa, mode, qvec=qvec)
        p = self.model.probability(found.signals)
        order = _best_first_within(found.fused, found.finite, max(200, top_k * 20))
        order = order[np.isfinite(found.fused[order])]  # a partitioned index scores the pre-selected units only
        picked = self._pick(qa, order, found.fused, top_k) if p >= self.model.threshold else []
        # A report removed since this index was loaded (a delete racing the ask) is not cited.
        picked = [(u, score) for u, score in picked if self._still_there(u.report_id)]
        if not picked:
            return self._decline(question, qa, found, p, qid)
        evidence = tuple(self._evidence(u, score) for u, score in picked)
        cited = list(dict.fromkeys(u.report_id for u, _ in picked))
        best = {rid: max(s for u, s in picked if u.report_id == rid) for rid in cited}
        top = max(best.values())
        cov = tuple(
            Coverage(rid, self.index.report_title(rid), round(p * _relative(best[rid], top), 3),
                     tuple(t for t in qa.terms if t in self._report_key(rid)))
            for rid in cited
        )
        uncovered = self._uncovered(qa, cited)
        ent_ids = list(dict.fromkeys([e for e in qa.entity_ids] + [e for u, _ in picked for e in u.entity_ids]))
        entities = tuple(self.index.entities.labels(ent_ids))[:12]
        related = self._related(qa, list(cov))
        weak = p < self.model.weak_below
        return Answer(
            question=question, abstained=False, confidence=round(p, 3), evidence=evidence, entities=entities,
            related_reports=tuple(related), brief=self._brief(qa, evidence, related, weak, uncovered),
            coverage=cov, reason="weak evidence: answered with low confidence" if weak else "", id=qid,
            region=qa.region, uncovered_terms=uncovered,
        )

    def _pick(self, qa: QuestionAnalysis, order, fused, top_k: int) -> list[tuple[Unit, float]]:
        """Evidence sentences, best first: claims only (a bare heading is a section
        path, not an answer), at most two per paragraph, no repeated text.  A
        hotline question (with a region prefix) is usually broad: its evidence
        is taken in turn from each report close to the best one."""
        candidates: list[tuple[Unit, float]] = []
        per_block: dict[str, int] = {}
        seen: set[str] = set()
        head = order[: max(200, top_k * 20)]
        for uid, u in zip(head.tolist(), self.index.units.many(head)):
            if u.kind == "heading":
                continue
            key = match_key(u.text)
            if per_block.get(u.block, 0) >= _PER_PARAGRAPH or key in seen:
                continue
            # The same sentence with a label glued on (风险提示报告的结论…) is a repeat too.
            if len(key) >= 12 and any(len(k) >= 12 and (key in k or k in key) for k in seen):
                continue
            per_block[u.block] = per_block.get(u.block, 0) + 1
            seen.add(key)
            candidates.append((u, float(fused[uid])))
        if not candidates:
            return []
        if not qa.region:
            return self._enumerate(qa, candidates[:top_k], top_k)
        top = candidates[0][1]
        by_report: dict[str, list[tuple[Unit, float]]] = {}
        for u, s in candidates:
            if s >= top - _BROAD_MARGIN:
                by_report.setdefault(u.report_id, []).append((u, s))
        queues = list(by_report.values())[:_BROAD_REPORTS]
        picked: list[tuple[Unit, float]] = []
        while len(picked) < top_k and any(queues):
            for q in queues:
                if q and len(picked) < top_k:
                    picked.append(q.pop(0))
        taken = {id(u) for u, _ in picked}  # then the best of the rest, whatever report
        picked += [c for c in candidates if id(c[0]) not in taken][: top_k - len(picked)]
        return picked

    def _enumerate(self, qa: QuestionAnalysis, picked: list[tuple[Unit, float]], top_k: int) -> list[tuple[Unit, float]]:
        """A question asking for a list (哪些, 哪几个, 分为…) whose evidence sits in a
        section that is itself divided (一次价值… 二次价值… under 三条途径) is
        answered by the section's parts: after that evidence come the first
        sentence of each sub-section, in document order (their headings are the
        items, shown in the citation's section path)."""
        if len(picked) < 2 or not _LIST_RE.search(qa.norm):
            return picked
        for rank, (unit, score) in enumerate(picked[:3]):
            firsts = self._first_claims_of_parts(unit)
            if len(firsts) < 2:
                continue
            head = picked[: rank + 1]
            seen = {match_key(u.text) for u, _ in head}
            items = []
            for u in firsts:
                if match_key(u.text) not in seen:  # no repeated text (a summary may repeat a part's first line)
                    seen.add(match_key(u.text))
                    items.append((u, score))
            rest = [p for p in picked[rank + 1 :] if match_key(p[0].text) not in seen]
            return (head + items + rest)[:top_k]
        return picked

    def _first_claims_of_parts(self, unit: Unit) -> list[Unit]:
        """The first claim of each direct sub-section of ``unit``'s section (document
        order); empty when the section is not divided."""
        code = self.index.report_rank.get(unit.report_id)
        if code is None or not unit.section:
            return []
        depth = len(unit.section)
        firsts: dict[tuple[str, ...], Unit] = {}
        for uid in np.flatnonzero(self.index.unit_report == code):
            u = self.index.units[int(uid)]
            if u.kind != "claim" or len(u.section) <= depth or tuple(u.section[:depth]) != tuple(unit.section):
                continue
            part = tuple(u.section[: depth + 1])
            if part not in firsts or u.start < firsts[part].start:
                firsts[part] = u
        return sorted(firsts.values(), key=lambda u: u.start)

    def _decline(self, question: str, qa: QuestionAnalysis, found: Search, p: float, qid: str | None) -> Answer:
        top_terms = [t for t, _ in sorted(zip(qa.terms, qa.weights), key=lambda x: -x[1])[:3]]
        if not qa.terms:
            reason, why = "the question names no subject", "問題沒有可查的主題詞"
        else:
            reason = "no ingested report covers " + "、".join(_as_written(t, qa) for t in top_terms)
            why = "沒有報告涵蓋「" + "、".join(_as_written(t, qa) for t in top_terms) + "」"
        related = self._related(qa, [])
        return Answer(
            question=question, abstained=True, confidence=round(p, 3), evidence=(), entities=(),
            related_reports=tuple(related), brief=self._abstain_brief(why, related), coverage=(),
            reason=reason, id=qid, region=qa.region,
        )

    def _report_key(self, rid: str) -> str:
        if rid not in self._keys:
            self._keys[rid] = search_key(self._report_text(rid))
        return self._keys[rid]

    def _uncovered(self, qa: QuestionAnalysis, cited: list[str]) -> tuple[str, ...]:
        """The question's specific subject words that no cited report contains."""
        keys = [self._report_key(r) for r in cited]
        return tuple(
            _as_written(t, qa) for t, w in zip(qa.terms, qa.weights)
            if w >= _SPECIFIC_IDF and not any(t in k for k in keys)
        )

    def _evidence(self, u: Unit, score: float) -> Evidence:
        text = self._report_text(u.report_id)
        if text[u.start : u.end] != u.text:
            raise StoreError(f"report {u.report_id} changed since it was indexed; re-ingest it")
        return Evidence(
            text=u.text, report_id=u.report_id, report_title=self.index.report_title(u.report_id),
            section=u.section, start=u.start, end=u.end, role=u.role, score=round(float(score), 5),
            claim_id=u.claim_id,
            entities=tuple(self.index.entities.labels(u.entity_ids)),
        )

    def _still_there(self, rid: str) -> bool:
        """Whether the report's record can still be read (False once it has been removed)."""
        try:
            self._report_text(rid)
        except NotFoundError:
            return False
        return True

    def _report_text(self, rid: str) -> str:
        if rid not in self._texts:
            self._texts[rid] = self.home.load_report(rid).text
        return self._texts[rid]

    def _related(self, qa: QuestionAnalysis, cov: list[Coverage]) -> list[RelatedReportHit]:
        """Related reports whose title or teaser matches the question's subject: the
        three best titles (score, then title), each as its best teaser gives it.

        Only teasers holding one of the question's specific words can score (and
        the covered reports' deep dives).  The other reports' teasers are scored
        with array operations over the teaser texts (the idf share of the words
        each holds, summed in term order: :func:`_teaser_score`'s value, as one
        specific word is there); only the titles of those that can reach the best
        three are read, best first, and the records of the three winners.
        """
        if not qa.terms:
            return []
        total = sum(qa.weights)
        teasers = self.index.teasers
        specific = [t for t, w in zip(qa.terms, qa.weights) if w >= _SPECIFIC_IDF]
        rows = np.unique(np.concatenate([teasers.containing(t) for t in specific])) if specific else np.zeros(0, np.int64)
        # The covered reports' teasers: read and scored exactly (a deep dive counts whatever it holds).
        scored: dict[int, tuple[float, str, dict]] = {}  # teaser row → (score, report id, teaser)
        own: list[int] = []
        for rid in dict.fromkeys(c.report_id for c in cov if c.report_id in self.index.report_rank):
            first = teasers.first_row(self.index.report_rank[rid])
            for n, rr in enumerate(self.index.related(rid)):
                own.append(first + n)
                if rr["kind"] == "deep_dive" or _contains(rows, first + n):
                    scored[first + n] = (_teaser_score(qa, total, rr, rr["kind"] == "deep_dive"), rid, rr)
        others = rows[~np.isin(rows, own)]
        estimate = np.zeros(len(others))
        for t, w in zip(qa.terms, qa.weights):  # in term order, as the exact score sums them
            estimate += w * np.isin(others, teasers.containing(t))
        estimate /= total
        values = np.concatenate([[v for v, _, _ in scored.values()], estimate])
        rows_all = np.concatenate([np.fromiter(scored, dtype=np.int64, count=len(scored)), others])
        keep = np.flatnonzero(values >= 0.3 - 1e-9)
        order = keep[np.argsort(-values[keep], kind="stable")]  # best first; ties: covered reports', then index order
        queue = zip(values[order].tolist(), rows_all[order].tolist())
        best: dict[str, float] = {}  # title → its best score so far (rounded)
        read: list[tuple[int, float, str]] = []  # (row, score, title) of the teasers scoring 0.3 or more
        # A teaser more than 0.02 below the third best title neither enters the best
        # three nor changes which teaser gives one of them (see the loop below).
        stop = -np.inf  # that bound, once three titles are in (it moves only when ``best`` does)
        for v, row in queue:
            if v < stop:
                break
            if v >= 0.3:
                # a covered report's teaser was read above; another's title is read in place (no record)
                title = scored[row][2]["title"] if row in scored else teasers.title(row)
                rounded = round(v, 3)
                if best.get(title, 0.0) < rounded:
                    best[title] = rounded
                    if len(best) >= 3:
                        stop = sorted(best.values(), reverse=True)[2] - 0.02 - 1e-6
                read.append((row, v, title))
        won: dict[str, tuple[float, int]] = {}  # title → (its score, rounded; the row giving it)
        for row, score, title in sorted(read):  # index order
            if title not in won or won[title][0] < score:
                won[title] = (round(score, 3), row)
        hits = []
        for title, (score, row) in won.items():
            if row in scored:
                _, rid, rr = scored[row]
            else:
                rid, n = teasers.ids[row]
                rr = self.index.related(rid)[n]
            hits.append(RelatedReportHit(title, rr["blurb"], rid, score, rr["kind"]))
        return sorted(hits, key=lambda h: (-h.score, h.title))[:3]

    # -------------------------------------------------------------- briefs
    def _brief(self, qa: QuestionAnalysis, evidence: tuple[Evidence, ...], related, weak: bool = False,
               uncovered: tuple[str, ...] = ()) -> str:
        lines = [f"問：{qa.question}"]
        if weak:
            lines.append("（證據較弱：以下段落只部分相關，請由專家確認）")
        by_role: dict[str, list[tuple[int, Evidence]]] = {}
        for n, ev in enumerate(evidence, 1):
            by_role.setdefault(ev.role, []).append((n, ev))
        for role, items in by_role.items():
            lines.append(f"【{_ROLE_LABELS.get(role, role)}】")
            for n, ev in items:
                where = " › ".join(ev.section) if ev.section else "正文"
                lines.append(f"  [{n}] 「{ev.text}」——《{ev.report_title}》{where}，字 {ev.start}–{ev.end}")
        if uncovered:
            lines.append("報告未涉及：" + "、".join(uncovered))
        if related:
            lines.append("延伸閱讀：" + "；".join(f"《{r.title}》" for r in related))
        return "\n".join(lines)

    @staticmethod
    def _abstain_brief(reason: str, related) -> str:
        text = f"無法從已收錄的報告回答：{reason}。"
        if related:
            text += "可推薦的相關報告：" + "；".join(f"《{r.title}》" for r in related)
        return text


def _one_blas_thread():
    """A context in which numpy's BLAS runs on the calling thread alone
    (threadpoolctl; no limit where it is missing).  An answer's products are
    small (a few IVF lists, a thousand rows): a second BLAS thread saves little
    there, and its worker busy-waits after each call, taking a core from the rest
    of the answer — on 2 shared cores that doubled the warm answer's time."""
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except ImportError:
            _BLAS = False
    return _BLAS.limit(limits=1, user_api="blas") if _BLAS else contextlib.nullcontext()


_BLAS = None  # the threadpoolctl controller (False: none), made at the first answer


def _focus(unit_report: np.ndarray, dense: np.ndarray, bigram: np.ndarray, finite: np.ndarray | None = None) -> float:
    """Do the retrievers point at the same report?  The share of the top ten dense
    and top ten bigram passages that belong to the report most of them belong to
    (an off-topic question's best passages scatter over unrelated reports).
    ``finite``: the uids outside which ``dense`` is -inf (None: everywhere finite)."""
    if finite is not None and len(finite) < 10:
        finite = None  # the ten would take -inf units too, as the whole array gives them
    top = np.concatenate([_best_first_within(dense, finite, 10), _best_first(bigram, 10)])
    return float(np.bincount(unit_report[top]).max() / len(top))


def _best_first(values: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(-values, kind="stable")[:k]`` without sorting every unit: the
    units at or above the k-th best value, sorted stably (ties by uid)."""
    if len(values) <= k:
        return np.argsort(-values, kind="stable")
    # the k-th best value: partitioning the negated values at k (numpy's introselect
    # degrades on the many equal values of a sparse score: 10 ms at 600,000 units, 0.4 ms so)
    kth = -np.partition(-values, k - 1)[k - 1]
    above = np.flatnonzero(values > kth)
    # the k-th value's ties, first uids first (a value shared by most units, like 0, costs no sort)
    ties = np.flatnonzero(values == kth)[: k - len(above)]
    candidates = np.concatenate([above, ties])
    return candidates[np.argsort(-values[candidates], kind="stable")][:k]


def _best_first_within(values: np.ndarray, finite: np.ndarray | None, k: int) -> np.ndarray:
    """``_best_first(values, k)`` where only the uids ``finite`` (ascending) hold
    finite values: the best of those (ties by uid, as ``finite`` is ascending),
    without a pass over every unit.  Fewer than ``k`` when ``finite`` has fewer
    (the whole array's answer would go on with -inf units).  None: every value."""
    if finite is None:
        return _best_first(values, k)
    return finite[_best_first(values[finite], k)]


def _strongest(values: np.ndarray, ranks: np.ndarray, id_order: np.ndarray, limit: int | None) -> np.ndarray:
    """Indices into ``values`` (one per report, shape ``(reports covered,)``) in the
    order ``sorted(key=(-round(value, 3), report id))``, the first ``limit`` only
    (all if None).  ``ranks`` are the reports' ranks, ``id_order`` each rank's
    place among the sorted report ids.

    Only the reports within 0.002 of the ``limit``-th best raw value can reach the
    first ``limit`` once rounded to three decimals, so only they are rounded and sorted.
    """
    cand = np.arange(len(values))
    if limit is not None and limit < len(values):
        if limit <= 0:
            return cand[:0]
        kth = float(np.partition(values, len(values) - limit)[len(values) - limit])
        cand = np.flatnonzero(values >= kth - 0.002)
    # each distinct value rounded once (Python's round: numpy's differs on some halves)
    distinct, back = np.unique(values[cand], return_inverse=True)
    rounded = np.asarray([round(v, 3) for v in distinct.tolist()], dtype=np.float64)[back.reshape(-1)]
    order = cand[np.lexsort((id_order[ranks[cand]], -rounded))]
    return order if limit is None else order[:limit]


def _route(route: np.ndarray, routed_to: np.ndarray, ranks: np.ndarray, weight: float) -> None:
    """Route to the reports ``ranks`` (an entity's, repeats kept) ``weight``/sqrt(their
    number) each, in place; nothing when there are none."""
    if len(ranks):
        np.add.at(route, ranks, weight / len(ranks) ** 0.5)
        routed_to[ranks] = True


def _first_units_of(unit_report: np.ndarray, ranks: np.ndarray, limit: int) -> np.ndarray:
    """``np.flatnonzero(np.isin(unit_report, ranks))[:limit]`` without a pass over every
    unit: units are numbered report by report (``unit_report`` never decreases), so
    each report's units are one range, found by bisection."""
    parts, taken = [], 0
    for i in range(0, len(ranks), max(1, limit)):  # a report holds one unit or more: few chunks
        chunk = ranks[i : i + max(1, limit)]
        starts = np.searchsorted(unit_report, chunk, side="left")
        lengths = np.searchsorted(unit_report, chunk, side="right") - starts
        offsets = np.cumsum(lengths) - lengths
        parts.append(np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths))
        taken += len(parts[-1])
        if taken >= limit:
            break
    return np.concatenate(parts)[:limit] if parts else np.zeros(0, np.int64)


def _teaser_score(qa: QuestionAnalysis, total: float, teaser: dict, deep_dive_of_covered: bool) -> float:
    """A related-report teaser's score (0..1): the idf share of the question's words
    its text holds, if one of them is specific (咖啡, not only 扩大); at least 0.5
    for a deep dive of a covered report."""
    hay = teaser["key"]
    matched = [w for t, w in zip(qa.terms, qa.weights) if t in hay]
    score = sum(matched) / total if matched and max(matched) >= _SPECIFIC_IDF else 0.0
    return max(score, 0.5) if deep_dive_of_covered else score


def _contains(sorted_values: np.ndarray, value: int) -> bool:
    i = int(np.searchsorted(sorted_values, value))
    return i < len(sorted_values) and int(sorted_values[i]) == value


def _ratio(value: float, bound: float) -> float:
    return value / bound if bound > 0 else 0.0


_NON_WORD_RE = re.compile(r"[\W_]+")


def _content_segments(norm: str, tokens, frame_words) -> tuple[str, ...]:
    """The runs of ``norm`` left when its frame words (什么, 有多大, 哪些…) and
    punctuation are cut out, each at least two characters long."""
    masked = norm
    for tok in sorted({t for t in tokens if t in frame_words}, key=len, reverse=True):
        masked = masked.replace(tok.lower(), " ")
    return tuple(seg for seg in _NON_WORD_RE.split(masked) if len(seg) >= 2)


def _relative(score: float, top: float) -> float:
    return 1.0 if top <= 0 else max(0.0, min(1.0, score / top))


def _as_written(term: str, qa: QuestionAnalysis) -> str:
    """A normalised term as the question wrote it (script and case kept)."""
    pos = qa.norm.find(term)
    if pos >= 0 and len(qa.norm) == len(qa.question):
        return qa.question[pos : pos + len(term)]
    return term


def embed_question(embedder, question: str) -> np.ndarray:
    """The question's vector, from its search form (as the passages are)."""
    return embedder.embed_queries([search_form(question)])[0]


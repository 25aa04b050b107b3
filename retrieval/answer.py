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

import re
from dataclasses import dataclass

import numpy as np

from yanbao.corpus.script import match_key, normalise
from yanbao.core.errors import StoreError
from yanbao.core.home import Home
from yanbao.core.records import Answer, Coverage, Evidence, RelatedReportHit

from .index import SearchIndex, Unit
from .textproc import content_terms, idf_weight, search_tokens

__all__ = ["Answerer", "QuestionAnalysis", "MODES"]

MODES = ("hybrid", "dense", "bm25", "graph")
_PREFIX_RE = re.compile(r"^\s*([\u4e00-\u9fff]{2,4}?)用[戶户]提[問问]\s*[:：]\s*")
_INTENT_ROLES = {
    "strategy": ("strategy", "driver"),
    "driver": ("driver",),
    "challenge": ("challenge",),
    "trend": ("trend", "forecast"),
    "number": ("number",),
    "actor": ("actor-fact",),
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
_RRF_K = 20  # smaller than the usual 60: the top of each list matters most on short units
# Weight of each retriever in the fusion.  The bundled 4-bit e5-small is the
# weakest signal on Chinese domain text (see the eval table in the README).
_WEIGHTS = {"dense": 0.5, "bm25": 1.0, "graph": 1.0}
_CANDIDATES = 50
_SPECIFIC_IDF = 6.5  # jieba IDF: common words (扩大 5.3, 服务 5.3) sit below, topic words (咖啡 7.8) above
_PER_PARAGRAPH = 3  # evidence from one paragraph at most (diversity)
_COVERAGE_MIN = 0.5  # share of the question's subject weight a report must contain
_COVERAGE_TOP_TERM = 0.7  # needed when the most specific term is absent


@dataclass(frozen=True)
class QuestionAnalysis:
    """What yanbao understood of a question."""

    question: str  # without a hotline prefix
    region: str
    norm: str
    terms: tuple[str, ...]
    weights: tuple[float, ...]
    intents: tuple[str, ...]
    entity_ids: tuple[str, ...]


class Answerer:
    """Answers questions from one loaded :class:`SearchIndex`."""

    def __init__(self, index: SearchIndex, embedder, home: Home, lexicon=None) -> None:
        from yanbao.kg.lexicon import load_lexicon

        self.index = index
        self.embedder = embedder
        self.home = home
        self.lex = lexicon or load_lexicon()
        self._texts: dict[str, str] = {}
        self._frame_words = self.lex.question_stopwords | frozenset(cue for _, cue in self.lex.intents)

    # ------------------------------------------------------------ analysis
    def analyse(self, question: str) -> QuestionAnalysis:
        """Normalise a question and find its terms, intents and entities."""
        q = question.strip()
        region = ""
        m = _PREFIX_RE.match(q)
        if m:
            region, q = m.group(1), q[m.end() :]
        norm = normalise(q).lower()
        terms = content_terms(q, self._frame_words)
        intents = []
        q_tokens = set(search_tokens(q))
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
        key_text = match_key(q)
        for key, eid in self.index.entity_keys:
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
            terms=tuple(terms),
            weights=tuple(idf_weight(t) for t in terms),
            intents=tuple(intents),
            entity_ids=tuple(ents),
        )

    def coverage(self, qa: QuestionAnalysis) -> list[Coverage]:
        """Reports that cover the question, strongest first (strength 0..1)."""
        if not qa.terms:
            return []
        total = sum(qa.weights)
        top = max(range(len(qa.terms)), key=lambda i: qa.weights[i])
        key = match_key(qa.question)
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
                pairs = [t[i : i + 2] for i in range(len(t) - 1)]
                for pair in pairs:
                    shares[k, sections.containing(pair)] += 1.0 / len(pairs)
            shares[k, sections.containing(t)] = 1.0
        for i in heads:
            # The head of a compound whose modifier is absent (组件 of 光伏组件)
            # names something broader than the question asks about.
            shares[i, shares[i - 1] == 0.0] *= 0.5
        weights = np.asarray(qa.weights, dtype=np.float32)
        strength = (weights @ shares) / total
        ok = (strength >= _COVERAGE_MIN) & ((shares[top] >= 0.5) | (strength >= _COVERAGE_TOP_TERM))
        best: dict[str, tuple[float, tuple[str, ...]]] = {}
        for sec in np.flatnonzero(ok):
            rid = sections.report_of[sec]
            value = float(strength[sec])
            if rid not in best or value > best[rid][0]:
                best[rid] = (value, tuple(t for k, t in enumerate(qa.terms) if shares[k, sec] >= 0.5))
        out = [
            Coverage(rid, self.index.reports[rid]["title"], round(strength, 3), matched)
            for rid, (strength, matched) in best.items()
        ]
        return sorted(out, key=lambda c: (-c.strength, c.report_id))

    # ----------------------------------------------------------- retrieval
    def retrieve(self, qa: QuestionAnalysis, mode: str = "hybrid", reports: set[str] | None = None, qvec=None) -> list[tuple[int, float, dict]]:
        """Fused candidate units: ``(uid, score, {retriever: rank})``, best first."""
        lists: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "dense"):
            if qvec is None:
                qvec = embed_question(self.embedder, qa.question)
            lists["dense"] = self.index.dense(qvec, _CANDIDATES)
        if mode in ("hybrid", "bm25"):
            lists["bm25"] = self.index.keyword(search_tokens(qa.question), _CANDIDATES)
        weights = dict(_WEIGHTS)
        if mode in ("hybrid", "graph"):
            lists["graph"] = self._graph_candidates(qa, reports)
        wanted = {r for i in qa.intents for r in _INTENT_ROLES.get(i, ())}
        fused: dict[int, float] = {}
        ranks: dict[int, dict] = {}
        for name, items in lists.items():
            if reports is not None:  # rank within the covering reports only
                items = [(uid, sc) for uid, sc in items if self.index.units[uid].report_id in reports]
            for rank, (uid, _) in enumerate(items):
                fused[uid] = fused.get(uid, 0.0) + weights[name] / (_RRF_K + rank + 1)
                ranks.setdefault(uid, {})[name] = rank + 1
        for uid in fused:
            unit = self.index.units[uid]
            if unit.role in wanted:
                # A heading of a driver/challenge/trend/strategy section states one in a line.
                primary = unit.role in {_INTENT_ROLES[i][0] for i in qa.intents if i in _INTENT_ROLES}
                fused[uid] *= 1.5 if unit.kind == "heading" and primary and unit.role != "actor-fact" else 1.25
        order = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(uid, score, ranks[uid]) for uid, score in order]

    def _graph_candidates(self, qa: QuestionAnalysis, reports: set[str] | None = None) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}

        def specific(eid: str) -> bool:
            # A "stop entity" (named in more than √N of the units of the reports that
            # name it, like 债务人 in a debt-collection report) ranks nothing: every
            # unit of the topic mentions it.  Counted within its own reports, so adding
            # reports on other topics does not change it.
            n = len(self.index.units_by_entity.get(eid, ()))
            pool = sum(self.index.report_units.get(r, 0) for r in self.index.entities.get(eid, {}).get("reports", ()))
            return 0 < n <= max(1, pool) ** 0.5

        def add(eid: str, weight: float) -> None:
            units = self.index.units_by_entity.get(eid, ())
            for uid in units:
                scores[uid] = scores.get(uid, 0.0) + weight / len(units) ** 0.5

        for eid in qa.entity_ids:
            if not specific(eid):
                continue
            add(eid, 1.0)
            for nb in self.index.neighbours.get(eid, ()):
                if specific(nb):
                    add(nb, 0.25)
        # The graph's structure answers role questions (哪些挑战, 驱动因素有哪些):
        # the headings of the sections of that role in the covering reports.
        # Only each intent's first role: "策略效果如何" wants strategies, not the drivers
        # a strategy question may also welcome among the claims.
        wanted = {_INTENT_ROLES[i][0] for i in qa.intents if i in _INTENT_ROLES} - {"actor-fact"}
        for role in wanted:
            for uid in self.index.headings_by_role.get(role, ()):
                if reports is None or self.index.units[uid].report_id in reports:
                    scores[uid] = scores.get(uid, 0.0) + 0.5
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:_CANDIDATES]

    # -------------------------------------------------------------- answer
    def answer(self, question: str, top_k: int = 5, mode: str = "hybrid", qid: str | None = None, qvec=None) -> Answer:
        """Answer one question; abstain when no report covers it.

        Raises:
            StoreError: a stored report no longer matches the index (re-ingest).
        """
        qa = self.analyse(question)
        cov = self.coverage(qa)
        if not cov:
            top_terms = [t for t, _ in sorted(zip(qa.terms, qa.weights), key=lambda x: -x[1])[:3]]
            reason = "the question names no subject" if not qa.terms else (
                "no ingested report covers " + "、".join(top_terms)
            )
            shown = "、".join(_as_written(t, qa) for t in top_terms)
            why = f"沒有報告涵蓋「{shown}」" if shown else "問題沒有可查的主題詞"
            related = self._related(qa, [])
            return Answer(
                question=question, abstained=True, confidence=0.0, evidence=(), entities=(),
                related_reports=tuple(related), brief=self._abstain_brief(why, related),
                coverage=(), reason=reason, id=qid,
            )
        strength = {c.report_id: c.strength for c in cov}
        ranked = self.retrieve(qa, mode, reports=set(strength), qvec=qvec)
        # Evidence from the report that covers the question best comes first.
        ranked = sorted(
            ((uid, score * strength[self.index.units[uid].report_id], ranks) for uid, score, ranks in ranked),
            key=lambda item: (-item[1], item[0]),
        )
        picked: list[tuple[Unit, float, dict]] = []
        per_block: dict[str, int] = {}
        seen_text: set[str] = set()
        for uid, score, ranks in ranked:
            u = self.index.units[uid]
            key = match_key(u.text)
            if per_block.get(u.block, 0) >= _PER_PARAGRAPH or key in seen_text:
                continue
            per_block[u.block] = per_block.get(u.block, 0) + 1
            seen_text.add(key)
            picked.append((u, score, ranks))
            if len(picked) >= top_k:
                break
        if not picked:
            related = self._related(qa, cov)
            reason = "no passage of the covering reports matches the question"
            return Answer(
                question=question, abstained=True, confidence=0.0, evidence=(), entities=(),
                related_reports=tuple(related), brief=self._abstain_brief("報告中沒有與問題相符的段落", related),
                coverage=tuple(cov), reason=reason, id=qid,
            )
        evidence = tuple(self._evidence(u, score) for u, score, _ in picked)
        ent_ids = list(dict.fromkeys([e for e in qa.entity_ids] + [e for u, _, _ in picked for e in u.entity_ids]))
        entities = tuple(self.index.entities[e]["label"] for e in ent_ids if e in self.index.entities)[:12]
        n_lists = 3 if mode == "hybrid" else 1
        support = sum(1 for r in picked[0][2].values() if r <= 10) / n_lists
        confidence = round(cov[0].strength * (0.5 + 0.5 * support), 3)
        related = self._related(qa, cov)
        return Answer(
            question=question, abstained=False, confidence=confidence, evidence=evidence, entities=entities,
            related_reports=tuple(related), brief=self._brief(qa, evidence, related), coverage=tuple(cov),
            reason="", id=qid,
        )

    def _evidence(self, u: Unit, score: float) -> Evidence:
        text = self._report_text(u.report_id)
        if text[u.start : u.end] != u.text:
            raise StoreError(f"report {u.report_id} changed since it was indexed; re-ingest it")
        return Evidence(
            text=u.text, report_id=u.report_id, report_title=self.index.reports[u.report_id]["title"],
            section=u.section, start=u.start, end=u.end, role=u.role, score=round(float(score), 5),
            claim_id=u.claim_id,
            entities=tuple(self.index.entities[e]["label"] for e in u.entity_ids if e in self.index.entities),
        )

    def _report_text(self, rid: str) -> str:
        if rid not in self._texts:
            self._texts[rid] = self.home.load_report(rid).text
        return self._texts[rid]

    def _related(self, qa: QuestionAnalysis, cov: list[Coverage]) -> list[RelatedReportHit]:
        """Related reports whose title or teaser matches the question's subject."""
        if not qa.terms:
            return []
        total = sum(qa.weights)
        hits: dict[str, RelatedReportHit] = {}
        covered = {c.report_id for c in cov}
        # Only teasers that contain one of the question's specific words can score.
        specific = [t for t, w in zip(qa.terms, qa.weights) if w >= _SPECIFIC_IDF]
        candidates = set().union(*(self.index.teasers.containing_set(t) for t in specific)) if specific else set()
        for rid, rep in self.index.reports.items():
            for n, rr in enumerate(rep["related"]):
                if (rid, n) not in candidates and not (rid in covered and rr["kind"] == "deep_dive"):
                    continue
                hay = rr["key"]
                matched = [w for t, w in zip(qa.terms, qa.weights) if t in hay]
                # A teaser must share a specific word (咖啡), not only a common one (扩大).
                score = sum(matched) / total if matched and max(matched) >= _SPECIFIC_IDF else 0.0
                if rid in covered and rr["kind"] == "deep_dive":
                    score = max(score, 0.5)
                if score >= 0.3 and (rr["title"] not in hits or hits[rr["title"]].score < score):
                    hits[rr["title"]] = RelatedReportHit(rr["title"], rr["blurb"], rid, round(score, 3), rr["kind"])
        return sorted(hits.values(), key=lambda h: (-h.score, h.title))[:3]

    # -------------------------------------------------------------- briefs
    def _brief(self, qa: QuestionAnalysis, evidence: tuple[Evidence, ...], related) -> str:
        lines = [f"問：{qa.question}"]
        by_role: dict[str, list[tuple[int, Evidence]]] = {}
        for n, ev in enumerate(evidence, 1):
            by_role.setdefault(ev.role, []).append((n, ev))
        for role, items in by_role.items():
            lines.append(f"【{_ROLE_LABELS.get(role, role)}】")
            for n, ev in items:
                where = " › ".join(ev.section) if ev.section else "正文"
                lines.append(f"  [{n}] 「{ev.text}」——《{ev.report_title}》{where}，字 {ev.start}–{ev.end}")
        if related:
            lines.append("延伸閱讀：" + "；".join(f"《{r.title}》" for r in related))
        return "\n".join(lines)

    @staticmethod
    def _abstain_brief(reason: str, related) -> str:
        text = f"無法從已收錄的報告回答：{reason}。"
        if related:
            text += "可推薦的相關報告：" + "；".join(f"《{r.title}》" for r in related)
        return text


def _as_written(term: str, qa: QuestionAnalysis) -> str:
    """A normalised term as the question wrote it (script and case kept)."""
    pos = qa.norm.find(term)
    if pos >= 0 and len(qa.norm) == len(qa.question):
        return qa.question[pos : pos + len(term)]
    return term


def embed_question(embedder, question: str) -> np.ndarray:
    """The question's vector, from its script-normalised text (as the passages are)."""
    return embedder.embed_queries([normalise(question)])[0]

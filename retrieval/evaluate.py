"""Evaluation: hit@k, evidence recall@k, MRR and abstention, for any retriever.

A question file is JSONL with ``id``, ``question``, ``kind``, ``evidence``
(gold substrings; ``evidence_any`` lists alternatives) and optionally ``type``
and ``doc``; ``kind: "abstain"`` (or empty evidence) rows must be declined.
Evidence is matched as a substring after script normalisation with
whitespace and quotation marks removed (:func:`~yanbao.corpus.script.match_key`).

Every system is scored by the same function, :func:`score_system`, from what
it returned per question: declined or not, and its ranked passage texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from yanbao.corpus.script import match_key
from yanbao.core.errors import InputError

from .answer import MODES

__all__ = ["EvalQuestion", "SystemScores", "Ranked", "load_questions", "score_system", "evaluate", "citation_text"]


@dataclass(frozen=True)
class EvalQuestion:
    """One evaluation question; ``evidence`` empty means it must be declined."""

    id: str
    question: str
    kind: str
    evidence: tuple[str, ...]
    type: str = ""  # single | multi | sidebar | abstain (dev set); free text elsewhere
    docs: tuple[str, ...] = ()  # the files that answer it (informational)
    any_of: bool = False  # evidence lists alternatives: any one is a hit

    @property
    def answerable(self) -> bool:
        return bool(self.evidence) and self.kind != "abstain"


@dataclass(frozen=True)
class Ranked:
    """What a system returned for one question."""

    abstained: bool
    texts: tuple[str, ...]  # ranked passage texts (cited sentences)
    confidence: float = 1.0


@dataclass(frozen=True)
class SystemScores:
    """Scores of one system over one question set.

    ``abstention_precision`` is None when the system declined nothing (it is
    undefined then, not 1.0); ``abstention_recall`` is None without questions
    to decline.
    """

    system: str
    answerable: int
    abstain_questions: int
    k: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    recall_at_k: float
    mrr: float
    abstention_precision: float | None
    abstention_recall: float | None
    declined_answerable: int
    misses: tuple[str, ...]  # ids of answerable questions with no hit in the top k
    by_type: dict[str, float] = field(default_factory=dict)  # hit@3 per question type


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """Read an evaluation JSONL file.

    Raises:
        InputError: the file is missing or a line is not a valid question.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start}); a questions file is JSON lines") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            any_of = bool(row.get("evidence_any")) and not row.get("evidence")
            evidence = tuple(row.get("evidence") or row.get("evidence_any") or ())
            doc = row.get("doc")
            docs = tuple(doc) if isinstance(doc, list) else ((doc,) if doc else ())
            out.append(
                EvalQuestion(
                    str(row.get("id", n)), row["question"], row.get("kind", "") or "", evidence,
                    row.get("type", "") or "", docs, any_of,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{p}:{n}: not a question record ({exc})") from exc
    return out


def _hits(q: EvalQuestion, texts: tuple[str, ...]) -> tuple[int | None, float]:
    """(rank of the first passage holding gold evidence or None, share of gold found)."""
    gold = [match_key(g) for g in q.evidence]
    keys = [match_key(t) for t in texts]
    first = next((i for i, t in enumerate(keys) if any(g in t for g in gold)), None)
    found = sum(1 for g in gold if any(g in t for t in keys))
    share = (1.0 if found else 0.0) if q.any_of else found / max(1, len(gold))
    return first, share


def score_system(name: str, questions: list[EvalQuestion], results: Iterable[Ranked], k: int = 5) -> SystemScores:
    """Score one system's results (in question order) on ``questions``.

    hit@n: a passage among the first n holds a gold string; recall@k: the
    share of a question's gold strings found in the first ``k`` passages;
    MRR over the first ``k``.  Declining an answerable question is a miss.
    """
    hits = {1: 0, 3: 0, 5: 0}
    recall = mrr = 0.0
    answerable = abstain_q = declined_right = declined = declined_answerable = 0
    misses: list[str] = []
    per_type: dict[str, list[int]] = {}
    for q, r in zip(questions, results):
        declined += int(r.abstained)
        if not q.answerable:
            abstain_q += 1
            declined_right += int(r.abstained)
            continue
        answerable += 1
        declined_answerable += int(r.abstained)
        texts = () if r.abstained else r.texts[:k]
        first, share = _hits(q, texts)
        for n in hits:
            hits[n] += int(first is not None and first < n)
        mrr += 1.0 / (first + 1) if first is not None else 0.0
        recall += share
        per_type.setdefault(q.type or q.kind or "-", []).append(int(first is not None and first < 3))
        if first is None:
            misses.append(q.id)
    n = max(1, answerable)
    return SystemScores(
        system=name,
        answerable=answerable,
        abstain_questions=abstain_q,
        k=k,
        hit_at_1=round(hits[1] / n, 3),
        hit_at_3=round(hits[3] / n, 3),
        hit_at_5=round(hits[5] / n, 3),
        recall_at_k=round(recall / n, 3),
        mrr=round(mrr / n, 3),
        abstention_precision=round(declined_right / declined, 3) if declined else None,
        abstention_recall=round(declined_right / abstain_q, 3) if abstain_q else None,
        declined_answerable=declined_answerable,
        misses=tuple(misses),
        by_type={t: round(sum(v) / len(v), 3) for t, v in sorted(per_type.items())},
    )


def citation_text(evidence) -> str:
    """What a reader sees of one citation: the sentence under its section path.

    yanbao never cites a bare heading (it is the section of a cited sentence), so a
    gold string that is a heading (二次价值：数据推动数智决策) counts as found when a
    cited sentence sits under it -- as the brief shows it, with the whole path
    (``（一）权利归属难以界定 › 1. 问题分析``).  The naive baselines cite headings as
    passages of their own.
    """
    path = " › ".join(evidence.section) if evidence.section else ""
    return f"{path}\n{evidence.text}" if path else evidence.text


def evaluate(
    answerer, questions: list[EvalQuestion], modes=MODES, top_k: int = 5,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[SystemScores]:
    """Score each retriever mode of an :class:`~yanbao.retrieval.answer.Answerer` on ``questions``.

    The question embeddings are computed once for all modes.  Recall and MRR
    are over the first ``top_k`` passages.
    """
    qvecs = {}
    if answerer.embedder is not None and any(m in ("hybrid", "dense") for m in modes):
        vecs = answerer.embedder.embed_queries([answerer.analyse(q.question).normalised for q in questions])
        qvecs = {q.id: v for q, v in zip(questions, vecs)}
    out = []
    for mode in modes:
        results = []
        for n, q in enumerate(questions):
            if progress:
                progress(mode, n, len(questions))
            ans = answerer.answer(q.question, top_k=max(top_k, 5), mode=mode, qid=q.id, qvec=qvecs.get(q.id))
            results.append(Ranked(ans.abstained, tuple(citation_text(e) for e in ans.evidence), ans.confidence))
        out.append(score_system(mode, questions, results, k=top_k))
    return out

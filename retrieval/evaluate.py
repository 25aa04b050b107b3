"""Evaluation harness: hit@k, evidence recall, MRR and abstention, per retriever.

The question file is JSONL with ``id``, ``question``, ``kind``, ``evidence``
(gold substrings); ``kind: "abstain"`` rows must be declined.  Evidence is
matched after script normalisation (``match_key``), as a substring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from yanbao.corpus.script import match_key
from yanbao.core.errors import InputError

from .answer import MODES

__all__ = ["EvalQuestion", "ModeScores", "load_questions", "evaluate"]


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    kind: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ModeScores:
    """Scores of one retriever configuration over a question file."""

    mode: str
    answerable: int
    abstain_questions: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    recall_at_5: float
    mrr: float
    abstention_precision: float
    abstention_recall: float
    misses: tuple[str, ...]  # ids of answerable questions with no hit in the top 5


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
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                EvalQuestion(str(row.get("id", n)), row["question"], row.get("kind", ""), tuple(row.get("evidence") or ()))
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{p}:{n}: not a question record ({exc})") from exc
    return out


def evaluate(answerer, questions: list[EvalQuestion], modes=MODES, top_k: int = 5) -> list[ModeScores]:
    """Score each retriever mode on ``questions`` (the question embedding is computed once)."""
    qvecs = {}
    if answerer.embedder is not None:
        from yanbao.corpus.script import normalise

        texts = [normalise(answerer.analyse(q.question).question) for q in questions]
        vecs = answerer.embedder.embed_queries(texts)
        qvecs = {q.id: v for q, v in zip(questions, vecs)}
    results = []
    for mode in modes:
        hits = {1: 0, 3: 0, 5: 0}
        recall = mrr = 0.0
        answerable = abstain_q = abstained_right = abstained_total = 0
        misses = []
        for q in questions:
            ans = answerer.answer(q.question, top_k=top_k, mode=mode, qid=q.id, qvec=qvecs.get(q.id))
            if ans.abstained:
                abstained_total += 1
            if q.kind == "abstain":
                abstain_q += 1
                abstained_right += int(ans.abstained)
                continue
            answerable += 1
            gold = [match_key(g) for g in q.evidence]
            texts = [match_key(e.text) for e in ans.evidence]
            first = next((i for i, t in enumerate(texts) if any(g in t for g in gold)), None)
            for k in hits:
                hits[k] += int(first is not None and first < k)
            mrr += 1.0 / (first + 1) if first is not None else 0.0
            recall += sum(1 for g in gold if any(g in t for t in texts[:5])) / max(1, len(gold))
            if first is None:
                misses.append(q.id)
        n = max(1, answerable)
        results.append(
            ModeScores(
                mode=mode,
                answerable=answerable,
                abstain_questions=abstain_q,
                hit_at_1=round(hits[1] / n, 3),
                hit_at_3=round(hits[3] / n, 3),
                hit_at_5=round(hits[5] / n, 3),
                recall_at_5=round(recall / n, 3),
                mrr=round(mrr / n, 3),
                abstention_precision=round(abstained_right / abstained_total, 3) if abstained_total else 1.0,
                abstention_recall=round(abstained_right / abstain_q, 3) if abstain_q else 1.0,
                misses=tuple(misses),
            )
        )
    return results

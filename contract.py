"""The JSON (and CSV) contract of answers and triage records.

One definition, used by the CLI (``ask --json``, ``triage``) and the HTTP
service, so both print the same fields.  Plain functions of the records in
:mod:`yanbao.core.records`; the README documents the shapes.
"""

from __future__ import annotations

from .core.records import Answer, Triage

__all__ = ["answer_json", "triage_json", "triage_csv_row", "TRIAGE_CSV_FIELDS"]


def answer_json(answer: Answer) -> dict:
    """The stable JSON contract of ``yanbao ask --json`` (also used by the service)."""
    return {
        "id": answer.id,
        "question": answer.question,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "evidence": [
            {
                "text": e.text, "report_id": e.report_id, "report_title": e.report_title,
                "section": list(e.section), "start": e.start, "end": e.end, "role": e.role,
                "score": e.score, "entities": list(e.entities),
            }
            for e in answer.evidence
        ],
        "entities": list(answer.entities),
        "related_reports": [
            {"title": r.title, "blurb": r.blurb, "kind": r.kind, "score": r.score} for r in answer.related_reports
        ],
        "coverage": [
            {"report_id": c.report_id, "report_title": c.report_title, "strength": c.strength} for c in answer.coverage
        ],
        "reason": answer.reason,
        "uncovered_terms": list(answer.uncovered_terms),
        "brief": answer.brief,
    }


def triage_json(triage: Triage) -> dict:
    """The ``ask --json`` contract plus the hotline's triage fields."""
    out = answer_json(triage.answer)
    out.update(
        {
            "region": triage.region,
            "recommended_reports": [
                {"title": r.title, "blurb": r.blurb, "kind": r.kind, "score": r.score, "from_report_id": r.from_report_id}
                for r in triage.recommended_reports
            ],
            "needs_expert": triage.needs_expert,
            "needs_expert_reason": triage.needs_expert_reason,
        }
    )
    return out


TRIAGE_CSV_FIELDS = (
    "id", "region", "question", "abstained", "needs_expert", "needs_expert_reason", "confidence",
    "coverage", "recommended_reports", "top_evidence", "top_citation",
)




def triage_csv_row(t: Triage) -> dict[str, object]:
    """One CSV row (the columns of :data:`TRIAGE_CSV_FIELDS`) for a triage record."""
    ev = t.answer.evidence[0] if t.answer.evidence else None
    return {
        "id": t.answer.id or "", "region": t.region, "question": t.answer.question, "abstained": t.answer.abstained,
        "needs_expert": t.needs_expert, "needs_expert_reason": t.needs_expert_reason,
        "confidence": t.answer.confidence,
        "coverage": "; ".join(f"{c.report_title} ({c.strength:.2f})" for c in t.coverage),
        "recommended_reports": "; ".join(r.title for r in t.recommended_reports),
        "top_evidence": ev.text if ev else "",
        "top_citation": f"{ev.report_title} | {' > '.join(ev.section)} | {ev.start}-{ev.end}" if ev else "",
    }

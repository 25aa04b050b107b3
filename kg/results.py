"""SPARQL results as SPARQL 1.1 JSON (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE)."""

from __future__ import annotations

import io
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.query import Result

__all__ = ["result_json", "result_to_json", "result_table", "result_csv", "term_json"]


def term_json(term) -> dict[str, Any] | None:
    """One RDF term in the SPARQL 1.1 JSON results format (None for unbound)."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "literal", "value": str(term)}


def result_json(result: Result, max_rows: int | None = None) -> dict[str, Any]:
    """A SPARQL query result as SPARQL 1.1 JSON results (a dict).

    SELECT gives ``{"head": {"vars": [...]}, "results": {"bindings": [...]}}``,
    ASK ``{"head": {}, "boolean": ...}``; CONSTRUCT/DESCRIBE give
    ``{"head": {}, "triples": [{"s":…, "p":…, "o":…}]}`` (not in the standard,
    which has no JSON for graphs).  ``truncated`` is added when ``max_rows`` cut it.
    """
    if result.type == "ASK":
        return {"head": {}, "boolean": bool(result.askAnswer)}
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        triples = sorted(result.graph, key=lambda t: tuple(str(x) for x in t))
        rows = [{"s": term_json(s), "p": term_json(p), "o": term_json(o)} for s, p, o in triples]
        out: dict[str, Any] = {"head": {}, "triples": rows[:max_rows] if max_rows else rows}
        if max_rows and len(rows) > max_rows:
            out["truncated"] = True
        return out
    names = [str(v) for v in (result.vars or [])]
    bindings = []
    truncated = False
    for n, row in enumerate(result):
        if max_rows and n >= max_rows:
            truncated = True
            break
        binding = {}
        for name, value in zip(names, row):
            as_json = term_json(value)
            if as_json is not None:
                binding[name] = as_json
        bindings.append(binding)
    out = {"head": {"vars": names}, "results": {"bindings": bindings}}
    if truncated:
        out["truncated"] = True
    return out


def result_to_json(result: Result, max_rows: int) -> dict[str, Any] | str:
    """What ``POST /sparql`` answers: SPARQL JSON for SELECT (with ``truncated``
    always present) and ASK; N-Triples text for CONSTRUCT/DESCRIBE."""
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        from rdflib import Graph

        capped = Graph()
        for n, triple in enumerate(result.graph):
            if n >= max_rows:
                break
            capped.add(triple)
        # rdflib's N-Triples writer escapes line breaks (Term.n3() would write
        # Turtle long strings, which are not N-Triples).
        return capped.serialize(format="nt", encoding="utf-8").decode("utf-8")
    out = result_json(result, max_rows)
    if result.type != "ASK":
        out.setdefault("truncated", False)
    return out


def result_table(data: dict) -> tuple[list[str], list[list[str]]]:
    """Return ``(columns, rows)`` of plain strings for a :func:`result_json` result."""
    if "boolean" in data:
        return ["boolean"], [["true" if data["boolean"] else "false"]]
    if "triples" in data:
        return ["s", "p", "o"], [[t[k]["value"] for k in ("s", "p", "o")] for t in data["triples"]]
    names = data["head"]["vars"]
    return names, [[b[v]["value"] if v in b else "" for v in names] for b in data["results"]["bindings"]]


def result_csv(data: dict) -> str:
    """Return a :func:`result_json` result as CSV text (header row first)."""
    import csv

    cols, rows = result_table(data)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    writer.writerows(rows)
    return buf.getvalue()

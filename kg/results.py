"""SPARQL results as SPARQL 1.1 JSON (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE)."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.query import Result

__all__ = ["result_to_json", "term_json"]


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


def result_to_json(result: Result, max_rows: int) -> dict[str, Any] | str:
    """SELECT → SPARQL JSON dict (at most ``max_rows`` bindings, ``"truncated"`` says if
    more existed); ASK → ``{"head": {}, "boolean": ...}``; graph results → N-Triples text."""
    if result.type == "ASK":
        return {"head": {}, "boolean": bool(result.askAnswer)}
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
    names = [str(v) for v in result.vars or ()]
    rows = []
    truncated = False
    for n, row in enumerate(result):
        if n >= max_rows:
            truncated = True
            break
        binding = {}
        for name, value in zip(names, row):
            as_json = term_json(value)
            if as_json is not None:
                binding[name] = as_json
        rows.append(binding)
    return {"head": {"vars": names}, "results": {"bindings": rows}, "truncated": truncated}

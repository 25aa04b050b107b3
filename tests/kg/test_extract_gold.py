"""Extraction against the hand-made gold graph of the sample (shared/eval/seed_graph.json).

The sample is one report among many: its recall has a floor (0.80), not a demand of
every listed entity; the dev gold graphs (test_extract_dev_gold.py) judge generality.

Entities are compared by ``match_key`` on label and aliases, within their class;
links must exist as a typed relation or as a co-mention in one claim (its
``yb:mentions`` or ``yb:about`` covering both sides), checked with SPARQL.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from yanbao.corpus.script import match_key

from .conftest import SEED_GRAPH, select

pytestmark = pytest.mark.skipif(not SEED_GRAPH.is_file(), reason=f"gold graph {SEED_GRAPH} not available")

@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads(SEED_GRAPH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def extracted(lib) -> dict[str, dict[str, set[str]]]:
    """class -> entity IRI -> match keys of its label and aliases (read with SPARQL)."""
    st = lib.graph()
    try:
        rows = select(st, """
            SELECT ?e ?cls ?name WHERE {
              ?e a ?cls . ?cls rdfs:subClassOf yb:Entity .
              { ?e skos:prefLabel ?name } UNION { ?e skos:altLabel ?name }
            }""")
    finally:
        st.close()
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        out[str(r.cls).rsplit("#", 1)[1]][str(r.e)].add(match_key(str(r.name)))
    return out


def _found(extracted, cls: str, forms: list[str]) -> set[str]:
    keys = {match_key(f) for f in forms}
    return {iri for iri, names in extracted.get(cls, {}).items() if names & keys}


def test_entity_recall_and_precision(gold, extracted):
    listed = [(cls, forms) for cls, entries in gold["entities"].items() for forms in entries]
    missing = [(cls, forms[0]) for cls, forms in listed if not _found(extracted, cls, forms)]
    recall = 1 - len(missing) / len(listed)
    matched = set()
    for cls, forms in listed:
        matched |= {(cls, iri) for iri in _found(extracted, cls, forms)}
    total = sum(len(ents) for ents in extracted.values())
    precision = len(matched) / total if total else 0.0
    unmatched = sorted(
        (cls, min(names)) for cls, ents in extracted.items() for iri, names in ents.items() if (cls, iri) not in matched
    )
    print(f"\n[gold entities] recall {recall:.3f} ({len(listed) - len(missing)}/{len(listed)}), "
          f"precision {precision:.3f} ({len(matched)}/{total} extracted entities match a gold entry)")
    print(f"[gold entities] missing: {missing}")
    print(f"[gold entities] extracted but not in the gold list: {unmatched}")
    # No rule is written for the sample: it is one report among many, and the floor
    # is the (0.80), below the 0.88 measured.
    assert recall >= 0.80, missing


def _entities_named(extracted, forms: list[str]) -> set[str]:
    return set().union(*(_found(extracted, cls, forms) for cls in extracted))


def test_every_listed_link_is_in_the_graph(gold, extracted, lib):
    st = lib.graph()
    missing = []
    try:
        for left, right in gold["links"]:
            a, b = _entities_named(extracted, left), _entities_named(extracted, right)
            if not a or not b:
                missing.append((left[0], right[0], "an end is not an entity"))
                continue
            values_a = " ".join(f"<{x}>" for x in sorted(a))
            values_b = " ".join(f"<{x}>" for x in sorted(b))
            ask = select(st, f"""
                SELECT ?how WHERE {{
                  VALUES ?a {{ {values_a} }} VALUES ?b {{ {values_b} }}
                  {{ ?st a rdf:Statement ; rdf:subject ?a ; rdf:object ?b ; prov:wasDerivedFrom ?c . BIND("relation" AS ?how) }}
                  UNION {{ ?st a rdf:Statement ; rdf:subject ?b ; rdf:object ?a ; prov:wasDerivedFrom ?c . BIND("relation" AS ?how) }}
                  UNION {{ ?c a yb:Claim ; yb:mentions|yb:about ?a ; yb:mentions|yb:about ?b . BIND("co-mention" AS ?how) }}
                }} LIMIT 1""")
            if not ask:
                missing.append((left[0], right[0], "no relation or co-mention"))
    finally:
        st.close()
    assert not missing, missing

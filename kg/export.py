"""Export the knowledge graph: RDF serialisations of the store, or GraphML of its projection.

The public entry point is :func:`export`.  Quad formats (N-Quads, TriG,
JSON-LD) keep the named graphs, one per report plus the ontology's; triple
formats (Turtle, N-Triples) hold the union.  GraphML holds the networkx entity
projection of :mod:`kg.analytics` (for Gephi, yEd, Cytoscape).
"""

from __future__ import annotations

import io

from yanbao.core.errors import SettingsError, StoreError

__all__ = ["export", "EXPORT_FORMATS", "graphml_text"]

# format name -> (rdflib serializer or "graphml", keeps named graphs)
_FORMATS: dict[str, tuple[str, bool]] = {
    "turtle": ("turtle", False),
    "nquads": ("nquads", True),
    "trig": ("trig", True),
    "jsonld": ("json-ld", True),
    "ntriples": ("nt", False),
    "graphml": ("graphml", False),
}
EXPORT_FORMATS: tuple[str, ...] = tuple(_FORMATS)
_ALIASES = {"ttl": "turtle", "nq": "nquads", "json-ld": "jsonld", "nt": "ntriples"}


def export(store, fmt: str) -> str:
    """Serialise the whole graph store in ``fmt`` and return the text.

    ``fmt`` is one of :data:`EXPORT_FORMATS` (``ttl``, ``nq``, ``nt`` and
    ``json-ld`` are accepted as aliases).  Line-based formats (N-Quads,
    N-Triples) are sorted, so the same store exports byte-identically.

    Raises:
        SettingsError: an unknown format (the message lists the valid ones).
        StoreError: the serialiser failed.
    """
    name = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if name not in _FORMATS:
        raise SettingsError(f"unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}")
    serializer, quads = _FORMATS[name]
    if serializer == "graphml":
        from .analytics import entity_graph

        return graphml_text(entity_graph(store))
    from rdflib import Dataset, Graph

    from .rdf import bind_prefixes

    try:
        if quads:
            data = bind_prefixes(Dataset())
            for s, p, o, g in store.quads():
                gid = getattr(g, "identifier", g)
                data.graph(gid).add((s, p, _plain(o)))
        else:
            data = bind_prefixes(Graph())
            for s, p, o, _ in store.quads():
                data.add((s, p, _plain(o)))
        text = data.serialize(format=serializer)
    except Exception as exc:  # rdflib raises plain Exceptions from its plugins
        raise StoreError(f"cannot export the graph as {name}: {' '.join(str(exc).split())}") from exc
    if name in ("nquads", "ntriples"):
        lines = sorted(line for line in text.splitlines() if line.strip())
        text = "\n".join(lines) + ("\n" if lines else "")
    return text


def _plain(term):
    """Oxigraph spells RDF 1.1 simple literals as ``^^xsd:string``; write them plain."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def graphml_text(G) -> str:
    """Return GraphML for an entity projection (list attributes joined with ``|``).

    GraphML holds scalar attributes only, so lists become ``|``-joined strings
    and graph-level records (the claim table) are left out.
    """
    import networkx as nx

    flat = nx.MultiGraph()
    for n, d in G.nodes(data=True):
        flat.add_node(n, **{k: _scalar(v) for k, v in d.items()})
    for u, v, k, d in G.edges(keys=True, data=True):
        flat.add_edge(u, v, key=k, **{a: _scalar(x) for a, x in d.items()})
    buf = io.BytesIO()
    nx.write_graphml(flat, buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")


def _scalar(value):
    if isinstance(value, (list, tuple, set)):
        return "|".join(str(x) for x in value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)



"""A networkx projection of the entity graph, for analytics and explanations.

:func:`entity_graph` reads a :class:`~kg.store.GraphStore` with SPARQL (over
the union of every report's named graph) and returns an undirected
``networkx.MultiGraph``:

* one node per entity (its id, the last segment of its IRI), with ``label``,
  ``cls``, ``aliases``, ``merges``, ``reports`` and ``claims`` (the claims that
  mention it);
* one edge per typed relation (``predicate`` e.g. ``uses``; ``source`` and
  ``target`` keep the direction the relation was stated in), one
  ``co-mention`` edge per pair of entities named in one claim, and one
  ``about`` edge from the entity a section is about (a driver, a challenge
  named by its heading) to each entity its claims name.  ``weight`` is the
  number of claims; every edge carries ``claims``: the IRIs of those claims.
  A node's ``claims`` are the claims that mention it or are about it.
* ``G.graph["claims"]`` maps a claim IRI to its :class:`ClaimRef` (text and
  citation), so callers can show what an edge rests on without the store.

Entities are found by name after script normalisation
(:func:`corpus.script.match_key`), aliases (``skos:altLabel``) included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

from yanbao.corpus.script import match_key
from yanbao.core.errors import InputError, NotFoundError

from .vocab import ENTITY_CLASSES, ID, RELATION_PREDICATES, YB_NS

__all__ = [
    "ClaimRef",
    "PathStep",
    "Neighbour",
    "EntityView",
    "CO_MENTION",
    "ABOUT",
    "entity_graph",
    "find_entity",
    "find_entities",
    "central_entities",
    "neighbourhood",
    "explain_path",
    "check_class",
    "describe_entity",
    "graph_stats",
]

CO_MENTION = "co-mention"
ABOUT = "about"
# A typed relation is a better explanation than a co-mention, and a co-mention
# than sharing a section: a path prefers them in that order.
_COST = {CO_MENTION: 1.25, ABOUT: 1.5}

_PREFIXES = f"""
PREFIX yb: <{YB_NS}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
_CLASS_VALUES = " ".join(f"yb:{c}" for c in ENTITY_CLASSES)
_PRED_VALUES = " ".join(f"yb:{p}" for p in RELATION_PREDICATES)

# One query per multi-valued attribute: joined in one query (with OPTIONALs)
# they multiply into labels x aliases x notes x reports rows per entity, which
# grows with the square of the reports sharing an entity.
_ENTITIES_Q = _PREFIXES + f"""
SELECT DISTINCT ?e ?cls ?label WHERE {{
  VALUES ?cls {{ {_CLASS_VALUES} }}
  ?e a ?cls ; skos:prefLabel ?label .
}}"""

_ENTITY_ATTRS_Q = _PREFIXES + f"""
SELECT DISTINCT ?e ?attr ?value WHERE {{
  VALUES ?cls {{ {_CLASS_VALUES} }}
  VALUES ?attr {{ skos:altLabel yb:mergeNote }}
  ?e a ?cls ; ?attr ?value .
}}"""

_ENTITY_REPORTS_Q = _PREFIXES + f"""
SELECT DISTINCT ?e ?report WHERE {{
  VALUES ?cls {{ {_CLASS_VALUES} }}
  GRAPH ?report {{ ?e a ?cls }}
}}"""

_RELATIONS_Q = _PREFIXES + f"""
SELECT ?s ?p ?o ?claim WHERE {{
  VALUES ?p {{ {_PRED_VALUES} }}
  ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
      prov:wasDerivedFrom ?claim .
}}"""

_CLAIMS_Q = _PREFIXES + """
SELECT ?claim ?text ?role ?report ?rid ?title ?section ?start ?end WHERE {
  ?claim a yb:Claim ; yb:text ?text ; prov:wasDerivedFrom ?report .
  ?report dcterms:identifier ?rid .
  OPTIONAL { ?claim yb:role ?role }
  OPTIONAL { ?report dcterms:title ?title }
  OPTIONAL { ?claim yb:inSection ?section }
  OPTIONAL { ?claim oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
}"""

_MENTIONS_Q = _PREFIXES + """
SELECT ?claim ?e WHERE { ?claim a yb:Claim ; yb:mentions ?e . }"""

_ABOUT_Q = _PREFIXES + """
SELECT ?claim ?e WHERE { ?claim a yb:Claim ; yb:about ?e . }"""

_SECTIONS_Q = _PREFIXES + """
SELECT ?section ?heading ?parent WHERE {
  ?section a yb:Section ; yb:heading ?heading .
  OPTIONAL { ?section yb:parentSection ?parent }
}"""


@dataclass(frozen=True)
class ClaimRef:
    """A claim with its citation: report, section path and character span."""

    iri: str
    text: str
    report_id: str
    report_title: str
    section: tuple[str, ...]
    start: int
    end: int
    role: str = ""


@dataclass(frozen=True)
class PathStep:
    """One hop of a path: how two entities are linked and the claims stating it."""

    source: str  # entity id
    target: str  # entity id
    predicate: str  # the best link: a relation predicate, or "co-mention"
    forward: bool  # that link runs source -> target (always true for co-mentions)
    claims: tuple[ClaimRef, ...]  # every claim linking the two, the best link's first
    predicates: tuple[str, ...] = ()  # every link between the two, best first


def _local(iri) -> str:
    text = str(iri)
    return text[len(ID) + len("entity/") :] if text.startswith(ID + "entity/") else text.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _cls(iri) -> str:
    return str(iri).rsplit("#", 1)[-1]


def entity_graph(store) -> nx.MultiGraph:
    """Project the store's entities, relations and co-mentions onto a networkx MultiGraph.

    Returns an undirected ``MultiGraph`` (see the module docstring for its
    attributes).  Nodes and edges are added in sorted order, so the same store
    gives the same graph, and the same layouts and paths.

    Raises:
        QueryError: the store refused or failed a query.
    """
    ents = _read_entities(store)
    claims = _read_claims(store)
    mentions = _claim_index(store, _MENTIONS_Q, ents["classes"])  # claim -> entities
    about = _claim_index(store, _ABOUT_Q, ents["classes"])  # claim -> section topics
    G = nx.MultiGraph(claims=claims)
    _add_nodes(G, ents, claims, mentions, about)
    _add_relation_edges(G, store, ents["classes"], claims)
    _add_co_mention_edges(G, mentions, claims)
    _add_topic_edges(G, mentions, about, claims)
    return G


def _read_entities(store) -> dict:
    """Entities' classes, IRIs, labels, aliases, merge notes and reports, by local id."""
    out: dict = {
        "labels": defaultdict(set), "aliases": defaultdict(set), "notes": defaultdict(set),
        "reports": defaultdict(set), "classes": {}, "iris": {},
    }
    for row in store.query(_ENTITIES_Q):
        eid = _local(row.e)
        out["iris"][eid] = str(row.e)
        out["classes"][eid] = _cls(row.cls)
        out["labels"][eid].add(str(row.label))
    for row in store.query(_ENTITY_ATTRS_Q):
        eid = _local(row.e)
        (out["aliases"] if str(row.attr).endswith("altLabel") else out["notes"])[eid].add(str(row.value))
    for row in store.query(_ENTITY_REPORTS_Q):
        if "/graph/report/" in str(row.report):
            out["reports"][_local(row.e)].add(str(row.report).rsplit("/", 1)[-1])
    return out


def _read_claims(store) -> dict[str, ClaimRef]:
    """Every claim with its citation (report, section path, span), by IRI."""
    sections: dict[str, tuple[str, str | None]] = {}
    for row in store.query(_SECTIONS_Q):
        sections[str(row.section)] = (str(row.heading), str(row.parent) if row.parent is not None else None)
    claims: dict[str, ClaimRef] = {}
    for row in store.query(_CLAIMS_Q):
        iri = str(row.claim)
        if iri in claims:
            continue
        claims[iri] = ClaimRef(
            iri=iri,
            text=str(row.text),
            report_id=str(row.rid),
            report_title=str(row.title) if row.title is not None else str(row.rid),
            section=_section_path(str(row.section), sections) if row.section is not None else (),
            start=int(row.start.toPython()) if row.start is not None else -1,
            end=int(row.end.toPython()) if row.end is not None else -1,
            role=str(row.role) if row.role is not None else "",
        )
    return claims


def _claim_index(store, query: str, classes: dict[str, str]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for row in store.query(query):
        eid = _local(row.e)
        if eid in classes:
            index[str(row.claim)].add(eid)
    return index


def _add_nodes(G: nx.MultiGraph, ents: dict, claims, mentions, about) -> None:
    mentioned_in: dict[str, set[str]] = defaultdict(set)
    for index in (mentions, about):
        for claim, found in index.items():
            for eid in found:
                mentioned_in[eid].add(claim)
    for eid in sorted(ents["classes"]):
        names = sorted(ents["labels"][eid])
        G.add_node(
            eid,
            iri=ents["iris"][eid],
            label=names[0],
            cls=ents["classes"][eid],
            aliases=sorted((ents["aliases"][eid] | set(names[1:])) - {names[0]}),
            merges=sorted(ents["notes"][eid]),
            reports=sorted(ents["reports"][eid]),
            claims=_claim_order(mentioned_in[eid], claims),
        )


def _add_relation_edges(G: nx.MultiGraph, store, classes: dict[str, str], claims) -> None:
    typed: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in store.query(_RELATIONS_Q):
        s, o = _local(row.s), _local(row.o)
        if s in classes and o in classes and s != o:
            typed[(s, _cls(row.p), o)].add(str(row.claim))
    for (s, pred, o), cl in sorted(typed.items()):
        G.add_edge(s, o, key=f"{pred}:{s}>{o}", predicate=pred, source=s, target=o,
                   claims=_claim_order(cl, claims), weight=len(cl))


def _add_co_mention_edges(G: nx.MultiGraph, mentions, claims) -> None:
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim, found in mentions.items():
        for a, b in combinations(sorted(found), 2):
            pairs[(a, b)].add(claim)
    for (a, b), cl in sorted(pairs.items()):
        G.add_edge(a, b, key=CO_MENTION, predicate=CO_MENTION, source=a, target=b,
                   claims=_claim_order(cl, claims), weight=len(cl))


def _add_topic_edges(G: nx.MultiGraph, mentions, about, claims) -> None:
    topical: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim, topics in about.items():
        for t in topics:
            for m in mentions.get(claim, ()):
                if m not in topics:
                    topical[(t, m)].add(claim)
    for (t, m), cl in sorted(topical.items()):
        G.add_edge(t, m, key=f"{ABOUT}:{t}>{m}", predicate=ABOUT, source=t, target=m,
                   claims=_claim_order(cl, claims), weight=len(cl))


def _section_path(section: str, sections: dict[str, tuple[str, str | None]]) -> tuple[str, ...]:
    path: list[str] = []
    seen: set[str] = set()
    node: str | None = section
    while node is not None and node in sections and node not in seen:
        seen.add(node)
        heading, node = sections[node]
        path.append(heading)
    return tuple(reversed(path))


def _claim_order(iris, claims: dict[str, ClaimRef]) -> list[str]:
    """Claims in reading order: report, then position in the text."""
    return sorted(iris, key=lambda i: (claims[i].report_id, claims[i].start, i) if i in claims else ("~", 0, i))


# --------------------------------------------------------------- lookup ---


def check_class(cls: str | None) -> str | None:
    """Return the ontology's spelling of an entity class name (case-insensitive).

    Raises:
        InputError: not an entity class (the message lists the valid ones).
    """
    if cls is None:
        return None
    for name in ENTITY_CLASSES:
        if name.lower() == cls.strip().lower():
            return name
    raise InputError(f"unknown entity class {cls!r}; valid: {', '.join(ENTITY_CLASSES)}")


def find_entities(G: nx.Graph, name: str, cls: str | None = None) -> list[str]:
    """Return the ids of the entities named ``name`` (label or alias, any script).

    An exact id is accepted too.  Best first: the most connected entity.
    """
    if name in G:
        return [name]
    key = match_key(name)
    cls = check_class(cls)
    hits = [
        n for n, d in G.nodes(data=True)
        if (cls is None or d["cls"] == cls)
        and any(match_key(x) == key for x in (d["label"], *d["aliases"]))
    ]
    return sorted(hits, key=lambda n: (-G.degree(n, weight="weight"), G.nodes[n]["label"], n))


def find_entity(G: nx.Graph, name: str, cls: str | None = None) -> str:
    """Return the id of the entity named ``name`` (see :func:`find_entities`).

    Raises:
        NotFoundError: no entity has that name; the message suggests entities
            whose names contain it, if any.
    """
    hits = find_entities(G, name, cls)
    if hits:
        return hits[0]
    key = match_key(name)
    near = sorted(
        {d["label"] for _, d in G.nodes(data=True) if key and any(key in match_key(x) or match_key(x) in key for x in (d["label"], *d["aliases"]) if len(match_key(x)) >= 2)}
    )
    hint = f"; did you mean: {', '.join(near[:8])}" if near else ""
    raise NotFoundError(f"no entity named {name!r} in the graph{hint}")


# ------------------------------------------------------------ analytics ---


def _pagerank(G: nx.Graph, alpha: float = 0.85, tol: float = 1e-10, max_iter: int = 200) -> dict[str, float]:
    """Weighted PageRank by power iteration (networkx's own needs scipy, not a dependency)."""
    nodes = list(G.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    out_w: dict[str, dict[str, float]] = {u: defaultdict(float) for u in nodes}
    for u, v, w in G.edges(data="weight", default=1.0):
        out_w[u][v] += w
        out_w[v][u] += w
    totals = {u: sum(nb.values()) for u, nb in out_w.items()}
    rank = dict.fromkeys(nodes, 1.0 / n)
    for _ in range(max_iter):
        dangling = alpha * sum(rank[u] for u in nodes if totals[u] == 0) / n
        new = dict.fromkeys(nodes, (1.0 - alpha) / n + dangling)
        for u in nodes:
            if totals[u]:
                share = alpha * rank[u] / totals[u]
                for v, w in out_w[u].items():
                    new[v] += share * w
        err = sum(abs(new[u] - rank[u]) for u in nodes)
        rank = new
        if err < n * tol:
            break
    return rank


def central_entities(G: nx.Graph, cls: str | None = None, top: int = 10, method: str = "pagerank") -> list[tuple[str, float]]:
    """Return the ``top`` most central entities as ``(entity id, score)``, best first.

    ``method`` is ``pagerank`` (weighted by the number of claims on an edge) or
    ``degree`` (weighted degree).  Ties are broken by label, then id, so the
    ranking is deterministic.  ``cls`` keeps one class (e.g. ``"Actor"``).

    Raises:
        InputError: an unknown class or method.
    """
    cls = check_class(cls)
    if method == "pagerank":
        scores = _pagerank(G)
    elif method == "degree":
        scores = {n: float(d) for n, d in G.degree(weight="weight")}
    else:
        raise InputError(f"unknown centrality {method!r}; valid: pagerank, degree")
    ranked = sorted(
        ((n, round(s, 12)) for n, s in scores.items() if cls is None or G.nodes[n]["cls"] == cls),
        key=lambda x: (-x[1], G.nodes[x[0]]["label"], x[0]),
    )
    return ranked[: max(top, 0)]


def neighbourhood(G: nx.Graph, entity_id: str, radius: int = 1) -> nx.MultiGraph:
    """Return the subgraph of the entities within ``radius`` hops of one entity.

    ``entity_id`` may be an id or a name (label or alias, any script).

    Raises:
        NotFoundError: no such entity.
    """
    centre = find_entity(G, entity_id)
    sub = nx.ego_graph(G, centre, radius=max(radius, 0)).copy()
    sub.graph["centre"] = centre
    return sub


def explain_path(G: nx.Graph, a: str, b: str) -> list[PathStep]:
    """Return the shortest chain of links between two entities, with the claims stating each.

    ``a`` and ``b`` are ids or names.  Typed relations are preferred over
    co-mentions of the same length.  One :class:`PathStep` per hop; an empty
    list when ``a`` and ``b`` are the same entity.

    Raises:
        NotFoundError: an unknown entity, or no path between the two.
    """
    src, dst = find_entity(G, a), find_entity(G, b)
    if src == dst:
        return []
    simple = nx.Graph()
    simple.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        cost = _COST.get(d["predicate"], 1.0)
        if not simple.has_edge(u, v) or simple[u][v]["cost"] > cost:
            simple.add_edge(u, v, cost=cost)
    try:
        nodes = nx.dijkstra_path(simple, src, dst, weight="cost")
    except nx.NetworkXNoPath:
        raise NotFoundError(
            f"no path between {G.nodes[src]['label']} and {G.nodes[dst]['label']} in the graph"
        ) from None
    claims: dict[str, ClaimRef] = G.graph.get("claims", {})
    steps: list[PathStep] = []
    for u, v in zip(nodes, nodes[1:]):
        links = sorted(
            G.get_edge_data(u, v).values(),
            key=lambda d: (_COST.get(d["predicate"], 1.0), d["source"] != u, d["predicate"]),
        )
        cited = list(dict.fromkeys(c for d in links for c in d["claims"] if c in claims))
        best = links[0]
        steps.append(
            PathStep(
                source=u,
                target=v,
                predicate=best["predicate"],
                forward=best["predicate"] == CO_MENTION or best["source"] == u,
                claims=tuple(claims[c] for c in cited),
                predicates=tuple(dict.fromkeys(d["predicate"] for d in links)),
            )
        )
    return steps


# ------------------------------------------------------------ summaries ---


@dataclass(frozen=True)
class Neighbour:
    """An entity linked to another, with the links (``uses →`` stated from the entity, ``← uses`` towards it)."""

    id: str
    label: str
    cls: str
    links: tuple[str, ...]
    claims: int


@dataclass(frozen=True)
class EntityView:
    """Everything the graph says about one entity."""

    id: str
    iri: str
    label: str
    cls: str
    aliases: tuple[str, ...]
    merges: tuple[str, ...]
    reports: tuple[str, ...]
    claims: tuple[ClaimRef, ...]
    neighbours: tuple[Neighbour, ...]
    same_name: tuple[str, ...] = ()  # other entities (other classes) with this name


def describe_entity(G: nx.Graph, name: str, cls: str | None = None) -> EntityView:
    """Return the labels, aliases, merge notes, claims and neighbours of the entity named ``name``.

    Neighbours are sorted by the number of claims linking them, then label.

    Raises:
        NotFoundError: no entity has that name.  InputError: an unknown class.
    """
    hits = find_entities(G, name, cls)
    eid = hits[0] if hits else find_entity(G, name, cls)  # find_entity raises with hints
    d = G.nodes[eid]
    claims: dict[str, ClaimRef] = G.graph.get("claims", {})
    links: dict[str, list[str]] = defaultdict(list)
    cited: dict[str, set[str]] = defaultdict(set)
    for _, other, e in sorted(G.edges(eid, data=True), key=lambda x: (x[1], x[2]["predicate"])):
        pred = e["predicate"]
        if pred == CO_MENTION:
            links[other].append(CO_MENTION)
        elif e["source"] == eid:
            links[other].append(f"{pred} →")
        else:
            links[other].append(f"← {pred}")
        cited[other].update(e["claims"])
    neighbours = sorted(
        (
            Neighbour(o, G.nodes[o]["label"], G.nodes[o]["cls"],
                      tuple(sorted(set(ls), key=lambda p: (CO_MENTION in p or ABOUT in p, p))), len(cited[o]))
            for o, ls in links.items()
        ),
        key=lambda n: (-n.claims, n.label, n.id),
    )
    return EntityView(
        id=eid,
        iri=d.get("iri", ""),
        label=d["label"],
        cls=d["cls"],
        aliases=tuple(d.get("aliases", ())),
        merges=tuple(d.get("merges", ())),
        reports=tuple(d.get("reports", ())),
        claims=tuple(claims[c] for c in d.get("claims", ()) if c in claims),
        neighbours=tuple(neighbours),
        same_name=tuple(h for h in hits[1:]),
    )


_COUNT_CLASSES = ("Report", "Claim", "Question", "RelatedReport", "Section")


def graph_stats(store) -> dict[str, object]:
    """Count what the store holds.

    Returns ``{"entities": {class: n, ...}, "entities_total": n, "claims": n,
    "relations": n (distinct typed links), "relation_statements": n (one per
    stating claim), "reports": n, "sections": n, "questions": n,
    "related_reports": n}``.

    Raises:
        QueryError: the store failed a query.
    """
    by_class = dict.fromkeys(ENTITY_CLASSES, 0)
    q = _PREFIXES + f"SELECT ?cls (COUNT(DISTINCT ?e) AS ?n) WHERE {{ VALUES ?cls {{ {_CLASS_VALUES} }} ?e a ?cls }} GROUP BY ?cls"
    for row in store.query(q):
        by_class[_cls(row.cls)] = int(row.n)
    counts = {}
    for c in _COUNT_CLASSES:
        rows = list(store.query(_PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a yb:{c} }}"))
        counts[c] = int(rows[0].n) if rows else 0
    rel = list(store.query(_PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {_PRED_VALUES} }} ?s ?p ?o }} }}"))
    stm = list(store.query(_PREFIXES + f"SELECT (COUNT(DISTINCT ?st) AS ?n) WHERE {{ VALUES ?p {{ {_PRED_VALUES} }} ?st a rdf:Statement ; rdf:predicate ?p }}"))
    return {
        "entities": by_class,
        "entities_total": sum(by_class.values()),
        "claims": counts["Claim"],
        "relations": int(rel[0].n) if rel else 0,
        "relation_statements": int(stm[0].n) if stm else 0,
        "reports": counts["Report"],
        "sections": counts["Section"],
        "questions": counts["Question"],
        "related_reports": counts["RelatedReport"],
    }

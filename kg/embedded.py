"""The embedded graph store: Oxigraph in the home's folder, through rdflib (oxrdflib).

Readers open it read-only, so they run beside a writer.  The default backend
of :func:`yanbao.kg.store.open_graph_store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from rdflib import Dataset, Graph, URIRef
from rdflib.query import Result

from yanbao.core.errors import QueryError, StoreError

from .rdf import bind_prefixes
from .readonly import check_read_only_query
from .vocab import GRAPH, ONTOLOGY_GRAPH, ontology_path, report_graph

__all__ = ["OxigraphGraphStore"]


class OxigraphGraphStore:
    """Embedded Oxigraph at a folder, through rdflib (oxrdflib)."""

    shared = False  # the home owns the folder: a graph it has no record of is an orphan

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        import pyoxigraph as ox
        from oxrdflib import OxigraphStore

        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                if not self.path.exists():
                    inner = ox.Store()  # nothing ingested yet: an empty graph
                else:
                    inner = _open_read_only(ox, self.path)
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                inner = _open_writable(ox, self.path)
        except OSError as exc:
            raise StoreError(f"cannot open the graph store at {self.path}: {exc}") from exc
        self._ox = inner
        self._visible: set[str] | None = None  # None: every graph (a writer's view)
        self._ds = Dataset(store=OxigraphStore(store=inner), default_union=True)
        bind_prefixes(self._ds)

    def _ensure_ontology(self) -> None:
        if not self._ox.contains_named_graph(_ox_node(ONTOLOGY_GRAPH)):
            onto = Graph().parse(ontology_path(), format="turtle")
            self._put(ONTOLOGY_GRAPH, onto)

    def _put(self, gid: URIRef, graph: Graph) -> None:
        import pyoxigraph as ox

        node = _ox_node(gid)
        if self._ox.contains_named_graph(node):
            self._ox.remove_graph(node)
        # Bulk: rdflib writes N-Triples, Oxigraph parses them natively (5x faster
        # than adding rdflib triples one by one through the store plugin).
        self._ox.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=node)

    def replace_report(self, report_id: str, graph: Graph) -> None:
        self._writable()
        self._ensure_ontology()
        self._put(report_graph(report_id), graph)

    def replace_reports(self, graphs: dict[str, Graph]) -> None:
        """One bulk load of N-Quads for the whole batch (3x faster than one load per
        report).  Bulk loading is not transactional; the manifest, written after,
        is the commit point, and readers see only reports it names."""
        import pyoxigraph as ox

        self._writable()
        self._ensure_ontology()
        parts = []
        for report_id, graph in graphs.items():
            gid = report_graph(report_id)
            if self._ox.contains_named_graph(_ox_node(gid)):
                self._ox.remove_graph(_ox_node(gid))
            tail = f" <{gid}> .\n"
            nt = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
            parts.append("".join(line[:-2] + tail for line in nt.splitlines() if line.endswith(" .")))
        if parts:
            self._ox.bulk_load("".join(parts).encode("utf-8"), format=ox.RdfFormat.N_QUADS)

    def remove_report(self, report_id: str) -> None:
        self._writable()
        gid = report_graph(report_id)
        if self._ox.contains_named_graph(_ox_node(gid)):
            self._ox.remove_graph(_ox_node(gid))

    def restrict_to(self, report_ids: set[str]) -> None:
        """Show readers only these reports' graphs (and the ontology).

        The manifest is the commit point: a graph written by an ingest that was
        killed before its manifest must not be seen until a writer cleans it up.
        """
        self._visible = {str(report_graph(r)) for r in report_ids} | {str(ONTOLOGY_GRAPH)}

    def report_ids(self) -> set[str]:
        prefix = GRAPH + "report/"
        visible = self._visible
        return {
            g.value[len(prefix) :]
            for g in self._ox.named_graphs()
            if g.value.startswith(prefix) and (visible is None or g.value in visible)
        }

    def query(self, sparql: str) -> Result:
        check_read_only_query(sparql)
        visible = self._visible
        try:
            if visible is None:
                return self._ds.query(sparql)
            graphs = [_ox_node(URIRef(g)) for g in sorted(visible)]
            return _as_rdflib_result(self._ox.query(sparql, default_graph=graphs, named_graphs=graphs))
        except Exception as exc:  # pyoxigraph raises SyntaxError/ValueError/OSError
            raise QueryError(f"SPARQL query failed: {' '.join(str(exc).split())}") from exc

    def dataset(self) -> Dataset:
        """The rdflib Dataset view of the store."""
        return self._ds

    def quads(self) -> Iterator[tuple]:
        """Every quad as rdflib terms, named graphs included (only visible graphs)."""
        visible = self._visible
        for s, p, o, g in self._ds.quads((None, None, None, None)):
            if visible is None or str(getattr(g, "identifier", g)) in visible:
                yield s, p, o, g

    def close(self) -> None:
        if not self.read_only and self._ox is not None:
            self._ox.flush()  # once per write session, not per report
        self._ds = None  # type: ignore[assignment]
        self._ox = None
        if not self.read_only:
            # rdflib's Dataset and its NamespaceManager refer to each other, so the
            # Oxigraph store (and its write lock) is freed only by the cycle
            # collector; collect now, or the next writer in this process (ingest,
            # then remove) finds the lock still held.
            import gc

            gc.collect()

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the graph store was opened read-only")


def _as_rdflib_result(result) -> Result:
    """A pyoxigraph query result as an rdflib Result (as oxrdflib builds it)."""
    import pyoxigraph as ox
    from oxrdflib._converter import from_ox
    from rdflib.term import Variable

    if isinstance(result, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(result)
    elif isinstance(result, ox.QuerySolutions):
        out = Result("SELECT")
        out.vars = [Variable(v.value) for v in result.variables]
        out.bindings = ({v: from_ox(val) for v, val in zip(out.vars, row) if val is not None} for row in result)
    else:
        out = Result("CONSTRUCT")
        out.graph = Graph()
        out.graph += (from_ox(t) for t in result)
    return out


def _open_writable(ox, path: Path):
    """Open the store for writing.  The previous writer of this process releases
    RocksDB's lock only when the cycle collector frees its store (see ``close``)
    and its files are closed; an open in that moment fails with "No locks
    available": collect and try again before giving up."""
    import gc

    return _retrying(lambda: ox.Store(str(path)), lambda exc: isinstance(exc, OSError) and "lock" in str(exc).lower(),
                     between=gc.collect)


def _open_read_only(ox, path: Path):
    """Open a read-only view; a writer flushing or compacting its files at that
    moment makes RocksDB report a missing file (pyoxigraph raises RuntimeError or,
    for an I/O error, OSError), so try again before giving up."""
    try:
        return _retrying(lambda: ox.Store.read_only(str(path)), lambda exc: isinstance(exc, (RuntimeError, OSError)))
    except (RuntimeError, OSError) as exc:
        raise StoreError(f"the graph store at {path} is being rewritten; try again: {exc}") from exc


def _retrying(open_store, transient, between=None, attempts: int = 10):
    """``open_store()``, tried again with a growing pause (~2 s in all) while it
    raises an exception ``transient`` accepts; the last one, or any other, is raised."""
    import time

    for attempt in range(attempts):
        try:
            return open_store()
        except Exception as exc:
            if attempt == attempts - 1 or not transient(exc):
                raise
            if between is not None:
                between()
            time.sleep(0.04 * (attempt + 1))
    raise AssertionError("unreachable")


def _ox_node(iri: URIRef):
    import pyoxigraph as ox

    return ox.NamedNode(str(iri))

"""Graph stores: one named graph per report, the ontology in its own graph.

Backends sit behind the small :class:`GraphStore` protocol.  The default is an
embedded Oxigraph store in the home, used through rdflib's API (oxrdflib);
readers open it read-only, so they run beside a writer.  The other backend,
:class:`kg.remote.SparqlGraphStore`, keeps the graph on a SPARQL 1.1 server.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator, Mapping, Protocol

from rdflib import Dataset, Graph, URIRef
from rdflib.query import Result

from yanbao.core.errors import QueryError, SettingsError, StoreError

from .rdf import bind_prefixes
from .vocab import GRAPH, ONTOLOGY_GRAPH, ontology_path, report_graph

__all__ = ["GraphStore", "OxigraphGraphStore", "open_graph_store", "check_read_only_query", "STORE_CHOICES"]

STORE_CHOICES = ("oxigraph:PATH (embedded, default)", "sparql:QUERY_URL[,UPDATE_URL]")


class GraphStore(Protocol):
    """What yanbao needs of a triple store."""

    def replace_report(self, report_id: str, graph: Graph) -> None:
        """Make ``graph`` the whole named graph of ``report_id``."""

    def replace_reports(self, graphs: dict[str, Graph]) -> None:
        """Make each graph the whole named graph of its report (a batch of ``replace_report``)."""

    def remove_report(self, report_id: str) -> None:
        """Drop the named graph of ``report_id`` (no error if absent)."""

    def report_ids(self) -> set[str]:
        """Ids of the reports that have a named graph."""

    def query(self, sparql: str) -> Result:
        """Run a read-only SPARQL query over the union of all graphs."""

    def quads(self) -> Iterator[tuple]:
        """Every quad ``(s, p, o, graph)`` of the named graphs (for exports)."""

    def close(self) -> None:
        """Release the store."""


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
                inner = ox.Store(str(self.path))
        except OSError as exc:
            raise StoreError(f"cannot open the graph store at {self.path}: {exc}") from exc
        self._ox = inner
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
        visible = getattr(self, "_visible", None)
        return {
            g.value[len(prefix) :]
            for g in self._ox.named_graphs()
            if g.value.startswith(prefix) and (visible is None or g.value in visible)
        }

    def query(self, sparql: str) -> Result:
        check_read_only_query(sparql)
        visible = getattr(self, "_visible", None)
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
        visible = getattr(self, "_visible", None)
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


def _open_read_only(ox, path: Path):
    """Open a read-only view; a writer compacting its files at that moment makes
    RocksDB report missing files (a RuntimeError), so try again a few times."""
    import time

    for attempt in range(6):
        try:
            return ox.Store.read_only(str(path))
        except RuntimeError as exc:
            if attempt == 5:
                raise StoreError(f"the graph store at {path} is being rewritten; try again: {exc}") from exc
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _ox_node(iri: URIRef):
    import pyoxigraph as ox

    return ox.NamedNode(str(iri))


_UPDATE_RE = re.compile(r"(?<![?$\w])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.I)
_SERVICE_RE = re.compile(r"(?<![?$\w])SERVICE\b", re.I)
_STRINGS_RE = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|<[^>\s]*>|#[^\n]*", re.S)


def check_read_only_query(sparql: str) -> None:
    """Refuse anything but SELECT/ASK/CONSTRUCT/DESCRIBE without SERVICE.

    Raises:
        QueryError: an update, a federated SERVICE call, or not a query at all.
    """
    bare = _STRINGS_RE.sub(" ", sparql)
    if _UPDATE_RE.search(bare):
        raise QueryError("only read-only queries (SELECT, ASK, CONSTRUCT, DESCRIBE) are allowed; updates are refused")
    if _SERVICE_RE.search(bare):
        raise QueryError("federated SERVICE calls are refused")
    if not re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", bare, re.I):
        raise QueryError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")


def open_graph_store(
    spec: str,
    home_graph_dir: Path,
    read_only: bool = False,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
) -> GraphStore:
    """Build the store a setting names: ``""``/``oxigraph[:PATH]`` or ``sparql:URL[,URL]``.

    A SPARQL server store takes HTTP basic credentials from ``env`` (default:
    the process environment) ``YANBAO_SPARQL_USER`` / ``YANBAO_SPARQL_PASSWORD``
    and gives up on a request after ``timeout`` seconds.

    Raises:
        SettingsError: an unknown store kind (the message lists the valid ones),
            or a URL that is not http(s).
    """
    if not spec or spec == "oxigraph":
        return OxigraphGraphStore(home_graph_dir, read_only=read_only)
    kind, _, rest = spec.partition(":")
    if kind == "oxigraph":
        return OxigraphGraphStore(Path(rest).expanduser(), read_only=read_only)
    if kind == "sparql":
        from .remote import SparqlGraphStore, credentials_from_env

        query_url, _, update_url = rest.partition(",")
        return SparqlGraphStore(
            query_url.strip(), update_url.strip() or query_url.strip(), read_only=read_only, timeout=timeout,
            auth=credentials_from_env(os.environ if env is None else env),
        )
    raise SettingsError(f"unknown store {spec!r}; valid: {', '.join(STORE_CHOICES)}")

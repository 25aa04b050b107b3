"""A graph store on a SPARQL 1.1 server the firm already runs.

:class:`SparqlGraphStore` keeps yanbao's graph (one named graph per report,
the ontology in its own graph) on any SPARQL 1.1 Query + Update endpoint:
Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso.  It talks to the
server through rdflib's :class:`~rdflib.plugins.stores.sparqlstore.SPARQLUpdateStore`,
with the HTTP calls replaced so that they carry a timeout, HTTP basic
credentials and a dataset description, and fail with yanbao's errors.

Writes: a report's graph is dropped and re-inserted with ``INSERT DATA``
requests of at most :data:`BATCH_TRIPLES` triples each (N-Triples), never
triple by triple.

Reads: yanbao's queries assume the default graph is the union of the named
graphs (as in the embedded store).  Servers differ: Oxigraph needs
``--union-default-graph``, Fuseki ``tdb2:unionDefaultGraph true``; GraphDB and
Virtuoso do it out of the box.  The store checks once (one triple of a named
graph, asked for in the default graph); on a server that does not union, each
query is sent with every named graph as ``default-graph-uri`` and
``named-graph-uri`` (SPARQL 1.1 Protocol), which gives the same answers at the
cost of a longer request.  Queries that name their own dataset (``FROM``) are
sent as written.
"""

from __future__ import annotations

import base64
import re
import socket
from io import BytesIO
from typing import Iterator, Mapping
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from rdflib.query import Result

from yanbao.core.errors import QueryError, StoreError

from .rdf import bind_prefixes
from .readonly import check_read_only_query
from .vocab import GRAPH, ONTOLOGY_GRAPH, ontology_path, report_graph

__all__ = ["SparqlGraphStore", "BATCH_TRIPLES", "credentials_from_env"]

BATCH_TRIPLES = 5000  # triples per INSERT DATA request: ~1 MB of N-Triples
_REPORT_PREFIX = GRAPH + "report/"
_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.8, text/turtle;q=0.7, application/rdf+xml;q=0.5"
)
_FROM_RE = re.compile(r"\bFROM\b", re.I)


def credentials_from_env(env: Mapping[str, str]) -> tuple[str, str] | None:
    """Return ``(user, password)`` from ``YANBAO_SPARQL_USER`` / ``YANBAO_SPARQL_PASSWORD``, or None."""
    user = env.get("YANBAO_SPARQL_USER", "")
    if not user:
        return None
    return user, env.get("YANBAO_SPARQL_PASSWORD", "")


class _HttpUpdateStore(SPARQLUpdateStore):
    """rdflib's SPARQLUpdateStore whose HTTP calls have a timeout and a protocol dataset.

    rdflib's connector opens URLs without a timeout and turns some HTTP errors
    into return values; these two overrides are the only HTTP in the store.
    """

    def __init__(self, query_url: str, update_url: str, timeout: float, auth: tuple[str, str] | None) -> None:
        super().__init__(query_url, update_url, returnFormat="json", method="POST_FORM", autocommit=True)
        self.timeout = timeout
        self.dataset_graphs: list[str] | None = None  # None: the server's own default graph
        self._headers = {"User-Agent": "yanbao"}
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"

    def _query(self, query, default_graph=None, named_graph=None) -> Result:  # noqa: ARG002 - rdflib's signature
        self._queries += 1
        params: list[tuple[str, str]] = [("query", query)]
        if self.dataset_graphs is not None and not _FROM_RE.search(query):
            params += [("default-graph-uri", g) for g in self.dataset_graphs]
            params += [("named-graph-uri", g) for g in self.dataset_graphs]
        headers = {**self._headers, "Accept": _ACCEPT, "Content-Type": "application/x-www-form-urlencoded"}
        body, ctype = self._send(self.query_endpoint, urlencode(params).encode("utf-8"), headers, "query")
        kind = ctype.split(";", 1)[0].strip().lower() or "application/sparql-results+json"
        try:
            return Result.parse(BytesIO(body), content_type=kind)
        except Exception as exc:  # rdflib's result parsers raise anything
            raise StoreError(f"unreadable answer ({kind}) from the SPARQL server at {self.query_endpoint}: {exc}") from exc

    def _update(self, update: str) -> None:
        self._updates += 1
        headers = {**self._headers, "Content-Type": "application/sparql-update; charset=UTF-8"}
        self._send(self.update_endpoint, update.encode("utf-8"), headers, "update")

    def _send(self, url: str, data: bytes, headers: dict, what: str) -> tuple[bytes, str]:
        try:
            with urlopen(Request(url, data=data, headers=headers, method="POST"), timeout=self.timeout) as res:
                return res.read(), res.headers.get("Content-Type", "")
        except HTTPError as exc:
            detail = _one_line(exc.read().decode("utf-8", "replace"))[:300]
            if exc.code in (401, 403):
                raise StoreError(
                    f"the SPARQL server at {url} refused the credentials (HTTP {exc.code}); "
                    "set YANBAO_SPARQL_USER and YANBAO_SPARQL_PASSWORD"
                ) from exc
            if exc.code == 400 and what == "query":
                raise QueryError(f"SPARQL query failed: {detail or exc.reason}") from exc
            raise StoreError(f"the SPARQL server at {url} answered HTTP {exc.code} to an {what}: {detail or exc.reason}") from exc
        except (socket.timeout, TimeoutError) as exc:
            raise StoreError(f"the SPARQL server at {url} did not answer within {self.timeout:g} s") from exc
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach the SPARQL server at {url}: {reason}") from exc


class SparqlGraphStore:
    """The graph on a SPARQL 1.1 server (query and update endpoints).

    Nothing is sent until the first call, so opening is instant and an
    unreachable server fails at the first read or write with a
    :class:`~yanbao.core.errors.StoreError` naming the URL.
    """

    shared = True  # other homes may keep their reports in the same dataset

    def __init__(
        self,
        query_url: str,
        update_url: str = "",
        read_only: bool = False,
        timeout: float = 60.0,
        auth: tuple[str, str] | None = None,
        batch_triples: int = BATCH_TRIPLES,
    ) -> None:
        update_url = update_url or query_url
        for url in (query_url, update_url):
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                from yanbao.core.errors import SettingsError

                raise SettingsError(f"not an http(s) SPARQL endpoint URL: {url!r}")
        self.query_url = query_url
        self.update_url = update_url
        self.read_only = read_only
        self.batch_triples = max(1, batch_triples)
        self._store = _HttpUpdateStore(query_url, update_url, timeout, auth)
        self._union: bool | None = None  # learnt at the first query over the union

    # ------------------------------------------------------------- writes
    def replace_reports(self, graphs: dict[str, Graph]) -> None:
        """Each report's graph in turn (each is already sent in batches of triples)."""
        for report_id, graph in graphs.items():
            self.replace_report(report_id, graph)

    def replace_report(self, report_id: str, graph: Graph) -> None:
        """Make ``graph`` the whole named graph of ``report_id`` (drop, then insert in batches).

        Raises:
            StoreError: opened read-only, or the server failed.
        """
        self._writable()
        self._ensure_ontology()
        self._put(report_graph(report_id), graph)

    def remove_report(self, report_id: str) -> None:
        """Drop the named graph of ``report_id`` (no error if absent).

        Raises:
            StoreError: opened read-only, or the server failed.
        """
        self._writable()
        self._store.update(f"DROP SILENT GRAPH <{report_graph(report_id)}>")

    def _ensure_ontology(self) -> None:
        if not self._ask_raw(f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"):
            self._put(ONTOLOGY_GRAPH, Graph().parse(ontology_path(), format="turtle"))

    def _put(self, gid: URIRef, graph: Graph) -> None:
        # A blank node's label means one node only within one INSERT DATA, so
        # every triple that has one goes into the same (last) request.
        plain, blank = [], []
        for t in graph:
            (blank if any(isinstance(x, BNode) for x in t) else plain).append(t)
        batches = [plain[i : i + self.batch_triples] for i in range(0, len(plain), self.batch_triples)]
        if blank:
            batches.append(blank)
        self._store.update(f"DROP SILENT GRAPH <{gid}>")
        for batch in batches:
            self._store.update(f"INSERT DATA {{ GRAPH <{gid}> {{\n{_ntriples(batch)}}} }}")

    # -------------------------------------------------------------- reads
    def report_ids(self) -> set[str]:
        """Ids of the reports that have a named graph.

        Raises:
            StoreError: the server failed.
        """
        return {g[len(_REPORT_PREFIX) :] for g in self._graph_names() if g.startswith(_REPORT_PREFIX)}

    def restrict_to(self, report_ids: set[str]) -> None:
        """Nothing to do: a server's dataset may hold other homes' reports, which
        readers of this store see too (``shared``); present for the protocol."""

    def query(self, sparql: str) -> Result:
        """Run a read-only SPARQL query over the union of all graphs.

        Raises:
            QueryError: an update, a SERVICE call, or a query the server rejects.
            StoreError: the server is unreachable, slow past the timeout, or failed.
        """
        check_read_only_query(sparql)
        self._use_union_dataset()
        return self._store.query(sparql)

    def quads(self) -> Iterator[tuple]:
        """Every quad of the named graphs as rdflib terms ``(s, p, o, graph IRI)``.

        Raises:
            StoreError: the server failed.
        """
        for row in self._select_raw("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            yield row.s, row.p, row.o, row.g

    def dataset(self) -> Dataset:
        """An rdflib Dataset over the server (each access is a query; prefer :meth:`query`)."""
        return bind_prefixes(Dataset(store=self._store, default_union=True))

    def close(self) -> None:
        """Nothing is held open between requests; present for the protocol."""

    # ------------------------------------------------------------ helpers
    def _graph_names(self) -> list[str]:
        return sorted(str(row.g) for row in self._select_raw("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"))

    def _use_union_dataset(self) -> None:
        """Learn once whether the server's default graph is the union; if not, name the graphs."""
        if self._union is None:
            probe = list(self._select_raw(
                "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && !isBlank(?o)) } LIMIT 1"
            ))
            if not probe:
                self._store.dataset_graphs = None  # nothing stored: ask again next time
                return
            s, p, o = probe[0].s, probe[0].p, probe[0].o
            self._union = self._ask_raw(f"ASK {{ {s.n3()} {p.n3()} {o.n3()} }}")
        self._store.dataset_graphs = None if self._union else self._graph_names()

    def _select_raw(self, sparql: str) -> Result:
        self._store.dataset_graphs = None
        return self._store.query(sparql)

    def _ask_raw(self, sparql: str) -> bool:
        return bool(self._select_raw(sparql).askAnswer)

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the graph store was opened read-only")


def _ntriples(triples: list) -> str:
    g = Graph()
    for t in triples:
        g.add(t)
    return g.serialize(format="nt")


def _one_line(text: str) -> str:
    return " ".join(text.split())

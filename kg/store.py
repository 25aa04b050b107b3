"""Graph stores: one named graph per report, the ontology in its own graph.

Backends sit behind the small :class:`GraphStore` protocol and are chosen by
name from :data:`STORES` (name -> factory): the embedded Oxigraph store in the
home (:mod:`yanbao.kg.embedded`, the default) or a SPARQL 1.1 server
(:mod:`yanbao.kg.remote`).  Adding a backend is one entry in :data:`STORES`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator, Mapping, Protocol

from rdflib import Dataset, Graph
from rdflib.query import Result

from yanbao.core.errors import SettingsError

from .readonly import check_read_only_query

__all__ = ["GraphStore", "STORES", "STORE_CHOICES", "open_graph_store", "check_read_only_query"]


class GraphStore(Protocol):
    """What yanbao needs of a triple store.

    ``shared`` is true when other homes may keep their reports in the same
    dataset (a server): then a graph the home has no record of is not an
    orphan, and readers are not restricted to the home's manifest.
    """

    shared: bool

    def replace_report(self, report_id: str, graph: Graph) -> None:
        """Make ``graph`` the whole named graph of ``report_id``."""

    def replace_reports(self, graphs: dict[str, Graph]) -> None:
        """Make each graph the whole named graph of its report (a batch of ``replace_report``)."""

    def remove_report(self, report_id: str) -> None:
        """Drop the named graph of ``report_id`` (no error if absent)."""

    def report_ids(self) -> set[str]:
        """Ids of the reports that have a named graph."""

    def restrict_to(self, report_ids: set[str]) -> None:
        """Show readers only these reports' graphs and the ontology (the manifest's reports)."""

    def query(self, sparql: str) -> Result:
        """Run a read-only SPARQL query over the union of all graphs."""

    def quads(self) -> Iterator[tuple]:
        """Every quad ``(s, p, o, graph)`` of the named graphs (for exports)."""

    def dataset(self) -> Dataset:
        """The rdflib Dataset view of the store (for analytics and exports)."""

    def close(self) -> None:
        """Release the store."""


def _open_oxigraph(rest: str, home_graph_dir: Path, read_only: bool, timeout: float, env: Mapping[str, str]) -> GraphStore:
    from .embedded import OxigraphGraphStore

    return OxigraphGraphStore(Path(rest).expanduser() if rest else home_graph_dir, read_only=read_only)


def _open_sparql(rest: str, home_graph_dir: Path, read_only: bool, timeout: float, env: Mapping[str, str]) -> GraphStore:
    from .remote import SparqlGraphStore, credentials_from_env

    query_url, _, update_url = rest.partition(",")
    return SparqlGraphStore(
        query_url.strip(), update_url.strip() or query_url.strip(), read_only=read_only, timeout=timeout,
        auth=credentials_from_env(env),
    )


StoreFactory = Callable[[str, Path, bool, float, Mapping[str, str]], GraphStore]
#: Store kind (the part of the setting before ``:``) -> factory.
STORES: dict[str, StoreFactory] = {"oxigraph": _open_oxigraph, "sparql": _open_sparql}
STORE_CHOICES = ("oxigraph:PATH (embedded, default)", "sparql:QUERY_URL[,UPDATE_URL]")


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
    kind, _, rest = (spec or "oxigraph").partition(":")
    factory = STORES.get(kind)
    if factory is None:
        raise SettingsError(f"unknown store {spec!r}; valid: {', '.join(STORE_CHOICES)}")
    return factory(rest, home_graph_dir, read_only, timeout, os.environ if env is None else env)

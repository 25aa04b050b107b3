"""Fixtures of the kg tests: a home with the bundled sample ingested (hashing embedder, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "reports"
SEED_GRAPH = ROOT.parent / "shared" / "eval" / "seed_graph.json"

PREFIXES = """
PREFIX yb: <https://w3id.org/yanbao/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def make_library(home: Path):
    from yanbao.library import Library
    from yanbao.core.settings import load_settings

    return Library(load_settings({"home": home, "embedder": "hashing"}))


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory) -> Path:
    """A home holding the sample report only (one per test module: some modules change it)."""
    home = tmp_path_factory.mktemp("kg-home")
    outcomes = make_library(home).ingest([str(SAMPLE)])
    assert [o.status for o in outcomes] == ["added"], outcomes
    return home


@pytest.fixture(scope="module")
def lib(sample_home):
    return make_library(sample_home)


@pytest.fixture(scope="module")
def sample_id(lib) -> str:
    (entry,) = lib.reports()
    return entry.id


@pytest.fixture
def store(lib):
    """The graph store, opened read-only, closed after the test."""
    st = lib.graph()
    yield st
    st.close()


def select(store, body: str) -> list:
    """Run a SELECT (the kg prefixes declared) and return its rows."""
    return list(store.query(PREFIXES + body))


# ------------------------------------------------------ a real SPARQL server ---
# `pip install oxigraph` (in the test extra) ships the `oxigraph` server binary.
# Each server runs on a free loopback port in a temporary folder, and is
# stopped by its pid when the session ends.


def _oxigraph_binary() -> str | None:
    import shutil
    import sys

    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    return shutil.which("oxigraph")


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(url + "?query=ASK%7B%7D", timeout=1) as res:
            return res.status == 200
    except (URLError, OSError):
        return False


def _start_server(tmp_path_factory, union: bool):
    import subprocess
    import time

    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph, or the 'test' extra)")
    location = tmp_path_factory.mktemp("oxigraph-server")
    port = _free_port()
    cmd = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    if union:
        cmd.append("--union-default-graph")
    log = open(location.parent / f"{location.name}.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _answers(base + "/query"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            log.close()
            text = (location.parent / f"{location.name}.log").read_text(errors="replace")
            raise RuntimeError(f"the oxigraph server did not start on port {port}: {text[-500:]}")
        time.sleep(0.1)
    return proc, log, {"query": base + "/query", "update": base + "/update", "union": union}


def _stop_server(proc, log) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session", params=["union", "plain"])
def sparql_server(request, tmp_path_factory):
    """A running Oxigraph server: ``{"query": URL, "update": URL, "union": bool}``.

    Run twice: with ``--union-default-graph`` (the recommended setup) and
    without it (a server whose default graph is its own, as Fuseki's by default).
    """
    proc, log, urls = _start_server(tmp_path_factory, union=request.param == "union")
    try:
        yield urls
    finally:
        _stop_server(proc, log)


def server_store_spec(server: dict) -> str:
    """The ``store`` setting for a :func:`sparql_server`."""
    return f"sparql:{server['query']},{server['update']}"


def clear_server(server: dict) -> None:
    """Drop every graph on the server (tests share one server per session)."""
    from urllib.request import Request, urlopen

    req = Request(server["update"], data=b"DROP ALL", headers={"Content-Type": "application/sparql-update"})
    with urlopen(req, timeout=10):
        pass

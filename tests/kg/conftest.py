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
    from yanbao.settings import load_settings

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

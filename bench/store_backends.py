"""Graph-store backends compared: embedded Oxigraph against an Oxigraph SPARQL server.

Builds 100 report graphs (the bundled sample and three fixture reports, each
under 25 edited titles, so each variant is a distinct report with its own id),
then for each backend times writing all 100 named graphs (as an ingest does:
drop, then insert) and three typical reads: ``graph stats`` (9 COUNT queries),
the networkx entity projection behind ``graph central/path/neighbours``
(6 bulk SELECTs), and an analyst's SPARQL (claims naming a regulation, with
their report titles).  The server runs twice: with ``--union-default-graph``
and without it (then each query names the graphs, as on a stock Fuseki).

Needs the ``oxigraph`` server binary (``pip install oxigraph``, in the
``test`` extra).  Run::

    python bench/store_backends.py            # 100 reports, a minute or two
    python bench/store_backends.py --reports 20
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASES = [
    ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt",
    ROOT / "tests" / "fixtures" / "reports" / "broker_ev_battery.txt",
    ROOT / "tests" / "fixtures" / "reports" / "broker_semiconductor.txt",
    ROOT / "tests" / "fixtures" / "reports" / "web_logistics.html",
]

ANALYST_QUERY = """
PREFIX yb: <https://w3id.org/yanbao/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?label ?text ?title WHERE {
  GRAPH ?g {
    ?c yb:mentions ?e ; yb:text ?text ; prov:wasDerivedFrom ?r .
    ?e a yb:Regulation ; skos:prefLabel ?label .
    ?r dcterms:title ?title .
  }
} ORDER BY ?title ?text LIMIT 200
"""
# Written per graph (GRAPH ?g): Oxigraph's union default graph repeats a triple
# once per graph holding it, and an entity's triples are in every report that
# names it, so the same joins over the union multiply rows report by report.


def build_graphs(n: int) -> list[tuple[str, object]]:
    """``n`` (report id, graph) pairs: the base reports under edited titles."""
    from yanbao.corpus import load_document, parse_text
    from yanbao.kg.extract import extract
    from yanbao.kg.rdf import report_graph_for

    texts = []
    for path in BASES:
        loaded = load_document(path)
        title = parse_text(loaded.text, origin=str(path), media_type=loaded.media_type).title
        texts.append((path, loaded, title))
    out = []
    for i in range(n):
        path, loaded, title = texts[i % len(texts)]
        text = loaded.text.replace(title, f"{title}（第{i // len(texts) + 1}輯）", 1)
        report = parse_text(text, origin=f"{path.name}#{i}", media_type=loaded.media_type)
        out.append((report.id, report_graph_for(report, extract(report))))
    return out


def start_server(folder: Path, union: bool):
    binary = Path(sys.executable).parent / "oxigraph"
    binary = str(binary) if binary.is_file() else shutil.which("oxigraph")
    if not binary:
        sys.exit("the oxigraph server binary is missing: pip install oxigraph")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
    if union:
        cmd.append("--union-default-graph")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(base + "/query?query=ASK%7B%7D", timeout=1):
                break
        except (URLError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"the oxigraph server did not start on port {port}")
            time.sleep(0.1)
    return proc, base


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(name: str, open_store, graphs) -> dict:
    from yanbao.kg.analytics import entity_graph, graph_stats

    store = open_store(False)
    t = time.perf_counter()
    for rid, graph in graphs:
        store.replace_report(rid, graph)
    write = time.perf_counter() - t
    store.close()
    store = open_store(True)
    assert len(store.report_ids()) == len(graphs), name
    triples = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))).n)
    row = {
        "backend": name,
        "write": write,
        "per_report_ms": 1000 * write / len(graphs),
        "triples": triples,
        "stats_ms": 1000 * median_time(lambda: graph_stats(store)),
        "projection_s": median_time(lambda: entity_graph(store)),
        "analyst_ms": 1000 * median_time(lambda: list(store.query(ANALYST_QUERY))),
        "stats": graph_stats(store),
    }
    store.close()
    print(f"  {name}: write {write:.2f} s, stats {row['stats_ms']:.0f} ms, projection {row['projection_s']:.2f} s, "
          f"analyst {row['analyst_ms']:.0f} ms", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100)
    args = parser.parse_args()

    from yanbao.kg.remote import SparqlGraphStore
    from yanbao.kg.embedded import OxigraphGraphStore

    t = time.perf_counter()
    graphs = build_graphs(args.reports)
    print(f"built {len(graphs)} report graphs ({sum(len(g) for _, g in graphs)} triples) in {time.perf_counter() - t:.1f} s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows.append(measure("embedded oxigraph", lambda ro: OxigraphGraphStore(tmp / "embedded", read_only=ro), graphs))
        for union in (True, False):
            folder = tmp / f"server-{union}"
            folder.mkdir()
            proc, base = start_server(folder, union)
            try:
                label = "oxigraph server" + (" (union default graph)" if union else " (graphs named per query)")
                rows.append(measure(label, lambda ro: SparqlGraphStore(base + "/query", base + "/update", read_only=ro, timeout=600), graphs))
            finally:
                stop_server(proc)
    assert all(r["stats"] == rows[0]["stats"] for r in rows), "backends disagree on graph stats"
    print()
    print(f"| backend | write {len(graphs)} reports | per report | triples | graph stats | entity projection | analyst query |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['backend']} | {r['write']:.2f} s | {r['per_report_ms']:.0f} ms | {r['triples']} | "
            f"{r['stats_ms']:.0f} ms | {r['projection_s']:.2f} s | {r['analyst_ms']:.0f} ms |"
        )


if __name__ == "__main__":
    main()

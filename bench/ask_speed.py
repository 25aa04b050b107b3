"""Cold and warm answer latency on an existing home (e.g. one bench/scale_home.py built).

    python bench/ask_speed.py HOME [--runs 5] [--questions 200] [--embedder hashing]

Measures, with the home's own settings (``--embedder`` must be the one that
built the index):

- cold ``yanbao ask`` (a new process, start to answer), median of ``--runs``;
- warm answers in one process over ``--questions`` questions (the seed
  questions and four more, cycled, as bench/run.py asks them), with the
  question's embedding given (p50/p95), after five warm-up answers; each
  question's embedding is computed before timing;
- the warm answers' CPU time per answer (process time: on a shared machine the
  wall time measures the load as much as the code).

Prints one JSON object.  Public tools only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import _child, _questions, cold_asks  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--embedder", default="hashing")
    args = parser.parse_args()
    if not (args.home / "index" / "CURRENT").is_file():
        raise SystemExit(f"{args.home}: no yanbao index here")
    env = {**os.environ, "YANBAO_HOME": str(args.home), "YANBAO_EMBEDDER": args.embedder}
    colds = cold_asks(env, args.runs)
    warm_code = f"""
import json, time
from yanbao.library import Library
from yanbao.retrieval.answer import embed_question
lib = Library.open(); a = lib.answerer()
qs = {_questions(args.questions)!r}
vecs = [embed_question(a.embedder, a.analyse(q).question) for q in qs]
for q, v in zip(qs[:5], vecs[:5]): a.answer(q, qvec=v)
walls, cpus = [], []
for q, v in zip(qs, vecs):
    t, c = time.perf_counter(), time.process_time()
    a.answer(q, qvec=v)
    walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]
print(json.dumps({{"units": len(a.index.units), "reports": len(a.index.report_ids), "partitioned": a.index.partitioned,
                  "warm_p50_ms": pct(walls, 50) * 1000, "warm_p95_ms": pct(walls, 95) * 1000,
                  "warm_cpu_p50_ms": pct(cpus, 50) * 1000, "warm_cpu_p95_ms": pct(cpus, 95) * 1000}}))
"""
    warm, rss = _child(warm_code, env)
    print(json.dumps({"home": str(args.home), "cold_ask_median_s": statistics.median(colds), "cold_ask_runs_s": colds,
                      **warm, "warm_peak_rss_mb": rss, "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()

"""Fusion weights and the retriever ablation table, on the development sets.

    python bench/fit_retrieval.py [--suite bench/eval_suite.toml] [--work DIR] [--grid]

Ingests each set of the suite into a home under ``--work`` (reused across runs;
the same homes as ``bench/fit_abstention.py``), then scores yanbao's hybrid
retriever with the weights of ``yanbao.retrieval.answer.FUSION`` and with each
retriever alone and each left out (the README's ablation table).  ``--grid``
also searches the weights of the lexical and graph scores (beside the dense
z-score, weight 1) and prints the best settings by mean hit@3 + hit@1/2 over
the sets: pick from a plateau, not a peak.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", type=Path, default=ROOT / "bench" / "eval_suite.toml")
    ap.add_argument("--work", type=Path, default=Path("/tmp/yanbao-fit"))
    ap.add_argument("--sets", default="dev,peer,seed,realdocs")
    ap.add_argument("--grid", action="store_true")
    args = ap.parse_args()
    from yanbao.core.settings import load_settings
    from yanbao.evaluation import stage_files, load_sets
    from yanbao.library import Library
    from yanbao.retrieval import answer as A
    from yanbao.retrieval.evaluate import evaluate

    wanted = args.sets.split(",")
    homes = []
    for s in load_sets(args.suite):
        if s.name not in wanted:
            continue
        folder = args.work / s.name
        lib = Library(replace(load_settings({"home": folder / "home"})))
        lib.ingest([str(f) for f in stage_files(s.files, folder / "files")])
        homes.append((s.name, lib.answerer(), list(s.questions)))
        print(f"{s.name}: ready", file=sys.stderr)
    default = dict(A.FUSION)

    def run(weights: dict, mode: str = "hybrid") -> list:
        A.FUSION.clear()
        A.FUSION.update(weights)
        try:
            return [(name, evaluate(ans, qs, modes=(mode,))[0]) for name, ans, qs in homes]
        finally:
            A.FUSION.clear()
            A.FUSION.update(default)

    def row(label: str, scores: list) -> None:
        cells = "  ".join(f"{n} {s.hit_at_1:.3f}/{s.hit_at_3:.3f}/{s.hit_at_5:.3f}" for n, s in scores)
        print(f"| {label:<28} | {cells}")

    print("hit@1/hit@3/hit@5 per set")
    row(f"hybrid {default}", run(default))
    for mode in ("dense", "bm25", "graph"):
        row(f"{mode} alone", run(default, mode))
    row("bigram BM25 alone", run({"bm25": 0.0, "bigram": 1e6, "graph": 0.0}))
    for left in ("bm25", "bigram", "graph"):
        row(f"hybrid without {left}", run({**default, left: 0.0}))
    row("hybrid without dense", run({k: v * 1e6 for k, v in default.items()}))
    if args.grid:
        best = []
        for wb, wc, wg in itertools.product((0.0, 0.15, 0.25, 0.4), (0.0, 0.1, 0.2, 0.3), (0.0, 0.15, 0.3)):
            scores = run({"bm25": wb, "bigram": wc, "graph": wg})
            value = sum(s.hit_at_3 + s.hit_at_1 / 2 for _, s in scores) / len(scores)
            best.append((value, (wb, wc, wg), scores))
        best.sort(key=lambda b: -b[0])
        for value, w, scores in best[:10]:
            row(f"{value:.3f} bm25/bigram/graph {w}", scores)


if __name__ == "__main__":
    main()

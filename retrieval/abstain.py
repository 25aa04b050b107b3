"""Abstention as a calibrated decision: is some ingested report about the question?

No single signal decides it.  e5 cosine scores are compressed (an off-topic
question scores nearly as high as an on-topic one), and exact term matching
fails on paraphrase, script, regional vocabulary, typos and segmentation.  The
signals of :class:`Signals` are combined by a logistic model whose weights are
fitted on the development sets by ``bench/fit_abstention.py`` (with
cross-validation; it prints the precision/recall curve) and shipped in
``retrieval/data/abstention.json``, one model per embedder plus a lexical-only
model for embedders it was not fitted for.

The model's probability is the answer's *coverage probability*: below
``threshold`` yanbao declines; between ``threshold`` and ``weak_below`` it
answers, says the evidence is weak, and sends the question to an expert.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Signals", "AbstentionModel", "load_model", "FEATURES"]


@dataclass(frozen=True)
class Signals:
    """What the corpus says about one question (all computed at ask time).

    ``dense_max``: best cosine between the question and a passage;
    ``dense_gap``: that best minus the median of the top 50 (how far the best
    passage stands out of the corpus's own distribution for this question);
    ``bm25_max``/``bigram_max``: best BM25 over jieba words / character
    bigrams, divided by the question's own best possible (its terms' IDF sum),
    so the figure does not grow with question length or corpus size;
    ``coverage``: the idf-weighted share of the question's subject words found
    together in one section of one report (0..1);
    ``entity``: 1 if the question names an entity or industry of the graph;
    ``subject``: the share of the question's two most specific words found in
    the corpus; ``mentions``: log(1 + the most passages of one report naming
    the most specific of them) -- a topic named in passing is not coverage;
    ``focus``: the share of the top ten dense and top ten bigram passages that
    come from one report (an off-topic question's best passages scatter);
    ``phrase``: the longest run of the question's content characters found
    verbatim in one of its 20 best passages (0..8 characters): a paraphrase
    still shares a name or a term-phrase with the passage that answers it.
    """

    dense_max: float
    dense_gap: float
    bm25_max: float
    bigram_max: float
    coverage: float
    entity: float
    subject: float = 0.0
    mentions: float = 0.0
    focus: float = 0.0
    phrase: float = 0.0


#: The signals the fitted model uses.  BM25 over jieba words is measured but
#: left out: it duplicates the bigram BM25 (the fit gave it a negative weight).
FEATURES = tuple(f for f in Signals.__dataclass_fields__ if f != "bm25_max")


@dataclass(frozen=True)
class AbstentionModel:
    """A logistic model over standardised :class:`Signals` features."""

    name: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # decline below this probability
    weak_below: float  # answer, but flag weak evidence, below this

    def probability(self, signals: Signals) -> float:
        """P(some report covers the question), 0..1."""
        values = asdict(signals)
        z = self.bias + sum(
            w * ((values[f] - m) / s) for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights)
        )
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@lru_cache(maxsize=8)
def load_model(embedder_name: str) -> AbstentionModel:
    """The fitted model for this embedder, or the lexical-only model if none was fitted for it."""
    data = json.loads((resources.files("yanbao.retrieval") / "data" / "abstention.json").read_text(encoding="utf-8"))
    models = data["models"]
    row = models.get(embedder_name) or models["lexical"]
    return AbstentionModel(
        name=row["name"], features=tuple(row["features"]), mean=tuple(row["mean"]), scale=tuple(row["scale"]),
        weights=tuple(row["weights"]), bias=float(row["bias"]), threshold=float(row["threshold"]),
        weak_below=float(row["weak_below"]),
    )

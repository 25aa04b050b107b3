"""The on-disk dictionary a cold ``ask`` segments with gives jieba's own tokens."""

from __future__ import annotations

import os
from importlib import resources

import pytest

from yanbao.core import cache
from yanbao.corpus.script import normalise
from yanbao.kg import segment


@pytest.fixture()
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache.cache_dir.cache_clear()
    segment._disk_dictionary.cache_clear()
    yield tmp_path
    cache.cache_dir.cache_clear()
    segment._disk_dictionary.cache_clear()


def _sample_lines() -> list[str]:
    folder = resources.files("yanbao.corpus") / "samples"
    lines = []
    for entry in folder.iterdir():
        if entry.name.endswith((".txt", ".md")):
            lines += [normalise(x.strip()) for x in entry.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines + [normalise(q) for q in ("区块链在供应链金融中的挑战是什么", "消費金融催收行業有哪些趨勢？", "AI 大模型 GPU 算力")]


def test_disk_dictionary_gives_the_same_tokens_and_idf(private_cache):
    disk = segment._disk_dictionary()
    assert disk is not None
    tokenizer, idf, median, _ = disk
    full = segment._dictionary()
    lines = _sample_lines()
    assert len(lines) > 20
    for line in lines:
        assert list(tokenizer.cut(line, HMM=True)) == list(full.cut(line, HMM=True))
        assert list(tokenizer.cut(line, HMM=False)) == list(full.cut(line, HMM=False))
    table, full_median = segment._idf_table()
    assert median == full_median
    for word in [*list(table)[:2000:13], "区块链", "不在词表里的词"]:
        assert (word in idf) == (word in table)
        assert idf.get(word) == table.get(word)


def test_a_file_others_could_write_is_not_read(private_cache):
    assert segment._disk_dictionary() is not None
    (path,) = private_cache.glob("yanbao/*/segment-*.sqlite")
    os.chmod(path, 0o666)
    segment._disk_dictionary.cache_clear()
    assert cache.trusted_file(path.name) is None
    # rebuilt privately in its place, never read as it was
    assert segment._disk_dictionary() is not None
    assert not (path.stat().st_mode & 0o022)


def test_words_are_the_same_from_disk_or_memory(private_cache, monkeypatch):
    segment._disk_dictionary()
    monkeypatch.setattr(segment, "_disk_uses", 0)
    line = _sample_lines()[5]
    disk_tokenizer = segment._disk_dictionary()[0]
    expected = [w for w in segment._dictionary().cut(line, HMM=True) if w.strip()]
    assert [w for w in disk_tokenizer.cut(line, HMM=True) if w.strip()] == expected
    assert segment.words(line) == expected


def test_pos_tags_from_disk_are_the_loaded_taggers(private_cache):
    """Adding one report cuts and tags its sentences with the on-disk dictionary (no
    0.75 s load): the same words and tags as the loaded POS tagger, dev articles included."""
    from pathlib import Path

    disk = segment._disk_dictionary()
    tables = (disk[0].FREQ, disk[0].total, disk[3])
    lines = _sample_lines()
    dev = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev" / "corpus"
    for path in sorted(dev.glob("*.txt"))[:6]:
        lines += [normalise(x.strip()) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    loaded = segment._loaded_pos_tables()
    for line in lines:
        assert segment._cut_no_hmm(tables, line) == segment._cut_no_hmm(loaded, line)
    # tags of words only the domain lexicons add (jieba.add_word) are there too
    assert disk[3].get("区块链") == loaded[2].get("区块链") == "nz"


def test_a_small_ingest_does_not_load_the_whole_dictionary(private_cache, monkeypatch):
    segment._disk_dictionary()  # the cache file exists (written by an earlier run)
    monkeypatch.setattr(segment, "_disk_pos_uses", 0)
    segment._tokenizer.cache_clear()
    segment.tokens.cache_clear()
    try:
        segment.warm_up(300)
        line = _sample_lines()[7]
        got = segment.tokens(line)
        assert segment._tokenizer.cache_info().currsize == 0  # nothing loaded
        segment.warm_up(5000)  # a large ingest loads it now
        assert segment._tokenizer.cache_info().currsize == 1
        segment.tokens.cache_clear()
        assert segment.tokens(line) == got
    finally:
        segment.tokens.cache_clear()


def test_fast_cut_gives_jiebas_own_tokens_and_tags():
    """``tokens`` cuts with a re-implementation of jieba's POS cut without HMM (for speed):
    the same words and tags as ``jieba.posseg``, in both scripts, with Latin, digits and spaces."""
    tagger = segment._tokenizer()
    tables = segment._loaded_pos_tables()
    texts = _sample_lines() + [
        " a1 B2 3.5%，GDP+5G x_y & ＡＢ\r\n中文 2024年 C++ 與 雲計算",
        "中研普華產業研究院：2025年新能源汽车（NEV）渗透率超50%",
        "",
    ]
    for text in texts + [t.replace("。", "\t") for t in texts[:50]]:
        assert segment._cut_no_hmm(tables, text) == [(p.word, p.flag) for p in tagger.cut(text, HMM=False)]


def test_the_cache_keeps_a_few_files_of_each_kind(private_cache):
    # Each install keys its cached tables anew: older ones of the same kind are deleted
    # when a new one is written, so the folder does not grow with every reinstall.
    import os
    import time

    folder = cache.cache_dir()
    for n in range(6):
        old = folder / f"idf-{n}.marshal"
        old.write_bytes(b"x")
        os.utime(old, (time.time() - 100 + n, time.time() - 100 + n))
    (folder / "lexicon-a.marshal").write_bytes(b"x")
    cache.save("idf-new.marshal", {"w": 1.0})
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["idf-3.marshal", "idf-4.marshal", "idf-5.marshal", "idf-new.marshal", "lexicon-a.marshal"]
    assert cache.load("idf-new.marshal") == {"w": 1.0}

"""jieba segmentation with the domain lexicons as a user dictionary.

jieba keeps one global tokenizer; this module configures it once per process
(the domain terms added as words) and hands out token spans with POS tags.

Loading jieba's whole dictionary (~600k words and prefixes, even from its
marshal cache) costs ~0.8 s, most of a cold ``ask`` that segments one
question.  So the dictionary, with the domain terms already added, and the IDF
table are also kept in an SQLite file in the user's private cache
(:mod:`yanbao.core.cache`), read word by word: a process that segments a few
texts (a question) looks up a few hundred words instead of loading them all.
Same words, same frequencies, same total: the same tokens (tested).  The POS
tags of the words are kept there too, so adding one report (a few hundred
sentences) segments and tags from disk as well.  A process that segments many
texts (a large ingest) loads the whole dictionary.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from functools import lru_cache
from math import log
from typing import NamedTuple

__all__ = ["Token", "tokens", "normalised", "words", "warm_up", "idf_weight"]


class Token(NamedTuple):
    """One segmented word of a normalised text, with its span and POS tag.

    A named tuple, not a frozen dataclass: extraction makes ~30k a pass over the dev corpus,
    and a frozen dataclass's ``__init__`` (four ``object.__setattr__`` calls) costs ~3x as much.
    """

    text: str
    start: int
    end: int
    pos: str


@lru_cache(maxsize=1)
def _dictionary():
    """jieba's default tokenizer with the domain terms added as words (once per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    from yanbao.core.cache import cache_dir

    # jieba keeps its dictionary as a marshal file in the shared temp folder by
    # default, where another local user could plant one: use the private cache.
    private = cache_dir()
    if private is not None:
        jieba.dt.tmp_dir = str(private)
    from .lexicon import load_lexicon

    lex = load_lexicon()
    # Domain terms become single words, so phrases are cut at their edges.
    for term in lex.technology | lex.actor_nouns:
        if len(term) >= 2:
            jieba.add_word(term, freq=50000, tag="nz")
    for term in lex.regions:
        if len(term) >= 2:
            jieba.add_word(term, freq=50000, tag="ns")
    return jieba.dt


@lru_cache(maxsize=1)
def _tokenizer():
    _dictionary()
    import jieba.posseg  # the POS tagger loads its own tables: only extraction needs it

    return jieba.posseg.dt


@lru_cache(maxsize=4096)
def normalised(text: str) -> str:
    """:func:`yanbao.corpus.script.normalise` of a sentence or heading, cached: the mention
    rules, the industry and the topics of a report each normalise every sentence."""
    from yanbao.corpus.script import normalise

    return normalise(text)


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Token, ...]:
    """Segment normalised ``text`` into :class:`Token` spans (no HMM, deterministic).

    Cached: extraction asks for the same sentence's tokens from several rules.
    """
    out: list[Token] = []
    append = out.append
    pos = 0
    for word, flag in _cut_no_hmm(_pos_tables(), text):
        end = pos + len(word)
        # tuple.__new__ directly: the named tuple's own __new__ is a Python-level call per
        # token, and tokens are most of what extraction makes.
        append(_new_tuple(Token, (word, pos, end, flag)))
        pos = end
    return tuple(out)


_new_tuple = tuple.__new__


_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _pos_tables() -> tuple:
    """(word frequencies, their total, word POS tags) for :func:`_cut_no_hmm`: the loaded
    POS tagger's if this process has it (or has segmented many texts), else the on-disk
    ones (or the loaded ones if the cache is unusable).  Loading costs ~0.75 s (jieba's
    dictionary, then the POS tagger's table), cutting from disk ~0.3 ms a sentence more
    than in memory, so a few hundred texts (one report added) are cut from disk."""
    global _disk_pos_uses
    if not _tokenizer.cache_info().currsize and _disk_pos_uses < _DISK_POS_TEXTS:
        disk = _disk_dictionary()
        if disk is not None:
            _disk_pos_uses += 1
            return disk[0].FREQ, disk[0].total, disk[3]
    return _loaded_pos_tables()


def _loaded_pos_tables() -> tuple:
    """(word frequencies, their total, word POS tags) of the loaded ``jieba.posseg`` tagger
    (loading it if need be), the domain terms included."""
    tagger = _tokenizer()
    tagger.makesure_userdict_loaded()
    return tagger.tokenizer.FREQ, tagger.tokenizer.total, tagger.word_tag_tab


_DISK_POS_TEXTS = 2000  # texts POS-tagged from disk before the whole dictionary and tag table are loaded
_disk_pos_uses = 0


def _cut_no_hmm(tables, text: str) -> list[tuple[str, str]]:
    """``jieba.posseg``'s ``cut(text, HMM=False)`` as (word, tag) pairs, the same pairs
    (tested on every dev article), in half the time: jieba builds a DAG dict, a route
    dict and a generator per block and calls ``log`` per candidate; this does one pass
    per block over lists with the log-probabilities remembered.

    ``tables`` is (word → frequency with 0 for a bare prefix, their total, word → POS
    tag), as :func:`_pos_tables` gives them."""
    freq, total, tags = tables
    logtotal = log(total)
    memo = _LOGP.get(total)
    if memo is None:
        _LOGP.clear()
        memo = _LOGP[total] = {}
    out: list[tuple[str, str]] = []
    han, skip, num, eng_re = _RE_HAN, _RE_SKIP, _RE_NUM, _RE_ENG
    for blk in han.split(text):
        if not blk:
            continue
        if not han.match(blk):
            for x in skip.split(blk):
                if skip.match(x):
                    out.append((x, "x"))
                    continue
                eng = bool(eng_re.match(x))
                for xx in x:
                    out.append((xx, "m" if num.match(xx) else ("eng" if eng else "x")))
            continue
        n = len(blk)
        # route[k]: (best log-probability of blk[k:], end of its first word); as jieba's calc.
        score = [0.0] * (n + 1)
        score[n] = 0
        end = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = None
            i = k
            frag = blk[k]
            while i < n:
                # memo: a word's log-probability, or None for a prefix of words (frequency 0)
                p = memo.get(frag, _MISSING)
                if p is _MISSING:
                    if frag not in freq:
                        break
                    p = memo[frag] = (log(freq[frag]) - logtotal) if freq[frag] else None
                if p is not None:
                    v = p + score[i + 1]
                    if best is None or v >= best:  # ties go to the longer word, as max() of (v, x)
                        best, at = v, i
                i += 1
                frag = blk[k : i + 1]
            if best is None:  # no word starts here: the character alone, as an unknown word (frequency 1)
                best, at = log(1) - logtotal + score[k + 1], k
            score[k], end[k] = best, at
        x = 0
        buf = ""
        while x < n:
            y = end[x] + 1
            word = blk[x:y]
            if y - x == 1 and word in _ASCII_ALNUM:
                buf += word
            else:
                if buf:
                    out.append((buf, "eng"))
                    buf = ""
                out.append((word, tags.get(word, "x")))
            x = y
        if buf:
            out.append((buf, "eng"))
    return out


# jieba.posseg's block patterns (``re_han_internal``, ``re_skip_internal``, ``re_num``,
# ``re_eng``), here because importing ``jieba.posseg`` loads its whole tag table (~0.35 s).
_RE_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+)")
_RE_SKIP = re.compile("(\r\n|\\s)")
_RE_NUM = re.compile("[\\.0-9]+")
_RE_ENG = re.compile("[a-zA-Z0-9]+")

# Log-probabilities of dictionary words, for the dictionary total they were computed with.
_LOGP: dict[int, dict[str, float | None]] = {}
_MISSING = object()


def words(text: str) -> list[str]:
    """Segment normalised ``text`` into words (search tokenisation).

    The HMM joins characters of words missing from the dictionary (失联, 账龄)
    instead of leaving them as single characters; it is deterministic.
    """
    return [w for w in _word_cutter().cut(text, HMM=True) if w.strip()]


_DISK_TEXTS = 2000  # texts segmented from disk before the whole dictionary is loaded (~0.3 ms a text against ~0.4 s)
_disk_uses = 0


def _word_cutter():
    """The loaded dictionary if this process has it (or segments many texts), else
    the on-disk one (or the loaded one if the cache is unusable)."""
    global _disk_uses
    if _dictionary.cache_info().currsize or _disk_uses >= _DISK_TEXTS:
        return _dictionary()
    _disk_uses += 1
    disk = _disk_dictionary()
    return disk[0] if disk is not None else _dictionary()


class _DiskWords:
    """jieba's ``FREQ`` mapping (word or prefix → frequency, 0 for a bare prefix) and
    the POS tags of the words, read from SQLite on demand.

    Rows are keyed by a word's first two characters (a one-character word by itself):
    a lookup reads every word sharing its key in one query, and every answer is kept,
    so cutting a text costs about one query per character position (~0.3 ms a
    sentence) instead of loading the ~500k-entry dictionary (~0.75 s).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.freq: dict[str, int] = {}
        self.tags: dict[str, str] = {}
        self._keys: set[str] = set()

    def _load(self, key: str) -> None:
        self._keys.add(key)
        for word, freq, tag in self._conn.execute("SELECT w, f, t FROM word WHERE k = ?", (key,)):
            self.freq[word] = freq
            if tag is not None:
                self.tags[word] = tag

    def get(self, key, default=None):
        if key[:2] not in self._keys:
            self._load(key[:2])
        return self.freq.get(key, default)

    def __contains__(self, key) -> bool:
        if key[:2] not in self._keys:
            self._load(key[:2])
        return key in self.freq

    def __getitem__(self, key):
        if key[:2] not in self._keys:
            self._load(key[:2])
        return self.freq[key]


class _DiskTags:
    """The POS-tag view of :class:`_DiskWords` (word → tag; ``get`` only)."""

    def __init__(self, words: _DiskWords) -> None:
        self._words = words

    def get(self, key, default=None):
        self._words.get(key)  # reads the key's rows if not yet read
        return self._words.tags.get(key, default)


class _DiskIdf:
    """jieba's IDF table read from SQLite word by word, each answer remembered."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._memo: dict = {}

    def get(self, key, default=None):
        memo = self._memo
        if key in memo:
            value = memo[key]
        else:
            row = self._conn.execute("SELECT v FROM idf WHERE w = ?", (key,)).fetchone()
            value = memo[key] = None if row is None else row[0]
        return default if value is None else value

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value


def _disk_name() -> str:
    """The cache file's name, keyed by jieba's dictionary and IDF files and the
    lexicon files (sizes and times): any edit makes a new file."""
    import hashlib
    from importlib import resources
    from pathlib import Path

    import jieba

    base = Path(jieba.__file__).parent
    files = [base / "dict.txt", base / "analyse" / "idf.txt"]
    files += sorted(Path(str(resources.files("yanbao.kg") / "data")).glob("lex_*.txt"))
    stamp = f"v{_DISK_SCHEMA};" + "".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};" for p in files)
    return f"segment-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.sqlite"


_DISK_SCHEMA = 3  # 3: words keyed by their first two characters, with their POS tags


@lru_cache(maxsize=1)
def _disk_dictionary():
    """(tokenizer, IDF mapping, median IDF, POS tag mapping) read from the cached SQLite
    file, built now from the loaded dictionary if absent; None if the cache is unusable."""
    from yanbao.core import cache

    try:
        name = _disk_name()
    except OSError:
        return None
    path = cache.trusted_file(name)
    if path is None:
        if not _write_disk_dictionary(name):
            return None
        path = cache.trusted_file(name)
        if path is None:
            return None
    import jieba

    try:
        # immutable: the file is never changed in place (a new one replaces it)
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        meta = dict(conn.execute("SELECT k, v FROM meta").fetchall())
        conn.execute("SELECT k, w, f, t FROM word LIMIT 1").fetchall()  # the expected layout
        words = _DiskWords(conn)
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = words
        tokenizer.total = int(meta["total"])
        tokenizer.initialized = True
        return tokenizer, _DiskIdf(conn), float(meta["idf_median"]), _DiskTags(words)
    except (sqlite3.Error, KeyError, ValueError):
        return None


def _write_disk_dictionary(name: str) -> bool:
    """Write the loaded dictionary (domain terms included) and the IDF table to
    the cache as ``name``, atomically; False if it cannot be written."""
    from yanbao.core.cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return False
    tokenizer = _dictionary()
    tags = _loaded_pos_tables()[2]
    table, median = _idf_table()
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("CREATE TABLE word (k TEXT, w TEXT, f INTEGER, t TEXT, PRIMARY KEY (k, w)) WITHOUT ROWID")
            conn.execute("CREATE TABLE idf (w TEXT PRIMARY KEY, v REAL) WITHOUT ROWID")
            conn.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)")
            conn.executemany(
                "INSERT INTO word VALUES (?, ?, ?, ?)",
                sorted((w[:2], w, f, tags.get(w)) for w, f in tokenizer.FREQ.items() if w),
            )
            conn.executemany("INSERT INTO idf VALUES (?, ?)", sorted(table.items()))
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [("total", str(tokenizer.total)), ("idf_median", repr(median))])
            conn.commit()
        finally:
            conn.close()
        os.replace(tmp, folder / name)
        from yanbao.core.cache import prune

        prune(name)
        return True
    except (OSError, sqlite3.Error):
        try:
            tmp.unlink()
        except OSError:
            pass
        return False


def warm_up(texts: int | None = None) -> None:
    """Get the segmenter ready for ``texts`` texts (None: many): make sure the on-disk
    dictionary exists (a cold ``ask`` reads it), and load jieba's dictionary, the domain
    lexicons and the POS tagger now unless so few texts are cut faster from disk."""
    disk = _disk_dictionary()
    if texts is None or disk is None or texts > _DISK_POS_TEXTS - _disk_pos_uses:
        _tokenizer()


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table, read once and kept in the user's cache (:mod:`yanbao.core.cache`).

    Parsing the 260k-line text table costs ~0.4 s, too much for a cold ``ask``.
    """
    from pathlib import Path

    import jieba

    from yanbao.core import cache

    source = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    name = f"idf-{source.stat().st_mtime_ns}.marshal"
    cached = cache.load(name)
    if isinstance(cached, tuple) and len(cached) == 2:
        _idf_loaded[:] = [cached]
        return cached
    table = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, _, freq = line.rpartition(" ")
        if word:
            table[word] = float(freq)
    median = sorted(table.values())[len(table) // 2]
    cache.save(name, (table, median))
    _idf_loaded[:] = [(table, median)]
    return table, median


# _idf_table()'s answer once it has given one (idf_weight reads it without a cache_info call).
_idf_loaded: list[tuple[dict[str, float], float]] = []


def idf_weight(term: str) -> float:
    """How specific a word is in general Chinese (jieba's IDF table; unknown words weigh most)."""
    if _idf_loaded:  # the whole table (a process that loaded it)
        table, median = _idf_loaded[0]
    else:
        disk = _disk_dictionary()
        table, median = (disk[1], disk[2]) if disk is not None else _idf_table()
    weight = table.get(term)  # one look-up (the on-disk table's is a Python call)
    # Unknown words are often the segmenter's guesses (账龄长): weigh them as a
    # typical word, not as the rarest.
    return median if weight is None else weight

"""Script normalisation for matching: Traditional/Simplified, full/half width.

The normalised form is for matching only (ids, search, entity resolution);
everything shown or cited is the original text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "match_key", "replace_surrogates", "search_form", "search_key"]

_SPACE_RE = re.compile(r"\s+")
_QUOTES_RE = re.compile(r"[\"'“”‘’「」『』《》〈〉]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """Replace lone surrogates (from JSON "\\ud800", say) with U+FFFD, keeping the length.

    They cannot be encoded (stored, or given to OpenCC).
    """
    return _SURROGATE_RE.sub("\ufffd", text)


@lru_cache(maxsize=1)
def _converter():
    import opencc  # imported lazily: loading its dictionaries costs ~20 ms

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Return ``text`` in Simplified script with full-width forms folded (NFKC).

    Many Traditional characters map to one Simplified character (``並``/``并``,
    ``後``/``后``), so mixed-script text normalises to one form.
    """
    # A lone surrogate (from JSON "\\ud800", say) is not encodable and would
    # crash OpenCC; U+FFFD keeps the length, which callers rely on.
    text = replace_surrogates(text)
    return _converter().convert(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=65536)
def match_key(text: str) -> str:
    """Return the key two surface forms share when they name the same thing.

    Normalised script, lower case, no whitespace and no quotation marks.
    """
    return _QUOTES_RE.sub("", _SPACE_RE.sub("", normalise(text))).lower()


@lru_cache(maxsize=1)
def _phrase_converter():
    import opencc

    return opencc.OpenCC("tw2sp")


@lru_cache(maxsize=65536)
def search_form(text: str) -> str:
    """Return ``text`` in Simplified script *and mainland vocabulary*, for search only.

    OpenCC's ``tw2sp`` converts Taiwan phrases as well as characters
    (記憶體 → 内存, 軟體 → 软件, 晶片 → 芯片, 資料中心 → 数据中心), so a question in one
    region's words finds a report in the other's.  Unlike :func:`normalise` it may
    change the length: never use it for offsets or ids.
    """
    return _phrase_converter().convert(unicodedata.normalize("NFKC", replace_surrogates(text)))


@lru_cache(maxsize=65536)
def search_key(text: str) -> str:
    """:func:`search_form`, lower case, no whitespace and no quotation marks."""
    return _QUOTES_RE.sub("", _SPACE_RE.sub("", search_form(text))).lower()

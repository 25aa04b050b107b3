"""Property-based tests (hypothesis): the loaders and the segmenters never crash, and
every offset slices back to its sentence or token.

tests/corpus/test_corpus_properties.py covers ``split_sentences`` and ``parse_text``
on generated text; these go through the bytes a file can hold, HTML tag soup,
invisible characters, and the jieba segmenter the graph and the search use.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import example, HealthCheck, assume, given, settings
from hypothesis import strategies as st

from yanbao.corpus import parse_document
from yanbao.corpus.loaders import SUPPORTED_SUFFIXES, decode_bytes, load_document
from yanbao.core.errors import InputError, NotFoundError, YanbaoError

_FOLDER = Path(tempfile.mkdtemp(prefix="yanbao-props-"))
_CJK = "行業產业市场報告分析并並后後監管催收科技銀行平臺公司協會趨勢挑戰破局"
_SPECIAL = "。！？；!?;.,，、：:“”「」《》（）()%•· \n\t\u3000\xa0"
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"

text_pieces = st.one_of(
    st.sampled_from(list(_CJK)), st.sampled_from(list(_SPECIAL)), st.sampled_from(list(_INVISIBLE)),
    st.sampled_from(["一、", "（一）", "1.1 ", "第一章", "## ", "北京用戶提問：", "2025年", "12.5%"]),
    st.characters(),
)
report_text = st.lists(text_pieces, max_size=400).map("".join)


def _write(name: str, data: bytes) -> Path:
    path = _FOLDER / name
    path.write_bytes(data)
    return path


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096), st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes_under_any_suffix_load_or_are_refused(data, suffix):
    path = _write("any" + suffix, data)
    try:
        loaded = load_document(path)
    except (InputError, NotFoundError) as exc:
        assert str(path) in str(exc)
        return
    assert loaded.text.strip()
    loaded.text.encode("utf-8", "surrogatepass")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_decode_bytes_returns_text_or_an_input_error(data):
    try:
        text, encoding = decode_bytes(data, name="<b>")
    except InputError as exc:
        assert "<b>" in str(exc)
        return
    assert isinstance(text, str) and encoding


@settings(max_examples=150, deadline=None)
@given(report_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-32"]))
# UTF-16-LE text starting with U+0000 begins with FF FE 00 00, UTF-32-LE's byte-order mark
@example("\x00行", "utf-16")
@example("\x00", "utf-16")
def test_unicode_encodings_round_trip(text, encoding):
    assume(text.strip() and not re.search("[\ud800-\udfff]", text))
    assume(not text.startswith("\ufeff"))  # such UTF-8 text is indistinguishable from a byte-order mark
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    try:
        decoded, _ = decode_bytes(data)
    except InputError:
        # Only text full of control characters may be called binary.
        assert encoding in ("utf-8",) and re.search("[\x00-\x08\x0b\x0e-\x1f]", text)
        return
    assert decoded == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(list(_CJK + "，。")), min_size=8, max_size=60).map("".join),
                          st.booleans()), min_size=1, max_size=30))
def test_lines_in_utf8_and_gbk_mixed_never_crash(lines):
    data = b"\n".join(line.encode("gbk") if gbk else line.encode("utf-8") for line, gbk in lines)
    try:
        text, _ = decode_bytes(data)
    except InputError:
        return
    utf8_lines = [line for line, gbk in lines if not gbk]
    if all(not gbk for _, gbk in lines):
        assert text.split("\n") == [line for line, _ in lines]
    elif len(utf8_lines) >= 2:
        got = text.split("\n")
        assert len(got) == len(lines)
        for (line, gbk), out in zip(lines, got):
            if not gbk:
                assert out == line  # the UTF-8 lines are never garbled by their GBK neighbours


_tags = st.sampled_from(["div", "p", "span", "script", "style", "iframe", "li", "ul", "table", "td", "h1", "b", "br", "noscript", "svg"])


@st.composite
def tag_soup(draw) -> str:
    parts = draw(st.lists(st.one_of(
        _tags.map(lambda t: f"<{t}>"), _tags.map(lambda t: f"</{t}>"), report_text,
        st.sampled_from(["<!-- c -->", "<![CDATA[x]]>", "<?xml?>", "&amp;", "&#x4e00;", "&bogus;", "<", ">", "<a href='x'>"]),
    ), max_size=80))
    depth = draw(st.integers(0, 3000))
    return "<html><body>" + "<div>" * depth + "".join(parts) + "</div>" * depth + "</body></html>"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag_soup())
def test_html_tag_soup_loads_or_is_refused_and_offsets_slice_back(markup):
    path = _write("soup.html", markup.encode("utf-8", "surrogatepass"))
    try:
        report = parse_document(path)
    except YanbaoError as exc:
        assert isinstance(exc, InputError) and str(path) in str(exc)
        return
    for s in report.sentences:
        assert report.text[s.start : s.end] == s.text
    assert "<script" not in report.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_text)
def test_invisible_characters_never_reach_the_report(text):
    path = _write("inv.txt", text.encode("utf-8", "surrogatepass"))
    try:
        report = parse_document(path)
    except YanbaoError as exc:
        assert isinstance(exc, InputError) and str(path) in str(exc)
        return
    assert not set(report.text) & set(_INVISIBLE)
    for s in report.sentences:
        assert report.text[s.start : s.end] == s.text
        assert s.text.strip()


@settings(max_examples=300, deadline=None)
@given(report_text)
def test_jieba_tokens_tile_the_text(text):
    from yanbao.corpus.script import normalise
    from yanbao.kg.segment import tokens

    norm = normalise(text)
    toks = tokens(norm)
    pos = 0
    for t in toks:
        assert t.start == pos and t.end > t.start
        assert norm[t.start : t.end] == t.text
        pos = t.end
    assert pos == len(norm)


@settings(max_examples=200, deadline=None)
@given(report_text)
def test_search_tokens_and_words_never_crash(text):
    from yanbao.kg.segment import words
    from yanbao.retrieval.textproc import search_tokens

    for w in words(text):
        assert w.strip()
    assert all(isinstance(t, str) and t for t in search_tokens(text))

"""Property-based tests: the splitter and the parser never misbehave on arbitrary text."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from yanbao.corpus import parse_text, split_sentences
from yanbao.core.errors import InputError

# Text that looks like report prose: CJK, Latin, digits and every character the
# splitter and cleaner treat specially, plus arbitrary unicode now and then.
_SPECIAL = list("。！？；!?;.,，、：:“”「」『』《》（）()‘’\"'%％•·- \n\t\u3000\xa0")
_CJK = list("行業產业市场報告分析并並后後一二三四五用戶户提問问")
_pieces = st.one_of(
    st.sampled_from(_SPECIAL),
    st.sampled_from(_CJK),
    st.sampled_from(list("0123456789")),
    st.sampled_from(["1.", "1.1 ", "一、", "（一）", "第一章", "## ", "北京用戶提問:", "400-856-5388", "©"]),
    st.characters(),
)
report_like = st.lists(_pieces, max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(report_like)
def test_split_sentences_spans(text):
    spans = split_sentences(text)
    prev_end = 0
    for s, e in spans:
        assert prev_end <= s < e <= len(text)
        piece = text[s:e]
        assert piece.strip()
        assert piece == piece.strip()
        prev_end = e


@settings(max_examples=300, deadline=None)
@given(report_like)
def test_split_sentences_loses_no_text(text):
    # Everything outside the spans is whitespace.
    spans = split_sentences(text)
    covered = set()
    for s, e in spans:
        covered.update(range(s, e))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(report_like, max_size=8).map("\n".join))
@example("。。。\n第一章、")  # a bare chapter number with its separator: the heading span ends with the title
def test_parse_text_returns_a_report_or_an_input_error(text):
    try:
        report = parse_text(text, origin="<hypothesis>")
    except InputError as exc:
        assert "<hypothesis>" in str(exc)
        return
    assert report.sentences
    report.text.encode("utf-8")  # storable as UTF-8
    for s in report.sentences:
        assert report.text[s.start : s.end] == s.text
    for sec in report.sections:
        assert report.text[sec.start : sec.heading_end].endswith(sec.title)


def test_lone_surrogate_does_not_crash():
    # JSON allows "\ud800"; such text reaches parse_text through the service.
    report = parse_text("行業深度分析報告\n\n產能\ud800過剩，價格下行。需求回暖。", origin="<json>")
    report.text.encode("utf-8")  # storable
    assert [s.text for s in report.sentences] == ["產能\ufffd過剩，價格下行。", "需求回暖。"]

"""The same report in another encoding or wrapped in HTML reads the same."""

from __future__ import annotations

import html

import pytest

from yanbao.corpus import parse_document


def _shape(report):
    return {
        "title": report.title,
        "sections": [(s.level, s.title) for s in report.sections],
        "sentences": [s.text for s in report.sentences],
        "sidebar": [(q.region, q.question) for q in report.sidebar_questions],
        "related": [(r.kind, r.title) for r in report.related_reports],
    }


@pytest.fixture(scope="module")
def utf8_report(sample_path):
    return parse_document(sample_path)


@pytest.fixture(scope="module")
def sample_text(sample_path):
    return sample_path.read_text(encoding="utf-8")


def test_gb18030_copy_reads_the_same(tmp_path, sample_text, utf8_report):
    path = tmp_path / "gb.txt"
    path.write_bytes(sample_text.encode("gb18030"))
    assert path.read_bytes() != sample_text.encode("utf-8")  # really another encoding
    report = parse_document(path)
    assert report.encoding.lower().replace("_", "") == "gb18030"
    assert _shape(report) == _shape(utf8_report)
    assert report.text == utf8_report.text
    assert report.id == utf8_report.id


def test_big5_copy_reads_the_same(tmp_path, sample_text, utf8_report):
    # Big5 has no '\xa0' and no '©'.  In the sample they occur only in chrome
    # lines ('查看詳情\xa0→', '相關閱讀 更多相關\xa0>', the Copyright footer),
    # and the cleaner turns '\xa0' into a space anyway, so replacing them
    # leaves the report itself (title, body, sidebar, related) unchanged.
    body_lines = sample_text.splitlines()[4:96]
    assert not any("\xa0" in ln or "©" in ln for ln in body_lines if "查看詳情" not in ln)
    text = sample_text.replace("\xa0", " ").replace("©", "(c)")
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    report = parse_document(path)
    assert report.encoding.lower().replace("-", "") in ("big5", "big5hkscs", "cp950")
    assert _shape(report) == _shape(utf8_report)
    assert report.text == utf8_report.text
    assert report.id == utf8_report.id


def _as_html(text: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>消費金融催收_資訊_某網站</title>',
        "<style>p { margin: 0 } .nav::after { content: '首頁'; }</style>",
        '<script>var menu = "研究報告。行業分析！"; document.title = "熱點";</script>',
        "</head><body>",
    ]
    in_list = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("•"):
            if not in_list:
                parts.append('<ul class="questions">')
                in_list = True
            parts.append(f"<li>{html.escape(line.lstrip('•').strip())}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if line:
            parts.append(f"<p>{html.escape(line)}</p>")
    parts.append('<script>window.ads = ["消費金融催收行業深度報告。"];</script>')
    parts.append("</body></html>")
    return "\n".join(parts)


def test_html_page_reads_the_same(tmp_path, sample_text, utf8_report):
    path = tmp_path / "page.html"
    path.write_text(_as_html(sample_text), encoding="utf-8")
    report = parse_document(path)
    assert report.media_type == "text/html"
    assert _shape(report) == _shape(utf8_report)
    assert report.id == utf8_report.id
    for leaked in ("var menu", "研究報告。行業分析！", "window.ads", "margin", "某網站"):
        assert leaked not in report.text


def test_html_content_in_a_txt_file_is_read_as_html(tmp_path, sample_text, utf8_report):
    path = tmp_path / "saved_page.txt"
    path.write_text(_as_html(sample_text), encoding="utf-8")
    report = parse_document(path)
    assert report.media_type == "text/html"
    assert report.id == utf8_report.id


def test_utf8_bom_is_not_content(tmp_path, sample_text, utf8_report):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + sample_text.encode("utf-8"))
    report = parse_document(path)
    assert report.title == utf8_report.title
    assert report.id == utf8_report.id


def test_utf16_with_bom(tmp_path, sample_text, utf8_report):
    path = tmp_path / "u16.txt"
    path.write_bytes(sample_text.encode("utf-16"))
    assert parse_document(path).id == utf8_report.id

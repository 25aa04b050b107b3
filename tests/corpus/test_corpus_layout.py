"""PDF layout repairs, DOCX tables and headings, near-duplicate signatures: by kind, on built inputs."""

from __future__ import annotations

import io

import pytest

from yanbao.corpus import parse_document, parse_text
from yanbao.corpus.dedup import DUPLICATE_SIMILARITY, signature, similarity
from yanbao.corpus.pdftext import despace_line, is_mojibake, rebuild_glyph_runs


def test_letter_spaced_line_loses_its_spaces():
    assert despace_line("2 0 2 5 年 全 球 A I 晶 片 市 場") == "2025年全球AI晶片市場"
    # wider gaps are word breaks
    assert despace_line("T o t a l  r e v e n u e  g r e w") == "Total revenue grew"


@pytest.mark.parametrize(
    "line",
    ["2022 年 07 月 19 日", "沪深 300 对比 1M 2M 3M", "The market grew by 5 % in 2024 and 2025", "公司 2021 年 营收"],
)
def test_ordinary_lines_keep_their_spaces(line):
    assert despace_line(line) == line


def test_glyph_per_line_runs_are_rebuilt_and_short_runs_kept():
    assert rebuild_glyph_runs(["标题", "先", "進", "封", "裝", "。", "下一行"]) == ["标题", "先進封裝。", "下一行"]
    assert rebuild_glyph_runs(["表", "1", "正文"]) == ["表", "1", "正文"]


def test_mojibake_is_told_from_real_text():
    real = "数据作为新型生产要素，对传统生产方式变革具有重大影响，要构建以数据为关键要素的数字经济。" * 3
    assert not is_mojibake(real)
    assert not is_mojibake("Revenue grew 12% year on year, driven by exports to Europe and Asia. " * 2)
    # Garbage of the kind a broken ToUnicode map gives: Extension A, Hangul, box drawing.
    assert is_mojibake("굥饰✵ꫬ蟢⛓劣ꥧ猙雦皾鵓勻㣐傞➿丘䩺踅⺭⽰꣰熗⟊䥉氳⹙ꄆ꧎姳뀕ⲁ꣰熗阞畀⪯㑔䈒榫㏜俍")
    # Rare CJK only, none of the common characters
    assert is_mojibake("笙效釦䃟猧莤腆東偡咱碩貯圊剎鐥泜宦梩竟祫琪絛紨摯萬越菅狂袱畬誣缺勦創陋婒帴窙杷阿棦筆系渹俱命嗜陝趴埰崺菊煙湩" * 2)


def _pdf(pages: list[list[str]]) -> bytes:
    pytest.importorskip("reportlab")
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for lines in pages:
        y = 800
        for size, text in lines:
            c.setFont("STSong-Light", size)
            c.drawString(50, y, text)
            y -= size + 8
        c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_running_header_footer_go_title_by_type_size_and_page_break_joins(tmp_path):
    header = (9, "某某证券研究所 行业点评")
    pages = [
        [header, (20, "储能行业季度观察报告"), (11, "一、装机情况"),
         (11, "今年上半年国内新型储能新增装机同比增长超过八成，其中独立储能占比"), (9, "第 1 页 共 2 页")],
        [header, (11, "首次超过一半，工商业储能增速最快。"), (11, "二、价格走势"),
         (11, "储能系统中标均价继续下行，已接近每瓦时零点六元。"), (9, "第 2 页 共 2 页")],
    ]
    path = tmp_path / "note.pdf"
    path.write_bytes(_pdf(pages))
    report = parse_document(path)
    assert report.title == "储能行业季度观察报告"
    texts = [s.text for s in report.sentences]
    assert "今年上半年国内新型储能新增装机同比增长超过八成，其中独立储能占比首次超过一半，工商业储能增速最快。" in texts
    assert not any("证券研究所" in t or "页 共" in t for t in texts)


def _docx(tmp_path):
    docx = pytest.importorskip("docx")
    from docx.shared import Pt

    d = docx.Document()
    d.add_paragraph("2025年储能电池竞争格局", style="Title")
    d.add_heading("市场格局：集中度提升", level=1)
    d.add_paragraph("主要厂商的出货量与份额如下表所示。")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("厂商", "出货量（GWh）", "份额"), ("甲公司", "120.5", "35.2%"), ("乙公司", "80.1", "23.4%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("头部两家合计份额接近六成。")
    bold = d.add_paragraph()
    run = bold.add_run("风险提示")
    run.bold = True
    run.font.size = Pt(16)
    d.add_paragraph("原材料价格波动可能压缩利润。")
    path = tmp_path / "r.docx"
    d.save(path)
    return path


def test_docx_table_rows_in_order_and_headings(tmp_path):
    report = parse_document(_docx(tmp_path))
    assert report.title == "2025年储能电池竞争格局"
    texts = [s.text for s in report.sentences]
    assert texts.index("主要厂商的出货量与份额如下表所示。") < texts.index("甲公司｜120.5｜35.2%") < texts.index(
        "头部两家合计份额接近六成。"
    )
    assert "乙公司｜80.1｜23.4%" in texts
    assert report.section_titles() == ["市场格局：集中度提升", "风险提示"]
    risk = next(s for s in report.sentences if s.text.startswith("原材料"))
    assert risk.section_path == ("风险提示",)


ARTICLE = """2025年储能行业发展报告

一、市场规模
2024年我国新型储能累计装机规模达到7,376万千瓦，同比增长超过130%，其中锂离子电池储能占比超过九成。
独立储能与共享储能模式快速推广，电网侧项目的利用率明显提升，部分省份已经建立容量补偿机制。

二、主要挑战
储能系统中标均价持续下行，行业利润率承压，部分二三线企业开始退出市场或寻求并购整合。
安全标准与并网规范仍在完善之中，消防与热失控管理成为业主选择供应商时最关注的指标。
"""


def test_copies_in_the_other_script_rewrapped_or_reposted_are_near_duplicates():
    import opencc

    original = parse_text(ARTICLE)
    traditional = parse_text(opencc.OpenCC("s2t").convert(ARTICLE))
    rewrapped = parse_text("\n".join(ARTICLE[i : i + 30] for i in range(0, len(ARTICLE), 30)))
    reposted = parse_text("首页 > 行业资讯 > 储能\n" + ARTICLE.replace("报告\n", "报告（转载）\n", 1) + "\n来源：某某网\n")
    sig = signature(original)
    for copy in (traditional, rewrapped, reposted):
        assert similarity(sig, signature(copy)) >= DUPLICATE_SIMILARITY


def test_a_different_report_on_the_same_topic_is_not_a_duplicate():
    other = parse_text(
        """2025年储能行业展望

一、需求
海外大储项目需求旺盛，美国与中东市场订单同比翻倍，国内企业加快在当地建设工厂。
户用储能库存去化接近尾声，欧洲市场有望在下半年恢复增长，价格竞争依然激烈。
"""
    )
    assert similarity(signature(parse_text(ARTICLE)), signature(other)) < 0.3


def test_two_short_reports_from_one_template_are_not_duplicates():
    def brief(topic: str):
        return parse_text(f"{topic}行业简报\n\n{topic}需求快速增长，头部企业加速扩产。预计2025年{topic}市场规模同比增长30%。\n")

    assert similarity(signature(brief("储能电池")), signature(brief("光伏组件"))) < DUPLICATE_SIMILARITY


def test_rewrapped_text_keeps_headings_out_of_the_way():
    wrapped = "\n".join(ARTICLE.replace("\n\n", "\n")[i : i + 24] for i in range(0, len(ARTICLE), 24))
    report = parse_text(wrapped)
    assert any("同比增长超过130%" in s.text for s in report.sentences)
    assert all(len(t) < 24 for t in report.section_titles())  # no wrapped piece of prose became a heading


def test_damaged_bytes_are_reported_not_dropped_silently(tmp_path):
    good = "行業深度分析報告\n\n產能過剩，價格下行。需求回暖，頭部企業擴產。\n".encode("utf-8")
    path = tmp_path / "damaged.txt"
    path.write_bytes(good.replace("價格".encode("utf-8"), b"\xff\xfe", 1) + "補充說明：庫存去化。\n".encode("utf-8"))
    report = parse_document(path)
    assert report.dropped == ("2 unreadable characters (damaged bytes) shown as U+FFFD",)


def test_pdf_pages_of_mojibake_are_listed_in_dropped(tmp_path, monkeypatch):
    from yanbao.corpus import pdftext

    real = pdftext.is_mojibake

    def second_page_garbled(text: str) -> bool:
        if "零点六元" in text:  # the second page of the built PDF
            return True
        return real(text)

    monkeypatch.setattr(pdftext, "is_mojibake", second_page_garbled)
    pages = [
        [(20, "储能行业季度观察报告"), (11, "今年上半年国内新型储能新增装机同比增长超过八成。"), (11, "工商业储能增速最快，独立储能占比首次过半。")],
        [(11, "储能系统中标均价继续下行，已接近每瓦时零点六元。")],
        [(11, "展望下半年，海外大储订单有望继续放量。")],
    ]
    path = tmp_path / "partly.pdf"
    path.write_bytes(_pdf(pages))
    report = parse_document(path)
    assert report.dropped == ("page 2: no readable text layer (mojibake); OCR it first",)
    assert not any("零点六元" in s.text for s in report.sentences)


def test_ingest_outcome_and_json_say_what_was_dropped(tmp_path):
    from yanbao.core.records import to_dict
    from yanbao.core.settings import load_settings
    from yanbao.library import Library

    path = tmp_path / "damaged.txt"
    good = "行業深度分析報告\n\n產能過剩，價格下行。需求回暖，頭部企業擴產。\n補充說明：庫存去化。\n".encode("utf-8")
    path.write_bytes(good.replace("價格".encode("utf-8"), b"\xff\xfe", 1))
    lib = Library(load_settings({"home": tmp_path / "home", "embedder": "hashing"}, env={}))
    (outcome,) = lib.ingest([str(path)])
    assert outcome.status == "added"
    assert to_dict(outcome)["dropped"] == ["2 unreadable characters (damaged bytes) shown as U+FFFD"]


def test_a_summary_box_repeating_body_sentences_is_cited_from_the_body():
    report = parse_text(
        "储能行业周报\n\n核心观点\n\n储能系统中标均价继续下行，已接近每瓦时零点六元。海外大储订单有望继续放量。\n\n"
        "一、价格\n\n储能系统中标均价继续下行，已接近每瓦时零点六元。行业利润率承压。\n"
    )
    hits = [s for s in report.sentences if s.text.startswith("储能系统中标均价")]
    assert len(hits) == 1 and hits[0].section_path[-1] == "价格"  # the body's copy, not the summary's
    assert [s.index for s in report.sentences] == list(range(len(report.sentences)))
    assert report.text.count("储能系统中标均价") == 2  # the text keeps both; offsets stay true


def test_a_front_matter_label_does_not_adopt_the_outline_after_it():
    report = parse_text(
        "储能行业周报\n\n核心观点\n\n储能系统中标均价继续下行。\n\n一、价格\n\n中标均价已接近每瓦时零点六元。\n\n（一）海外\n\n海外大储订单放量。\n"
    )
    assert [s.path for s in report.sections] == [("核心观点",), ("价格",), ("价格", "海外")]

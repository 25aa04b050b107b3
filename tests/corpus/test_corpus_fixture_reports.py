"""Layouts other than the sample's parse to the structure tests/fixtures/reports/README.md lists."""

from __future__ import annotations

import re

import pytest

from yanbao.corpus import parse_document

# (level, number as written without its trailing separator, title): README tables.
EV_HEADINGS = [
    (1, "1", "行业格局与竞争主体"),
    (2, "1.1", "装机规模持续扩张，集中度高位企稳"),
    (2, "1.2", "整车企业向上游延伸，产业链关系重构"),
    (2, "1.3", "材料供应商与地方政府深度参与"),
    (1, "2", "驱动因素"),
    (2, "2.1", "新能源汽车渗透率提升带来需求基本盘"),
    (2, "2.2", "储能市场打开第二增长曲线"),
    (2, "2.3", "政策与出海共同驱动"),
    (1, "3", "挑战与风险"),
    (2, "3.1", "结构性产能过剩与价格竞争"),
    (2, "3.2", "海外贸易壁垒抬升"),
    (2, "3.3", "原材料价格波动与资源约束"),
    (1, "4", "发展趋势与展望"),
    (2, "4.1", "固态电池产业化进程提速"),
    (2, "4.2", "钠离子电池在细分场景放量"),
    (2, "4.3", "快充与BMS智能化升级"),
    (1, "5", "投资建议"),
    (2, "5.1", "关注具备全球化能力的头部电池企业"),
    (2, "5.2", "关注新技术材料环节的弹性标的"),
    (1, "6", "风险提示"),
]
SEMI_HEADINGS = [
    (1, "一", "產業格局與競爭主體"),
    (2, "（一）", "晶圓廠擴產帶動設備需求"),
    (2, "（二）", "設備廠商梯隊分化"),
    (2, "（三）", "芯片設計公司與產業鏈協同"),
    (1, "二", "驅動因素"),
    (2, "（一）", "政策與資金持續加碼"),
    (2, "（二）", "下游需求結構性增長"),
    (3, "1", "成熟製程擴產"),
    (3, "2", "先進封裝興起"),
    (3, "3", "特色工藝需求"),
    (1, "三", "挑戰與瓶頸"),
    (2, "（一）", "出口管制持續收緊"),
    (2, "（二）", "人才短缺制約研發"),
    (2, "（三）", "核心零部件依賴進口"),
    (1, "四", "發展趨勢"),
    (2, "（一）", "從單點突破走向平台化"),
    (2, "（二）", "零部件與材料國產化提速"),
    (1, "五", "策略建議"),
    (2, "（一）", "對企業的建議"),
    (2, "（二）", "對政府與高校的建議"),
]
WEB_HEADINGS = [
    (1, "一", "行业发展现状"),
    (2, "（一）", "市场规模稳步扩大"),
    (2, "（二）", "基础设施短板仍存"),
    (1, "二", "竞争格局与主要参与者"),
    (2, "（一）", "综合物流企业加速布局"),
    (2, "（二）", "电商平台与生鲜企业自建冷链"),
    (1, "三", "驱动因素"),
    (2, "（一）", "生鲜电商与预制菜需求爆发"),
    (2, "（二）", "政策推动骨干冷链物流基地建设"),
    (1, "四", "面临的挑战"),
    (2, "（一）", "投资回报周期长"),
    (2, "（二）", "标准化与信息化水平不足"),
    (1, "五", "发展趋势与建议"),
    (2, "（一）", "数字化与智能温控"),
    (2, "（二）", "绿色低碳转型"),
    (2, "（三）", "区域网络协同"),
]
EV_TITLE = "动力电池行业深度报告：全球化与技术迭代共振，产业格局加速重塑"
SEMI_TITLE = "半導體設備國產化深度研究：從「卡脖子」到自主可控的突圍之路"
WEB_TITLE = "2025年中国冷链物流行业深度分析：需求扩容与降本增效并进"

EXPECTED = {
    "broker_ev_battery.txt": (EV_TITLE, "某某证券", EV_HEADINGS),
    "broker_ev_battery.pdf": (EV_TITLE, "某某证券", EV_HEADINGS),
    "broker_semiconductor.txt": (SEMI_TITLE, "某某研究院", SEMI_HEADINGS),
    "broker_semiconductor.docx": (SEMI_TITLE, "某某研究院", SEMI_HEADINGS),
    "web_logistics.html": (WEB_TITLE, "华衡产业研究院", WEB_HEADINGS),
}

# Page furniture and web chrome, per README: none of it may reach a sentence.
CHROME = {
    "broker_ev_battery.txt": ["请务必阅读", "信息披露和法律声明", "/ 30", "报告出品方"],
    "broker_ev_battery.pdf": ["请务必阅读", "信息披露和法律声明", "/ 3", "电力设备与新能源", "报告出品方"],
    "broker_semiconductor.txt": ["來源：", "發布日期"],
    "broker_semiconductor.docx": ["來源：", "發布日期"],
    "web_logistics.html": [
        "400-618-3390", "服务热线", "ICP", "Copyright", "©", "版权所有", "service@example.com",
        "分享到", "微信", "微博", "QQ空间", "阅读：", "3,582", "标签", "免责声明", "不构成任何投资建议",
        "首页", "数据中心", "定制服务", "关于我们", "免费提问", "用户提问", "登录", "注册",
        "华衡产业研究网", "相关报告", "document.", "getElementsByTagName", "jquery",
    ],
}


def _norm_number(number: str) -> str:
    return number.rstrip("、.．")


@pytest.fixture(scope="module")
def parsed(fixtures_dir):
    return {name: parse_document(fixtures_dir / name) for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title(parsed, name):
    assert parsed[name].title == EXPECTED[name][0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_headings(parsed, name):
    got = [(s.level, _norm_number(s.number), s.title) for s in parsed[name].sections]
    assert got == EXPECTED[name][2]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_is_the_publisher(parsed, name):
    source = parsed[name].source
    publisher = EXPECTED[name][1]
    # The label (来源 / 报告出品方/作者), brackets and trailing date are not part of it.
    assert source.startswith(publisher), source
    assert not re.search(r"来源|來源|出品方|[()（）]|\d{4}-\d{2}", source), source


def test_web_source_drops_the_date(parsed):
    assert parsed["web_logistics.html"].source == "华衡产业研究院"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_chrome_in_sentences(parsed, name):
    for s in parsed[name].sentences:
        for needle in CHROME[name]:
            assert needle not in s.text, (needle, s.text)
        assert not re.fullmatch(r"\d+\s*/\s*\d+", s.text), s.text  # page numbers


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title_and_source_lines_are_not_sentences(parsed, name):
    report = parsed[name]
    assert not any(report.title in s.text for s in report.sentences)


def test_web_sidebar_questions(parsed):
    assert [(q.region, q.question) for q in parsed["web_logistics.html"].sidebar_questions] == [
        ("浙江", "冷链仓储投资回报周期长，企业如何破局？"),
        ("山东", "果蔬产地预冷设施不足，农产品冷链如何补短板？"),
        ("广东", "预制菜市场快速扩张，冷链配送企业的机会在哪里？"),
        ("四川", "西部冷链网络覆盖薄弱，区域物流企业如何布局？"),
        ("河南", "冷库能耗成本高企，企业如何实现绿色低碳转型？"),
    ]


def test_web_related_reports(parsed):
    report = parsed["web_logistics.html"]
    assert [r.title for r in report.related_reports] == [
        "2025-2031年中国冷库行业市场全景调研及投资前景预测报告",
        "2025年中国医药冷链物流行业现状与发展趋势分析",
        "2025年中国生鲜电商行业竞争格局及前景展望",
    ]
    texts = [s.text for s in report.sentences]
    for r in report.related_reports:
        assert r.blurb.endswith("..."), r
        head = r.blurb[:15]
        assert not any(head in t for t in texts), r
    for q in report.sidebar_questions:
        assert q.question not in texts


def test_web_related_heading_is_not_a_section(parsed):
    assert "相关报告" not in parsed["web_logistics.html"].section_titles()


@pytest.mark.parametrize("name", ["broker_semiconductor.txt", "web_logistics.html", "broker_ev_battery.txt"])
def test_lead_paragraph_is_body_not_heading(parsed, name):
    report = parsed[name]
    first = report.sentences[0]
    assert first.text.startswith(("核心观点：", "摘要：", "导读：")), first.text
    assert first.section_path == ()


# ----------------------------------------------------------------- PDF re-joining


@pytest.mark.parametrize("name", ["broker_ev_battery.txt", "broker_ev_battery.pdf"])
def test_broken_lines_are_rejoined(parsed, name):
    texts = [s.text for s in parsed[name].sentences]
    # Wrapped mid-word (同 / 比增长) and spurious CJK spaces (新 建 产能, 材料 供应商, 储能 运营商).
    for piece in ("同比增长41.5%", "国内新建产能规划一度超过3,406GWh", "材料供应商之间的竞争同样激烈", "储能运营商对电池的关注点"):
        assert any(piece in t for t in texts), piece
    for t in texts:
        assert t[-1] in "。！？；", t  # every paragraph of this report ends its sentences
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", t), t


def test_pdf_wrapped_title(parsed):
    # pypdf gives the 18 pt title as two lines; the report has one title.
    assert parsed["broker_ev_battery.pdf"].title == EV_TITLE


def test_pdf_and_txt_give_the_same_report(parsed):
    txt, pdf = parsed["broker_ev_battery.txt"], parsed["broker_ev_battery.pdf"]
    assert [s.text for s in pdf.sentences] == [s.text for s in txt.sentences]
    assert pdf.id == txt.id


def test_pdf_sentence_across_a_page_break(parsed):
    # "…尤为关" ends page-1 line, "键！" is a line of its own before the next heading;
    # "…等挑" / "战。" sits just above page 2's footer.
    texts = [s.text for s in parsed["broker_ev_battery.pdf"].sentences]
    assert any(t.endswith("这一优势在行业下行周期中尤为关键！") for t in texts)
    assert any(t.endswith("用工成本高企与管理文化融合等挑战。") for t in texts)


def test_docx_and_txt_give_the_same_report(parsed):
    txt, docx = parsed["broker_semiconductor.txt"], parsed["broker_semiconductor.docx"]
    assert [s.text for s in docx.sentences] == [s.text for s in txt.sentences]
    assert docx.id == txt.id


def test_ascii_full_stop_ends_sentences_next_to_acronyms(parsed):
    texts = [s.text for s in parsed["broker_semiconductor.txt"].sentences]
    assert "不過,各環節國產化率差異懸殊." in texts
    assert any(t.startswith("CMP、PVD與清洗設備的國產化率已超過30%") and t.endswith("低於10%.") for t in texts)
    assert any(t.startswith("EUV與高端DUV光刻機") for t in texts)
    assert "如何留住人才?" in texts
    assert any("3,406台" in t and "23.1%" in t for t in texts)


# --------------------------------------------------------------------- offsets


ALL_FILES = sorted(EXPECTED)


@pytest.mark.parametrize("name", ALL_FILES + ["SAMPLE"])
def test_offsets_slice_back(parsed, sample_path, name):
    report = parse_document(sample_path) if name == "SAMPLE" else parsed[name]
    assert report.sentences
    for s in report.sentences:
        assert report.text[s.start : s.end] == s.text
    for sec in report.sections:
        assert report.text[sec.start : sec.heading_end].endswith(sec.title), sec
        assert sec.start < sec.heading_end <= sec.end <= len(report.text)
    starts = [s.start for s in report.sentences]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(report.sentences, report.sentences[1:]))

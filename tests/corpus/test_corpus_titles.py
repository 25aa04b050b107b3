"""Every real file's title is the report's own, never page chrome.

The expected titles were read off each file by hand.  A dev article that
starts straight with prose, a section label (``引言``, ``投资要点``) or a
numbered section heading has no headline of its own: its title is ``""``.
"""

from __future__ import annotations

import re

import pytest

from yanbao.corpus import parse_document, parse_text

from .shared_inputs import DEV_CORPUS, REALDOCS, dev_article, need

REALDOC_TITLES = {
    "tebon_gaoce_company_note_2022.pdf": "高测股份（688556.SH）：扩产 4000 万公里金刚线，强化光伏硅片切割三元布局",
    "huaxi_industry_rotation_quant_2022.pdf": "行业有效量价因子与行业轮动策略",
    "caict_data_element_whitepaper_2022.pdf": "数据要素白皮书(2022年)",
    "cicc_gi_weekly_research_digest_259.docx": "研报精选",  # no title paragraph; the document's own title property
    "guancha_ic_import_industry_2019.html": "我国集成电路进口突破3000亿美元！魏少军：产业结构扭曲，没将产品作为中心",
    "qq_finance_data_industry_crackdown_2019.html": "棱镜|数据业大整顿：爬虫与现金贷共生共荣，用户信息几元不等",
    "yahoohk_japan_corporate_sentiment_zh-hant_2024.html": "日本企業5月信心保持穩定 但日圓疲弱推高成本損害利潤",
}

DEV_TITLES = {
    "01_theme_park_consumption.txt": "主題樂園撬動消費大市場",
    "02_theme_park_competition.txt": "",
    "03_smart_ship_manufacturing.txt": "",  # 引言, then prose
    "04_pharma_volume_procurement.txt": "集中采購政策對醫藥企業研發效率的影響",
    "05_marine_economy_2024.txt": "",  # 一、引言
    "06_5g_optical_modules.txt": "",  # starts mid-article
    "07_cloud_global_competition.txt": "",  # 引言:…
    "08_power_demand_storage.txt": "",  # a photo caption, then the author
    "09_internet_finance_landscape.txt": "",  # 第一部分:…
    "10_nev_status_challenges.txt": "中国新能源汽车产业现状与挑战综合评价",
    "11_nev_vs_ice.txt": "電動車反擊燃油車“大戰”將在中國市場上演",
    "12_rare_earth_export_license.txt": "商务部批准部分稀土出口申请",
    "13_semiconductor_chain.txt": "半導體產業鏈分析:痛點洞察與未來機遇",
    "14_photovoltaic_overcapacity.txt": "光伏产业从产能过剩泥沼到反内卷联盟的自救之路",
    "15_power_battery.txt": "",
    "16_logistics_warehousing.txt": "物流趨勢變革下的倉儲策略:供應鏈的加速引擎",
    "17_retail_transformation.txt": "",
    "18_agri_machinery.txt": "",
    "19_real_estate_bonds.txt": "广发固收:出师不利 2021地产债怎么看?",
    "20_property_insurance.txt": "中小财险公司效益发展路径探究",
    "21_silver_economy_taiwan.txt": "先探/老齡化需求成主流戰場",
    "22_tea_drinks.txt": "国金商贸零售于健|行业深度研究:市场扩容持续",
    "23_pet_economy.txt": "",  # a lead paragraph, then section headings
    "24_low_altitude_policy.txt": "国家战略布局的三级跃升",
    "25_industrial_robots.txt": "",  # 投資要點:
    "26_cross_border_ecommerce.txt": "",
    "27_medical_devices.txt": "",  # 引言:…
    "28_education_double_reduction.txt": "",  # 引言:…
    "29_chemicals_cycle.txt": "周期反转与新兴需求共振,化工板块直线拉升!",
    "30_steel_2024.txt": "2024年钢铁行业运行情况",
}

# Known misses, kept visible (strict: the test fails once they are fixed).
DEV_MISSES: dict[str, str] = {}


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", sorted(REALDOC_TITLES))
def test_realdoc_title(name):
    report = parse_document(need(REALDOCS) / name)
    # PDF text layers space CJK from digits (``扩产 4000 万``): spacing is not the title.
    assert _bare(report.title) == _bare(REALDOC_TITLES[name])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=DEV_MISSES[n])) if n in DEV_MISSES else n
        for n in sorted(DEV_TITLES)
    ],
)
def test_dev_article_title(name):
    path = need(DEV_CORPUS) / name
    assert parse_text(dev_article(path), origin=str(path)).title == DEV_TITLES[name]


def test_every_dev_article_is_listed():
    assert sorted(p.name for p in need(DEV_CORPUS).glob("*.txt")) == sorted(DEV_TITLES)


def test_every_realdoc_is_listed():
    files = {p.name for p in need(REALDOCS).iterdir() if p.suffix in (".pdf", ".docx", ".html")}
    refused = {"webank_kpmg_privacy_computing_industry_2021_garbled.pdf"}  # see test_corpus_realdocs
    assert files == set(REALDOC_TITLES) | refused


@pytest.mark.parametrize(
    "chrome",
    ["APP下载", "还剩57页未读,继续阅读", "点击上方蓝字关注我们", "#產業治理", "1", "[Table_Main]",
     "请仔细阅读在本报告尾部的重要法律声明", "■ 作者:李四", "2024-02-27 09:40 某某", "MAIL", "新浪财经 债券"],
)
def test_chrome_lines_above_the_headline_are_never_the_title(chrome):
    text = f"{chrome}\n2025年中国App出海行业研究报告\n\n出海企业数量持续增长，头部应用的海外收入占比超过四成。\n"
    assert parse_text(text).title == "2025年中国App出海行业研究报告"


@pytest.mark.parametrize("folder", ["dev", "peer"])
def test_a_source_line_above_the_article_is_its_source_not_its_title(folder):
    """Scraped articles come with a ``SOURCE: <url>`` first line (the shared sets' files, a
    "save as text" export).  Ingested as they are, they must give the same title, sections
    and sentences as without that line, with the address as the report's source."""
    corpus = need(DEV_CORPUS.parent.parent / folder / "corpus")
    files = sorted(corpus.glob("*.txt"))
    assert len(files) >= 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        url = re.match(r"SOURCE: (https?://[^\s()]+)", text)
        assert url, path
        as_is, stripped = parse_text(text, origin=str(path)), parse_text(dev_article(path), origin=str(path))
        assert as_is.title == stripped.title, path.name
        assert [s.title for s in as_is.sections] == [s.title for s in stripped.sections], path.name
        assert [s.text for s in as_is.sentences] == [s.text for s in stripped.sentences], path.name
        assert as_is.source == url.group(1), path.name


@pytest.mark.parametrize(
    "line",
    ["SOURCE: https://example.com/a/2025/06/09/11.html", "Source：https://example.com/x?id=1 (archived copy)", "原文鏈接：https://example.com/p"],
)
def test_source_address_lines_of_any_length_or_script(line):
    text = f"{line}\n\n2025年中国App出海行业研究报告\n\n出海企业数量持续增长，头部应用的海外收入占比超过四成。\n"
    report = parse_text(text)
    assert report.title == "2025年中国App出海行业研究报告"
    assert report.source == re.search(r"https?://[^\s(]+", line).group(0)
    assert [s.text for s in report.sentences] == ["出海企业数量持续增长，头部应用的海外收入占比超过四成。"]


@pytest.mark.parametrize("line", ["搜狐财经· 2025-12-20 02:23", "2024-02-27 09:40吳俁煊", "上海保险 2024年1期"])
def test_datelines_and_issue_lines_are_page_furniture(line):
    text = f"中小财险公司效益发展路径探究\n\n{line}\n中国大陆财险市场发展速度较快，但车险同质化竞争严重。\n"
    report = parse_text(text)
    assert report.title == "中小财险公司效益发展路径探究"
    assert [s.text for s in report.sentences] == ["中国大陆财险市场发展速度较快，但车险同质化竞争严重。"]


def test_a_sentence_that_gives_a_time_is_prose():
    text = "储能行业观察\n\n2024-02-27 09:40，公司发布公告称拟投资20亿元扩建储能电池产能。\n"
    assert [s.text for s in parse_text(text).sentences] == ["2024-02-27 09:40，公司发布公告称拟投资20亿元扩建储能电池产能。"]


def test_chrome_above_the_headline_is_not_report_text():
    text = "Workflow\nicon\n搜索文档\n商务部批准部分稀土出口申请\n搜狐财经· 2025-12-20 02:23\n商务部于12月18日批准部分稀土出口通用许可申请。\n"
    report = parse_text(text)
    assert report.title == "商务部批准部分稀土出口申请"
    assert report.section_titles() == []
    assert [s.text for s in report.sentences] == ["商务部于12月18日批准部分稀土出口通用许可申请。"]


def test_no_dev_sentence_is_a_dateline():
    stamp = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*\d{1,2}:\d{2}")
    for path in sorted(need(DEV_CORPUS).glob("*.txt")):
        report = parse_text(dev_article(path), origin=str(path))
        assert [s.text for s in report.sentences if stamp.search(s.text) and not re.search("[，,。]", s.text)] == [], path.name


def test_a_headline_glued_to_the_lead_sentence_is_cut_off():
    """A saved page lost the line break after its headline (dev 14 is one such page)."""
    path = need(DEV_CORPUS) / "14_photovoltaic_overcapacity.txt"
    report = parse_text(dev_article(path), origin=str(path))
    assert report.sentences[0].text == "在全球能源转型的宏大叙事中,光伏产业始终扮演着先锋角色。"
    text = "新能源汽车出海的机遇与挑战随着全球电动化进程加快，新能源汽车出口持续增长。欧洲仍是最大的目的地市场。\n"
    report = parse_text(text)
    assert report.title == "新能源汽车出海的机遇与挑战"
    assert report.sentences[0].text == "随着全球电动化进程加快，新能源汽车出口持续增长。"


@pytest.mark.parametrize(
    "line",
    [
        "中國移動有限公司在香港和紐約上市，目前是中國在境外上市公司中市值最大的公司。",
        "数据的持有权和使用权通常掌握在相同主体手中，产权的分置也需要考虑具体场景。",
        "中国新能源汽车产业在政策与市场的双重驱动下，销量持续攀升。",
    ],
)
def test_a_lead_sentence_keeps_its_subject(line):
    report = parse_text(line + "\n行业集中度继续提升，头部企业份额超过六成。\n")
    assert report.title == ""
    assert report.sentences[0].text == line


def test_a_keywords_line_stays_text():
    """A paper's keywords name its subject (制藥): they are searched, and they name its industry."""
    text = "集中采購政策對醫藥企業研發效率的影響\n\n關鍵詞:制藥藥品變量\n\n集中采購政策壓縮了仿制藥的利潤空間。\n"
    assert "關鍵詞:制藥藥品變量" in [s.text for s in parse_text(text).sentences]

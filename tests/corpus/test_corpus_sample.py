"""The bundled sample page parses to the structure read off the file by hand."""

from __future__ import annotations

import pytest

from yanbao.corpus import parse_document

TITLE = "2026年消費金融催收行業全景及市場深度分析"

# (level, title without its number), in file order: lines 23-81 of the sample.
# The issue text said 15 numbered subsections; the file has 12 (3 under each of
# 二, 三, 四 and 五; 一 has none), so 5 + 12 = 17 sections.
SECTIONS = [
    (1, "消費金融催收行業發展趨勢分析"),
    (1, "市場格局:多元主體共生的生態體系"),
    (2, "傳統金融機構的“雙軌策略”"),
    (2, "第三方催收機構的分層競爭"),
    (2, "科技公司的技術賦能"),
    (1, "市場驅動:需求升級與供給革新的雙重變奏"),
    (2, "信貸結構變遷催生新場景"),
    (2, "智能化升級重塑行業效率"),
    (2, "合規化轉型倒逼服務升級"),
    (1, "挑戰與破局:在變革中尋找新平衡"),
    (2, "監管壓力與成本攀升的博弈"),
    (2, "“反催收”聯盟與債務人維權意識增強"),
    (2, "人才短缺與復合型能力缺口"),
    (1, "未來展望:從“債務回收”到“信用管理”的范式躍遷"),
    (2, "業務邊界拓展:貸后全周期管理"),
    (2, "生態化協作:深度融合的產業網絡"),
    (2, "全球化布局:中國模式的海外輸出"),
]

SIDEBAR = [
    ("北京", "市場競爭激烈,外來強手加大布局,國內主題公園如何突圍?"),
    ("上海", "智能船舶發展行動計劃發布,船舶制造企業的機"),  # truncated in the page itself
    ("江蘇", "研發水平落后,低端產品比例大,醫藥企業如何實現轉型?"),
    ("廣東", "中國海洋經濟走出去的新路徑在哪?該如何去制定長遠規劃?"),
    ("福建", "5G牌照發放,產業加快布局,通信設備企業的投資機會在哪里?"),
    ("四川", "行業集中度不斷提高,云計算企業如何準確把握行業投資機會?"),
    ("河南", "節能環保資金缺乏,企業承受能力有限,電力企業如何突破瓶頸?"),
    ("浙江", "細分領域差異化突出,互聯網金融企業如何把握最佳機遇?"),
    ("湖北", "汽車工業轉型,能源結構調整,新能源汽車發展機遇在哪里?"),
    ("江西", "稀土行業發展現狀如何,怎么推動稀土產業高質量發展?"),
]

DEEP_DIVE = "2026-2030年中國消費金融催收行業競爭格局分析與發展趨勢預測報告"
TEASERS = [
    "2026-2030年中國養老護理服務行業全景調研與投資戰略規劃分析",
    "2026-2030年中國衛星互聯網行業競爭格局及發展趨勢預測分析",
    "2026-2030年稀土“十五五”產業鏈全景調研及投資環境深度剖析",
    "2026-2030年中國農業種植行業全景調研與發展趨勢預測分析",
    "2026-2030年中國可控核聚變行業全景調研與投資戰略咨詢分析",
    "2026-2030年中國咖啡行業市場深度全景調研與投資戰略咨詢分析",
]

CHROME = [
    "400-856-5388",
    "400-086-5388",
    "0755-23619058",
    "Copyright",
    "©",
    "免費提問專家",
    "查看詳情",
    "微信",
    "版權",
    "ICP",
    "研究報告服務熱線",
    "用戶提問",
    "相關閱讀",
    "猜您喜歡",
    "pay@chinairn.com",
    "更多深度行業研究",  # the promo line that ends the article
    "產業規劃 特色小鎮",  # tag cloud
]


@pytest.fixture(scope="module")
def report(sample_path):
    return parse_document(sample_path)


def test_title(report):
    assert report.title == TITLE


def test_sections_titles_and_levels(report):
    assert [(s.level, s.title) for s in report.sections] == SECTIONS


def test_top_level_sections_are_numbered_one_to_five(report):
    top = [s for s in report.sections if s.level == 1]
    assert [s.number for s in top] == ["一", "二", "三", "四", "五"]
    assert len(top) == 5


def test_subsections_hang_under_their_section(report):
    subs = [s for s in report.sections if s.level == 2]
    assert len(subs) == 12
    per_parent = {}
    for s in subs:
        per_parent.setdefault(s.path[0], []).append(s.number)
    assert per_parent == {
        "市場格局:多元主體共生的生態體系": ["1", "2", "3"],
        "市場驅動:需求升級與供給革新的雙重變奏": ["1", "2", "3"],
        "挑戰與破局:在變革中尋找新平衡": ["1", "2", "3"],
        "未來展望:從“債務回收”到“信用管理”的范式躍遷": ["1", "2", "3"],
    }


def test_sentences_carry_their_section_path(report):
    s = next(s for s in report.sentences if s.text.startswith("實踐表明"))
    assert s.section_path == ("挑戰與破局:在變革中尋找新平衡", "“反催收”聯盟與債務人維權意識增強")
    first = report.sentences[0]
    assert first.text == "消費金融催收行業已突破傳統認知中的“追債者”形象,演變為連接金融機構、債務人與社會信用體系的關鍵紐帶。"
    assert first.section_path == ("消費金融催收行業發展趨勢分析",)


def test_last_body_sentence_is_the_conclusion(report):
    # Everything after line 85 of the sample is promotion, related reports and footer.
    assert report.sentences[-1].text == (
        "在這場變革中,唯有堅持合規底線、擁抱科技變革、深化服務創新的企業,才能穿越周期,成為信貸生態中的長期參與者。"
    )


def test_sidebar_questions(report):
    assert [(q.region, q.question) for q in report.sidebar_questions] == SIDEBAR


def test_related_reports(report):
    rel = report.related_reports
    assert len(rel) == 7
    assert [(r.kind, r.title) for r in rel] == [("deep_dive", DEEP_DIVE)] + [("teaser", t) for t in TEASERS]
    assert rel[0].blurb.startswith("消費金融催收行業是消費金融生態體系中負責逾期貸款風險化解")
    assert rel[1].blurb.startswith("近日,國家衛生健康委")
    assert all(r.blurb.endswith("...") for r in rel)


def test_no_chrome_in_sentences(report):
    for s in report.sentences:
        for needle in CHROME:
            assert needle not in s.text, (needle, s.text)


def test_no_chrome_in_report_text(report):
    for needle in CHROME:
        assert needle not in report.text, needle


def test_sidebar_questions_and_teasers_are_not_sentences(report):
    texts = [s.text for s in report.sentences]
    for q in report.sidebar_questions:
        assert not any(q.question in t or t in q.question for t in texts), q
    for r in report.related_reports:
        head = r.blurb.rstrip(".")[:20]
        assert not any(head in t for t in texts), r
    # The teasers' own opening words, typed from the file (lines 93-127).
    for head in ("近日,國家衛生健康委", "工業和信息化部部長李樂成", "1月6日,商務部宣布", "據新華社,中央農村工作會議",
                 "2026核聚變能科技與產業大會", "首屆中埃咖啡經貿促進大會", "負責逾期貸款風險化解與資產保全"):
        assert not any(head in t for t in texts), head


def test_title_is_not_repeated_as_body(report):
    # The page repeats the title above the article (line 21).
    assert report.text.count(TITLE) == 1
    assert all(TITLE not in s.text for s in report.sentences)

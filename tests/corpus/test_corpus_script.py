"""Script normalisation is for matching only; reports keep their original script."""

from __future__ import annotations

import pytest

from yanbao.corpus import match_key, normalise, parse_document


@pytest.mark.parametrize("a, b", [("並", "并"), ("後", "后"), ("並且之後", "并且之后"), ("產業鏈", "产业链")])
def test_traditional_and_simplified_normalise_alike(a, b):
    assert normalise(a) == normalise(b)


def test_normalise_folds_full_width():
    assert normalise("ＡＩ與５Ｇ") == normalise("AI与5G")


def test_match_key_ignores_whitespace_quotes_and_script():
    assert match_key("「卡脖子」 問題") == match_key("“卡脖子”问题")
    assert match_key("以貸 養貸") == match_key("『以贷养贷』")
    assert match_key("Chiplet 封裝") == match_key("chiplet封装")


def test_match_key_keeps_different_things_apart():
    assert match_key("產能過剩") != match_key("產能不足")


def test_report_text_keeps_the_original_script(fixtures_dir, sample_path):
    semi = parse_document(fixtures_dir / "broker_semiconductor.txt")
    assert "並對未來三至五年的趨勢作出判斷" in semi.text
    assert "并对未来" not in semi.text
    assert all(s.text == semi.text[s.start : s.end] for s in semi.sentences)
    assert "並對未來" in next(s.text for s in semi.sentences if "趨勢作出判斷" in s.text)

    sample = parse_document(sample_path)
    # The sample mixes scripts (資本并購, 貸后 beside 機構): each form is kept as written.
    assert "資本并購" in sample.text and "貸后" in sample.text and "機構" in sample.text
    assert "机构" not in sample.text
    assert "机构" in normalise(sample.text)


def test_id_ignores_script_and_whitespace(tmp_path, fixtures_dir):
    from opencc import OpenCC

    original = (fixtures_dir / "broker_semiconductor.txt").read_text(encoding="utf-8")
    simplified = OpenCC("t2s").convert(original)
    assert simplified != original
    path = tmp_path / "simplified.txt"
    path.write_text(simplified.replace("\n\n", "\n\n\n"), encoding="utf-8")
    a = parse_document(fixtures_dir / "broker_semiconductor.txt")
    b = parse_document(path)
    assert b.id == a.id
    assert b.text != a.text  # the record stores what the file said

"""Generate a corpus of N synthetic reports from the bundled sample and the test reports.

Each generated report takes one source report, keeps its layout (headings,
chrome, sidebar, teasers), and varies its text: paragraphs are drawn from the
same section of other variants, entity words are swapped among a pool of
industry terms, numbers and years change.  So entities, sentences and ids all
vary, as in a real corpus, while every file stays a plausible report.

    python bench/generate.py --reports 100 --out /tmp/corpus100
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    ROOT / "corpus" / "samples" / "000_fb266df941e8ceb3.txt",
    ROOT / "tests" / "fixtures" / "reports" / "broker_ev_battery.txt",
    ROOT / "tests" / "fixtures" / "reports" / "broker_semiconductor.txt",
]
# Swapped among each other so that entities vary from report to report.
POOLS = [
    ["銀行", "券商", "保險公司", "信托公司", "基金公司", "消費金融公司", "小貸公司", "租賃公司"],
    ["大數據", "人工智能", "區塊鏈", "雲計算", "物聯網", "知識圖譜", "機器學習", "隱私計算"],
    ["東南亞", "拉美", "中東", "非洲", "歐洲", "北美", "中亞", "南亞"],
    ["长三角", "珠三角", "京津冀", "成渝", "粤港澳大湾区", "中部地区"],
    ["固态电池", "钠离子电池", "快充", "储能", "氢能", "燃料电池"],
    ["晶圓廠", "封測廠", "設備廠商", "材料廠商", "設計公司"],
]
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
_HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+(?:\.\d+)*[.、 ]|第.+[章節节])")


def _vary_numbers(text: str, rng: random.Random) -> str:
    def swap(m: re.Match[str]) -> str:
        s = m.group(0)
        if len(s) == 4 and s.startswith("20"):  # a year
            return str(int(s) + rng.choice((-1, 0, 1)))
        if "." in s:
            return f"{float(s) * rng.uniform(0.7, 1.3):.1f}"
        return str(max(1, int(int(s) * rng.uniform(0.7, 1.3))))

    return _NUM_RE.sub(swap, text)


def _swap_terms(text: str, rng: random.Random) -> str:
    for pool in POOLS:
        mapping = dict(zip(pool, rng.sample(pool, len(pool))))
        text = re.sub("|".join(map(re.escape, sorted(pool, key=len, reverse=True))), lambda m: mapping[m.group(0)], text)
    return text


def generate(n: int, out: Path, seed: int = 0) -> list[Path]:
    """Write ``n`` reports into ``out``; return their paths."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    sources = [p.read_text(encoding="utf-8").splitlines() for p in SOURCES]
    paths = []
    for i in range(n):
        lines = list(sources[i % len(sources)])
        body_lines = [j for j, line in enumerate(lines) if len(line) > 40 and not _HEADING_RE.match(line)]
        # Re-combine: some paragraphs come from another place in the same report.
        for j in body_lines:
            if rng.random() < 0.3:
                lines[j] = lines[rng.choice(body_lines)]
        for j in body_lines:  # numbers vary in body text only: heading numbers keep the outline
            lines[j] = _vary_numbers(lines[j], rng)
        text = _swap_terms("\n".join(lines), rng)
        # A distinct title per report (the first title-like line), so titles differ too.
        text = re.sub(r"^(.*?)(行业|行業|研究|報告|报告)", lambda m: f"{m.group(1)}{m.group(2)}（第{i + 1}期）", text, count=1, flags=re.M)
        path = out / f"report_{i:05d}{SOURCES[i % len(SOURCES)].suffix}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = generate(args.reports, args.out, args.seed)
    print(f"wrote {len(paths)} reports to {args.out}")


if __name__ == "__main__":
    main()

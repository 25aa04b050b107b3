"""Drawings are offline: inline SVG, no external script or stylesheet."""

from __future__ import annotations

import importlib.util
import re

import pytest

from yanbao.kg.analytics import entity_graph
from yanbao.kg.draw import draw
from yanbao.core.errors import NotFoundError, SettingsError


@pytest.fixture(scope="module")
def G(lib):
    st = lib.graph()
    try:
        return entity_graph(st)
    finally:
        st.close()


def _offline(html: str) -> None:
    assert "<svg" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html


def test_whole_graph_html(G, tmp_path):
    out = draw(G, tmp_path / "graph.html")
    html = out.read_text(encoding="utf-8")
    _offline(html)
    assert "銀行" in html and "行为主体 Actor" in html and "<script>" in html
    assert len(re.findall(r'class="node( centre)?"', html)) == G.number_of_nodes()


def test_neighbourhood_html_is_deterministic(G, tmp_path):
    a = draw(G, tmp_path / "a.html", entity="銀行").read_text(encoding="utf-8")
    b = draw(G, tmp_path / "b.html", entity="银行").read_text(encoding="utf-8")
    assert a == b
    _offline(a)
    assert "科技公司" in a and 'class="node centre"' in a


def test_unknown_entity_and_suffix(G, tmp_path):
    with pytest.raises(NotFoundError):
        draw(G, tmp_path / "x.html", entity="咖啡")
    with pytest.raises(SettingsError, match=r"\.html"):
        draw(G, tmp_path / "x.gif")


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is not None, reason="matplotlib is installed")
def test_png_without_matplotlib_says_so(G, tmp_path):
    with pytest.raises(SettingsError, match="matplotlib"):
        draw(G, tmp_path / "x.png")

"""Draw the entity graph (or one entity's neighbourhood) as an offline HTML page or a PNG.

The public entry point is :func:`draw`.  The HTML page is self-contained:
inline SVG, inline CSS and a few lines of inline JavaScript for hovering, no
CDN and no external asset, so it opens from a mail attachment or an air-gapped
machine.  Layouts use ``spring_layout(seed=0)``: the same graph draws the same.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import networkx as nx

from yanbao.core.errors import SettingsError, StoreError

from .analytics import ABOUT, CO_MENTION, central_entities, neighbourhood

__all__ = ["draw", "DRAW_SUFFIXES", "CLASS_COLOURS"]

DRAW_SUFFIXES = (".html", ".htm", ".svg", ".png")

# Colour-blind-friendly palette (Okabe-Ito plus two), one colour per entity class.
CLASS_COLOURS: dict[str, str] = {
    "Actor": "#0072B2",
    "Driver": "#009E73",
    "Challenge": "#D55E00",
    "Trend": "#CC79A7",
    "Strategy": "#E69F00",
    "Technology": "#56B4E9",
    "Region": "#8C6D31",
    "Scenario": "#F0E442",
    "Regulation": "#999999",
    "Industry": "#000000",
}
_CLASS_ZH = {
    "Actor": "行为主体",
    "Driver": "驱动因素",
    "Challenge": "挑战",
    "Trend": "趋势",
    "Strategy": "策略",
    "Technology": "技术",
    "Region": "地区",
    "Scenario": "应用场景",
    "Regulation": "法规政策",
    "Industry": "行业",
}
_W, _H, _MARGIN = 1100, 760, 70


def draw(G: nx.Graph, path: str | Path, entity: str | None = None, radius: int = 1, limit: int = 150) -> Path:
    """Draw ``G`` (or the neighbourhood of ``entity``) to ``path`` and return the path.

    The suffix picks the output: ``.html``/``.htm`` (page with inline SVG and
    hover), ``.svg`` (the drawing alone) or ``.png`` (needs matplotlib).  The
    whole graph is cut to the ``limit`` most central entities.

    Raises:
        SettingsError: an unsupported suffix, or ``.png`` without matplotlib.
        NotFoundError: ``entity`` names no entity.
        StoreError: the file could not be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DRAW_SUFFIXES:
        raise SettingsError(f"cannot draw to {path.name!r}; valid suffixes: {', '.join(DRAW_SUFFIXES)}")
    if suffix == ".png":
        try:
            import matplotlib  # noqa: F401  (optional, not a dependency)
        except ImportError:
            raise SettingsError(
                "drawing a PNG needs matplotlib, which is not installed; "
                "install it (pip install matplotlib) or draw to an .html file"
            ) from None
    sub, centre, title = _subject(G, entity, radius, limit)
    pos = _layout(sub)
    try:
        if suffix == ".png":
            _png(sub, pos, centre, title, path)
        else:
            svg = _svg(sub, pos, centre, standalone=suffix == ".svg")
            text = svg if suffix == ".svg" else _page(sub, svg, title)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _subject(G: nx.Graph, entity: str | None, radius: int, limit: int) -> tuple[nx.Graph, str | None, str]:
    if entity:
        sub = neighbourhood(G, entity, radius=radius)
        centre = sub.graph["centre"]
        return sub, centre, f"{G.nodes[centre]['label']} · {radius} 跳邻域 / neighbourhood"
    if G.number_of_nodes() > limit:
        keep = [n for n, _ in central_entities(G, top=limit)]
        sub = G.subgraph(keep).copy()
        return sub, None, f"知识图谱 / knowledge graph (top {limit} of {G.number_of_nodes()} entities)"
    return G, None, "知识图谱 / knowledge graph"


def _simple(G: nx.Graph) -> nx.Graph:
    """Collapse parallel links into one edge per pair (weights summed, predicates kept)."""
    S = nx.Graph()
    S.add_nodes_from(sorted(G.nodes))
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (min(e[0], e[1]), max(e[0], e[1]), e[2].get("predicate", ""))):
        if S.has_edge(u, v):
            S[u][v]["weight"] += d.get("weight", 1)
            S[u][v]["predicates"].append(d.get("predicate", CO_MENTION))
        else:
            S.add_edge(u, v, weight=d.get("weight", 1), predicates=[d.get("predicate", CO_MENTION)])
    return S


def _layout(G: nx.Graph) -> dict[str, tuple[float, float]]:
    S = _simple(G)
    if S.number_of_nodes() == 0:
        return {}
    if S.number_of_nodes() == 1:
        return {next(iter(S.nodes)): (_W / 2, _H / 2)}
    k = 1.6 / math.sqrt(S.number_of_nodes())
    raw = nx.spring_layout(S, seed=0, k=k, weight=None, iterations=100)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (_W - 2 * _MARGIN - 160) / ((x1 - x0) or 1)
    sy = (_H - 2 * _MARGIN) / ((y1 - y0) or 1)
    return {n: (_MARGIN + (x - x0) * sx, _MARGIN + (y - y0) * sy) for n, (x, y) in raw.items()}


def _radius(deg: int) -> float:
    return 5.0 + min(11.0, 2.2 * math.sqrt(deg))


def _svg(G: nx.Graph, pos, centre: str | None, standalone: bool = False) -> str:
    S = _simple(G)
    ids = {n: f"n{i}" for i, n in enumerate(sorted(S.nodes))}
    e = html.escape
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} id="graph" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" font-family="sans-serif">']
    out.append('<g class="edges">')
    for u, v, d in S.edges(data=True):
        (x1, y1), (x2, y2) = pos[u], pos[v]
        typed = [p for p in d["predicates"] if p not in (CO_MENTION, ABOUT)]
        kind = "typed" if typed else "co"
        width = 1.0 + min(4.0, 0.8 * d["weight"])
        label = ", ".join(dict.fromkeys(d["predicates"]))
        out.append(
            f'<line class="edge {kind}" data-a="{ids[u]}" data-b="{ids[v]}" x1="{x1:.1f}" y1="{y1:.1f}" '
            f'x2="{x2:.1f}" y2="{y2:.1f}" stroke-width="{width:.1f}"><title>{e(G.nodes[u]["label"])} — '
            f'{e(G.nodes[v]["label"])}: {e(label)} ({d["weight"]})</title></line>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for n in sorted(S.nodes, key=lambda n: ids[n]):
        d = G.nodes[n]
        x, y = pos[n]
        r = _radius(S.degree(n))
        colour = CLASS_COLOURS.get(d.get("cls", ""), "#777777")
        nbrs = " ".join(sorted(ids[m] for m in S.neighbors(n)))
        aliases = d.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a for a in aliases.split("|") if a]
        claims = d.get("claims") or []
        tip = f"{d.get('label', n)} [{_CLASS_ZH.get(d.get('cls', ''), '')} {d.get('cls', '')}]"
        if aliases:
            tip += " · 别名: " + "、".join(aliases)
        tip += f" · {len(claims) if not isinstance(claims, str) else claims.count('|') + 1} claims · {S.degree(n)} links"
        ring = ' stroke="#000" stroke-width="3"' if n == centre else ' stroke="#fff" stroke-width="1.5"'
        out.append(
            f'<g class="node{" centre" if n == centre else ""}" id="{ids[n]}" data-nb="{nbrs}" data-tip="{e(tip)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"{ring}/>'
            f'<text x="{x + r + 3:.1f}" y="{y + 4:.1f}" font-size="{13 if n == centre else 12}">{e(d.get("label", n))}</text>'
            f"<title>{e(tip)}</title></g>"
        )
    out.append("</g>")
    # Legend: the classes present, with Chinese and English names.
    present = [c for c in CLASS_COLOURS if any(d.get("cls") == c for _, d in G.nodes(data=True))]
    lx, ly = _W - 170, 24
    out.append('<g class="legend" font-size="12">')
    for i, c in enumerate(present):
        out.append(
            f'<circle cx="{lx}" cy="{ly + 20 * i}" r="6" fill="{CLASS_COLOURS[c]}"/>'
            f'<text x="{lx + 12}" y="{ly + 20 * i + 4}">{_CLASS_ZH[c]} {c}</text>'
        )
    y = ly + 20 * len(present) + 8
    out.append(
        f'<line x1="{lx - 6}" y1="{y}" x2="{lx + 8}" y2="{y}" class="edge typed" stroke-width="2"/>'
        f'<text x="{lx + 12}" y="{y + 4}">关系 relation</text>'
        f'<line x1="{lx - 6}" y1="{y + 20}" x2="{lx + 8}" y2="{y + 20}" class="edge co" stroke-width="2"/>'
        f'<text x="{lx + 12}" y="{y + 24}">同句或同节 co-mention</text>'
    )
    out.append("</g></svg>")
    if standalone:
        style = "<style>.edge.typed{stroke:#555}.edge.co{stroke:#bbb;stroke-dasharray:4 3}</style>"
        out.insert(1, style)
    return "\n".join(out)


_CSS = """
body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px}
#info{min-height:1.4em;font-size:13px;color:#333;margin:4px 0 8px}
.edge.typed{stroke:#555}
.edge.co{stroke:#bbb;stroke-dasharray:4 3}
.node{cursor:pointer}
svg.focus .node,svg.focus .edge{opacity:.15}
svg.focus .node.on,svg.focus .edge.on{opacity:1}
"""

_JS = """
(function(){
  var svg=document.getElementById('graph'), info=document.getElementById('info');
  var edges=svg.querySelectorAll('.edge[data-a]');
  svg.querySelectorAll('.node').forEach(function(g){
    g.addEventListener('mouseenter',function(){
      var on={}; on[g.id]=1;
      (g.getAttribute('data-nb')||'').split(' ').forEach(function(n){if(n)on[n]=1;});
      svg.classList.add('focus');
      svg.querySelectorAll('.node').forEach(function(o){o.classList.toggle('on',!!on[o.id]);});
      edges.forEach(function(e){var a=e.getAttribute('data-a'),b=e.getAttribute('data-b');
        e.classList.toggle('on',a===g.id||b===g.id);});
      info.textContent=g.getAttribute('data-tip');
    });
    g.addEventListener('mouseleave',function(){svg.classList.remove('focus');info.textContent='';});
  });
})();
"""


def _page(G: nx.Graph, svg: str, title: str) -> str:
    e = html.escape
    return (
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{e(title)}</h1>\n"
        f"<div>{G.number_of_nodes()} entities · {G.number_of_edges()} links — hover a node to see its neighbours</div>\n"
        "<div id=\"info\"></div>\n"
        f"{svg}\n<script>{_JS}</script>\n</body>\n</html>\n"
    )


def _png(G: nx.Graph, pos, centre: str | None, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # CJK labels need a CJK font; use the first one installed, if any.
    cjk = [f.name for f in font_manager.fontManager.ttflist if any(k in f.name for k in ("CJK", "Hei", "Song", "Ming", "WenQuanYi", "PingFang"))]
    if cjk:
        plt.rcParams["font.sans-serif"] = sorted(set(cjk)) + plt.rcParams["font.sans-serif"]
    S = _simple(G)
    fig, ax = plt.subplots(figsize=(_W / 100, _H / 100), dpi=100)
    ax.set_xlim(0, _W)
    ax.set_ylim(_H, 0)
    ax.axis("off")
    ax.set_title(title)
    for u, v, d in S.edges(data=True):
        typed = any(p not in (CO_MENTION, ABOUT) for p in d["predicates"])
        (x1, y1), (x2, y2) = pos[u], pos[v]
        ax.plot([x1, x2], [y1, y2], color="#555" if typed else "#bbb", linestyle="-" if typed else "--",
                linewidth=0.6 + min(3.0, 0.6 * d["weight"]), zorder=1)
    for n in sorted(S.nodes):
        x, y = pos[n]
        d = G.nodes[n]
        ax.scatter([x], [y], s=(_radius(S.degree(n)) * 2) ** 2, color=CLASS_COLOURS.get(d.get("cls", ""), "#777"),
                   edgecolors="#000" if n == centre else "#fff", linewidths=2 if n == centre else 1, zorder=2)
        ax.text(x + _radius(S.degree(n)) + 3, y + 4, d.get("label", n), fontsize=8, zorder=3)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS[c], label=f"{_CLASS_ZH[c]} {c}")
               for c in CLASS_COLOURS if any(d.get("cls") == c for _, d in G.nodes(data=True))]
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)

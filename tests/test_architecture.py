"""The package's shape: one installed namespace, stages that depend downward only.

Layers, bottom to top: ``yanbao.core`` (records, errors, settings, home, cache),
``yanbao.corpus``, ``yanbao.kg``, ``yanbao.retrieval``, then the library layer
(``yanbao.library``, ``yanbao.contract``), the HTTP service and the CLI.  Every
import (top level or inside a function) must point to a lower layer or stay in
its own package, and no two modules may import each other, even indirectly.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "corpus", "kg", "retrieval")
LAYERS = {
    "yanbao.core": 0,
    "yanbao.corpus": 1,
    "yanbao.kg": 2,
    "yanbao.retrieval": 3,
    "yanbao.library": 4,
    "yanbao.contract": 4,
    "yanbao.evaluation": 5,  # runs the library on evaluation sets; only the CLI uses it
    "yanbao.service": 5,
    "yanbao.cli": 6,
    "yanbao": 7,  # the package's __init__: the public API re-exports
}


def _modules() -> dict[str, Path]:
    out = {}
    files = [ROOT / f for f in os.listdir(ROOT) if f.endswith(".py")]
    for pkg in PACKAGES:
        files += sorted((ROOT / pkg).rglob("*.py"))
    for path in files:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["yanbao", *parts])] = path
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    is_pkg = path.name == "__init__.py"
    deps: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        deps.update(c for c in candidates if c in known and c != name)
    return deps


def _layer(module: str) -> str:
    return next(k for k in sorted(LAYERS, key=len, reverse=True) if module == k or module.startswith(k + "."))


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        g.add_edges_from((name, dep) for dep in _imports(name, path, mods))
    return g


def test_the_import_graph_was_read(graph):
    # The checks below are only as good as the graph: it must see real edges.
    assert graph.number_of_nodes() > 40
    assert ("yanbao.retrieval.answer", "yanbao.retrieval.index") in graph.edges
    assert ("yanbao.library", "yanbao.core.home") in graph.edges


def test_no_import_cycles(graph):
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_stages_depend_downward_only(graph):
    upward = [
        (a, b) for a, b in graph.edges
        if _layer(a) != _layer(b) and LAYERS[_layer(b)] >= LAYERS[_layer(a)]
    ]
    assert upward == [], f"imports that point up or sideways between layers: {upward}"


def test_no_bare_stage_imports_anywhere():
    """Tests and benchmarks use the installed names too (``yanbao.corpus``, never ``corpus``)."""
    bad = []
    for path in [*ROOT.glob("*.py"), *(p for d in (*PACKAGES, "tests", "bench") for p in (ROOT / d).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else []
            )
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in {*PACKAGES, "cli", "library", "service"}]
    assert bad == []


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory) -> Path:
    """A new virtual environment holding only the built wheel (dependencies borrowed
    read-only from this environment's site-packages, which has no ``yanbao`` files:
    the editable install is a path finder that a plain ``.pth`` line does not run)."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(tmp.glob("yanbao-*.whl"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)  # a pure-Python wheel installs by unpacking
    import sysconfig

    (Path(site) / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


def _run(py: Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([py, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_wheel_installs_one_namespace(clean_venv, tmp_path):
    ok = _run(clean_venv, "import yanbao, yanbao.corpus, yanbao.kg, yanbao.retrieval, yanbao.cli; "
                          "print(yanbao.corpus.sample_paths()[0].name)", tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "000_fb266df941e8ceb3.txt"  # package data travels with the wheel
    for bare in ("corpus", "kg", "retrieval", "cli", "core", "library"):
        r = _run(clean_venv, f"import {bare}", tmp_path)
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, bare


def test_the_wheel_lists_only_yanbao(clean_venv):
    site = clean_venv.parent.parent / "lib"
    top = {p.name for p in next(site.glob("python3*/site-packages")).iterdir()}
    assert {t for t in top if not t.endswith((".dist-info", ".pth"))} == {"yanbao"}
    entry = next(next(site.glob("python3*/site-packages")).glob("yanbao-*.dist-info")) / "entry_points.txt"
    assert "yanbao = yanbao.cli:app" in entry.read_text()


def test_the_wheel_answers_a_question(clean_venv, tmp_path):
    code = (
        "import sys; from yanbao.cli import app; "
        f"sys.argv = ['yanbao', '--home', {str(tmp_path / 'home')!r}, 'ask', '催收行業面臨哪些監管挑戰？', "
        "'--json', '--embedder', 'hashing']; app()"
    )
    r = _run(clean_venv, code, tmp_path)
    assert r.returncode == 0, r.stderr
    import json

    answer = json.loads(r.stdout)
    assert not answer["abstained"] and answer["evidence"][0]["report_title"].startswith("2026年消費金融催收")

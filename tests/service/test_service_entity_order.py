"""`GET /entities` and `yanbao graph entities --by mentions` list the same entities in the
same order with the same counts (most mentioned first); `--by pagerank` (the CLI's
default) ranks by centrality instead."""

from __future__ import annotations

import json
import os
import shutil

from typer.testing import CliRunner
from yanbao.cli import app

from .conftest import run_server


def _cli(home, *args: str):
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}
    res = CliRunner().invoke(app, ["graph", "entities", "--json", "--home", str(home), *args], env=env)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    return json.loads(res.stdout)["entities"]


def test_cli_by_mentions_agrees_with_the_service(template_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    by_mentions = _cli(home, "--by", "mentions", "--limit", "5000")
    drivers = _cli(home, "--by", "mentions", "--type", "Driver")
    by_pagerank = _cli(home, "--limit", "5000")
    with run_server(home, tmp_path / "server.log") as client:
        served = client.get("/entities?limit=5000").json()["entities"]
        served_drivers = client.get("/entities?type=Driver").json()["entities"]
    assert len(served) >= 40
    key = lambda rows: [(r["label"], r["mentions"]) for r in rows]
    assert key(by_mentions) == key(served)
    assert key(drivers) == key(served_drivers)
    assert [r["mentions"] for r in by_mentions] == sorted((r["mentions"] for r in by_mentions), reverse=True)
    # the default order is another one: PageRank scores, best first
    assert {r["id"] for r in by_pagerank} == {r["id"] for r in by_mentions}
    assert [r["id"] for r in by_pagerank] != [r["id"] for r in by_mentions]
    assert [r["score"] for r in by_pagerank] == sorted((r["score"] for r in by_pagerank), reverse=True)


def test_unknown_order_is_one_line(template_home):
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}
    res = CliRunner().invoke(app, ["--home", str(template_home), "graph", "entities", "--by", "degree"], env=env)
    assert res.exit_code == 2
    assert res.stderr.strip() == "yanbao: error: unknown order --by 'degree'; valid: pagerank, mentions"

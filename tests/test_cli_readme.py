"""The README's commands match the CLI: every ``yanbao ...`` it shows (command table,
inline code, shell blocks) names a real command, and every flag it names is an option of
that command; every command of the CLI is in the table.  Then the documented commands and
flags no other test runs: ``show``, ``remove``, the interactive prompt, ``--model``."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner
from yanbao.cli import app
from yanbao.core.settings import load_settings
from yanbao.library import Library

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI = typer.main.get_command(app)
SPAN = re.compile(r"`([^`\n]+)`")
QUESTION = "催收行業面臨哪些監管挑戰？"


def _section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 4)
    return README[start : end if end > 0 else None]


def _tokens(text: str) -> list[str]:
    text = text.replace("\\|", "|").replace("[", " ").replace("]", " ")
    return shlex.split(text)


class _Help:
    is_flag = True


def _option(node, name: str):
    if name == "--help":  # click adds it to every command and group
        return _Help
    for p in node.params:
        if name in (*p.opts, *p.secondary_opts):
            return p
    return None


def _walk(tokens: list[str], node=CLI, where: str = "", path: list | None = None):
    """Follow ``tokens`` down the command tree; fail on an unknown command or option."""
    path = [node.name] if path is None else path
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("-") and tok not in ("-",):
            opt = _option(node, tok.split("=")[0])
            assert opt is not None, f"README `{where}`: {tok} is not an option of `{' '.join(path)}`"
            if not opt.is_flag and "=" not in tok:
                i += 1  # its value
        elif hasattr(node, "commands"):
            assert tok in node.commands, f"README `{where}`: no command `{tok}` under `{' '.join(path)}`"
            node = node.commands[tok]
            path.append(tok)
        i += 1
    return node


def _readme_commands() -> list[str]:
    """Every `yanbao ...` in inline code and in shell blocks."""
    found = [s for s in SPAN.findall(README) if s.startswith("yanbao ") or s == "yanbao"]
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL):
        if lang not in ("", "bash", "sh"):
            continue
        for line in body.splitlines():
            line = line.split("  #")[0]
            for part in re.split(r"&&|;|\|\|", line):
                part = part.strip()
                if part.startswith("yanbao "):
                    found.append(part)
    return found


def _leaves(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _leaves(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_the_readme_shows_commands():
    assert len(_readme_commands()) >= 30


@pytest.mark.parametrize("shown", sorted(set(_readme_commands())))
def test_every_command_the_readme_shows_exists(shown):
    _walk(_tokens(shown)[1:], where=shown)


def test_every_flag_in_the_command_table_belongs_to_its_command():
    rows = [line for line in _section("Commands").splitlines() if line.startswith("| `yanbao ")]
    assert len(rows) >= 17
    for row in rows:
        first, *rest = SPAN.findall(row.replace("\\|", "\x00"))
        first = first.replace("\x00", "|")
        node = _walk(_tokens(first)[1:], where=first)
        assert not hasattr(node, "commands"), f"README row `{first}` names a group, not a command"
        for span in rest:
            span = span.replace("\x00", "|")
            if span.startswith("-"):
                _walk(_tokens(span), node=node, where=f"{first} … {span}")


def test_every_cli_command_is_in_the_table():
    table = set()
    for line in _section("Commands").splitlines():
        if line.startswith("| `yanbao "):
            path: list = []
            _walk(_tokens(SPAN.findall(line.replace("\\|", "|"))[0])[1:], path=path)
            table.add(tuple(path))
    for path, _ in _leaves(CLI):
        assert path in table, f"`yanbao {' '.join(path)}` is not in the README's command table"


def test_the_options_every_command_takes():
    para = _section("Commands").split("\n\n")[1]
    assert para.startswith("Every command takes")
    flags = [s.split()[0] for s in SPAN.findall(para) if s.startswith("--")]
    assert set(flags) >= {"--home", "--config", "--store", "--no-sample", "--json"}
    for path, cmd in _leaves(CLI):
        for flag in flags:
            if flag != "--json":  # "data commands take --json"
                assert _option(cmd, flag) is not None, (path, flag)


def test_flags_named_in_the_settings_and_service_sections_exist():
    every = {o for _, cmd in _leaves(CLI) for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
    for title in ("Settings", "The hotline: Python API, HTTP service, batch"):
        for span in SPAN.findall(_section(title)):
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", span):
                assert flag in every, f"README §{title}: `{span}`: no command takes {flag}"


def test_every_setting_in_the_table_is_a_setting():
    from dataclasses import fields

    from yanbao.core.settings import Settings

    names = {f.name for f in fields(Settings)}
    rows = re.findall(r"^\| `(\w+)` \|", _section("Settings"), flags=re.MULTILINE)
    assert len(rows) >= 10
    for name in rows:
        assert name in names, name


# ------------------------------------------- documented, exercised here ---


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("readme") / "home"
    Library(load_settings({"home": home, "embedder": "hashing"}, env={})).ensure_initialised()
    return home


def run(home, *args: str, input: str | None = None):
    env = {k: None for k in os.environ if k.startswith("YANBAO_")}
    env["YANBAO_EMBEDDER"] = "hashing"
    return CliRunner().invoke(app, ["--home", str(home), *args], env=env, input=input)


def test_show_by_id_prefix_and_title(sample_home):
    report = json.loads(run(sample_home, "show", "97ee", "--json").stdout)
    assert report["id"].startswith("97ee") and report["sentences"]
    for ref in (report["id"], report["title"]):
        assert json.loads(run(sample_home, "show", ref, "--json").stdout)["id"] == report["id"]
    outline = run(sample_home, "show", "97ee")
    assert outline.exit_code == 0 and f"{len(report['sections'])} sections" in outline.stdout
    assert "sidebar questions" in outline.stdout and "related reports" in outline.stdout
    first = report["sentences"][0]
    with_sentences = run(sample_home, "show", "97ee", "--sentences")
    assert f"{first['start']}-{first['end']}" in with_sentences.stdout
    assert f"{first['start']}-{first['end']}" not in outline.stdout
    missing = run(sample_home, "show", "nope")
    assert missing.exit_code == 2 and missing.stderr.startswith("yanbao: error:") and len(missing.stderr.splitlines()) == 1


def test_show_sentences_lists_those_above_every_heading(sample_home, tmp_path):
    """A report without headings (dev 14 is one line of prose) still lists every sentence."""
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    text = "储能行业观察\n\n头部企业的份额继续提升。二三线企业加速出清。\n\n一、价格\n\n储能电池价格继续下行。\n"
    (tmp_path / "flat.txt").write_text(text, encoding="utf-8")
    added = json.loads(run(home, "ingest", str(tmp_path / "flat.txt"), "--json").stdout)["outcomes"][0]
    report = json.loads(run(home, "show", added["report_id"], "--json").stdout)
    shown = run(home, "show", added["report_id"], "--sentences")
    assert shown.exit_code == 0
    assert "1 section, 3 sentences (2 above every heading)" in shown.stdout
    for sent in report["sentences"]:
        assert f"{sent['start']}-{sent['end']}" in shown.stdout, sent["text"]


def test_remove_through_the_cli(sample_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    removed = json.loads(run(home, "remove", "97ee", "--json").stdout)["removed"]
    assert removed["title"].startswith("2026年消費金融催收")
    assert json.loads(run(home, "reports", "--json").stdout)["reports"] == []  # not seeded again
    assert run(home, "remove", "97ee").exit_code == 2


def test_interactive_prompt(sample_home):
    res = run(sample_home, "ask", input=f":reports\n{QUESTION}\n\n:quit\n")
    assert res.exit_code == 0, res.output
    assert "97ee383938cae498" in res.stdout  # :reports
    assert "confidence" in res.stdout  # the answer panel
    eof = run(sample_home, "ask", input="")  # end of input leaves too
    assert eof.exit_code == 0


def test_model_reaches_the_sentence_transformers_backend(sample_home, tmp_path):
    missing = tmp_path / "no-such-model"
    for args in (("ask", QUESTION, "--json"), ("reindex",)):
        res = run(sample_home, *args, "--embedder", "sentence-transformers", "--model", str(missing))
        assert res.exit_code == 2, res.output
        (line,) = res.stderr.splitlines()
        assert line.startswith("yanbao: error: ") and str(missing) in line


def test_ingest_a_folder_skips_its_readme_and_excluded_files(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "README.md").write_text("# 本文件夹\n\n收录的行业报告说明。\n", encoding="utf-8")
    (folder / "expected.md").write_text("# 预期\n\n每份报告应有标题。\n", encoding="utf-8")
    (folder / "storage.txt").write_text(
        "储能行业观察\n\n一、装机\n\n今年上半年国内新型储能新增装机同比增长超过八成。\n", encoding="utf-8"
    )
    home = tmp_path / "home"
    result = run(home, "ingest", str(folder), "--exclude", "expected.md", "--no-sample", "--json")
    assert result.exit_code == 0, result.output
    by_name = {Path(o["path"]).name: o for o in json.loads(result.stdout)["outcomes"]}
    assert by_name["storage.txt"]["status"] == "added"
    assert by_name["README.md"]["status"] == "skipped" and "documentation" in by_name["README.md"]["reason"]
    assert by_name["expected.md"]["status"] == "skipped" and "--exclude" in by_name["expected.md"]["reason"]
    # Only skipped files: nothing could be ingested, exit 1.
    assert run(home, "ingest", str(folder / "README.md"), "--exclude", "*.md").exit_code == 1

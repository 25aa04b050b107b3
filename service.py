"""The HTTP service for the expert-question hotline (FastAPI; ``yanbao serve``).

Endpoints (JSON; errors are ``{"error": {"type", "message"}}`` with a 4xx/5xx status):

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

# No "from __future__ import annotations": FastAPI reads the request models from
# the annotations of the endpoint functions, which are defined inside create_app().

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
from pathlib import Path
from typing import Optional

from .core.errors import (
    EmptyInputError,
    InputError,
    LockedError,
    NotFoundError,
    OversizeInputError,
    QueryError,
    StoreError,
    UnsupportedTypeError,
    YanbaoError,
)
from .library import Library
from .core.records import to_dict

__all__ = ["create_app", "MAX_JSON_BYTES", "MAX_BATCH"]

MAX_JSON_BYTES = 1024 * 1024
MAX_BATCH = 200
SPARQL_WORKERS = 2
_DRAIN_MAX_BYTES = 64 * 1024 * 1024  # an oversize body up to this is read before the 413...
_DRAIN_MAX_SECONDS = 2.0  # ...unless it takes longer than this (a client lying about its length)
_WORKER_START_TIMEOUT_S = 120.0
_SAFE_NAME_RE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def _status_for(exc: YanbaoError) -> int:
    if isinstance(exc, OversizeInputError):
        return 413
    if isinstance(exc, UnsupportedTypeError):
        return 415
    if isinstance(exc, (InputError, QueryError)):
        return 400
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, LockedError):
        return 409
    return 500


def create_app(library: Library):
    """Build the FastAPI app around an opened :class:`Library`."""
    from .contract import triage_json  # one definition of the JSON contract, shared with the CLI
    from fastapi import Depends, File, Header, Query, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse
    from pydantic import BaseModel, Field

    try:
        from fastapi_offline import FastAPIOffline as FastAPI  # Swagger UI assets shipped in the package
    except ImportError:  # pragma: no cover - the serve extra installs it
        from fastapi import FastAPI

    settings = library.settings
    write_lock = threading.Lock()
    library.answerer()  # load the index before the first request
    sparql_workers = _SparqlWorkers(settings, size=SPARQL_WORKERS)

    app = FastAPI(
        title="yanbao",
        version="0.1.0",
        description="Cited answers and a knowledge graph over industry research reports (offline, no LLM).",
    )

    class AskRequest(BaseModel):
        question: str = Field(..., min_length=1, max_length=2000)
        region: str = Field("", max_length=20)
        id: Optional[str] = Field(None, max_length=200)
        top_k: Optional[int] = Field(None, ge=1, le=50)

    class BatchRequest(BaseModel):
        questions: list[AskRequest] = Field(..., min_length=1, max_length=MAX_BATCH)

    class SparqlRequest(BaseModel):
        query: str = Field(..., min_length=1, max_length=100_000)

    def error(status: int, kind: str, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}})

    @app.exception_handler(YanbaoError)
    async def _yanbao_error(_: Request, exc: YanbaoError):
        return error(_status_for(exc), type(exc).__name__, " ".join(str(exc).split()))

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException):
        resp = error(exc.status_code, "HTTPError", str(exc.detail))
        for key, value in (exc.headers or {}).items():
            resp.headers[key] = value
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
        return error(422, "ValidationError", "; ".join(parts))

    @app.middleware("http")
    async def _limit_size(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = settings.max_bytes + 64 * 1024 if request.url.path == "/reports" else MAX_JSON_BYTES
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return error(400, "InputError", "invalid Content-Length")
            if too_big:
                if int(length) <= _DRAIN_MAX_BYTES:
                    # Read (and drop) the body first, for a few seconds at most: answering
                    # before it is read makes the server close the connection under a client
                    # still sending, which then sees a broken pipe instead of this 413.
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(_drain(request), _DRAIN_MAX_SECONDS)
                return error(413, "OversizeInputError", f"request body over the {limit} byte limit")
        return await call_next(request)

    def require_token(authorization: str = Header("", alias="Authorization")) -> None:
        if not settings.token:
            raise _Forbidden("writes are disabled: the operator has not set a token (YANBAO_TOKEN)")
        if not hmac.compare_digest(authorization.encode(), f"Bearer {settings.token}".encode()):
            raise _Unauthorized("a valid bearer token is required for this request")

    class _Unauthorized(Exception):
        pass

    class _Forbidden(Exception):
        pass

    @app.exception_handler(_Unauthorized)
    async def _unauth(_: Request, exc: _Unauthorized):
        resp = error(401, "Unauthorized", str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(_Forbidden)
    async def _forbidden(_: Request, exc: _Forbidden):
        return error(403, "Forbidden", str(exc))

    # ----------------------------------------------------------- answers
    @app.get("/health")
    def health() -> dict:
        """Liveness and what is loaded."""
        index = library.answerer().index
        return {"status": "ok", "reports": len(index.reports), "units": len(index.units), "model": index.meta["model"]}

    @app.post("/ask")
    def ask(req: AskRequest) -> dict:
        """Answer one question: the `ask --json` contract plus triage fields."""
        return triage_json(library.triage(req.question, region=req.region, qid=req.id, top_k=req.top_k))

    @app.post("/ask/batch")
    def ask_batch(req: BatchRequest) -> dict:
        """Answer many questions, in order."""
        return {
            "results": [
                triage_json(library.triage(q.question, region=q.region, qid=q.id, top_k=q.top_k))
                for q in req.questions
            ]
        }

    # ----------------------------------------------------------- reports
    @app.get("/reports")
    def reports() -> dict:
        """Ingested reports."""
        return {"reports": to_dict(library.reports())}

    @app.get("/reports/{report_id}")
    def report(report_id: str) -> dict:
        """One report: title, source, outline with sentence counts, sidebar questions, related reports."""
        r = library.report(report_id)
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

    @app.post("/reports", dependencies=[Depends(require_token)], status_code=201)
    def upload(file: UploadFile = File(...)) -> dict:
        """Upload one report file (.txt .md .html .pdf .docx) and ingest it."""
        name = _SAFE_NAME_RE.sub("_", Path(file.filename or "upload").name).lstrip(".") or "upload"
        from yanbao.corpus.loaders import SUPPORTED_SUFFIXES

        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UnsupportedTypeError(f"{name}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        uploads = library.home.root / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=uploads, prefix=".upload-", delete=False) as tmp:
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
        digest = hashlib.sha256(Path(tmp.name).read_bytes()).hexdigest()[:16]
        # Named by content: two different files both called notes.txt are two reports,
        # and a refused upload never touches another upload's file.
        target = uploads / f"{digest}-{name}"
        with write_lock:
            shutil.move(tmp.name, target)
            try:
                outcome = library.ingest([str(target)])[0]
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            library.reload()
        if outcome.status == "refused":
            target.unlink(missing_ok=True)
            raise InputError(outcome.reason.replace(str(target), name))
        if outcome.status == "unchanged":
            target.unlink(missing_ok=True)  # the report is already there, from another file
        return {"outcome": to_dict(outcome)}

    @app.delete("/reports/{report_id}", dependencies=[Depends(require_token)])
    def delete(report_id: str) -> dict:
        """Remove a report, its graph and its index entries."""
        with write_lock:
            entry = library.remove(report_id, exact=True)  # over HTTP, never by prefix or title
            library.reload()
        return {"removed": to_dict(entry)}

    # ---------------------------------------------------------- entities
    @app.get("/entities")
    def entities(type: Optional[str] = Query(None), limit: int = Query(200, ge=1, le=5000)) -> dict:
        """Entities of the knowledge graph, optionally of one class."""
        from yanbao.kg.vocab import ENTITY_CLASSES

        if type is not None and type not in ENTITY_CLASSES:
            raise InputError(f"unknown entity type {type!r}; valid: {', '.join(ENTITY_CLASSES)}")
        index = library.answerer().index
        rows = [
            {"id": e["id"], "type": e["cls"], "label": e["label"], "reports": e["reports"],
             "mentions": len(index.units_by_entity.get(e["id"], ()))}
            for e in index.entities.values()
            if type is None or e["cls"] == type
        ]
        rows.sort(key=lambda r: (-r["mentions"], r["label"]))
        return {"entities": rows[:limit], "total": len(rows)}

    @app.get("/entities/{entity_id}")
    def entity(entity_id: str) -> dict:
        """One entity: labels, the claims that mention it (with citations), its neighbours."""
        index = library.answerer().index
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

    @app.get("/questions")
    def questions(source: str = Query("asked"), uncovered: bool = Query(False)) -> dict:
        """Questions asked (``source=asked``) or the web pages' sidebar questions (``source=sidebar``)."""
        return {"questions": to_dict(library.questions(uncovered=uncovered, source=source))}

    # ------------------------------------------------------------ sparql
    @app.post("/sparql")
    def sparql(req: SparqlRequest):
        """Read-only SPARQL (SELECT/ASK/CONSTRUCT/DESCRIBE) with a time and a row limit."""
        from yanbao.kg.store import check_read_only_query

        check_read_only_query(req.query)
        try:
            body = sparql_workers.run(req.query, settings.sparql_timeout_s, settings.sparql_max_rows)
        except _QueryTimeout:
            return error(504, "QueryError", f"query cut off after {settings.sparql_timeout_s:g} s (the time limit)")
        except _WorkersBusy:
            resp = error(503, "Busy", "every SPARQL worker is busy with another query; try again shortly")
            resp.headers["Retry-After"] = "1"
            return resp
        if isinstance(body, str):
            return PlainTextResponse(body, media_type="application/n-triples")
        return JSONResponse(body, media_type="application/sparql-results+json")

    return app


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
            QueryError, StoreError: the query failed.  _QueryTimeout: over ``timeout``
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
        raise (QueryError if kind in ("QueryError", "InputError") else StoreError)(message)

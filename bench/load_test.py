"""A bounded load test of the HTTP service: N clients asking for T seconds.

It starts its own ``yanbao serve`` on 127.0.0.1 (a free port, a fresh home
with the bundled sample, or a copy of ``--home``), runs ``--clients`` threads
that POST ``/ask`` back to back until ``--duration`` seconds have passed, and
optionally uploads generated reports (``POST /reports``) during the middle of
the run, so an ingest runs part of the time.  The client is the standard
library only (``urllib``, no proxy).  It stops by itself, stops the server,
and prints the figures:

    python bench/load_test.py --clients 16 --duration 60 --uploads 3

An error is any answer that is not 200 (201 for an upload), or no answer at all.
The exit status is 1 when there was any error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "load-test-token"
MAX_CLIENTS = 64
MAX_DURATION_S = 600.0
START_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 60.0

QUESTIONS = [
    "催收行業面臨哪些監管挑戰？",
    "江西用戶提問：消費金融催收行業的發展趨勢如何？",
    "催收机构如何借助科技破局？",
    "大數據和人工智能在催收中有什麼應用？",
    "稀土行業發展現狀如何?",
    "咖啡連鎖品牌的擴張策略是什麼？",
    "動力電池行業的技術迭代方向",
    "北京用戶提問：半導體設備國產化面臨哪些瓶頸？",
]

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    """One HTTP request; returns ``(status, body)``; raises OSError when there is no answer."""
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one ``file`` part."""
    boundary = "----yanbao-load-" + uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode("utf-8")
    return head + content + f"\r\n--{boundary}--\r\n".encode("ascii"), f"multipart/form-data; boundary={boundary}"


class Server:
    """``yanbao serve`` in a subprocess on 127.0.0.1; a context manager that always stops it."""

    def __init__(self, home: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.home, self.log_path, self.port = home, log, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("YANBAO_")}
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        cmd = [sys.executable, "-m", "yanbao.cli", "--home", str(self.home), "serve",
               "--host", "127.0.0.1", "--port", str(self.port), "--token", TOKEN]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if request(self.base, "GET", "/health", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the server did not answer /health in {START_TIMEOUT_S:g} s: {self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def run_load(base: str, clients: int, duration: float, upload_files: list[Path] | None = None,
             token: str = TOKEN) -> dict:
    """Run ``clients`` askers for ``duration`` seconds against ``base``; upload ``upload_files``
    one after another starting a third of the way in.  Returns the figures as a dict."""
    clients = max(1, min(clients, MAX_CLIENTS))
    duration = max(0.1, min(duration, MAX_DURATION_S))
    start = time.monotonic()
    deadline = start + duration
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    uploads: list[dict] = []
    during_upload = [0]
    uploading = threading.Event()

    def asker(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            q = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            body = json.dumps({"question": q, "id": f"c{n}-{i}"}, ensure_ascii=False).encode("utf-8")
            t0 = time.monotonic()
            try:
                status, data = request(base, "POST", "/ask", body, {"Content-Type": "application/json"})
                ok = status == 200 and "evidence" in json.loads(data)
                why = "" if ok else f"/ask {status}: {data[:200]!r}"
            except (OSError, ValueError) as exc:
                ok, why = False, f"/ask {type(exc).__name__}: {exc}"
            elapsed = time.monotonic() - t0
            with lock:
                latencies.append(elapsed)
                if uploading.is_set():
                    during_upload[0] += 1
                if not ok:
                    errors.append(why)

    def uploader() -> None:
        time.sleep(duration / 3)
        for path in upload_files or []:
            if time.monotonic() > deadline - 0.5:
                break
            body, ctype = multipart(path.name, path.read_bytes())
            t0 = time.monotonic()
            uploading.set()
            try:
                status, data = request(base, "POST", "/reports", body,
                                       {"Content-Type": ctype, "Authorization": f"Bearer {token}"},
                                       timeout=max(REQUEST_TIMEOUT_S, duration))
                outcome = json.loads(data).get("outcome", {}) if status == 201 else {}
                why = "" if status == 201 else f"upload {status}: {data[:200]!r}"
            except (OSError, ValueError) as exc:
                status, outcome, why = 0, {}, f"upload {type(exc).__name__}: {exc}"
            finally:
                uploading.clear()
            with lock:
                uploads.append({"file": path.name, "status": status, "outcome": outcome.get("status", ""),
                                "seconds": round(time.monotonic() - t0, 2)})
                if why:
                    errors.append(why)

    threads = [threading.Thread(target=asker, args=(n,), daemon=True) for n in range(clients)]
    if upload_files:
        threads.append(threading.Thread(target=uploader, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + REQUEST_TIMEOUT_S * 2)
    wall = time.monotonic() - start
    lat = sorted(latencies)
    return {
        "clients": clients, "duration_s": round(wall, 1), "requests": len(lat), "errors": len(errors),
        "error_samples": errors[:5], "throughput_rps": round(len(lat) / wall, 1) if wall else 0.0,
        "p50_ms": round(_percentile(lat, 0.50) * 1000), "p95_ms": round(_percentile(lat, 0.95) * 1000),
        "p99_ms": round(_percentile(lat, 0.99) * 1000), "max_ms": round((lat[-1] if lat else 0) * 1000),
        "asks_during_uploads": during_upload[0], "uploads": uploads,
    }


def make_upload_files(n: int, folder: Path, seed: int = 1234) -> list[Path]:
    """``n`` generated report variants (``bench/generate.py``) to upload."""
    if n <= 0:
        return []
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    return generate(n, folder, seed=seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help=f"concurrent askers (at most {MAX_CLIENTS})")
    parser.add_argument("--duration", type=float, default=60.0, help=f"seconds of load (at most {MAX_DURATION_S:g})")
    parser.add_argument("--uploads", type=int, default=2, help="generated reports uploaded during the run")
    parser.add_argument("--home", type=Path, help="a home to copy and serve (default: a fresh one with the sample)")
    parser.add_argument("--embedder", help="YANBAO_EMBEDDER for the server (default: the default model)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    env = {"YANBAO_EMBEDDER": args.embedder} if args.embedder else {}
    with tempfile.TemporaryDirectory(prefix="yanbao-load-") as tmp:
        tmpdir = Path(tmp)
        home = tmpdir / "home"
        if args.home:
            shutil.copytree(args.home, home, ignore=shutil.ignore_patterns(".lock"))
        files = make_upload_files(args.uploads, tmpdir / "uploads")
        t0 = time.monotonic()
        with Server(home, tmpdir / "server.log", env) as server:
            started = time.monotonic() - t0
            figures = run_load(server.base, args.clients, args.duration, files)
        figures["server_start_s"] = round(started, 1)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"clients {figures['clients']}, {figures['duration_s']} s, {figures['requests']} requests "
              f"({figures['throughput_rps']}/s), {figures['errors']} errors")
        print(f"latency p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
              f"max {figures['max_ms']} ms")
        for u in figures["uploads"]:
            print(f"upload {u['file']}: {u['status']} {u['outcome']} in {u['seconds']} s")
        print(f"asks answered while an upload was being ingested: {figures['asks_during_uploads']}")
        for e in figures["error_samples"]:
            print("error:", e)
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""The service under test, as in production on one machine: gunicorn on a free loopback port
and a Celery worker for reports, both against the benchmark's database, with a broker of
their own (the configured Redis, else a private redis-server, else a private folder of the
file-system broker) and, with a private redis-server, the throttling counters in it as
production keeps them (CACHE_URL). Started and stopped by the benchmark, never left running."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    url: str
    broker: str
    folder: Path


def _environment(database_url: str, broker_env: dict[str, str], media: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        DJANGO_SETTINGS_MODULE="registry.settings.base",
        DATABASE_URL=database_url,
        DEBUG="0",
        MEDIA_ROOT=str(media),
        # Each reader has a token of its own; the per-token limit (1,200/minute by default)
        # would cut a 30 s load short. Counting still runs on every request.
        THROTTLE_RATE_USER="1000000/minute",
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        **broker_env,
    )
    return env


@contextlib.contextmanager
def _broker(folder: Path) -> Iterator[tuple[str, dict[str, str]]]:
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if configured:
        yield configured, {"CELERY_BROKER_URL": configured}
        return
    server = shutil.which("redis-server")
    if server is None:
        queue = folder / "broker"
        yield "filesystem (polled every second)", {"CELERY_BROKER_FOLDER": str(queue)}
        return
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.05)
        env = {"CELERY_BROKER_URL": url}
        if not os.environ.get("CACHE_URL"):
            # The throttling counters in Redis, as production requires (registry/settings).
            env["CACHE_URL"] = f"redis://127.0.0.1:{port}/1"
        yield f"private redis-server :{port} (broker and cache)", env
    finally:
        process.terminate()
        process.wait(timeout=10)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def service(database_url: str, *, workers: int, log_dir: Path | None = None) -> Iterator[Service]:
    """gunicorn (``workers`` sync workers) and one Celery worker, until the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    log_dir = log_dir or folder
    with _broker(folder) as (broker, broker_env):
        env = _environment(database_url, broker_env, folder / "media")
        port = free_port()
        web_log = (log_dir / "gunicorn.log").open("wb")
        worker_log = (log_dir / "celery.log").open("wb")
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "120", "--graceful-timeout", "10"],
            cwd=PROJECT_DIR, env=env, stdout=web_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "registry", "worker", "-Q", "default,reports",
             "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=PROJECT_DIR, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, web, log_dir / "gunicorn.log")
            yield Service(url=url, broker=broker, folder=folder)
        finally:
            _stop(web)
            _stop(worker)
            web_log.close()
            worker_log.close()
    shutil.rmtree(folder, ignore_errors=True)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            urllib.request.urlopen(url + "/api/v1/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401 without a token: it is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s")

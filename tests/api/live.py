"""A live gunicorn serving the project over HTTP against the pytest test database.

For tests that need a real server: the generated client, the docs pages in Chromium, the
curl examples of docs/api.md. The server starts once per session, on a free loopback port,
with ``registry.settings.test`` and ``DATABASE_URL`` naming the test database, and stops when
the session ends.

A test using it must commit its data for the server to see it: use ``transactional_db`` (or
``@pytest.mark.django_db(transaction=True)``). Register the fixture in a test module with::

    pytest_plugins = ["tests.api.live"]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.api.processes import PROJECT_DIR, database_url, free_port, subprocess_env

START_TIMEOUT = 30.0
WORKERS = 2


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    log: Path
    database_url: str

    def get(self, path: str, *, token: str | None = None, timeout: float = 10.0) -> Reply:
        """GET ``path`` (starting with /), with a staff token if given; 4xx/5xx are returned,
        not raised."""
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_up(server: LiveServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
        try:
            # The API root answers 401 without a token: any HTTP answer means it is up.
            server.get("/api/v1/", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def live_gunicorn(django_db_setup, tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn serving registry.wsgi on a free loopback port, against the test database."""
    db_url = database_url(connection.settings_dict)
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="registry.settings.test",
        DATABASE_URL=db_url,
        # No persistent connections: nothing idles in the test database between requests
        # while pytest-django flushes it after each transactional test.
        CONN_MAX_AGE="0",
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "registry.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "60",
        "--access-logfile",
        "-",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", log=log, database_url=db_url)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

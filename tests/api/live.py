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

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
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
        return self.request("GET", path, token=token, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body=None,
        data: dict | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Reply:
        """Any method, with a JSON body (``json_body``) or a form (``data``); 4xx/5xx are
        returned, not raised."""
        body = None
        request = urllib.request.Request(self.url + path, method=method)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            request.add_header("Content-Type", "application/json")
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if token:
            request.add_header("Authorization", f"Token {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, data=body, timeout=timeout) as response:
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


@contextlib.contextmanager
def gunicorn(
    log: Path, *, db_url: str | None = None, workers: int = WORKERS, access_log: bool = True, **env: str
) -> Iterator[LiveServer]:
    """A gunicorn of its own (registry.settings.test) on a free loopback port, against
    ``db_url`` (default: the test database), with extra environment ``env``; stopped on exit."""
    db_url = db_url or database_url(connection.settings_dict)
    port = free_port()
    environment = subprocess_env(
        **{
            "DJANGO_SETTINGS_MODULE": "registry.settings.test",
            "DATABASE_URL": db_url,
            # No persistent connections (unless asked): nothing idles in the test database
            # between requests while pytest-django flushes it after each transactional test.
            "CONN_MAX_AGE": "0",
            **env,
        }
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "registry.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        *(["--access-logfile", "-"] if access_log else []),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT)
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


@pytest.fixture(scope="session")
def live_gunicorn(django_db_setup, tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn serving registry.wsgi on a free loopback port, against the test database."""
    with gunicorn(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log") as server:
        yield server

"""A Redis for tests that need one: the configured one (CACHE_URL, or the host of a Redis
CELERY_BROKER_URL with database 5), else a private redis-server on a free loopback port,
stopped at the end. Skips only when there is neither."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from tests.api.processes import free_port

TEST_DB = 5


def configured_redis() -> str | None:
    cache = os.environ.get("CACHE_URL", "")
    if cache.startswith("redis://"):
        return cache
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis://"):
        return urlunparse(urlparse(broker)._replace(path=f"/{TEST_DB}"))
    return None


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    configured = configured_redis()
    if configured:
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis configured (CACHE_URL, CELERY_BROKER_URL) and no redis-server to start")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/{TEST_DB}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)

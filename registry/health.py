"""Health checks for load balancers, and what the service answers when its database is gone.

``GET /healthz``: the process is alive and answers HTTP (no database, no broker touched): 200.
``GET /readyz``: the database answers ``SELECT 1`` and the Celery broker accepts a connection:
200, else 503. Both are JSON, ``{"status": "ok"|"unavailable", "checks": {…}}``.

They are answered by the first middleware, before the host check, the HTTPS redirect, sessions
and authentication, so a load balancer can probe a server by its address over plain HTTP;
they reveal nothing but up or down.

``server_error`` is the project's handler500: an unhandled exception outside the API's views
(a middleware, the admin) answers 503 when the database cannot be reached, and under /api/
in the API's JSON error shape, never Django's HTML page. Inside the API's views the exception
handler does the same (api/exceptions.py). Nothing needs restarting when the database comes
back: a connection that failed is dropped at the end of its request (and a kept one is checked
before reuse, CONN_HEALTH_CHECKS), so the next request connects anew.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0
DATABASE_UNAVAILABLE = "数据库暂时不可用,请稍后重试。The database is unavailable; try again shortly."
SERVER_ERROR = "服务器内部错误。Server error."
RETRY_AFTER_SECONDS = 5


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("readyz: database unreachable", exc_info=True)
        # A broken connection is not kept for the next request.
        connection.close_if_unusable_or_obsolete()
        return False


def check_broker() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        scheme = urlparse(url).scheme
        if scheme in ("redis", "rediss"):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT)
            try:
                return bool(client.ping())
            finally:
                client.close()
        if scheme == "filesystem":
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            folder = Path(options.get("data_folder_in", ""))
            return folder.is_dir() and (folder.stat().st_mode & 0o200) != 0
        from kombu import Connection

        with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        return True
    except Exception:
        logger.warning("readyz: broker unreachable", exc_info=True)
        return False


def _answer(checks: dict[str, bool]) -> JsonResponse:
    ok = all(checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {name: "ok" if passed else "unavailable" for name, passed in checks.items()},
    }
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    PATHS = {"/healthz", "/healthz/", "/readyz", "/readyz/"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in self.PATHS and request.method in ("GET", "HEAD"):
            if request.path.startswith("/healthz"):
                return _answer({})
            return _answer({"database": check_database(), "broker": check_broker()})
        return self.get_response(request)


def server_error(request, *args, **kwargs):
    """handler500: 503 for an unreachable database; JSON under /api/."""
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, (OperationalError, InterfaceError))
    if unavailable:
        connection.close_if_unusable_or_obsolete()
    status = 503 if unavailable else 500
    detail = DATABASE_UNAVAILABLE if unavailable else SERVER_ERROR
    if request.path.startswith("/api/"):
        body = {
            "type": "server_error",
            "errors": [{"code": "service_unavailable" if unavailable else "error", "detail": detail, "attr": None}],
        }
        response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        from django.views.defaults import server_error as django_server_error

        if not unavailable:
            return django_server_error(request)
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

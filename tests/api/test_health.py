"""Health checks and database outages, for real: gunicorn reaches PostgreSQL through a TCP proxy
that the test cuts and restores. While the database is gone the API answers 503 in its JSON
error shape (never Django's 500 page), /readyz says so and /healthz stays up; when it comes
back every worker recovers by itself, with no restart."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.api.conftest import COUNTY_A
from tests.api.live import gunicorn
from tests.api.processes import database_url, free_port
from tests.tcp_proxy import postgres_target, tcp_proxy

pytestmark = [pytest.mark.slow]


def test_healthz_and_readyz_answer_before_host_checks(client, db):
    for path in ("/healthz", "/healthz/"):
        response = client.get(path, HTTP_HOST="10.0.0.9")  # a load balancer probing by address
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz", HTTP_HOST="10.0.0.9")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert ready["Cache-Control"] == "no-store"


def test_readyz_reports_an_unreachable_broker(transactional_db, tmp_path):
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    with gunicorn(tmp_path / "gunicorn.log", workers=1, CELERY_BROKER_URL=dead_broker) as server:
        reply = server.get("/readyz")
        assert reply.status == 503
        assert reply.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}
        assert server.get("/healthz").status == 200


def _people(server, token):
    return server.get("/api/v1/people/", token=token, timeout=30)


def assert_unavailable(reply):
    assert reply.status == 503, reply.body[:300]
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body["type"] == "server_error"
    assert body["errors"][0]["code"] == "service_unavailable"
    assert int(reply.headers["retry-after"]) > 0


def test_the_api_answers_503_while_the_database_is_gone_and_recovers(transactional_db, world, client_for, tmp_path):
    editor = client_for("editor", COUNTY_A)
    token = Token.objects.get(user=editor.user).key
    person = world["a"].person
    with tcp_proxy(postgres_target(connection.settings_dict)) as proxy:
        proxied = database_url({**connection.settings_dict, "HOST": "127.0.0.1", "PORT": proxy.port})
        with gunicorn(
            tmp_path / "gunicorn.log",
            db_url=proxied,
            workers=2,
            # Kept connections, as in production: they break with the outage and must be
            # replaced, not reused.
            CONN_MAX_AGE="60",
            DB_CONNECT_TIMEOUT="2",
        ) as server:
            assert server.get("/readyz").status == 200
            for _ in range(6):  # both workers hold a connection now
                assert _people(server, token).status == 200

            proxy.cut()
            assert_unavailable(_people(server, token))
            assert_unavailable(server.get(f"/api/v1/people/{person.pk}/", token=token))
            assert_unavailable(
                server.request("PATCH", f"/api/v1/people/{person.pk}/", token=token, json_body={"notes": "断开"})
            )
            assert_unavailable(server.request("POST", "/api/v1/auth/token/", data={"username": "x", "password": "y"}))
            ready = server.get("/readyz")
            assert ready.status == 503
            assert ready.json()["checks"] == {"database": "unavailable", "broker": "ok"}
            assert server.get("/healthz").status == 200
            # Outside the API too (a session read by the admin): 503, not the 500 page.
            admin = server.request("GET", "/admin/", headers={"Cookie": "sessionid=0123456789abcdefghijklmnopqrstuv"})
            assert admin.status == 503, admin.body[:300]
            assert admin.headers["content-type"].startswith("text/plain") and int(admin.headers["retry-after"]) > 0

            # An unreachable host (packets dropped, no refusal): the connect timeout answers.
            proxy.blackhole()
            started = time.monotonic()
            assert_unavailable(_people(server, token))
            assert time.monotonic() - started < 15

            proxy.restore()
            deadline = time.monotonic() + 20
            while _people(server, token).status != 200:
                assert time.monotonic() < deadline, server.log_tail()
                time.sleep(0.2)
            # Every worker is back, reads and writes alike.
            assert [_people(server, token).status for _ in range(8)] == [200] * 8
            saved = server.request(
                "PATCH", f"/api/v1/people/{person.pk}/", token=token, json_body={"notes": "恢复后写入"}
            )
            assert saved.status == 200, saved.body[:300]
            assert server.get("/readyz").status == 200
    person.refresh_from_db()
    assert person.notes == "恢复后写入"

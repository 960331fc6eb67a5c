"""Rate limits (per token, per address without credentials, per address on the logins) answer
429 with Retry-After; repeated failed logins lock the account for a while, on the token endpoint
and the admin login alike (django-axes); counts are shared by every process through Redis."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.api.conftest import COUNTY_A
from tests.api.live import gunicorn
from tests.factories import user_make
from tests.redis_server import redis_url

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery"
_addresses = itertools.count(1)


def address() -> str:
    """A client address of its own for each test (address-keyed counts stay apart)."""
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


def rates(**overrides):
    base = {"user": "100000/minute", "anon": "100000/minute", "login": "100000/minute"}
    return override_settings(THROTTLE_RATES={**base, **overrides})


def assert_throttled(response, *, at_most: int):
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["type"] == "client_error" and body["errors"][0]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= at_most


def staff_with_password(client_for):
    client = client_for("editor", COUNTY_A)
    client.user.set_password(PASSWORD)
    client.user.save()
    return client


def test_each_token_has_its_own_rate(world, client_for):
    first, second = client_for("viewer", COUNTY_A), client_for("viewer", COUNTY_A)
    with rates(user="3/minute"):
        for _ in range(3):
            assert first.get("/api/v1/people/").status_code == 200
        assert_throttled(first.get("/api/v1/people/"), at_most=60)
        assert second.get("/api/v1/people/").status_code == 200


def test_requests_without_credentials_are_limited_per_address(db, client):
    here, there = address(), address()
    with rates(anon="2/hour"):
        assert client.get("/api/v1/people/", REMOTE_ADDR=here).status_code == 401
        assert client.get("/api/v1/people/", REMOTE_ADDR=here).status_code == 401
        assert_throttled(client.get("/api/v1/people/", REMOTE_ADDR=here), at_most=3600)
        assert client.get("/api/v1/people/", REMOTE_ADDR=there).status_code == 401


def test_the_token_endpoint_is_limited_per_address(world, client_for, client):
    staff = staff_with_password(client_for)
    here = address()
    credentials = {"username": staff.user.username, "password": PASSWORD}
    with rates(login="2/minute"):
        assert client.post(TOKEN_URL, credentials, REMOTE_ADDR=here).status_code == 200
        assert client.post(TOKEN_URL, credentials, REMOTE_ADDR=here).status_code == 200
        assert_throttled(client.post(TOKEN_URL, credentials, REMOTE_ADDR=here), at_most=60)
        assert client.post(TOKEN_URL, credentials, REMOTE_ADDR=address()).status_code == 200


def test_failed_logins_lock_the_account_for_a_while(world, client_for, client, settings):
    staff = staff_with_password(client_for)
    other = staff_with_password(client_for)
    wrong = {"username": staff.user.username, "password": "wrong"}
    right = {"username": staff.user.username, "password": PASSWORD}
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=3)
    # From several addresses: the account is locked, not the address.
    assert client.post(TOKEN_URL, wrong, REMOTE_ADDR=address()).status_code == 400
    assert client.post(TOKEN_URL, wrong, REMOTE_ADDR=address()).status_code == 400
    assert_throttled(client.post(TOKEN_URL, wrong, REMOTE_ADDR=address()), at_most=3)
    # Locked: even the right password is refused, with the rest of the cool-off to wait.
    locked = client.post(TOKEN_URL, right, REMOTE_ADDR=address())
    assert_throttled(locked, at_most=3)
    assert "锁定" in locked.json()["errors"][0]["detail"]
    # Other accounts are not affected.
    assert client.post(TOKEN_URL, {"username": other.user.username, "password": PASSWORD}).status_code == 200
    # After the cool-off the account opens again.
    time.sleep(3.5)
    response = client.post(TOKEN_URL, right, REMOTE_ADDR=address())
    assert response.status_code == 200, response.content
    assert response.json()["token"] == Token.objects.get(user=staff.user).key


def test_failed_admin_logins_lock_the_account(db, client, settings):
    user = user_make(is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    settings.AXES_FAILURE_LIMIT = 3
    url = "/admin/login/?next=/admin/"
    for _ in range(2):
        response = client.post(url, {"username": user.username, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    locked = client.post(url, {"username": user.username, "password": "wrong"})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    # Locked for the admin and for the token endpoint alike.
    assert client.post(url, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_has_the_login_rate(db, client):
    here = address()
    with rates(login="2/minute"):
        for _ in range(2):
            assert client.post("/admin/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=here).status_code == 200
        refused = client.post("/admin/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=here)
        assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
        # Showing the login page is not counted.
        assert client.get("/admin/login/", REMOTE_ADDR=here).status_code == 200


@pytest.mark.slow
def test_counts_are_shared_by_every_process_in_redis(transactional_db, world, client_for, tmp_path):
    """Two gunicorn workers and a limit of 10 per hour: exactly 10 of 16 requests with one
    token pass, wherever they land, and the count is in Redis (a per-process count would let
    up to 20 through)."""
    import redis

    token = Token.objects.get(user=client_for("viewer", COUNTY_A).user).key
    prefix = f"throttle-test-{time.monotonic_ns()}"
    if 3600 - time.time() % 3600 < 30:
        time.sleep(3600 - time.time() % 3600 + 1)  # not across the hour's window boundary
    with (
        redis_url() as url,
        gunicorn(
            tmp_path / "gunicorn.log",
            workers=2,
            CACHE_URL=url,
            CACHE_KEY_PREFIX=prefix,
            THROTTLE_RATE_USER="10/hour",
        ) as server,
    ):
        statuses = [server.get("/api/v1/people/", token=token).status for _ in range(16)]
        assert statuses == [200] * 10 + [429] * 6, server.log_tail()
        refused = server.get("/api/v1/people/", token=token)
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert refused.json()["errors"][0]["code"] == "throttled"
        client = redis.Redis.from_url(url)
        keys = [k for k in client.keys(f"{prefix}:*") if b"throttle:user:" in k]
        assert len(keys) == 1 and int(client.get(keys[0])) == 17
        assert 0 < client.ttl(keys[0]) <= 3601  # the window's key expires with the window
        client.delete(*keys)


def test_a_window_is_counted_by_one_script_that_outlives_a_script_flush(db):
    """SET NX EX and INCR in one script: the count from 1, the window's expiry on the key, the
    value readable through the cache; after SCRIPT FLUSH (as after a Redis restart) the script
    is loaded again and counting goes on."""
    import redis
    from django.core.cache import caches

    from api.throttling import _count

    prefix = f"count-test-{time.monotonic_ns()}"
    backend = "django.core.cache.backends.redis.RedisCache"
    with (
        redis_url() as url,
        override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix}}),
    ):
        key = "throttle:user:tabc:1"
        assert [_count(key, timeout=61) for _ in range(3)] == [(1, None), (2, None), (3, None)]
        server = redis.Redis.from_url(url)
        full_key = caches["default"].make_and_validate_key(key)
        assert 59 <= server.ttl(full_key) <= 61
        server.script_flush()
        assert _count(key, timeout=61) == (4, None)
        assert caches["default"].get(key) == 4
        server.delete(full_key)

"""Rate limits and the login lockout (docs/security.md, "Throttling and lockout").

- ``TokenRateThrottle``: per API token (or session user), THROTTLE_RATES["user"].
- ``unauthenticated_wait``: requests that fail authentication (401), per client address,
  ["anon"]: guessing tokens is limited too.
- ``LoginRateThrottle``: the token endpoint, per client address, ["login"]; the admin login
  page has the same limit through ``login_rate_limited``.

Counting is a fixed window in Django's cache: create the window's key at 0, then increment it,
both atomic in Redis (SET NX EX and INCR in one script, one round trip per request), so every
gunicorn worker and every server behind the load balancer shares one count. A token's request
is counted by its authentication, and the same round trip reads the generation of the rows the
processes keep (``token_hit``, ``KEPT_GENERATION``; api/kept.py).
A request over the limit answers 429 with ``Retry-After`` (the seconds to the next window) in
the API's error shape. When the cache itself cannot be reached the request is let through (and
logged): throttling protects the service, it must not take it down; the lockout below lives in
PostgreSQL and does not depend on the cache.

Repeated failed logins lock the account (django-axes, AXES_* settings): both the admin login
and the token endpoint authenticate through Django's ``authenticate()``, which the axes backend
guards. A locked account answers 429 with ``Retry-After`` (the rest of the cool-off) until the
cool-off ends, even with the right password.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import secrets
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LOCKED_OUT = "登录失败次数过多,账号已暂时锁定,请稍后再试。Too many failed logins: the account is locked for a while."
LOGIN_THROTTLED = "登录请求过于频繁,请稍后再试。Too many login requests; try again later."


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'20/minute' -> (20, 60); None or '' -> None (no limit)."""
    if not rate:
        return None
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ValueError(f"throttle rate {rate!r} is not N/second|minute|hour|day") from None


def client_address(request) -> str | None:
    """The client's address: the peer's, or with NUM_PROXIES trusted proxies in front, the
    address they recorded in X-Forwarded-For (the same rule as DRF's throttles)."""
    meta = getattr(request, "META", {})
    address = meta.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def lockout_username(request, credentials=None) -> str | None:
    """The username failed logins are counted against (AXES_USERNAME_CALLABLE): as sent, less
    what no account name can hold (NUL, lone surrogates) and cut to the longest account name,
    so that no login attempt, however malformed, fails to be counted."""
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username")
    if not isinstance(username, str):
        return None
    cleaned = "".join(c for c in username if c != "\x00" and not 0xD800 <= ord(c) <= 0xDFFF)
    return cleaned[:150] or None


def hit(scope: str, ident: str, rate: str | None) -> float | None:
    """Count one request of ``ident`` in ``scope``; the seconds to wait when over the limit,
    else None."""
    parsed = parse_rate(rate)
    if parsed is None:
        return None
    try:
        return _hit(scope, ident, parsed)[0]
    except Exception:  # the cache is down: let the request through (logged)
        logger.warning("throttling skipped: the cache is unavailable", exc_info=True)
        return None


def token_hit(key: str) -> tuple[float | None, object]:
    """Count one request of the API token ``key`` (THROTTLE_RATES["user"]) and read the
    generation of kept rows (``KEPT_GENERATION``) in the same round trip: the seconds to wait
    when over the limit, else None; and the generation, None when the cache cannot tell it (it
    is down, or it is the database's, where the read would cost what it saves).
    Token authentication calls this first; TokenRateThrottle then decides from its count."""
    parsed = parse_rate(settings.THROTTLE_RATES.get(TokenRateThrottle.scope)) or (None, 60)
    try:
        return _hit(TokenRateThrottle.scope, token_ident(key), parsed, generation=True)
    except Exception:  # the cache is down: let the request through (logged), keep nothing
        logger.warning("throttling skipped: the cache is unavailable", exc_info=True)
        return None, None


def _hit(scope: str, ident: str, parsed: tuple[int | None, int], *, generation: bool = False):
    limit, period = parsed
    now = time.time()
    window = int(now // period)
    count, current = _count(f"throttle:{scope}:{ident}:{window}", timeout=period + 1, generation=generation)
    wait = None if limit is None or count <= limit else max((window + 1) * period - now, 1.0)
    return wait, current


def _count(key: str, *, timeout: int, generation: bool = False) -> tuple[int, object]:
    """Count one request on ``key`` (created at 0 for ``timeout`` seconds when absent): the
    count with it, and with ``generation`` the kept rows' generation (else None). On Redis,
    one round trip: SET NX EX and INCR (and the generation, set first when absent) in one
    script, which Redis runs atomically (Django's own ``add`` and ``incr`` take three: SET NX,
    EXISTS, INCRBY; a MULTI of the two costs 0.03 ms more of the client's parsing). Elsewhere
    (the database cache without CACHE_URL, the tests' memory cache), ``add`` then ``incr``."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        script = _count_script(backend._cache, backend._cache._get_connection_pool(write=True))
        # An integer is stored as such by Django's Redis serializer: INCR and cache.get agree.
        if not generation:
            return int(script(keys=[backend.make_and_validate_key(key)], args=[timeout])), None
        keys = [backend.make_and_validate_key(key), backend.make_and_validate_key(KEPT_GENERATION)]
        count, current = script(keys=keys, args=[timeout, _new_generation_value()])
        return int(count), current
    try:
        backend.add(key, 0, timeout=timeout)
        count = backend.incr(key)
    except ValueError:  # expired between add and incr: this request starts the count
        backend.add(key, 1, timeout=timeout)
        count = 1
    if not generation or not isinstance(backend, LocMemCache):
        return count, None
    backend.add(KEPT_GENERATION, _new_generation_value(), timeout=None)
    return count, backend.get(KEPT_GENERATION)


COUNT_SCRIPT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local count = redis.call('INCR', KEYS[1])
if #KEYS == 1 then
  return count
end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return {count, redis.call('GET', KEYS[2])}
"""

# The generation of the rows the processes keep (api/kept.py: staff identities, current rules):
# a random value, replaced whenever one of them changes (``new_generation``, once the change is
# committed). Each process keeps the rows it read under a generation and reads them again when
# the generation it is given is another: a change made in any process is seen by every process
# on its next request. Random rather than counted, so that a Redis that lost it (restarted,
# evicted) starts one that no process has seen. Opaque: only ever compared, as the cache
# returns it.
KEPT_GENERATION = "kept:generation"


def _new_generation_value() -> str:
    return secrets.token_hex(8)


def new_generation() -> None:
    """Start a new generation of kept rows (see ``KEPT_GENERATION``). When the cache cannot be
    reached, the processes cannot be told: they read their rows again when the cache answers
    again with a generation they do not hold, or after KEPT_ROWS_SECONDS."""
    try:
        caches["default"].set(KEPT_GENERATION, _new_generation_value(), timeout=None)
    except Exception:
        logger.warning("the kept rows' generation was not renewed: the cache is unavailable", exc_info=True)


@functools.lru_cache(maxsize=16)
def _count_script(cache_client, pool):
    """The counting script on a Redis client of the cache's connection pool, both made once
    (Django's ``get_client`` makes a new client per call, which cost more, 0.1 ms, than the
    round trip it is for). Sent by its digest (EVALSHA), loaded again by redis-py when the
    server does not know it (a restart, SCRIPT FLUSH)."""
    return cache_client._client(connection_pool=pool).register_script(COUNT_SCRIPT)


class FixedWindowThrottle(BaseThrottle):
    scope = ""

    def ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request, view)
        if ident is None:
            return True
        self._wait = hit(self.scope, ident, settings.THROTTLE_RATES.get(self.scope))
        return self._wait is None

    def wait(self) -> float | None:
        return math.ceil(self._wait) if self._wait else None


class TokenRateThrottle(FixedWindowThrottle):
    """Per API token; a session-authenticated user counts as one token."""

    scope = "user"

    def ident(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        key = getattr(request.auth, "key", None)
        if key:
            return token_ident(key)
        return f"u{request.user.pk}"

    def allow_request(self, request, view) -> bool:
        # A token's request was counted by its authentication (token_hit), in the round trip
        # that read the kept rows' generation: decided from that count, not counted again.
        counted = getattr(request, "_token_hit", None)
        if counted is not None and counted[0] == getattr(request.auth, "key", None):
            self._wait = counted[1]
            return self._wait is None
        return super().allow_request(request, view)


def token_ident(key: str) -> str:
    """The token's name in the cache: a digest; the token itself never reaches the cache."""
    return "t" + hashlib.sha256(key.encode()).hexdigest()[:24]


def unauthenticated_wait(request) -> float | None:
    """Count a request that failed authentication (no credentials, or a wrong token) against
    its address, THROTTLE_RATES["anon"]: the seconds to wait when over, else None. Called by
    the exception handler on every 401, since DRF checks permissions before throttles and an
    unauthenticated request never reaches a throttle class."""
    return hit("anon", client_address(request) or "unknown", settings.THROTTLE_RATES.get("anon"))


class LoginRateThrottle(FixedWindowThrottle):
    """Password logins per client address: the token endpoint (and the admin login page)."""

    scope = "login"

    def ident(self, request, view) -> str | None:
        return client_address(request) or "unknown"


def login_rate_limited(view):
    """The login rate of the token endpoint, for a Django view (the admin login page): a POST
    over the limit answers 429 with Retry-After."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            wait = hit("login", client_address(request) or "unknown", settings.THROTTLE_RATES.get("login"))
            if wait is not None:
                response = HttpResponse(LOGIN_THROTTLED, status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(math.ceil(wait))
                return response
        return view(request, *args, **kwargs)

    return wrapped


def cool_off_seconds() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(int(cool_off.total_seconds()), 1) if cool_off else 3600


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes answers for a locked account (AXES_LOCKOUT_CALLABLE): 429 with
    Retry-After; in the API's error shape on /api/, plain text on the admin login page."""
    retry = str(cool_off_seconds())
    if request.path.startswith("/api/"):
        body = {"type": "client_error", "errors": [{"code": "throttled", "detail": LOCKED_OUT, "attr": None}]}
        response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(LOCKED_OUT, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry
    return response

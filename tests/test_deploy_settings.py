"""Production settings: ``manage.py check --deploy`` is clean with the required variables set;
each required variable missing (or a weak secret) stops the process; secure cookies, HSTS and
HTTPS. (CSRF for session-authenticated API writes: tests/api/test_csrf.py.)"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest
from django.db import connection

from tests.api.processes import PROJECT_DIR, database_url, subprocess_env

PRODUCTION = "registry.settings.production"


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "ALLOWED_HOSTS": "registry.example.org",
        "DEBUG": "0",
    }
    env.update(overrides)
    environment = subprocess_env(**env)
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
    return environment


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_check_deploy_is_clean(db):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "ALLOWED_HOSTS"])
def test_each_required_variable_is_required(db, missing):
    result = manage("check", env=production_env(**{missing: None}))
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


@pytest.mark.parametrize(
    "secret", ["short", "django-insecure-" + "x" * 60, "insecure-development-key-do-not-use-in-production" + "y" * 10]
)
def test_a_weak_secret_key_is_refused(db, secret):
    result = manage("check", env=production_env(SECRET_KEY=secret))
    assert result.returncode != 0 and "SECRET_KEY must be a random value" in result.stderr


def test_debug_is_refused(db):
    result = manage("check", env=production_env(DEBUG="1"))
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_production_values(db):
    names = [
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
        "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS", "DEBUG", "X_FRAME_OPTIONS",
    ]  # fmt: skip
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {names!r}}} | {{'cache': s.CACHES['default']['BACKEND']}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://registry.example.org"],
        "ALLOWED_HOSTS": ["registry.example.org"],
        "DEBUG": False,
        "X_FRAME_OPTIONS": "DENY",
        "cache": "django.core.cache.backends.redis.RedisCache",
    }

"""Production settings: no defaults for secrets, secure cookies, fail fast on nonsense.

Required: SECRET_KEY (50 characters or more, not a development key), DATABASE_URL,
CELERY_BROKER_URL, CACHE_URL (Redis: throttling counters shared by every server) and
ALLOWED_HOSTS. ``manage.py check --deploy`` is clean with them (tests/test_deploy_settings.py).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from registry.env import env_bool, env_int, env_list, env_str

for _name, _why in (
    ("SECRET_KEY", ""),
    ("DATABASE_URL", " (the embedded server is for development)"),
    ("CELERY_BROKER_URL", ""),
    ("CACHE_URL", " (Redis, so that every server counts the same rate limits)"),
    ("ALLOWED_HOSTS", " (the host names the service answers to)"),
):
    if not os.environ.get(_name, "").strip():
        raise ImproperlyConfigured(f"{_name} must be set in production{_why}.")
if len(os.environ["SECRET_KEY"]) < 50 or os.environ["SECRET_KEY"].startswith(("django-insecure", "insecure-")):
    raise ImproperlyConfigured("SECRET_KEY must be a random value of 50 characters or more.")

from registry.settings.base import *  # noqa: E402, F403

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])

# Cookies only over HTTPS, never readable by scripts (the CSRF cookie must stay readable for
# the admin's forms); CSRF checks for every session-authenticated write (the admin and DRF's
# SessionAuthentication; token requests carry no cookie and need none).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])

# HTTPS everywhere: redirect, HSTS (one year, subdomains, preload), and trust the proxy's
# X-Forwarded-Proto (the service runs behind a TLS-terminating load balancer). The health
# checks are answered before the redirect (registry/health.py).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

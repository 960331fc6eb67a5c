"""Settings for the test suite: the same database engine as production, faster hashing."""

import os
from pathlib import Path

# With the embedded file-system broker, each test run (and the workers it starts, which
# inherit the variable) gets a broker folder of its own, so that a development worker or a
# concurrent test run never takes its messages.
if not os.environ.get("CELERY_BROKER_URL"):
    os.environ.setdefault(
        "CELERY_BROKER_FOLDER", str(Path(__file__).resolve().parents[2] / ".state" / f"test-broker-{os.getpid()}")
    )

# Report and import files of a test run (and of the workers and servers it starts, which
# inherit the variable) stay in a folder of their own, removed at the end.
os.environ.setdefault("MEDIA_ROOT", str(Path(__file__).resolve().parents[2] / ".state" / f"test-media-{os.getpid()}"))

# Rate limits of the test run (and of the servers it starts): high, so that tests making many
# requests from one address are not throttled by the ones before them; the throttling tests
# set their own. A Redis cache (CACHE_URL) is shared by the run's processes under a prefix
# of its own.
for _name, _rate in (("USER", "100000/minute"), ("ANON", "100000/minute"), ("LOGIN", "100000/minute")):
    os.environ.setdefault(f"THROTTLE_RATE_{_name}", _rate)
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{os.getpid()}")

from registry.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests do not run collectstatic; serve static files without the manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves from the finders in tests; no collectstatic folder is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None

# Without Redis, each test process keeps its cache (throttling counters) in memory: tests
# stay independent of a cache table, and query counts see only the registry's own queries.
# The throttling tests run their servers on a real Redis (tests/api/test_throttling.py).
if not CACHE_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"}}

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

from registry.settings.base import *  # noqa: F403

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

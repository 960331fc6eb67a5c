"""Settings for the test suite: the same database engine as production, faster hashing."""

from registry.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

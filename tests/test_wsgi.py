"""The WSGI module loads every view before the first request and sets what it loaded aside
from the garbage collector (registry/wsgi.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from django.db import connection

from tests.api.processes import PROJECT_DIR, database_url, subprocess_env

PROBE = """
import gc, json, sys
before = gc.get_freeze_count()
import registry.wsgi
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "views": "api.viewsets" in sys.modules}))
"""


def test_the_wsgi_module_loads_the_views_and_freezes_them(db):
    env = subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict), DJANGO_SETTINGS_MODULE="registry.settings.base"
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["before"] == 0
    assert probe["views"] is True
    assert probe["frozen"] > 10_000  # the loaded modules' objects, not a handful

"""The benchmark's entry point runs end to end at ``--scale small`` (docs/benchmarks.md), so it
never rots: in a scratch database of its own (created, migrated, seeded, dropped), with its
own gunicorn, Celery worker and broker, every figure measured once. The figures themselves
are not checked here: at this scale they mean nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection

from tests.api.processes import PROJECT_DIR, database_url, subprocess_env

pytestmark = pytest.mark.slow

FIGURES = ("candidates", "people", "detail", "throughput", "mobility", "facts", "import", "export")


def test_bench_runs_at_small_scale(django_db_setup, tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "small", "--scratch", "--json", str(out)],
        cwd=PROJECT_DIR,
        env=subprocess_env(
            DATABASE_URL=database_url(connection.settings_dict), DJANGO_SETTINGS_MODULE="registry.settings.base"
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text())
    assert set(FIGURES) <= set(results), sorted(results)
    assert results["data"]["person"] > 0
    assert all(c["same_answer"] for c in results["candidates"]), results["candidates"]
    assert results["detail"]["same_answer"]  # the baseline reads what the detail shows
    assert results["throughput"]["errors"] == 0
    assert len(results["floor"]["api"]) == 5  # the request floor, beside the candidates pages
    assert results["people"]["queries"]["10"] == results["people"]["queries"]["50"]
    assert "| figure | measured |" in done.stdout

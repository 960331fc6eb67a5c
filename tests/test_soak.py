"""The load and soak script at a short duration (bench/soak.py): concurrent editors and
readers through gunicorn on the test database, then 0 errors and every acknowledged write
present exactly once (docs/benchmarks.md, "Load and soak", has the 2-minute figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.api.processes import PROJECT_DIR, database_url, subprocess_env

pytestmark = [pytest.mark.slow]

DURATION = os.environ.get("SOAK_SECONDS", "10")


def test_soak_loses_and_duplicates_no_write(transactional_db, tmp_path):
    command = [sys.executable, "bench/soak.py", "--in-place", "--json", "--duration", DURATION]
    result = subprocess.run(
        [*command, "--editors", "4", "--readers", "3", "--workers", "3"],
        cwd=PROJECT_DIR,
        env=subprocess_env(
            DATABASE_URL=database_url(connection.settings_dict), SOAK_LOG=str(tmp_path / "gunicorn.log")
        ),
        capture_output=True,
        text=True,
        timeout=float(DURATION) + 180,
    )
    server_log = tmp_path / "gunicorn.log"
    log = server_log.read_text(errors="replace")[-3000:] if server_log.exists() else ""
    assert result.stdout.strip(), result.stderr + log
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == 0, (report["error_samples"], log)
    for key in (
        "creates_lost", "creates_duplicated", "creates_unacknowledged",
        "appends_lost", "appends_duplicated", "appends_unacknowledged", "history_mismatch",
    ):  # fmt: skip
        assert report[key] == 0, (key, report)
    # It did work: writes of both kinds, contended ones among them, and reads.
    assert report["creates_acknowledged"] > 10 and report["appends_acknowledged"] > 10
    assert report["figures"]["read"]["requests"] > 50
    assert report["figures"]["all"]["p95_ms"] > 0
    assert report["ok"] is True and result.returncode == 0

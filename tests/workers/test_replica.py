"""The read-replica router, with the replica pointing at the same server under another alias
(DATABASE_REPLICA_URL = the test database), in a process configured like production: the
report builder reads from the replica; every write goes to the primary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection

from talent.choices import JobStatus
from talent.models import Report
from talent.reporting import report_request
from tests.api.processes import PROJECT_DIR, database_url, subprocess_env
from tests.hand_registry import AS_OF, hand_registry

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = """
import json, sys
import django
django.setup()
from django.db import connections
from django.test.utils import CaptureQueriesContext
from workers.reports import report_run
with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connections["default"]) as default:
    report_run(int(sys.argv[1]))
print(json.dumps({"replica": [q["sql"] for q in replica], "default": [q["sql"] for q in default]}))
"""


def test_report_reads_go_to_the_replica():
    hand_registry()
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=None)
    url = database_url(connection.settings_dict)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(report.pk)],
        cwd=PROJECT_DIR,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="registry.settings.test", DATABASE_URL=url,
                           DATABASE_REPLICA_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    queries = json.loads(result.stdout.strip().splitlines()[-1])
    assert any("report_officials" in sql for sql in queries["replica"])  # the figures
    assert not any("report_officials" in sql for sql in queries["default"])
    assert not any(sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for sql in queries["replica"])
    assert any(sql.lstrip().upper().startswith("UPDATE") for sql in queries["default"])  # status, progress
    assert Report.objects.get(pk=report.pk).status == JobStatus.SUCCEEDED

"""Real Celery workers on a real broker against the test database.

- A requested report reaches a worker through the broker (the configured one: Redis in CI,
  the embedded file-system broker otherwise) and is built.
- A worker killed with SIGKILL in the middle of a report: another worker picks the message up
  again (acks_late + reject_on_worker_lost; Redis brings back unacknowledged messages after the
  visibility timeout) and the report ends succeeded exactly once, with one set of files. This
  needs Redis: the configured one, or a private redis-server the test starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from talent.choices import JobStatus
from talent.models import Division, Report
from talent.reporting import report_request
from tests.api.processes import PROJECT_DIR, database_url, subprocess_env
from tests.hand_registry import AS_OF, hand_registry

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _staff():
    from talent import rules
    from tests.factories import user_make

    user = user_make()
    rules.staff_account_save(
        username=user.username, jurisdiction=Division.objects.get(code="430000000000"), role="viewer",
        personal_data=False,
    )  # fmt: skip
    return user


class Worker:
    def __init__(self, log: Path, **env: str):
        self.log = log
        command = [
            sys.executable, "-m", "celery", "-A", "registry", "worker", "-Q", "default,reports",
            "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        environment = subprocess_env(
            DJANGO_SETTINGS_MODULE="registry.settings.test",
            DATABASE_URL=database_url(connection.settings_dict),
            CONN_MAX_AGE="0",
            **env,
        )
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=environment, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def wait_for(report_id: int, condition, timeout: float, worker: Worker) -> Report:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = Report.objects.get(pk=report_id)
        if condition(report):
            return report
        time.sleep(0.3)
    raise AssertionError(f"report {report_id} stuck at {report.status} {report.stage}:\n{worker.tail()}")


@pytest.fixture
def redis_url():
    """The configured Redis, or a private redis-server (tests/redis_server.py)."""
    from tests.redis_server import redis_url as redis

    with redis() as url:
        yield url


def test_a_requested_report_is_built_by_a_worker(tmp_path):
    """queued → running (progress reported on the way) → succeeded; the XLSX has the sheets,
    the figures and a chart."""
    import zipfile

    import openpyxl

    hand_registry()
    actor = _staff()
    worker = Worker(tmp_path / "worker.log", REPORT_STAGE_DELAY_SECONDS="0.5")
    seen = []
    try:
        with transaction.atomic():  # sent to the broker when this commits
            report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=actor)
        assert Report.objects.get(pk=report.pk).status == JobStatus.QUEUED

        def watch(r):
            seen.append((r.status, r.progress))
            return r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

        done = wait_for(report.pk, watch, 90, worker)
        assert done.status == JobStatus.SUCCEEDED, done.error
        running = [progress for status, progress in seen if status == JobStatus.RUNNING]
        assert len(set(running)) >= 2 and all(0 <= p < 100 for p in running)  # progress on the way
        xlsx = done.files.get(format="xlsx", masked=True)
        workbook = openpyxl.load_workbook(xlsx.file.path)
        assert workbook.sheetnames[:3] == ["汇总", "流动去向", "按选聘批次"]
        figures = {row[0]: row[1] for row in workbook["汇总"].iter_rows(min_row=2, values_only=True)}
        assert figures["大学生村官入选总数"] == 6 and figures["有序流动人数"] == 3
        with zipfile.ZipFile(xlsx.file.path) as archive:
            assert any(name.startswith("xl/charts/") for name in archive.namelist())
    finally:
        worker.stop()


def test_a_killed_worker_leaves_one_succeeded_report(tmp_path, redis_url):
    from registry.celery import app
    from workers.tasks import build_report

    hand_registry()
    report = report_request(kind="mobility", params={"as_of": AS_OF.isoformat()}, actor=_staff())
    broker = {"CELERY_BROKER_URL": redis_url, "CELERY_VISIBILITY_TIMEOUT": "3"}
    slow = Worker(tmp_path / "slow.log", REPORT_STAGE_DELAY_SECONDS="3", **broker)
    replacement = None
    try:
        with app.connection_for_write(redis_url) as conn:
            build_report.apply_async(args=[report.pk], connection=conn)
        wait_for(report.pk, lambda r: r.status == JobStatus.RUNNING and r.progress >= 10, 90, slow)
        slow.kill()  # SIGKILL, mid-report: the message was never acknowledged
        assert Report.objects.get(pk=report.pk).status == JobStatus.RUNNING
        replacement = Worker(tmp_path / "replacement.log", **broker)
        # Workers hand unacknowledged messages older than the visibility timeout back to the
        # queue on every tenth pass of a 10-second timer; do that pass now instead of waiting
        # up to 100 s (kombu's own restore, as a worker runs it).
        time.sleep(4)
        with app.connection_for_write(redis_url, transport_options={"visibility_timeout": 3}) as conn:
            conn.default_channel.qos.restore_visible()
        done = wait_for(report.pk, lambda r: r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 120, replacement)
        assert done.status == JobStatus.SUCCEEDED, done.error
        assert done.attempts == 2
        files = list(done.files.all())
        assert sorted((f.format, f.masked) for f in files) == [("csv", True), ("xlsx", True)]
        assert all(Path(f.file.path).exists() for f in files)
        # Nothing else was left behind in the report's folder.
        folder = Path(files[0].file.path).parent
        assert sorted(p.name for p in folder.iterdir()) == sorted(Path(f.file.name).name for f in files)
    finally:
        slow.stop()
        if replacement is not None:
            replacement.stop()

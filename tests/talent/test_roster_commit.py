"""A commit that dies half-way writes nothing: ``manage.py import_roster FILE --commit`` runs
in a child process, is stopped in the middle of its transaction (people written, posts not
yet: another connection holds a lock on the posts table), and then killed, or its database
session terminated. Afterwards no row of that import exists, and committing it again works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from talent.models import GraduateOfficial, Person, PersonEvent, Post, RosterImport
from talent.roster import service
from tests.api.processes import PROJECT_DIR, database_url, subprocess_env
from tests.talent.test_roster_support import csv_bytes, editor, person_row, places

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 400


@pytest.fixture
def roster_file(tmp_path):
    rows = [person_row(n, 大学生村官选聘年度="2010", 选聘日期="2010-08-01") for n in range(1, ROWS + 1)]
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes("people", rows))
    return path, [r["居民身份证号码"] for r in rows]


def _start(path, username: str) -> subprocess.Popen:
    env = subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict), DJANGO_SETTINGS_MODULE="registry.settings.test"
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_roster", str(path), "--commit", "--as", username],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _blocked_backend(timeout: float = 60.0) -> int:
    """The pid of the child's session once it waits for the posts table (UPDATE or INSERT),
    the people already written in its transaction."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND wait_event_type = 'Lock' AND query ILIKE %s",
                ["%talent_post %"],
            )
            row = cursor.fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError("the import never reached the posts")


def _gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still there")


@pytest.fixture
def posts_locked():
    """Another session holding SHARE on talent_post: INSERTs into it wait."""
    locker = connection.copy()
    locker.set_autocommit(False)
    with locker.cursor() as cursor:
        cursor.execute("LOCK TABLE talent_post IN SHARE MODE")
    yield locker
    try:
        locker.rollback()
    finally:
        locker.close()


def _assert_nothing_written(id_numbers: list[str]) -> None:
    assert not Person.objects.filter(id_number__in=id_numbers).exists()
    assert not GraduateOfficial.objects.exists()
    assert not Post.objects.exists()
    assert not PersonEvent.objects.exists()


@pytest.mark.parametrize("how", ["sigkill", "terminate_backend"])
def test_a_commit_killed_midway_leaves_nothing(roster_file, posts_locked, how):
    path, id_numbers = roster_file
    places()
    user = editor()
    child = _start(path, user.username)
    try:
        pid = _blocked_backend()
        if how == "sigkill":
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            posts_locked.rollback()  # the orphaned session resumes, then finds its client gone
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert child.wait(timeout=60) != 0
            posts_locked.rollback()
        _gone(pid)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    _assert_nothing_written(id_numbers)

    # The import is left "committing" by a process that no longer exists: committing it again
    # checks that no session holds it, and writes everything.
    roster_import = RosterImport.objects.get()
    assert roster_import.status in ("committing", "failed")
    service.import_commit(roster_import=roster_import, actor=user)
    roster_import.refresh_from_db()
    assert roster_import.status == "committed", (roster_import.stage, roster_import.errors)
    assert Person.objects.filter(id_number__in=id_numbers).count() == ROWS
    assert Post.objects.count() == ROWS
    roster_import.file.delete(save=False)


def test_a_commit_runs_to_the_end_in_a_child_process(roster_file):
    path, id_numbers = roster_file
    places()
    user = editor()
    child = _start(path, user.username)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    assert "已导入" in out.decode()
    assert Person.objects.filter(id_number__in=id_numbers).count() == ROWS
    # History names the importer, also for rows written by the statement-level path.
    contexts = list(PersonEvent.objects.values_list("pgh_context__metadata", flat=True).distinct())
    assert contexts == [{"user": user.pk, "roster_import": RosterImport.objects.get().pk}]
    assert PersonEvent.objects.count() == ROWS
    RosterImport.objects.get().file.delete(save=False)

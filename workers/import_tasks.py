"""Celery tasks of roster imports: thin and safe to re-run. Each takes the import's primary
key, returns at once when the work is done or the row is gone, and calls talent.roster.
Only database connection errors are retried; a failed commit has written nothing."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError

from talent.choices import ImportStatus
from talent.models import RosterImport
from talent.roster.service import (
    ProgressWriter,
    annotated_store,
    import_commit,
    import_validate,
    roster_import_requested,
)

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 3,
}


@shared_task(name="workers.validate_roster_import", **TASK_OPTIONS)
def validate_roster_import(import_id: int) -> str | None:
    roster_import = RosterImport.objects.filter(pk=import_id).first()
    if roster_import is None or roster_import.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATING):
        return None
    progress = ProgressWriter(roster_import)
    try:
        import_validate(roster_import=roster_import, progress=progress)
        if roster_import.status == ImportStatus.INVALID:
            progress("生成标注文件", 99)
            annotated_store(roster_import)
    finally:
        progress.close()
    return roster_import.status


@shared_task(name="workers.commit_roster_import", **TASK_OPTIONS)
def commit_roster_import(import_id: int, user_id: int | None) -> str | None:
    roster_import = RosterImport.objects.filter(pk=import_id).first()
    if roster_import is None or roster_import.status == ImportStatus.COMMITTED:
        return None
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if actor is None:
        return None
    progress = ProgressWriter(roster_import)
    try:
        import_commit(roster_import=roster_import, actor=actor, progress=progress)
    finally:
        progress.close()
    return roster_import.status


def _enqueue(sender, import_id: int, action: str, user_id: int | None = None, **kwargs) -> None:
    if action == "validate":
        validate_roster_import.delay(import_id)
    else:
        commit_roster_import.delay(import_id, user_id)


# The web process must import this module for large uploads to reach a worker: WorkersConfig.ready()
# connects report_requested the same way.
roster_import_requested.connect(_enqueue, dispatch_uid="workers.enqueue_roster_import")

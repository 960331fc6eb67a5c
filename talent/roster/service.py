"""The life of a roster import (talent.models.RosterImport): upload, validate (a dry run that
writes nothing), commit (all or nothing), and the error report.

    uploaded → validating → valid | invalid
    valid → committing → committed | invalid (the registry changed since) | failed

Both validation and commit run the same staging and checks (talent.roster.engine) from the
stored file, so a commit never trusts a dry run made earlier: it checks again, inside the
transaction that writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from talent.access import scope_for
from talent.choices import ImportStatus, StaffRole
from talent.models import RosterImport
from talent.roster import files
from talent.roster.engine import Outcome, RowError, Staging
from talent.roster.files import FileError
from talent.roster.messages import message

log = logging.getLogger(__name__)

# Sent after the import's row has committed, for a file too large to answer at once, with
# ``import_id``, ``action`` ("validate" or "commit") and ``user_id``; workers/import_tasks.py
# listens and hands it to a Celery worker.
roster_import_requested = Signal()

NO_RIGHT = "只有编辑及以上角色可以导入花名册。"
NOT_VALID = "只有校验通过的导入才能提交(当前状态:{status})。"
ALREADY_COMMITTED = "该花名册已导入。"
COMMIT_RUNNING = "该花名册正在导入。"
CHANGED_SINCE = "提交时重新校验发现错误(信息库在校验后发生了变化),未写入任何数据。"
COMMIT_FAILED = "导入失败,未写入任何数据:{error}"

# Advisory lock keys: one roster commit at a time per registry, and per import.
LOCK_ALL = 0x524F5354  # 'ROST'
LOCK_ONE = 0x524F5355


def sync_max_rows() -> int:
    """Files with more rows than this are validated and committed by a Celery worker."""
    return int(getattr(settings, "ROSTER_IMPORT_SYNC_ROWS", 20_000))


def max_rows() -> int:
    return int(getattr(settings, "ROSTER_IMPORT_MAX_ROWS", 1_000_000))


def max_errors() -> int:
    return int(getattr(settings, "ROSTER_IMPORT_MAX_ERRORS", 1_000))


Progress = Callable[[str, int], None]


class ProgressWriter:
    """Saves progress on a connection of its own, so that it is seen while the import's own
    transaction is still open (a commit is one long transaction)."""

    def __init__(self, roster_import: RosterImport, *, enabled: bool = True):
        self.pk = roster_import.pk
        self.enabled = enabled
        self._connection = None
        self._last = 0.0

    def __call__(self, stage: str, percent: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and percent < 100:
            return
        self._last = now
        if self._connection is None:
            self._connection = connection.copy()
        with self._connection.cursor() as cursor:
            cursor.execute(
                "UPDATE talent_rosterimport SET progress = %s, stage = %s WHERE id = %s", [percent, stage, self.pk]
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def import_create(*, upload, original_name: str, kind: str, mode: str, actor) -> RosterImport:
    """Store an uploaded roster for validation. ``upload`` is a Django File (or UploadedFile)."""
    scope = scope_for(actor)
    if scope is None or not scope.allows(StaffRole.EDITOR):
        raise ValidationError(NO_RIGHT)
    try:
        files.file_format(original_name)
    except FileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    roster_import = RosterImport(
        kind=kind,
        mode=mode,
        original_name=original_name[:255],
        uploaded_by=actor,
        jurisdiction_id=scope.jurisdiction,
    )
    roster_import.file.save(original_name, upload if isinstance(upload, File) else File(upload), save=False)
    roster_import.full_clean()
    roster_import.save()
    return roster_import


def rows_estimate(roster_import: RosterImport) -> int:
    """The data rows of the stored file, counted cheaply (lines of a CSV, the sheet's
    dimension of an XLSX), to choose between answering at once and a worker."""
    try:
        upload = files.open_upload(roster_import.file.path, roster_import.original_name)
    except FileError:
        return 0
    try:
        return upload.rows_estimate
    finally:
        upload.close()


def needs_worker(roster_import: RosterImport) -> bool:
    return rows_estimate(roster_import) > sync_max_rows()


def import_request(*, roster_import: RosterImport, action: str, actor) -> bool:
    """Run ``action`` ("validate" or "commit") now, or hand it to a worker when the file is
    large; True when handed over (the caller answers 202 and the client polls progress)."""
    if action == "commit":
        scope = scope_for(actor)
        if scope is None or not scope.allows(StaffRole.EDITOR):
            raise ValidationError(NO_RIGHT)
        roster_import.refresh_from_db()
        if roster_import.status == ImportStatus.COMMITTED:
            raise ValidationError(ALREADY_COMMITTED)
        if roster_import.status not in (ImportStatus.VALID, ImportStatus.FAILED, ImportStatus.COMMITTING):
            raise ValidationError(NOT_VALID.format(status=roster_import.get_status_display()))
    if needs_worker(roster_import):
        stage = "排队等待校验" if action == "validate" else "排队等待导入"
        RosterImport.objects.filter(pk=roster_import.pk).update(stage=stage, progress=0)
        user_id = getattr(actor, "pk", None)
        pk = roster_import.pk
        transaction.on_commit(
            lambda: roster_import_requested.send(sender=RosterImport, import_id=pk, action=action, user_id=user_id)
        )
        roster_import.refresh_from_db()
        return True
    if action == "validate":
        import_validate(roster_import=roster_import)
    else:
        import_commit(roster_import=roster_import, actor=actor)
    return False


def _prefix(roster_import: RosterImport) -> str:
    from talent.identity import code_level, code_prefix

    code = roster_import.jurisdiction_id
    if not code:
        return ""
    return code_prefix(code, code_level(code))


class _Invalid(Exception):
    """Raised inside the transaction to roll it back when the roster has errors."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _file_outcome(exc: FileError) -> Outcome:
    return Outcome(
        error_count=1,
        errors=[RowError(exc.row, exc.column or "", exc.column or "", exc.value or None, exc.code, exc.param)],
    )


def _stage(
    roster_import: RosterImport, progress: Progress, cursor, *, writing: bool = False
) -> tuple[Staging, Outcome]:
    """Load, stage and check the stored file in the current transaction (``writing``: for
    ``Staging.write()`` after the checks)."""
    staging = Staging(
        cursor,
        kind=roster_import.kind,
        mode=roster_import.mode,
        prefix=_prefix(roster_import),
        jurisdiction=roster_import.jurisdiction_id,
        progress=progress,
        writing=writing,
    )
    progress("读取文件", 5)
    upload = files.open_upload(roster_import.file.path, roster_import.original_name)
    try:
        staging.load(upload, max_rows=max_rows())
    finally:
        upload.close()
    outcome = Outcome()
    outcome.rows = staging.build()
    if outcome.rows == 0:
        raise FileError("file_empty")
    staging.check_cells()
    staging.check_rows()
    staging.collect(outcome, limit=max_errors())
    staging.classify(outcome)
    return staging, outcome


def run_checks(roster_import: RosterImport, *, progress: Progress | None = None) -> Outcome:
    """Validate without writing: the outcome (summary and first errors). The transaction is
    rolled back, temporary tables and all."""
    progress = progress or (lambda stage, percent: None)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _staging, outcome = _stage(roster_import, progress, cursor)
            raise _Invalid(outcome)
    except _Invalid as exc:
        return exc.outcome
    except FileError as exc:
        return _file_outcome(exc)


def _store(roster_import: RosterImport, outcome: Outcome, status: str, *, fields: tuple[str, ...] = ()) -> None:
    roster_import.status = status
    roster_import.summary = outcome.summary()
    roster_import.errors = [error_json(e) for e in outcome.errors]
    roster_import.progress = 100
    roster_import.stage = ImportStatus(status).label
    roster_import.save(update_fields=["status", "summary", "errors", "progress", "stage", *fields])


def error_json(error: RowError) -> dict:
    return {
        "row": error.row,
        "column": error.header,
        "field": error.column,
        "value": error.value,
        "code": error.code,
        "message": message(error.code, error.param),
    }


def import_validate(*, roster_import: RosterImport, progress: Progress | None = None) -> RosterImport:
    """The dry run: check every row and cell and store the summary and the errors."""
    RosterImport.objects.filter(pk=roster_import.pk).update(status=ImportStatus.VALIDATING, stage="校验中")
    started = time.monotonic()
    outcome = run_checks(roster_import, progress=progress)
    roster_import.validated_at = timezone.now()
    status = ImportStatus.INVALID if outcome.error_count else ImportStatus.VALID
    outcome_summary_seconds = round(time.monotonic() - started, 3)
    _store(roster_import, outcome, status, fields=("validated_at",))
    roster_import.summary["seconds"] = outcome_summary_seconds
    RosterImport.objects.filter(pk=roster_import.pk).update(summary=roster_import.summary)
    if roster_import.annotated_file:
        roster_import.annotated_file.delete(save=True)
    return roster_import


def _claim(roster_import: RosterImport) -> None:
    """Move a valid import (or one whose earlier commit died with its process) to committing."""
    claimed = RosterImport.objects.filter(
        pk=roster_import.pk, status__in=[ImportStatus.VALID, ImportStatus.FAILED]
    ).update(status=ImportStatus.COMMITTING, stage="导入中", progress=0)
    if claimed:
        return
    roster_import.refresh_from_db()
    if roster_import.status == ImportStatus.COMMITTED:
        raise ValidationError(ALREADY_COMMITTED)
    if roster_import.status == ImportStatus.COMMITTING:
        # A commit whose process died leaves the status behind but holds no lock any more.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_ONE, roster_import.pk])
            free = cursor.fetchone()[0]
            if free:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_ONE, roster_import.pk])
        if free:
            return
        raise ValidationError(COMMIT_RUNNING)
    raise ValidationError(NOT_VALID.format(status=roster_import.get_status_display()))


def import_commit(*, roster_import: RosterImport, actor, progress: Progress | None = None) -> RosterImport:
    """Write a validated roster: checked again and written in one transaction, with the
    actor on every history event; any error or failure writes nothing."""
    scope = scope_for(actor)
    if scope is None or not scope.allows(StaffRole.EDITOR):
        raise ValidationError(NO_RIGHT)
    _claim(roster_import)
    progress = progress or (lambda stage, percent: None)
    started = time.monotonic()
    try:
        with transaction.atomic(), pghistory.context(user=actor.pk, roster_import=roster_import.pk):
            with connection.cursor() as cursor:
                # Another commit of the same import waits here, then finds it committed.
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_ONE, roster_import.pk])
                cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_ALL])
                # pgtrigger and pghistory read these settings in an exception block in every
                # trigger call; unset, each call raises and rolls back a subtransaction, and
                # PostgreSQL then walks every deferred constraint event queued so far: the
                # cost per row grows with the rows written (docs/import.md, "History").
                cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
                staging, outcome = _stage(roster_import, progress, cursor, writing=True)
                if outcome.error_count:
                    raise _Invalid(outcome)
                staging.write(outcome)
                progress("完成写入,等待提交", 98)
    except _Invalid as exc:
        _store(roster_import, exc.outcome, ImportStatus.INVALID)
        roster_import.summary["commit_error"] = CHANGED_SINCE
        RosterImport.objects.filter(pk=roster_import.pk).update(summary=roster_import.summary)
        return roster_import
    except FileError as exc:
        _store(roster_import, _file_outcome(exc), ImportStatus.INVALID)
        return roster_import
    except DatabaseError as exc:
        log.exception("roster import %s failed", roster_import.pk)
        RosterImport.objects.filter(pk=roster_import.pk).update(
            status=ImportStatus.FAILED, stage=COMMIT_FAILED.format(error=str(exc).splitlines()[0])[:200]
        )
        roster_import.refresh_from_db()
        return roster_import
    roster_import.committed_at = timezone.now()
    outcome_summary = outcome.summary()
    outcome_summary["seconds"] = round(time.monotonic() - started, 3)
    _store(roster_import, outcome, ImportStatus.COMMITTED, fields=("committed_at",))
    RosterImport.objects.filter(pk=roster_import.pk).update(summary=outcome_summary)
    roster_import.summary = outcome_summary
    return roster_import


def imports_visible_to(user):
    """Imports within the account's jurisdiction (an import lies where its uploader's
    jurisdiction is); none without a staff account."""
    scope = scope_for(user)
    if scope is None:
        return RosterImport.objects.none()
    if not scope.prefix:
        return RosterImport.objects.all()
    return RosterImport.objects.filter(jurisdiction__code__startswith=scope.prefix)


NO_ERRORS = "该导入没有错误,无需标注。"


def annotated_store(roster_import: RosterImport):
    """The annotated copy of the upload (bad cells filled and commented), built once and kept
    on the import; None when the import has no errors."""
    from django.core.files.base import ContentFile

    from talent.roster.export import annotated_workbook

    if not roster_import.errors:
        return None
    if roster_import.annotated_file:
        return roster_import.annotated_file
    data = annotated_workbook(
        path=roster_import.file.path,
        name=roster_import.original_name,
        kind=roster_import.kind,
        errors=roster_import.errors,
        total=int(roster_import.summary.get("errors", len(roster_import.errors))),
    )
    stem = roster_import.original_name.rsplit(".", 1)[0]
    roster_import.annotated_file.save(f"{stem}-错误标注.xlsx", ContentFile(data), save=False)
    RosterImport.objects.filter(pk=roster_import.pk).update(annotated_file=roster_import.annotated_file.name)
    return roster_import.annotated_file

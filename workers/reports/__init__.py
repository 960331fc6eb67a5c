"""Running a report: claim it, call its builder, write its files, and record the outcome.

Safe to re-run. A report that already succeeded is left alone. A report whose worker died half
way (acks_late with reject_on_worker_lost brings the message back) is simply built again from
the start: files are written to a private temporary folder and become the report's files in
one transaction together with the ``succeeded`` status, so the report ends succeeded exactly
once, with one set of files.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from registry.routers import reading_from_replica
from talent.choices import FileFormat, JobStatus, ReportKind
from talent.models import Report, ReportFile
from talent.reporting import data_fingerprint
from workers.reports import eligibility, mobility, roster
from workers.reports.writers import write_csv, write_xlsx

logger = logging.getLogger(__name__)

BUILDERS = {
    ReportKind.MOBILITY: mobility.build,
    ReportKind.ELIGIBILITY: eligibility.build,
    ReportKind.ROSTER: roster.build,
}
WRITERS = {FileFormat.XLSX: write_xlsx, FileFormat.CSV: write_csv}


class ReportError(Exception):
    """A failure with a message meant for the person who asked for the report."""


class Progress:
    """Records a builder's progress where the API can read it (each update commits at once)."""

    def __init__(self, report_id: int):
        self.report_id = report_id
        # Fault injection for recovery tests: a pause after each stage.
        self.delay = float(os.environ.get("REPORT_STAGE_DELAY_SECONDS", "0") or 0)

    def __call__(self, percent: int, stage: str) -> None:
        Report.objects.filter(pk=self.report_id).update(progress=max(0, min(100, percent)), stage=stage)
        if self.delay:
            time.sleep(self.delay)


def report_claim(report_id: int) -> Report | None:
    """Mark the report running (another attempt) unless it is gone or already done."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == JobStatus.SUCCEEDED:
            return None
        report.status = JobStatus.RUNNING
        report.attempts += 1
        report.started_at = timezone.now()
        report.progress, report.stage, report.error = 0, "开始", ""
        report.save(update_fields=["status", "attempts", "started_at", "progress", "stage", "error"])
        return report


def _remove_leftovers(report: Report) -> None:
    """Files an earlier attempt stored but never recorded (it died between storing them and
    committing): everything in the report's folder that no ReportFile names."""
    folder = f"reports/{report.pk}"
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    kept = {Path(name).name for name in report.files.values_list("file", flat=True)}
    for name in names:
        if name not in kept:
            default_storage.delete(f"{folder}/{name}")


def report_run(report_id: int) -> None:
    report = report_claim(report_id)
    if report is None:
        return
    _remove_leftovers(report)
    progress = Progress(report.pk)
    try:
        fingerprint = data_fingerprint(report.rule)
        # The builders' reads go to the read replica when one is configured.
        with reading_from_replica():
            tables = BUILDERS[report.kind](report, progress)
        with tempfile.TemporaryDirectory(prefix=f"report-{report.pk}-") as folder:
            with reading_from_replica():  # the rosters stream while the files are written
                written = _write_files(report, tables, Path(folder), progress)
            _finish(report, written, fingerprint)
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        message = str(exc) if isinstance(exc, ReportError) else f"生成报表时出错:{type(exc).__name__}: {exc}"
        Report.objects.filter(pk=report.pk).update(
            status=JobStatus.FAILED, error=message[:2000], finished_at=timezone.now(), stage="失败"
        )
        raise


def _variants(report: Report) -> list[bool]:
    """Masked files always; full ones only when the requester may see personal data."""
    return [True, False] if report.personal_data else [True]


def _write_files(report: Report, tables_for, folder: Path, progress: Progress) -> list[tuple[str, bool, Path, int]]:
    written = []
    variants = _variants(report)
    steps = len(variants) * len(WRITERS)
    step = 0
    for masked in variants:
        tables = tables_for(masked)
        for fmt, writer in WRITERS.items():
            path = folder / f"{report.kind}-{report.pk}{'' if masked else '-full'}.{fmt}"
            rows = writer(path, tables)
            written.append((fmt, masked, path, rows))
            step += 1
            progress(60 + 35 * step // steps, f"写入文件 {path.name}")
    return written


def _finish(report: Report, written, fingerprint: str) -> None:
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status == JobStatus.SUCCEEDED:
            return  # another attempt finished first
        stale_files = [f.file.name for f in locked.files.all()]
        locked.files.all().delete()
        for fmt, masked, path, rows in written:
            with path.open("rb") as handle:
                suffix = "" if masked else "-full"
                name = f"reports/{report.pk}/{report.kind}-{report.pk}-{report.attempts}{suffix}.{fmt}"
                stored = default_storage.save(name, File(handle))
            ReportFile.objects.create(
                report=locked, format=fmt, masked=masked, file=stored, size=path.stat().st_size, rows=rows
            )
        locked.status = JobStatus.SUCCEEDED
        locked.progress, locked.stage = 100, "完成"
        locked.finished_at = timezone.now()
        locked.fingerprint = fingerprint
        locked.save(update_fields=["status", "progress", "stage", "finished_at", "fingerprint"])
        transaction.on_commit(lambda: [default_storage.delete(name) for name in stale_files])

"""Celery tasks: thin, safe to re-run. They take a primary key, return at once when the work
is done or the row is gone, and call a builder. Only database connection errors are retried."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from talent.choices import ReportKind
from talent.models import EligibilityRule
from talent.reporting import report_request
from workers.reports import report_run


@shared_task(
    name="workers.build_report",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def build_report(report_id: int) -> None:
    report_run(report_id)


@shared_task(name="workers.schedule_monthly_reports")
def schedule_monthly_reports() -> list[int]:
    """Beat: the monthly mobility report of the whole registry and an eligibility report for
    every active rule, as of today. Each is an ordinary report record, built by build_report."""
    as_of = timezone.localdate().isoformat()
    reports = [report_request(kind=ReportKind.MOBILITY, params={"as_of": as_of}, actor=None)]
    for code in EligibilityRule.objects.filter(is_current=True, active=True).values_list("code", flat=True):
        reports.append(report_request(kind=ReportKind.ELIGIBILITY, params={"as_of": as_of, "rule": code}, actor=None))
    return [report.pk for report in reports]

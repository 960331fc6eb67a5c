"""Celery tasks: thin, safe to re-run. They take a primary key, return at once when the work
is done or the row is gone, and call a builder. Only database connection errors are retried."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from talent.reporting import report_request, system_account
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


@shared_task(name="workers.request_scheduled_report")
def request_scheduled_report(kind: str, params: dict | None = None) -> int:
    """Beat (django-celery-beat, editable in the admin): ask for a report as of today, as the
    system account, which build_report then builds like any other."""
    params = {"as_of": timezone.localdate().isoformat(), **(params or {})}
    return report_request(kind=kind, params=params, actor=system_account()).pk

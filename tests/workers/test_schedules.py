"""Report schedules (django-celery-beat, editable in the admin) and what a scheduled run does."""

from __future__ import annotations

import json

from django_celery_beat.models import PeriodicTask

from talent.choices import JobStatus
from talent.models import Report
from talent.reporting import SYSTEM_USERNAME
from tests.factories import division_get_or_make
from workers.tasks import request_scheduled_report


def test_default_schedules(db):
    tasks = {t.name: t for t in PeriodicTask.objects.filter(task="workers.request_scheduled_report")}
    monthly = [t for t in tasks.values() if json.loads(t.kwargs)["kind"] == "eligibility"]
    rules = {json.loads(t.kwargs)["params"]["rule"] for t in monthly}
    assert rules == {"township-institution-post", "township-civil-servant-directed", "graduate-civil-service-exam"}
    assert all((t.crontab.minute, t.crontab.hour, t.crontab.day_of_month) == ("0", "3", "1") for t in monthly)
    yearly = tasks["每年大学生村官有序流动报表"]
    assert (yearly.crontab.day_of_month, yearly.crontab.month_of_year) == ("1", "1")
    assert str(yearly.crontab.timezone) == "Asia/Shanghai" and yearly.enabled


def test_a_scheduled_run_asks_as_the_system_account(registry, client_for):
    report = Report.objects.get(pk=request_scheduled_report(kind="mobility"))
    assert report.status == JobStatus.QUEUED
    assert report.requested_by.username == SYSTEM_USERNAME
    assert report.jurisdiction_id == "430000000000" and not report.personal_data
    # Province-level staff see it; county staff do not.
    province = {r["id"] for r in client_for("viewer", "430000000000").get("/api/v1/reports/").json()["results"]}
    assert report.pk in province
    county = {r["id"] for r in client_for("viewer", "430104000000").get("/api/v1/reports/").json()["results"]}
    assert report.pk not in county
    again = Report.objects.get(
        pk=request_scheduled_report(kind="eligibility", params={"rule": "township-institution-post"})
    )
    assert again.requested_by_id == report.requested_by_id  # the same system account
    assert again.rule.code == "township-institution-post"


def test_the_system_account_needs_its_division(db):
    division_get_or_make("110000000000", name="北京市")
    report = Report.objects.get(pk=request_scheduled_report(kind="mobility"))
    assert report.requested_by is None and report.jurisdiction_id is None  # the whole registry

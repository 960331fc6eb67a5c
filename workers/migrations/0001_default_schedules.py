"""The default report schedules, editable afterwards in the admin (django-celery-beat):
a monthly eligibility report for each seeded rule and a yearly mobility report."""

import json

from django.db import migrations

TIMEZONE = "Asia/Shanghai"
SEEDED_RULES = ("township-institution-post", "township-civil-servant-directed", "graduate-civil-service-exam")


def schedules():
    for code in SEEDED_RULES:
        # 03:00 on the 1st of every month.
        yield f"每月资格条件报表:{code}", ("0", "3", "1", "*"), {"kind": "eligibility", "params": {"rule": code}}
    # 04:00 on 1 January.
    yield "每年大学生村官有序流动报表", ("0", "4", "1", "1"), {"kind": "mobility", "params": {}}


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (minute, hour, day_of_month, month), kwargs in schedules():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month, day_of_week="*",
            timezone=TIMEZONE,
        )  # fmt: skip
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": "workers.request_scheduled_report",
                "crontab": crontab,
                "kwargs": json.dumps(kwargs, ensure_ascii=False),
                "queue": "reports",
                "enabled": True,
            },
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in schedules()]).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create, remove)]

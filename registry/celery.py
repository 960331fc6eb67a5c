"""The Celery application. Configuration comes from Django settings with the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # workers/tasks.py: reports
app.autodiscover_tasks(related_name="import_tasks")  # workers/import_tasks.py: roster imports

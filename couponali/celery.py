"""The Celery app. Tasks are discovered in each installed app's tasks.py; the beat schedule is in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "couponali.settings.development")

app = Celery("couponali")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

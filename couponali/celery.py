"""The Celery app. Tasks are discovered in each installed app's tasks.py; the beat schedule is in settings."""

import os

from celery import Celery

# Whether the settings module came from the environment or is the default set here (see embedded.py's run).
SETTINGS_FROM_ENVIRONMENT = "DJANGO_SETTINGS_MODULE" in os.environ
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "couponali.settings.development")

app = Celery("couponali")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

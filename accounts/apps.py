from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from . import checks, receivers, schema  # noqa: F401 - registers signal receivers, checks, schema hooks

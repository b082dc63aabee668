from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Django app loading: these register receivers, checks and schema hooks once the models are ready.
        from . import checks, receivers, schema  # noqa: F401, PLC0415

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and API keys"

    def ready(self):
        # Django app loading: the receivers of couponali.events and the API key's OpenAPI scheme register here.
        from . import receivers, schema  # noqa: F401, PLC0415

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CouponAliConfig(AppConfig):
    name = "couponali"
    verbose_name = "CouponAli platform"

    def ready(self) -> None:
        # Register every app's tasks in every process (web too, not only workers), so that a task queued by
        # name from a lower app (accounts queues "referrals.record_signup") resolves to its task: eagerly in
        # tests, with its routing and options everywhere.
        autodiscover_modules("tasks")

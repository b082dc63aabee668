from django.apps import AppConfig


class CouponAliConfig(AppConfig):
    name = "couponali"
    verbose_name = "CouponAli platform"

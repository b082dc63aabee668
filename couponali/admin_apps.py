"""django.contrib.admin with CouponAli's site as the default one (INSTALLED_APPS names this class instead of
"django.contrib.admin"), so every app's ``admin.site.register`` and ``@admin.register`` land on it. A module of
its own: apps.py holding two AppConfigs would make Django pick neither for "couponali"."""

from django.contrib.admin.apps import AdminConfig


class CouponAliAdminConfig(AdminConfig):
    default_site = "couponali.admin_site.CouponAliAdminSite"

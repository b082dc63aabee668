"""The back office's AdminSite (the default site, so every ``admin.site.register`` lands here; see
couponali/admin_apps.py): work queues on the index, the app list grouped into sections with money first,
and the internal plumbing shown to superusers only.

- **Work queues.** Each app registers its queues (``work_queue_register``) from its admin module with the
  lookups of its own selector, so the count on the index and the changelist the link opens apply the same
  condition. A queue is listed only to staff who may view its model.
- **Sections.** The index and the sidebar list sections instead of Django's one block per app: "Money"
  first, one "Accounts" block for every model about people and access whatever app it lives in (users, KYC,
  sessions, roles, social accounts, groups...), then the catalogue, content and the platform tables.
- **Plumbing.** Tables that only the code reads or writes (counters, impression batches, idempotency keys,
  search words, webhook receipts, one-time codes, OAuth secrets) are superusers' only: for anyone else they
  are neither listed nor reachable (403 on a direct URL), whichever app registered them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Section:
    slug: str
    name: str
    apps: tuple[str, ...] = ()
    models: tuple[str, ...] = ()  # "app_label.ModelName" placed here whatever their app's section


# Order matters: the index lists the sections in this order. An app not named here lands in "Platform".
SECTIONS: tuple[Section, ...] = (
    Section("money", "Money", apps=("wallet", "orders", "referrals")),
    Section("stores", "Stores and offers", apps=("catalog", "offers")),
    Section("content", "Content and support", apps=("cms",)),
    Section(
        "accounts",
        "Accounts",
        apps=("accounts", "auth", "account", "socialaccount", "guardian"),
    ),
    Section("platform", "Platform and audit", apps=("couponali",)),
)
_FALLBACK = SECTIONS[-1]

SUPERUSER_ONLY: frozenset[str] = frozenset(
    {
        "couponali.IdempotencyKey",
        "offers.CounterWatermark",
        "offers.ImpressionBatch",
        "offers.SearchWord",
        "orders.PaymentWebhookEvent",
        "accounts.VerificationCode",
        "socialaccount.SocialApp",  # the OAuth client secrets
        "socialaccount.SocialToken",  # the providers' access tokens
    }
)
"""Plumbing: tables the code keeps for itself. Superusers only (listed, opened); 403 for other staff."""


@dataclass(frozen=True)
class WorkQueue:
    """A queue of rows waiting for staff: ``lookups`` is the selector's condition, used both for the count and
    as the changelist's query string (so the link opens exactly the rows counted)."""

    order: int
    label: str
    model: type[Model]
    lookups: Mapping[str, object]

    def query_string(self) -> str:
        def value(v: object) -> str:
            if isinstance(v, bool):
                return "1" if v else "0"
            if isinstance(v, list | tuple | set | frozenset):
                return ",".join(str(x) for x in v)
            return str(v)

        return urlencode({k: value(v) for k, v in self.lookups.items()})

    def count_for(self, model_admin: admin.ModelAdmin, request) -> int:
        """Counted in the changelist's own queryset, so a user who sees only some rows (a support agent, his
        department's tickets) is shown the number the link opens."""
        return model_admin.get_queryset(request).filter(**self.lookups).count()


_WORK_QUEUES: dict[str, WorkQueue] = {}


def work_queue_register(queue: WorkQueue) -> None:
    """Called by an app's admin module; registering the same label again replaces the queue."""
    _WORK_QUEUES[queue.label] = queue


def work_queues() -> list[WorkQueue]:
    return sorted(_WORK_QUEUES.values(), key=lambda q: q.order)


class SuperuserOnlyMixin:
    """Put in front of a plumbing table's ModelAdmin by the site: no module, no page, no action for staff who
    are not superusers."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class CouponAliAdminSite(admin.AdminSite):
    site_header = "CouponAli back office"
    site_title = "CouponAli admin"
    index_title = "Run the business"
    # The lists get the screen's width: the app menu beside every page took 300 of a laptop's 1,366 px and pushed
    # the money lists into a horizontal scroll (tests/browser/test_admin_width.py). The index and the breadcrumbs
    # lead everywhere the menu did.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if model._meta.label in SUPERUSER_ONLY and not issubclass(cls, SuperuserOnlyMixin):
                cls = type(cls.__name__, (SuperuserOnlyMixin, cls), {"__module__": cls.__module__})
            super().register(model, cls, **options)

    # ------------------------------------------------------------------ index

    def visible_work_queues(self, request) -> list[dict]:
        rows = []
        for queue in work_queues():
            model_admin = self._registry.get(queue.model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            opts = queue.model._meta
            try:
                url = reverse(f"{self.name}:{opts.app_label}_{opts.model_name}_changelist", current_app=self.name)
            except NoReverseMatch:
                continue
            count = queue.count_for(model_admin, request)
            rows.append({"label": queue.label, "count": count, "url": f"{url}?{queue.query_string()}"})
        return rows

    def index(self, request, extra_context=None):
        extra = {"work_queues": self.visible_work_queues(request), **(extra_context or {})}
        return super().index(request, extra)

    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        app_dict = self._build_app_dict(request)
        placed: dict[str, list[dict]] = {s.slug: [] for s in SECTIONS}
        by_model = {label: s for s in SECTIONS for label in s.models}
        by_app = {app: s for s in SECTIONS for app in s.apps}
        app_order = {app: i for s in SECTIONS for i, app in enumerate(s.apps)}
        first_url: dict[str, str] = {}
        for app in sorted(app_dict.values(), key=lambda a: (app_order.get(a["app_label"], 99), a["name"].lower())):
            for model in sorted(app["models"], key=lambda m: m["name"].lower()):
                section = by_model.get(model["model"]._meta.label) or by_app.get(app["app_label"], _FALLBACK)
                placed[section.slug].append(model)
                first_url.setdefault(section.slug, app["app_url"])
        return [
            {
                "name": s.name,
                "app_label": s.slug,
                "app_url": first_url[s.slug],
                "has_module_perms": True,
                "models": placed[s.slug],
            }
            for s in SECTIONS
            if placed[s.slug]
        ]

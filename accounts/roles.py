"""The seeded staff roles and departments: the one definition of what each system role may do.

A role holds permission codes, Django's ``app_label.codename`` (``wallet.approve_withdrawal``,
``cms.view_cmspage``), or :data:`ALL` (every permission; the super admin). The roles backend
(``accounts.backends``) answers ``user.has_perm`` from the roles a user holds; departments are a second axis
(whose queue, and the finance-only rules), read by ``accounts.authz.departments_of``.

The migration that seeds them (``accounts/migrations/0006_system_roles.py``) and the demo seed call
:func:`system_roles_sync`, which adds what is missing and never takes a permission away from a role that
already exists: an operator's change to a system role survives a re-run. A code added to a definition later
ships with a migration that calls it again (``0008_finance_views_stores``: finance reads stores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ALL: Final = "*"
"""The code that stands for every permission (the super admin role)."""


def _model(app_model: str, *actions: str) -> tuple[str, ...]:
    """``_model("wallet.withdrawal", "view")`` -> ``("wallet.view_withdrawal",)``."""
    app, model = app_model.split(".")
    return tuple(f"{app}.{action}_{model}" for action in actions)


def _view(*app_models: str) -> tuple[str, ...]:
    return tuple(code for am in app_models for code in _model(am, "view"))


@dataclass(frozen=True)
class SystemRole:
    slug: str
    name: str
    description: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class SystemDepartment:
    slug: str
    name: str
    description: str


FINANCE_PERMISSIONS: Final = (
    *_view("wallet.withdrawal", "wallet.payout", "wallet.wallettransaction", "wallet.walletbalance"),
    *_view("wallet.walletdebt", "wallet.cashbackevent", "wallet.unmatchedconversion"),
    "wallet.approve_withdrawal",
    "wallet.reject_withdrawal",
    "wallet.pay_withdrawal",
    "wallet.adjust_wallettransaction",
    "wallet.record_cashbackevent",
    "wallet.confirm_cashbackevent",
    "wallet.reject_cashbackevent",
    "wallet.reverse_cashbackevent",
    "wallet.retry_unmatchedconversion",
    "wallet.dismiss_unmatchedconversion",
    *_view("orders.order", "orders.orderitem", "orders.payment", "orders.orderrefund", "orders.giftcard"),
    *_view("orders.giftcardredemption"),
    "orders.refund_order",
    "orders.void_vouchers",
    "orders.issue_giftcard",
    *_view("accounts.user", "accounts.userkyc", "referrals.referral", "couponali.auditlog"),
    "accounts.review_userkyc",
    "accounts.reveal_userkyc",
    # Withdrawal questions are routed to the finance department's queue.
    *_view("cms.supportticket", "cms.cannedanswer"),
    "cms.change_supportticket",
    "cms.answer_supportticket",
    "analytics.view_dashboard",
    # The store filter of the cashback events and tickets lists asks the store admin (accounts migration 0008).
    *_view("catalog.merchant"),
)

SUPPORT_PERMISSIONS: Final = (
    *_view("accounts.user", "accounts.usersession", "accounts.notification"),
    *_model("cms.supportticket", "view", "change"),
    "cms.answer_supportticket",
    *_model("cms.cannedanswer", "view", "add", "change"),
    *_view("cms.supportticketmessage", "cms.supportticketattachment"),
    # Settling a missing-cashback claim records a pending cashback event through the wallet, which checks this.
    *_view("offers.offerclick", "wallet.cashbackevent", "wallet.withdrawal", "referrals.referral"),
    "wallet.record_cashbackevent",
    *_view("orders.order", "orders.orderitem", "orders.payment", "orders.giftcard"),
    "orders.retry_fulfilment",
    "orders.resend_vouchers",
    *_view("catalog.merchant", "offers.offer"),
)

CONTENT_EDITOR_PERMISSIONS: Final = (
    *_model("cms.cmspage", "view", "add", "change", "delete"),
    "cms.publish_cmspage",
    *_model("cms.seoredirect", "view", "add", "change", "delete"),
    *_model("catalog.category", "view", "add", "change"),
    *_model("catalog.merchant", "view", "change"),
    *_model("offers.offer", "view", "add", "change", "delete"),
    *_view("catalog.merchantcommission", "catalog.product", "catalog.productvariant"),
)

# Stores come by object grants (django-guardian, catalog.change_merchant on each store): a merchant manager
# edits only the stores granted to them and those stores' offers and commissions, so nothing store-wide here.
MERCHANT_MANAGER_PERMISSIONS: Final = _view("catalog.category")

ANALYST_PERMISSIONS: Final = (
    "analytics.view_dashboard",
    "analytics.export_data",
    *_view("catalog.merchant", "catalog.category", "catalog.merchantcommission", "offers.offer"),
    *_view("offers.offerclick", "offers.offerview", "wallet.cashbackevent", "orders.order", "referrals.referral"),
)

SUPER_ADMIN: Final = "super-admin"
FINANCE: Final = "finance"
SUPPORT: Final = "support"
CONTENT_EDITOR: Final = "content-editor"
MERCHANT_MANAGER: Final = "merchant-manager"
ANALYST: Final = "analyst"

SYSTEM_ROLES: Final = (
    SystemRole(SUPER_ADMIN, "Super admin", "Every permission; grants and edits the other roles.", (ALL,)),
    SystemRole(
        FINANCE,
        "Finance",
        "Withdrawals, payouts, wallet adjustments, cashback, refunds, gift-card issues, KYC review.",
        FINANCE_PERMISSIONS,
    ),
    SystemRole(
        SUPPORT,
        "Support agent",
        "The support desk of their departments; reads shoppers, orders and store visits; settles claims.",
        SUPPORT_PERMISSIONS,
    ),
    SystemRole(
        CONTENT_EDITOR,
        "Content editor",
        "CMS pages (and publishing them), SEO redirects, categories, store pages and offers.",
        CONTENT_EDITOR_PERMISSIONS,
    ),
    SystemRole(
        MERCHANT_MANAGER,
        "Merchant manager",
        "The stores granted to them (object grants): their page, offers and commissions.",
        MERCHANT_MANAGER_PERMISSIONS,
    ),
    SystemRole(
        ANALYST,
        "Analyst",
        "The analytics dashboard and its CSV exports; reads the catalogue, clicks and conversions.",
        ANALYST_PERMISSIONS,
    ),
)

SYSTEM_DEPARTMENTS: Final = (
    SystemDepartment("finance", "Finance", "Approves withdrawals and adjustments; answers withdrawal tickets."),
    SystemDepartment("support", "Customer support", "Answers shoppers' tickets and missing-cashback claims."),
    SystemDepartment("content", "Content", "Pages, offers and SEO."),
    SystemDepartment("partnerships", "Partnerships", "Stores, networks and commissions."),
)


def system_roles_sync(apps) -> None:
    """Create the system roles and departments that are missing and give each system role the permission codes
    of its definition that it lacks. Takes the app registry (a migration's historical one, or django.apps.apps),
    so the migration and the demo seed run the same code."""
    Role = apps.get_model("accounts", "Role")
    AccessPermission = apps.get_model("accounts", "AccessPermission")
    RolePermission = apps.get_model("accounts", "RolePermission")
    Department = apps.get_model("accounts", "Department")
    for d in SYSTEM_DEPARTMENTS:
        if not Department.objects.filter(slug=d.slug).exists():
            Department.objects.create(slug=d.slug, name=d.name, description=d.description)
    for r in SYSTEM_ROLES:
        role, _ = Role.objects.get_or_create(
            slug=r.slug, defaults={"name": r.name, "description": r.description, "is_system": True}
        )
        if not role.is_system:
            role.is_system = True
            role.save(update_fields=["is_system"])
        for code in r.permissions:
            permission, _ = AccessPermission.objects.get_or_create(
                code=code, defaults={"description": "Every permission" if code == ALL else None}
            )
            RolePermission.objects.get_or_create(role=role, permission=permission)

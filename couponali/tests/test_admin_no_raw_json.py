"""No raw JSON and no ciphertext on admin pages (issue 12): JSON columns are shown as "key: value" lines
without secret keys; money in list columns as ₹ with Indian grouping."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import DecimalField
from django.template import Context, Template
from django.urls import reverse

from accounts.factories import StaffUserFactory, UserSessionFactory
from orders.factories import OrderFactory, PaymentFactory, PaymentWebhookEventFactory
from wallet.factories import UnmatchedConversionFactory

READONLY = re.compile(r'<div class="readonly">(.*?)</div>\s*(?:<div class="help"|</div>)', re.S)


@pytest.fixture(autouse=True)
def _rls_bypass(db):
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('app.rls_bypass', 'on', false)")


def readonly_values(html: str) -> str:
    return "\n".join(READONLY.findall(html))


@pytest.mark.parametrize(
    ("make", "url_name", "shown", "hidden"),
    [
        (
            lambda: UnmatchedConversionFactory(),
            "admin:wallet_unmatchedconversion_change",
            "sale amount: 999.00",
            "&quot;sale_amount&quot;",
        ),
        (
            lambda: UserSessionFactory(device_info={"browser": "Chrome 130", "os": "Android 14", "device": "mobile"}),
            "admin:accounts_usersession_change",
            "browser: Chrome 130",
            "&quot;browser&quot;",
        ),
        (
            lambda: OrderFactory(delivery_address={"city": "Pune", "pincode": "411001"}),
            "admin:orders_order_change",
            "city: Pune",
            "&quot;city&quot;",
        ),
        (
            lambda: PaymentFactory(gateway_response={"id": "pay_1", "status": "captured", "signature": "s3cr3t"}),
            "admin:orders_payment_change",
            "status: captured",
            "s3cr3t",
        ),
        (
            lambda: PaymentWebhookEventFactory(payload={"event": "payment.captured", "secret_token": "tok_9"}),
            "admin:orders_paymentwebhookevent_change",
            "event: payment.captured",
            "tok_9",
        ),
    ],
)
def test_json_columns_are_shown_as_lines_without_secrets(client, make, url_name, shown, hidden):
    row = make()
    client.force_login(StaffUserFactory())

    html = client.get(reverse(url_name, args=[row.pk])).content.decode()

    assert shown in html
    assert hidden not in html
    assert "{&quot;" not in readonly_values(html)


def test_the_inr_filter_groups_the_indian_way():
    template = Template("{% load money %}{{ a|inr }} {{ b|inr }} {{ c|inr }} {{ d|inr }}|{{ e|inr }}")

    out = template.render(Context({"a": Decimal("150000"), "b": 99.5, "c": "-1234567.25", "d": 0, "e": None}))

    assert out == "₹1,50,000 ₹99.50 -₹12,34,567.25 ₹0|"


def test_the_shopper_templates_use_the_same_filter():
    template = Template("{% load offers_tags %}{{ a|inr }}")

    assert template.render(Context({"a": Decimal("1500000")})) == "₹15,00,000"


def test_order_list_shows_amounts_with_indian_grouping(client):
    OrderFactory(total_amount=Decimal("245000.00"), subtotal=Decimal("245000.00"))
    client.force_login(StaffUserFactory())

    html = client.get(reverse("admin:orders_order_changelist")).content.decode()

    assert "₹2,45,000" in html


# A percentage or a flat amount depending on the row's type: not money on its own.
RATE_FIELDS = {"commission_value", "cashback_value", "default_cashback_value"}


def test_no_list_shows_a_money_column_raw():
    raw = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        for name in admin.site.get_model_admin(model).list_display:
            if not isinstance(name, str) or name in RATE_FIELDS:
                continue
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if isinstance(field, DecimalField) and field.decimal_places == 2:
                raw.append(f"{model._meta.label}.{name}")
    assert raw == [], "use couponali.admin.inr_column for these"

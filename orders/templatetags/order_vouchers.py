"""``{% order_vouchers order as rows %}``: an order's vouchers, masked (for templates/orders/_vouchers.html)."""

from __future__ import annotations

from django import template

from orders.vouchers import VoucherRow, voucher_rows

register = template.Library()


@register.simple_tag
def order_vouchers(order) -> list[VoucherRow]:
    return voucher_rows(order) if order is not None else []

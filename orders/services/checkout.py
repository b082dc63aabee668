"""From a cart to a placed order; cancelling and abandoning unpaid orders.

LOCK ORDER of the store (every write follows it, so two writers never wait for each other in a circle):

  1. the shopper's wallet_balances row (wallet_services.wallet_lock), when the write posts to the wallet;
  2. the order row (select_for_update): every change to an order, its payments and its refunds happens
     under it, so the browser's callback, repeated webhooks and staff can race safely;
  3. a CouponAli gift card row, when the applier locks one (or a service gives value back to it);
  4. inventory rows, ascending variant id (catalog.stock), then their products (sales_count), always last: a
     popular card's rows are then held only for the end of a transaction.

An order is placed in one transaction: gift-card discount applied, order, items, wallet part (order_payment),
wallet payment row and audit row written, stock reserved last. What the gateway must collect is asked for
afterwards (payments.payment_start), outside any transaction, because it is an HTTP call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.forms import INDIAN_STATES
from accounts.models import User
from accounts.validators import clean_email, clean_mobile, clean_pincode
from catalog import stock
from catalog.gift_card_selectors import gift_cards_listed
from catalog.models import Product, ProductVariant
from couponali import rls
from couponali.audit import AuditAction, audit_log
from couponali.money import format_inr
from orders import gateway
from orders.models import Order, OrderItem, Payment
from orders.status import ORDER_PAYMENT_TRANSITIONS, ORDER_TRANSITIONS, check_move
from wallet import services as wallet_services
from wallet.models import WalletTransaction

from . import gift_cards

PAISA = Decimal("0.01")
FULFIL_TASK = "orders.fulfil_order"
WALLET_REFERENCE = "order"  # wallet postings of an order: (order, <order id>, order_payment / order_refund)


class CheckoutError(Exception):
    """A refusal fit to show the shopper; nothing was changed."""

    http_status = 400  # the API's answer (couponali.api_errors)
    error_code = "checkout_refused"


SoldOut = stock.SoldOut


# ---------------------------------------------------------------- money rules (one home each)


def tax_for(amount: Decimal) -> Decimal:
    """Tax on the discounted subtotal, at settings.ORDER_TAX_RATE_PERCENT (0 by default), to the paisa."""
    return (amount * settings.ORDER_TAX_RATE_PERCENT / Decimal(100)).quantize(PAISA, rounding=ROUND_HALF_UP)


def next_order_number(*, now: dt.datetime | None = None) -> str:
    """ORD-<year>-<six or more digits>, from the database sequence (unique across processes and nodes)."""
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('order_number_seq')")
        (n,) = cur.fetchone()
    year = timezone.localtime(now or timezone.now()).year
    return f"ORD-{year}-{n:06d}"


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class DeliveryDetails:
    email: str | None
    mobile: str | None
    address: dict | None


ADDRESS_FIELDS = ("name", "line1", "line2", "city", "state", "pincode")


def clean_delivery(*, email: str, mobile: str, address: Mapping[str, str] | None, physical: bool) -> DeliveryDetails:
    """Validate where the cards go: an e-mail address (e-gift cards), an optional mobile number for SMS, and
    for physical cards an Indian postal address with state and PIN. Raises CheckoutError."""
    try:
        email = clean_email(email) if (email or "").strip() else ""
    except ValidationError:
        raise CheckoutError("Enter a valid e-mail address for the gift cards.") from None
    try:
        mobile = clean_mobile(mobile) if (mobile or "").strip() else ""
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0]) from None
    if not email and not mobile:
        raise CheckoutError("Enter an e-mail address or a mobile number to receive the gift cards.")
    cleaned = None
    if physical:
        address = {k: (address or {}).get(k, "").strip() for k in ADDRESS_FIELDS}
        missing = [k for k in ("name", "line1", "city", "state", "pincode") if not address[k]]
        if missing:
            raise CheckoutError("Physical cards are posted: enter the name, address, city, state and PIN code.")
        if address["state"] not in INDIAN_STATES:
            raise CheckoutError("Choose the state or union territory from the list.")
        try:
            address["pincode"] = clean_pincode(address["pincode"])
        except ValidationError as exc:
            raise CheckoutError(exc.messages[0]) from None
        if any(len(v) > 200 for v in address.values()):
            raise CheckoutError("An address line is too long.")
        cleaned = address
    return DeliveryDetails(email=email or None, mobile=mobile or None, address=cleaned)


def clean_lines(lines: Mapping[int, int]) -> dict[int, int]:
    """The cart's {variant id: units}, checked against the per-order limit. Raises CheckoutError."""
    cleaned = {int(v): int(n) for v, n in lines.items() if int(n) > 0}
    if not cleaned:
        raise CheckoutError("Your cart is empty.")
    units = sum(cleaned.values())
    if units > settings.ORDER_MAX_UNITS:
        raise CheckoutError(f"At most {settings.ORDER_MAX_UNITS} gift cards per order; your cart has {units}.")
    return cleaned


def purchasable_variants(variant_ids) -> dict[int, ProductVariant]:
    """Variants that can be bought now: available, of a listed product that is in stock (one query)."""
    return {
        v.pk: v
        for v in ProductVariant.objects.select_related("product").filter(
            pk__in=list(variant_ids),
            is_available=True,
            product__is_in_stock=True,
            product__in=gift_cards_listed().values("pk"),
        )
    }


# ---------------------------------------------------------------- the gift-card code hook


def apply_gift_card(*, code: str, user_id: int, order_id: int, amount_due: Decimal) -> Decimal:
    """Apply a CouponAli gift-card code to the placed (pending) order through the gift-card service, inside the
    placing transaction (lock step 3: the card row), and return the discount (at most ``amount_due``). The
    card's value comes back with gift_cards.gift_card_release when the order closes unpaid."""
    try:
        return gift_cards.gift_card_apply(code=code, user_id=user_id, amount=amount_due, order_id=order_id)
    except gift_cards.GiftCardError as exc:
        raise CheckoutError(str(exc)) from exc


# ---------------------------------------------------------------- placing


@dataclass(frozen=True)
class Placed:
    order: Order
    amount_due: Decimal  # what the gateway must collect; 0 = paid in full at placement


def order_place(  # noqa: PLR0913 - the checkout form's fields, each a keyword; grouping them would only move the list
    *,
    user: User,
    lines: Mapping[int, int],
    email: str = "",
    mobile: str = "",
    address: Mapping[str, str] | None = None,
    use_wallet: bool = False,
    wallet_amount: Decimal | None = None,
    gift_card_code: str = "",
    notes: str = "",
) -> Placed:
    """Place an order for ``lines`` ({variant id: units}). With ``use_wallet``, up to ``wallet_amount`` (or all
    of the balance when None) pays part or all of it. Raises CheckoutError (or SoldOut) with a message for the
    shopper; then nothing was reserved, posted or written."""
    lines = clean_lines(lines)
    variants = purchasable_variants(lines)
    missing = [vid for vid in lines if vid not in variants]
    if missing:
        raise CheckoutError("A gift card in your cart is no longer available; remove it and try again.")
    physical = any(variants[vid].product.card_type == Product.CardType.PHYSICAL for vid in lines)
    delivery = clean_delivery(email=email, mobile=mobile, address=address, physical=physical)
    if wallet_amount is not None:
        try:
            wallet_amount = Decimal(wallet_amount)
        except ArithmeticError:
            raise CheckoutError("Enter the wallet amount in rupees, e.g. 250 or 250.50.") from None
        if wallet_amount < 0 or wallet_amount != wallet_amount.quantize(PAISA):
            raise CheckoutError("Enter the wallet amount in rupees, e.g. 250 or 250.50.")
    subtotal = sum((variants[vid].selling_price * n for vid, n in lines.items()), Decimal("0"))
    code = (gift_card_code or "").strip().upper()

    with transaction.atomic():
        lock = wallet_services.wallet_lock(user_id=user.pk) if use_wallet else None  # lock step 1
        number = next_order_number()
        total = subtotal + tax_for(subtotal)
        wallet_used = Decimal("0.00")
        if lock is not None:
            wanted = lock.balance if wallet_amount is None else wallet_amount
            if wanted > lock.balance:
                raise CheckoutError(
                    f"Your wallet has {format_inr(lock.balance)}; you asked to use {format_inr(wanted)}."
                )
            wallet_used = min(wanted, total)
        order = Order.objects.create(
            order_number=number,
            user=user,
            subtotal=subtotal,
            discount_amount=Decimal("0.00"),
            wallet_used=wallet_used,
            tax_amount=total - subtotal,
            total_amount=total,
            promo_code=code or None,
            delivery_email=delivery.email,
            delivery_mobile=delivery.mobile,
            delivery_address=delivery.address,
            notes=notes[:2000] or None,
        )
        if code:  # the gift-card service needs the order; the amounts are settled while it is still pending
            discount = apply_gift_card(code=code, user_id=user.pk, order_id=order.pk, amount_due=subtotal)
            taxable = subtotal - discount
            total = taxable + tax_for(taxable)
            wallet_used = min(wallet_used, total)
            amounts = {
                "discount_amount": discount,
                "tax_amount": total - taxable,
                "total_amount": total,
                "wallet_used": wallet_used,
            }
            Order.objects.filter(pk=order.pk).update(**amounts)
            for field, value in amounts.items():
                setattr(order, field, value)
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=variants[vid].product,
                    variant=variants[vid],
                    product_name=variants[vid].product.name,
                    product_sku=variants[vid].product.sku,
                    denomination=variants[vid].denomination,
                    quantity=n,
                    unit_price=variants[vid].selling_price,
                    total_price=variants[vid].selling_price * n,
                )
                for vid, n in sorted(lines.items())
            ]
        )
        if wallet_used > 0:
            wallet_services.wallet_post(
                user_id=user.pk,
                amount=-wallet_used,
                type=WalletTransaction.Type.ORDER_PAYMENT,
                reference_type=WALLET_REFERENCE,
                reference_id=order.pk,
                description=f"Gift cards, order {number}",
                lock=lock,
            )
            Payment.objects.create(
                order=order,
                user=user,
                amount=wallet_used,
                payment_method="wallet",
                status=Payment.Status.SUCCESS,
            )
        audit_log(
            actor_id=user.pk,
            action=AuditAction.ORDER_PLACED,
            entity_type="order",
            entity_id=order.pk,
            metadata={"order_number": number, "total": str(total), "wallet_used": str(wallet_used)},
        )
        # Step 3 last: a popular variant's stock row is then locked only for the end of the transaction, not
        # for all of it (orders of one hot card queue on that row). A sold-out card rolls everything back.
        stock.stock_reserve(lines=lines)
        due = total - wallet_used
        if due > 0 and not gateway.online_payment_available():
            raise CheckoutError("Online payment is not available right now; pay the whole amount from your wallet.")
        if due == 0:
            mark_paid_locked(order=order, actor_id=user.pk, source="wallet")
    return Placed(order=order, amount_due=due)


def order_lines(order: Order) -> dict[int, int]:
    """{variant id: units} of an order's items (for the stock moves)."""
    lines: dict[int, int] = {}
    for variant_id, quantity in order.items.filter(variant__isnull=False).values_list("variant_id", "quantity"):
        lines[variant_id] = lines.get(variant_id, 0) + quantity
    return lines


def lock_order(order_id: int) -> Order:
    """Step 2 of the lock order; call inside transaction.atomic()."""
    return Order.objects.select_for_update().get(pk=order_id)


def order_move(order: Order, *, status: str | None = None, payment_status: str | None = None, **extra) -> None:
    """Change the locked order's statuses (only as orders/status.py allows) and other columns, in the row and
    the instance. For the store's services: call with the order row locked (lock_order)."""
    changes = dict(extra)
    if status is not None:
        check_move(ORDER_TRANSITIONS, order.status, status, f"Order {order.order_number}")
        changes["status"] = status
    if payment_status is not None:
        check_move(ORDER_PAYMENT_TRANSITIONS, order.payment_status, payment_status, f"Payment of {order.order_number}")
        changes["payment_status"] = payment_status
    for field, value in changes.items():
        setattr(order, field, value)
    Order.objects.filter(pk=order.pk).update(**changes)


def mark_paid_locked(*, order: Order, actor_id: int | None, source: str) -> None:
    """pending -> paid with the order row locked: consume the reserved stock, count the sale, queue the
    fulfilment after commit (exactly once: only this move queues it)."""
    order_move(order, status=Order.Status.PAID, payment_status=Order.PaymentStatus.COMPLETED)
    lines = order_lines(order)
    stock.stock_consume(lines=lines)
    for variant_id, n in lines.items():
        Product.all_objects.filter(variants__pk=variant_id).update(sales_count=F("sales_count") + n)
    audit_log(
        actor_id=actor_id,
        action=AuditAction.ORDER_PAID,
        entity_type="order",
        entity_id=order.pk,
        metadata={"source": source},
    )
    order_id = order.pk
    transaction.on_commit(lambda: current_app.signature(FULFIL_TASK, kwargs={"order_id": order_id}).delay())


def _close_unpaid_locked(*, order: Order, status: str, actor_id: int | None, reason: str) -> None:
    """pending -> cancelled/failed: release the stock and post the wallet part back (order_refund)."""
    order_move(order, status=status, cancelled_at=timezone.now())
    gift_cards.gift_card_release(order_id=order.pk)  # lock step 3
    if order.wallet_used > 0:
        wallet_services.wallet_post(
            user_id=order.user_id,
            amount=order.wallet_used,
            type=WalletTransaction.Type.ORDER_REFUND,
            reference_type=WALLET_REFERENCE,
            reference_id=order.pk,
            description=f"Order {order.order_number} {status}: wallet part returned",
        )
        wallet_payment = order.payments.filter(payment_method="wallet").first()
        if wallet_payment is not None:
            Payment.objects.filter(pk=wallet_payment.pk).update(
                status=Payment.Status.REFUNDED, refund_amount=order.wallet_used, refunded_at=timezone.now()
            )
    audit_log(
        actor_id=actor_id,
        action=AuditAction.ORDER_CANCELLED if status == Order.Status.CANCELLED else AuditAction.ORDER_FAILED,
        entity_type="order",
        entity_id=order.pk,
        metadata={"reason": reason},
    )
    stock.stock_release(lines=order_lines(order))  # lock step 4, last


def order_cancel(*, order_id: int, actor: User, reason: str = "Cancelled by the shopper") -> Order:
    """The shopper (or staff) gives up an unpaid order. Refused once it is paid (then staff refund it)."""
    order = Order.objects.get(pk=order_id)
    if order.user_id != actor.pk and not actor.has_perm("orders.change_order"):
        raise CheckoutError("You cannot cancel this order.")
    # staff cancelling a shopper's order post back to another user's wallet: an audited RLS bypass
    opened = (
        transaction.atomic()
        if order.user_id == actor.pk
        else rls.bypass(reason=f"cancel order {order.order_number}", actor_id=actor.pk)
    )
    with opened:
        wallet_services.wallet_lock(user_id=order.user_id)
        order = lock_order(order_id)
        if order.status != Order.Status.PENDING:
            raise CheckoutError(
                f"Order {order.order_number} is {order.get_status_display().lower()}; it cannot be cancelled."
            )
        _close_unpaid_locked(order=order, status=Order.Status.CANCELLED, actor_id=actor.pk, reason=reason)
    return order


def order_abandon(*, order_id: int, older_than: dt.datetime) -> bool:
    """The beat job's move for one unpaid order past the age limit: failed if a payment attempt failed,
    cancelled otherwise. Returns False when the order was paid or closed meanwhile."""
    order = Order.objects.get(pk=order_id)
    with transaction.atomic():
        wallet_services.wallet_lock(user_id=order.user_id)
        order = lock_order(order_id)
        if order.status != Order.Status.PENDING or order.created_at >= older_than:
            return False
        status = Order.Status.FAILED if order.payment_status == Order.PaymentStatus.FAILED else Order.Status.CANCELLED
        _close_unpaid_locked(order=order, status=status, actor_id=None, reason="Not paid in time")
    return True


def orders_release_abandoned(
    *, now: dt.datetime | None = None, limit: int = 500, scope: Callable[[], AbstractContextManager] = nullcontext
) -> int:
    """Close unpaid orders older than settings.ORDER_ABANDON_AFTER_MINUTES, one transaction each (entered through
    ``scope``, e.g. the job's RLS bypass); safe to run twice or in parallel."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=settings.ORDER_ABANDON_AFTER_MINUTES)
    ids = (
        Order.objects.filter(status=Order.Status.PENDING, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    done = 0
    for order_id in list(ids):
        with scope():
            done += order_abandon(order_id=order_id, older_than=cutoff)
    return done

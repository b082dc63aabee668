"""Shopper pages of the store (catalogue, cart, checkout, payment, orders) and the gateway's endpoints
(the Checkout callback, webhooks, and the local fake checkout page). Thin: parse, call one service or
selector, render."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal, InvalidOperation

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import INDIAN_STATES
from catalog import gift_card_selectors
from wallet import selectors as wallet_selectors

from . import gateway as gw
from . import selectors
from .models import Order, Payment
from .services import checkout, payments

log = logging.getLogger(__name__)
CART_KEY = "cart"


def _page(request) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), 400)
    except ValueError:
        return 1


# ---------------------------------------------------------------- catalogue


@require_GET
def gift_cards(request):
    listing = gift_card_selectors.gift_card_listing(
        category_slug=request.GET.get("category", "")[:100],
        brand_slug=request.GET.get("brand", "")[:255],
        page=_page(request),
    )
    return render(request, "orders/gift_cards.html", {"listing": listing})


@require_GET
def gift_card(request, slug: str):
    page = gift_card_selectors.gift_card_page(slug)
    if page is None:
        raise Http404("no such gift card")
    return render(request, "orders/gift_card.html", {"page": page, "max_units": settings.ORDER_MAX_UNITS})


# ---------------------------------------------------------------- cart


def _cart(request) -> dict[str, int]:
    cart = request.session.get(CART_KEY)
    return dict(cart) if isinstance(cart, dict) else {}


def _quantity(raw) -> int | None:
    try:
        n = int(raw)
    except (TypeError, ValueError):
        return None
    return n if 0 <= n <= settings.ORDER_MAX_UNITS else None


@require_POST
def cart_add(request):
    variant_id, n = request.POST.get("variant", ""), _quantity(request.POST.get("quantity", "1"))
    if not variant_id.isdigit() or not n:
        messages.error(request, f"Choose a denomination and a quantity from 1 to {settings.ORDER_MAX_UNITS}.")
        return redirect("gift-cards")
    if not checkout.purchasable_variants([int(variant_id)]):
        messages.error(request, "That gift card is no longer available.")
        return redirect("gift-cards")
    cart = _cart(request)
    total = sum(cart.values()) + n
    if total > settings.ORDER_MAX_UNITS:
        messages.error(request, f"At most {settings.ORDER_MAX_UNITS} gift cards per order.")
        return redirect("cart")
    cart[variant_id] = cart.get(variant_id, 0) + n
    request.session[CART_KEY] = cart
    messages.success(request, "Added to your cart.")
    return redirect("cart")


@require_POST
def cart_update(request):
    cart = _cart(request)
    for key in list(cart):
        if f"qty-{key}" in request.POST:
            n = _quantity(request.POST[f"qty-{key}"])
            if n is None:
                messages.error(request, f"Quantities go from 0 (remove) to {settings.ORDER_MAX_UNITS}.")
                return redirect("cart")
            if n == 0:
                cart.pop(key)
            else:
                cart[key] = n
    if sum(cart.values()) > settings.ORDER_MAX_UNITS:
        messages.error(request, f"At most {settings.ORDER_MAX_UNITS} gift cards per order.")
        return redirect("cart")
    request.session[CART_KEY] = cart
    return redirect("cart")


@require_GET
def cart_page(request):
    return render(request, "orders/cart.html", {"cart": selectors.cart_view(_cart(request))})


# ---------------------------------------------------------------- checkout


@login_required
def checkout_page(request):
    cart = selectors.cart_view(_cart(request))
    if not cart.lines:
        messages.info(request, "Your cart is empty.")
        return redirect("gift-cards")
    balance = wallet_selectors.wallet_summary(user=request.user).available
    form = {
        "email": request.user.email or "",
        "mobile": request.user.mobile or "",
        "use_wallet": "",
        "wallet_amount": "",
        "gift_card_code": "",
    }
    address: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        address = {k: request.POST.get(f"address_{k}", "").strip() for k in checkout.ADDRESS_FIELDS}
        wallet_amount = None
        if form["use_wallet"] and form["wallet_amount"]:
            try:
                wallet_amount = Decimal(form["wallet_amount"])
            except InvalidOperation:
                wallet_amount = Decimal("-1")  # refused by the service with its message
        try:
            placed = checkout.order_place(
                user=request.user,
                lines={line.variant_id: line.quantity for line in cart.lines},
                email=form["email"],
                mobile=form["mobile"],
                address=address if cart.physical else None,
                use_wallet=bool(form["use_wallet"]),
                wallet_amount=wallet_amount,
                gift_card_code=form["gift_card_code"],
            )
        except (checkout.CheckoutError, checkout.SoldOut) as exc:
            messages.error(request, str(exc))
            status = 409 if isinstance(exc, checkout.SoldOut) else 400
            return render(
                request,
                "orders/checkout.html",
                {"cart": cart, "form": form, "address": address, "balance": balance, "states": INDIAN_STATES},
                status=status,
            )
        request.session[CART_KEY] = {}
        order = placed.order
        if placed.amount_due == 0:
            messages.success(request, f"Order {order.order_number} is paid with your wallet.")
            return redirect("order", order_number=order.order_number)
        return redirect("order-pay", order_number=order.order_number)
    return render(
        request,
        "orders/checkout.html",
        {"cart": cart, "form": form, "address": address, "balance": balance, "states": INDIAN_STATES},
    )


@login_required
@require_GET
def pay(request, order_number: str):
    order = selectors.order_of(request.user.pk, order_number)
    if order is None:
        raise Http404("no such order")
    if order.status != Order.Status.PENDING:
        return redirect("order", order_number=order_number)
    try:
        started = payments.payment_start(order_id=order.pk, user_id=request.user.pk)
    except gw.PaymentGatewayError as exc:
        messages.error(request, f"{exc} Try again in a minute, or cancel the order.")
        return render(request, "orders/pay.html", {"order": order, "payment": None}, status=503)
    context = {
        "order": order,
        "payment": started.payment,
        "key_id": started.key_id,
        "fake": started.fake,
        "amount_paise": gw.to_paise(started.payment.amount),
        "callback_url": request.build_absolute_uri(reverse("payment-callback")),
        "checkout_script": gw.CHECKOUT_SCRIPT_URL,
    }

    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "orders/pay.html", context)

    # The offline fake checkout is a page of ours; only real keys load Razorpay's script (and its window).
    return (page if started.fake else csp_update(RAZORPAY_CHECKOUT_CSP)(page))(request)


# Razorpay Checkout: its script, and the payment window it opens in a frame. On the pay page only, and only when
# real keys are set; every other page keeps the site's script-src 'self'.
RAZORPAY_CHECKOUT_CSP = {"script-src": [gw.CHECKOUT_SCRIPT_ORIGIN], "frame-src": [gw.CHECKOUT_FRAME_ORIGIN]}


@login_required
@require_POST
def cancel(request, order_number: str):
    order = selectors.order_of(request.user.pk, order_number)
    if order is None:
        raise Http404("no such order")
    try:
        checkout.order_cancel(order_id=order.pk, actor=request.user)
        messages.success(request, f"Order {order_number} is cancelled.")
    except checkout.CheckoutError as exc:
        messages.error(request, str(exc))
    return redirect("order", order_number=order_number)


# ---------------------------------------------------------------- the gateway's endpoints


@csrf_exempt  # a cross-site POST from Razorpay Checkout; trusted only through the SDK's signature check
@require_POST
def payment_callback(request):
    try:
        order = payments.payment_callback(params=request.POST.dict())
    except payments.BadSignature as exc:
        return render(request, "orders/payment_problem.html", {"message": str(exc)}, status=400)
    except gw.PaymentGatewayUnavailable as exc:
        return render(request, "orders/payment_problem.html", {"message": str(exc)}, status=503)
    if order is None:
        return render(request, "orders/payment_problem.html", {"message": "Unknown order."}, status=400)
    if order.status == Order.Status.PENDING:
        messages.error(request, "The payment did not go through. Try again, or cancel the order.")
        return redirect("order-pay", order_number=order.order_number)
    return redirect("order", order_number=order.order_number)


@csrf_exempt  # server-to-server; authenticated by the webhook signature on the raw body
@require_POST
def razorpay_webhook(request):
    try:
        outcome = payments.webhook_receive(
            body=request.body,
            signature=request.headers.get("X-Razorpay-Signature", ""),
            event_id=request.headers.get("X-Razorpay-Event-Id", ""),
        )
    except payments.BadSignature:
        return HttpResponseBadRequest("bad signature", content_type="text/plain")
    except gw.PaymentGatewayUnavailable:
        return HttpResponse("payments not configured", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@require_GET
def fake_gateway(request, gateway_order_id: str):
    """Plays Razorpay Checkout without keys (development, tests): the buttons POST to our callback exactly
    what Checkout posts, signed with the fake secret as Razorpay signs it."""
    gateway = gw.get_gateway()
    if not isinstance(gateway, gw.FakeRazorpayGateway):
        raise Http404("the fake gateway is off")
    payment = Payment.objects.filter(gateway=gw.NAME, gateway_order_id=gateway_order_id).select_related("order").first()
    if payment is None:
        raise Http404("no such gateway order")
    payment_id = f"pay_fake{secrets.token_hex(7)}"
    return render(
        request,
        "orders/fake_gateway.html",
        {
            "payment": payment,
            "payment_id": payment_id,
            "signature": gateway.sign_payment(order_id=gateway_order_id, payment_id=payment_id),
            "callback_url": reverse("payment-callback"),
        },
    )


# ---------------------------------------------------------------- orders


@login_required
@require_GET
def orders_page(request):
    page = Paginator(selectors.orders_of(request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "orders/orders.html", {"page": page})


@login_required
@require_GET
def order_page(request, order_number: str):
    order = selectors.order_of(request.user.pk, order_number)
    if order is None:
        raise Http404("no such order")
    return render(
        request,
        "orders/order.html",
        {"order": order, "timeline": selectors.order_timeline(order), "items": list(order.items.all())},
    )

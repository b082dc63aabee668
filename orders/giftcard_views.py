"""Shopper pages of CouponAli gift cards and vouchers: redeem a card into the wallet, reveal a voucher."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from couponali.money import format_inr
from couponali.ratelimit import client_ip

from .giftcard_forms import GiftCardRedeemForm
from .models import OrderItem
from .services import fulfilment, gift_cards


@login_required
def redeem(request):
    form = GiftCardRedeemForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            redemption = gift_cards.gift_card_redeem(
                code=form.cleaned_data["code"], user_id=request.user.pk, ip=client_ip(request)
            )
        except gift_cards.GiftCardGuessLimited as exc:
            form.add_error("code", str(exc))
            status, retry_after = 429, exc.retry_after
        except gift_cards.GiftCardError as exc:
            form.add_error("code", str(exc))
            status = 400
        else:
            messages.success(request, f"{format_inr(redemption.amount)} from your gift card is now in your wallet.")
            return redirect("wallet:home")
    elif request.method == "POST":
        status = 400
    response = render(request, "orders/giftcard_redeem.html", {"form": form}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@login_required
@require_POST
def voucher_reveal(request, item_id: int, index: int):
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        voucher = fulfilment.voucher_reveal(order_item_id=item_id, index=index, user=request.user)
    except PermissionDenied as exc:
        # Someone else's (or no) voucher: the same answer as an unknown one.
        raise Http404("No such voucher.") from exc
    except fulfilment.FulfilmentError as exc:
        if wants_json:
            return JsonResponse({"detail": str(exc)}, status=409)
        return render(request, "orders/voucher_reveal.html", {"error": str(exc)}, status=409)
    if wants_json:
        return JsonResponse(
            {"code": voucher.code, "pin": voucher.pin, "expiry": voucher.expiry.isoformat() if voucher.expiry else None}
        )
    item = OrderItem.objects.get(pk=item_id)
    return render(request, "orders/voucher_reveal.html", {"voucher": voucher, "item": item})

from django.urls import path

from . import giftcard_views

app_name = "giftcards"

urlpatterns = [
    path("wallet/gift-card/", giftcard_views.redeem, name="redeem"),
    path("vouchers/<int:item_id>/<int:index>/reveal/", giftcard_views.voucher_reveal, name="voucher_reveal"),
]

from django.urls import path

from . import api

urlpatterns = [
    path("orders/", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<str:order_number>/", api.OrderDetailView.as_view(), name="api-order"),
    path("orders/<str:order_number>/pay/", api.OrderPayView.as_view(), name="api-order-pay"),
    path(
        "orders/<str:order_number>/vouchers/<int:item_id>/<int:index>/reveal/",
        api.VoucherRevealView.as_view(),
        name="api-order-voucher-reveal",
    ),
]

from django.urls import path

from . import views

urlpatterns = [
    path("gift-cards/", views.gift_cards, name="gift-cards"),
    path("gift-cards/<slug:slug>/", views.gift_card, name="gift-card"),
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/update/", views.cart_update, name="cart-update"),
    path("checkout/", views.checkout_page, name="checkout"),
    path("orders/", views.orders_page, name="orders"),
    path("orders/payment/callback/", views.payment_callback, name="payment-callback"),
    path("orders/payment/fake/<str:gateway_order_id>/", views.fake_gateway, name="fake-gateway"),
    path("orders/webhooks/razorpay/", views.razorpay_webhook, name="razorpay-webhook"),
    path("orders/<str:order_number>/", views.order_page, name="order"),
    path("orders/<str:order_number>/pay/", views.pay, name="order-pay"),
    path("orders/<str:order_number>/cancel/", views.cancel, name="order-cancel"),
]

"""A stand-in order page for the browser test of templates/orders/_vouchers.html (the real order page belongs
to the checkout), served with a strict Content-Security-Policy: no inline script may run."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import path

from couponali.urls import urlpatterns as site_urlpatterns
from orders.models import Order

PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<h1>Order {{ order.order_number }}</h1>'
    '{% include "orders/_vouchers.html" with order=order %}{% endblock %}'
)


@login_required
def order_page(request, pk: int):
    order = get_object_or_404(Order, pk=pk, user=request.user)
    response = HttpResponse(PAGE.render({"order": order}, request))
    response["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self'"
    return response


urlpatterns = [path("test-orders/<int:pk>/", order_page), *site_urlpatterns]

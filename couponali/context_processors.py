from django.conf import settings

from couponali.links import site_url


def site(request):
    return {"SITE_NAME": "CouponAli", "SITE_URL": site_url(), "LOGIN_URL": settings.LOGIN_URL}

from django.conf import settings


def site(request):
    return {"SITE_NAME": "CouponAli", "SITE_URL": settings.SITE_URL, "LOGIN_URL": settings.LOGIN_URL}

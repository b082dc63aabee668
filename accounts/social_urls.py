"""Google and Facebook sign-in (django-allauth) under /accounts/social/.

Only allauth's provider views and the few pages its social flow redirects to are mounted; allauth's own
e-mail/password account pages are not (SOCIALACCOUNT_ONLY): sign-in and sign-up are ours. The names that
allauth reverses internally (account_login, account_inactive, socialaccount_*) point at our pages.
"""

from allauth.socialaccount import views as social_views
from allauth.urls import build_provider_urlpatterns
from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("signin/", RedirectView.as_view(pattern_name="accounts:login", query_string=True), name="account_login"),
    path("signout/", RedirectView.as_view(pattern_name="accounts:logout"), name="account_logout"),
    path("inactive/", views.account_inactive, name="account_inactive"),
    path("login/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("login/error/", social_views.login_error, name="socialaccount_login_error"),
    # Sign-up is automatic (auto sign-up with the provider's verified e-mail); connections are on the profile.
    path("signup/", RedirectView.as_view(pattern_name="accounts:signup"), name="socialaccount_signup"),
    path("connections/", RedirectView.as_view(pattern_name="accounts:profile"), name="socialaccount_connections"),
    *build_provider_urlpatterns(),
]

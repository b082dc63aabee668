"""Google and Facebook sign-in through django-allauth, with our users columns as the source of truth.

allauth runs the OAuth dance and keeps its own link tables (socialaccount_socialaccount, account_emailaddress).
These adapters decide whom a provider login belongs to, in this order:

1. an allauth link for (provider, uid) that already exists;
2. users.google_id / users.facebook_id equal to the provider's uid;
3. an account with the same e-mail, when the provider says that address is verified;
4. otherwise a new account (services.user_signup_social), with the referral code from a ?ref= link.

In cases 2 and 3 the link is recorded in our columns (services.user_link_social) and allauth connects it.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from . import services
from .middleware import referral_code_from
from .models import User

PROVIDERS = ("google", "facebook")


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up through allauth's own forms is closed: ours are at /accounts/signup/."""

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        return request.GET.get("next") or "/"


def _verified_email(sociallogin) -> str | None:
    for address in sociallogin.email_addresses:
        if address.verified and address.email:
            return address.email.lower()
    return None


def _refuse(request, message: str):
    raise ImmediateHttpResponse(render(request, "accounts/social_error.html", {"message": message}, status=400))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        provider = sociallogin.account.provider
        if provider not in PROVIDERS:
            _refuse(request, "This sign-in method is not offered.")
        uid = str(sociallogin.account.uid)
        email = _verified_email(sociallogin)
        if sociallogin.is_existing:
            user = sociallogin.user
            if getattr(user, f"{provider}_id") != uid:
                services.user_link_social(user_id=user.pk, provider=provider, uid=uid, email_verified=False)
            return
        user = User.objects.filter(**{f"{provider}_id": uid}).first()
        if user is None and email:
            user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            services.user_link_social(
                user_id=user.pk,
                provider=provider,
                uid=uid,
                email_verified=bool(email and user.email and user.email.lower() == email),
            )
            user.refresh_from_db()
            sociallogin.connect(request, user)
            return
        # A new account needs an address the provider has verified (users need an e-mail or a mobile).
        claimed = sociallogin.user.email if sociallogin.user else None
        if not email:
            if claimed and User.all_objects.filter(email__iexact=claimed).exists():
                _refuse(
                    request,
                    "An account with this e-mail already exists. Sign in with your password, or reset it.",
                )
            _refuse(request, f"Your {provider.title()} account did not share a verified e-mail address with us.")

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))
        user.full_name = (name or "").strip() or None
        return user

    def save_user(self, request, sociallogin, form=None):
        provider = sociallogin.account.provider
        extra = sociallogin.account.extra_data or {}
        avatar = extra.get("picture") if provider == "google" else None
        if isinstance(avatar, dict):  # Facebook: {"data": {"url": ...}}
            avatar = avatar.get("data", {}).get("url")
        user = services.user_signup_social(
            provider=provider,
            uid=str(sociallogin.account.uid),
            email=_verified_email(sociallogin) or "",
            full_name=(getattr(sociallogin.user, "full_name", None) or extra.get("name")),
            avatar_url=avatar,
            referral_code=referral_code_from(request),
        )
        sociallogin.user = user
        sociallogin.save(request)
        return user

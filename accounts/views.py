"""Pages of accounts: sign-up, sign-in, verification, password reset, profile, sessions, KYC, notifications.

Thin: parse the form, check limits and access, call one service, render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from couponali.ratelimit import RateLimited, too_many_requests

from . import forms, selectors, services
from .middleware import REFERRAL_COOKIE, referral_code_from
from .models import VerificationCode

PENDING_KEY = "accounts_pending_verification"
BACKEND = "accounts.backends.EmailOrMobileBackend"


def _next_url(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _verify_url(request) -> str:
    target = _next_url(request)
    return reverse("accounts:verify") + (f"?{urlencode({'next': target})}" if target != "/" else "")


def _sign_in(request, user) -> None:
    user.backend = BACKEND
    login(request, user, backend=BACKEND)


# ---------------------------------------------------------------- sign-up, sign-in, sign-out


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    initial = {"referral_code": request.GET.get("ref") or referral_code_from(request)}
    form = forms.SignupForm(request.POST or None, initial=initial)
    if request.method == "POST":
        referral = (request.POST.get("referral_code") or "").strip().upper()
        try:
            services.limit_request(request, scope="signup")
            if referral:
                services.limit_request(request, scope="referral-signup-ip")
                services.limit_request(request, scope="referral-signup-code", key=referral)
        except RateLimited as exc:
            return too_many_requests(request, exc)
        if form.is_valid():
            kind, identifier = form.cleaned_data["identifier"]
            try:
                code = services.user_signup(
                    kind=kind,
                    identifier=identifier,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                    referral_code=form.cleaned_data["referral_code"],
                )
            except services.InvalidReferralCode as exc:
                form.add_error("referral_code", str(exc))
            except RateLimited as exc:
                return too_many_requests(request, exc)
            else:
                request.session[PENDING_KEY] = code.pk
                response = redirect(_verify_url(request))
                response.delete_cookie(REFERRAL_COOKIE)
                return response
    return render(request, "accounts/signup.html", {"form": form, "next": _next_url(request, "")})


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = forms.SigninForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            services.limit_request(request, scope="signin")
        except RateLimited as exc:
            return too_many_requests(request, exc)
        if form.is_valid():
            try:
                user = services.signin_attempt(
                    identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
                )
            except services.AccountsError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                if not user.may_sign_in:
                    try:
                        code = services.signup_verification_restart(user_id=user.pk)
                    except RateLimited as exc:
                        return too_many_requests(request, exc)
                    request.session[PENDING_KEY] = code.pk
                    messages.info(request, "Confirm your contact first: we sent you a new code.")
                    return redirect(_verify_url(request))
                _sign_in(request, user)
                return redirect(_next_url(request))
    return render(request, "accounts/signin.html", {"form": form, "next": _next_url(request, "")}, status=status)


@require_http_methods(["GET", "POST"])
def signout(request):
    if request.method == "POST":
        logout(request)
        messages.success(request, "You are signed out.")
        return redirect("/")
    return render(request, "accounts/signout.html")


# ---------------------------------------------------------------- verification


def _pending(request) -> VerificationCode | None:
    row = selectors.verification_pending(verification_id=request.session.get(PENDING_KEY))
    if row is not None and row.purpose == VerificationCode.Purpose.VERIFY and row.user_id != request.user.pk:
        return None
    return row


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    row = _pending(request)
    if row is None:
        messages.info(request, "There is nothing to confirm right now.")
        return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
    form = forms.OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and row.channel == VerificationCode.Channel.SMS:
        try:
            services.limit_request(request, scope="otp-verify")
        except RateLimited as exc:
            return too_many_requests(request, exc)
        if form.is_valid():
            try:
                done = services.verification_confirm_code(verification_id=row.pk, code=form.cleaned_data["code"])
            except services.AccountsError as exc:
                form.add_error("code", str(exc))
                status = 400
            else:
                return _verified(request, done)
    context = {"form": form, "row": row, "target": selectors.mask_target(row.target), "next": _next_url(request, "")}
    return render(request, "accounts/verify.html", context, status=status)


def _verified(request, row) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    what = "mobile number" if row.channel == VerificationCode.Channel.SMS else "e-mail address"
    if row.purpose == VerificationCode.Purpose.SIGNUP:
        if not row.user.is_active or row.user.deleted_at is not None:
            return account_inactive(request)
        if not request.user.is_authenticated or request.user.pk != row.user_id:
            _sign_in(request, row.user)
        messages.success(request, f"Your {what} is confirmed. Welcome to CouponAli!")
        return redirect(_next_url(request))
    messages.success(request, f"Your {what} is confirmed.")
    return redirect("accounts:profile")


@require_POST
def verify_resend(request):
    row = _pending(request)
    if row is None:
        return redirect("accounts:login")
    try:
        code = services.verification_resend(verification_id=row.pk)
    except RateLimited as exc:
        return too_many_requests(request, exc)
    request.session[PENDING_KEY] = code.pk
    messages.success(
        request, "We sent a new code." if code.channel == VerificationCode.Channel.SMS else "We sent a new link."
    )
    return redirect(_verify_url(request))


@login_required
@require_POST
def verify_start(request, channel: str):
    if channel not in (VerificationCode.Channel.SMS, VerificationCode.Channel.EMAIL):
        raise Http404
    try:
        code = services.verification_start(user_id=request.user.pk, channel=channel)
    except RateLimited as exc:
        return too_many_requests(request, exc)
    except services.AccountsError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:profile")
    request.session[PENDING_KEY] = code.pk
    if channel == VerificationCode.Channel.EMAIL:
        messages.success(request, f"We sent a confirmation link to {selectors.mask_target(code.target)}.")
        return redirect("accounts:profile")
    return redirect("accounts:verify")


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email(request, token: str):
    """GET shows a button (mail scanners prefetch links, so a GET must not consume it); POST confirms."""
    purposes = (VerificationCode.Purpose.SIGNUP, VerificationCode.Purpose.VERIFY)
    if request.method == "POST":
        try:
            row = services.verification_confirm_link(token=token, purposes=purposes)
        except services.AccountsError as exc:
            return render(request, "accounts/link_invalid.html", {"message": str(exc)}, status=400)
        return _verified(request, row)
    valid = any(selectors.verification_link_valid(token=token, purpose=p) for p in purposes)
    if not valid:
        return render(request, "accounts/link_invalid.html", {"message": services.CodeExpired.default}, status=400)
    return render(request, "accounts/verify_email.html")


# ---------------------------------------------------------------- password reset


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST":
        try:
            services.limit_request(request, scope="password-reset")
            if form.is_valid():
                kind, identifier = form.cleaned_data["identifier"]
                services.password_reset_request(kind=kind, identifier=identifier)
                # The same page whether or not an account exists.
                return render(
                    request, "accounts/password_reset_sent.html", {"target": selectors.mask_target(identifier)}
                )
        except RateLimited as exc:
            return too_many_requests(request, exc)
    return render(request, "accounts/password_reset.html", {"form": form})


@never_cache
@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request, token: str):
    purpose = VerificationCode.Purpose.PASSWORD_RESET
    row = selectors.verification_link_row(token=token, purpose=purpose)
    if row is None:
        return render(request, "accounts/link_invalid.html", {"message": services.CodeExpired.default}, status=400)
    form = forms.SetPasswordForm(request.POST or None, user=row.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(token=token, new_password=form.cleaned_data["password"])
        except services.AccountsError as exc:
            return render(request, "accounts/link_invalid.html", {"message": str(exc)}, status=400)
        if request.user.is_authenticated:
            logout(request)
        messages.success(request, "Your password is changed and every device was signed out. Sign in again.")
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


# ---------------------------------------------------------------- profile


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {
        "full_name": user.full_name,
        "avatar_url": user.avatar_url,
        "date_of_birth": user.date_of_birth,
        "gender": user.gender or "",
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user_id=user.pk, **form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    kyc = selectors.kyc_for_user(user_id=user.pk)
    return render(request, "accounts/profile.html", {"form": form, "kyc": kyc})


@login_required
@never_cache
@sensitive_post_parameters("current_password", "password", "password2")
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    form_class = forms.ChangePasswordForm if user.has_usable_password() else forms.SetPasswordForm
    form = form_class(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.user_password_change(
            user_id=user.pk,
            new_password=form.cleaned_data["password"],
            keep_family_id=getattr(request, "session_family_id", None),
        )
        user.refresh_from_db()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password is changed; your other devices were signed out.")
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = forms.DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_delete(user_id=request.user.pk)
        logout(request)
        messages.success(request, "Your account is closed and your personal details are erased.")
        return redirect("/")
    return render(request, "accounts/delete.html", {"form": form})


# ---------------------------------------------------------------- sessions


@login_required
@never_cache
def sessions(request):
    rows = list(selectors.sessions_active(user_id=request.user.pk))
    current = getattr(request, "session_family_id", None)
    for row in rows:
        row.is_current = row.family_id == current
    return render(request, "accounts/sessions.html", {"sessions": rows, "others": sum(not r.is_current for r in rows)})


@login_required
@require_POST
def session_revoke(request, session_id: int):
    row = selectors.session_for_user(user_id=request.user.pk, session_id=session_id)
    if row is None:
        raise Http404
    services.session_revoke(user_id=request.user.pk, session_id=row.pk)
    if row.family_id == getattr(request, "session_family_id", None):
        logout(request)
        return redirect("/")
    messages.success(request, "That session is signed out.")
    return redirect("accounts:sessions")


@login_required
@require_POST
def session_revoke_others(request):
    count = services.session_revoke_others(
        user_id=request.user.pk, keep_family_id=getattr(request, "session_family_id", None)
    )
    messages.success(request, f"Signed out {count} other session{'s' if count != 1 else ''}.")
    return redirect("accounts:sessions")


# ---------------------------------------------------------------- KYC


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def kyc(request):
    existing = selectors.kyc_for_user(user_id=request.user.pk)
    masked = selectors.kyc_masked(existing)
    initial = {}
    if existing is not None:
        initial = {field: getattr(existing, field) or "" for field in services.KYC_PLAIN_FIELDS}
    form = forms.KycForm(request.POST or None, initial=initial, existing=existing, masked=masked)
    if request.method == "POST" and form.is_valid():
        services.kyc_submit(user_id=request.user.pk, data=form.cleaned_data)
        messages.success(request, "Thanks! Your KYC details are saved and waiting for review.")
        return redirect("accounts:kyc")
    return render(request, "accounts/kyc.html", {"form": form, "kyc": existing, "masked": masked})


# ---------------------------------------------------------------- notifications


@login_required
@never_cache
def notifications(request):
    page = Paginator(selectors.notifications_for_user(user_id=request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    services.notification_mark_read(user_id=request.user.pk, notification_id=notification_id)
    target = request.POST.get("open")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("accounts:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notification_mark_all_read(user_id=request.user.pk)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("accounts:notifications")


def account_inactive(request):
    return render(request, "accounts/account_inactive.html", status=403)

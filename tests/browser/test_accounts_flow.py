"""End to end in Chromium: sign up from a referral link, verify the mobile with the SMS code, sign out, sign
in, submit KYC and see it masked, then revoke the session of a second browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts import sms
from accounts.factories import UserFactory
from accounts.models import User, UserSession
from couponali import rls
from referrals.models import Referral
from tests.browser import chromium

PASSWORD = "Monsoon-Mangoes-42"


def _otp() -> str:
    body = [m for m in sms.outbox if m.to == "9876501234"][-1].body
    code = re.search(r"\b(\d{6})\b", body)
    assert code, f"no code in the SMS: {body}"
    return code.group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_signup_verify_signin_kyc_and_revoke_another_session(live_server):
    # Playwright's sync API runs an event loop in this thread, so the database is only used before and after
    # the browser session (the app itself runs in the live server's threads).
    referrer = UserFactory(referral_code="PRIYA7K3Q", full_name="Priya Sharma")
    sms.outbox.clear()
    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            laptop = browser.new_context()
            page = laptop.new_page()
            page.set_default_timeout(15_000)

            # a friend's referral link, then on to the sign-up page: the code is remembered
            page.goto(f"{live_server.url}/?ref=PRIYA7K3Q")
            page.get_by_role("link", name="Sign up").click()
            expect(page.get_by_label("Referral code (optional)")).to_have_value("PRIYA7K3Q")
            page.get_by_label("E-mail or mobile number").fill("+91 98765 01234")
            page.get_by_label("Your name").fill("Rahul Verma")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()

            # the OTP arrives by SMS; entering it verifies the number and signs in
            expect(page.get_by_role("heading", name="Enter the code")).to_be_visible()
            expect(page.get_by_text("+91 98XXXXXX34")).to_be_visible()
            page.get_by_label("6-digit code").fill(_otp())
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_text("Your mobile number is confirmed")).to_be_visible()
            expect(page.get_by_text("Hi, Rahul")).to_be_visible()

            # sign out, then sign in again with the mobile number
            page.get_by_text("Hi, Rahul").click()
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
            page.get_by_role("link", name="Sign in", exact=True).click()
            page.get_by_label("E-mail or mobile number").fill("9876501234")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Hi, Rahul")).to_be_visible()

            # KYC: submit the details, then see them only masked
            page.get_by_text("Hi, Rahul").click()
            page.get_by_role("link", name="KYC & payout details").click()
            page.get_by_label("Account holder name").fill("Rahul Verma")
            page.get_by_label("Bank account number").fill("001234567890")
            page.get_by_label("IFSC").fill("HDFC0001234")
            page.get_by_label("Bank name").fill("HDFC Bank")
            page.get_by_label("UPI id").fill("rahul.verma@okhdfcbank")
            page.get_by_label("PAN").fill("ABCPV1234F")
            page.get_by_label("Address line 1").fill("12, MG Road")
            page.get_by_label("City").fill("Bengaluru")
            page.get_by_label("State / UT").select_option("Karnataka")
            page.get_by_label("PIN code").fill("560001")
            page.get_by_role("button", name="Submit for verification").click()
            expect(page.get_by_text("waiting for review")).to_be_visible()
            expect(page.locator("[data-masked=pan_number]")).to_have_text("XXXXXX234F")
            expect(page.locator("[data-masked=account_number]")).to_contain_text("XXXXXXXX7890")
            expect(page.locator("[data-masked=upi_id]")).to_have_text("raXXXXXXXXX@okhdfcbank")
            html = page.content()
            for plain in ("ABCPV1234F", "001234567890", "rahul.verma@"):
                assert plain not in html

            # a second browser signs in to the same account
            phone = browser.new_context(
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
                "Safari/604.1"
            )
            phone_page = phone.new_page()
            phone_page.set_default_timeout(15_000)
            phone_page.goto(f"{live_server.url}/accounts/login/")
            phone_page.get_by_label("E-mail or mobile number").fill("9876501234")
            phone_page.get_by_label("Password").fill(PASSWORD)
            phone_page.get_by_role("button", name="Sign in").click()
            expect(phone_page.get_by_text("Hi, Rahul")).to_be_visible()

            # the laptop revokes the phone's session from the sessions page
            page.get_by_role("link", name="Sessions").click()
            other = page.locator(".session").filter(has_text="iOS")
            expect(other).to_have_count(1)
            other.get_by_role("button", name="Revoke").click()
            expect(page.get_by_text("That session is signed out.")).to_be_visible()
            expect(page.locator(".session")).to_have_count(1)

            # and the phone is signed out on its very next request
            phone_page.reload()
            expect(phone_page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
            expect(phone_page.get_by_text("Hi, Rahul")).to_have_count(0)
        finally:
            browser.close()

    # the sign-up was recorded with its referrer and the verified number; two sessions, one revoked
    user = User.objects.get(mobile="9876501234")
    assert user.mobile_verified_at is not None and user.referred_by_user_id == referrer.pk
    assert Referral.objects.filter(referrer_user=referrer, referred_user=user, status="pending").exists()
    with rls.scope(user_id=user.pk):
        sessions = list(UserSession.objects.filter(user=user).order_by("id"))
    assert [s.revocation_reason for s in sessions] == ["signed_out", None, "revoked"]

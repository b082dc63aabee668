"""Fixtures for the accounts tests: SMS outbox, the referrals task (owned by another app) and users."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from accounts import sms
from accounts.factories import UserFactory

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def verified_user(db):
    return UserFactory(email_verified_at=timezone.now(), mobile_verified_at=timezone.now(), is_verified=True)


def otp_from(outbox, to: str | None = None) -> str:
    """The 6-digit code of the last SMS (to ``to``), as a person would read it."""
    messages = [m for m in outbox if to is None or m.to == to]
    assert messages, f"no SMS sent{' to ' + to if to else ''}"
    match = re.search(r"\b(\d{6})\b", messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def link_from(text: str, path: str) -> str:
    match = re.search(rf"https?://[^\s]+({re.escape(path)}[^\s]+/)", text)
    assert match, text
    return match.group(1)

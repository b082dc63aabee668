"""Pluggable SMS delivery, like Django's e-mail backends: ``settings.SMS_BACKEND`` names the class.

* ConsoleSmsBackend - prints each message (the default, so `make run` shows the codes in its output);
* FileSmsBackend    - writes one file a message under SMS_FILE_PATH;
* LocmemSmsBackend  - appends to ``accounts.sms.outbox`` (the test settings use it);
* HttpSmsBackend    - POSTs JSON to an SMS provider's API (SMS_HTTP_URL, SMS_HTTP_API_KEY, SMS_SENDER_ID).

Sending happens in Celery tasks (accounts.tasks), never in the request.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass
class SmsMessage:
    to: str
    body: str
    sent_at: datetime = field(default_factory=timezone.now)


class SmsDeliveryFailed(Exception):
    pass


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[sms] to +91{message.to}: {message.body}\n")
        sys.stdout.flush()


class FileSmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        directory = Path(settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = message.sent_at.strftime("%Y%m%d-%H%M%S-%f")
        path = directory / f"{stamp}-{message.to}.json"
        path.write_text(json.dumps({"to": message.to, "body": message.body, "sent_at": message.sent_at.isoformat()}))


outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> None:
        with _outbox_lock:
            outbox.append(message)


class HttpSmsBackend(BaseSmsBackend):
    """A generic JSON SMS API: {"sender": ..., "to": "91XXXXXXXXXX", "message": ...} with a bearer key."""

    timeout = 10

    def send(self, message: SmsMessage) -> None:
        if not settings.SMS_HTTP_URL:
            raise SmsDeliveryFailed("SMS_HTTP_URL is not set.")
        try:
            response = requests.post(
                settings.SMS_HTTP_URL,
                json={"sender": settings.SMS_SENDER_ID, "to": f"91{message.to}", "message": message.body},
                headers={"Authorization": f"Bearer {settings.SMS_HTTP_API_KEY}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SmsDeliveryFailed(f"SMS provider unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise SmsDeliveryFailed(f"SMS provider answered {response.status_code}")


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> None:
    get_backend().send(SmsMessage(to=to, body=body))

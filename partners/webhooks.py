"""Outgoing webhooks: the target URL rule (HTTPS, no private networks), the signature, and one HTTP attempt.

Signature (README, "Partners"): ``X-CouponAli-Signature: v1=<hex>`` where hex is HMAC-SHA256, keyed by the
endpoint's secret, of ``<X-CouponAli-Timestamp> + "." + <raw body>``; the timestamp is Unix seconds. A receiver
recomputes it over the raw bytes it got, compares in constant time and refuses timestamps older than 5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings

SIGNATURE_HEADER = "X-CouponAli-Signature"
TIMESTAMP_HEADER = "X-CouponAli-Timestamp"
EVENT_HEADER = "X-CouponAli-Event"
DELIVERY_HEADER = "X-CouponAli-Delivery"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class WebhookUrlRefused(ValueError):
    """The URL may not receive webhooks (not HTTPS, or a private address)."""

    http_status = 400
    error_code = "webhook_url_refused"


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp + "." + body``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _public(host: str) -> bool:
    """Whether every address the host resolves to is a public one (no loopback, private, link-local...)."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_global for a in addresses)


def webhook_url_check(url: str) -> str:
    """The URL when it may receive webhooks, else WebhookUrlRefused: HTTPS only (``http://localhost`` only where
    PARTNER_WEBHOOKS_ALLOW_LOCAL is on: development and tests), and, unless that setting is on, a host that
    resolves only to public addresses (SSRF: a partner must not make our servers call the internal network).
    Checked at registration and again before every attempt (DNS can change in between)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise WebhookUrlRefused("Enter a full https:// URL without a user name or password.")
    allow_local = settings.PARTNER_WEBHOOKS_ALLOW_LOCAL
    if parts.scheme == "http" and not (allow_local and host in LOCAL_HOSTS):
        raise WebhookUrlRefused("Webhook URLs must use https://.")
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefused("Webhook URLs must use https://.")
    if not allow_local and not _public(host):
        raise WebhookUrlRefused("This host is not reachable on the public internet (or does not resolve).")
    return url.strip()


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    response_code: int | None
    duration_ms: int
    error: str


def webhook_send(*, url: str, secret: str, event: str, delivery_id: str, body: bytes) -> AttemptResult:
    """POST one signed delivery; a 2xx answer is success. Redirects are not followed (a redirect could point
    at a private address after our check)."""
    started = time.monotonic()
    try:
        webhook_url_check(url)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "CouponAli-Webhooks/1",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: "v1=" + webhook_signature(secret=secret, timestamp=timestamp, body=body),
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
        }
        response = requests.post(
            url, data=body, headers=headers, timeout=settings.PARTNER_WEBHOOKS_TIMEOUT, allow_redirects=False
        )
    except WebhookUrlRefused as exc:
        return AttemptResult(False, None, _ms(started), str(exc))
    except requests.RequestException as exc:
        return AttemptResult(False, None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= response.status_code < 300
    return AttemptResult(ok, response.status_code, _ms(started), "" if ok else f"HTTP {response.status_code}")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

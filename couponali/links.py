"""Absolute links to our own pages: the one place that turns a path into a URL on the public site.

Every link that leaves the request it was made in (e-mail and SMS bodies, notification copies, referral share
links, canonical and og: tags, sitemap and robots.txt entries) is built here from ``settings.SITE_URL``, never
from the request's host or a hard-coded port: a reset link must point at the site the user knows, whichever
proxy, worker or port built it. ``SITE_URL`` is required in production; in development it defaults from
``PORT`` (``development_site_url``), so ``PORT=9000 make run`` links to port 9000.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORT = "8000"  # make run's port when PORT is unset (devtools/runner.py)
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names a bind-all address, binds nothing


def site_url() -> str:
    """The public base URL without a trailing slash, e.g. ``https://couponali.in``."""
    return settings.SITE_URL.rstrip("/")


def absolute_url(path: str) -> str:
    """``path`` (``/stores/myntra/``) on the public site. A URL that is already absolute is returned as it is
    (a store logo on the network's CDN)."""
    if urlsplit(path).scheme:
        return path
    return site_url() + "/" + path.lstrip("/")


def development_site_url(environ: Mapping[str, str]) -> str:
    """Where `make run` serves (HOST and PORT as the runner reads them): the default SITE_URL outside
    production. A bind-all HOST is linked as the loopback address, which a browser on the machine can open."""
    host = environ.get("HOST", "127.0.0.1")
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    return f"http://{host}:{environ.get('PORT') or DEFAULT_PORT}"


def validate_site_url(value: str) -> str:
    """``value`` without its trailing slash, or ValueError saying what is wrong with it (settings use this)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"SITE_URL must be the site's absolute base URL, like https://couponali.in (got {value!r}).")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"SITE_URL must have no path, query or fragment, like https://couponali.in (got {value!r}).")
    return value.strip().rstrip("/")

"""The parts of a public page that belong to the visitor, marked so that a shared copy can be personalised.

A public catalogue page (home, stores, a store, categories, a category, an offer, search) is the same for every
visitor except for a few fragments: the account links of the header, the flash messages, the bottom bar's
Account link and the "sign in to earn cashback" banner. Templates include these with ``{% personal NAME %}``
(couponali.templatetags.personal), which renders the fragment as ``{% include %}`` would and wraps it in two
HTML comments naming it. offers.pagecache keeps the page as it was rendered for nobody (not signed in, no
messages) and serves a signed-in shopper that copy with each marked fragment rendered again for them.

Only the templates in :data:`FRAGMENTS` can be marked, and a fragment is rendered from the current request
alone, so a copy can never carry one visitor's fragment to another: what is replaced is rendered for the
request that gets it, and the rest of the page was rendered for nobody. A marker smuggled into the page's
content (every variable is auto-escaped, so it cannot be) would only ever be filled with the visitor's own
fragment.
"""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.template import engines
from django.template.context import make_context
from django.utils.html import format_html
from django.utils.safestring import SafeString

FRAGMENTS = frozenset(
    {
        "partials/nav_account.html",
        "partials/messages.html",
        "partials/nav_bottom_account.html",
        "offers/_signin_banner.html",
    }
)

_MARKED = re.compile(rb"<!--personal:([a-z_/]+\.html)-->.*?<!--/personal:\1-->", re.DOTALL)


def mark(name: str, html: SafeString) -> SafeString:
    """The rendered fragment between its two markers (``html`` is a rendered template, so already safe)."""
    return format_html("<!--personal:{}-->{}<!--/personal:{}-->", name, html, name)


def personalise(content: bytes, request: HttpRequest) -> bytes:
    """``content`` (a page rendered for nobody) with every marked fragment rendered for ``request``."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    context = make_context({}, request)
    rendered: dict[bytes, bytes] = {}

    def fill(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name not in rendered:
            text = name.decode()
            if text not in FRAGMENTS:
                return b""
            html = engine.get_template(text).render(context)
            rendered[name] = mark(text, html).encode()
        return rendered[name]

    return _MARKED.sub(fill, content)

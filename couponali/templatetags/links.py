"""Link tags and filters (couponali.links).

``{{ path|absolute_url }}``: a path on the public site, for canonical and og: tags.

``{% route_url 'wallet:home' %}``: what ``{% url 'wallet:home' %}`` gives for a route that takes no
arguments, reversed once per process (per URLconf and script prefix) instead of on every render. ``reverse()``
walks the resolver's namespaces each time (~40 µs here); the account fragments that a signed-in page renders
for every request (couponali.personal) link to ten such routes, which was a tenth of that request's CPU.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from couponali import links

register = template.Library()


@register.filter
def absolute_url(path: str) -> str:
    return links.absolute_url(str(path))


@lru_cache(maxsize=512)
def _reversed(name: str, urlconf: str, script_prefix: str) -> str:
    # script_prefix is part of the key only: reverse() reads the current one itself.
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def route_url(name: str) -> str:
    """The path of the argument-free route ``name`` (NoReverseMatch, as ``{% url %}``, when there is none)."""
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())

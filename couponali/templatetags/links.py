"""``{{ path|absolute_url }}``: a path on the public site (couponali.links), for canonical and og: tags."""

from django import template

from couponali import links

register = template.Library()


@register.filter
def absolute_url(path: str) -> str:
    return links.absolute_url(str(path))

"""``{% personal "partials/nav_account.html" %}``: include a fragment of the visitor's (couponali.personal)."""

from django import template
from django.utils.safestring import SafeString

from couponali import personal as fragments

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, name: str) -> SafeString:
    if name not in fragments.FRAGMENTS:
        raise template.TemplateSyntaxError(f"{name!r} is not a personal fragment (couponali.personal.FRAGMENTS)")
    html = context.template.engine.get_template(name).render(context)
    return fragments.mark(name, html)

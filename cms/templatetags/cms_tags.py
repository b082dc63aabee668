"""Template tags of the cms app: the help links of the footer (cms.help is their one home)."""

from __future__ import annotations

from django import template

from cms.help import HELP_LINKS, HelpLink

register = template.Library()


@register.simple_tag
def help_links() -> tuple[HelpLink, ...]:
    return HELP_LINKS

"""``{% trust_figures as figures %}``: the home page's trust figures (analytics.selectors.trust_figures, cached).

A tag rather than view context because the figures read the wallet and the accounts, which the offers app (the
home view's) sits below; the project's templates, like its URLconf, are the top layer that composes the apps.
"""

from django import template

from analytics.selectors import TrustFigures, trust_figures

register = template.Library()


@register.simple_tag(name="trust_figures")
def trust_figures_tag() -> TrustFigures:
    return trust_figures()

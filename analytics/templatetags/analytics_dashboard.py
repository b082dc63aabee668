"""{% analytics_panel %}: the dashboard on the admin index, for staff holding analytics.view_dashboard."""

from django import template

from analytics.forms import DateRangeForm
from analytics.views import can_view, panel_context

register = template.Library()


@register.inclusion_tag("analytics/_panel.html", takes_context=True)
def analytics_panel(context):
    request = context.get("request")
    if request is None or not can_view(request.user):
        return {"analytics": None}
    return {**panel_context(request, DateRangeForm({})), "request": request, "compact": True}

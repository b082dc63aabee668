from django import template

from accounts.selectors import notifications_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """Unread count for the header bell: one COUNT per page, only for signed-in users."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cache = request.__dict__.setdefault("_unread_notifications", {})
    if user.pk not in cache:
        cache[user.pk] = notifications_unread_count(user_id=user.pk)
    return cache[user.pk]

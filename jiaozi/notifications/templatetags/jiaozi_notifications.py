"""``{% load jiaozi_notifications %}{% unread_notification_count as count %}`` — the
signed-in user's unread inbox messages, for a badge in a header."""

from __future__ import annotations

from django import template
from django.contrib.auth import get_user_model

from ..selectors import notification_count_unread

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, get_user_model()):
        return 0
    return notification_count_unread(user=user)

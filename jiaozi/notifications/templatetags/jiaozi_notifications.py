"""``{% load jiaozi_notifications %}{% unread_notification_count as count %}`` — the
signed-in user's unread inbox messages, for a badge in a header."""

from __future__ import annotations

from django import template

from jiaozi.accounts.models import User

from ..selectors import notification_count_unread

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notification_count(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return 0
    return notification_count_unread(user=user)

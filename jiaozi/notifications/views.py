"""The in-app inbox: the signed-in user's own messages, for applicants and staff
alike. Mounted under the notifications urls for now; the applicant area can include
``jiaozi.notifications.urls`` (or these views) wherever it lives."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jiaozi.core.boundary import domain_errors

from .selectors import notification_count_unread, notification_list_for
from .services import notification_mark_all_read, notification_mark_read

if TYPE_CHECKING:
    from jiaozi.accounts.models import User

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    assert user.is_authenticated  # login_required ran first
    return cast("User", user)


@never_cache
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(notification_list_for(user=user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {"page_obj": page, "unread_only": unread_only, "unread_count": notification_count_unread(user=user)},
    )


@login_required
@domain_errors
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Mark read, then open the message's link (a path on this site) or go back."""
    notification = notification_mark_read(user=_user(request), pk=pk)
    # The link was checked on the way in; checked again here as it leaves.
    if (
        request.POST.get("open")
        and notification.link
        and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None, require_https=False)
    ):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponseRedirect:
    notification_mark_all_read(user=_user(request))
    return redirect("notifications:inbox")

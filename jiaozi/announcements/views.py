"""Announcement pages: the staff pages (under the staff prefix) for the admins of
education bureaus, and the portal's public list and detail. Views parse input, call one
service or selector, render."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiaozi.accounts.decorators import staff_user
from jiaozi.core.access import staff_required
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, PermissionDenied, ValidationFailed
from jiaozi.core.ui.tables import Column, paginate

from . import attachments, selectors, services
from .forms import (
    AnnouncementForm,
    AttachmentForm,
    PublicFilterForm,
    PublishForm,
    StaffFilterForm,
    VersionForm,
    WithdrawForm,
)
from .models import Announcement
from .permissions import AUTHOR_ROLES, can_author, can_manage

LIST_COLUMNS = [
    Column(gettext_lazy("标题")),
    Column(gettext_lazy("发布机构")),
    Column(gettext_lazy("状态")),
    Column(gettext_lazy("发布时间")),
    Column(gettext_lazy("更新时间")),
]


def _managed(request: HttpRequest, pk: int) -> Announcement:
    """The announcement in the user's jurisdiction (404 otherwise) that the user may
    write (403 otherwise: a superior reads a subordinate's announcement, no more)."""
    announcement = selectors.announcement_get_visible_to(user=request.user, pk=pk)
    if not can_manage(actor=staff_user(request), announcement=announcement):
        raise PermissionDenied(_("只有发布机构的管理员可以修改、发布或撤回该公告。"))
    return announcement


def _crumbs(*extra: tuple[Any, str | None]) -> list[tuple[Any, str | None]]:
    return [(_("公告管理"), reverse("announcements:list")), *extra]


# Badge colours by state (the label always says the state in words).
TONES = {"draft": "warning", "scheduled": "info", "published": "success", "withdrawn": "neutral"}


def state_of(announcement: Announcement) -> tuple[str, str]:
    """The machine state and its label as staff see it (scheduled is a published row
    whose time has not come)."""
    if services.is_scheduled(announcement):
        return "scheduled", _("定时发布")
    return announcement.status, str(announcement.get_status_display())


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_GET
def announcement_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None)
    queryset = selectors.announcement_search(
        selectors.announcement_list_visible_to(user=request.user), **form.filters()
    ).order_by("-updated_at", "-pk")
    page_obj = paginate(request, queryset)
    for row in page_obj:
        row.state, row.state_label = state_of(row)
        row.tone = TONES.get(row.state, "neutral")
    return render(
        request,
        "announcements/list.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "columns": LIST_COLUMNS,
            "can_author": can_author(actor=staff_user(request)),
            "nav_active": "announcements:list",
            "breadcrumbs": [(_("公告管理"), None)],
        },
    )


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def announcement_create(request: HttpRequest) -> HttpResponse:
    if not can_author(actor=staff_user(request)):
        raise PermissionDenied(_("只有省、市、县级教育行政部门的管理员可以发布公告。"))
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        with form_errors(form, ValidationFailed, Conflict):
            announcement = services.announcement_create(actor=staff_user(request), **data)
            messages.success(request, _("公告草稿已保存，可以上传附件后发布。"))
            return redirect("announcements:detail", pk=announcement.pk)
    return render(
        request,
        "announcements/form.html",
        {"form": form, "nav_active": "announcements:list", "breadcrumbs": _crumbs((_("新建公告"), None))},
    )


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_GET
def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_visible_to(user=request.user, pk=pk)
    return _detail(request, announcement)


def _detail(request: HttpRequest, announcement: Announcement, **forms: Any) -> HttpResponse:
    state, state_label = state_of(announcement)
    manage = can_manage(actor=staff_user(request), announcement=announcement)
    editable = services.is_editable(announcement)
    version = {"version": announcement.version}
    context = {
        "announcement": announcement,
        "state": state,
        "state_label": state_label,
        "state_tone": TONES.get(state, "neutral"),
        "attachments": selectors.attachment_list_for(announcement=announcement),
        "can_manage": manage,
        "editable": manage and editable,
        "can_publish": manage and (announcement.status != "published" or state == "scheduled"),
        "can_withdraw": manage and announcement.status == "published",
        "can_delete": manage and announcement.status == "draft",
        "is_live": services.is_live(announcement),
        "publish_form": forms.get("publish_form") or PublishForm(initial=version),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(initial=version),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "version_form": VersionForm(initial=version),
        "max_files": attachments.max_files(),
        "nav_active": "announcements:list",
        "breadcrumbs": _crumbs((announcement.title, None)),
    }
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "announcements/detail.html", context, status=status)


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed(request, pk)
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            with form_errors(form, ValidationFailed, Conflict):
                services.announcement_update(
                    actor=staff_user(request), pk=announcement.pk, **{**data, "version": data["version"] or 0}
                )
                messages.success(request, _("公告已保存。"))
                return redirect("announcements:detail", pk=announcement.pk)
    else:
        form = AnnouncementForm(
            initial={
                "title": announcement.title,
                "category": announcement.category,
                "source": announcement.source,
                "body": announcement.body,
                "version": announcement.version,
            }
        )
    return render(
        request,
        "announcements/form.html",
        {
            "form": form,
            "announcement": announcement,
            "nav_active": "announcements:list",
            "breadcrumbs": _crumbs(
                (announcement.title, reverse("announcements:detail", args=[announcement.pk])),
                (_("修改"), None),
            ),
        },
    )


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_POST
def announcement_publish(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed(request, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            done = services.announcement_publish(
                actor=staff_user(request),
                pk=announcement.pk,
                version=form.cleaned_data["version"],
                publish_at=form.cleaned_data["publish_at"],
            )
            if services.is_scheduled(done):
                when = localtime(done.publish_at).strftime("%Y-%m-%d %H:%M")
                messages.success(request, _("公告将于 %(when)s 在门户网站发布。") % {"when": when})
            else:
                messages.success(request, _("公告已在门户网站发布。"))
            return redirect("announcements:detail", pk=announcement.pk)
    return _detail(request, announcement, publish_form=form)


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_POST
def announcement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.announcement_withdraw(
                actor=staff_user(request),
                pk=announcement.pk,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("公告已从门户网站撤回。"))
            return redirect("announcements:detail", pk=announcement.pk)
    return _detail(request, announcement, withdraw_form=form)


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_POST
def announcement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("页面已过期，请刷新后重试。"), code="stale_version")
    services.announcement_delete(
        actor=staff_user(request), pk=announcement.pk, version=form.cleaned_data["version"]
    )
    messages.success(request, _("公告草稿已删除。"))
    return redirect("announcements:list")


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _managed(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.attachment_add(
                actor=staff_user(request), announcement_id=announcement.pk, file=form.cleaned_data["file"]
            )
            messages.success(request, _("附件已上传。"))
            return redirect("announcements:detail", pk=announcement.pk)
    return _detail(request, announcement, attachment_form=form)


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get_visible_to(user=request.user, pk=pk)
    services.attachment_remove(actor=staff_user(request), attachment_id=attachment.pk)
    messages.success(request, _("附件已删除。"))
    return redirect("announcements:detail", pk=attachment.announcement_id)


@staff_required(*AUTHOR_ROLES)
@domain_errors
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get_visible_to(user=request.user, pk=pk)
    # A FileResponse (streaming) where the staff check's signature names HttpResponse.
    return cast(HttpResponse, attachments.attachment_response(attachment))


# --- Public (the portal) -------------------------------------------------------------


@domain_errors
@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    form = PublicFilterForm(request.GET or None)
    filters = form.filters()
    page_obj = paginate(
        request,
        selectors.public_list(
            level=filters.get("level", ""), category=filters.get("category", ""), q=filters.get("q", "")
        ),
        per_page=15,
    )
    return render(
        request,
        "announcements/public_list.html",
        {"portal_active": "announcements", "form": form, "page_obj": page_obj, "filtered": bool(filters)},
    )


@domain_errors
@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.public_get(pk=pk)
    return render(
        request,
        "announcements/public_detail.html",
        {
            "portal_active": "announcements",
            "announcement": announcement,
            "paragraphs": [p.strip() for p in announcement.body.split("\n\n") if p.strip()],
            "attachments": selectors.attachment_list_for(announcement=announcement),
        },
    )


@domain_errors
@require_GET
def public_attachment(request: HttpRequest, announcement_pk: int, pk: int) -> HttpResponseBase:
    attachment = selectors.public_attachment_get(announcement_id=announcement_pk, pk=pk)
    return attachments.attachment_response(attachment)

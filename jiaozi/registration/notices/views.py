"""Pages of the public notice (公示): the public list, a notice with its masked list, the
downloadable published document and the objection form (no sign-in, mounted at
/notices/ by public_urls.py); and the registration reviewer's pages to publish notices
and resolve objections (staff workspace, registration/urls.py).

Views parse input, call one service or selector of ``notices``, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.certificates.models import Conclusion
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    ValidationFailed,
    WindowClosed,
)
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited
from jiaozi.core.ui.tables import Column, paginate

from .. import notices
from ..models import Notice, Objection
from .forms import NoticeFilterForm, ObjectionFilterForm, ObjectionForm, PublishForm, ResolveForm
from .selectors import publication_refusals

ENTRIES_PER_PAGE = 100
NOTICES_PER_PAGE = 20


def _labelled(entries: Any) -> list[dict[str, Any]]:
    """Published rows with the conclusion's label in the reader's language (the row
    keeps the label as published, in Chinese, for the proof)."""
    labels = dict(Conclusion.choices)
    return [{**e, "label": labels.get(e.get("conclusion"), e.get("conclusion_label", ""))} for e in entries]


def _status_of(exc: DomainError | None) -> int:
    """A form shown again with its errors answers 200, as every form of the site does;
    a conflict (another stage, a stale page, the period over) keeps its 409."""
    return 200 if exc is None or isinstance(exc, ValidationFailed) else exc.status


def _private(response: HttpResponse) -> HttpResponse:
    # Masked, but still about people: keep it out of search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _maybe_url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- Public pages --------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    form = NoticeFilterForm(request.GET or None)
    city = county = ""
    if form.is_valid():
        city, county = form.cleaned_data["city"], form.cleaned_data["county"]
    page_obj = paginate(
        request, notices.notice_list_public(city=city, county=county), per_page=NOTICES_PER_PAGE
    )
    now = clock.now()
    return render(
        request,
        "notices/list.html",
        {
            "portal_active": "notices",
            "form": form,
            "page_obj": page_obj,
            "rows": [{"notice": n, "is_open": notices.notice_is_open(n, now=now)} for n in page_obj],
            "filtered": bool(city or county),
        },
    )


@never_cache
@domain_errors
@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.notice_get_public(pk=pk)
    is_open = notices.notice_is_open(notice)
    page_obj = paginate(request, notice.entries, per_page=ENTRIES_PER_PAGE)
    return _private(
        render(
            request,
            "notices/detail.html",
            {
                "portal_active": "notices",
                "notice": notice,
                "is_open": is_open,
                "page_obj": page_obj,
                "entries": _labelled(page_obj.object_list),
                "entry_count": len(notice.entries),
            },
        )
    )


@never_cache
@domain_errors
@require_GET
def public_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The published list exactly as hashed: its SHA-256 is the one on the page."""
    notice = notices.notice_get_public(pk=pk)
    response = HttpResponse(notices.notice_document_bytes(notice=notice), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="notice-{notice.pk}.json"'
    return _private(response)


def _rate_limited(request: HttpRequest, notice: Notice, error: RateLimited) -> HttpResponse:
    response = render(
        request,
        "notices/rate_limited.html",
        {"portal_active": "notices", "notice": notice, "retry_minutes": -(-error.retry_after // 60)},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return _private(response)


@never_cache
@domain_errors
@require_http_methods(["GET", "POST"])
def public_object(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.notice_get_public(pk=pk)
    is_open = notices.notice_is_open(notice)
    initial = {"entry": request.GET.get("entry", ""), "identity": "real"}
    form = ObjectionForm(request.POST or None, notice=notice, initial=initial)
    status = 200
    if request.method == "POST" and is_open:
        if form.is_valid():
            entry = notices.notice_entry_get(notice=notice, no=form.cleaned_data["entry"])
            try:
                with form_errors(form, ValidationFailed, Conflict, NotFound) as failed:
                    notices.objection_submit(
                        notice_id=notice.pk,
                        application_id=entry["application_id"],
                        anonymous=form.cleaned_data["identity"] == "anonymous",
                        name=form.cleaned_data["name"],
                        contact=form.cleaned_data["contact"],
                        content=form.cleaned_data["content"],
                        ip=client_ip(request),
                    )
                    messages.success(
                        request,
                        _(
                            "您的异议已提交。注册机构将在核查后作出处理，实名提出的将通过您留下的联系方式反馈结果。"
                        ),
                    )
                    return redirect("notices:detail", pk=notice.pk)
            except RateLimited as error:
                return _rate_limited(request, notice, error)
            except WindowClosed:
                is_open = False
                status = 409
            else:
                status = _status_of(failed.caught)
    elif request.method == "POST":
        status = 409
    raw = (request.POST if form.is_bound else request.GET).get("entry", "")
    shown: dict[str, Any] | None = None
    if raw.isdigit():
        try:
            shown = notices.notice_entry_get(notice=notice, no=raw)
        except NotFound:
            shown = None
    return _private(
        render(
            request,
            "notices/object.html",
            {
                "portal_active": "notices",
                "notice": notice,
                "is_open": is_open,
                "form": form,
                "entry": _labelled([shown])[0] if shown else None,
            },
            status=status,
        )
    )


# --- Staff: notices ------------------------------------------------------------------

NOTICE_COLUMNS = [
    Column(gettext_lazy("公示")),
    Column(gettext_lazy("公示期")),
    Column(gettext_lazy("人数"), css="text-end"),
    Column(gettext_lazy("待处理异议"), css="text-end"),
    Column(gettext_lazy("状态")),
]
STAFF_ROLES = tuple(notices.NOTICE_ROLES)


@never_cache
@staff_required(*STAFF_ROLES)
@domain_errors
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    page_obj = paginate(
        request, notices.notice_list_visible_to(user=staff_user(request)), per_page=NOTICES_PER_PAGE
    )
    now = clock.now()
    return render(
        request,
        "registration/notice/list.html",
        {
            "columns": NOTICE_COLUMNS,
            "page_obj": page_obj,
            "rows": [{"notice": n, "is_open": notices.notice_is_open(n, now=now)} for n in page_obj],
            "publishable": notices.applications_publishable_by(user=staff_user(request)).count(),
            "nav_active": "registration:notice_list",
            "breadcrumbs": [(_("结果公示"), None)],
        },
    )


@never_cache
@staff_required(*STAFF_ROLES)
@domain_errors
@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.notice_get_visible_to(user=staff_user(request), pk=pk)
    page_obj = paginate(request, notice.entries, per_page=ENTRIES_PER_PAGE)
    return render(
        request,
        "registration/notice/detail.html",
        {
            "notice": notice,
            "is_open": notices.notice_is_open(notice),
            "page_obj": page_obj,
            "entries": _labelled(page_obj.object_list),
            "entry_count": len(notice.entries),
            "hash_ok": notices.notice_list_sha256(notice=notice) == notice.list_sha256,
            "objections": notices.objection_list_visible_to(user=staff_user(request)).filter(notice=notice),
            "public_url": reverse("notices:detail", args=[notice.pk]),
            "nav_active": "registration:notice_list",
            "breadcrumbs": [(_("结果公示"), reverse("registration:notice_list")), (notice.title, None)],
        },
    )


def _publish_rows(applications: list[Any], selected: set[int] | None) -> list[dict[str, Any]]:
    return [
        {
            "application": a,
            "masked_id": mask_resident_id(a.teacher.resident_id),
            "checked": selected is None or a.pk in selected,
        }
        for a in applications
    ]


@never_cache
@staff_required(*STAFF_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def notice_publish(request: HttpRequest) -> HttpResponse:
    """Choose (GET), preview (POST step=preview), publish (POST step=publish)."""
    applications = list(
        notices.applications_publishable_by(user=staff_user(request))[: notices.NOTICE_MAX_ENTRIES]
    )
    campaign = applications[0].campaign if applications else None
    default_days = campaign.notice_days if campaign else 7
    form = PublishForm(
        request.POST or None,
        application_ids=[a.pk for a in applications],
        initial={"days": default_days},
    )
    context: dict[str, Any] = {
        "form": form,
        "campaign": campaign,
        "nav_active": "registration:notice_list",
        "breadcrumbs": [(_("结果公示"), reverse("registration:notice_list")), (_("发布公示"), None)],
        "columns": [
            Column(gettext_lazy("选择")),
            Column(gettext_lazy("姓名")),
            Column(gettext_lazy("身份证号")),
            Column(gettext_lazy("学校")),
            Column(gettext_lazy("注册结论")),
        ],
    }
    step = request.POST.get("step", "")
    status = 200
    if request.method == "POST" and form.is_valid():
        ids = form.cleaned_data["applications"]
        days = default_days  # the campaign's, whatever was posted (§5)
        if step == "publish":
            # Every refusal lands on the form, conflict_of_interest (one's own
            # application in the batch) included.
            with form_errors(form, DomainError) as failed:
                notice = notices.notice_publish(actor=staff_user(request), application_ids=ids, days=days)
                messages.success(request, _("公示已发布，共 %(count)s 人。") % {"count": len(notice.entries)})
                return redirect("registration:notice_detail", pk=notice.pk)
            status = _status_of(failed.caught)
        elif step == "preview":
            chosen = [a for a in applications if a.pk in set(ids)]
            starts = clock.now()
            refusals = publication_refusals(chosen, ends_at=starts + dt.timedelta(days=days), now=starts)
            context |= {
                "refusals": [(a.teacher.name, message) for a, message in refusals],
                "preview": _labelled(
                    notices.notice_entry(no=n, application=a) for n, a in enumerate(chosen, start=1)
                ),
                "ids": ids,
                "days": days,
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(days=days),
            }
            return render(request, "registration/notice/publish_preview.html", context)
    selected = set(form.cleaned_data["applications"]) if form.is_bound and form.is_valid() else None
    if form.is_bound and not form.is_valid():
        selected = {int(v) for v in request.POST.getlist("applications") if v.isdigit()}
    context["rows"] = _publish_rows(applications, selected)
    return render(request, "registration/notice/publish.html", context, status=status)


# --- Staff: objections ---------------------------------------------------------------

OBJECTION_COLUMNS = [
    Column(gettext_lazy("提出时间")),
    Column(gettext_lazy("异议对象")),
    Column(gettext_lazy("公示")),
    Column(gettext_lazy("异议人")),
    Column(gettext_lazy("状态")),
    Column(gettext_lazy("操作")),
]


@never_cache
@staff_required(*STAFF_ROLES)
@domain_errors
@require_GET
def objection_list(request: HttpRequest) -> HttpResponse:
    form = ObjectionFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    page_obj = paginate(request, notices.objection_list_visible_to(user=staff_user(request), state=state))
    return render(
        request,
        "registration/notice/objection_list.html",
        {
            "filter_form": form,
            "columns": OBJECTION_COLUMNS,
            "page_obj": page_obj,
            "rows": [{"objection": o, "entry": notices.objection_entry(objection=o)} for o in page_obj],
            "nav_active": "registration:objection_list",
            "breadcrumbs": [(_("公示异议"), None)],
        },
    )


@never_cache
@staff_required(*STAFF_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    objection = notices.objection_get_visible_to(user=staff_user(request), pk=pk)
    application = objection.application
    contact = ""
    reveal = request.method == "POST" and request.POST.get("action") == "reveal"
    form = ResolveForm(
        request.POST if request.method == "POST" and not reveal else None,
        initial={"version": application.version},
    )
    status = 200
    if reveal:
        contact = notices.objection_contact_reveal(actor=staff_user(request), objection=objection)
    elif form.is_bound and form.is_valid():
        upheld = form.cleaned_data["decision"] == "upheld"
        with form_errors(form, DomainError) as failed:
            notices.objection_resolve(
                actor=staff_user(request),
                objection_id=objection.pk,
                upheld=upheld,
                resolution=form.cleaned_data["resolution"],
                conclusion=form.cleaned_data["conclusion"] if upheld else "",
                version=form.cleaned_data["version"],
            )
            if upheld:
                messages.success(request, _("已认定异议成立，注册结论已修改，请重新发布公示。"))
            else:
                messages.success(request, _("已认定异议不成立，该申请继续公示。"))
            return redirect("registration:objection_list")
        status = _status_of(failed.caught)
    others = (
        notices.objection_list_visible_to(user=staff_user(request))
        .filter(application=application)
        .exclude(pk=objection.pk)
    )
    return render(
        request,
        "registration/notice/objection_resolve.html",
        {
            "objection": objection,
            "application": application,
            "entry": notices.objection_entry(objection=objection),
            "contact_masked": notices.mask_contact(objection.contact),
            "contact": contact,
            "form": form,
            "others": others,
            "application_url": _maybe_url("registration:application_detail", application.pk),
            "notice_url": reverse("registration:notice_detail", args=[objection.notice_id]),
            "is_open": objection.state == Objection.State.OPEN,
            "nav_active": "registration:objection_list",
            "breadcrumbs": [
                (_("公示异议"), reverse("registration:objection_list")),
                (_("异议 #%(pk)s") % {"pk": objection.pk}, None),
            ],
        },
        status=status,
    )

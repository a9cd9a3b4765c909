"""Reviewer pages (§5): the queue of each level with its batch actions, one
application's detail with the actions the reviewer may take now, the audited reveal of
the applicant's full data, and material downloads. Views parse input, call one
selector or service, render; the workflow (transitions.py) decides and checks
everything again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.ratelimit import RateLimited, ratelimit
from jiaozi.core.ui.tables import Column, ordering_from, paginate

from ..transitions import BatchItem, actions_for, application_transition, application_transition_batch
from ..workflow import Action, Actor
from . import selectors as queues
from . import services
from .forms import (
    ELSEWHERE,
    RETURN_ACTIONS,
    BatchForm,
    BatchRequest,
    QueueFilterForm,
    ResidentIdSearchForm,
    action_form,
    action_label,
    batch_label,
    parse_tab,
)
from .selectors import QUEUE_ROLES, SORTS, Level, SearchKind, Tab

BATCH_RESULT_SESSION_KEY = "registration_batch_result"
# Full resident-ID searches find one person's record: fine for a clerk, suspicious in
# bulk (SECURITY 25).
ID_SEARCH_LIMIT = 120
ID_SEARCH_WINDOW = 3600


def _level(request: HttpRequest) -> Level:
    level = queues.level_for(staff_user(request))
    if level is None:  # a reviewer role without an institution: nothing to review
        raise Http404(_("当前账号未关联审核机构。"))
    return level


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """A local queue URL to come back to, else the bare queue."""
    queue_url = reverse("registration:queue")
    if (
        value
        and (value == queue_url or value.startswith(f"{queue_url}?"))
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return queue_url


def _url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Queue ----------------------------------------------------------------------------


def _rechecks(level: Level) -> bool:
    """The levels that recheck a conclusion (city, province): their queue shows the
    注册结论 under review in its own column (issue 9, item 5)."""
    return level.actor in (Actor.CITY, Actor.PROVINCE)


def _columns(tab: str, level: Level | None = None) -> list[Column]:
    columns = []
    if tab == Tab.TODO:
        select_all = format_html(
            '<input class="form-check-input" type="checkbox" data-jz-select-all="items" aria-label="{}">',
            _("全选本页"),
        )
        columns.append(Column(select_all, css="jz-col-check"))
    columns += [
        Column(gettext_lazy("姓名 / 身份证号"), "name", sortable=True),
        Column(gettext_lazy("证书编号 / 注册类型"), "number", sortable=True),
        Column(gettext_lazy("学校"), "school", sortable=True),
        *(
            [Column(gettext_lazy("注册结论"), "conclusion", sortable=True)]
            if level is not None and _rechecks(level)
            else []
        ),
        Column(gettext_lazy("系统建议及理由"), "suggestion", sortable=True),
        Column(gettext_lazy("状态"), "status", sortable=True),
        Column(gettext_lazy("提交日期"), "submitted", sortable=True, css="text-nowrap jz-col-submitted"),
        Column(
            gettext_lazy("办理期限") if tab == Tab.TODO else gettext_lazy("当前环节期限"),
            "deadline",
            sortable=True,
            css="text-nowrap",
        ),
        Column(gettext_lazy("操作"), css="text-end"),
    ]
    return columns


@dataclass(frozen=True)
class _RowTexts:
    select: str
    no_batch: str
    overdue: str
    review: str
    view: str
    departs: str = ""


def _row_html(
    row: queues.QueueRow,
    *,
    selectable: bool,
    show_conclusion: bool,
    texts: _RowTexts,
    conclusion_column: bool = False,
) -> SafeString:
    """One queue row as HTML. Built here rather than in a per-row template: a page of
    100 rows spent most of its time resolving template variables, and the queue must
    answer in 50 ms (docs/decisions/0102-queue-rows-rendered-in-python.md). Every value
    goes through ``format_html``, so everything is escaped exactly as a template would."""
    check: str = ""
    if selectable and row.selectable:
        check = format_html(
            '<td class="jz-col-check"><input class="form-check-input" type="checkbox" name="items" '
            'value="{}" aria-label="{} {}"></td>',
            row.item,
            texts.select,
            row.name,
        )
    elif selectable:
        # Waiting for this level but not for a batch action (e.g. concluded, to be noticed).
        check = format_html(
            '<td class="jz-col-check"><span class="visually-hidden">{}</span></td>', texts.no_batch
        )
    suggestion: str
    if row.suggestion_label:
        suggestion = format_html(
            '<span class="jz-badge jz-badge-{}" data-status="{}">{}</span>',
            row.suggestion_tone,
            row.suggestion,
            row.suggestion_label,
        )
    else:
        suggestion = "—"
    reasons = format_html_join(
        "", ' <span class="jz-reason-badge">{}</span>', ((r,) for r in row.reason_labels)
    )
    conclusion = (
        format_html('<div class="small text-body-secondary mt-1">{}</div>', row.conclusion_label)
        if show_conclusion and row.conclusion_label and not conclusion_column
        else ""
    )
    conclusion_cell: str = ""
    if conclusion_column:
        conclusion_cell = format_html(
            '<td class="jz-col-conclusion">{}{}</td>',
            format_html(
                '<span class="jz-badge jz-badge-{}" data-status="{}">{}</span>',
                row.conclusion_tone,
                row.conclusion,
                row.conclusion_label,
            )
            if row.conclusion_label
            else "—",
            format_html('<div class="jz-sub jz-departs">{}</div>', texts.departs) if row.departs else "",
        )
    deadline: str
    if row.overdue:
        deadline = format_html(
            '<span class="jz-overdue">{}</span><div><span class="jz-badge jz-badge-danger">{}</span></div>',
            row.deadline,
            texts.overdue,
        )
    else:
        deadline = row.deadline or "—"
    button = format_html(
        '<a class="btn btn-sm {}" href="{}">{}</a>',
        "btn-primary" if row.held else "btn-outline-secondary",
        row.url,
        texts.review if row.held else texts.view,
    )
    return format_html(
        "<tr{}>{}"
        '<td class="jz-col-person"><a href="{}" class="fw-semibold">{}</a>'
        '<div class="jz-sub font-monospace">{}</div></td>'
        '<td class="jz-col-cert"><span class="font-monospace">{}</span><div class="jz-sub">{}</div></td>'
        '<td class="jz-col-school">{}</td>'
        "{}"
        '<td class="jz-col-suggestion">{}{}</td>'
        '<td class="text-nowrap"><span class="jz-badge jz-badge-{}" data-status="{}">{}</span>{}</td>'
        '<td class="text-nowrap jz-col-date jz-col-submitted">{}</td>'
        '<td class="text-nowrap jz-col-date">{}</td>'
        '<td class="text-end text-nowrap">{}</td></tr>',
        mark_safe(' class="jz-row-overdue"') if row.overdue else "",  # nosec B308 # a constant literal, no user data
        check,
        row.url,
        row.name,
        row.resident_id_masked,
        row.certificate_number,
        row.due_label,
        row.school_name,
        conclusion_cell,
        suggestion,
        reasons,
        row.status_tone,
        row.status,
        row.status_label,
        conclusion,
        row.submitted or "—",
        deadline,
        button,
    )


def _queue_page(
    request: HttpRequest,
    *,
    level: Level,
    tab: str,
    form: QueueFilterForm,
    filters: queues.QueueFilters,
    id_form: ResidentIdSearchForm,
    id_search: str = "",
) -> HttpResponse:
    user = staff_user(request)
    sort, order_by = ordering_from(request, allowed=SORTS, default=queues.DEFAULT_SORT[tab])
    applications = queues.application_queue(user=user, filters=filters, order_by=order_by)
    page_obj = paginate(request, applications, per_page=form.page_size())
    here = request.get_full_path()
    rows = queues.queue_rows(page_obj.object_list, user=user, next_query=f"?{urlencode({'next': here})}")
    texts = _RowTexts(
        select=_("选择"),
        no_batch=_("不可批量办理"),
        overdue=_("已超期"),
        review=_("审核"),
        view=_("查看"),
        departs=_("与系统建议不一致"),
    )
    row_html = [
        _row_html(
            row,
            selectable=tab == Tab.TODO,
            show_conclusion=tab != Tab.TODO,
            texts=texts,
            conclusion_column=_rechecks(level),
        )
        for row in rows
    ]
    tab_urls = {}
    for value, label in Tab.choices:
        params = QueryDict(mutable=True)
        if value != Tab.TODO:
            params["tab"] = value
        tab_urls[value] = (
            label,
            f"{reverse('registration:queue')}{'?' + params.urlencode() if params else ''}",
        )
    context: dict[str, Any] = {
        "level": level,
        "tab": tab,
        "tabs": [(value, label, url) for value, (label, url) in tab_urls.items()],
        "filter_form": form,
        "filter_action": tab_urls[tab][1],
        "id_form": id_form,
        "id_search_masked": queues.mask_resident_id(id_search) if id_search else "",
        "columns": _columns(tab, level),
        "rows": row_html,
        "page_obj": page_obj,
        "sort": sort,
        "counts": queues.queue_counts(user=user),
        "batch_actions": [(a, batch_label(a, level=level)) for a in level.batch_actions]
        if tab == Tab.TODO
        else [],
        "here": here,
        "nav_active": "registration:queue",
        "breadcrumbs": [(_("审核队列"), None)],
    }
    return render(request, "registration/review/queue.html", context)


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    level = _level(request)
    tab = parse_tab(request.GET.get("tab"))
    form = QueueFilterForm(request.GET or None, user=user, level=level, tab=tab)
    filters = form.filters(tab=tab)
    if filters.q and queues.search_kind(filters.q) == SearchKind.RESIDENT_ID:
        # SECURITY 22: a resident ID never travels in a URL (browser history, proxy and
        # server logs). Away from this one at once; the dedicated form posts it.
        messages.warning(request, _("身份证号不能放在网址中查询，请使用“按身份证号查询”。"))
        kept = request.GET.copy()
        kept.pop("q", None)
        return redirect(f"{reverse('registration:queue')}?{kept.urlencode()}".rstrip("?"))
    return _queue_page(
        request,
        level=level,
        tab=tab,
        form=form,
        filters=filters,
        id_form=ResidentIdSearchForm(initial={"tab": tab}),
    )


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def queue_id_search(request: HttpRequest) -> HttpResponse:
    """按身份证号查询: the full resident ID comes in a POST body and the page answers
    directly (nothing to bookmark, nothing in a log line); rate-limited per user. A GET
    (a sort or page link of the result page) goes back to the queue."""
    if request.method == "GET":
        return redirect(f"{reverse('registration:queue')}?{request.GET.urlencode()}".rstrip("?"))
    user = staff_user(request)
    level = _level(request)
    id_form = ResidentIdSearchForm(request.POST)
    tab = parse_tab(request.POST.get("tab"))
    form = QueueFilterForm(None, user=user, level=level, tab=tab)
    if not id_form.is_valid():
        return _queue_page(
            request, level=level, tab=tab, form=form, filters=queues.QueueFilters(tab=tab), id_form=id_form
        )
    resident_id = id_form.cleaned_data["resident_id"]
    try:
        ratelimit(f"queue-id-search:{user.pk}", limit=ID_SEARCH_LIMIT, window=ID_SEARCH_WINDOW)
    except RateLimited as exc:
        messages.error(request, exc.message)
        return redirect("registration:queue")
    # 全部 unless asked otherwise: a clerk looking a person up wants them at any stage.
    tab = parse_tab(request.POST.get("tab") or Tab.ALL)
    form = QueueFilterForm(None, user=user, level=level, tab=tab)
    return _queue_page(
        request,
        level=level,
        tab=tab,
        form=form,
        filters=queues.QueueFilters(tab=tab, q=resident_id),
        id_form=ResidentIdSearchForm(initial={"tab": tab}),
        id_search=resident_id,
    )


# --- Batch ----------------------------------------------------------------------------

FAILURE_MESSAGES: dict[str, Any] = {
    "stale_version": gettext_lazy("该申请已被他人处理，请刷新"),
    "wrong_stage": gettext_lazy("申请已不在本环节，可能已被他人处理"),
    "window_closed": gettext_lazy("不在本级办理时间内"),
    "reason_required": gettext_lazy("缺少原因说明"),
    "conclusion_required": gettext_lazy("缺少注册结论"),
    "override_reason_required": gettext_lazy("结论与系统建议不一致，缺少理由"),
    "conflict_of_interest": gettext_lazy("不能审核本人的申请"),
    "not_found": gettext_lazy("申请不存在或不在您的管辖范围内"),
    "forbidden": gettext_lazy("您无权对该申请执行此操作"),
    "not_in_queue": gettext_lazy("该申请已不在您的待办中"),
}


def failure_message(code: str, message: str) -> str:
    known = FAILURE_MESSAGES.get(code)
    return str(known) if known is not None else (message or _("操作失败"))


def _confirm_page(
    request: HttpRequest, level: Level, form: BatchForm, batch: BatchRequest, *, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    found = queues.applications_for_batch(user=user, ids=[row.pk for row in batch.rows])
    by_pk = {r.pk: r for r in queues.queue_rows(found, user=user)}
    rows = []
    for row in batch.rows:
        decorated = by_pk.get(row.pk)
        if decorated is None:
            continue
        application = decorated.application
        rows.append(
            {
                "row": decorated,
                "item": row,
                "stale": application.version != row.version,
                "needs_override": batch.action == Action.CONCLUDE and application.suggestion != "qualified",
            }
        )
    context = {
        "level": level,
        "form": form,
        "batch": batch,
        "action_label": batch_label(batch.action, level=level),
        "is_return": batch.action in RETURN_ACTIONS,
        "is_conclude": batch.action == Action.CONCLUDE,
        "rows": rows,
        "selected": len(batch.rows) + batch.malformed,
        "ready": len(rows),
        "skipped": len(batch.rows) + batch.malformed - len(rows),
        "stale": sum(1 for r in rows if r["stale"]),
        "needs_override": sum(1 for r in rows if r["needs_override"]),
        "next": _safe_next(request, request.POST.get("next")),
        "nav_active": "registration:queue",
        "breadcrumbs": [(_("审核队列"), reverse("registration:queue")), (_("确认批量操作"), None)],
    }
    return render(request, "registration/review/batch_confirm.html", context, status=status)


def _missing_reasons(batch: BatchRequest, needs_override: set[int]) -> list[str]:
    problems = []
    if batch.action in RETURN_ACTIONS and any(not row.reason_code for row in batch.rows):
        problems.append(_("请为每件退回的申请选择退回原因（可统一设置，也可逐件设置）。"))
    if batch.action == Action.CONCLUDE and any(
        row.pk in needs_override and not row.override_reason for row in batch.rows
    ):
        problems.append(_("系统建议不是“注册合格”的申请，须填写不采纳系统建议的理由。"))
    return problems


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_POST
def batch_act(request: HttpRequest) -> HttpResponse:
    """Step "confirm" (from the queue) shows what will happen; step "execute" (from the
    confirmation page) runs the batch and redirects to its result."""
    user = staff_user(request)
    level = _level(request)
    form = BatchForm(request.POST, level=level)
    back = _safe_next(request, request.POST.get("next"))
    if not form.is_valid():
        for error in form.non_field_errors() or [_("请选择批量操作。")]:
            messages.error(request, str(error))
        return redirect(back)
    step = request.POST.get("step", "confirm")
    batch = form.request(per_row=step == "execute")
    if step != "execute":
        return _confirm_page(request, level, form, batch)

    found = {a.pk: a for a in queues.applications_for_batch(user=user, ids=[r.pk for r in batch.rows])}
    needs_override = {pk for pk, a in found.items() if a.suggestion != "qualified"}
    problems = _missing_reasons(batch, needs_override)
    if problems:
        for problem in problems:
            form.add_error(None, problem)
        return _confirm_page(request, level, form, batch, status=400)

    items = []
    failed: list[tuple[int, str, str]] = []
    for row in batch.rows:
        if row.pk not in found:
            failed.append((row.pk, "not_in_queue", ""))
            continue
        items.append(
            BatchItem(
                application_id=row.pk,
                version=row.version,
                reason_code=row.reason_code if batch.action in RETURN_ACTIONS else "",
                reason=row.reason,
                conclusion="qualified" if batch.action == Action.CONCLUDE else "",
                override_reason=row.override_reason if row.pk in needs_override else "",
            )
        )
    try:
        result = application_transition_batch(actor=user, action=batch.action, items=items) if items else None
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    succeeded = list(result.succeeded) if result is not None else []
    failed += [(int(pk), str(code), str(message)) for pk, code, message in (result.failed if result else [])]
    request.session[BATCH_RESULT_SESSION_KEY] = {
        "action": batch.action,
        "succeeded": succeeded,
        "failed": failed,
        "next": back,
    }
    return redirect("registration:batch_result")


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_GET
def batch_result(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    level = _level(request)
    stored = request.session.get(BATCH_RESULT_SESSION_KEY)
    if not stored:
        return redirect("registration:queue")
    failed = [(int(pk), str(code), str(message)) for pk, code, message in stored.get("failed", [])]
    succeeded = [int(pk) for pk in stored.get("succeeded", [])]
    shown = queues.applications_by_ids(user=user, ids=[pk for pk, _c, _m in failed])
    failures = [
        {
            "pk": pk,
            "application": shown.get(pk),
            "resident_id_masked": queues.mask_resident_id(shown[pk].teacher.resident_id)
            if pk in shown
            else "",
            "message": failure_message(code, message),
            "status_tone": queues.STATUS_TONES.get(shown[pk].status, "neutral") if pk in shown else "neutral",
        }
        for pk, code, message in failed
    ]
    action = str(stored.get("action", ""))
    context = {
        "level": level,
        "action_label": batch_label(action, level=level) if action in Action.values else "",
        "succeeded": len(succeeded),
        "failures": failures,
        "next": _safe_next(request, stored.get("next")),
        "nav_active": "registration:queue",
        "breadcrumbs": [(_("审核队列"), reverse("registration:queue")), (_("批量操作结果"), None)],
    }
    return render(request, "registration/review/batch_result.html", context)


# --- One application ------------------------------------------------------------------


def _detail_context(
    request: HttpRequest,
    application: Any,
    *,
    bound: Any = None,
    revealed: queues.Revealed | None = None,
) -> dict[str, Any]:
    from ..applications.selectors import application_timeline

    user = staff_user(request)
    level = queues.level_for(user)
    actions = actions_for(user=user, application=application)
    forms = []
    links = []
    for action in actions:
        if action in ELSEWHERE:
            links.append({"action": action, "label": action_label(action, level=level)})
            continue
        if bound is not None and bound.initial.get("action") == action:
            form = bound
        else:
            form = action_form(action, version=application.version, suggestion=application.suggestion)
        forms.append(
            {
                "action": action,
                "label": action_label(action, level=level),
                "form": form,
                "is_return": action in RETURN_ACTIONS,
                "is_conclude": action == Action.CONCLUDE,
                "open": bound is not None and bound.initial.get("action") == action,
            }
        )
    notice_url = _url_or_none("registration:notice_publish") if links else None
    objection_url = _url_or_none("registration:objection_list") if links else None
    back = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    timeline = application_timeline(application=application)
    materials = queues.application_materials(application=application)
    return {
        "application": application,
        "review_request": queues.pending_review_request(application, timeline.steps, materials),
        "level": level,
        "held": queues.is_held_by(application, user=user),
        "status_tone": queues.STATUS_TONES.get(application.status, "neutral"),
        "personal": revealed or queues.masked_personal(application),
        "revealed": revealed is not None,
        "explanation": queues.explanation(application),
        "type_stage_warning": queues.type_stage_warning(application),
        "records": queues.teacher_records(application=application),
        "materials": materials,
        "timeline": timeline,
        "action_forms": forms,
        "elsewhere": links,
        "notice_url": notice_url,
        "objection_url": objection_url,
        "publish_pending": any(link["action"] == Action.PUBLISH_NOTICE for link in links),
        "objection_pending": any(
            link["action"] in (Action.UPHOLD_OBJECTION, Action.DISMISS_OBJECTION) for link in links
        ),
        "next": back,
        "nav_active": "registration:queue",
        "breadcrumbs": [
            (_("审核队列"), back),
            (application.teacher.name, None),
        ],
    }


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = queues.application_get_for_review(user=staff_user(request), pk=pk)
    return render(request, "registration/review/detail.html", _detail_context(request, application))


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_POST
def application_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """显示完整信息: audited, shown once in this response, never stored in the page's URL."""
    revealed = services.application_reveal_personal(user=staff_user(request), pk=pk)
    application = queues.application_get_for_review(user=staff_user(request), pk=pk)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "registration/review/_personal.html",
            {"application": application, "personal": revealed, "revealed": True},
        )
    return render(
        request, "registration/review/detail.html", _detail_context(request, application, revealed=revealed)
    )


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_POST
def application_act(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    application = queues.application_get_for_review(user=user, pk=pk)
    detail_url = reverse("registration:application_detail", args=[application.pk])
    back = _safe_next(request, request.POST.get("next"))
    action = request.POST.get("action", "")
    if action not in Action.values or action in ELSEWHERE:
        messages.error(request, _("请选择要执行的操作。"))
        return redirect(detail_url)
    form = action_form(
        action, version=application.version, suggestion=application.suggestion, data=request.POST
    )
    if not form.is_valid():
        context = _detail_context(request, application, bound=form)
        return render(request, "registration/review/detail.html", context, status=400)
    try:
        with form_errors(form, ValidationFailed, message=lambda e: failure_message(e.code, e.message)):
            application_transition(
                actor=user,
                application_id=application.pk,
                action=action,
                version=form.cleaned_data["version"],
                full=False,  # the page redirects; the application was read above
                **form.service_kwargs(),
            )
            messages.success(
                request,
                _("已办理：%(name)s — %(action)s。")
                % {
                    "name": application.teacher.name,
                    "action": action_label(action, level=queues.level_for(user)),
                },
            )
            return redirect(back)
    except Conflict as exc:
        messages.error(request, failure_message(exc.code, exc.message))
        return redirect(f"{detail_url}?{urlencode({'next': back})}")
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:  # WindowClosed and the like: nothing changed
        messages.error(request, exc.message)
        return redirect(f"{detail_url}?{urlencode({'next': back})}")
    context = _detail_context(request, application, bound=form)
    return render(request, "registration/review/detail.html", context, status=400)


# --- The stamped form ------------------------------------------------------------------


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_GET
def application_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The filed 《教师资格定期注册申请表》 of a completed application, for a reviewer of
    its chain (the service answers NotFound out of scope and audits the download)."""
    from ..completion.services import application_form_pdf

    try:
        document = application_form_pdf(user=staff_user(request), application_id=pk)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("registration:application_detail", pk=pk)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registration-form-{int(pk)}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Materials --------------------------------------------------------------------------


@never_cache
@staff_required(*QUEUE_ROLES)
@domain_errors
@require_GET
def material(request: HttpRequest, pk: int) -> HttpResponse:
    """A material as an attachment, through the same jurisdiction check as the
    application (``material_get_for_download`` answers NotFound out of scope and
    audits the download)."""
    from ..applications.materials import material_get_for_download, material_response

    try:
        found = material_get_for_download(user=staff_user(request), pk=pk)
        response = material_response(found)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("registration:queue")
    # staff_required is typed for HttpResponse; a file response serves the same role.
    return cast(HttpResponse, response)

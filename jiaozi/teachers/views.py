"""Teacher pages of the staff workspace: the list and detail of teachers in the user's
jurisdiction, the school's own edits, and the import of the template as a background
job. Views parse input, call one selector or service, render. Pages that show personal
data are never cached (SECURITY check 21)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import forbidden, staff_required, staff_user
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.ratelimit import RateLimited, ratelimit
from jiaozi.core.ui.tables import Column, ordering_from, paginate

from . import selectors, services, uploads
from .forms import (
    AnnualAppraisalForm,
    EthicsAppraisalForm,
    ImportUploadForm,
    ResidentIdSearchForm,
    TeacherCreateForm,
    TeacherEditForm,
    TeacherFilterForm,
    TeachingBreakForm,
    TrainingRecordForm,
)
from .importing.errors import RowError, report_csv, report_xlsx
from .importing.loader import COUNT_KEYS
from .importing.template import build_template
from .models import ImportJob, Teacher
from .permissions import (
    EDIT_ROLES,
    IMPORT_ROLES,
    VIEW_ROLES,
    can_edit_teacher,
    can_edit_teachers,
    can_import_teachers,
)

LIST_COLUMNS = [
    Column(gettext_lazy("姓名"), "name", sortable=True),
    Column(gettext_lazy("身份证号")),
    Column(gettext_lazy("手机号")),
    Column(gettext_lazy("学校"), "school", sortable=True),
    Column(gettext_lazy("岗位类别")),
    Column(gettext_lazy("用工类型")),
    Column(gettext_lazy("教师资格证书")),
]
LIST_SORTS = {"name": ("name", "pk"), "school": ("school__code", "name", "pk")}
LIST_PER_PAGE = 50
# 按身份证号查询 per user and hour: enough for a clerk, too few for harvesting.
ID_SEARCH_LIMIT = 120
ID_SEARCH_WINDOW = 3600
ERRORS_ON_SCREEN = 500
COUNT_LABELS = {
    "created": gettext_lazy("新增"),
    "updated": gettext_lazy("更新"),
    "unchanged": gettext_lazy("未变"),
}


def _teacher_or_404(request: HttpRequest, pk: int) -> Teacher:
    return selectors.teacher_get_visible_to(user=staff_user(request), pk=pk)


def _crumbs(*extra: tuple[Any, str | None]) -> list[tuple[Any, str | None]]:
    return [(_("教师信息"), reverse("teachers:teacher_list")), *extra]


# --- List and detail ---------------------------------------------------------------------


def _list_page(
    request: HttpRequest,
    *,
    form: TeacherFilterForm,
    id_form: ResidentIdSearchForm,
    filters: dict[str, str],
    searched_id: str = "",
) -> HttpResponse:
    queryset = selectors.teacher_search(
        selectors.teacher_list_visible_to(user=staff_user(request)), **filters
    )
    sort, order_by = ordering_from(request, allowed=LIST_SORTS, default="school")
    page_obj = paginate(
        request, selectors.teacher_list_for_page(queryset).order_by(*order_by), per_page=LIST_PER_PAGE
    )
    return render(
        request,
        "teachers/teacher_list.html",
        {
            "filter_form": form,
            "id_form": id_form,
            "searched_id": mask_resident_id(searched_id) if searched_id else "",
            "page_obj": page_obj,
            "columns": LIST_COLUMNS,
            "sort": sort,
            "can_import": can_import_teachers(user=staff_user(request)),
            "can_create": can_edit_teachers(user=staff_user(request)),
            "nav_active": "teachers:teacher_list",
            "breadcrumbs": [(_("教师信息"), None)],
        },
    )


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def teacher_list(request: HttpRequest) -> HttpResponse:
    if any(ch.isdigit() for ch in request.GET.get("q", "")):
        # SECURITY 22: an ID (or part of one) never travels in a URL — browser history,
        # proxy and server logs keep URLs. Away from this one at once.
        messages.warning(request, _("身份证号不能放在网址中查询，请使用“按身份证号查询”。"))
        kept = request.GET.copy()
        kept.pop("q", None)
        return redirect(f"{reverse('teachers:teacher_list')}?{kept.urlencode()}".rstrip("?"))
    form = TeacherFilterForm(request.GET or None)
    return _list_page(request, form=form, id_form=ResidentIdSearchForm(), filters=form.filters())


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def teacher_id_search(request: HttpRequest) -> HttpResponse:
    """按身份证号查询: the full ID comes in a POST body and the page answers directly
    (nothing to bookmark or log); rate-limited per user, a bulk lookup tool it is not
    (SECURITY 25). A GET (a link of the result page) goes back to the list."""
    if request.method == "GET":
        return redirect("teachers:teacher_list")
    id_form = ResidentIdSearchForm(request.POST)
    if not id_form.is_valid():
        return _list_page(request, form=TeacherFilterForm(), id_form=id_form, filters={})
    try:
        ratelimit(f"teacher-id-search:{request.user.pk}", limit=ID_SEARCH_LIMIT, window=ID_SEARCH_WINDOW)
    except RateLimited as exc:
        messages.error(request, exc.message)
        return redirect("teachers:teacher_list")
    resident_id = id_form.cleaned_data["resident_id"]
    return _list_page(
        request,
        form=TeacherFilterForm(),
        id_form=ResidentIdSearchForm(),
        filters={"resident_id": resident_id},
        searched_id=resident_id,
    )


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def teacher_detail(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = _teacher_or_404(request, pk)
    return _detail(request, teacher)


def _detail(request: HttpRequest, teacher: Teacher, *, resident_id: str = "") -> HttpResponse:
    return render(
        request,
        "teachers/teacher_detail.html",
        {
            "teacher": teacher,
            "records": selectors.teacher_records(teacher=teacher),
            "revealed_resident_id": resident_id,
            "can_edit": can_edit_teacher(user=staff_user(request), teacher=teacher),
            "nav_active": "teachers:teacher_list",
            "breadcrumbs": _crumbs((teacher.name, None)),
        },
    )


@never_cache
@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["POST"])
def teacher_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full resident ID, on an explicit request; audited (§9)."""
    resident_id = services.teacher_reveal_resident_id(actor=staff_user(request), pk=pk)
    if getattr(request, "htmx", False):
        return render(request, "teachers/_resident_id.html", {"resident_id": resident_id, "revealed": True})
    return _detail(request, _teacher_or_404(request, pk), resident_id=resident_id)


# --- The school's own edits --------------------------------------------------------------


@never_cache
@staff_required(*EDIT_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def teacher_create(request: HttpRequest) -> HttpResponse:
    if not can_edit_teachers(user=staff_user(request)):
        return forbidden(request)
    form = TeacherCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            teacher = services.teacher_create(actor=staff_user(request), **form.cleaned_data)
            messages.success(request, _("已新增教师。"))
            return redirect("teachers:teacher_detail", pk=teacher.pk)
    return render(
        request,
        "teachers/teacher_form.html",
        {
            "form": form,
            "title": pgettext("action", "新增教师"),
            "nav_active": "teachers:teacher_list",
            "breadcrumbs": _crumbs((pgettext("action", "新增教师"), None)),
        },
    )


@never_cache
@staff_required(*EDIT_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def teacher_edit(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = _teacher_or_404(request, pk)
    if not can_edit_teacher(user=staff_user(request), teacher=teacher):
        return forbidden(request)
    initial = {
        "name": teacher.name,
        "sex": teacher.sex,
        "phone": teacher.phone,
        "post_type": teacher.post_type,
        "employment_type": teacher.employment_type,
        "health": teacher.health,
        "probation_passed_on": teacher.probation_passed_on,
        "version": teacher.version,
    }
    form = TeacherEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            services.teacher_update(actor=staff_user(request), pk=teacher.pk, **form.cleaned_data)
            messages.success(request, _("教师信息已保存。"))
            return redirect("teachers:teacher_detail", pk=teacher.pk)
    return render(
        request,
        "teachers/teacher_form.html",
        {
            "form": form,
            "teacher": teacher,
            "title": _("修改教师信息"),
            "nav_active": "teachers:teacher_list",
            "breadcrumbs": _crumbs(
                (teacher.name, reverse("teachers:teacher_detail", args=[teacher.pk])), (_("修改"), None)
            ),
        },
    )


def _record_view(
    form_class: type[forms.Form],
    service: Callable[..., Any],
    title: Any,
    done: Any,
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A page adding one record (appraisal, training, break) to a teacher of the school."""

    @never_cache
    @staff_required(*EDIT_ROLES)
    @domain_errors
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        teacher = _teacher_or_404(request, pk)
        if not can_edit_teacher(user=staff_user(request), teacher=teacher):
            return forbidden(request)
        form = form_class(request.POST or None, initial={"version": teacher.version})
        if request.method == "POST" and form.is_valid():
            with form_errors(form, ValidationFailed, Conflict):
                service(actor=staff_user(request), teacher_id=teacher.pk, **form.cleaned_data)
                messages.success(request, done)
                return redirect("teachers:teacher_detail", pk=teacher.pk)
        return render(
            request,
            "teachers/teacher_form.html",
            {
                "form": form,
                "teacher": teacher,
                "title": title,
                "nav_active": "teachers:teacher_list",
                "breadcrumbs": _crumbs(
                    (teacher.name, reverse("teachers:teacher_detail", args=[teacher.pk])), (title, None)
                ),
            },
        )

    return view


appraisal_add = _record_view(
    AnnualAppraisalForm,
    services.annual_appraisal_set,
    gettext_lazy("登记年度考核"),
    gettext_lazy("年度考核已登记。"),
)
ethics_add = _record_view(
    EthicsAppraisalForm,
    services.ethics_appraisal_set,
    gettext_lazy("登记师德考核"),
    gettext_lazy("师德考核已登记。"),
)
training_add = _record_view(
    TrainingRecordForm,
    services.training_record_add,
    gettext_lazy("登记培训学时"),
    gettext_lazy("培训学时已登记。"),
)
break_add = _record_view(
    TeachingBreakForm,
    services.teaching_break_add,
    gettext_lazy("登记中止任教"),
    gettext_lazy("中止任教记录已登记。"),
)


# --- Import -----------------------------------------------------------------------------


@never_cache
@staff_required(*IMPORT_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed):
            job = uploads.import_job_create(actor=staff_user(request), upload=form.cleaned_data["file"])
            return redirect("teachers:import_job", pk=job.pk)
    jobs = selectors.import_job_list_visible_to(user=staff_user(request)).order_by("-created_at")[:10]
    return render(
        request,
        "teachers/import.html",
        {
            "form": form,
            "jobs": jobs,
            "nav_active": "teachers:import",
            "breadcrumbs": [(_("教师数据导入"), None)],
        },
    )


@staff_required(*IMPORT_ROLES)
@domain_errors
@require_http_methods(["GET"])
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        build_template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E6%95%99%E5%B8%88%E6%95%B0%E6%8D%AE%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    return selectors.import_job_get_visible_to(user=staff_user(request), pk=pk)


def _job_context(job: ImportJob) -> dict[str, Any]:
    counts = [
        (
            key,
            {label: job.counts[key].get(code, 0) for code, label in COUNT_LABELS.items()},
            job.counts[key].get("rows", 0),
        )
        for key in COUNT_KEYS
        if key in job.counts
        and (
            job.counts[key].get("rows") or job.counts[key].get("created") or job.counts[key].get("unchanged")
        )
    ]
    errors = [RowError.from_dict(e) for e in job.errors[:ERRORS_ON_SCREEN]]
    return {
        "job": job,
        "progress": selectors.import_job_progress(job=job) if not job.finished else None,
        "counts": counts,
        "errors": errors,
        "errors_hidden": max(0, job.error_total - len(errors)),
        "warnings": [RowError.from_dict(w) for w in job.warnings[:ERRORS_ON_SCREEN]],
        "warnings_hidden": max(0, len(job.warnings) - ERRORS_ON_SCREEN),
    }


@never_cache
@staff_required(*IMPORT_ROLES)
@domain_errors
@require_http_methods(["GET"])
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    context = _job_context(job)
    context.update(
        {
            "nav_active": "teachers:import",
            "breadcrumbs": [(_("教师数据导入"), reverse("teachers:import")), (job.original_name, None)],
        }
    )
    return render(request, "teachers/import_job.html", context)


@never_cache
@staff_required(*IMPORT_ROLES)
@domain_errors
@require_http_methods(["GET"])
def import_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx every second while the job runs; once it
    has finished the panel comes without the trigger and the polling stops."""
    job = _job_or_404(request, pk)
    return render(request, "teachers/_import_status.html", _job_context(job))


@never_cache
@staff_required(*IMPORT_ROLES)
@domain_errors
@require_http_methods(["GET"])
def import_job_errors(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    job = _job_or_404(request, pk)
    errors = [RowError.from_dict(e) for e in job.errors]
    if fmt == "xlsx":
        body = report_xlsx(errors)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = report_csv(errors)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.{fmt}"'
    return response

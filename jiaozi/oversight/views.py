"""Staff pages of oversight: spot checks and revocation (§5). Views parse input, call
one selector or service, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.core.roles import Role
from jiaozi.orgs.models import Institution
from jiaozi.registration.models import Campaign

from . import dataaudit, stats
from . import spotchecks as svc
from .forms import AssignForm, CloseForm, DrawForm, FindingForm, RevokeForm
from .models import SpotCheck, SpotCheckItem

CHECKERS = (Role.PROVINCE_REVIEWER, Role.CITY_RECHECKER)
NAV = "oversight:spot_check_list"


def _crumbs(*tail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("定期注册抽查"), reverse(NAV)), *tail]


def _campaigns(request: HttpRequest) -> list[tuple[int, str]]:
    user = staff_user(request)
    code = user.institution.division_id if user.institution else ""
    return [(c.pk, c.name) for c in Campaign.objects.filter(province_code=code).order_by("-year")]


@staff_required(*CHECKERS)
@domain_errors
@require_http_methods(["GET", "POST"])
def spot_check_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    overseer = svc.is_province_overseer(user)
    form = DrawForm(request.POST or None, campaigns=_campaigns(request)) if overseer else None
    if request.method == "POST":
        if form is None:
            return redirect(NAV)
        if form.is_valid():
            data = form.cleaned_data
            with form_errors(form, ValidationFailed, Conflict):
                spot_check = svc.spot_check_draw(
                    actor=user,
                    campaign_id=data["campaign"],
                    title=data["title"],
                    mode=data["mode"],
                    size=data.get("size"),
                    percent=data.get("percent"),
                    seed=data.get("seed") or "",
                )
                messages.success(request, _("已抽取%(n)d条样本。") % {"n": spot_check.sample_count})
                return redirect("oversight:spot_check_detail", pk=spot_check.pk)
    spot_checks = svc.spot_check_list_visible_to(user=user).select_related("campaign", "drawn_by")
    return render(
        request,
        "oversight/spot_check_list.html",
        {
            "spot_checks": spot_checks[:200],
            "form": form,
            "nav_active": NAV,
            "breadcrumbs": [(_("定期注册抽查"), None)],
        },
    )


def _item_rows(items: list[SpotCheckItem]) -> list[dict[str, object]]:
    return [
        {
            "item": item,
            "name": mask_name(item.application.teacher.name),
            "number": item.application.certificate.number,
            "school": item.application.school.name,
            "conclusion": item.application.get_conclusion_display(),
            "status": item.application.get_status_display(),
        }
        for item in items
    ]


@staff_required(*CHECKERS)
@domain_errors
@require_http_methods(["GET", "POST"])
def spot_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    spot_check = svc.spot_check_get(user=user, pk=pk)
    items = list(svc.items_visible_to(user=user, spot_check=spot_check))
    overseer = svc.is_province_overseer(user) and user.institution_id == spot_check.province_id
    assign_form = close_form = None
    if overseer and spot_check.state == SpotCheck.State.OPEN:
        checkers = [
            (u.pk, f"{u.real_name}（{u.institution.name if u.institution else ''}，{u.get_role_display()}）")
            for u in svc.checkers_for(user=user, spot_check=spot_check)
        ]
        choices = [(i.pk, str(i.position)) for i in items]
        posted = request.POST if request.POST.get("form") == "assign" else None
        assign_form = AssignForm(posted, items=choices, checkers=checkers)
        closing = request.POST if request.POST.get("form") == "close" else None
        close_form = CloseForm(closing, initial={"version": spot_check.version})
        if posted is not None and assign_form.is_valid():
            with form_errors(assign_form, ValidationFailed, Conflict):
                n = svc.spot_check_assign(
                    actor=user,
                    spot_check_id=spot_check.pk,
                    item_ids=assign_form.cleaned_data["items"],
                    assignee_id=assign_form.cleaned_data["assignee"],
                )
                messages.success(request, _("已分配%(n)d条样本。") % {"n": n})
                return redirect("oversight:spot_check_detail", pk=spot_check.pk)
        if closing is not None and close_form.is_valid():
            with form_errors(close_form, ValidationFailed, Conflict):
                svc.spot_check_close(
                    actor=user,
                    spot_check_id=spot_check.pk,
                    version=close_form.cleaned_data["version"],
                    conclusion=close_form.cleaned_data["conclusion"],
                )
                messages.success(request, _("抽查已结束。"))
                return redirect("oversight:spot_check_detail", pk=spot_check.pk)
    elif request.method == "POST":
        return redirect("oversight:spot_check_detail", pk=spot_check.pk)
    return render(
        request,
        "oversight/spot_check_detail.html",
        {
            "spot_check": spot_check,
            "rows": _item_rows(items),
            "overseer": overseer,
            "assign_form": assign_form,
            "close_form": close_form,
            "redraw": svc.spot_check_redraw(spot_check=spot_check) if overseer else None,
            "nav_active": NAV,
            "breadcrumbs": _crumbs((spot_check.title, None)),
        },
    )


@staff_required(*CHECKERS)
@domain_errors
@require_http_methods(["GET", "POST"])
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    item = svc.item_get(user=user, pk=pk)
    spot_check = item.spot_check
    is_open = spot_check.state == SpotCheck.State.OPEN
    can_revoke = (
        is_open
        and svc.is_province_overseer(user)
        and user.institution_id == spot_check.province_id
        and item.outcome not in svc.REVOKED_OUTCOMES
    )
    can_record = is_open and item.outcome not in svc.REVOKED_OUTCOMES
    which = request.POST.get("form")
    finding_form = FindingForm(
        request.POST if which == "finding" else None,
        initial={
            "version": item.version,
            "outcome": item.outcome if item.outcome in dict(svc.RECORDABLE_CHOICES) else None,
            "finding": item.finding,
        },
    )
    revoke_form = RevokeForm(request.POST if which == "revoke" else None, initial={"version": item.version})
    if which == "finding" and can_record and finding_form.is_valid():
        with form_errors(finding_form, ValidationFailed, Conflict):
            svc.spot_check_item_record(
                actor=user,
                item_id=item.pk,
                version=finding_form.cleaned_data["version"],
                finding=finding_form.cleaned_data["finding"],
                outcome=finding_form.cleaned_data["outcome"],
            )
            messages.success(request, _("核查结果已保存。"))
            return redirect("oversight:item_detail", pk=item.pk)
    if which == "revoke" and can_revoke and revoke_form.is_valid():
        with form_errors(revoke_form, ValidationFailed, Conflict):
            svc.spot_check_item_revoke(
                actor=user,
                item_id=item.pk,
                version=revoke_form.cleaned_data["version"],
                target=revoke_form.cleaned_data["target"],
                reason=revoke_form.cleaned_data["reason"],
            )
            messages.success(request, _("已撤销，公开核验已同步更新。"))
            return redirect("oversight:item_detail", pk=item.pk)
    application = item.application
    return render(
        request,
        "oversight/item_detail.html",
        {
            "item": item,
            "spot_check": spot_check,
            "application": application,
            "certificate": application.certificate,
            "holder": mask_name(application.teacher.name),
            "finding_form": finding_form if can_record else None,
            "revoke_form": revoke_form if can_revoke else None,
            "nav_active": NAV,
            "breadcrumbs": _crumbs(
                (spot_check.title, reverse("oversight:spot_check_detail", args=[spot_check.pk])),
                (_("样本 %(n)s") % {"n": item.position}, None),
            ),
        },
    )


# --- Data audit before close ------------------------------------------------------------


@staff_required(*dataaudit.VIEW_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def data_audit(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    campaign = dataaudit.campaign_for(user=user, campaign_id=request.GET.get("campaign"))
    node = dataaudit.node_for(user=user, institution_id=request.GET.get("at"))
    if request.method == "POST":
        told = dataaudit.data_audit_remind(actor=user, campaign_id=campaign.pk, node_id=node.pk)
        messages.success(request, _("已向%(n)d名工作人员发送提醒。") % {"n": told})
        return redirect(
            f"{reverse('oversight:data_audit')}?{urlencode({'campaign': campaign.pk, 'at': node.pk})}"
        )
    report = dataaudit.data_audit_report(user=user, campaign=campaign, node=node)
    kind = request.GET.get("kind", "")
    lines = (
        dataaudit.data_audit_lines(user=user, campaign=campaign, node=node, kind=kind)
        if kind in dataaudit.CHECK_OF
        else []
    )
    crumbs: list[tuple[str, str | None]] = [(_("数据核查"), reverse("oversight:data_audit"))]
    own = user.institution
    ancestors = [
        i
        for i in Institution.objects.filter(path__in=_ancestor_paths(node.path)).order_by("path")
        if own is not None and i.path.startswith(own.path) and i.pk != node.pk
    ]
    for institution in ancestors:
        crumbs.append((institution.name, f"?{urlencode({'campaign': campaign.pk, 'at': institution.pk})}"))
    crumbs.append((node.name, None))
    return render(
        request,
        "oversight/data_audit.html",
        {
            "report": report,
            "checks": dataaudit.CHECKS,
            "campaigns": dataaudit.campaigns_for(user=user),
            "campaign": campaign,
            "node": node,
            "kind": kind,
            "kind_label": dataaudit.CHECK_OF[kind].label if kind in dataaudit.CHECK_OF else "",
            "lines": lines,
            "can_remind": user.role in dataaudit.REMIND_ROLES,
            "nav_active": "oversight:data_audit",
            "breadcrumbs": crumbs,
        },
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


# --- Statistics ------------------------------------------------------------------------------


def _statistics_params(request: HttpRequest) -> dict[str, Any]:
    user = staff_user(request)
    scope = request.GET.get("scope") or stats.Scope.REGISTRATION
    if scope not in stats.Scope.values:
        scope = stats.Scope.REGISTRATION
    campaign = stats.campaign_for(user=user, campaign_id=request.GET.get("campaign"))
    batch = stats.batch_for(user=user, batch_id=request.GET.get("batch"))
    node = stats.node_for(user=user, institution_id=request.GET.get("at"))
    source = campaign if scope == stats.Scope.REGISTRATION else batch
    return {"scope": scope, "campaign": campaign, "batch": batch, "node": node, "source": source}


def _statistics_query(p: dict[str, Any], **extra: Any) -> str:
    values: dict[str, Any] = {"scope": p["scope"], "at": p["node"].pk}
    if p["campaign"] is not None:
        values["campaign"] = p["campaign"].pk
    if p["batch"] is not None:
        values["batch"] = p["batch"].pk
    return urlencode(values | extra)


@staff_required(*dataaudit.VIEW_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def statistics(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    p = _statistics_params(request)
    here = f"{reverse('oversight:statistics')}?{_statistics_query(p)}"
    if request.method == "POST":
        runs = stats.statistics_refresh(
            actor=user,
            campaign_id=p["campaign"].pk if p["campaign"] else None,
            batch_id=p["batch"].pk if p["batch"] else None,
        )
        messages.success(request, _("统计已刷新（%(n)d 项）。") % {"n": sum(run.cells for run in runs)})
        return redirect(here)
    source = p["source"]
    figures = stats.statistics_figures(
        user=user, scope=p["scope"], source_id=source.pk if source else None, node=p["node"]
    )
    crumbs: list[tuple[str, str | None]] = [(_("统计"), reverse("oversight:statistics"))]
    own = user.institution
    for institution in Institution.objects.filter(path__in=_ancestor_paths(p["node"].path)).order_by("path"):
        if own is not None and institution.path.startswith(own.path) and institution.pk != p["node"].pk:
            crumbs.append((institution.name, f"?{_statistics_query(p, at=institution.pk)}"))
    crumbs.append((p["node"].name, None))
    query = _statistics_query(p)
    return render(
        request,
        "oversight/statistics.html",
        {
            **p,
            "figures": figures,
            "charts": [stats_chart(table) for table in figures.tables],
            "child_columns": stats.child_columns(p["scope"]),
            "campaigns": stats.campaigns_for(user=user),
            "batches": stats.batches_for(user=user),
            "scopes": stats.Scope.choices,
            "query": query,
            "download": f"{reverse('oversight:statistics_download')}?{query}",
            "can_refresh": stats.can_refresh(user),
            "nav_active": "oversight:statistics",
            "breadcrumbs": crumbs,
        },
    )


@staff_required(*dataaudit.VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def statistics_download(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    p = _statistics_params(request)
    source = p["source"]
    dimension = request.GET.get("dimension", "")
    if dimension != "children" and (
        dimension not in stats.DIMENSION_OF or stats.DIMENSION_OF[dimension].scope != p["scope"]
    ):
        messages.error(request, _("统计表无效。"))
        return redirect(f"{reverse('oversight:statistics')}?{_statistics_query(p)}")
    figures = stats.statistics_figures(
        user=user, scope=p["scope"], source_id=source.pk if source else None, node=p["node"]
    )
    now = timezone.localtime(clock.now())
    stamp = _("%(name)s 于 %(at)s 下载") % {"name": mask_name(user.real_name), "at": f"{now:%Y-%m-%d %H:%M}"}
    chunks = stats.table_xlsx(figures=figures, dimension=dimension, stamp=stamp)
    stats.download_record(
        actor=user,
        scope=p["scope"],
        source_id=source.pk if source else None,
        node=p["node"],
        dimension=dimension,
    )
    response = StreamingHttpResponse(
        chunks, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="statistics-{p["scope"]}-{dimension}.xlsx"'
    return cast(HttpResponse, response)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    dimension: str
    title: str
    height: int
    bars: list[Bar]


CHART_ROW = 24
CHART_LABEL = 150  # the bars start here, in the 400-unit-wide view box
CHART_WIDTH = 190.0  # the largest bar


def stats_chart(table: stats.Table) -> Chart:
    """A horizontal bar chart of ``table``: one bar per row, widths relative to the
    largest, drawn as SVG by the template (the table is the data; the chart repeats it)."""
    largest = table.largest or 1
    bars = [
        Bar(
            row.label if len(row.label) <= 10 else row.label[:9] + "…",
            row.count,
            index * CHART_ROW,
            round(CHART_WIDTH * row.count / largest, 1),
        )
        for index, row in enumerate(table.rows)
    ]
    return Chart(table.dimension, table.title, max(CHART_ROW, len(bars) * CHART_ROW), bars)

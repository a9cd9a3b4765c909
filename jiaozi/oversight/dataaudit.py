"""The data audit before a campaign closes (数据核查, 漏报、错报): every omission or error
an institution must repair, as lines that link to the page where it is fixed, counted
per institution and rolled up the tree so the province sees every institution's counts
fall to zero (docs/decisions/0242-data-audit.md).

Each check is a queryset over the user's jurisdiction (a prefix of the owning
institution's path); counts are one ``GROUP BY`` per source; lines are read a page at a
time. Nothing here writes except ``data_audit_remind``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate
from jiaozi.certificates.stages import STAGE_TYPES
from jiaozi.certservices.models import AuthenticityCheck
from jiaozi.certservices.workflow import CheckOutcome, CheckStatus
from jiaozi.core import clock
from jiaozi.core.errors import NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.masking import mask_name
from jiaozi.core.roles import Role
from jiaozi.directory.models import RegistrationPlan
from jiaozi.notifications.services import INBOX, notify_many
from jiaozi.orgs.models import Institution
from jiaozi.registration import rules
from jiaozi.registration.campaigns.selectors import campaign_context
from jiaozi.registration.models import Application, Campaign, Material
from jiaozi.registration.precheck.selectors import due_q
from jiaozi.registration.workflow import TERMINAL, Status
from jiaozi.teachers.models import Teacher

from .settings import oversight_setting

VIEW_ROLES = frozenset(
    {
        Role.SCHOOL_REVIEWER,
        Role.REGISTRATION_REVIEWER,
        Role.CITY_RECHECKER,
        Role.PROVINCE_REVIEWER,
        Role.INSTITUTION_ADMIN,
        Role.PROVINCE_ADMIN,
    }
)
REMIND_ROLES = VIEW_ROLES - {Role.SCHOOL_REVIEWER}
# Who is told at an institution with open lines.
REMINDED_ROLES = (Role.SCHOOL_REVIEWER, Role.REGISTRATION_REVIEWER, Role.INSTITUTION_ADMIN)
LINES_PAGE = 50


@dataclass(frozen=True)
class Line:
    kind: str
    owner_id: int
    owner_name: str
    text: str
    link: str


@dataclass(frozen=True)
class Source:
    """One query of a check: the rows, the lookup naming the institution that owns each
    line (the school, or the registration institution itself), and how a row reads."""

    rows: Callable[[str, Campaign, dt.datetime], QuerySet[Any]]
    owner: str
    owner_name: str
    line: Callable[[Any], tuple[str, str]]


@dataclass(frozen=True)
class Check:
    kind: str
    label: Any
    fix: Any
    sources: tuple[Source, ...]


# --- The checks --------------------------------------------------------------------------


def _active(campaign: Campaign) -> QuerySet[Application]:
    return Application.objects.filter(campaign=campaign).exclude(status=Status.WITHDRAWN)


def _missed(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Certificate]:
    # A teacher registers once, with one certificate: another certificate of a teacher
    # who applied is not missed.
    applied = _active(campaign).filter(teacher=OuterRef("teacher"))
    return (
        Certificate.objects.filter(teacher__school__path__startswith=path, teacher__school__is_active=True)
        .filter(due_q(campaign_context(campaign)))
        .exclude(Exists(applied))
        .select_related("teacher", "teacher__school")
        .order_by("teacher__school__path", "number")
    )


def _missed_line(row: Certificate) -> tuple[str, str]:
    text = _("%(name)s（证书 %(number)s）应参加本次定期注册，尚未申请") % {
        "name": mask_name(row.teacher.name),
        "number": row.number,
    }
    query = urlencode({"school": str(row.teacher.school_id), "q": row.number})
    return text, f"{reverse('registration:precheck')}?{query}"


def _applications(path: str, campaign: Campaign) -> QuerySet[Application]:
    return (
        _active(campaign)
        .filter(school__path__startswith=path)
        .select_related("teacher", "certificate", "school")
        .order_by("school__path", "pk")
    )


def _stuck(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    return _applications(path, campaign).filter(step_deadline__lt=now).exclude(status__in=TERMINAL)


def _application_link(row: Application) -> str:
    return reverse("registration:application_detail", args=[row.pk])


def _stuck_line(row: Application) -> tuple[str, str]:
    deadline = timezone.localtime(row.step_deadline) if row.step_deadline else None
    text = _("%(name)s的申请「%(status)s」已超过办理期限（%(deadline)s）") % {
        "name": mask_name(row.teacher.name),
        "status": row.get_status_display(),
        "deadline": deadline.strftime("%Y-%m-%d %H:%M") if deadline else "",
    }
    return text, _application_link(row)


def _override(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    return (
        _applications(path, campaign)
        .exclude(conclusion="")
        .exclude(suggestion="")
        .exclude(conclusion=F("suggestion"))
        .filter(override_reason="")
    )


def _override_line(row: Application) -> tuple[str, str]:
    text = _("%(name)s的注册结论「%(conclusion)s」与系统建议「%(suggestion)s」不一致，未说明理由") % {
        "name": mask_name(row.teacher.name),
        "conclusion": row.get_conclusion_display(),
        "suggestion": _conclusion_label(row.suggestion),
    }
    return text, _application_link(row)


def _conclusion_label(value: str) -> str:
    from jiaozi.certificates.models import Conclusion

    return str(Conclusion(value).label) if value in Conclusion.values else value


# Statuses in which the applicant's materials are in the reviewers' hands.
SUBMITTED = tuple(s for s in Status.values if s not in (Status.DRAFT, Status.RETURNED, Status.WITHDRAWN))


def _materials(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    # Submission refuses an application without the campaign's materials; what is left
    # to find are applications submitted before the province asked for more (a changed
    # campaign list, or the data audit's own extra kinds) and those brought in by import.
    missing = Q()
    for due in rules.DEFAULT_REQUIRED_MATERIALS:
        for kind in _required_kinds(campaign, due):
            lacks = ~Exists(Material.objects.filter(application=OuterRef("pk"), kind=kind))
            missing |= Q(due=due) & Q(lacks)
    if not missing:
        return Application.objects.none()
    return _applications(path, campaign).filter(status__in=SUBMITTED).filter(missing)


def _required_kinds(campaign: Campaign, due: str) -> list[str]:
    """The campaign's required kinds for registration type ``due`` and the province's
    data-audit extras, each once, in the campaign's order."""
    kinds = list(rules.missing_materials(campaign.required_materials or {}, due, ()))
    extras = oversight_setting(campaign.province_code).required_materials
    kinds += [k for k in extras if k in Material.Kind.values and k not in kinds]
    return kinds


def _materials_line(row: Application) -> tuple[str, str]:
    present = set(row.materials.values_list("kind", flat=True))
    missing = [
        str(Material.Kind(k).label) for k in _required_kinds(row.campaign, row.due) if k not in present
    ]
    text = _("%(name)s的申请缺少必备材料：%(kinds)s") % {
        "name": mask_name(row.teacher.name),
        "kinds": "、".join(missing),
    }
    return text, _application_link(row)


def _twice_applied(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    # One application per teacher record is a database constraint; the same person
    # entered twice (one name, one phone, two resident IDs) can still apply twice.
    others = (
        _active(campaign)
        .filter(teacher__name=OuterRef("teacher__name"), teacher__phone_bidx=OuterRef("teacher__phone_bidx"))
        .exclude(teacher=OuterRef("teacher"))
    )
    return (
        _applications(path, campaign)
        .exclude(teacher__phone_bidx="")
        .exclude(teacher__phone_bidx__isnull=True)
        .filter(Exists(others))
    )


def _twice_applied_line(row: Application) -> tuple[str, str]:
    text = _("%(name)s在本次定期注册中有多份申请（证书 %(number)s）") % {
        "name": mask_name(row.teacher.name),
        "number": row.certificate.number,
    }
    return text, _application_link(row)


def _twice_recorded(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Teacher]:
    # Two records with one name and one phone: the same person entered twice (a
    # mistyped resident ID gets past the unique index).
    others = Teacher.objects.filter(name=OuterRef("name"), phone_bidx=OuterRef("phone_bidx")).exclude(
        pk=OuterRef("pk")
    )
    return (
        Teacher.objects.filter(school__path__startswith=path, school__is_active=True)
        .exclude(phone_bidx="")
        .exclude(phone_bidx__isnull=True)
        .filter(Exists(others))
        .select_related("school")
        .order_by("school__path", "pk")
    )


def _twice_recorded_line(row: Teacher) -> tuple[str, str]:
    text = _("%(name)s与另一教师记录姓名、手机号相同，疑为同一人重复录入") % {"name": mask_name(row.name)}
    return text, reverse("teachers:teacher_detail", args=[row.pk])


def _type_mismatch(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    wrong = Q()
    for stage, types in STAGE_TYPES.items():
        wrong |= Q(school__stage=stage) & ~Q(certificate__qualification_type__in=sorted(types))
    return _applications(path, campaign).filter(wrong)


def _type_mismatch_line(row: Application) -> tuple[str, str]:
    text = _("%(name)s的证书资格种类「%(type)s」与任教学校学段「%(stage)s」不符") % {
        "name": mask_name(row.teacher.name),
        "type": row.certificate.get_qualification_type_display(),
        "stage": row.school.get_stage_display(),
    }
    return text, reverse("teachers:teacher_detail", args=[row.teacher_id])


_REVIEWS_SCHOOLS = Exists(
    Institution.objects.filter(parent=OuterRef("pk"), kind=Institution.Kind.SCHOOL, is_active=True)
)


def _public_info(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Institution]:
    return (
        Institution.objects.filter(
            path__startswith=path,
            is_active=True,
            kind__in=[Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT],
        )
        .filter(_REVIEWS_SCHOOLS)
        .filter(Q(address="") | Q(phone="") | Q(office_hours=""))
        .order_by("path")
    )


def _unverified(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Application]:
    # A certificate not in the system waits for its authenticity check (open), or was
    # found forged: its registration cannot go on until the check is closed.
    held = AuthenticityCheck.objects.filter(certificate=OuterRef("certificate")).filter(
        Q(status=CheckStatus.OPEN) | Q(outcome=CheckOutcome.FORGED)
    )
    return _applications(path, campaign).filter(Exists(held))


def _unverified_line(row: Application) -> tuple[str, str]:
    text = _("%(name)s的证书 %(number)s 真伪核验尚未完成或核验为伪造") % {
        "name": mask_name(row.teacher.name),
        "number": row.certificate.number,
    }
    return text, reverse("certservices:check_list")


def _no_plan(path: str, campaign: Campaign, now: dt.datetime) -> QuerySet[Institution]:
    planned = RegistrationPlan.objects.filter(institution=OuterRef("pk"), campaign=campaign)
    return (
        Institution.objects.filter(
            path__startswith=path,
            is_active=True,
            kind__in=[Institution.Kind.BUREAU, Institution.Kind.DEPARTMENT],
        )
        .filter(_REVIEWS_SCHOOLS)
        .exclude(Exists(planned))
        .order_by("path")
    )


def _no_plan_line(row: Institution) -> tuple[str, str]:
    return _("%(name)s未提交本次定期注册计划") % {"name": row.name}, reverse("directory:plan")


def _public_info_line(row: Institution) -> tuple[str, str]:
    return _("%(name)s未填写对外公开信息（地址、电话、办公时间）") % {"name": row.name}, reverse(
        "orgs:institution_detail", args=[row.pk]
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "missed",
        gettext_lazy("应注册未申请（漏报）"),
        gettext_lazy("通知本人申请，或在注册预审中核对"),
        (Source(_missed, "teacher__school_id", "teacher__school__name", _missed_line),),
    ),
    Check(
        "stuck",
        gettext_lazy("超过办理期限"),
        gettext_lazy("办理或退回"),
        (Source(_stuck, "school_id", "school__name", _stuck_line),),
    ),
    Check(
        "override",
        gettext_lazy("结论与建议不一致未说明理由"),
        gettext_lazy("补充理由或修改结论"),
        (Source(_override, "school_id", "school__name", _override_line),),
    ),
    Check(
        "materials",
        gettext_lazy("缺少必备材料"),
        gettext_lazy("退回申请人补充材料"),
        (Source(_materials, "school_id", "school__name", _materials_line),),
    ),
    Check(
        "duplicate",
        gettext_lazy("同一人重复"),
        gettext_lazy("撤回多余申请或合并教师记录"),
        (
            Source(_twice_applied, "school_id", "school__name", _twice_applied_line),
            Source(_twice_recorded, "school_id", "school__name", _twice_recorded_line),
        ),
    ),
    Check(
        "type_mismatch",
        gettext_lazy("资格种类与学段不符"),
        gettext_lazy("核对证书或任教学校"),
        (Source(_type_mismatch, "school_id", "school__name", _type_mismatch_line),),
    ),
    Check(
        "unverified",
        gettext_lazy("证书真伪未核验"),
        gettext_lazy("催办发证机关答复核验"),
        (Source(_unverified, "school_id", "school__name", _unverified_line),),
    ),
    Check(
        "no_plan",
        gettext_lazy("注册机构未报注册计划"),
        gettext_lazy("填报注册计划"),
        (Source(_no_plan, "pk", "name", _no_plan_line),),
    ),
    Check(
        "public_info",
        gettext_lazy("注册机构未填公开信息"),
        gettext_lazy("填写机构公开信息"),
        (Source(_public_info, "pk", "name", _public_info_line),),
    ),
)
KINDS = tuple(check.kind for check in CHECKS)
CHECK_OF = {check.kind: check for check in CHECKS}


# --- Reads -------------------------------------------------------------------------------


def can_view(user: User | None) -> bool:
    if user is None:
        return False
    actor = actor_of(user)
    return actor.is_active_staff and actor.role in VIEW_ROLES and user.institution is not None


def _viewer(user: User | None) -> Institution:
    if not can_view(user):
        raise PermissionDenied(_("您的角色不能查看数据核查。"))
    assert user is not None
    assert user.institution is not None
    return user.institution


def campaigns_for(*, user: User) -> QuerySet[Campaign]:
    institution = _viewer(user)
    return Campaign.objects.filter(province_code=str(institution.division_id)[:2] + "0000").order_by(
        "-is_active", "-year"
    )


def campaign_for(*, user: User, campaign_id: Any = None) -> Campaign:
    campaigns = campaigns_for(user=user)
    campaign = campaigns.filter(pk=campaign_id).first() if campaign_id else campaigns.first()
    if campaign is None:
        raise NotFound(_("没有可核查的定期注册工作。"))
    return campaign


def node_for(*, user: User, institution_id: Any = None) -> Institution:
    """The institution whose report is shown: the user's own, or one below it."""
    own = _viewer(user)
    if not institution_id:
        return own
    try:
        node = Institution.objects.get(pk=institution_id)
    except (Institution.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("机构不存在或不在您的管辖范围内。")) from None
    if not node.path.startswith(own.path):
        raise NotFound(_("机构不存在或不在您的管辖范围内。"))
    return node


def _owner_counts(path: str, campaign: Campaign, now: dt.datetime) -> dict[int, dict[str, int]]:
    """Owner institution → kind → open lines, one GROUP BY per source."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for check in CHECKS:
        for source in check.sources:
            rows = source.rows(path, campaign, now).order_by().values(source.owner).annotate(n=Count("pk"))
            for row in rows:
                counts[row[source.owner]][check.kind] += row["n"]
    return counts


@dataclass
class Rollup:
    institution: Institution
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Report:
    campaign: Campaign
    node: Institution
    totals: dict[str, int]
    children: list[Rollup]
    own: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def data_audit_report(*, user: User, campaign: Campaign, node: Institution) -> Report:
    """The counts of every check under ``node``: in total, for the node's own lines, and
    for each institution directly below it (rolled up over its subtree)."""
    now = clock.now()
    counts = _owner_counts(node.path, campaign, now)
    paths = dict(Institution.objects.filter(pk__in=list(counts)).values_list("pk", "path"))
    children = list(
        Institution.objects.filter(parent=node, is_active=True)
        .exclude(kind=Institution.Kind.CONFIRMATION_POINT)
        .order_by("code")
    )
    rolled = {child.pk: dict.fromkeys(KINDS, 0) for child in children}
    by_path = sorted(((child.path, child.pk) for child in children), key=lambda x: -len(x[0]))
    totals = dict.fromkeys(KINDS, 0)
    own = dict.fromkeys(KINDS, 0)
    for owner, per_kind in counts.items():
        path = paths.get(owner, "")
        target = next((pk for prefix, pk in by_path if path.startswith(prefix)), None)
        for kind, n in per_kind.items():
            totals[kind] += n
            if target is not None:
                rolled[target][kind] += n
            elif owner == node.pk:
                own[kind] += n
    rows = [Rollup(child, rolled[child.pk]) for child in children]
    rows.sort(key=lambda r: (-r.total, r.institution.code))
    return Report(campaign=campaign, node=node, totals=totals, children=rows, own=own)


def data_audit_lines(
    *, user: User, campaign: Campaign, node: Institution, kind: str, offset: int = 0, limit: int = LINES_PAGE
) -> list[Line]:
    """One page of the lines of ``kind`` under ``node``, each with where it is fixed."""
    if kind not in CHECK_OF:
        raise ValidationFailed.on_field("kind", _("核查项目无效。"), code="invalid_kind")
    now = clock.now()
    lines: list[Line] = []
    for source in CHECK_OF[kind].sources:
        for row in source.rows(node.path, campaign, now)[offset : offset + limit]:
            text, link = source.line(row)
            owner = row
            for part in source.owner.split("__")[:-1]:
                owner = getattr(owner, part)
            owner_id = row.pk if source.owner == "pk" else getattr(owner, source.owner.split("__")[-1])
            owner_name = row.name if source.owner == "pk" else _owner_name(row, source.owner)
            lines.append(Line(kind=kind, owner_id=owner_id, owner_name=owner_name, text=text, link=link))
    return lines[:limit]


def _owner_name(row: Any, owner: str) -> str:
    target = row
    for part in owner.split("__")[:-1]:
        target = getattr(target, part)
    field = owner.split("__")[-1].removesuffix("_id")
    institution = getattr(target, field)
    return str(institution.name)


# --- Reminders -------------------------------------------------------------------------


def data_audit_remind(*, actor: User, campaign_id: Any, node_id: Any = None) -> int:
    """Tell the staff of every institution with open lines under the actor's (or a
    lower) institution to repair them: one inbox message each, one audit row. Returns
    how many people were told."""
    if not can_view(actor) or actor_of(actor).role not in REMIND_ROLES:
        raise PermissionDenied(_("您的角色不能发送数据核查提醒。"))
    campaign = campaign_for(user=actor, campaign_id=campaign_id)
    node = node_for(user=actor, institution_id=node_id)
    counts = _owner_counts(node.path, campaign, clock.now())
    owners = [pk for pk, per_kind in counts.items() if any(per_kind.values()) and pk != actor.institution_id]
    people = list(
        User.objects.filter(
            kind=User.Kind.STAFF, is_active=True, institution_id__in=owners, role__in=list(REMINDED_ROLES)
        ).only("pk")
    )
    with transaction.atomic():
        told = 0
        if people:
            told = notify_many(
                users=people,
                kind="oversight.data_audit",
                title=_("请处理数据核查发现的问题"),
                body=_("「%(campaign)s」数据核查发现贵单位有待处理事项（漏报、错报等），请在截止前处理。")
                % {"campaign": campaign.name},
                link=reverse("oversight:data_audit"),
                channels=(INBOX,),
            )
        audit_record(
            kind=AuditKind.DATA_AUDIT_REMINDED,
            actor=actor,
            obj=node,
            details={
                "campaign": campaign.pk,
                "institutions": len(owners),
                "people": told,
                "open": {kind: sum(c[kind] for c in counts.values()) for kind in KINDS},
            },
        )
    return told


def open_kinds(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(KINDS, 0)
    for per_kind in counts:
        for kind, n in per_kind.items():
            totals[kind] += n
    return totals

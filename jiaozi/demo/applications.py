"""The demo's registration applications: a walk-through needs queues with work in
them. Applications at every stage of the Anhui 2024 workflow, in four counties (庐阳区
and 瑶海区 of 合肥市, 镜湖区 of 芜湖市, the 省直管县 宿松县), made the way people make
them: each teacher signs up, links their record, starts, fills and submits; schools,
registration institutions, cities and the province act through the workflow's services
at the dates they would have (the clock is moved back for each step). So every step,
audit row, notice and inbox message is real, and the demo date (2024-10-15) finds:

- drafts, applications waiting for the school, returned ones and a withdrawn one;
- a registration institution's queue longer than one page (paging, filters, batches);
- conclusions waiting for their notice, a notice running and one entry under objection;
- city rechecks and final reviews, some whose conclusion departs from the suggestion;
- completed registrations (form on file).

Idempotent: nothing is done when the demo's applicants exist. See
docs/decisions/0261-demo-walkthrough.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.applicants.services import teacher_link
from jiaozi.certificates.models import Certificate
from jiaozi.certificates.pdf import current_font
from jiaozi.core import clock
from jiaozi.registration.applications.materials import material_upload
from jiaozi.registration.applications.services import application_start, application_update_draft
from jiaozi.registration.applications.submission import required_kinds
from jiaozi.registration.models import Application, Material
from jiaozi.registration.notices.services import notice_close_expired, notice_publish, objection_submit
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, ReturnReason, Status

from .teachers import TeacherGenerator, TeacherPlan

USERNAME_PREFIX = "demo_applicant_"
SHANGHAI = ZoneInfo("Asia/Shanghai")

S = Status
# Per school: how many applications end in each status. 3401030001's registration
# institution (庐阳区) gets more than one page (20) of 待注册审核.
PLAN: tuple[tuple[str, dict[str, int]], ...] = (
    (
        "3401030001",  # 合肥市庐阳区第一中学 → 庐阳区 → 合肥市 → 省
        {
            S.DRAFT: 2, S.SCHOOL_REVIEW: 5, S.RETURNED: 2, S.WITHDRAWN: 1, S.REGISTRATION_REVIEW: 22,
            S.CONCLUDED: 3, S.NOTICE: 3, S.NOTICE_PAUSED: 1, S.CITY_RECHECK: 4, S.PROVINCE_REVIEW: 3,
            S.COMPLETED: 3,
        },
    ),
    (
        "3401020001",  # 瑶海区 → 合肥市 → 省
        {
            S.SCHOOL_REVIEW: 2, S.REGISTRATION_REVIEW: 4, S.CONCLUDED: 2, S.NOTICE: 2, S.CITY_RECHECK: 3,
            S.PROVINCE_REVIEW: 2, S.COMPLETED: 1,
        },
    ),
    (
        "3408260001",  # 宿松县 (省直管县) → 省, no city step
        {S.SCHOOL_REVIEW: 2, S.REGISTRATION_REVIEW: 3, S.NOTICE: 2, S.PROVINCE_REVIEW: 3, S.COMPLETED: 1},
    ),
    (
        "3402020001",  # 镜湖区 → 芜湖市 → 省
        {S.SCHOOL_REVIEW: 2, S.REGISTRATION_REVIEW: 3, S.CONCLUDED: 1, S.CITY_RECHECK: 3, S.PROVINCE_REVIEW: 2},
    ),
)  # fmt: skip

# The teachers' cases, in turn: mostly clean, some the rules defer or refuse.
CASES = (
    "periodic_qualified",
    "periodic_qualified",
    "periodic_training_short",
    "periodic_qualified",
    "first_on_time",
    "periodic_qualified",
    "after_deferral_qualified",
    "periodic_appraisal_basic",
    "periodic_qualified",
    "periodic_ethics_failed",
)

# How far along the normal path each status is (returned/withdrawn leave at the school).
_ORDER = [
    S.DRAFT, S.SCHOOL_REVIEW, S.REGISTRATION_REVIEW, S.CONCLUDED, S.NOTICE, S.CITY_RECHECK,
    S.PROVINCE_REVIEW, S.COMPLETED,
]  # fmt: skip
_RANK: dict[str, int] = {str(status): n for n, status in enumerate(_ORDER)} | {
    S.RETURNED: 1,
    S.WITHDRAWN: 1,
    S.NOTICE_PAUSED: _ORDER.index(S.NOTICE),
}


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Planned:
    n: int  # its place in the plan: the applicant's username number
    school: str
    target: str
    case: str
    plan: TeacherPlan | None = None
    application: Application | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def reaches(self, status: str) -> bool:
        """Whether the application goes at least as far as ``status`` on the normal path."""
        if self.target in (S.RETURNED, S.WITHDRAWN):
            return _RANK[status] <= 1
        return _RANK[self.target] >= _RANK[status]


def planned() -> list[Planned]:
    """Every demo application, in a fixed order (the same on every run)."""
    items: list[Planned] = []
    n = 0
    for school, counts in PLAN:
        for target, how_many in counts.items():
            for _ in range(how_many):
                items.append(Planned(n=n + 1, school=school, target=target, case=CASES[n % len(CASES)]))
                n += 1
    return items


def teacher_plans(generator: TeacherGenerator, items: list[Planned]) -> list[TeacherPlan]:
    """The teachers of the demo applications, drawn from the demo's generator; remembered
    on each item."""
    plans = list(generator.plans_for((i.school, i.case) for i in items if i.school in generator.schools))
    for item, plan in zip((i for i in items if i.school in generator.schools), plans, strict=True):
        item.plan = plan
    return plans


def present() -> bool:
    return User.objects.filter(username__startswith=USERNAME_PREFIX).exists()


def _staff(role: str, institution_id: int | None) -> User | None:
    if institution_id is None:
        return None
    return (
        User.objects.filter(role=role, institution_id=institution_id, is_active=True, kind=User.Kind.STAFF)
        .order_by("pk")
        .first()
    )


def _refresh(item: Planned) -> Application:
    assert item.application is not None
    item.application = Application.objects.get(pk=item.application.pk)
    return item.application


def _act(item: Planned, actor: User | None, action: str, **kwargs: Any) -> None:
    app = _refresh(item)
    item.application = application_transition(
        actor=actor, application_id=app.pk, action=action, version=app.version, **kwargs
    )


def _each(items: Iterable[Planned], when: dt.datetime, work: Callable[[int, Planned], None]) -> None:
    for n, item in enumerate(items):
        if item.application is None and work is not _start:
            continue
        with clock.travel(when + dt.timedelta(minutes=3 * n)):
            work(n, item)


ADDRESSES = (
    "合肥市庐阳区长江中路{n}号",
    "合肥市瑶海区胜利路{n}号",
    "安庆市宿松县孚玉镇{n}号",
    "芜湖市镜湖区中山路{n}号",
)


def _start(n: int, item: Planned) -> None:
    plan = item.plan
    assert plan is not None
    assert plan.certificate is not None
    number = plan.certificate.number
    user = User.objects.create_user(
        username=f"{USERNAME_PREFIX}{item.n:03d}",
        password=None,  # never signs in: the demo's applicant who does is teacher_demo
        kind=User.Kind.APPLICANT,
        real_name=plan.name,
        resident_id=plan.resident_id,
        phone=plan.phone,
    )
    teacher_link(user=user, certificate_number=number)
    certificate = Certificate.objects.get(number=number)
    app = application_start(applicant=user, certificate_id=certificate.pk)
    school_n = [s for s, _ in PLAN].index(item.school)
    item.application = application_update_draft(
        applicant=user,
        application_id=app.pk,
        version=app.version,
        address=ADDRESSES[school_n].format(n=item.n + 10),
        work_history=f"{2019}年9月至今  {plan.school} 任教",
        notes="",
    )
    attach_required(user, item.application)


@cache
def _scan(label: str) -> bytes:
    """A one-page PDF standing for the scan of one material."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setFont(current_font(), 18)
    canvas.drawString(72, 760, f"{label}（演示扫描件）")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def attach_required(applicant: User, app: Application) -> None:
    """Upload, as the applicant, a scan of every material the campaign requires (§4)."""
    for kind in required_kinds(app.campaign, app.due):
        label = str(Material.Kind(kind).label)
        material_upload(
            applicant=applicant,
            application_id=app.pk,
            kind=kind,
            file=SimpleUploadedFile(f"{label}.pdf", _scan(label), content_type="application/pdf"),
        )


def _submit(n: int, item: Planned) -> None:
    app = _refresh(item)
    _act(item, app.applicant, Action.SUBMIT)


def seed_applications(items: list[Planned]) -> dict[str, int]:
    """Walk each planned application to its status (see the module's docstring).
    Returns how many ended in each status."""
    items = [i for i in items if i.plan is not None and i.plan.certificate is not None]
    with transaction.atomic():
        _walk(items)
    counts: dict[str, int] = {}
    for item in items:
        if item.application is not None:
            status = _refresh(item).status
            counts[status] = counts.get(status, 0) + 1
    return counts


def _walk(items: list[Planned]) -> None:
    early = [i for i in items if i.target != S.DRAFT]
    drafts = [i for i in items if i.target == S.DRAFT]
    # 18 September: the teachers sign up, link their record, fill the form and submit.
    _each(early, at(9, 18, 9), _start)
    _each(early, at(9, 18, 15), _submit)

    # 20 September: the schools check and pass them on, return two, one is withdrawn.
    def school(n: int, item: Planned) -> None:
        app = _refresh(item)
        reviewer = _staff(Role.SCHOOL_REVIEWER, app.school_id)
        if item.target == S.WITHDRAWN:
            _act(item, app.applicant, Action.WITHDRAW)
        elif item.target == S.RETURNED:
            _act(
                item,
                reviewer,
                Action.RETURN_TO_APPLICANT,
                reason="请补充上传近五年培训学时证明（继续教育证书或学时登记表）。",
                reason_code=ReturnReason.TRAINING_UNVERIFIED,
            )
        elif item.reaches(S.REGISTRATION_REVIEW):
            _act(item, reviewer, Action.SCHOOL_APPROVE)

    _each([i for i in early if i.target != S.SCHOOL_REVIEW], at(9, 20), school)

    # 23 September: the registration institutions conclude; every fourth departs from
    # the system's suggestion (with the reason), so the recheck has something to weigh.
    def conclude(n: int, item: Planned) -> None:
        app = _refresh(item)
        reviewer = _staff(Role.REGISTRATION_REVIEWER, app.registration_authority_id)
        conclusion, reason, override = app.suggestion or "qualified", "", ""
        if n % 4 == 3:
            conclusion = "qualified" if conclusion != "qualified" else "deferred"
            override = "经核实学校补充材料，与系统依据的档案记录不一致，按核实情况作出结论。"
        if conclusion != "qualified":
            reason = "近五年培训学时或考核情况未达到定期注册合格条件。"
        _act(item, reviewer, Action.CONCLUDE, conclusion=conclusion, reason=reason, override_reason=override)

    _each([i for i in early if i.reaches(S.CONCLUDED)], at(9, 23), conclude)

    # 24 September: the first notice (7 days) of those that go further.
    def publish(group: list[Planned], when: dt.datetime) -> None:
        by_authority: dict[int, list[Planned]] = {}
        for item in group:
            by_authority.setdefault(_refresh(item).registration_authority_id, []).append(item)
        for authority_id, members in by_authority.items():
            reviewer = _staff(Role.REGISTRATION_REVIEWER, authority_id)
            if reviewer is None:
                continue
            with clock.travel(when):
                notice_publish(
                    actor=reviewer, application_ids=[m.application.pk for m in members if m.application]
                )

    publish([i for i in early if i.reaches(S.CITY_RECHECK)], at(9, 24))
    # 8 October: the notices ended during the national holiday; the scheduler moves them on.
    with clock.travel(at(10, 8, 1)):
        notice_close_expired()

    # 9 October: the cities recheck; 10 October: the province approves and files.
    def city(n: int, item: Planned) -> None:
        app = _refresh(item)
        if app.status == S.CITY_RECHECK:
            _act(item, _staff(Role.CITY_RECHECKER, app.city_bureau_id), Action.CITY_APPROVE)

    _each([i for i in early if i.reaches(S.PROVINCE_REVIEW)], at(10, 9), city)

    def province(n: int, item: Planned) -> None:
        app = _refresh(item)
        _act(item, _staff(Role.PROVINCE_REVIEWER, app.province_bureau_id), Action.PROVINCE_APPROVE)

    _each([i for i in early if i.target == S.COMPLETED], at(10, 10), province)

    # 12 October: the second notice, running on the demo date; 14 October: an objection.
    publish([i for i in early if i.target in (S.NOTICE, S.NOTICE_PAUSED)], at(10, 12))
    for n, item in enumerate(i for i in early if i.target == S.NOTICE_PAUSED):
        app = _refresh(item)
        with clock.travel(at(10, 14, 16, n)):
            objection_submit(
                notice_id=app.notice_id,
                application_id=app.pk,
                anonymous=False,
                name="王先生",
                contact="13905519999",
                content="该教师2023年度有较长时间未在岗任教，请核实其考核与在岗情况。",
                ip="127.0.0.1",
            )

    # 14 October: two teachers start but have not submitted yet.
    _each(drafts, at(10, 14, 20), _start)

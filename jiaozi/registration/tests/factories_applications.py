"""Factories for registration applications, for every app's tests.

A ``Chain`` is one school with its review chain, a reviewer at every level and an
applicant whose teacher is due (periodic, suggestion 注册合格) in the Anhui 2024
campaign of the data migration (active; its windows are open at ``OPEN``):

    from jiaozi.registration.tests.factories_applications import OPEN, chain, application, drive

    with clock.travel(OPEN):
        c = chain()                                   # 庐阳区 school → 庐阳区 → 合肥市 → 省
        a = application(c, status=Status.CITY_RECHECK)  # a row in any status, no history
        b = drive(c, to=Status.NOTICE)                # through the real services: steps, audit
        c.staff(Actor.CITY)                           # the city rechecker of this chain

Chains without a city step: ``chain("susong")`` (宿松县, 省直管县) and
``chain("city_bureau")`` (a school the 合肥市 bureau reviews itself); ``chain("department")``
is a school under a 合肥市 主管部门 (city recheck by the 合肥市 bureau). Every call makes a
fresh school, so chains never share applications.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from django.apps import apps as django_apps

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.tests.factories import make_applicant, make_staff
from jiaozi.applicants.models import TeacherLink
from jiaozi.certificates.models import Certificate
from jiaozi.core import clock
from jiaozi.orgs.models import Institution
from jiaozi.orgs.routing import review_chain
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, SUSONG, bureau, department, school
from jiaozi.registration.applications.submission import required_kinds
from jiaozi.registration.models import Application, ApplicationStep, Campaign, Material, Notice
from jiaozi.registration.tests.factories import anhui_2024, at, certificate, clean_periodic, teacher
from jiaozi.registration.workflow import Action, Actor, Status
from jiaozi.teachers.models import Teacher

# Inside every Anhui 2024 window (system, apply, school review, review, recheck, final).
OPEN = at(2024, 10, 15, 10)
# The step windows closed at 17:00 on 15 December; the province reviews until the 27th.
STEPS_CLOSED = at(2024, 12, 16, 10)
# The system closed at 17:00 on 27 December.
SYSTEM_CLOSED = at(2024, 12, 28, 10)
BEFORE_OPEN = at(2024, 9, 12, 10)

_serial = count(1)

KINDS = ("county", "susong", "city_bureau", "department")


@dataclass
class Chain:
    """One school, its review chain and the people acting at each level."""

    campaign: Campaign
    school: Institution
    authority: Institution
    city: Institution | None
    province: Institution
    school_reviewer: User
    registration_reviewer: User
    city_rechecker: User | None
    province_reviewer: User
    teacher: Teacher
    certificate: Certificate
    applicant: User
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_city_step(self) -> bool:
        return self.city is not None

    def staff(self, level: str) -> User | None:
        """The user acting at ``level`` (a workflow.Actor value); None for the public and
        the scheduler, and for the city of a chain without one."""
        by_level: dict[str, User | None] = {
            Actor.APPLICANT: self.applicant,
            Actor.SCHOOL: self.school_reviewer,
            Actor.REGISTRATION: self.registration_reviewer,
            Actor.CITY: self.city_rechecker,
            Actor.PROVINCE: self.province_reviewer,
            Actor.OVERSIGHT: self.province_reviewer,
        }
        return by_level.get(level)


def active_campaign() -> Campaign:
    """Anhui 2024, active (as the data migration leaves it; reloaded after a
    transactional test flushed the database)."""
    if not Campaign.objects.filter(province_code="340000", year=2024).exists():
        seed = importlib.import_module("jiaozi.registration.migrations.0002_anhui_2024_campaign").seed
        seed(django_apps, None)
    campaign = anhui_2024()
    if not campaign.is_active:
        Campaign.objects.filter(pk=campaign.pk).update(is_active=True)
        campaign.refresh_from_db()
    return campaign


def _school_for(kind: str) -> Institution:
    n = next(_serial)
    if kind == "county":
        return school(f"{LUYANG}{7000 + n:04d}", LUYANG, name=f"庐阳区测试学校{n}")
    if kind == "susong":
        return school(f"{SUSONG}{7000 + n:04d}", SUSONG, name=f"宿松县测试学校{n}")
    if kind == "city_bureau":
        return school(f"{HEFEI}{7000 + n:04d}", LUYANG, reviewer=bureau(HEFEI), name=f"合肥市直测试学校{n}")
    if kind == "department":
        dept = department(f"{HEFEI}ZG{n:04d}", HEFEI, name=f"合肥市测试主管部门{n}")
        return school(f"{HEFEI}{8000 + n:04d}", LUYANG, reviewer=dept, name=f"合肥市部门测试学校{n}")
    raise ValueError(f"unknown chain kind {kind!r}; one of {KINDS}")


def due_teacher(school_: Institution, **fields: Any) -> tuple[Teacher, Certificate]:
    """A teacher due for periodic registration in Anhui 2024 (R = 2024-12-31) with a clean
    cycle, so the suggestion is 注册合格; ``fields`` change the teacher."""
    owner = teacher(school=school_, **fields)
    cert = certificate(
        owner, last_conclusion="qualified", valid_from=dt.date(2019, 12, 31), valid_to=dt.date(2024, 12, 30)
    )
    clean_periodic(owner)
    return owner, cert


def applicant_for(owner: Teacher, **fields: Any) -> User:
    """A real-name applicant account of ``owner`` (same resident ID), not yet linked to
    the teacher record (see ``link``)."""
    n = next(_serial)
    values: dict[str, Any] = {
        "username": f"applicant{n:05d}",
        "real_name": owner.name,
        "resident_id": owner.resident_id,
        "phone": f"1370000{n:04d}",
    } | fields
    return make_applicant(**values)


def link(applicant: User, owner: Teacher) -> User:
    """Confirm ``applicant``'s link to ``owner`` (as the applicant area does with a
    certificate number) unless it exists; ``application_start`` requires it. Returns the
    applicant reloaded, as the next request would see it."""
    if not TeacherLink.objects.filter(user=applicant).exists():
        TeacherLink.objects.create(
            user=applicant,
            teacher=owner,
            certificate=owner.certificates.earliest("pk"),
            linked_at=clock.now(),
        )
    return User.objects.get(pk=applicant.pk)


def chain(kind: str = "county", *, campaign: Campaign | None = None) -> Chain:
    """A fresh school of ``kind`` (see ``KINDS``), its chain, a reviewer at each level and
    a due applicant."""
    school_ = _school_for(kind)
    links = review_chain(school_)
    authority, province = links[1], links[-1]
    city = links[2] if len(links) == 4 else None
    n = next(_serial)

    def staff(role: str, institution: Institution) -> User:
        return make_staff(
            username=f"wf_{role}_{n}", role=role, institution=institution, real_name=f"审核员{n}"
        )

    owner, cert = due_teacher(school_)
    return Chain(
        campaign=campaign or active_campaign(),
        school=school_,
        authority=authority,
        city=city,
        province=province,
        school_reviewer=staff(Role.SCHOOL_REVIEWER, school_),
        registration_reviewer=staff(Role.REGISTRATION_REVIEWER, authority),
        city_rechecker=staff(Role.CITY_RECHECKER, city) if city else None,
        province_reviewer=staff(Role.PROVINCE_REVIEWER, province),
        teacher=owner,
        certificate=cert,
        applicant=applicant_for(owner),
    )


def another_applicant(c: Chain) -> tuple[User, Certificate]:
    """One more due teacher at the chain's school, with their applicant account."""
    owner, cert = due_teacher(c.school)
    return applicant_for(owner), cert


def make_notice(
    c: Chain,
    *,
    starts_at: dt.datetime | None = None,
    days: int = 7,
    state: str = Notice.State.OPEN,
) -> Notice:
    """A notice of the chain's registration authority (a bare row, as notice_publish
    would leave it before the applications go on it)."""
    starts = starts_at or clock.now()
    return Notice.objects.create(
        campaign=c.campaign,
        authority=c.authority,
        title=f"{c.authority.name}定期注册结果公示",
        starts_at=starts,
        ends_at=starts + dt.timedelta(days=days),
        state=state,
        published_by=c.registration_reviewer,
        entries=[],
        list_sha256="0" * 64,
    )


# Statuses from which the conclusion is set.
_CONCLUDED_OR_LATER = frozenset(
    {
        Status.CONCLUDED,
        Status.NOTICE,
        Status.NOTICE_PAUSED,
        Status.CITY_RECHECK,
        Status.PROVINCE_REVIEW,
        Status.COMPLETED,
    }
)


def application(
    c: Chain,
    *,
    status: str = Status.DRAFT,
    applicant: User | None = None,
    certificate_: Certificate | None = None,
    notice: Notice | None = None,
    materials: bool = False,
    **fields: Any,
) -> Application:
    """An application of the chain's applicant (or ``applicant`` / ``certificate_``)
    created directly in ``status`` — no steps, no audit rows — for tests of pages,
    queues and notices. From CONCLUDED on it carries the suggested conclusion; NOTICE
    and NOTICE_PAUSED get a running notice unless ``notice`` is given. A draft or
    returned one gets its required materials (rows only) when ``materials`` is True."""
    if status == Status.CITY_RECHECK and not c.has_city_step:
        raise ValueError("this chain has no city recheck")
    cert = certificate_ or c.certificate
    values: dict[str, Any] = {
        "campaign": c.campaign,
        "applicant": applicant or c.applicant,
        "teacher": cert.teacher,
        "certificate": cert,
        "school": c.school,
        "registration_authority": c.authority,
        "city_bureau": c.city,
        "province_bureau": c.province,
        "status": status,
        "due": "periodic",
        "suggestion": "qualified",
        "suggestion_reasons": [],
        "facts": {},
    }
    if status not in (Status.DRAFT, Status.WITHDRAWN):
        values["submitted_at"] = clock.now()
    if status in _CONCLUDED_OR_LATER:
        values["conclusion"] = "qualified"
    if status in (Status.NOTICE, Status.NOTICE_PAUSED):
        values["notice"] = notice or make_notice(c)
    elif notice is not None:
        values["notice"] = notice  # e.g. the ended notice of an application after it
    if status == Status.COMPLETED:
        values["completed_at"] = clock.now()
    values |= fields
    app = Application.objects.create(**values)
    if materials and status in (Status.DRAFT, Status.RETURNED):
        # Ready to submit: every material the campaign requires is there (§4).
        supply_materials(app)
    return app


# --- Through the services ---------------------------------------------------------------------

# The path an application takes, as (action, level) from each status; NOTICE_END needs
# the notice's end, which ``drive`` reaches by moving the clock.
_PATH: dict[str, tuple[str, str]] = {
    Status.DRAFT: (Action.SUBMIT, Actor.APPLICANT),
    Status.RETURNED: (Action.RESUBMIT, Actor.APPLICANT),
    Status.SCHOOL_REVIEW: (Action.SCHOOL_APPROVE, Actor.SCHOOL),
    Status.REGISTRATION_REVIEW: (Action.CONCLUDE, Actor.REGISTRATION),
    Status.CONCLUDED: (Action.PUBLISH_NOTICE, Actor.REGISTRATION),
    Status.NOTICE: (Action.NOTICE_END, Actor.SYSTEM),
    Status.NOTICE_PAUSED: (Action.DISMISS_OBJECTION, Actor.REGISTRATION),
    Status.CITY_RECHECK: (Action.CITY_APPROVE, Actor.CITY),
    Status.PROVINCE_REVIEW: (Action.PROVINCE_APPROVE, Actor.PROVINCE),
}


def supply_materials(app: Application, *, except_: tuple[str, ...] = ()) -> list[Material]:
    """Rows for every material the campaign requires of the application's type (no
    file is written: the rows name a placeholder), except the kinds in ``except_``."""
    have = set(app.materials.values_list("kind", flat=True))
    made = [
        Material.objects.create(
            application=app,
            kind=kind,
            file=f"registration/materials/test-{kind}",
            original_name=f"{kind}.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            uploaded_by=app.applicant,
            uploaded_at=clock.now(),
        )
        for kind in required_kinds(app.campaign, app.due)
        if kind not in have and kind not in except_
    ]
    return made


def step(c: Chain, app: Application, action: str, **kwargs: Any) -> Application:
    """Take ``action`` as the level that takes it from the application's status, with
    a reason where one is needed; returns the application as written."""
    from jiaozi.registration.transitions import application_transition
    from jiaozi.registration.workflow import TABLE

    transition = TABLE[(app.status, action)]
    actor = c.staff(transition.actor)
    if action in (Action.SUBMIT, Action.RESUBMIT):
        supply_materials(app)
    if transition.needs_reason:
        kwargs.setdefault("reason", "测试理由")
    if action == Action.CONCLUDE:
        kwargs.setdefault("conclusion", app.suggestion or "qualified")
    if action == Action.PUBLISH_NOTICE and "notice" not in kwargs:
        kwargs["notice"] = make_notice(c)
    if action == Action.NOTICE_END:
        ends_at = app.notice.ends_at  # type: ignore[union-attr]
        # A running notice is ended as the scheduler would, just after its end.
        with clock.travel(max(clock.now(), ends_at + dt.timedelta(minutes=1))):
            return application_transition(
                actor=None, application_id=app.pk, action=action, version=app.version
            )
    return application_transition(
        actor=actor, application_id=app.pk, action=action, version=app.version, **kwargs
    )


def start(c: Chain) -> Application:
    """The chain applicant's draft, through ``application_start`` (linking the applicant
    to the teacher record first if the test has not)."""
    from jiaozi.registration.applications.services import application_start

    c.applicant = link(c.applicant, c.teacher)
    return application_start(applicant=c.applicant, certificate_id=c.certificate.pk)


def drive(c: Chain, *, to: str, app: Application | None = None) -> Application:
    """Start (unless ``app`` is given) and move the application along the normal path
    until it reaches ``to``, through the real services: every step, audit row and
    notification is written. Call inside ``clock.travel(OPEN)`` (the notice's end is
    reached by moving the clock for that one step)."""
    current = app or start(c)
    for _guard in range(20):
        if current.status == to:
            return current
        if current.status not in _PATH:
            break
        action, _level = _PATH[current.status]
        if action == Action.PUBLISH_NOTICE and to not in (Status.NOTICE, Status.NOTICE_PAUSED):
            # Passing through: a notice that ran until just now, so the notice can end
            # at once and the steps keep the order of the clock.
            ran = make_notice(c, starts_at=clock.now() - dt.timedelta(days=7, minutes=1))
            current = step(c, current, action, notice=ran)
            continue
        current = step(c, current, action)
    raise ValueError(f"cannot drive an application from {current.status} to {to}")


def steps_of(app: Application) -> list[tuple[str, str, str]]:
    """(action, from, to) of the application's steps, oldest first."""
    return list(
        ApplicationStep.objects.filter(application=app)
        .order_by("pk")
        .values_list("action", "from_status", "to_status")
    )

"""The demo's certification (认定) applications: the Anhui 2024 second-half batch at
庐阳区 (types 1–3, its 确认点 340103QR01), made through the real services and transitions
at the dates people would have acted (the clock is moved back for each step), so the
demo date (2024-10-15) finds drafts, applications waiting for on-site confirmation,
a refused confirmation, applications awaiting the decision (one with its physical exam
recorded), certified ones with their certificate, a refused and a withdrawn one.

Actors: the applicants ``rd_applicant01``… (demo password), the confirmation user
``ly_confirm`` and the certifying officer ``ly_certifier`` (personas). Idempotent:
nothing is done once the first demo applicant exists."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiaozi.accounts.models import User
from jiaozi.certification.choices import Education, Mandarin
from jiaozi.certification.models import CertificationApplication, CertificationBatch
from jiaozi.certification.reference import ensure_anhui
from jiaozi.certification.services import (
    ApplicationData,
    application_photo_set,
    application_start,
    health_record,
)
from jiaozi.certification.transitions import certification_transition
from jiaozi.certification.workflow import Action, Conclusion, Status
from jiaozi.core import clock, idcard
from jiaozi.orgs.models import Institution

from .personas import DEMO_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLY = dt.datetime(2024, 9, 18, 10, tzinfo=SHANGHAI)
CONFIRM = dt.datetime(2024, 10, 9, 10, tzinfo=SHANGHAI)
DECIDE = dt.datetime(2024, 10, 14, 15, tzinfo=SHANGHAI)
USERNAME = "rd_applicant{:02d}"


@dataclass(frozen=True)
class Plan:
    name: str
    birth: str  # YYYYMMDD
    sex: str  # "1" male, "2" female
    qualification_type: str
    subject: str
    to: str


PLANS: tuple[Plan, ...] = (
    Plan("林书瑶", "19990312", "2", "2", "语文", Status.CERTIFIED),
    Plan("高志远", "19970825", "1", "3", "数学", Status.CERTIFIED),
    Plan("许安然", "20000117", "2", "1", "学前教育", Status.DECISION),
    Plan("马腾飞", "19980630", "1", "2", "体育", Status.DECISION),
    Plan("孔令仪", "19960909", "2", "3", "英语", Status.REFUSED),
    Plan("沈嘉禾", "20010402", "2", "2", "数学", Status.CONFIRMATION),
    Plan("陆明轩", "19991120", "1", "3", "物理", Status.CONFIRMATION),
    Plan("韩雪", "19980214", "2", "1", "学前教育", Status.CONFIRM_REFUSED),
    Plan("宋嘉言", "20000708", "1", "2", "音乐", Status.DRAFT),
    Plan("唐婉清", "19971003", "2", "3", "化学", Status.WITHDRAWN),
)


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 420), (214, 226, 240)).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _applicant(n: int, plan: Plan) -> User:
    seq = f"{n:02d}{(int(plan.sex) % 2 and 1) or 2}"
    resident_id = idcard.make(f"340103{plan.birth}{seq}")
    return User.objects.create_user(
        username=USERNAME.format(n),
        password=DEMO_PASSWORD,
        kind=User.Kind.APPLICANT,
        real_name=plan.name,
        resident_id=resident_id,
        phone=f"1390551{n:04d}",
    )


def present() -> bool:
    return User.objects.filter(username=USERNAME.format(1)).exists()


def seed_certification() -> dict[str, int]:
    """Create the demo's certification applications; returns counts by status."""
    ensure_anhui()
    if present():
        return {}
    batch = CertificationBatch.objects.get(province_code="340000", year=2024)
    authority = Institution.objects.get(kind="bureau", code="340103")
    point = Institution.objects.get(code="340103QR01")
    confirmer = User.objects.get(username="ly_confirm")
    officer = User.objects.get(username="ly_certifier")
    counts: dict[str, int] = {}
    for n, plan in enumerate(PLANS, start=1):
        user = _applicant(n, plan)
        data = ApplicationData(
            qualification_type=plan.qualification_type,
            subject=plan.subject,
            authority_id=authority.pk,
            confirmation_point_id=point.pk,
            education=Education.BACHELOR,
            mandarin=Mandarin.L2A,
            ntce_type=plan.qualification_type,
            ntce_number=f"2023{plan.qualification_type}4000{n:06d}",
            ntce_date=dt.date(2023, 6, 10),
            commitment=True,
            phone=user.phone,
        )
        with clock.travel(APPLY + dt.timedelta(minutes=n)):
            app = application_start(user=user, batch=batch, data=data)
            app = application_photo_set(user=user, pk=app.pk, version=app.version, photo=_photo())
            if plan.to != Status.DRAFT:
                app = _act(app, user, Action.SUBMIT)
            if plan.to == Status.WITHDRAWN:
                app = _act(app, user, Action.WITHDRAW)
        if plan.to in (Status.CONFIRM_REFUSED, Status.DECISION, Status.CERTIFIED, Status.REFUSED):
            with clock.travel(CONFIRM + dt.timedelta(minutes=n)):
                if plan.to == Status.CONFIRM_REFUSED:
                    app = _act(app, confirmer, Action.REFUSE_CONFIRMATION, reason_code="materials_missing")
                else:
                    app = _act(app, confirmer, Action.CONFIRM)
        if plan.to in (Status.CERTIFIED, Status.REFUSED) or (plan.to == Status.DECISION and n == 3):
            with clock.travel(DECIDE + dt.timedelta(minutes=n)):
                health = "unfit" if plan.to == Status.REFUSED else "fit"
                app = health_record(
                    actor=officer,
                    pk=app.pk,
                    version=app.version,
                    health=health,
                    hospital="合肥市第一人民医院",
                )
                if plan.to == Status.CERTIFIED:
                    app = _act(app, officer, Action.DECIDE, conclusion=Conclusion.CERTIFIED)
                elif plan.to == Status.REFUSED:
                    app = _act(
                        app,
                        officer,
                        Action.DECIDE,
                        conclusion=Conclusion.REFUSED,
                        reason_code="health_failed",
                    )
        counts[plan.to] = counts.get(plan.to, 0) + 1
    return counts


def _act(app: CertificationApplication, user: User, action: str, **kw: str) -> CertificationApplication:
    return certification_transition(
        actor=user, application_id=app.pk, action=action, version=app.version, **kw
    )
